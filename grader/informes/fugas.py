"""La comprobación de fugas: ¿deja ver un texto las pruebas ocultas o las soluciones de un cuaderno fuente?

``secretos(fuente)`` reúne, de un cuaderno del instructor (``solutions/…``), las líneas de cada bloque
``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS`` y ``### BEGIN SOLUTION`` … ``### END SOLUTION``,
normalizadas y sin las triviales (cortas, solo signos, o que el alumno ve igualmente porque también están
fuera de esos bloques). ``fugas(texto, secretos)`` dice cuáles de ellas, y cuáles de las propias marcas,
aparecen en un texto (HTML o no): la usan la retroalimentación (nunca escribe una página que fugue) y el
sitio del curso.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

import nbformat

from grader.nucleo.celdas import FIN_OCULTAS, FIN_SOLUCION, INICIO_OCULTAS, INICIO_SOLUCION

_INICIOS = {INICIO_OCULTAS: FIN_OCULTAS, INICIO_SOLUCION: FIN_SOLUCION}
# Las marcas delatan un bloque aunque se pierdan los «###» (p. ej. en un texto reformateado).
MARCAS = tuple(m.removeprefix("### ") for m in (INICIO_OCULTAS, FIN_OCULTAS, INICIO_SOLUCION, FIN_SOLUCION))

LONGITUD_MINIMA = 12  # una línea secreta más corta (normalizada) es demasiado corriente para delatar nada

_ESPACIOS = re.compile(r"\s+")
_ETIQUETA = re.compile(r"<[A-Za-z/!?][^<>]*>")
_ESCAPE = re.compile(r"\\(\\|n|t|r|'|\")")
_DESESCAPES = {"\\": "\\", "n": "\n", "t": "\t", "r": "\n", "'": "'", '"': '"'}


def normalizar(linea: str) -> str:
    """Una línea sin espacios en los extremos y con cada tramo de espacios reducido a uno."""
    return _ESPACIOS.sub(" ", linea).strip()


def _trivial(linea: str) -> bool:
    return len(linea) < LONGITUD_MINIMA or not any(c.isalnum() for c in linea)


def _separar(nb) -> tuple[set[str], set[str]]:
    """(líneas dentro de bloques ocultos o de solución, líneas fuera de ellos), normalizadas."""
    dentro, fuera = set(), set()
    for celda in nb.cells:
        cierre = None
        for linea in celda.source.splitlines():
            limpia = normalizar(linea)
            if cierre is None and limpia in _INICIOS:
                cierre = _INICIOS[limpia]
            elif cierre is not None and limpia == cierre:
                cierre = None
            elif limpia:
                (fuera if cierre is None else dentro).add(limpia)
    return dentro, fuera


@lru_cache(maxsize=32)
def _secretos_de_archivo(ruta: str, _version: int) -> frozenset[str]:
    return secretos(nbformat.read(ruta, as_version=4))


def secretos(fuente) -> frozenset[str]:
    """Las líneas secretas (normalizadas) de un cuaderno fuente: ruta o cuaderno ya leído.

    Son las de los bloques de pruebas ocultas y de solución, salvo las triviales y las que también están fuera
    de esos bloques, aunque sea dentro de una línea más larga o en el enunciado (el alumno las ve en su versión,
    que es la fuente sin esos bloques).
    """
    if isinstance(fuente, (str, Path)):
        ruta = Path(fuente).resolve()
        return _secretos_de_archivo(str(ruta), ruta.stat().st_mtime_ns)
    dentro, fuera = _separar(fuente)
    visible = "\n".join(fuera | {linea.replace("`", "") for linea in fuera})  # el Markdown, también sin `código`
    return frozenset(linea for linea in dentro if not _trivial(linea) and linea not in visible)


def _variantes(texto: str) -> set[str]:
    """El texto tal cual, sin etiquetas HTML y con los escapes de un ``repr`` deshechos, todo desescapado y
    normalizado (una línea secreta puede llegar troceada por el resaltado de código o dentro de una lista)."""
    formas = {texto, _ETIQUETA.sub("", texto)}
    formas |= {html.unescape(f) for f in formas}
    formas |= {_ESCAPE.sub(lambda m: _DESESCAPES[m[1]], f) for f in formas}
    return {normalizar(f) for f in formas}


def fugas(texto: str, secretos: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Las líneas secretas y las marcas de bloque que aparecen en ``texto`` (ordenadas; [] si no fuga nada)."""
    formas = _variantes(texto)
    halladas = {s for s in (*MARCAS, *secretos) if any(s in forma for forma in formas)}
    return sorted(halladas)
