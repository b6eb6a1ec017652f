"""¿Siguen corriendo los cuadernos con lo último de PyPI? (``make ultimas``)

Colab adelanta TensorFlow, Keras y NumPy a las versiones fijadas del curso. ``make ultimas`` crea un segundo
entorno (``.venv-ultimas``) con las dependencias directas de ``requirements.in`` **sin fijar** (lo más nuevo
que haya en PyPI) y, dentro de él, ``informe()`` ejecuta cada cuaderno fuente entero: un error en una celda es
una rotura; una salida de referencia (``# NBVAL_CHECK_OUTPUT``) distinta solo se cuenta (los números pueden
moverse un poco entre versiones).

``make anteriores`` hace lo mismo en ``.venv-anteriores`` con la versión menor anterior de TensorFlow y las de
Keras y NumPy que la acompañan (``ANTERIORES``: lo que trae un Colab con unos meses de retraso); el resto de
dependencias directas, sin fijar.
"""
from __future__ import annotations

import copy
import re
import time
from pathlib import Path

import nbformat

from curso import config
from grader.nucleo import celdas, cuadernos

# La versión menor anterior de TensorFlow con su Keras y su NumPy (make anteriores): un solo sitio.
ANTERIORES = {"tensorflow": "2.20.*", "tensorflow-cpu": "2.20.*", "keras": "3.12.*", "numpy": "2.2.*"}


def requisitos_sin_fijar(directas: Path = config.RAIZ / "requirements.in", fijas: dict[str, str] | None = None) -> str:
    """Las dependencias directas sin versión (con sus marcadores de plataforma), una por línea; las que están
    en ``fijas`` (nombre → versión, p. ej. ``ANTERIORES``) llevan ``==`` esa versión."""
    from packaging.requirements import Requirement

    fijas = fijas or {}
    lineas = []
    for linea in directas.read_text(encoding="utf-8").splitlines():
        if linea.strip() and not linea.lstrip().startswith("#"):
            r = Requirement(linea)
            extras = f"[{','.join(sorted(r.extras))}]" if r.extras else ""
            version = f"=={fijas[r.name]}" if r.name in fijas else ""
            lineas.append(f"{r.name}{extras}{version}" + (f"; {r.marker}" if r.marker else ""))
    return "\n".join(lineas) + "\n"


def _texto(celda) -> str:
    partes = []
    for s in celda.get("outputs", []):
        if s.get("output_type") == "stream":
            partes.append(s.get("text", ""))
        elif s.get("output_type") in ("execute_result", "display_data"):
            partes.append(s.get("data", {}).get("text/plain", ""))
    return "".join("".join(p) if isinstance(p, list) else p for p in partes)


def ejecutar_tarea(tarea: str) -> tuple[list[tuple[int, str, str]], int, int, str, float]:
    """Ejecuta la fuente entera en un kernel de este entorno. Devuelve (errores, salidas de referencia
    distintas, salidas de referencia, versiones que imprimió la cabecera, segundos)."""
    referencia = nbformat.read(config.cuaderno_fuente(tarea), as_version=4)
    nb = copy.deepcopy(referencia)
    inicio = time.monotonic()
    cuadernos.ejecutar(nb, config.cuaderno_fuente(tarea).parent, omitir=False)
    segundos = time.monotonic() - inicio
    marcadas = [(a, b) for a, b in zip(referencia.cells, nb.cells) if celdas.compara_salida(a)]
    distintas = sum(_texto(a).strip() != _texto(b).strip() for a, b in marcadas)
    primera = next(c for c in nb.cells if c.cell_type == "code")
    versiones = re.search(r"Listo: (.*?), semilla", _texto(primera))
    return cuadernos.errores(nb), distintas, len(marcadas), versiones.group(1) if versiones else "?", segundos


def informe(tareas: list[str] | None = None) -> int:
    """Ejecuta cada cuaderno (o los de ``tareas``) e imprime el resultado. 1 si alguno tiene celdas con error."""
    codigo = 0
    for tarea in tareas or config.tareas():
        errores, distintas, marcadas, versiones, segundos = ejecutar_tarea(tarea)
        codigo |= bool(errores)
        estado = "corre entero" if not errores else f"ROTO: {len(errores)} celda(s) con error"
        print(f"{tarea}: {estado} en {segundos:.0f} s con {versiones}; "
              f"{distintas} de {marcadas} salidas de referencia distintas")
        for indice, tipo, mensaje in errores:
            print(f"    celda {indice}: {tipo}: {mensaje[:300]}")
    return codigo
