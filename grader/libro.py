"""Libro de calificaciones: registros de resultado → gradebook de nbgrader, y notas → CSV."""
from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from curso import config
from grader import publicacion
from grader.calificacion import ESTADOS, Resultado


def url_libro(raiz: Path) -> str:
    return f"sqlite:///{raiz / config.LIBRO}"


def asegurar_tarea(tarea: str, raiz: Path) -> None:
    """Registra la tarea (celdas y puntos) en el libro si aún no está, sin tocar ``notebooks/``."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(url_libro(raiz), config.CURSO_ID) as gb:
        try:
            gb.find_assignment(tarea)
            return
        except MissingEntry:
            pass
    with tempfile.TemporaryDirectory(prefix="registro-") as tmp:
        publicacion.generar(tarea, publicacion.configuracion_nbgrader(raiz, release_directory=tmp))


def copia_de_seguridad(raiz: Path) -> Path | None:
    """Copia el libro antes de escribir en él (gradebook.db.<fecha>.bak); None si aún no existe."""
    ruta = raiz / config.LIBRO
    if not ruta.exists():
        return None
    copia = ruta.with_name(f"{ruta.name}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
    shutil.copy2(ruta, copia)
    return copia


def registrar(resultados: list[Resultado], raiz: Path = config.RAIZ) -> Path | None:
    """Guarda las notas automáticas en el libro. Conserva las notas manuales ya puestas.

    Las entregas que faltan no se registran (nbgrader las muestra como no entregadas).
    Devuelve la ruta de la copia de seguridad previa, si había libro.
    """
    from nbgrader.api import Gradebook

    copia = copia_de_seguridad(raiz)
    publicacion.asegurar_path_del_entorno()
    for tarea in sorted({r.tarea for r in resultados}):
        asegurar_tarea(tarea, raiz)
    with warnings.catch_warnings(), Gradebook(url_libro(raiz), config.CURSO_ID) as gb:
        warnings.simplefilter("ignore")  # SAWarning internos de nbgrader al crear entregas
        for r in resultados:
            if r.estado == "sin_entrega":
                continue
            gb.update_or_create_student(r.alumno)
            gb.update_or_create_submission(r.tarea, r.alumno)
            cuaderno = gb.find_submission_notebook(r.tarea, r.tarea, r.alumno)
            cuaderno.flagged = r.estado != "ok"
            for nota in r.notas:
                grade = gb.find_grade(nota.grade_id, r.tarea, r.tarea, r.alumno)
                grade.auto_score = nota.puntos
                grade.needs_manual_grade = grade.manual_score is not None or nota.puntos is None
            gb.db.commit()
    return copia


def escribir_csv(resultados: list[Resultado], ruta: Path) -> Path:
    """Una fila por (alumno, tarea): estado, puntos, máximo, puntos por ejercicio y mensaje."""
    filas = []
    for r in resultados:
        fila = {"alumno": r.alumno, "tarea": r.tarea, "estado": ESTADOS[r.estado],
                "puntos": r.puntos, "maximo": r.maximo, "segundos": r.segundos}
        fila.update({n.ejercicio: ("pendiente" if n.puntos is None else n.puntos) for n in r.notas})
        fila["mensaje"] = r.mensaje
        filas.append(fila)
    ruta.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(filas).to_csv(ruta, index=False)
    return ruta


def exportar_csv(ruta: Path, raiz: Path = config.RAIZ) -> Path:
    """Exporta del libro una fila por (alumno, tarea) con la nota total (automática + manual)."""
    from nbgrader.api import Gradebook

    if not (raiz / config.LIBRO).exists():
        raise FileNotFoundError(f"No hay libro de calificaciones en {raiz / config.LIBRO}: califica primero.")
    filas = []
    with Gradebook(url_libro(raiz), config.CURSO_ID) as gb:
        for tarea in gb.assignments:
            for alumno in gb.students:
                try:
                    entrega = gb.find_submission(tarea.name, alumno.id)
                except Exception:
                    filas.append({"alumno": alumno.id, "tarea": tarea.name, "puntos": 0.0,
                                  "maximo": tarea.max_score, "pendiente_manual": False, "entregada": False})
                    continue
                filas.append({"alumno": alumno.id, "tarea": tarea.name, "puntos": entrega.score,
                              "maximo": tarea.max_score, "pendiente_manual": entrega.needs_manual_grade,
                              "entregada": True})
    ruta.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(filas).sort_values(["alumno", "tarea"]).to_csv(ruta, index=False)
    return ruta
