"""La demostración del instructor: entregas de ejemplo → notas, CSV y retroalimentación sin pruebas ocultas."""
from __future__ import annotations

import pandas as pd

from curso import config
from grader.mantenimiento import demo, mutaciones
from tests.conftest import TAREAS


def test_demo_de_punta_a_punta(tmp_path):
    tarea = TAREAS[0]
    assert demo.ejecutar(tmp_path / "demo", [tarea]) == 0
    notas = pd.read_csv(tmp_path / "demo" / "notas.csv").set_index("alumno")
    maximo = notas.loc["ana", "maximo"]
    assert notas.loc["ana", "puntos"] == notas.loc["elena", "puntos"] > 0
    assert notas.loc["beto", "puntos"] == 0 and notas.loc["dario", "puntos"] == 0
    assert 0 < maximo - notas.loc["carla", "puntos"] < maximo
    calificaciones = pd.read_csv(tmp_path / "demo" / "calificaciones.csv").set_index("alumno")
    assert calificaciones.loc["dario", "estado"] == "archivo no válido"
    for alumno in ("ana", "beto", "carla", "dario", "elena"):
        html = (tmp_path / "demo" / "feedback" / alumno / tarea / f"{tarea}.html").read_text()
        assert "Retroalimentación" in html
        assert "BEGIN HIDDEN TESTS" not in html and "sys.modules.pop" not in html
    carla = (tmp_path / "demo" / "feedback" / "carla" / tarea / f"{tarea}.html").read_text()
    assert "✘" in carla
    # El informe de la clase reconoce el error típico de carla en su mensaje real y no muestra pruebas ocultas.
    informe = (tmp_path / "demo" / config.DIR_INFORME / "informe.html").read_text()
    assert "BEGIN HIDDEN TESTS" not in informe and "sys.modules.pop" not in informe
    error = next(e for e in mutaciones.cargar(tarea) if not e.correcta)
    fallos = pd.read_csv(tmp_path / "demo" / config.DIR_INFORME / "fallos.csv")
    fila = fallos[fallos["ejercicio"] == error.ejercicio]
    assert len(fila) == 1 and fila["veces"].iloc[0] == 1 and error.descripcion in fila["errores_banco"].iloc[0]
