"""El disco de cada entrega tiene tope (los de ``Limites``): quien lo llena pierde solo ese ejercicio, con un
mensaje en español, igual con un kernel propio que con uno clonado de la madre. Las carpetas tapadas (fuentes,
entregas…) no se pueden escribir: serían un disco sin tope y, en un clon, compartido con los demás clones."""
from __future__ import annotations

import nbformat
import pytest

from curso import config
from grader.motor import calificacion, ejecucion
from grader.nucleo import cuadernos
from grader.nucleo.limites import Limites
from tests.conftest import TAREA_MINIMA, entregar, fuente_minima

MB = 1024**2
TAPADA = config.RAIZ / config.DIR_FUENTES  # la tapa ``aislamiento_para``; fuera de /tmp también la ve un clon
LLENAR_TRABAJO = """\
with open("grande.bin", "wb") as f:  # la carpeta de trabajo
    for _ in range(64):
        f.write(b"x" * (1024 * 1024))
        f.flush()
total = 15
"""
PROBAR_OTROS = """\
import os
def intentar(ruta):
    try:
        with open(ruta, "wb") as f:
            for _ in range(64):
                f.write(b"x" * (1024 * 1024))
                f.flush()
        return "SIN_TOPE"
    except OSError as e:
        return f"errno{e.errno}"
    finally:
        if os.path.exists(ruta):
            os.remove(ruta)
print("TMP", intentar("/tmp/grande.bin"))
print("SHM", intentar("/dev/shm/grande.bin"))
print("DEV", intentar("/dev/grande.bin"))
print("KERNELS", intentar(os.path.join(KERNELS, "grande.bin")))
print("TAPADA", intentar(os.path.join(TAPADA, "grande.bin")))
def doble(v):
    return 2 * np.asarray(v)
"""


@pytest.mark.parametrize("clonado", [False, True], ids=["kernel_propio", "clon_de_la_madre"])
def test_disco_lleno_pierde_solo_ese_ejercicio(copia_curso_minimo, clonado):
    from grader.motor.reserva import Reserva

    raiz = copia_curso_minimo
    limites = Limites(disco_tmp_bytes=16 * MB, disco_trabajo_bytes=16 * MB)
    assert ejecucion.Aislamiento.tope_de_disco(), "este bubblewrap no admite --size"
    nb = fuente_minima(raiz)
    for celda in nb.cells:
        if celda.source.startswith("# EJERCICIO ej99_suma"):
            celda.source = "# EJERCICIO ej99_suma\n" + LLENAR_TRABAJO
        if celda.source.startswith("# EJERCICIO ej99_doble"):
            carpetas = f"KERNELS = {str(cuadernos.DIR_KERNELS)!r}\nTAPADA = {str(TAPADA)!r}\n"
            celda.source = "# EJERCICIO ej99_doble\n" + carpetas + PROBAR_OTROS
    carpeta = raiz / config.DIR_CALIFICADOS / "lleno" / TAREA_MINIMA
    reserva = Reserva(calificacion.aislamiento_para(raiz, limites), tamano=0) if clonado else None
    try:
        assert reserva is None or reserva.clona(), reserva.madre and reserva.madre.error
        r = calificacion.calificar_entrega(entregar(raiz, "lleno", nb), config.cuaderno_fuente(TAREA_MINIMA, raiz),
                                           "lleno", TAREA_MINIMA, carpeta, limites=limites, reserva=reserva)
    finally:
        if reserva is not None:
            reserva.cerrar()
    notas = {n.ejercicio: n for n in r.notas}
    assert r.estado == "ok" and notas["ej99_doble"].puntos == 3
    assert notas["ej99_suma"].puntos == 0 and "Se llenó el disco" in notas["ej99_suma"].mensaje
    assert "16 MB en /tmp y 16 MB en su carpeta de trabajo" in notas["ej99_suma"].mensaje
    assert "disco_lleno" in r.banderas
    ejecutado = nbformat.read(carpeta / f"{TAREA_MINIMA}.ipynb", 4)
    texto = "".join(s.get("text", "") for c in ejecutado.cells if c.source.startswith("# EJERCICIO ej99_doble")
                    for s in c.outputs)
    informe = dict(linea.split(" ", 1) for linea in texto.strip().splitlines())
    # lleno, lleno, solo lectura, lleno (la carpeta de los kernels) y solo lectura (una carpeta tapada; un clon no
    # la ve si vive bajo /tmp: el suyo está vacío)
    tapada = "errno2" if clonado and TAPADA.is_relative_to("/tmp") else "errno30"
    assert informe == {"TMP": "errno28", "SHM": "errno28", "DEV": "errno30", "KERNELS": "errno28",
                       "TAPADA": tapada}, texto


def test_el_tope_va_en_la_orden_de_bubblewrap(tmp_path):
    """Cada tmpfs de ``Aislamiento.tapas`` (la lista que usa también el clon) va en la caja con su tope, y cada
    carpeta tapada es de solo lectura."""
    tapada = tmp_path / "fuentes"
    tapada.mkdir()
    aislamiento = ejecucion.Aislamiento(ocultar=[tapada], disco_tmp_bytes=3 * MB, disco_trabajo_bytes=5 * MB)
    caja = aislamiento.caja(tmp_path)
    pares = [(caja[i + 1], caja[i + 3]) for i in range(len(caja) - 3)
             if caja[i] == "--size" and caja[i + 2] == "--tmpfs"]
    tapas = aislamiento.tapas(tmp_path)
    assert tapas["/tmp"] == tapas["/dev/shm"] == tapas[str(cuadernos.DIR_KERNELS)] == 3 * MB
    assert tapas[str(cuadernos.carpeta_trabajo(tmp_path))] == 5 * MB
    assert sorted(pares) == sorted((str(tope), ruta) for ruta, tope in tapas.items())
    remontadas = [caja[i + 1] for i in range(len(caja) - 1) if caja[i] == "--remount-ro"]
    assert remontadas == ["/dev", str(tapada)]
