"""`python -m grader comparar` (salidas marcadas frente a la referencia, con nbval) y `autoevaluar` (solo las
pruebas visibles, con puntos por ejercicio)."""
from __future__ import annotations

import copy
import shutil
import subprocess
import sys

import nbformat
import pytest

from curso import config
from grader import autoevaluacion, comparacion, fuentes
from tests.conftest import TAREA_MINIMA, TAREAS, con_respuesta

TAREA_COMPARAR = "98_comparar"
CELDAS = [
    ("markdown", "# 98 · Comparar\n\n## 1. Una cuenta"),
    ("code", "import numpy as np"),
    ("code", "# NBVAL_CHECK_OUTPUT\nprint(6 * 7)"),
    ("code", "base = np.array([1.0, 2.0, 3.0])"),
    ("markdown", "## 2. Otra cuenta"),
    ("code", "# NBVAL_CHECK_OUTPUT\nprint(np.round(base * 2, 3))\nprint('fin')"),
]


@pytest.fixture(scope="module")
def curso_comparar(tmp_path_factory):
    """Un curso con una fuente de 2 celdas marcadas, ejecutada (salidas de referencia reales)."""
    raiz = tmp_path_factory.mktemp("curso_comparar")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(t) if tipo == "markdown" else nbformat.v4.new_code_cell(t) for tipo, t in CELDAS])
    fuentes.preparar(nb, TAREA_COMPARAR)
    fuentes.escribir(nb, config.cuaderno_fuente(TAREA_COMPARAR, raiz))
    assert fuentes.ejecutar(TAREA_COMPARAR, raiz) == []
    return raiz


def _entrega(raiz, tmp_path, cambiar=None):
    nb = nbformat.read(config.cuaderno_fuente(TAREA_COMPARAR, raiz), as_version=4)
    for celda in nb.cells:  # lo que entrega un alumno: sin las salidas de referencia
        if celda.cell_type == "code":
            celda.outputs, celda.execution_count = [], None
    if cambiar:
        cambiar(nb)
    ruta = tmp_path / f"{TAREA_COMPARAR}.ipynb"
    nbformat.write(nb, ruta)
    return ruta


def _estados(informe):
    return [c.estado for c in informe.celdas]


def test_comparar_coincide_con_la_misma_fuente(curso_comparar, tmp_path):
    informe = comparacion.comparar(_entrega(curso_comparar, tmp_path), TAREA_COMPARAR, curso_comparar)
    assert _estados(informe) == ["coincide", "coincide"] and informe.ok
    texto = comparacion.texto(informe)
    assert "2 coinciden, 0 difieren" in texto and "§ 1. Una cuenta · print(6 * 7)" in texto


def test_comparar_difiere_con_la_diferencia_legible(curso_comparar, tmp_path):
    def cambiar(nb):
        celda = next(c for c in nb.cells if c.source.startswith("base ="))
        celda.source = "base = np.array([1.0, 2.5, 3.0])"

    informe = comparacion.comparar(_entrega(curso_comparar, tmp_path, cambiar), TAREA_COMPARAR, curso_comparar)
    assert _estados(informe) == ["coincide", "difiere"] and not informe.ok
    texto = comparacion.texto(informe)
    assert "DIFIERE" in texto and "-[2. 4. 6.]" in texto and "+[2. 5. 6.]" in texto
    assert "«-» es la salida de referencia" in texto


def test_comparar_con_la_salida_de_referencia_en_trozos(curso_comparar, tmp_path):
    """Jupyter guarda a veces la salida de una celda en varios trozos del mismo flujo: la diferencia no se duplica."""
    raiz = tmp_path / "curso"
    shutil.copytree(curso_comparar, raiz)
    ruta_fuente = config.cuaderno_fuente(TAREA_COMPARAR, raiz)
    fuente = nbformat.read(ruta_fuente, as_version=4)
    celda = next(c for c in fuente.cells if "base * 2" in c.source)
    texto_ref = "".join(s["text"] for s in celda.outputs if s.get("output_type") == "stream")
    primera, resto = texto_ref.split("\n", 1)
    celda.outputs = [nbformat.v4.new_output("stream", name="stdout", text=primera + "\n"),
                     nbformat.v4.new_output("stream", name="stdout", text=resto)]
    nbformat.write(fuente, ruta_fuente)

    def cambiar(nb):
        next(c for c in nb.cells if c.source.startswith("base =")).source = "base = np.array([1.0, 2.5, 3.0])"

    informe = comparacion.comparar(_entrega(raiz, tmp_path, cambiar), TAREA_COMPARAR, raiz)
    celda_informe = informe.celdas[1]
    assert celda_informe.estado == "difiere"
    assert comparacion.diferencia(celda_informe.esperado, celda_informe.obtenido) == [
        "-[2. 4. 6.]", "+[2. 5. 6.]", " fin"]


def test_comparar_celda_borrada_modificada_o_con_error(curso_comparar, tmp_path):
    def cambiar(nb):
        del nb.cells[next(i for i, c in enumerate(nb.cells) if "6 * 7" in c.source)]
        celda = next(c for c in nb.cells if "base * 2" in c.source)
        celda.source = celda.source.replace("base * 2", "base * nada")  # mismo id, otro código

    informe = comparacion.comparar(_entrega(curso_comparar, tmp_path, cambiar), TAREA_COMPARAR, curso_comparar)
    assert sorted(_estados(informe)) == ["error", "no_encontrada"]
    texto = comparacion.texto(informe)
    assert "NO ENCONTRADA" in texto and "`nada` no está definido" in texto
    assert "su código no es el del cuaderno original" in texto


def test_comparar_desde_la_linea_de_ordenes_y_tarea_por_nombre(tmp_path):
    assert comparacion.tarea_de(tmp_path / f"{TAREAS[0]}.ipynb") == TAREAS[0]
    with pytest.raises(ValueError, match="indícala con --tarea"):
        comparacion.tarea_de(tmp_path / "mi_cuaderno.ipynb")
    r = subprocess.run([sys.executable, "-m", "grader", "comparar", str(tmp_path / "no_existe.ipynb"), "--tarea",
                        TAREAS[0]], capture_output=True, text=True, cwd=config.RAIZ)
    assert r.returncode == 2 and "No se encontró el archivo" in r.stderr and "Traceback" not in r.stderr


def test_comparar_la_solucion_de_un_cuaderno_real_coincide(tmp_path):
    tarea = TAREAS[0]  # comparar lo ejecuta entero (nbval ya ejecuta todos): el primero tarda segundos
    ruta = tmp_path / f"{tarea}.ipynb"
    shutil.copy(config.cuaderno_fuente(tarea), ruta)
    informe = comparacion.comparar(ruta, tarea)
    assert len(informe.celdas) >= 3 and informe.ok, comparacion.texto(informe)
    assert not informe.otros_errores


# ------------------------------------------------------------------------------------------------ autoevaluar


def _nota(a, ejercicio):
    return next(n for n in a.notas if n.ejercicio == ejercicio)


def _autoevaluar(nb, raiz, tmp_path):
    ruta = tmp_path / f"{TAREA_MINIMA}.ipynb"
    nbformat.write(nb, ruta)
    return autoevaluacion.autoevaluar(ruta, TAREA_MINIMA, raiz)


def test_autoevaluar_solo_pruebas_visibles(curso_minimo, tmp_path):
    # mal: la prueba oculta exige 15, la visible solo el tipo; autoevaluar no debe ver la oculta
    a = _autoevaluar(con_respuesta(curso_minimo, "ej99_suma", "total = 14"), curso_minimo, tmp_path)
    assert (_nota(a, "ej99_suma").puntos, _nota(a, "ej99_doble").puntos) == (2, 3)
    texto = autoevaluacion.texto(a)
    assert "No es la nota" in texto and "Puntos según las pruebas visibles: 5 de 5." in texto
    assert "✔   2/2  ej99_suma: pruebas visibles superadas." in texto and "respuesta escrita" in texto


def test_autoevaluar_en_blanco_y_con_error(curso_minimo, tmp_path):
    blanco = copy.deepcopy(nbformat.read(config.cuaderno_publicado(TAREA_MINIMA, curso_minimo), as_version=4))
    for celda in blanco.cells:
        if celda.source.startswith("# EJERCICIO ej99_doble"):
            celda.source = "# EJERCICIO ej99_doble\ndef doble(v):\n    return None"
    a = _autoevaluar(blanco, curso_minimo, tmp_path)
    assert _nota(a, "ej99_suma").estado == "sin_responder" and _nota(a, "ej99_doble").puntos == 0
    texto = autoevaluacion.texto(a)
    assert "todavía no has resuelto" in texto and "Puntos según las pruebas visibles: 0 de 5." in texto
