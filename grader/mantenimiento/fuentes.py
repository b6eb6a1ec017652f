"""Mantenimiento de los cuadernos del instructor (``solutions/``): importar, normalizar y ejecutar."""
from __future__ import annotations

from pathlib import Path

import nbformat

from curso import config
from grader.mantenimiento import cabecera, cierre
from grader.nucleo import celdas, cuadernos


class CuadernoFuenteInvalido(ValueError):
    """El cuaderno fuente no respeta las marcas del curso."""


def preparar(nb, tarea: str) -> None:
    """Celdas generadas al día, metadatos nbgrader derivados de las marcas y kernel estándar."""
    cierre.aplicar(nb)
    cabecera.aplicar(nb, tarea)
    celdas.normalizar(nb)
    for celda in nb.cells:
        celda.metadata.pop("execution", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata.setdefault("language_info", {"name": "python"})
    problemas = celdas.errores_de_estructura(nb)
    if problemas:
        raise CuadernoFuenteInvalido("; ".join(problemas))


def importar(borrador: Path, tarea: str, raiz: Path = config.RAIZ) -> Path:
    """Convierte un borrador en texto (formato «percent» de jupytext) en ``solutions/<tarea>/<tarea>.ipynb``."""
    import jupytext

    nb = jupytext.read(borrador)
    nb.metadata.pop("jupytext", None)
    preparar(nb, tarea)
    destino = config.cuaderno_fuente(tarea, raiz)
    cuadernos.escribir(nb, destino)
    return destino


def ejecutar(tarea: str, raiz: Path = config.RAIZ) -> list[tuple[int, str, str]]:
    """Ejecuta la fuente en su sitio (salidas de referencia para nbval). Devuelve los errores."""
    ruta = config.cuaderno_fuente(tarea, raiz)
    nb = nbformat.read(ruta, as_version=4)
    preparar(nb, tarea)
    estado = cuadernos.ejecutar(nb, ruta.parent, omitir=False)
    if estado != "ok":
        return [(-1, estado, "la ejecución no terminó")]
    fallos = cuadernos.errores(nb)
    if not fallos:
        cuadernos.escribir(nb, ruta)
    return fallos
