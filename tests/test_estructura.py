"""Estructura del repositorio, entorno fijado y forma de cada cuaderno fuente."""
from __future__ import annotations

import ast
import re

import nbformat
import pytest

from curso import config
from grader.mantenimiento import cabecera, fuentes, mutaciones
from grader.nucleo import celdas, cuadernos
from tests.conftest import TAREAS

RAIZ = config.RAIZ
MINIMO_EJERCICIOS = {"01_tensores": 5, "02_neurona": 5, "03_perceptron": 6, "04_red_numpy": 7, "05_keras": 6,
                     "06_mnist": 7, "07_convolucionales": 7, "08_practica": 6}


def test_hay_cuadernos_del_curso():
    assert TAREAS, "solutions/ no tiene cuadernos"
    assert TAREAS == sorted(TAREAS) and all(re.match(r"^\d\d_[a-z_]+$", t) for t in TAREAS)


@pytest.mark.parametrize("ruta", ["solutions", "notebooks", "grader", "data", "tests", "environment.yml",
                                  "requirements.in", "requirements.txt", "Makefile", "README.md", ".ci/run",
                                  "nbgrader_config.py",
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
                             "seaborn": "", "scikit_learn": "", "sympy": "", "dask": "", "distributed": "",
                             "jupyterlab_language_pack_es_es": "4."}.items():
        assert fijadas.get(paquete, "").startswith(prefijo) and paquete in fijadas, paquete


def test_environment_usa_las_mismas_versiones():
    texto = (RAIZ / "environment.yml").read_text()
    assert f"python={config.VERSION_PYTHON}" in texto and "-r requirements.txt" in texto


def test_ci_llama_a_la_orden_del_readme():
    ci = (RAIZ / ".ci/run").read_text()
    readme = (RAIZ / "README.md").read_text()
    assert "make test" in ci and "make test" in readme and "make lab" in readme


def test_cabeceras_al_dia():
    assert cabecera.desactualizados() == [], "ejecuta `make cabeceras` y `make ejecutar`"


@pytest.mark.parametrize("tarea", TAREAS)
def test_cuaderno_fuente_bien_marcado(tarea):
    nb = cuadernos.leer_fuente(tarea)
    assert celdas.errores_de_estructura(nb) == []
    antes = nbformat.writes(nb)
    fuentes.preparar(nb, tarea)
    assert nbformat.writes(nb) == antes, \
        "metadatos nbgrader o cabecera desfasados: `python -m grader importar/ejecutar`"
    codigo = [c for c in nb.cells if c.cell_type == "code"]
    assert celdas.es_cabecera(codigo[0]), "la primera celda de código debe ser la cabecera"
    assert all(c.execution_count is not None for c in codigo), "la fuente debe guardarse ejecutada"
    marcadas = [c for c in codigo if "# NBVAL_CHECK_OUTPUT" in c.source]
    assert len(marcadas) >= 3, "marca al menos 3 celdas deterministas con # NBVAL_CHECK_OUTPUT"


@pytest.mark.parametrize("tarea", TAREAS)
def test_ejercicios_y_errores_tipicos(tarea):
    ejercicios = celdas.ejercicios(cuadernos.leer_fuente(tarea))
    automaticos = [m for m in ejercicios if m.tipo == "pruebas"]
    assert len(automaticos) >= MINIMO_EJERCICIOS.get(tarea, 5)
    assert sum(m.tipo == "respuesta" for m in ejercicios) <= 1
    errores = mutaciones.cargar(tarea)
    for m in automaticos:
        # las alternativas correctas (`correcta: true`) no pierden puntos ni esperan mensaje
        propios = [e for e in errores if e.ejercicio == m.ejercicio and not e.correcta]
        assert len(propios) >= 2, f"{m.ejercicio}: faltan respuestas erróneas típicas en tests/errores/{tarea}.yml"
        assert all(e.mensaje for e in propios), f"{m.ejercicio}: cada error debe decir qué mensaje espera"
        assert any(e.ejercicio == m.ejercicio and e.correcta for e in errores), \
            f"{m.ejercicio}: falta una alternativa correcta (correcta: true) en tests/errores/{tarea}.yml"
    conocidos = {m.ejercicio for m in automaticos}
    assert {e.ejercicio for e in errores} <= conocidos


@pytest.mark.parametrize("tarea", TAREAS)
def test_cada_ejercicio_tiene_pistas(tarea):
    nb = cuadernos.leer_fuente(tarea)
    pistas = celdas.pistas(nb)
    sin_pistas = [m.ejercicio for m in celdas.ejercicios(nb) if m.tipo == "pruebas" and pistas.get(m.ejercicio, 0) < 1]
    assert not sin_pistas, f"ejercicios sin <details><summary>Pista 1</summary> en su enunciado: {sin_pistas}"


def _verdadero_sin_que(codigo: str) -> list[int]:
    """Líneas con `comprobar.verdadero(...)` sin `que=` (listo() diría «una condición más»)."""
    return [nodo.lineno for nodo in ast.walk(ast.parse(codigo))
            if isinstance(nodo, ast.Call) and isinstance(nodo.func, ast.Attribute) and nodo.func.attr == "verdadero"
            and len(nodo.args) < 3 and not any(k.arg == "que" for k in nodo.keywords)]


@pytest.mark.parametrize("tarea", TAREAS)
def test_pruebas_visibles_dicen_lo_que_comprueban(tarea):
    """En la versión del alumno, cada celda de pruebas termina en `comprobar.listo(...)` (que imprime lo
    comprobado) y cada `comprobar.verdadero` dice qué comprueba (`que=`)."""
    nb = nbformat.read(config.cuaderno_publicado(tarea), as_version=4)
    for celda in nb.cells:
        m = celdas.marca(celda)
        if m is None or m.tipo != "pruebas":
            continue
        lineas = [linea for linea in celda.source.splitlines() if linea.strip()]
        assert lineas[-1].startswith("comprobar.listo("), \
            f"{m.ejercicio}: la celda de pruebas debe terminar en comprobar.listo()"
        assert "Correcto" not in celda.source, f"{m.ejercicio}: las pruebas visibles no dicen «Correcto»"
        assert not _verdadero_sin_que(celda.source), \
            f"{m.ejercicio}: comprobar.verdadero sin que= en las líneas {_verdadero_sin_que(celda.source)}"
