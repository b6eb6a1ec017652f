"""Ida y vuelta de cada cuaderno: solución = nota máxima, versión en blanco = 0, cada error típico
pierde exactamente los puntos de su ejercicio con su mensaje, y las trampas no aprueban."""
from __future__ import annotations

import nbformat
import pytest

from curso import config
from grader.mantenimiento import mutaciones
from grader.motor import calificacion
from grader.nucleo import cuadernos
from tests.conftest import TAREAS


def _calificar(tarea, entrega, tmp_path):
    return calificacion.calificar_entrega(entrega, config.cuaderno_fuente(tarea), "prueba", tarea, tmp_path)


@pytest.mark.parametrize("tarea", TAREAS)
def test_solucion_nota_maxima(tarea, tmp_path):
    r = _calificar(tarea, config.cuaderno_fuente(tarea), tmp_path)
    assert r.estado == "ok", r.mensaje
    fallidas = [(n.ejercicio, n.mensaje) for n in r.notas if n.puntos is not None and n.puntos != n.maximo]
    assert not fallidas
    assert r.puntos == sum(n.maximo for n in r.notas if n.estado != "manual") > 0
    # Como al calificar (sin las celdas # OMITIR_AL_CALIFICAR), ninguna celda falla: nada de lo calificado
    # ni de lo que se muestra en la retroalimentación depende de un entrenamiento omitido.
    ejecutado = nbformat.read(tmp_path / f"{tarea}.ipynb", as_version=4)
    assert cuadernos.errores(ejecutado) == []


@pytest.mark.parametrize("tarea", TAREAS)
def test_version_en_blanco_vale_cero(tarea, tmp_path):
    r = _calificar(tarea, config.cuaderno_publicado(tarea), tmp_path)
    assert r.estado == "ok", r.mensaje
    assert r.puntos == 0
    assert all(n.estado in ("sin_responder", "manual") for n in r.notas), [(n.ejercicio, n.mensaje) for n in r.notas]


@pytest.mark.parametrize("tarea", TAREAS)
def test_errores_tipicos_pierden_solo_sus_puntos(tarea):
    # Un solo kernel: pytest-xdist ya ocupa cada núcleo con una prueba (con dos, la solución se ejecutaría dos veces).
    base, veredictos = mutaciones.verificar(tarea, trabajos=1)
    assert all(n.puntos == n.maximo for n in base if n.puntos is not None)
    malos = [(v.error.ejercicio, v.error.descripcion, v.problemas) for v in veredictos if not v.ok]
    assert not malos
    erroneas = [v for v in veredictos if "trampas" not in v.error.descripcion and not v.error.correcta]
    assert len(erroneas) >= 2 * len([n for n in base if n.puntos is not None])
