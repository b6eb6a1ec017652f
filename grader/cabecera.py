"""La celda de configuración con la que empieza cada cuaderno, generada desde una sola plantilla.

``aplicar`` la escribe (o la reescribe) como primera celda de código de un cuaderno;
``desactualizados`` lista los cuadernos de ``solutions/`` cuya cabecera no es la de la plantilla.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from grader import config

MARCA = "# CABECERA"

PLANTILLA = '''\
# CABECERA: configuración común del curso (generada por `python -m grader cabeceras`; no la edites).
import os, subprocess, sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow sin mensajes de registro
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
EN_COLAB = "google.colab" in sys.modules
REPO_URL = "{repo_url}"  # dirección git del curso; vacía: en Colab, sube la carpeta del curso
_candidatas = [os.environ.get("CURSO_RAIZ", ""), Path.cwd(), *Path.cwd().parents, "/content/curso"]
RAIZ_CURSO = next((Path(p) for p in _candidatas if p and (Path(p) / "grader" / "cuaderno.py").is_file()), None)
if RAIZ_CURSO is None and EN_COLAB and REPO_URL:
    subprocess.run(["git", "clone", "--depth", "1", REPO_URL, "/content/curso"], check=True)
    RAIZ_CURSO = Path("/content/curso")
if RAIZ_CURSO is None:
    raise RuntimeError("No encuentro la carpeta del curso (la que contiene grader/ y data/). "
                       "Abre el cuaderno desde dentro del curso o, en Colab, sube la carpeta completa.")
if str(RAIZ_CURSO) not in sys.path:
    sys.path.insert(0, str(RAIZ_CURSO))

from grader import comprobar
from grader.cuaderno import preparar
from grader.datos import cargar as cargar_datos

preparar()
'''


def codigo() -> str:
    """Código de la cabecera tal como debe aparecer en los cuadernos."""
    return PLANTILLA.format(repo_url=config.REPO_URL).rstrip("\n")


def es_cabecera(celda) -> bool:
    return celda.cell_type == "code" and celda.source.startswith(MARCA)


def aplicar(nb) -> bool:
    """Pone la cabecera vigente como primera celda de código. Devuelve True si cambió algo."""
    nueva = codigo()
    for celda in nb.cells:
        if celda.cell_type != "code":
            continue
        if es_cabecera(celda):
            if celda.source == nueva:
                return False
            celda.source = nueva
            return True
        break
    posicion = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
    nb.cells.insert(posicion, nbformat.v4.new_code_cell(nueva))
    return True


def desactualizados(raiz: Path = config.RAIZ) -> list[str]:
    """Tareas cuya cabecera en ``solutions/`` difiere de la plantilla."""
    malas = []
    for tarea in config.tareas(raiz):
        nb = nbformat.read(config.cuaderno_fuente(tarea, raiz), as_version=4)
        if aplicar(nb):
            malas.append(tarea)
    return malas
