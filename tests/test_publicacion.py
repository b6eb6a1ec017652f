"""Versiones de los alumnos: generadas por nbgrader, sin soluciones ni pruebas ocultas, y sin desfase."""
from __future__ import annotations

import shutil

import nbformat
import pytest

from curso import config
from grader.mantenimiento import publicacion
from tests.conftest import TAREAS


def test_notebooks_al_dia():
    assert publicacion.desfasadas(TAREAS) == [], "ejecuta `make publicar` y haz commit de notebooks/"


def test_desfase_detectado_si_notebooks_no_se_regenero(tmp_path):
    tarea = TAREAS[0]
    for carpeta in (config.DIR_FUENTES, config.DIR_PUBLICADOS):
        shutil.copytree(config.RAIZ / carpeta / tarea, tmp_path / carpeta / tarea)
    publicado = config.cuaderno_publicado(tarea, tmp_path)
    nb = nbformat.read(publicado, as_version=4)
    nb.cells[0].source += "\nUna frase editada a mano en la versión del alumno."
    nbformat.write(nb, publicado)
    assert publicacion.desfasadas([tarea], tmp_path) == [tarea]


@pytest.mark.parametrize("tarea", TAREAS)
def test_version_del_alumno_sin_soluciones(tarea):
    texto = config.cuaderno_publicado(tarea).read_text(encoding="utf-8")
    nb = nbformat.reads(texto, as_version=4)
    assert "BEGIN SOLUTION" not in texto and "BEGIN HIDDEN TESTS" not in texto
    assert all(linea in texto for linea in config.STUB_CODIGO.splitlines())
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
