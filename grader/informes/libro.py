"""Libro de calificaciones: registros de resultado → gradebook de nbgrader, y notas → CSV."""
from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from curso import config
from grader.mantenimiento import publicacion
from grader.nucleo.resultado import BANDERAS, ESTADOS, Resultado


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
    """Guarda las notas automáticas en el libro. Conserva las notas manuales ya puestas; qué celdas quedan
    pendientes de nota manual lo decide ``pendiente_manual``.

    Las entregas que faltan no se registran (nbgrader las muestra como no entregadas).
    Devuelve la ruta de la copia de seguridad previa, si había libro.
    """
    with Libro(raiz, sorted({r.tarea for r in resultados})) as libro:
        for r in resultados:
            libro.registrar(r)
    return libro.copia


def pendiente_manual(grade, auto_score: float | None, misma_huella: bool) -> bool:
    """``needs_manual_grade`` de una celda al registrar su nueva nota automática (``grade`` aún tiene la anterior;
    ``misma_huella``: el resultado es de la misma entrega, fuente y límites que el último registrado).

    Como nbgrader 0.9.6: sin nota manual, queda pendiente solo si no hay nota automática (la respuesta escrita),
    igual que ``SaveAutoGrades`` (preprocessors/saveautogrades.py:48-53). La nota manual que el instructor pone
    en formgrader (que deja la celda no pendiente, server_extensions/formgrader/apihandlers.py:64-69) nunca se
    toca. Si se registra otra vez lo mismo (misma huella y misma nota automática de la celda: ``calificar``
    sin cambios, ``registrar``), la celda queda como estaba: nbgrader no vuelve a autocalificar una entrega que
    no ha cambiado (converters/base.py:262-281). Si la entrega cambió o su nota automática es otra, la nota
    manual queda pendiente de revisión, como hace ``SaveAutoGrades`` al recalificar (saveautogrades.py:48-51).
    """
    if grade.manual_score is None:
        return auto_score is None
    if misma_huella and grade.auto_score == auto_score:
        return grade.needs_manual_grade
    return True


TABLA_HUELLAS = "huellas_del_calificador"
"""Tabla propia en gradebook.db (nbgrader no la lee; ``nbgrader db upgrade`` la deja): la huella del último
resultado registrado de cada entrega. Va en el libro para guardarse en la misma transacción que las notas y
viajar con sus copias de seguridad."""


def _sql(consulta: str):
    from sqlalchemy import text

    return text(consulta)


class Libro:
    """El libro de nbgrader abierto para registrar resultados uno a uno, cada uno en su propia transacción
    (si el proceso se corta, lo ya registrado queda). Hace antes una copia de seguridad."""

    def __init__(self, raiz: Path, tareas: list[str]):
        self.raiz, self.tareas = raiz, tareas
        self.copia: Path | None = None
        self.gb = None

    def __enter__(self) -> "Libro":
        from nbgrader.api import Gradebook

        self.copia = copia_de_seguridad(self.raiz)
        publicacion.asegurar_path_del_entorno()
        for tarea in self.tareas:
            asegurar_tarea(tarea, self.raiz)
        self.gb = Gradebook(url_libro(self.raiz), config.CURSO_ID)
        self.gb.db.execute(_sql(f"CREATE TABLE IF NOT EXISTS {TABLA_HUELLAS} (alumno TEXT NOT NULL, "
                                "tarea TEXT NOT NULL, huella TEXT NOT NULL, PRIMARY KEY (alumno, tarea))"))
        self.gb.db.commit()
        return self

    def __exit__(self, *exc) -> None:
        self.gb.close()

    def misma_huella(self, r: Resultado) -> bool:
        """¿Tiene ``r`` la huella del último resultado registrado de su entrega? (No, si no tiene huella.)"""
        previa = self.gb.db.execute(_sql(f"SELECT huella FROM {TABLA_HUELLAS} WHERE alumno = :a AND tarea = :t"),
                                    {"a": r.alumno, "t": r.tarea}).scalar()
        return bool(r.huella) and previa == r.huella

    def anotar_huella(self, r: Resultado) -> None:
        """Guarda la huella de ``r`` como la del último resultado registrado de su entrega (sin confirmar aún)."""
        self.gb.db.execute(_sql(f"INSERT INTO {TABLA_HUELLAS} (alumno, tarea, huella) VALUES (:a, :t, :h) "
                                "ON CONFLICT (alumno, tarea) DO UPDATE SET huella = excluded.huella"),
                           {"a": r.alumno, "t": r.tarea, "h": r.huella})

    def registrar(self, r: Resultado) -> None:
        if r.estado == "sin_entrega":
            return
        gb = self.gb
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SAWarning internos de nbgrader al crear entregas
            gb.update_or_create_student(r.alumno)
            gb.update_or_create_submission(r.tarea, r.alumno)
            cuaderno = gb.find_submission_notebook(r.tarea, r.tarea, r.alumno)
            cuaderno.flagged = r.estado != "ok" or bool(r.banderas)
            if not r.tiene_nota:  # error interno: ni un 0 (lo que hubiera se conserva; se recalifica después)
                gb.db.commit()
                return
            misma = self.misma_huella(r)
            for nota in r.notas:
                grade = gb.find_grade(nota.grade_id, r.tarea, r.tarea, r.alumno)
                grade.needs_manual_grade = pendiente_manual(grade, nota.puntos, misma)
                grade.auto_score = nota.puntos
            self.anotar_huella(r)
            gb.db.commit()


INICIOS_DE_FORMULA = ("=", "+", "-", "@", "\t", "\r")
"""Un texto que empieza así lo ejecuta una hoja de cálculo como fórmula (inyección en CSV)."""


def texto_seguro(valor):
    """Un valor para una celda de CSV: un texto que una hoja de cálculo tomaría por fórmula va precedido de «'»."""
    if isinstance(valor, str) and valor.startswith(INICIOS_DE_FORMULA):
        return "'" + valor
    return valor


def tabla_segura(tabla: pd.DataFrame) -> pd.DataFrame:
    """La tabla con sus textos (celdas y nombres de columna) neutralizados con ``texto_seguro``."""
    segura = tabla.map(texto_seguro)
    segura.columns = [texto_seguro(c) for c in segura.columns]
    return segura


def escribir_csv(resultados: list[Resultado], ruta: Path) -> Path:
    """Una fila por (alumno, tarea): estado, puntos, máximo, puntos por ejercicio, mensaje, avisos y banderas.
    Sin nota (sin entrega, error interno): puntos vacíos, nunca un 0."""
    filas = []
    for r in resultados:
        fila = {"alumno": r.alumno, "tarea": r.tarea, "estado": ESTADOS[r.estado],
                "puntos": r.puntos if r.tiene_nota else None, "maximo": r.maximo, "segundos": r.segundos}
        fila.update({n.ejercicio: ("pendiente" if n.estado == "manual" else n.puntos) for n in r.notas})
        fila["mensaje"] = r.mensaje
        fila["avisos"] = " | ".join(r.avisos)
        fila["banderas"] = "; ".join(BANDERAS[b] for b in r.banderas)
        fila["fuera_de_sitio"] = " | ".join(r.extraviados)
        filas.append(fila)
    ruta.parent.mkdir(parents=True, exist_ok=True)
    tabla_segura(pd.DataFrame(filas)).to_csv(ruta, index=False)
    return ruta


COLUMNAS_LMS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
"""Columnas de identificación que pide la importación de notas de Canvas; en Moodle, «SIS Login ID» se asocia
al nombre de usuario. El id de alumno de nbgrader va en «Student» y en «SIS Login ID»."""
COLUMNA_TOTAL = "Total"


def tabla_lms(largo: pd.DataFrame) -> pd.DataFrame:
    """De una tabla larga (alumno, tarea, puntos) a una ancha: una fila por alumno, una columna por tarea
    (puntos; vacía si no la entregó) y el total, con las columnas de identificación de Canvas y Moodle."""
    ancho = largo.pivot(index="alumno", columns="tarea", values="puntos").astype(float).sort_index()
    ancho.columns.name = None
    ancho[COLUMNA_TOTAL] = ancho.sum(axis=1, skipna=True)
    ids = pd.DataFrame({"Student": ancho.index, "ID": "", "SIS User ID": "", "SIS Login ID": ancho.index,
                        "Section": ""}, index=ancho.index)
    return pd.concat([ids, ancho], axis=1).reset_index(drop=True)


def escribir_csv_lms(largo: pd.DataFrame, ruta: Path) -> Path:
    """CSV ancho para importar en Moodle o Canvas (UTF-8, coma, punto decimal)."""
    ruta.parent.mkdir(parents=True, exist_ok=True)
    tabla_segura(tabla_lms(largo)).to_csv(ruta, index=False, float_format="%.6g")
    return ruta


def ruta_lms(ruta_csv: Path) -> Path:
    """``notas.csv`` → ``notas_lms.csv``: el CSV ancho va al lado del largo."""
    return ruta_csv.with_name(f"{ruta_csv.stem}_lms{ruta_csv.suffix}")


def exportar_csv(ruta: Path, raiz: Path = config.RAIZ) -> Path:
    """Exporta del libro una fila por (alumno, tarea) con la nota total (automática + manual), y al lado
    (``<nombre>_lms.csv``) la misma nota en una fila por alumno para Moodle o Canvas."""
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
                notas = [g for cuaderno in entrega.notebooks for g in cuaderno.grades]
                calificada = any(g.auto_score is not None or g.manual_score is not None for g in notas)
                # sin ninguna nota (p. ej. un error interno del calificador): vacía, no un 0
                filas.append({"alumno": alumno.id, "tarea": tarea.name, "puntos": entrega.score if calificada else None,
                              "maximo": tarea.max_score, "pendiente_manual": entrega.needs_manual_grade,
                              "entregada": True})
    ruta.parent.mkdir(parents=True, exist_ok=True)
    tabla = pd.DataFrame(filas).sort_values(["alumno", "tarea"])
    tabla_segura(tabla).to_csv(ruta, index=False)
    escribir_csv_lms(tabla, ruta_lms(ruta))
    return ruta
