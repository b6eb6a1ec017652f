"""``grader.informes.fugas`` con los cuadernos reales del curso: la versión del alumno no fuga, la fuente sí, y una
línea
oculta se reconoce también resaltada en HTML, dentro de un ``repr`` o con otros espacios."""
from __future__ import annotations

import html

import nbformat
import pytest
from nbconvert import HTMLExporter

from curso import config
from grader.informes import fugas
from grader.nucleo import celdas

TAREAS = config.tareas()


def _bloques(nb, inicio: str, fin: str) -> list[str]:
    """El texto de cada bloque ``inicio`` … ``fin`` del cuaderno (sin las marcas)."""
    bloques = []
    for celda in nb.cells:
        partes = celda.source.split(inicio)
        bloques += [parte.split(fin, 1)[0] for parte in partes[1:]]
    return bloques


def _fuente(tarea):
    return nbformat.read(config.cuaderno_fuente(tarea), as_version=4)


@pytest.mark.parametrize("tarea", TAREAS)
def test_la_version_del_alumno_no_fuga_y_la_fuente_si(tarea):
    secretos = fugas.secretos(config.cuaderno_fuente(tarea))
    assert len(secretos) >= 20, "un cuaderno del curso tiene decenas de líneas de solución y pruebas ocultas"
    publicado = config.cuaderno_publicado(tarea).read_text(encoding="utf-8")
    assert fugas.fugas(publicado, secretos) == []
    fuente = config.cuaderno_fuente(tarea).read_text(encoding="utf-8")  # JSON: comillas escapadas, \n literales
    assert set(fugas.fugas(fuente, secretos)) == set(secretos) | set(fugas.MARCAS)


def test_cada_bloque_oculto_aporta_secretos_y_lo_visible_no():
    nb = _fuente("01_tensores")
    secretos = fugas.secretos(nb)
    assert celdas.REIMPORTAR_COMPROBAR in secretos
    for bloque in _bloques(nb, celdas.INICIO_OCULTAS, celdas.FIN_OCULTAS):
        assert fugas.fugas(bloque, secretos), bloque
    for bloque in _bloques(nb, celdas.INICIO_SOLUCION, celdas.FIN_SOLUCION):
        assert fugas.fugas(bloque, secretos), bloque
    visibles = [normal for c in nb.cells if (m := celdas.marca(c)) is not None and m.tipo == "pruebas"
                for normal in map(fugas.normalizar, c.source.split(celdas.INICIO_OCULTAS)[0].splitlines())]
    assert visibles and not secretos & set(visibles)
    assert all(len(s) >= fugas.LONGITUD_MINIMA and any(ch.isalnum() for ch in s) for s in secretos)


def test_html_resaltado_repr_y_espacios():
    nb = _fuente("02_neurona")
    secretos = fugas.secretos(nb)
    oculto = _bloques(nb, celdas.INICIO_OCULTAS, celdas.FIN_OCULTAS)[0]
    lineas = {fugas.normalizar(linea) for linea in oculto.splitlines()} & secretos
    assert lineas
    # como lo pinta nbconvert (cada símbolo en su <span>, comillas como entidades)
    pagina, _ = HTMLExporter(template_name="lab").from_notebook_node(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(oculto)]))
    assert lineas <= set(fugas.fugas(pagina, secretos))
    # como lo imprime `print(In)`: una lista de cadenas, con \n y comillas escapadas, dentro de un <pre>
    impreso = html.escape(repr(["", oculto, "print(In)"]))
    assert lineas <= set(fugas.fugas(f"<pre>{impreso}</pre>", secretos))
    # con la sangría y los espacios cambiados
    assert lineas <= set(fugas.fugas("\n".join("\t  " + linea.replace(" ", "   ") for linea in lineas), secretos))


def test_las_marcas_siempre_y_nada_en_un_texto_limpio():
    assert fugas.fugas("x\n### BEGIN HIDDEN TESTS\ny") == ["BEGIN HIDDEN TESTS"]
    assert fugas.fugas("&lt;b&gt;END SOLUTION&lt;/b&gt;") == ["END SOLUTION"]
    secretos = fugas.secretos(_fuente("01_tensores"))
    assert fugas.fugas("<p>Correcto. crear_tensores(4, 5) devuelve lo esperado.</p>", secretos) == []
