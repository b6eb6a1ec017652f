"""Libro de calificaciones: qué celdas quedan pendientes de nota manual (``needs_manual_grade``) al registrar
resultados, comparado con lo que hacen formgrader y el ``SaveAutoGrades`` de nbgrader. Sin kernels: los
resultados se construyen a mano sobre la tarea mínima (sin ejecutar) y su libro en una carpeta temporal."""
from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from curso import config
from grader.informes import libro
from grader.mantenimiento import fuentes, publicacion
from grader.motor import lote
from grader.nucleo import celdas
from grader.nucleo import resultado as registros
from grader.nucleo.limites import Limites
from grader.nucleo.resultado import NotaEjercicio, Resultado
from tests.conftest import CELDAS_MINIMAS, TAREA_MINIMA, entregar, fuente_minima

ALUMNO = "ana"
LIMITES = Limites(aislar=False)  # no se ejecuta nada: la entrega no ha cambiado y se reutiliza su resultado


@pytest.fixture(scope="module")
def curso_publicado(tmp_path_factory) -> Path:
    """La tarea mínima sin ejecutar, publicada con nbgrader (versión del alumno y libro con sus celdas)."""
    raiz = tmp_path_factory.mktemp("curso_libro")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(texto) if tipo == "markdown" else nbformat.v4.new_code_cell(texto)
        for tipo, texto in CELDAS_MINIMAS
    ])
    fuentes.preparar(nb, TAREA_MINIMA)
    ruta = config.cuaderno_fuente(TAREA_MINIMA, raiz)
    ruta.parent.mkdir(parents=True)
    nbformat.write(nb, ruta)
    publicacion.publicar(TAREA_MINIMA, raiz)
    return raiz


@pytest.fixture()
def raiz(curso_publicado, tmp_path) -> Path:
    """Copia desechable del curso publicado, con su libro."""
    return Path(shutil.copytree(curso_publicado, tmp_path / "curso"))


def marcas(raiz: Path) -> dict[str, celdas.Marca]:
    """Las marcas calificadas de la tarea mínima, por ejercicio."""
    return {m.ejercicio: m for m in celdas.ejercicios(fuente_minima(raiz))}


def id_de(raiz: Path, ejercicio: str) -> str:
    """El grade_id de la celda calificada de ``ejercicio`` en el libro."""
    return marcas(raiz)[ejercicio].grade_id


def resultado(raiz: Path, huella: str = "h1", **puntos: float) -> Resultado:
    """Un resultado «ok» de ana como los de ``calificacion``: cada ejercicio con pruebas con todos sus puntos
    (o los dados en ``puntos``) y la respuesta escrita sin nota automática (la pone el instructor)."""
    notas = []
    for m in marcas(raiz).values():
        if m.tipo == "respuesta":
            notas.append(NotaEjercicio(m.ejercicio, m.grade_id, None, m.puntos, "manual"))
        else:
            p = puntos.get(m.ejercicio, m.puntos)
            estado_nota = "correcto" if p == m.puntos else "parcial"
            notas.append(NotaEjercicio(m.ejercicio, m.grade_id, p, m.puntos, estado_nota))
    return Resultado(ALUMNO, TAREA_MINIMA, "ok", notas=notas, huella=huella)


def estado(raiz: Path, url: str | None = None) -> dict[str, tuple]:
    """Por grade_id: (auto_score, manual_score, needs_manual_grade) de la entrega de ana en el libro."""
    with Gradebook(url or libro.url_libro(raiz), config.CURSO_ID) as gb:
        return {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade)
                for g in gb.find_submission_notebook(TAREA_MINIMA, TAREA_MINIMA, ALUMNO).grades}


def calificar_a_mano(raiz: Path, grade_id: str, puntos: float, url: str | None = None) -> None:
    """Lo que hace formgrader al guardar una nota manual (``GradeHandler.put`` en
    ``nbgrader/server_extensions/formgrader/apihandlers.py``)."""
    with Gradebook(url or libro.url_libro(raiz), config.CURSO_ID) as gb:
        grade = gb.find_grade(grade_id, TAREA_MINIMA, TAREA_MINIMA, ALUMNO)
        grade.manual_score = puntos
        grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None
        gb.db.commit()


def test_primera_calificacion_solo_la_respuesta_escrita_queda_pendiente(raiz):
    libro.registrar([resultado(raiz, ej99_doble=0)], raiz)
    e = estado(raiz)
    assert e[id_de(raiz, "ej99_explica")] == (None, None, True), "la respuesta escrita espera al instructor"
    assert e[id_de(raiz, "ej99_suma")] == (2, None, False), "una celda con nota automática no espera a nadie"
    assert e[id_de(raiz, "ej99_doble")] == (0, None, False), "un 0 automático también es una nota"


def _calificar_de_nuevo_sin_cambios(raiz: Path) -> None:
    """``python -m grader calificar`` otra vez sobre la misma entrega (se reutiliza su resultado.json)."""
    resumen = lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], raiz=raiz, limites=LIMITES,
                                     progreso=False)
    assert "(1 sin cambios desde la última vez" in resumen, "la entrega no cambió: no debía recalificarse"


def _registrar_de_nuevo(raiz: Path) -> None:
    """``python -m grader registrar``: rehace el libro con los resultado.json."""
    lote.reconstruir(raiz, [TAREA_MINIMA], raiz / "notas.csv")


@pytest.mark.parametrize("de_nuevo", [_calificar_de_nuevo_sin_cambios, _registrar_de_nuevo],
                         ids=["calificar", "registrar"])
def test_nota_manual_puesta_en_formgrader_no_vuelve_a_quedar_pendiente(raiz, de_nuevo):
    entregar(raiz, ALUMNO, fuente_minima(raiz))
    [trabajo] = lote.explorar(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA]).trabajos
    r = resultado(raiz, huella=lote.huella(trabajo, raiz, LIMITES))
    registros.escribir(r, lote.carpeta_resultado(raiz, ALUMNO, TAREA_MINIMA))
    libro.registrar([r], raiz)  # la primera calificación
    explica = id_de(raiz, "ej99_explica")
    calificar_a_mano(raiz, explica, 1)
    de_nuevo(raiz)
    assert estado(raiz)[explica] == (None, 1, False), "la nota manual se conserva y no vuelve a quedar pendiente"
    exportado = libro.exportar_csv(raiz / "exportado.csv", raiz).read_text(encoding="utf-8").splitlines()
    assert exportado[1] == f"{ALUMNO},{TAREA_MINIMA},6.0,6.0,False,True", "5 automáticos + 1 manual, nada pendiente"


def test_nota_automatica_corregida_a_mano_se_respeta_al_registrar_de_nuevo(raiz):
    libro.registrar([resultado(raiz, ej99_doble=0)], raiz)
    doble = id_de(raiz, "ej99_doble")
    calificar_a_mano(raiz, doble, 3)  # el instructor ve que el 0 del calificador era injusto
    libro.registrar([resultado(raiz, ej99_doble=0)], raiz)
    assert estado(raiz)[doble] == (0, 3, False)


def test_entrega_cambiada_pide_revisar_la_nota_manual_y_la_conserva(raiz):
    libro.registrar([resultado(raiz)], raiz)
    explica = id_de(raiz, "ej99_explica")
    calificar_a_mano(raiz, explica, 1)
    libro.registrar([resultado(raiz, huella="h2")], raiz)  # el alumno volvió a entregar y se recalificó
    assert estado(raiz)[explica] == (None, 1, True), "como SaveAutoGrades: la nota queda, pendiente de revisión"


def test_revision_pendiente_sigue_pendiente_al_registrar_de_nuevo(raiz):
    libro.registrar([resultado(raiz)], raiz)
    explica = id_de(raiz, "ej99_explica")
    calificar_a_mano(raiz, explica, 1)
    libro.registrar([resultado(raiz, huella="h2")], raiz)
    libro.registrar([resultado(raiz, huella="h2")], raiz)  # registrar otra vez no es revisar
    assert estado(raiz)[explica] == (None, 1, True)


def test_otra_nota_automatica_de_la_misma_entrega_pide_revisar_la_correccion(raiz):
    libro.registrar([resultado(raiz, ej99_doble=0)], raiz)
    doble = id_de(raiz, "ej99_doble")
    calificar_a_mano(raiz, doble, 2)
    # p. ej. recalificada con --forzar, sin cambios en la entrega: la corrección se dio sobre un 0
    libro.registrar([resultado(raiz, ej99_doble=3)], raiz)
    assert estado(raiz)[doble] == (3, 2, True)


def _autocalificar_con_nbgrader(raiz: Path, url: str, respuesta: str) -> None:
    """El ``SaveAutoGrades`` de nbgrader sobre la versión del alumno con ``respuesta`` escrita y las celdas de
    pruebas sin salida (todas sus notas automáticas, sin ejecutar nada), como lo llama ``nbgrader autograde``."""
    from nbgrader.preprocessors import SaveAutoGrades

    nb = nbformat.read(config.cuaderno_publicado(TAREA_MINIMA, raiz), as_version=4)
    for celda in nb.cells:
        if celdas.marca(celda) is not None and celdas.marca(celda).tipo == "respuesta":
            celda.source = celda.source.splitlines()[0] + "\n" + respuesta
    with Gradebook(url, config.CURSO_ID) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SAWarning internos de nbgrader al crear la entrega (como en libro)
        gb.update_or_create_student(ALUMNO)
        gb.update_or_create_submission(TAREA_MINIMA, ALUMNO)
    SaveAutoGrades().preprocess(nb, {"nbgrader": {"notebook": TAREA_MINIMA, "assignment": TAREA_MINIMA,
                                                  "student": ALUMNO, "db_url": url}})


def test_coincide_con_saveautogrades_de_nbgrader_cuando_nbgrader_recalificaria(raiz):
    """Primera calificación, notas manuales en formgrader (una respuesta escrita y una corrección) y una entrega
    nueva recalificada: las notas manuales y lo pendiente coinciden con lo que deja nbgrader."""
    url_nbgrader = f"sqlite:///{raiz / 'nbgrader.db'}"
    shutil.copy(raiz / config.LIBRO, raiz / "nbgrader.db")

    def pendientes(url=None):
        return {g: (manual, pendiente) for g, (_, manual, pendiente) in estado(raiz, url).items()}

    libro.registrar([resultado(raiz)], raiz)
    _autocalificar_con_nbgrader(raiz, url_nbgrader, "Porque lo dice el enunciado.")
    assert pendientes() == pendientes(url_nbgrader), "primera calificación: distinto de nbgrader"
    for url in (None, url_nbgrader):
        calificar_a_mano(raiz, id_de(raiz, "ej99_explica"), 1, url)
        calificar_a_mano(raiz, id_de(raiz, "ej99_doble"), 2, url)
    libro.registrar([resultado(raiz, huella="h2")], raiz)
    _autocalificar_con_nbgrader(raiz, url_nbgrader, "Porque lo dice el enunciado, y lo he comprobado.")
    assert pendientes() == pendientes(url_nbgrader), "entrega nueva tras las notas manuales: distinto de nbgrader"
