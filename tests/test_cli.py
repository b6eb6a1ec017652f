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


def test_ayuda_de_calificar_dice_lo_que_hace_el_codigo(tmp_path):
    """Cada afirmación de la ayuda de `calificar` se comprueba contra las constantes y la caja de verdad."""
    from grader.motor.ejecucion import Aislamiento
    from grader.nucleo.limites import SIN_AISLAMIENTO

    r = _grader("calificar", "--help")
    assert r.returncode == 0
    ayuda = " ".join(r.stdout.split())
    for opcion, valor in (("--tiempo-por-celda", config.TIEMPO_POR_CELDA_S),
                          ("--tiempo-total", config.TIEMPO_POR_CUADERNO_S),
                          ("--memoria", f"{config.MEMORIA_KERNEL_BYTES / 1024**3:g}"),
                          ("--disco-tmp", config.DISCO_TMP_BYTES // 1024**2),
                          ("--disco-trabajo", config.DISCO_TRABAJO_BYTES // 1024**2),
                          ("--salida-por-celda", config.SALIDA_POR_CELDA_BYTES // 1024),
                          ("--salida-total", config.SALIDA_POR_CUADERNO_BYTES // 1024)):
        tramo = ayuda[ayuda.rindex(f"{opcion} "):]  # la entrada de la opción (no la línea de uso)
        assert f"(por defecto {valor})" in tramo[:tramo.index(")") + 1], opcion
    # --sin-aislamiento: la ayuda dice lo que cambia y lo que se mantiene, y es lo que hace la caja
    assert " ".join(SIN_AISLAMIENTO.split()) in ayuda
    sin = Aislamiento(aislar=False).prefijo(tmp_path)
    con = Aislamiento(aislar=True).prefijo(tmp_path)
    assert "se mantienen el tope de memoria (con prlimit, si existe)" in SIN_AISLAMIENTO
    assert any(a.startswith("--as=") for a in sin) == Aislamiento.tope_de_memoria()  # el tope de memoria sigue
    assert "tiene red" in SIN_AISLAMIENTO and "--unshare-net" not in sin and "--unshare-net" in con
    assert "su disco no tiene tope" in SIN_AISLAMIENTO and "--size" not in sin
    assert "--size" in con or not Aislamiento.tope_de_disco()
    assert "sin tope de memoria" not in ayuda
    # --sin-canario: por defecto se comprueba el entorno antes (lo prueba tests/test_canario.py)
    assert "--sin-canario no comprueba antes el entorno" in ayuda
