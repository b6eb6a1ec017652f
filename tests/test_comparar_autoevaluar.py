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
from grader.alumno import autoevaluacion, comparacion
from grader.mantenimiento import fuentes
from grader.nucleo import cuadernos
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
    cuadernos.escribir(nb, config.cuaderno_fuente(TAREA_COMPARAR, raiz))
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


def test_la_tarea_sale_de_los_ejercicios_del_cuaderno(tmp_path):
    # se llame como se llame, y aunque su nombre sea el de otra tarea: mandan sus celdas # EJERCICIO
    for nombre in ("mi_cuaderno.ipynb", f"{TAREAS[0]}.ipynb"):
        ruta = tmp_path / nombre
        shutil.copy(config.cuaderno_publicado(TAREAS[1]), ruta)
        assert comparacion.tarea_de(ruta) == TAREAS[1]
    # sin marcas, pero con los metadatos de nbgrader (un editor que reescribe la primera línea)
    nb = nbformat.read(config.cuaderno_publicado(TAREAS[2]), as_version=4)
    for celda in nb.cells:
        if celda.metadata.get("nbgrader", {}).get("grade_id") and celda.source.startswith("# EJERCICIO"):
            celda.source = "# mi respuesta\n" + celda.source.split("\n", 1)[1]
    nbformat.write(nb, tmp_path / "sin_marcas.ipynb")
    assert comparacion.tarea_de(tmp_path / "sin_marcas.ipynb") == TAREAS[2]
    # sin ningún ejercicio del curso: su nombre, o que se indique
    ajeno = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    nbformat.write(ajeno, tmp_path / f"{TAREAS[0]}.ipynb")
    assert comparacion.tarea_de(tmp_path / f"{TAREAS[0]}.ipynb") == TAREAS[0]
    nbformat.write(ajeno, tmp_path / "ajeno.ipynb")
    with pytest.raises(ValueError, match="no tiene ninguna celda de ejercicio del curso.*Indícala con --tarea"):
        comparacion.tarea_de(tmp_path / "ajeno.ipynb")


def test_un_archivo_que_no_existe_lo_dice(tmp_path):
    with pytest.raises(FileNotFoundError, match="No existe el archivo"):
        comparacion.tarea_de(tmp_path / "mi_cuaderno.ipynb")
    for orden in (["comparar"], ["autoevaluar"], ["comparar", "--tarea", TAREAS[0]],
                  ["autoevaluar", "--tarea", TAREAS[0]]):
        r = subprocess.run([sys.executable, "-m", "grader", orden[0], str(tmp_path / "no_existe.ipynb"), *orden[1:]],
                           capture_output=True, text=True, cwd=config.RAIZ)
        assert r.returncode == 2 and "No existe el archivo" in r.stderr, orden
        assert "Traceback" not in r.stderr and "tarea" not in r.stderr.lower(), orden


def test_make_autoevaluar_con_el_ejemplo_del_readme(tmp_path):
    """``make autoevaluar CUADERNO=mi_cuaderno.ipynb``, como dice el README, con la versión en blanco de 01."""
    shutil.copy(config.cuaderno_publicado(TAREAS[0]), tmp_path / "mi_cuaderno.ipynb")
    readme = (config.RAIZ / "README.md").read_text(encoding="utf-8")
    assert "make autoevaluar CUADERNO=mi_cuaderno.ipynb" in readme
    # -o: no rehace el entorno aunque requirements.txt sea más nuevo (la prueba usa el que ya hay)
    r = subprocess.run(["make", "-s", "-o", ".venv/.instalado", "autoevaluar",
                        f"CUADERNO={tmp_path / 'mi_cuaderno.ipynb'}"], capture_output=True, text=True,
                       cwd=config.RAIZ)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"Autoevaluación de mi_cuaderno.ipynb ({TAREAS[0]})" in r.stdout
    assert "Puntos según las pruebas visibles: 0 de" in r.stdout


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
