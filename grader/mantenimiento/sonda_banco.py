"""Lo que el banco de errores típicos pregunta al kernel: qué es cada global, su huella y la de las bibliotecas.

Se ejecuta dentro del kernel (``mutaciones`` envía este archivo entero); cada función recibe el espacio de
nombres del cuaderno y devuelve algo que se puede pasar a JSON. Solo usa la biblioteca estándar y NumPy.

- ``catalogo``: el tipo de cada global (``dependencias.Catalogo``), de dónde viene cada módulo o función y los
  nombres que comparten objeto o memoria.
- ``huellas``: una huella de cada dato que se sabe comparar: qué cambió de verdad cada celda de la ejecución
  de referencia, que lo que el análisis da por intacto tras una prueba lo está y que la restauración deja el
  kernel como la referencia. Los arreglos grandes se resumen con una muestra regular de sus elementos.
- ``bibliotecas``: funciones y constantes de los módulos que usa el cuaderno y la configuración de NumPy,
  Keras, ``warnings`` y el proceso: lo que una respuesta puede cambiar sin ligar ningún nombre.
"""
import json
import os
import re
import sys
import types
import warnings
import zlib

import numpy as np

_IPYTHON = re.compile(r"^(_|__|___|_i+|_i?\d+|_oh|_ih|_dh|In|Out|exit|quit|get_ipython)$")
_MAXIMO_COMPLETO = 2**30  # bytes de un arreglo que se leen enteros (crc32: ~4 GB/s); de ahí en adelante, una muestra
_SUBMODULOS = ("numpy.testing", "numpy.random", "numpy.linalg", "keras.layers", "keras.losses", "keras.metrics",
               "keras.optimizers", "keras.activations", "keras.callbacks", "keras.utils", "keras.ops",
               "tensorflow.math", "tensorflow.nn", "tensorflow.random", "builtins")


def _globales(espacio: dict) -> dict:
    """Los globales del cuaderno (sin los de IPython ni los que empiezan por doble guion bajo)."""
    return {n: v for n, v in espacio.items() if not n.startswith("__") and not _IPYTHON.match(n)}


def _es_codigo(v) -> bool:
    """Función o clase que una llamada no modifica: de una biblioteca (su estado lo vigila ``bibliotecas``) o
    del cuaderno sin estado propio (ni celdas de cierre ni valores por defecto mutables)."""
    if isinstance(v, (types.BuiltinFunctionType, types.BuiltinMethodType, type, np.ufunc)):
        return True
    if isinstance(v, types.FunctionType):
        if v.__module__ != "__main__":
            return True
        defectos = (v.__defaults__ or ()) + tuple((v.__kwdefaults__ or {}).values())
        return not v.__closure__ and all(tipo(d) == "inmutable" for d in defectos)
    return False


def tipo(v) -> str:
    """modulo, codigo, inmutable, arreglo u objeto (ver ``dependencias.Catalogo``)."""
    if isinstance(v, types.ModuleType):
        return "modulo"
    if _es_codigo(v):
        return "codigo"
    if isinstance(v, (int, float, complex, str, bytes, bool, type(None), range, np.generic)):
        return "inmutable"
    if isinstance(v, (tuple, frozenset)):
        return "inmutable" if all(tipo(x) == "inmutable" for x in v) else "objeto"
    if type(v).__name__ == "EagerTensor":
        return "inmutable"
    if isinstance(v, np.ndarray) and v.dtype != object:
        return "arreglo"
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(v, tf.Variable):
        return "arreglo"
    return "objeto"


def _origen(v) -> str:
    if isinstance(v, types.ModuleType):
        return v.__name__
    return f"{getattr(v, '__module__', '')}.{getattr(v, '__qualname__', '')}"


def _raiz_memoria(v):
    while isinstance(getattr(v, "base", None), np.ndarray):
        v = v.base
    return v


def catalogo(espacio: dict) -> str:
    """JSON con ``tipos``, ``origenes``, ``comparten`` y ``exactos`` (ver ``dependencias.Catalogo``)."""
    g = _globales(espacio)
    tipos = {n: tipo(v) for n, v in g.items()}
    origenes = {n: _origen(v) for n, v in g.items() if tipos[n] in ("modulo", "codigo")}
    por_objeto: dict[int, list[str]] = {}
    for n, v in g.items():
        if tipos[n] in ("arreglo", "objeto"):
            por_objeto.setdefault(id(_raiz_memoria(v)), []).append(n)
    comparten = [sorted(ns) for ns in por_objeto.values() if len(ns) > 1]
    exactos = [n for n, h in json.loads(huellas(espacio)).items() if "~" not in h]
    return json.dumps({"tipos": tipos, "origenes": origenes, "comparten": comparten, "exactos": exactos})


def _crc_arreglo(a: np.ndarray) -> str:
    """crc32 de los bytes de un arreglo; si es grande, de una muestra regular (la huella empieza por «~»: no
    es exacta)."""
    plano = np.ascontiguousarray(a).reshape(-1)
    muestra = plano.nbytes > _MAXIMO_COMPLETO
    if muestra:
        plano = np.ascontiguousarray(plano[:: max(1, plano.nbytes // _MAXIMO_COMPLETO)])
    return f"{'~' if muestra else ''}{a.dtype}{a.shape}:{zlib.crc32(plano.view(np.uint8))}"


def huella(v, profundidad: int = 0) -> str | None:
    """Huella de un dato (None si no se sabe comparar). Si contiene «~», una parte es una muestra: un cambio
    pequeño puede no notarse."""
    if isinstance(v, (int, float, complex, str, bytes, bool, type(None), range, np.generic)):
        return repr(v)
    if isinstance(v, np.ndarray):
        return _crc_arreglo(v) if v.dtype != object else None
    if hasattr(v, "numpy") and type(v).__name__ in ("EagerTensor", "ResourceVariable"):
        return _crc_arreglo(np.asarray(v.numpy()))
    if profundidad < 3 and isinstance(v, (list, tuple, dict)):
        partes = [huella(x, profundidad + 1) for x in (v.items() if isinstance(v, dict) else v)]
        return None if None in partes else f"{type(v).__name__}[{','.join(partes)}]"
    if hasattr(v, "get_weights") and callable(v.get_weights):  # modelo o capa de Keras
        try:
            return "pesos[" + ",".join(_crc_arreglo(np.asarray(w)) for w in v.get_weights()) + "]"
        except Exception:  # noqa: BLE001 — sin construir, etc.: no se compara
            return None
    return None


def huellas(espacio: dict) -> str:
    """JSON nombre -> huella de cada dato que se sabe comparar."""
    resultado = {}
    for n, v in _globales(espacio).items():
        if tipo(v) not in ("modulo", "codigo"):
            h = huella(v)
            if h is not None:
                resultado[n] = h
    return json.dumps(resultado)


def _firma(v) -> str:
    """Lo que identifica un atributo de un módulo aunque el módulo se vuelva a importar."""
    codigo = getattr(v, "__code__", None)
    if codigo is not None:
        return f"f:{getattr(v, '__qualname__', '')}:{zlib.crc32(codigo.co_code)}:{codigo.co_names}"
    if isinstance(v, types.ModuleType):  # los de carga diferida cambian de tipo y de nombre al usarlos
        return "m"
    if isinstance(v, (types.BuiltinFunctionType, type)):
        return f"o:{getattr(v, '__module__', '')}.{getattr(v, '__qualname__', '')}"
    if isinstance(v, (int, float, complex, str, bytes, bool, type(None))):
        return "v:" + repr(v)[:200]
    return "t:" + type(v).__qualname__


def _configuracion() -> dict:
    config = {"numpy.geterr": repr(sorted(np.geterr().items())),
              "numpy.printoptions": repr(sorted(np.get_printoptions().items())),
              "warnings.filters": repr([(f[0], str(f[1]), getattr(f[2], "__name__", ""), str(f[3]), f[4])
                                        for f in warnings.filters]),
              "os.cwd": os.getcwd(), "os.environ": repr(sorted(os.environ.items())), "sys.path": repr(sys.path),
              "sys.recursionlimit": str(sys.getrecursionlimit())}
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "config"):
        for nombre in ("floatx", "epsilon", "image_data_format", "backend"):
            config[f"keras.{nombre}"] = repr(getattr(keras.config, nombre)())
        politica = getattr(keras.config, "dtype_policy", None)
        config["keras.dtype_policy"] = repr(getattr(politica(), "name", None)) if politica else ""
    return config


def bibliotecas(espacio: dict) -> str:
    """JSON con la firma de cada atributo de los módulos del cuaderno y la configuración de las bibliotecas."""
    modulos = {v.__name__: v for v in _globales(espacio).values() if isinstance(v, types.ModuleType)}
    modulos.update({n: m for n, m in sys.modules.items()
                    if m is not None and (n in _SUBMODULOS or n == "curso" or n.startswith("curso."))})
    firmas = {f"{nombre}.{atributo}": _firma(v) for nombre, m in modulos.items()
              for atributo, v in list(vars(m).items()) if not atributo.startswith("__")}
    return json.dumps({**firmas, **_configuracion()})
