"""Configuración única del curso: rutas, semilla, dirección del repositorio y límites de calificación.

Todo lo que otro módulo necesite saber del curso se lee de aquí; nada se repite en otro sitio.
Lo usan el paquete del alumno (``curso``, instalable sin TensorFlow) y las herramientas del instructor
(``grader``). Este módulo solo usa la biblioteca estándar (``versiones_fijadas``, solo del instructor, usa
``packaging``).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
"""Carpeta raíz del repositorio (también es el directorio del curso para nbgrader).

Solo tiene sentido en un clon del repositorio; instalado desde git (p. ej. en Colab) apunta a site-packages.
"""

DIR_FUENTES = "solutions"       # nbgrader: source_directory
DIR_PUBLICADOS = "notebooks"    # nbgrader: release_directory
DIR_ENTREGAS = "submitted"      # nbgrader: submitted_directory
DIR_CALIFICADOS = "autograded"  # nbgrader: autograded_directory
DIR_RETRO = "feedback"          # nbgrader: feedback_directory
DIR_INFORME = "informe"         # informe de la clase (python -m grader informe)
DIR_SITIO = "_sitio"            # sitio web del curso (python -m grader sitio; no va al repositorio)
DIR_DATOS = "data"
# nbgrader: Exchange.root del curso (no se usa para recoger; evita el aviso de formgrader)
DIR_INTERCAMBIO = "intercambio"
LIBRO = "gradebook.db"          # libro de calificaciones de nbgrader (SQLite)

CURSO_ID = "redes-neuronales"
VERSION_PYTHON = "3.11"  # la del bloqueo (requirements.txt), la de CI y la de environment.yml
PAQUETE_ALUMNO = "curso-redes-neuronales"  # nombre de distribución del paquete ``curso`` (pyproject.toml)
SEMILLA = 42

# Dirección git del curso publicado (p. ej. "https://github.com/organizacion/curso-redes-neuronales").
# De ella salen (solo en ``direcciones()``) la instalación del paquete del alumno en Colab, la descarga de los
# datos y la insignia «Abrir en Colab». Vacía: los cuadernos dicen en español qué debe configurar el instructor.
REPO_URL = ""
RAMA = "main"
# Servidores git cuyas direcciones sabe convertir el curso: servidor → (servidor de archivos en bruto, prefijo de
# «Abrir en Colab»; "" si Colab no lo abre). Como en GitHub: <servidor>/<dueño>/<repositorio> se instala con
# git+<servidor>/<dueño>/<repositorio>.git@RAMA y sus datos están en <bruto>/<dueño>/<repositorio>/RAMA/data/.
SERVIDORES_GIT = {"https://github.com": ("https://raw.githubusercontent.com", "https://colab.research.google.com/github")}

# Variables de entorno que el curso lee (un solo sitio para sus nombres).
VAR_RAIZ = "CURSO_RAIZ"            # carpeta del curso (la fija el calificador en cada kernel)
VAR_DATOS = "CURSO_DATOS"          # carpeta de datos alternativa (caché o copia local)
VAR_URL_DATOS = "CURSO_URL_DATOS"  # dirección base desde la que descargar data/ (por defecto, la del repositorio)
VAR_INFORME_NBVAL = "CURSO_INFORME_NBVAL"  # JSON donde `grader.nucleo.nbval_informe` deja el resultado por celda
VAR_ESTRICTO = "CURSO_ESTRICTO"  # "1": `curso.medidas.al_menos` falla en vez de avisar (nbval, ejecutar, pruebas)
VAR_NBGRADER = "NBGRADER_EXECUTION"  # la fija nbgrader en el kernel de `autograde` y `validate` (curso.progreso la lee)

# Texto que sustituye a las soluciones en las versiones de los alumnos.
STUB_CODIGO = "# ESCRIBE TU CÓDIGO AQUÍ\nsin_resolver()"
STUB_TEXTO = "ESCRIBE TU RESPUESTA AQUÍ"

# Límites de una calificación (un trabajo = un alumno x un cuaderno).
TIEMPO_POR_CELDA_S = 120        # tiempo máximo de una celda al calificar (después se interrumpe y se sigue)
TIEMPO_POR_CELDA_COMPLETO_S = 600  # una celda de un cuaderno ejecutado entero, entrenamientos incluidos
                                  # (ejecutar, nbval, Colab, bench, últimas): holgura para una máquina cargada
TIEMPO_POR_CUADERNO_S = 600     # tiempo máximo de todas las celdas de una entrega
TIEMPO_ARRANQUE_KERNEL_S = 60
GRACIA_INTERRUPCION_S = 5       # lo que se espera a que una celda interrumpida se detenga antes de matar el kernel
MEMORIA_KERNEL_BYTES = 6 * 1024**3  # tope de memoria virtual del kernel de un alumno (TF funciona con 2 GB)
DISCO_TMP_BYTES = 512 * 1024**2  # /tmp propio de cada entrega al calificar (en memoria: tmpfs con tope)
DISCO_TRABAJO_BYTES = 512 * 1024**2  # carpeta de trabajo de cada entrega al calificar (tmpfs con tope)
ENTREGA_MAX_BYTES = 100 * 1024**2  # una entrega más grande no se lee (archivo no válido)
SALIDA_POR_CELDA_BYTES = 1024**2         # salida que se guarda de una celda (lo demás se recorta)
SALIDA_POR_CUADERNO_BYTES = 8 * 1024**2  # salida que se guarda de una entrega entera
AISLAR = True  # calificar con bubblewrap (sin red ni acceso a fuentes, entregas ajenas o libro)
# Módulos que un kernel de la reserva importa antes de recibir su entrega (lo que importa la cabecera).
MODULOS_PRECARGADOS = ("numpy", "pandas", "matplotlib.pyplot", "tensorflow", "keras", "curso")
# Kernels que cada trabajador del lote tiene arrancando por delante: con 2, cada uno dispone de dos entregas
# para importar TensorFlow (~4 s de CPU) mientras se califican otras, y casi nunca se le espera.
KERNELS_EN_RESERVA = 2
# Los kernels de la reserva nacen clonados (fork) de una madre por trabajador que ya importó esos módulos, en
# vez de importarlos cada uno (grader/motor/clonacion.py); si el sistema no deja encerrar un clon, se lanzan
# como siempre.
CLONAR_KERNELS = True

# Variables de entorno de todo kernel que ejecuta cuadernos (silencian TensorFlow).
ENTORNO_TF = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}  # también en los procesos de `grader`
ENTORNO_KERNEL = {**ENTORNO_TF, "PYTHONWARNINGS": "ignore::DeprecationWarning"}

# Variables del proceso que lanza un kernel que el kernel no debe heredar: con PYTEST_CURRENT_TEST, ipykernel
# deja de capturar la salida de C (stdout/stderr a nivel de descriptor) y un kernel sin memoria se comporta
# distinto que al calificar de verdad; las pruebas deben ver el mismo kernel que un instructor. VAR_ESTRICTO
# solo la tiene el kernel que la pide (ejecucion.entorno_kernel(estricto=True)), nunca el de un alumno.
VARIABLES_NO_HEREDADAS = ("PYTEST_CURRENT_TEST", VAR_ESTRICTO)

# Paquetes cuya versión vigila la cabecera de cada cuaderno (nombre de distribución en requirements.txt).
PAQUETES_VIGILADOS = ("tensorflow_cpu", "keras", "numpy")
# Plataforma en la que se ejecuta y se prueba el curso (CI): de ella salen las versiones «probadas».
PLATAFORMA_PROBADA = {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
                      "os_name": "posix"}

ARCHIVO_SANEAR_NBVAL = RAIZ / "grader" / "nbval_sanitize.cfg"
ARCHIVO_REQUISITOS = RAIZ / "requirements.txt"  # bloqueo generado desde requirements.in (`make bloquear`)


@dataclass(frozen=True)
class Direcciones:
    """Lo que sale de REPO_URL (``direcciones()``)."""

    repositorio: str  # https://github.com/<dueño>/<repositorio>
    instalar: str     # requisito de pip del paquete del alumno: "curso-redes-neuronales @ git+….git@main"
    datos: str        # base de data/ en bruto: https://raw.githubusercontent.com/<dueño>/<repositorio>/main/data
    colab: str        # base de «Abrir en Colab» (…/github/<dueño>/<repositorio>/blob/main); "" si no hay


def direcciones(repo_url: str | None = None) -> Direcciones | None:
    """Las direcciones que salen de ``repo_url`` (por defecto REPO_URL): None si está vacía; ``ValueError`` con
    un mensaje en español si no es la de un repositorio de un servidor de ``SERVIDORES_GIT``."""
    url = (REPO_URL if repo_url is None else repo_url).strip().rstrip("/").removesuffix(".git")
    if not url:
        return None
    for servidor, (bruto, colab) in SERVIDORES_GIT.items():
        m = re.fullmatch(re.escape(servidor) + r"/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)", url)
        if m:
            ruta = f"{m.group(1)}/{m.group(2)}"
            return Direcciones(repositorio=f"{servidor}/{ruta}",
                               instalar=f"{PAQUETE_ALUMNO} @ git+{servidor}/{ruta}.git@{RAMA}",
                               datos=f"{bruto}/{ruta}/{RAMA}/{DIR_DATOS}",
                               colab=f"{colab}/{ruta}/blob/{RAMA}" if colab else "")
    raise ValueError(f"REPO_URL = {url!r} no es la dirección de un repositorio que el curso sepa usar: debe ser "
                     "como https://github.com/<dueño>/<repositorio> (de ella salen la instalación del paquete del "
                     "alumno y las direcciones de los datos). Corrígela en curso/config.py.")


def url_repositorio() -> str:
    """REPO_URL sin barra ni ``.git`` finales ("" si no está configurada o no sirve)."""
    try:
        d = direcciones()
    except ValueError:
        return ""
    return d.repositorio if d else ""


def url_datos() -> str:
    """Dirección base de ``data/`` para descargar conjuntos: la variable CURSO_URL_DATOS o la que sale de
    REPO_URL ("" si no hay ninguna)."""
    propia = os.environ.get(VAR_URL_DATOS, "")
    if propia:
        return propia.rstrip("/")
    try:
        d = direcciones()
    except ValueError:
        return ""
    return d.datos if d else ""


def versiones_fijadas(requisitos: Path = ARCHIVO_REQUISITOS, plataforma: dict | None = None) -> dict[str, str]:
    """Versiones exactas (``paquete==versión``) del bloqueo que valen en ``plataforma``, con el nombre normalizado.

    Las líneas con marcador (``; sys_platform == 'darwin'``) cuentan solo si el marcador se cumple en
    ``plataforma`` (variables de marcador que sustituyen a las de este intérprete; por defecto,
    ``PLATAFORMA_PROBADA``). Usa ``packaging``: la llaman las herramientas del instructor, no los cuadernos.
    """
    from packaging.markers import Marker

    entorno = PLATAFORMA_PROBADA if plataforma is None else plataforma
    versiones = {}
    for linea in requisitos.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)\s*(?:;([^#]*))?", linea)
        if m and (not m.group(3) or Marker(m.group(3).strip()).evaluate(entorno)):
            versiones.setdefault(m.group(1).lower().replace("-", "_"), m.group(2))
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
