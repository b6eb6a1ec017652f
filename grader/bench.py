"""`make bench`: tiempos de ejecución de cada cuaderno y de la calificación de una entrega.

Objetivos (medidos en la máquina de 2 núcleos sin GPU): cada cuaderno completo < 180 s; calificar una
entrega (sin las celdas # OMITIR_AL_CALIFICAR) en pocos segundos más el arranque de TensorFlow.
"""
from __future__ import annotations

import copy
import tempfile
import time
from pathlib import Path

import nbformat

from curso import config
from grader import calificacion, ejecucion

OBJETIVO_CUADERNO_S = 180


def main() -> int:
    print(f"{'tarea':<20} {'cuaderno completo':>18} {'calificar solución':>19}")
    lento = False
    for tarea in config.tareas():
        fuente = config.cuaderno_fuente(tarea)
        nb = nbformat.read(fuente, as_version=4)
        with tempfile.TemporaryDirectory() as tmp:
            inicio = time.monotonic()
            ejecucion.ejecutar(copy.deepcopy(nb), fuente.parent)
            completo = time.monotonic() - inicio
            inicio = time.monotonic()
            calificacion.calificar_entrega(fuente, fuente, "bench", tarea, Path(tmp))
            calificar = time.monotonic() - inicio
        lento |= completo > OBJETIVO_CUADERNO_S
        print(f"{tarea:<20} {completo:>16.1f} s {calificar:>17.1f} s")
    return 1 if lento else 0


if __name__ == "__main__":
    raise SystemExit(main())
