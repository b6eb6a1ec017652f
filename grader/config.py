"""Configuración única del curso: rutas, versiones fijadas, semilla y límites de calificación.

Todo lo que otro módulo necesite saber del curso se lee de aquí; nada se repite en otro sitio.
Este módulo solo usa la biblioteca estándar: también lo importan los cuadernos de los alumnos.
"""
from __future__ import annotations

import re
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
"""Carpeta raíz del repositorio (también es el directorio del curso para nbgrader)."""

DIR_FUENTES = "solutions"       # nbgrader: source_directory
DIR_PUBLICADOS = "notebooks"    # nbgrader: release_directory
DIR_ENTREGAS = "submitted"      # nbgrader: submitted_directory
DIR_CALIFICADOS = "autograded"  # nbgrader: autograded_directory
DIR_RETRO = "feedback"          # nbgrader: feedback_directory
DIR_DATOS = "data"
LIBRO = "gradebook.db"          # libro de calificaciones de nbgrader (SQLite)

CURSO_ID = "redes-neuronales"
SEMILLA = 42

# Dirección git del curso publicado: en Colab (sin el curso al lado del cuaderno) la cabecera lo
# clona desde aquí. Vacía = el alumno sube la carpeta del curso a Colab; la cabecera se lo explica.
REPO_URL = ""

# Texto que sustituye a las soluciones en las versiones de los alumnos.
STUB_CODIGO = "# ESCRIBE TU CÓDIGO AQUÍ\nraise NotImplementedError()"
STUB_TEXTO = "ESCRIBE TU RESPUESTA AQUÍ"

# Límites de una calificación (un trabajo = un alumno x un cuaderno).
TIEMPO_POR_CELDA_S = 120        # tiempo máximo de una celda al calificar
TIEMPO_ARRANQUE_KERNEL_S = 60
MEMORIA_KERNEL_BYTES = 6 * 1024**3  # tope de memoria virtual del kernel de un alumno (TF funciona con 2 GB)
AISLAR = True  # calificar con bubblewrap (sin red ni acceso a fuentes, entregas ajenas o libro) si está instalado

# Variables de entorno de todo kernel que ejecuta cuadernos (silencian TensorFlow).
ENTORNO_KERNEL = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
}

# Paquetes cuya versión comprueba la cabecera de cada cuaderno.
PAQUETES_VIGILADOS = ("tensorflow_cpu", "keras", "numpy")

ARCHIVO_SANEAR_NBVAL = RAIZ / "grader" / "nbval_sanitize.cfg"
ARCHIVO_REQUISITOS = RAIZ / "requirements.txt"


def versiones_fijadas(requisitos: Path = ARCHIVO_REQUISITOS) -> dict[str, str]:
    """Lee las versiones exactas (``paquete==versión``) de requirements.txt."""
    versiones = {}
    for linea in requisitos.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)", linea)
        if m:
            versiones[m.group(1).lower().replace("-", "_")] = m.group(2)
    return versiones


def tareas(raiz: Path = RAIZ) -> list[str]:
    """Nombres de las tareas (un cuaderno por carpeta de ``solutions/``), en el orden del curso."""
    fuentes = raiz / DIR_FUENTES
    return sorted(p.name for p in fuentes.iterdir() if p.is_dir() and re.match(r"^\d\d_", p.name))


def cuaderno_fuente(tarea: str, raiz: Path = RAIZ) -> Path:
    """Ruta del cuaderno del instructor de una tarea."""
    return raiz / DIR_FUENTES / tarea / f"{tarea}.ipynb"


def cuaderno_publicado(tarea: str, raiz: Path = RAIZ) -> Path:
    """Ruta de la versión del alumno de una tarea."""
    return raiz / DIR_PUBLICADOS / tarea / f"{tarea}.ipynb"
