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
from grader import calificacion, celdas, demo, mutaciones
from tests.conftest import TAREAS


def _nbgrader(raiz: Path, *args) -> subprocess.CompletedProcess:
    bin_entorno = str(Path(sys.executable).parent)
    entorno = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "CURSO_"))}
    entorno["PATH"] = bin_entorno + os.pathsep + entorno.get("PATH", "")
    return subprocess.run([str(Path(bin_entorno) / "nbgrader"), *args], cwd=raiz, env=entorno,
                          capture_output=True, text=True)


@pytest.mark.parametrize("tarea", TAREAS)
def test_autograde_de_nbgrader_coincide(tarea, tmp_path, solucion_calificada):
    raiz = tmp_path / "curso"
    raiz.mkdir()
    for enlace in ("grader", "data"):
        (raiz / enlace).symlink_to(config.RAIZ / enlace)
    shutil.copy(config.RAIZ / "nbgrader_config.py", raiz)
    shutil.copytree(config.cuaderno_fuente(tarea).parent, raiz / config.DIR_FUENTES / tarea)
    r = _nbgrader(raiz, "generate_assignment", tarea)
    assert r.returncode == 0, r.stderr[-2000:]
    assert nbformat.read(config.cuaderno_publicado(tarea, raiz), 4) == nbformat.read(config.cuaderno_publicado(tarea), 4)

    fuente = config.cuaderno_fuente(tarea)
    error = next(e for e in mutaciones.cargar(tarea) if not e.correcta)
    entregas = {"con_solucion": nbformat.read(fuente, 4), "con_error": demo._con_error(fuente, error)}
    for alumno, nb in entregas.items():
        destino = raiz / config.DIR_ENTREGAS / alumno / tarea / f"{tarea}.ipynb"
        destino.parent.mkdir(parents=True)
        nbformat.write(nb, destino)
    r = _nbgrader(raiz, "autograde", tarea)
    assert r.returncode == 0, r.stderr[-3000:]
    # nbgrader tampoco ejecuta las celdas # OMITIR_AL_CALIFICAR (la etiqueta sale de la marca)
    calificado = nbformat.read(raiz / config.DIR_CALIFICADOS / "con_solucion" / tarea / f"{tarea}.ipynb", 4)
    omitidas = [c for c in calificado.cells if celdas.se_omite(c)]
    assert all(c.execution_count is None for c in omitidas)  # 02 tiene varias; en 01 y 03 la lista está vacía

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{raiz / config.LIBRO}", config.CURSO_ID) as gb:
        for alumno in entregas:
            if alumno == "con_solucion":  # la entrega es la fuente tal cual: su nota ya la calculó la sesión
                nuestro, _ = solucion_calificada(tarea)
            else:
                nuestro = calificacion.calificar_entrega(
                    raiz / config.DIR_ENTREGAS / alumno / tarea / f"{tarea}.ipynb", fuente, alumno, tarea,
                    tmp_path / "nuestro" / alumno)
            for nota in nuestro.notas:
                if nota.puntos is None:
                    continue
                plano = gb.find_grade(nota.grade_id, tarea, tarea, alumno).auto_score
                assert plano == nota.puntos, f"{alumno} {nota.ejercicio}: nbgrader {plano}, nuestro {nota.puntos}"
            maximo_automatico = sum(n.maximo for n in nuestro.notas if n.puntos is not None)
            assert (nuestro.puntos < maximo_automatico) is (alumno == "con_error")
