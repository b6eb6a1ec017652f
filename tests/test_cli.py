"""La línea de órdenes habla español y falla con mensajes claros."""
from __future__ import annotations

import subprocess
import sys

from curso import config


def _grader(*args):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=config.RAIZ)


def test_ayuda_en_espanol():
    r = _grader("--help")
    assert r.returncode == 0
    assert "uso:" in r.stdout and "muestra esta ayuda" in r.stdout and "califica una carpeta" in r.stdout


def test_orden_desconocida():
    r = _grader("calificame")
    assert r.returncode == 2 and "opción no válida" in r.stderr


def test_tarea_desconocida():
    r = _grader("publicar", "--comprobar", "77_nada")
    assert r.returncode != 0 and "no existe la tarea «77_nada»" in (r.stdout + r.stderr)


def test_carpeta_de_entregas_inexistente(tmp_path):
    r = _grader("calificar", str(tmp_path / "no_existe"))
    assert r.returncode == 2 and "No existe la carpeta de entregas" in r.stderr and "Traceback" not in r.stderr
