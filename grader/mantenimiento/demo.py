"""Demostración del flujo del instructor con entregas de ejemplo generadas a partir del curso.

Crea un curso de prueba en ``salida/`` con cinco alumnos por tarea: ana (solución), beto (versión
en blanco), carla (una respuesta errónea típica), dario (archivo dañado) y elena (la solución
con los metadatos de nbgrader borrados y las celdas de pruebas eliminadas). Después califica,
genera la retroalimentación, exporta las notas y escribe el informe de la clase.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from curso import config
from grader.informes import informe, libro, retroalimentacion
from grader.mantenimiento import mutaciones
from grader.motor import lote
from grader.nucleo import celdas


def _con_error(fuente, error: mutaciones.Error):
    nb = nbformat.read(fuente, as_version=4)
    for celda in nb.cells:
        m = celdas.marca(celda)
        if m is not None and m.tipo == "ejercicio" and m.ejercicio == error.ejercicio:
            celda.source = f"{m.linea}\n{error.codigo}"
    return nb


def _mutilada(fuente):
    nb = nbformat.read(fuente, as_version=4)
    for celda in nb.cells:
        celda.metadata.pop("nbgrader", None)
    nb.cells = [c for c in nb.cells if (m := celdas.marca(c)) is None or m.tipo != "pruebas"]
    return nb


def crear_entregas(raiz_demo: Path, tareas: list[str]) -> Path:
    """Copia las fuentes y las versiones del alumno al curso de demostración y escribe las entregas de ejemplo."""
    shutil.rmtree(raiz_demo, ignore_errors=True)
    for tarea in tareas:
        shutil.copytree(config.cuaderno_fuente(tarea).parent, raiz_demo / config.DIR_FUENTES / tarea)
        shutil.copytree(config.cuaderno_publicado(tarea).parent, raiz_demo / config.DIR_PUBLICADOS / tarea)
    entregas = raiz_demo / config.DIR_ENTREGAS
    for tarea in tareas:
        fuente = config.cuaderno_fuente(tarea)
        nombre = f"{tarea}.ipynb"
        carpetas = {a: entregas / a / tarea for a in ("ana", "beto", "carla", "dario", "elena")}
        for carpeta in carpetas.values():
            carpeta.mkdir(parents=True)
        shutil.copy(fuente, carpetas["ana"] / nombre)
        shutil.copy(config.cuaderno_publicado(tarea), carpetas["beto"] / nombre)
        errores = [e for e in mutaciones.cargar(tarea) if not e.correcta]
        carla = _con_error(fuente, errores[0]) if errores else nbformat.read(config.cuaderno_publicado(tarea), 4)
        nbformat.write(carla, carpetas["carla"] / nombre)
        (carpetas["dario"] / nombre).write_text(fuente.read_text(encoding="utf-8")[:500], encoding="utf-8")
        nbformat.write(_mutilada(fuente), carpetas["elena"] / nombre)
    return entregas


def ejecutar(salida: Path, tareas: list[str], trabajos: int = 2) -> int:
    """Recorrido completo: entregas de ejemplo → calificación → retroalimentación → exportación → informe."""
    salida = salida.resolve()
    entregas = crear_entregas(salida, tareas)
    print(f"Entregas de ejemplo en {entregas}")
    print(lote.calificar_carpeta(entregas, tareas, trabajos=trabajos,
                                         csv=salida / "calificaciones.csv", raiz=salida))
    retro = retroalimentacion.generar(tareas, raiz=salida)
    print(f"Retroalimentación: {len(retro.escritas)} archivos HTML en {salida / config.DIR_RETRO}")
    for problema in retro.problemas:
        print(f"PROBLEMA INTERNO: {problema}")
    print(f"Notas exportadas del libro: {libro.exportar_csv(salida / 'notas.csv', raiz=salida)}")
    print(informe.texto_resumen(informe.generar(salida / config.DIR_INFORME, raiz=salida)))
    return 0
