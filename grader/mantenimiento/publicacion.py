"""Versiones de los alumnos: generación con la API de nbgrader y comprobación de desfase."""
from __future__ import annotations

import filecmp
import os
import sys
import tempfile
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from curso import config


class ErrorPublicacion(RuntimeError):
    """nbgrader no pudo generar la versión del alumno."""


def configuracion_nbgrader(raiz: Path = config.RAIZ, **cambios) -> Config:
    """La configuración única de nbgrader, con el curso en ``raiz`` y cambios opcionales de CourseDirectory."""
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(config.RAIZ / "grader")).load_config()
    cfg.CourseDirectory.root = str(raiz)
    cfg.CourseDirectory.db_url = f"sqlite:///{raiz / config.LIBRO}"
    for clave, valor in cambios.items():
        setattr(cfg.CourseDirectory, clave, valor)
    return cfg


def asegurar_path_del_entorno() -> None:
    """nbgrader llama al ejecutable `alembic` al crear el libro: el bin del entorno debe estar en PATH."""
    bin_entorno = str(Path(sys.executable).parent)
    if bin_entorno not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_entorno + os.pathsep + os.environ.get("PATH", "")


def generar(tarea: str, cfg: Config) -> None:
    """Ejecuta generate_assignment de nbgrader con la configuración dada (destino y libro incluidos)."""
    from nbgrader.apps.api import NbGraderAPI

    asegurar_path_del_entorno()
    api = NbGraderAPI(config=cfg)
    resultado = api.generate_assignment(tarea, force=True, create=True)
    if not resultado["success"]:
        raise ErrorPublicacion(
            f"nbgrader no pudo generar «{tarea}»:\n{resultado.get('error') or resultado.get('log', '')}"
        )


def publicar(tarea: str, raiz: Path = config.RAIZ) -> Path:
    """Genera ``notebooks/<tarea>/`` desde ``solutions/<tarea>/`` y registra la tarea en el libro."""
    generar(tarea, configuracion_nbgrader(raiz))
    return config.cuaderno_publicado(tarea, raiz)


def _carpetas_iguales(a: Path, b: Path) -> bool:
    comparacion = filecmp.dircmp(a, b, ignore=[".ipynb_checkpoints", "__pycache__"])
    if comparacion.left_only or comparacion.right_only or comparacion.funny_files:
        return False
    _, distintos, errores = filecmp.cmpfiles(a, b, comparacion.common_files, shallow=False)
    if distintos or errores:
        return False
    return all(_carpetas_iguales(a / d, b / d) for d in comparacion.common_dirs)


def desfasadas(tareas: list[str], raiz: Path = config.RAIZ) -> list[str]:
    """Tareas cuya carpeta en ``notebooks/`` difiere de lo que genera nbgrader ahora (sin tocar el libro del curso)."""
    distintas = []
    with tempfile.TemporaryDirectory(prefix="publicacion-") as tmp:
        for tarea in tareas:
            # nbgrader guarda las celdas en un libro aunque se le pida no usarlo: uno temporal.
            cfg = configuracion_nbgrader(raiz, release_directory=f"{tmp}/publicado")
            cfg.CourseDirectory.db_url = f"sqlite:///{tmp}/libro.db"
            generar(tarea, cfg)
            publicada = raiz / config.DIR_PUBLICADOS / tarea
            if not publicada.is_dir() or not _carpetas_iguales(Path(tmp) / "publicado" / tarea, publicada):
                distintas.append(tarea)
    return distintas
