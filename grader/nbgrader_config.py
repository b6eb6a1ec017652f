"""La única configuración de nbgrader del curso (la carga ``nbgrader_config.py`` de la raíz).

El repositorio es el directorio del curso: las fuentes del instructor están en ``solutions/`` y
las versiones de los alumnos se publican en ``notebooks/``. Los valores salen de ``curso.config``.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from curso import config  # noqa: E402
from grader.nucleo.celdas import ETIQUETA_OMITIR  # noqa: E402

c = get_config()  # noqa: F821 - la define traitlets al cargar este archivo

c.CourseDirectory.course_id = config.CURSO_ID
c.CourseDirectory.source_directory = config.DIR_FUENTES
c.CourseDirectory.release_directory = config.DIR_PUBLICADOS
c.CourseDirectory.submitted_directory = config.DIR_ENTREGAS
c.CourseDirectory.autograded_directory = config.DIR_CALIFICADOS
c.CourseDirectory.feedback_directory = config.DIR_RETRO
c.CourseDirectory.db_url = f"sqlite:///{config.LIBRO}"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]

c.ClearSolutions.code_stub = {"python": config.STUB_CODIGO}
c.ClearSolutions.text_stub = config.STUB_TEXTO
c.GenerateAssignment.create_assignment = True

# Carpeta de intercambio propia del curso (las entregas se recogen a mano en submitted/): existe y es
# escribible, así formgrader no avisa de que falta /usr/local/share/nbgrader/exchange.
(config.RAIZ / config.DIR_INTERCAMBIO).mkdir(exist_ok=True)
c.Exchange.root = str(config.RAIZ / config.DIR_INTERCAMBIO)

c.Execute.timeout = config.TIEMPO_POR_CELDA_S
c.Execute.skip_cells_with_tag = ETIQUETA_OMITIR  # entrenamientos completos: no hacen falta para calificar
c.Execute.startup_timeout = config.TIEMPO_ARRANQUE_KERNEL_S
