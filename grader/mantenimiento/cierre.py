"""Las dos celdas generadas con las que termina cada cuaderno, desde una sola plantilla.

- Una línea de Markdown que explica qué hace la celda de abajo.
- Una celda de código (``# PROGRESO``) que llama a ``curso.progreso.resumen`` con los ejercicios del cuaderno
  y sus puntos (derivados de sus marcas): en el kernel vivo, qué ejercicios superaron sus comprobaciones
  visibles y cuántos puntos suman según ellas. Sirve donde no hay ``make autoevaluar`` (Colab).

No es un ejercicio: no lleva marca de nbgrader ni se califica; al calificar se ejecuta como una celda más y
solo imprime. ``aplicar`` las pone al final (``python -m grader cabeceras`` y ``fuentes.preparar`` lo hacen en
cada cuaderno); ``desactualizados`` lista las fuentes que no las tienen al día.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from curso import config
from grader.nucleo import celdas, cuadernos

MARCA = "# PROGRESO"
MARCA_TEXTO = "<!-- PROGRESO (generada por `python -m grader cabeceras`; no la edites) -->"
ID_CODIGO = "progreso"
ID_TEXTO = "progreso-texto"

TEXTO = f"""{MARCA_TEXTO}
**Tu progreso.** Ejecuta la celda de abajo cuando quieras (por ejemplo, al terminar): dice qué ejercicios
superaron ya sus comprobaciones visibles en esta sesión y cuántos puntos suman según ellas. No es la nota: al
calificar se añaden pruebas ocultas."""


def _diccionario(pares: dict[str, int]) -> str:
    return "{" + ", ".join(f'"{e}": {p}' for e, p in pares.items()) + "}"


def codigo(nb) -> str:
    """El código de la celda de progreso de ``nb``: sus ejercicios automáticos y sus respuestas escritas."""

    marcas = celdas.ejercicios(nb)
    automaticos = {m.ejercicio: m.puntos for m in marcas if m.tipo == "pruebas"}
    manuales = {m.ejercicio: m.puntos for m in marcas if m.tipo == "respuesta"}
    llamada = f"resumen({_diccionario(automaticos)}" + (f",\n        manuales={_diccionario(manuales)})"
                                                         if manuales else ")")
    return (f"{MARCA} · generada por `python -m grader cabeceras`; no la edites\n"
            f"from curso.progreso import resumen\n{llamada}")


def es_codigo(celda) -> bool:
    return celda.cell_type == "code" and celda.source.startswith(MARCA + " ")


def es_texto(celda) -> bool:
    return celda.cell_type == "markdown" and celda.source.startswith(MARCA_TEXTO)


def es_cierre(celda) -> bool:
    """True si la celda es una de las dos generadas por este módulo."""
    return es_codigo(celda) or es_texto(celda)


def aplicar(nb) -> bool:
    """Pone al final de ``nb`` las celdas de progreso vigentes. Devuelve True si cambió algo."""
    texto = nbformat.v4.new_markdown_cell(TEXTO, id=ID_TEXTO)
    nuevo = nbformat.v4.new_code_cell(codigo(nb), id=ID_CODIGO)
    actuales = [c for c in nb.cells if es_cierre(c)]
    if nb.cells[-2:] == actuales and [c.source for c in actuales] == [texto.source, nuevo.source]:
        return False
    viejo = next((c for c in actuales if es_codigo(c)), None)
    if viejo is not None and viejo.source == nuevo.source:
        nuevo = viejo  # conserva su salida: no hace falta volver a ejecutar el cuaderno por ella
    nb.cells = [c for c in nb.cells if not es_cierre(c)] + [texto, nuevo]
    return True


def aplicar_a(tareas: list[str], raiz: Path = config.RAIZ) -> list[str]:
    """Aplica ``aplicar`` a las fuentes de ``tareas`` y las escribe; devuelve las que cambiaron."""
    cambiadas = []
    for tarea in tareas:
        nb = cuadernos.leer_fuente(tarea, raiz)
        if aplicar(nb):
            cuadernos.escribir(nb, config.cuaderno_fuente(tarea, raiz))
            cambiadas.append(tarea)
    return cambiadas


def desactualizados(raiz: Path = config.RAIZ) -> list[str]:
    """Tareas cuya fuente en ``solutions/`` no termina con las celdas de progreso vigentes."""
    return [t for t in config.tareas(raiz)
            if aplicar(nbformat.read(config.cuaderno_fuente(t, raiz), as_version=4))]
