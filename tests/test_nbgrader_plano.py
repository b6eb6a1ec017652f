"""nbgrader sin nada nuestro (sus propias órdenes sobre el directorio del curso) da las mismas notas."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from curso import config
from grader.mantenimiento import demo, mutaciones
from grader.motor import calificacion
from grader.nucleo import celdas
from tests.conftest import TAREAS


def _nbgrader(raiz: Path, *args) -> subprocess.CompletedProcess:
    bin_entorno = str(Path(sys.executable).parent)
    entorno = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "CURSO_"))}
    entorno["PATH"] = bin_entorno + os.pathsep + entorno.get("PATH", "")
    return subprocess.run([str(Path(bin_entorno) / "nbgrader"), *args], cwd=raiz, env=entorno,
                          capture_output=True, text=True)


@pytest.mark.parametrize("tarea", TAREAS)
def test_autograde_de_nbgrader_coincide(tarea, tmp_path):
    raiz = tmp_path / "curso"
    raiz.mkdir()
    for enlace in ("grader", "data"):
        (raiz / enlace).symlink_to(config.RAIZ / enlace)
    shutil.copy(config.RAIZ / "nbgrader_config.py", raiz)
    shutil.copytree(config.cuaderno_fuente(tarea).parent, raiz / config.DIR_FUENTES / tarea)
    r = _nbgrader(raiz, "generate_assignment", tarea)
    assert r.returncode == 0, r.stderr[-2000:]
    publicado = nbformat.read(config.cuaderno_publicado(tarea), 4)
    assert nbformat.read(config.cuaderno_publicado(tarea, raiz), 4) == publicado

    # Una sola entrega (cada ejecución de nbgrader cuesta): la solución con el primer error típico en un
    # ejercicio. Cubre las dos cosas: ese ejercicio pierde sus puntos y todos los demás llevan la nota máxima.
    fuente = config.cuaderno_fuente(tarea)
    error = next(e for e in mutaciones.cargar(tarea) if not e.correcta)
    alumno = "con_error"
    entrega = raiz / config.DIR_ENTREGAS / alumno / tarea / f"{tarea}.ipynb"
    entrega.parent.mkdir(parents=True)
    nbformat.write(demo._con_error(fuente, error), entrega)
    r = _nbgrader(raiz, "autograde", tarea)
    assert r.returncode == 0, r.stderr[-3000:]
    # nbgrader tampoco ejecuta las celdas # OMITIR_AL_CALIFICAR (la etiqueta sale de la marca)
    calificado = nbformat.read(raiz / config.DIR_CALIFICADOS / alumno / tarea / f"{tarea}.ipynb", 4)
    omitidas = [c for c in calificado.cells if celdas.se_omite(c)]
    assert all(c.execution_count is None for c in omitidas)  # 02 tiene varias; en 01 y 03 la lista está vacía

    from nbgrader.api import Gradebook

    nuestro = calificacion.calificar_entrega(entrega, fuente, alumno, tarea, tmp_path / "nuestro")
    with Gradebook(f"sqlite:///{raiz / config.LIBRO}", config.CURSO_ID) as gb:
        for nota in nuestro.notas:
            if nota.puntos is None:
                continue
            plano = gb.find_grade(nota.grade_id, tarea, tarea, alumno).auto_score
            assert plano == nota.puntos, f"{nota.ejercicio}: nbgrader {plano}, nuestro {nota.puntos}"
    perdidos = {n.ejercicio for n in nuestro.notas if n.puntos is not None and n.puntos < n.maximo}
    assert perdidos == {error.ejercicio}, perdidos
