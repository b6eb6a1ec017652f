"""Marcas de texto que identifican las celdas calificadas, y los metadatos de nbgrader que se derivan.

Cada celda calificada lleva su id estable en su primera línea, así se reconoce aunque un editor
borre los metadatos de nbgrader:

- ``# EJERCICIO <id>``: respuesta del alumno (``### BEGIN SOLUTION`` … ``### END SOLUTION``).
- ``# PRUEBAS <id> (<n> puntos)``: pruebas visibles y ``### BEGIN HIDDEN TESTS`` del ejercicio <id>.
- ``<!-- RESPUESTA <id> (<n> puntos) -->``: respuesta escrita, calificada a mano.
- ``# CABECERA``: la celda de preparación común (bloqueada; puede ir tras un ``#@title`` de Colab).

Una línea ``# OMITIR_AL_CALIFICAR`` marca una celda lenta (un entrenamiento completo, un gráfico
interactivo) que no hace falta para calificar: el calificador no la ejecuta, y nbgrader tampoco (recibe
la etiqueta ``ETIQUETA_OMITIR``, derivada de la marca).

Las pistas de un ejercicio van en el Markdown de su enunciado, plegadas:
``<details><summary>Pista 1</summary> … </details>``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from curso.progreso import MARCA_EJERCICIO, MARCA_PRUEBAS, RE_EJERCICIO, RE_PRUEBAS  # el kernel del alumno las lee

MARCA_CABECERA = "# CABECERA"  # la celda de preparación (``grader.mantenimiento.cabecera`` la genera)
TITULO_CABECERA = '#@title Preparación del cuaderno: ejecuta esta celda primero { display-mode: "form" }'
MARCA_RESPUESTA = "<!-- RESPUESTA"
RE_RESPUESTA = re.compile(rf"^{re.escape(MARCA_RESPUESTA)} (?P<id>[a-z0-9_]+) \((?P<puntos>\d+) puntos?\) -->\s*$")
MARCA_NBVAL = "# NBVAL_CHECK_OUTPUT"  # nbval compara la salida guardada de esta celda (``make validar``, ``comparar``)
MARCA_OMITIR = "# OMITIR_AL_CALIFICAR"
ETIQUETA_OMITIR = "omitir-al-calificar"  # nbgrader (Execute.skip_cells_with_tag) y el calificador la saltan
RE_PISTA = re.compile(r"<summary>\s*Pista\b", re.I)
INICIO_OCULTAS = "### BEGIN HIDDEN TESTS"
FIN_OCULTAS = "### END HIDDEN TESTS"
INICIO_SOLUCION = "### BEGIN SOLUTION"
FIN_SOLUCION = "### END SOLUTION"
# Primera línea de toda sección oculta: importa una copia limpia de `comprobar`, de modo que
# reemplazar sus funciones desde una respuesta no sirve para aprobar.
REIMPORTAR_COMPROBAR = (
    'import sys; sys.modules.pop("curso.comprobar", None); import curso.comprobar as comprobar'
)
SUFIJO_PRUEBAS = "-pruebas"
ID_CABECERA = "cabecera"


@dataclass(frozen=True)
class Marca:
    """Lo que la primera línea de una celda dice de ella."""

    tipo: str  # "ejercicio" | "pruebas" | "respuesta" | "cabecera"
    ejercicio: str  # id del ejercicio ("" en la cabecera)
    puntos: int = 0

    @property
    def linea(self) -> str:
        """La primera línea que lleva esta marca (lo contrario de ``marca``)."""
        puntos = f"({self.puntos} punto{'' if self.puntos == 1 else 's'})"
        return {"ejercicio": f"{MARCA_EJERCICIO} {self.ejercicio}",
                "pruebas": f"{MARCA_PRUEBAS} {self.ejercicio} {puntos}",
                "respuesta": f"{MARCA_RESPUESTA} {self.ejercicio} {puntos} -->",
                "cabecera": MARCA_CABECERA}[self.tipo]

    @property
    def grade_id(self) -> str:
        if self.tipo == "pruebas":
            return self.ejercicio + SUFIJO_PRUEBAS
        if self.tipo == "cabecera":
            return ID_CABECERA
        return self.ejercicio


def es_cabecera(celda) -> bool:
    """¿Es la celda de preparación que abre cada cuaderno (con o sin el título de formulario de Colab)?"""
    return celda.cell_type == "code" and celda.source.startswith(
        (MARCA_CABECERA, TITULO_CABECERA + "\n" + MARCA_CABECERA))


def compara_salida(celda) -> bool:
    """¿Lleva la celda una línea ``MARCA_NBVAL`` (nbval compara su salida con la guardada)?"""
    return celda.cell_type == "code" and any(linea.strip() == MARCA_NBVAL for linea in celda.source.splitlines())


def marca(celda) -> Marca | None:
    """La marca de una celda según su primera línea, o None si no es una celda especial."""
    primera = celda.source.split("\n", 1)[0].strip() if celda.source else ""
    if celda.cell_type == "code":
        if es_cabecera(celda):
            return Marca("cabecera", "")
        if m := RE_EJERCICIO.match(primera):
            return Marca("ejercicio", m["id"])
        if m := RE_PRUEBAS.match(primera):
            return Marca("pruebas", m["id"], int(m["puntos"]))
    elif celda.cell_type == "markdown" and (m := RE_RESPUESTA.match(primera)):
        return Marca("respuesta", m["id"], int(m["puntos"]))
    return None


def se_omite(celda) -> bool:
    """True si la celda es de código y tiene una línea ``# OMITIR_AL_CALIFICAR``."""
    return celda.cell_type == "code" and any(
        linea.strip() == MARCA_OMITIR for linea in celda.source.splitlines()
    )


def metadatos_nbgrader(m: Marca) -> dict:
    """Metadatos nbgrader (esquema 3) que corresponden a una marca."""
    base = {"grade_id": m.grade_id, "schema_version": 3}
    if m.tipo == "ejercicio":
        return {**base, "grade": False, "solution": True, "locked": False}
    if m.tipo == "pruebas":
        return {**base, "grade": True, "solution": False, "locked": True, "points": m.puntos}
    if m.tipo == "respuesta":
        return {**base, "grade": True, "solution": True, "locked": False, "points": m.puntos}
    return {**base, "grade": False, "solution": False, "locked": True}


def normalizar(nb) -> None:
    """Deriva de las marcas de texto los metadatos nbgrader, el id y la etiqueta de omitir de cada celda."""
    for celda in nb.cells:
        m = marca(celda)
        celda.metadata.pop("nbgrader", None)
        if m is not None:
            celda.metadata["nbgrader"] = metadatos_nbgrader(m)
            celda["id"] = m.grade_id
        etiquetas = [e for e in celda.metadata.get("tags", []) if e != ETIQUETA_OMITIR]
        if se_omite(celda):
            etiquetas.append(ETIQUETA_OMITIR)
        if etiquetas:
            celda.metadata["tags"] = etiquetas
        else:
            celda.metadata.pop("tags", None)


def pistas(nb) -> dict[str, int]:
    """Número de pistas plegadas (``<summary>Pista …``) en el enunciado de cada ejercicio: el Markdown
    entre la celda calificada anterior y la celda ``# EJERCICIO``."""
    cuenta, acumuladas = {}, 0
    for celda in nb.cells:
        m = marca(celda)
        if celda.cell_type == "markdown" and m is None:
            acumuladas += len(RE_PISTA.findall(celda.source))
        elif m is not None and m.tipo == "ejercicio":
            cuenta[m.ejercicio], acumuladas = acumuladas, 0
        elif m is not None:
            acumuladas = 0
    return cuenta


def ejercicios(nb) -> list[Marca]:
    """Marcas de las celdas que dan puntos (pruebas y respuestas escritas), en orden."""
    return [m for c in nb.cells if (m := marca(c)) is not None and m.tipo in ("pruebas", "respuesta")]


def errores_de_estructura(nb) -> list[str]:
    """Problemas de un cuaderno fuente: ids repetidos, pruebas sin ejercicio o ejercicio sin pruebas."""
    problemas = []
    vistos: set[str] = set()
    ejercicios_vistos, pruebas_vistas = [], []
    for celda in nb.cells:
        m = marca(celda)
        if m is None:
            continue
        if m.grade_id in vistos:
            problemas.append(f"id repetido: {m.grade_id}")
        vistos.add(m.grade_id)
        if se_omite(celda):
            problemas.append(f"la celda {m.grade_id} lleva {MARCA_OMITIR}: al calificar no se ejecutaría")
        if m.tipo == "ejercicio":
            ejercicios_vistos.append(m.ejercicio)
            if INICIO_SOLUCION not in celda.source:
                problemas.append(f"el ejercicio {m.ejercicio} no tiene {INICIO_SOLUCION}")
        elif m.tipo == "pruebas":
            pruebas_vistas.append(m.ejercicio)
            if m.ejercicio not in ejercicios_vistos:
                problemas.append(f"las pruebas de {m.ejercicio} van antes que su ejercicio (o no existe)")
            lineas = [linea.strip() for linea in celda.source.splitlines()]
            if INICIO_OCULTAS not in lineas:
                problemas.append(f"las pruebas de {m.ejercicio} no tienen {INICIO_OCULTAS}")
            elif lineas[lineas.index(INICIO_OCULTAS) + 1] != REIMPORTAR_COMPROBAR:
                problemas.append(f"las pruebas ocultas de {m.ejercicio} no empiezan con: {REIMPORTAR_COMPROBAR}")
    for e in ejercicios_vistos:
        if e not in pruebas_vistas:
            problemas.append(f"el ejercicio {e} no tiene celda de pruebas")
    return problemas
