"""Utilidades de las pruebas: las tareas del curso y un curso mínimo sintético para probar el calificador."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from curso import config
from grader.mantenimiento import fuentes
from grader.nucleo import cuadernos

TAREAS = config.tareas()

# Lo más largo primero (medido con --durations en CI): `make test` reparte las pruebas entre un proceso por
# núcleo (pytest-xdist, --dist worksteal: el que acaba roba la cola del otro) y así ninguno se queda al final
# ejecutando él solo un cuaderno entero. Los cuadernos de nbval 07 y 08 (entrenan) van antes que los demás.
LARGAS_PRIMERO = (
    "test_nbval.py::test_fuente_reproduce_sus_salidas[07",
    "test_nbval.py::test_fuente_reproduce_sus_salidas[08",
    "test_demo.py",
    "test_nbgrader_plano.py::test_autograde_de_nbgrader_coincide",
    "test_canario.py",
    "test_intercambio.py",
    "test_comparar_autoevaluar.py::test_comparar_la_solucion_de_un_cuaderno_real_coincide",
    "test_nbval.py::test_fuente_reproduce_sus_salidas",
    "test_retroalimentacion.py",
    "test_lab.py::test_make_lab_sirve_los_cuadernos",
    "test_ida_y_vuelta.py::test_errores_tipicos_pierden_solo_sus_puntos",
    "test_mutaciones.py",
    "test_conda.py",
    "test_colab.py",
    "test_sitio.py",
)


def pytest_collection_modifyitems(items):
    """Ordena las pruebas largas al principio (el orden no cambia qué se prueba)."""
    def rango(item) -> int:
        return next((i for i, prefijo in enumerate(LARGAS_PRIMERO) if prefijo in item.nodeid), len(LARGAS_PRIMERO))

    items.sort(key=rango)

# Un cuaderno mínimo con dos ejercicios y una respuesta escrita, con las mismas marcas que el curso.
CELDAS_MINIMAS = [
    ("markdown", "# 99 · Curso mínimo de prueba"),
    ("code", "# CABECERA"),
    ("code", "import numpy as np\nx = np.arange(6).reshape(2, 3)\nprint(x.shape)"),
    ("code", "# EJERCICIO ej99_suma\n### BEGIN SOLUTION\ntotal = int(x.sum())\n### END SOLUTION"),
    ("code", "# PRUEBAS ej99_suma (2 puntos)\ncomprobar.tipo(total, int, \"total\")\n"
             "### BEGIN HIDDEN TESTS\n"
             'import sys; sys.modules.pop("curso.comprobar", None); import curso.comprobar as comprobar\n'
             "comprobar.igual(total, 15, \"total\")\n### END HIDDEN TESTS"),
    ("code", "# OMITIR_AL_CALIFICAR\nimport time\ntime.sleep(0.1)\nlento = True"),
    ("code", "# EJERCICIO ej99_doble\ndef doble(v):\n    ### BEGIN SOLUTION\n    return 2 * np.asarray(v)\n"
             "    ### END SOLUTION"),
    ("code", "# PRUEBAS ej99_doble (3 puntos)\ncomprobar.cercano(doble([1.0]), [2.0], \"doble([1.0])\")\n"
             "### BEGIN HIDDEN TESTS\n"
             'import sys; sys.modules.pop("curso.comprobar", None); import curso.comprobar as comprobar\n'
             "comprobar.cercano(doble(x), 2 * x, \"doble(x)\")\n### END HIDDEN TESTS"),
    ("markdown", "<!-- RESPUESTA ej99_explica (1 punto) -->\n### BEGIN SOLUTION\nPorque sí.\n### END SOLUTION"),
]
TAREA_MINIMA = "99_minimo"


def cuaderno_minimo(celdas: list[tuple[str, str]] = CELDAS_MINIMAS, tarea: str = TAREA_MINIMA):
    """La fuente de la tarea mínima (u otra con esas ``celdas``: tipo, texto) preparada (marcas, metadatos
    nbgrader, celdas generadas), sin ejecutar."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(texto) if tipo == "markdown" else nbformat.v4.new_code_cell(texto)
        for tipo, texto in celdas
    ])
    fuentes.preparar(nb, tarea)
    return nb


def crear_curso_minimo(raiz: Path) -> Path:
    """Escribe ``solutions/99_minimo/99_minimo.ipynb`` (preparado y ejecutado) bajo ``raiz``."""
    cuadernos.escribir(cuaderno_minimo(), config.cuaderno_fuente(TAREA_MINIMA, raiz))
    assert fuentes.ejecutar(TAREA_MINIMA, raiz) == []
    return config.cuaderno_fuente(TAREA_MINIMA, raiz)


@pytest.fixture(scope="session")
def curso_minimo(tmp_path_factory) -> Path:
    """Raíz de un curso sintético con la tarea 99_minimo publicada (versión del alumno incluida)."""
    from grader.mantenimiento import publicacion

    raiz = tmp_path_factory.mktemp("curso_minimo")
    crear_curso_minimo(raiz)
    publicacion.publicar(TAREA_MINIMA, raiz)
    return raiz


@pytest.fixture()
def copia_curso_minimo(curso_minimo, tmp_path) -> Path:
    """Copia desechable del curso mínimo (para pruebas que escriben libro o entregas)."""
    destino = tmp_path / "curso"
    shutil.copytree(curso_minimo, destino)
    return destino


def fuente_minima(raiz: Path):
    """La fuente de la tarea mínima de ``raiz``, leída de disco (se puede modificar sin tocar el archivo)."""
    return nbformat.read(config.cuaderno_fuente(TAREA_MINIMA, raiz), as_version=4)


def con_respuesta(raiz: Path, ejercicio: str, codigo: str):
    """La fuente mínima con ``codigo`` como respuesta de ``ejercicio`` (la marca del ejercicio se conserva)."""
    nb = fuente_minima(raiz)
    for celda in nb.cells:
        if celda.source.startswith(f"# EJERCICIO {ejercicio}"):
            celda.source = f"# EJERCICIO {ejercicio}\n{codigo}"
    return nb


def entregar(raiz: Path, alumno: str, nb_o_texto, tarea: str = TAREA_MINIMA) -> Path:
    """Pone una entrega en ``submitted/<alumno>/<tarea>/<tarea>.ipynb`` (cuaderno, texto o bytes)."""
    ruta = raiz / config.DIR_ENTREGAS / alumno / tarea / f"{tarea}.ipynb"
    ruta.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb_o_texto, bytes):
        ruta.write_bytes(nb_o_texto)
    elif isinstance(nb_o_texto, str):
        ruta.write_text(nb_o_texto, encoding="utf-8")
    else:
        nbformat.write(nb_o_texto, ruta)
    return ruta
