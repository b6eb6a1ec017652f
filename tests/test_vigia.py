"""El vigía del kernel anota cómo terminó y su pico de memoria aunque muera en cuanto llena la memoria."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from grader.motor import vigia

TOPE = 1024**3
LLENAR_Y_MORIR = ("_l = []\ntry:\n    while True:\n        _l.append(bytearray(10**6))\n"
                  "except MemoryError:\n    pass\nimport os\nos._exit(7)\n")


def _vigilar(tmp_path: Path, codigo: str, tope: int | None = None) -> dict:
    archivo = tmp_path / "vigia.json"
    orden = [sys.executable, "-I", vigia.__file__, str(archivo), "--", sys.executable, "-c", codigo]
    if tope:
        orden = ["prlimit", f"--as={tope}", "--", *orden]
    r = subprocess.run(orden, capture_output=True, text=True, timeout=60)
    return {"salida": r.returncode, **json.loads(archivo.read_text())}


def test_pico_de_un_kernel_que_muere_al_llenar_la_memoria(tmp_path):
    assert shutil.which("prlimit"), "falta prlimit (util-linux): sin él el calificador no pone tope de memoria"
    final = _vigilar(tmp_path, LLENAR_Y_MORIR, TOPE)
    assert final["codigo"] == final["salida"] == 7
    assert final["pico_virtual"] >= 0.9 * TOPE, final


def test_un_proceso_pequeno_no_roza_el_tope_y_la_senal_se_anota(tmp_path):
    final = _vigilar(tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    assert final["codigo"] == -9 and final["salida"] == 137
    assert 0 < final["pico_virtual"] < 0.5 * TOPE and 0 < final["pico_rss"] < 0.5 * TOPE, final
