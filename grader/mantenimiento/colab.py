"""Colab simulado, sin red: un cuaderno del alumno abierto solo, como cuando se abre desde la insignia de Colab.

Cada simulación monta, en una carpeta temporal:

- un Python aparte (venv) que ve los paquetes del entorno del curso (TensorFlow, Keras, NumPy, pandas…, como
  los trae Colab) pero **no** el paquete del alumno ``curso``: lo tiene que instalar la primera celda;
- un módulo ``google.colab`` falso que el kernel importa al arrancar (Colab lo tiene siempre cargado);
- un GitHub falso en 127.0.0.1 (``github_falso``) con las direcciones como las escribe GitHub: el repositorio
  ``<servidor>/<dueño>/<repositorio>.git`` (git por HTTP «tonto»: un repositorio desnudo con
  ``git update-server-info``) con el paquete del alumno de la copia de trabajo y ``REPO_URL`` apuntando a él, y
  los archivos en bruto en ``<bruto>/<dueño>/<repositorio>/<rama>/data/…`` (por defecto, ``data/``);
- una carpeta vacía con solo el cuaderno del alumno, con las soluciones rellenadas desde la fuente y la
  cabecera generada para ese ``REPO_URL``: pip instala el paquete con git desde el servidor (sin índice ni
  aislar la construcción) y el cuaderno descarga los datos de las direcciones que salen de ``REPO_URL``
  (``config.direcciones``), como en Colab con GitHub.

Después ejecuta el cuaderno entero y devuelve un ``Informe``: errores, lo descargado, lo que quedó en la
caché, lo que se instaló y cuánto ocupa.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from curso import config, datos
from grader.mantenimiento import cabecera
from grader.nucleo import celdas, cuadernos

ARCHIVOS_DEL_PAQUETE = ("pyproject.toml", "README.md", "curso")  # lo que necesita `pip install git+…`


@dataclass
class Informe:
    """Lo que pasó al abrir y ejecutar un cuaderno en el Colab simulado."""

    tarea: str
    errores: list[tuple[int, str, str]]   # (celda, tipo, mensaje) de cada celda con error
    primera_celda: str                    # lo que imprimió la cabecera
    descargas: list[str]                  # archivos de data/ pedidos en bruto al GitHub falso
    pedidos_git: list[str]                # rutas pedidas al servidor git (la instalación del paquete)
    cache: list[str]                      # archivos que quedaron en la caché de datos
    instalados: list[str]                 # distribuciones que instaló la cabecera
    requisitos_del_paquete: list[str]     # Requires-Dist del paquete del alumno instalado
    bytes_instalados: int                 # lo que ocupa en disco lo instalado por la cabecera
    segundos: float
    cpu_kernel_s: float                   # CPU del kernel (usuario + sistema, con pip y git)
    nb: object = field(repr=False, default=None)


def conjuntos_que_usa(nb) -> set[str]:
    """Nombres de los conjuntos de datos que carga un cuaderno (``cargar_datos("…")``)."""
    codigo = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return set(re.findall(r"""cargar_datos\(\s*["'](\w+)["']""", codigo))


def cuaderno_resuelto(tarea: str, repo_url: str):
    """La versión del alumno con las soluciones de la fuente y la cabecera generada para ``repo_url``."""
    nb = nbformat.read(config.cuaderno_publicado(tarea), as_version=4)
    fuente = nbformat.read(config.cuaderno_fuente(tarea), as_version=4)
    soluciones = {m.grade_id: c.source for c in fuente.cells if (m := celdas.marca(c)) and m.tipo == "ejercicio"}
    for celda in nb.cells:
        m = celdas.marca(celda)
        if m is not None and m.tipo == "ejercicio":
            celda.source = soluciones[m.grade_id]
        elif celdas.es_cabecera(celda):
            celda.source = cabecera.codigo(repo_url)
    return nb


DUENO, REPOSITORIO = "organizacion", "curso"  # los del GitHub falso


@dataclass
class GitHubFalso:
    """Un GitHub falso en marcha: direcciones base y lo que se le pidió."""

    servidor: str                 # hace de https://github.com
    bruto: str                    # hace de https://raw.githubusercontent.com
    pedidos_git: list[str]
    pedidos_bruto: list[str]

    @property
    def repo_url(self) -> str:
        return f"{self.servidor}/{DUENO}/{REPOSITORIO}"

    def descargas(self) -> list[str]:
        """Archivos de data/ pedidos en bruto."""
        prefijo = f"{DUENO}/{REPOSITORIO}/{config.RAMA}/{config.DIR_DATOS}/"
        return sorted(p.removeprefix(prefijo) for p in self.pedidos_bruto)


def copiar_del_curso(nombres, destino: Path) -> None:
    """Copia a ``destino`` esos archivos y carpetas de la raíz del curso (sin ``__pycache__``)."""
    for nombre in nombres:
        origen = config.RAIZ / nombre
        if origen.is_dir():
            shutil.copytree(origen, destino / nombre, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(origen, destino / nombre)


def config_publicada(texto: str, repo_url: str, servidores: dict) -> str:
    """``curso/config.py`` como lo publica el instructor: con ``REPO_URL`` (y aquí, el servidor falso conocido)."""
    texto, cambios = re.subn(r"(?m)^REPO_URL = .*$", f"REPO_URL = {repo_url!r}", texto)
    if cambios != 1:
        raise ValueError("curso/config.py no tiene una línea «REPO_URL = …»")
    return texto + f"\nSERVIDORES_GIT.update({servidores!r})  # GitHub falso del Colab simulado\n"


def repositorio_del_paquete(destino: Path, repo_url: str, servidores: dict) -> Path:
    """Un repositorio git (rama ``config.RAMA``) con el paquete del alumno de la copia de trabajo, publicado
    para ``repo_url``."""
    destino.mkdir(parents=True)
    copiar_del_curso(ARCHIVOS_DEL_PAQUETE, destino)
    ajustes = destino / "curso" / "config.py"
    ajustes.write_text(config_publicada(ajustes.read_text(encoding="utf-8"), repo_url, servidores), encoding="utf-8")
    git = ["git", "-C", str(destino), "-c", "user.name=curso", "-c", "user.email=curso@localhost"]
    for orden in (["init", "-q", "-b", config.RAMA], ["add", "-A"], ["commit", "-q", "-m", "paquete del alumno"]):
        subprocess.run(git + orden, check=True, capture_output=True)
    return destino


@contextmanager
def github_falso(carpeta: Path, datos_servidos: Path = config.RAIZ / config.DIR_DATOS):
    """Sirve en 127.0.0.1 un GitHub falso (ver el docstring del módulo) mientras dura el bloque; en este proceso,
    su servidor cuenta como uno de ``config.SERVIDORES_GIT``."""
    raiz_git, raiz_bruto = carpeta / "github.com", carpeta / "raw.githubusercontent.com"
    raiz_git.mkdir(parents=True)
    raiz_bruto.mkdir()
    with servidor_local(raiz_git) as (servidor, pedidos_git), servidor_local(raiz_bruto) as (bruto, pedidos_bruto):
        github = GitHubFalso(servidor, bruto, pedidos_git, pedidos_bruto)
        servidores = {servidor: (bruto, "")}
        trabajo = repositorio_del_paquete(carpeta / "trabajo", github.repo_url, servidores)
        desnudo = raiz_git / DUENO / f"{REPOSITORIO}.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(trabajo), str(desnudo)], check=True, capture_output=True)
        subprocess.run(["git", "-C", str(desnudo), "update-server-info"], check=True, capture_output=True)
        datos_en_bruto = raiz_bruto / DUENO / REPOSITORIO / config.RAMA / config.DIR_DATOS
        datos_en_bruto.parent.mkdir(parents=True)
        datos_en_bruto.symlink_to(datos_servidos.resolve(), target_is_directory=True)
        config.SERVIDORES_GIT.update(servidores)
        try:
            yield github
        finally:
            config.SERVIDORES_GIT.pop(servidor, None)


def ver_paquetes_de_este_entorno(venv: Path) -> None:
    """Hace que ``venv`` vea los paquetes instalados en este entorno salvo el paquete del alumno ``curso``."""
    propios = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    # Un .pth con rutas añade esos site-packages, pero no ejecuta sus .pth: la instalación editable de
    # ``curso`` en el entorno del curso no se ve.
    (propios / "paquetes_de_colab.pth").write_text("\n".join(sysconfig.get_paths()[k] for k in ("purelib", "platlib")))


def python_tipo_colab(carpeta: Path) -> Path:
    """Un venv que ve los paquetes de este entorno (salvo ``curso``) y un ``google.colab`` falso cargado al
    arrancar el kernel. Devuelve la carpeta del venv."""
    venv = carpeta / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    ver_paquetes_de_este_entorno(venv)
    falsos = carpeta / "falsos" / "google" / "colab"  # sin __init__ en google/: paquete de espacio de nombres
    falsos.mkdir(parents=True)
    (falsos / "__init__.py").write_text('"""google.colab simulado (pruebas del curso)."""\n')
    inicio = carpeta / "ipython" / "profile_default" / "startup"
    inicio.mkdir(parents=True)
    (inicio / "00-colab.py").write_text("import google.colab  # como en Colab: siempre cargado\n")
    especificacion = carpeta / "kernels" / "colab"
    especificacion.mkdir(parents=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    (especificacion / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab simulado", "language": "python"}))
    return venv


@contextmanager
def servidor_local(carpeta: Path):
    """Sirve ``carpeta`` por HTTP en 127.0.0.1; devuelve (dirección base, lista de rutas pedidas)."""
    pedidos: list[str] = []

    class Manejador(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            pedidos.append(self.path.lstrip("/"))
            super().do_GET()

    servidor = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                               functools.partial(Manejador, directory=str(carpeta)))
    threading.Thread(target=servidor.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{servidor.server_address[1]}", pedidos
    finally:
        servidor.shutdown()
        servidor.server_close()


def entorno_del_kernel(carpeta: Path) -> dict[str, str]:
    """Variables del kernel: nada del curso (las direcciones salen de REPO_URL, como en Colab); pip sin índice."""
    quitar = {config.VAR_RAIZ, config.VAR_DATOS, config.VAR_URL_DATOS, "PYTHONPATH", "XDG_CACHE_HOME",
              "PIP_FIND_LINKS", "VIRTUAL_ENV"}
    entorno = {k: v for k, v in os.environ.items() if k not in quitar}
    entorno.update({
        "HOME": str(carpeta / "home"),
        "IPYTHONDIR": str(carpeta / "ipython"),
        "PYTHONPATH": str(carpeta / "falsos"),
        "PIP_NO_INDEX": "1",             # sin red: el paquete viene del GitHub falso
        "PIP_NO_BUILD_ISOLATION": "0",   # (sí, «0» desactiva el aislamiento) setuptools del entorno
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        **config.ENTORNO_KERNEL,
    })
    return entorno


def _instalado(venv: Path) -> tuple[list[str], list[str], int]:
    """Distribuciones instaladas en el venv, Requires-Dist del paquete del alumno y bytes que ocupa todo ello."""
    sitio = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    nombres, requisitos, total = [], [], 0
    for info in sitio.glob("*.dist-info"):
        metadatos = (info / "METADATA").read_text(encoding="utf-8")
        nombre = re.search(r"^Name: (.+)$", metadatos, re.M).group(1).strip()
        nombres.append(nombre)
        if nombre == config.PAQUETE_ALUMNO:
            requisitos = re.findall(r"^Requires-Dist: (.+)$", metadatos, re.M)
        for linea in (info / "RECORD").read_text(encoding="utf-8").splitlines():
            ruta = sitio / linea.split(",")[0]
            total += ruta.stat().st_size if ruta.is_file() else 0
    return sorted(nombres), requisitos, total


def simular(tarea: str, carpeta: Path, datos_servidos: Path = config.RAIZ / config.DIR_DATOS,
            detener_en_error: bool = False, repo_url: str | None = None, omitir: bool = False) -> Informe:
    """Abre la versión del alumno de ``tarea`` (resuelta) en un Colab simulado dentro de ``carpeta`` y la ejecuta.

    ``repo_url``: la dirección con la que se genera la cabecera; por defecto, la del repositorio del GitHub
    falso; "" simula un REPO_URL sin configurar, y ``{servidor}`` se sustituye por la dirección del GitHub falso
    (p. ej. ``"{servidor}/organizacion/no-existe"``). ``datos_servidos``: lo que sirve como data/ en bruto.
    Con ``omitir`` no ejecuta las celdas ``# OMITIR_AL_CALIFICAR`` (los entrenamientos completos ya los
    ejecuta nbval una vez en CI; aquí importa que el cuaderno funcione fuera del curso).
    """
    inicio = time.monotonic()
    venv = python_tipo_colab(carpeta)
    contenido = carpeta / "content"  # la carpeta de trabajo de Colab: solo el cuaderno
    contenido.mkdir()
    with github_falso(carpeta / "github", datos_servidos) as github:
        direccion = github.repo_url if repo_url is None else repo_url.format(servidor=github.servidor)
        nb = cuaderno_resuelto(tarea, direccion)
        nbformat.write(nb, contenido / f"{tarea}.ipynb")
        km = AsyncKernelManager(kernel_name="colab", **cuadernos.conexion(carpeta / "kernel"),
                                connection_file=str(carpeta / "kernel.json"),
                                kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(carpeta / "kernels")]))
        cliente = NotebookClient(nb, km=km, timeout=config.TIEMPO_POR_CELDA_COMPLETO_S,
                                 allow_errors=not detener_en_error,
                                 record_timing=False, resources={"metadata": {"path": str(contenido)}})
        cliente.owns_km = True  # el KernelManager es nuestro, pero nbclient debe apagar el kernel al salir
        with cliente.setup_kernel(env=entorno_del_kernel(carpeta)):
            kernel = psutil.Process(km.provisioner.process.pid)
            try:
                for i, celda in enumerate(nb.cells):
                    if not (omitir and celdas.se_omite(celda)):
                        cliente.execute_cell(celda, i)
            except CellExecutionError:  # solo con detener_en_error: el error queda en las salidas de su celda
                pass
            uso = kernel.cpu_times()  # del kernel y de lo que lanzó (pip, git)
    cache = carpeta / "home" / ".cache" / config.PAQUETE_ALUMNO  # datos.dir_cache() con el HOME del kernel
    instalados, requisitos, tamano = _instalado(venv)
    primera = next(c for c in nb.cells if c.cell_type == "code")
    return Informe(
        tarea=tarea,
        errores=cuadernos.errores(nb),
        primera_celda="".join(s.get("text", "") for s in primera.get("outputs", [])),
        descargas=github.descargas(),
        pedidos_git=sorted(set(github.pedidos_git)),
        cache=sorted(p.name for p in cache.iterdir()) if cache.is_dir() else [],
        instalados=instalados,
        requisitos_del_paquete=requisitos,
        bytes_instalados=tamano,
        segundos=round(time.monotonic() - inicio, 1),
        cpu_kernel_s=round(uso.user + uso.system + uso.children_user + uso.children_system, 1),
        nb=nb,
    )


def archivos_de(conjuntos: set[str]) -> list[str]:
    """Archivos de ``data/`` de unos conjuntos de datos."""
    return sorted(datos.CONJUNTOS[n].archivo for n in conjuntos)
