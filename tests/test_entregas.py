"""El calificador ante entregas reales: correctas, en blanco, dañadas, mutiladas, tramposas o que cuelgan."""
from __future__ import annotations

import copy
import json

import nbformat
import pytest

from curso import config
from grader.informes import libro
from grader.motor import calificacion, lote
from grader.nucleo import celdas, puntuacion
from tests.conftest import TAREA_MINIMA, con_respuesta, entregar, fuente_minima


def _calificar(raiz, alumno, contenido, **kw):
    ruta = entregar(raiz, alumno, contenido)
    return calificacion.calificar_entrega(ruta, config.cuaderno_fuente(TAREA_MINIMA, raiz), alumno, TAREA_MINIMA,
                                          raiz / config.DIR_CALIFICADOS / alumno / TAREA_MINIMA, **kw)


def _puntos(resultado):
    return {n.ejercicio: n.puntos for n in resultado.notas}


def test_solucion_nota_maxima_y_respuesta_manual_pendiente(copia_curso_minimo):
    r = _calificar(copia_curso_minimo, "ana", fuente_minima(copia_curso_minimo))
    assert r.estado == "ok"
    assert _puntos(r) == {"ej99_suma": 2, "ej99_doble": 3, "ej99_explica": None}
    assert (r.puntos, r.maximo) == (5, 6)
    guardado = json.loads((copia_curso_minimo / "autograded/ana" / TAREA_MINIMA / "resultado.json").read_text())
    assert guardado["puntos"] == 5


def test_celdas_omitidas_no_se_ejecutan_al_calificar(copia_curso_minimo):
    r = _calificar(copia_curso_minimo, "omar", fuente_minima(copia_curso_minimo))
    assert r.estado == "ok"
    ejecutado = nbformat.read(copia_curso_minimo / "autograded/omar" / TAREA_MINIMA / f"{TAREA_MINIMA}.ipynb", 4)
    omitidas = [c for c in ejecutado.cells if celdas.se_omite(c)]
    assert omitidas and all(c.execution_count is None and not c.outputs for c in omitidas)


def test_version_en_blanco_vale_cero_sin_romper(copia_curso_minimo):
    blanco = nbformat.read(config.cuaderno_publicado(TAREA_MINIMA, copia_curso_minimo), as_version=4)
    r = _calificar(copia_curso_minimo, "beto", blanco)
    assert r.estado == "ok" and r.puntos == 0
    auto = [n for n in r.notas if n.puntos is not None]
    assert {n.estado for n in auto} == {"sin_responder"}
    assert all("sin responder" in n.mensaje for n in auto)


@pytest.mark.parametrize("contenido, fragmento", [
    ('{"cells": [', "no es JSON válido"),
    ("", "está vacío"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binario", "no es un archivo de texto"),
    ("[1, 2, 3]", "no es un cuaderno de Jupyter"),
    ('{"hola": "mundo"}', "no es un cuaderno de Jupyter"),
])
def test_archivo_invalido_da_cero_con_mensaje(copia_curso_minimo, contenido, fragmento):
    r = _calificar(copia_curso_minimo, "dario", contenido)
    assert r.estado == "archivo_invalido"
    assert fragmento in r.mensaje
    assert r.puntos == 0 and r.maximo == 6


def test_metadatos_borrados_y_pruebas_eliminadas_se_restauran(copia_curso_minimo):
    nb = fuente_minima(copia_curso_minimo)
    for celda in nb.cells:
        celda.metadata.pop("nbgrader", None)
    nb.cells = [c for c in nb.cells if not c.source.startswith("# PRUEBAS ej99_suma")]
    r = _calificar(copia_curso_minimo, "elena", nb)
    assert _puntos(r)["ej99_suma"] == 2 and _puntos(r)["ej99_doble"] == 3
    assert any("ej99_suma-pruebas" in a and "restauró" in a for a in r.avisos)


def test_celda_de_ejercicio_borrada_cuenta_como_sin_responder(copia_curso_minimo):
    nb = fuente_minima(copia_curso_minimo)
    nb.cells = [c for c in nb.cells if not c.source.startswith("# EJERCICIO ej99_doble")]
    r = _calificar(copia_curso_minimo, "fede", nb)
    assert _puntos(r)["ej99_suma"] == 2 and _puntos(r)["ej99_doble"] == 0
    assert any("ej99_doble" in a for a in r.avisos)


def test_pruebas_modificadas_por_el_alumno_se_reemplazan(copia_curso_minimo):
    nb = con_respuesta(copia_curso_minimo, "ej99_suma", "total = 99")
    for celda in nb.cells:
        if celda.source.startswith("# PRUEBAS ej99_suma"):
            celda.source = "# PRUEBAS ej99_suma (2 puntos)\npass"
    r = _calificar(copia_curso_minimo, "gabi", nb)
    assert _puntos(r)["ej99_suma"] == 0
    assert "se esperaba 15" in r.notas[0].mensaje


def test_respuesta_erronea_pierde_solo_sus_puntos_con_mensaje(copia_curso_minimo):
    r = _calificar(copia_curso_minimo, "ines", con_respuesta(copia_curso_minimo, "ej99_suma", "total = 14.0"))
    assert _puntos(r)["ej99_suma"] == 0 and _puntos(r)["ej99_doble"] == 3
    assert "debe ser de tipo int" in r.notas[0].mensaje


def test_stderr_en_una_prueba_no_quita_puntos(copia_curso_minimo):
    codigo = ("import sys, warnings\n"
              "def doble(v):\n    print('ruido de TF', file=sys.stderr)\n"
              "    warnings.warn('aviso inofensivo')\n    return 2 * np.asarray(v)")
    r = _calificar(copia_curso_minimo, "juan", con_respuesta(copia_curso_minimo, "ej99_doble", codigo))
    assert _puntos(r)["ej99_doble"] == 3
    ejecutado = nbformat.read(copia_curso_minimo / "autograded/juan" / TAREA_MINIMA / f"{TAREA_MINIMA}.ipynb", 4)
    salidas = [s for c in ejecutado.cells if c.source.startswith("# PRUEBAS ej99_doble") for s in c.outputs]
    assert any(s.get("name") == "stderr" for s in salidas), "la prueba debería haber escrito en stderr"


def test_bucle_infinito_agota_el_tiempo(copia_curso_minimo):
    r = _calificar(copia_curso_minimo, "luis", con_respuesta(copia_curso_minimo, "ej99_doble", "while True:\n    pass"),
                   tiempo_por_celda=20)  # kernel en frío: la cabecera importa TensorFlow (~4 s, más si hay carga)
    assert r.estado == "tiempo_agotado" and "tardó más de 20 s" in r.mensaje
    assert _puntos(r) == {"ej99_suma": 2, "ej99_doble": 0, "ej99_explica": None}


def test_kernel_que_muere(copia_curso_minimo):
    nb = con_respuesta(copia_curso_minimo, "ej99_doble", "import os\nos._exit(1)")
    r = _calificar(copia_curso_minimo, "mara", nb)
    assert r.estado == "kernel_murio" and "kernel se detuvo" in r.mensaje
    assert _puntos(r)["ej99_suma"] == 2 and _puntos(r)["ej99_doble"] == 0


def test_lote_sigue_tras_una_entrega_rota_y_no_pierde_notas(copia_curso_minimo, tmp_path):
    raiz = copia_curso_minimo
    entregar(raiz, "ana", fuente_minima(raiz))
    lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], csv=tmp_path / "a.csv", raiz=raiz)
    # el instructor pone a mano la nota de la respuesta escrita de ana
    from nbgrader.api import Gradebook

    with Gradebook(libro.url_libro(raiz), config.CURSO_ID) as gb:
        gb.find_grade("ej99_explica", TAREA_MINIMA, TAREA_MINIMA, "ana").manual_score = 1
        gb.db.commit()
    entregar(raiz, "beto", '{"roto": ')
    entregar(raiz, "carla", con_respuesta(raiz, "ej99_suma", "total = 14"))
    resumen = lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], trabajos=2,
                                             csv=tmp_path / "b.csv", raiz=raiz)
    assert "3 alumnos, 3 cuadernos entregados de 3 (1 sin cambios" in resumen  # ana no cambió: no se recalifica
    notas = libro.exportar_csv(tmp_path / "notas.csv", raiz).read_text().splitlines()
    assert notas[0] == "alumno,tarea,puntos,maximo,pendiente_manual,entregada"
    assert f"ana,{TAREA_MINIMA},6.0,6.0" in notas[1]  # 5 automáticos + 1 manual conservado
    assert notas[2].startswith(f"beto,{TAREA_MINIMA},0.0,6.0")
    assert notas[3].startswith(f"carla,{TAREA_MINIMA},3.0,6.0")
    assert list(raiz.glob("gradebook.db.*.bak")), "debe quedar copia del libro previo"
    csv = (tmp_path / "b.csv").read_text()
    assert "archivo no válido" in csv and "no es JSON válido" in csv


def test_combinar_no_modifica_la_entrega(curso_minimo):
    fuente = fuente_minima(curso_minimo)
    original = copy.deepcopy(fuente)
    puntuacion.combinar(fuente, fuente)
    assert fuente == original
