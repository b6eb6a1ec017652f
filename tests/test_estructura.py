"""Estructura del repositorio, entorno fijado y forma de cada cuaderno fuente."""
from __future__ import annotations

import re

import nbformat
import pytest

from curso import config
from grader import cabecera, celdas, fuentes, mutaciones
from tests.conftest import TAREAS

RAIZ = config.RAIZ
MINIMO_EJERCICIOS = {"01_tensores": 5, "02_neurona": 5, "03_perceptron": 6, "08_practica": 6}


def test_hay_cuadernos_del_curso():
    assert TAREAS, "solutions/ no tiene cuadernos"
    assert TAREAS == sorted(TAREAS) and all(re.match(r"^\d\d_[a-z_]+$", t) for t in TAREAS)


@pytest.mark.parametrize("ruta", ["solutions", "notebooks", "grader", "data", "tests", "environment.yml",
                                  "requirements.txt", "Makefile", "README.md", ".ci/run", "nbgrader_config.py",
                                  "grader/nbgrader_config.py", "grader/nbval_sanitize.cfg", "data/README.md"])
def test_estructura(ruta):
    assert (RAIZ / ruta).exists(), f"falta {ruta}"


def test_requisitos_con_versiones_exactas():
    lineas = [l for l in (RAIZ / "requirements.txt").read_text().splitlines() if l.strip() and not l.startswith("#")]
    sin_fijar = [l for l in lineas if "==" not in l]
    assert not sin_fijar, f"dependencias sin versión exacta: {sin_fijar}"
    fijadas = config.versiones_fijadas()
    for paquete, prefijo in {"tensorflow_cpu": "2.", "keras": "3.", "jupyterlab": "4.", "nbgrader": "0.9.",
                             "nbval": "", "nbclient": "", "numpy": "", "pandas": "", "matplotlib": "",
                             "seaborn": "", "scikit_learn": "", "sympy": ""}.items():
        assert fijadas.get(paquete, "").startswith(prefijo) and paquete in fijadas, paquete


def test_environment_usa_las_mismas_versiones():
    texto = (RAIZ / "environment.yml").read_text()
    assert "python=3.11" in texto and "-r requirements.txt" in texto


def test_ci_llama_a_la_orden_del_readme():
    ci = (RAIZ / ".ci/run").read_text()
    readme = (RAIZ / "README.md").read_text()
    assert "make test" in ci and "make test" in readme and "make lab" in readme


def test_cabeceras_al_dia():
    assert cabecera.desactualizados() == [], "ejecuta `make cabeceras` y `make ejecutar`"


@pytest.mark.parametrize("tarea", TAREAS)
def test_cuaderno_fuente_bien_marcado(tarea):
    nb = fuentes.leer(tarea)
    assert celdas.errores_de_estructura(nb) == []
    antes = nbformat.writes(nb)
    fuentes.preparar(nb, tarea)
    assert nbformat.writes(nb) == antes, "metadatos nbgrader o cabecera desfasados: `python -m grader importar/ejecutar`"
    codigo = [c for c in nb.cells if c.cell_type == "code"]
    assert cabecera.es_cabecera(codigo[0]), "la primera celda de código debe ser la cabecera"
    assert all(c.execution_count is not None for c in codigo), "la fuente debe guardarse ejecutada"
    marcadas = [c for c in codigo if "# NBVAL_CHECK_OUTPUT" in c.source]
    assert len(marcadas) >= 3, "marca al menos 3 celdas deterministas con # NBVAL_CHECK_OUTPUT"


@pytest.mark.parametrize("tarea", TAREAS)
def test_ejercicios_y_errores_tipicos(tarea):
    ejercicios = celdas.ejercicios(fuentes.leer(tarea))
    automaticos = [m for m in ejercicios if m.tipo == "pruebas"]
    assert len(automaticos) >= MINIMO_EJERCICIOS.get(tarea, 5)
    assert sum(m.tipo == "respuesta" for m in ejercicios) <= 1
    errores = mutaciones.cargar(tarea)
    for m in automaticos:
        propios = [e for e in errores if e.ejercicio == m.ejercicio and not e.correcta]  # las alternativas
        # correctas (`correcta: true`) no pierden puntos, así que no esperan ningún mensaje
        assert len(propios) >= 2, f"{m.ejercicio}: faltan respuestas erróneas típicas en tests/errores/{tarea}.yml"
        assert all(e.mensaje for e in propios), f"{m.ejercicio}: cada error debe decir qué mensaje espera"
    conocidos = {m.ejercicio for m in automaticos}
    assert {e.ejercicio for e in errores} <= conocidos
