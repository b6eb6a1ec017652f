"""Simula, en Linux, un sistema sin lo propio de Unix (pruebas del curso, ``tests/test_sin_posix.py``).

Para el código de las carpetas de ``CARPETAS_SIN_UNIX`` (separadas por ``os.pathsep``): ``resource`` y
``fcntl`` no se pueden importar, ``os`` no tiene ``getuid`` ni ``geteuid`` y ``ctypes.CDLL(None)`` (la libc,
donde vive ``prctl``) falla, como en Windows. Las bibliotecas de terceros no cambian: sus versiones de Linux usan
esas cosas y las de Windows o macOS no. Los procesos hijos (kernels) heredan la simulación salvo con
``SIN_UNIX_SOLO_ESTE_PROCESO=1``.
"""
import ctypes
import os
import sys
import types

MODULOS = ("resource", "fcntl")
ATRIBUTOS_OS = ("getuid", "geteuid", "getgid", "getegid")
CARPETAS = tuple(os.path.join(c, "") for c in os.environ.get("CARPETAS_SIN_UNIX", "").split(os.pathsep) if c)


def _desde_el_curso(marco) -> bool:
    """¿El primer marco fuera de importlib (desde ``marco`` hacia arriba) es código del curso?"""
    while marco is not None and marco.f_code.co_filename.startswith("<frozen importlib"):
        marco = marco.f_back
    return marco is not None and marco.f_code.co_filename.startswith(CARPETAS)


class _SinUnix:
    def find_spec(self, nombre, ruta=None, objetivo=None):
        if nombre.partition(".")[0] in MODULOS and _desde_el_curso(sys._getframe(1)):
            raise ImportError(f"No module named {nombre!r} (simulado: no es Unix)", name=nombre)
        return None


class _OsSinUid(types.ModuleType):
    def __getattribute__(self, nombre):
        if nombre in ATRIBUTOS_OS and _desde_el_curso(sys._getframe(1)):
            raise AttributeError(f"module 'os' has no attribute {nombre!r} (simulado: no es Unix)")
        return super().__getattribute__(nombre)


class _SinLibc(ctypes.CDLL):
    def __init__(self, nombre, *args, **kwargs):
        if nombre is None and _desde_el_curso(sys._getframe(1)):
            raise OSError("sin libc de Unix (simulado)")
        super().__init__(nombre, *args, **kwargs)


sys.meta_path.insert(0, _SinUnix())
for _nombre in MODULOS:  # que nadie los reciba ya importados
    sys.modules.pop(_nombre, None)
os.__class__ = _OsSinUid
ctypes.CDLL = _SinLibc
if os.environ.pop("SIN_UNIX_SOLO_ESTE_PROCESO", None) == "1":
    _aqui = os.path.dirname(os.path.abspath(__file__))
    os.environ["PYTHONPATH"] = os.pathsep.join(c for c in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                               if c != _aqui)
