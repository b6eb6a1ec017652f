"""Nada del camino del alumno depende de POSIX (Windows, macOS): las rutas de NumPy con «\\» y sin distinguir
mayúsculas, y los módulos del alumno y las órdenes `lab`, `autoevaluar` y `comparar` sin ``resource``, ``fcntl``,
``os.getuid`` ni ``prctl``. Se simula en Linux: ``ntpath`` para las rutas y ``tests/sin_unix/sitecustomize.py``
(que quita esas cosas al código del curso) para las importaciones."""
from __future__ import annotations

import importlib.util
import json
import ntpath
import os
import pkgutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numpy as np

import curso
from curso import comprobar, config
from grader.nucleo import cuadernos
from tests.conftest import TAREA_MINIMA, entregar, fuente_minima

SIN_UNIX = Path(__file__).parent / "sin_unix"
NUMPY_EN_WINDOWS = r"C:\Users\Ana\curso\.venv\Lib\site-packages\numpy"
# Lo que el calificador importa para las órdenes del alumno (python -m grader lab, autoevaluar, comparar).
MODULOS_DEL_ALUMNO = ("grader.cli", "grader.alumno.lab", "grader.alumno.autoevaluacion", "grader.alumno.comparacion")


def _funcion_en(archivo: str):
    """Una función cuyo código dice vivir en ``archivo`` (como las de NumPy instalado en Windows)."""
    espacio: dict = {}
    exec(compile("def f(x):\n    return x\n", archivo, "exec"), espacio)
    return espacio["f"]


def _comprobar_en_windows(monkeypatch) -> types.ModuleType:
    """Una copia de ``curso.comprobar`` importada con ``os.path`` de Windows y NumPy en una ruta de Windows."""
    spec = importlib.util.spec_from_file_location("comprobar_en_windows", comprobar.__file__)
    modulo = importlib.util.module_from_spec(spec)
    with monkeypatch.context() as m:
        m.setattr(os, "path", ntpath)
        m.setattr(np, "__file__", NUMPY_EN_WINDOWS + r"\__init__.py")
        spec.loader.exec_module(modulo)
    monkeypatch.setattr(modulo, "os", types.SimpleNamespace(path=ntpath), raising=False)  # también al comprobar
    return modulo


def test_carpeta_de_numpy_con_rutas_de_windows(monkeypatch):
    windows = _comprobar_en_windows(monkeypatch)
    assert windows._DIR_NUMPY == NUMPY_EN_WINDOWS.lower()
    de_numpy = _funcion_en(NUMPY_EN_WINDOWS + r"\_core\fromnumeric.py")
    assert windows._genuina(de_numpy, windows._DIR_NUMPY), "una función de NumPy parece reemplazada en Windows"
    mayusculas = _funcion_en(NUMPY_EN_WINDOWS.upper() + r"\TESTING\_PRIVATE\UTILS.PY")
    assert windows._genuina(mayusculas, windows._DIR_NUMPY), "Windows no distingue mayúsculas en las rutas"
    for ajena in (r"C:\Users\Ana\AppData\Local\Temp\ipykernel_1234\5678.py",  # una celda del cuaderno
                  NUMPY_EN_WINDOWS + r"_falso\core.py"):                       # una carpeta hermana
        assert not windows._genuina(_funcion_en(ajena), windows._DIR_NUMPY), ajena


def test_funciones_de_comprobar_con_rutas_de_windows(monkeypatch):
    windows = _comprobar_en_windows(monkeypatch)
    archivo = r"C:\Users\Ana\curso\curso\comprobar.py"
    ruta = windows._ruta(archivo)
    assert windows._codigo_en(_funcion_en(archivo.upper()), ruta)
    assert not windows._codigo_en(_funcion_en(r"C:\Users\Ana\curso\curso\comprobar_falso.py"), ruta)


def _python_sin_unix(codigo: str, tmp_path: Path, **entorno) -> subprocess.CompletedProcess:
    """Ejecuta ``codigo`` con el curso sin lo propio de Unix (``tests/sin_unix``); lo heredan sus kernels."""
    variables = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SIN_UNIX), str(config.RAIZ)]),
                 "CARPETAS_SIN_UNIX": os.pathsep.join(str(config.RAIZ / d) for d in ("curso", "grader")),
                 "USERNAME": "alumno", **entorno}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(codigo)], capture_output=True, text=True,
                          cwd=tmp_path, env=variables, timeout=600)


def test_la_simulacion_quita_lo_de_unix(tmp_path):
    """Sin esto, las demás pruebas de este archivo no probarían nada."""
    del_curso = str(config.RAIZ / "curso" / "config.py")  # código compilado con el nombre de un archivo del curso
    for codigo, error in (("import resource", "No module named 'resource' (simulado"),
                          ("import fcntl", "No module named 'fcntl' (simulado"),
                          ("import os; os.getuid()", "has no attribute 'getuid' (simulado"),
                          ("import ctypes; ctypes.CDLL(None).prctl", "sin libc de Unix (simulado)")):
        r = _python_sin_unix(f"exec(compile({codigo!r}, {del_curso!r}, 'exec'), {{}})", tmp_path)
        assert error in r.stderr, (codigo, r.stderr)
    fuera = "import os, ctypes, resource; os.getuid(); ctypes.CDLL(None)"
    normal = subprocess.run([sys.executable, "-c", fuera], capture_output=True, text=True)
    assert _python_sin_unix(fuera, tmp_path).returncode == normal.returncode  # fuera del curso, nada cambia


def test_modulos_del_alumno_sin_unix(tmp_path):
    modulos = sorted(f"curso.{m.name}" for m in pkgutil.iter_modules(curso.__path__)) + list(MODULOS_DEL_ALUMNO)
    r = _python_sin_unix(f"""
        import importlib, json, sys
        for nombre in {modulos!r}:
            importlib.import_module(nombre)
        from grader.alumno import lab
        from grader.nucleo import cuadernos
        privada = cuadernos.carpeta_privada()  # la carpeta de cada kernel de autoevaluar y comparar
        import shutil; shutil.rmtree(privada)
        print(json.dumps({{"dir_kernels": str(cuadernos.DIR_KERNELS), "orden_lab": lab.orden(),
                          "motor": sorted(m for m in sys.modules if m.startswith("grader.motor"))}}))
        """, tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    visto = json.loads(r.stdout.splitlines()[-1])
    assert visto["dir_kernels"].endswith("curso-kernels-alumno"), visto
    assert visto["orden_lab"][1:3] == ["-m", "jupyterlab"], visto
    assert visto["motor"] == [], f"las órdenes del alumno importan el motor de calificación: {visto['motor']}"
    for orden in ("lab", "autoevaluar", "comparar"):
        r = _python_sin_unix(f"import sys; from grader.cli import main; sys.exit(main([{orden!r}, '--help']))",
                             tmp_path)
        assert r.returncode == 0 and "uso:" in r.stdout, (orden, r.stderr[-2000:])


def test_vigia_sin_unix(tmp_path):
    """Al calificar con --sin-aislamiento en macOS o Windows, el vigía lanza el kernel sin prctl ni resource."""
    archivo = tmp_path / "vigia.json"
    r = _python_sin_unix(f"""
        import runpy, sys
        sys.argv = ["vigia.py", {str(archivo)!r}, "--", sys.executable, "-c", "print('hola')"]
        runpy.run_path({str(config.RAIZ / "grader" / "motor" / "vigia.py")!r}, run_name="__main__")
        """, tmp_path)
    assert r.returncode == 0 and "hola" in r.stdout, r.stderr[-3000:]
    assert json.loads(archivo.read_text())["codigo"] == 0


def _solo_python(tmp_path: Path) -> str:
    """Un PATH sin bubblewrap ni prlimit, como en macOS o Windows (los kernels se lanzan con ``sys.executable``)."""
    carpeta = tmp_path / "bin"
    carpeta.mkdir()
    return str(carpeta)


def test_autoevaluar_sin_unix(copia_curso_minimo, tmp_path):
    """autoevaluar en un sistema sin lo de Unix, con su kernel también sin ello: la nota de las pruebas visibles."""
    raiz = copia_curso_minimo
    entrega = entregar(raiz, "ana", fuente_minima(raiz))
    r = _python_sin_unix(f"""
        from pathlib import Path
        from grader.alumno import autoevaluacion
        a = autoevaluacion.autoevaluar(Path({str(entrega)!r}), {TAREA_MINIMA!r}, raiz=Path({str(raiz)!r}))
        print(autoevaluacion.texto(a))
        """, tmp_path, PATH=_solo_python(tmp_path))
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Puntos según las pruebas visibles: 5 de 5." in r.stdout, r.stdout


def test_calificar_sin_aislamiento_sin_unix(copia_curso_minimo, tmp_path):
    """calificar --sin-aislamiento de un instructor en macOS o Windows (sin bubblewrap ni prlimit): califica y
    cada resultado lo dice. El kernel no hereda la simulación: el sondeo del calificador vería su buscador de
    módulos como una manipulación (el kernel ejecuta ``curso``, que ya prueba ``test_autoevaluar_sin_unix``)."""
    raiz = copia_curso_minimo
    entregar(raiz, "ana", fuente_minima(raiz))
    r = _python_sin_unix(f"""
        from pathlib import Path
        from grader.motor import lote
        from grader.nucleo.limites import Limites
        print(lote.calificar_carpeta(Path({str(raiz / config.DIR_ENTREGAS)!r}), [{TAREA_MINIMA!r}],
                                     raiz=Path({str(raiz)!r}), progreso=False, limites=Limites(aislar=False)))
        """, tmp_path, PATH=_solo_python(tmp_path), SIN_UNIX_SOLO_ESTE_PROCESO="1")
    assert r.returncode == 0, r.stderr[-3000:]
    resultado = json.loads((raiz / config.DIR_CALIFICADOS / "ana" / TAREA_MINIMA / "resultado.json").read_text())
    assert resultado["puntos"] == 5 and resultado["banderas"] == ["sin_aislamiento"], resultado
    assert any("SIN aislamiento" in a and "sin tope de memoria" in a for a in resultado["avisos"]), resultado["avisos"]
    assert "calificada sin aislamiento" in r.stdout, r.stdout


def test_kernels_por_tcp_local_en_windows(monkeypatch):
    """Windows no tiene sockets IPC de ZeroMQ: los kernels de autoevaluar y comparar usan TCP en 127.0.0.1."""

    prefijo = Path("k") / "ipc"
    if os.name != "nt":
        assert cuadernos.conexion(prefijo) == {"transport": "ipc", "ip": str(prefijo)}
    monkeypatch.setattr(os, "name", "nt")
    assert cuadernos.conexion(prefijo) == {"transport": "tcp", "ip": "127.0.0.1"}
