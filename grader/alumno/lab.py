"""JupyterLab del curso (``make lab`` y ``make instructor``): en español, como root o no, con o sin pantalla.

- Alumno: sirve ``notebooks/`` sin las herramientas del instructor (extensiones de nbgrader desactivadas
  con la configuración de ``grader/jupyter/alumno``).
- Instructor: sirve la raíz del repositorio (el directorio del curso de nbgrader) con formgrader.

Como root añade ``--allow-root``; sin pantalla (servidor, contenedor) no intenta abrir un navegador. En
cuanto el servidor responde, imprime en español la dirección que hay que abrir (con su token).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from curso import config
from grader.nucleo.cuadernos import entorno_heredado

DIR_CONFIG_JUPYTER = config.RAIZ / "grader" / "jupyter"
ESPERA_ARRANQUE_S = 120


def hay_pantalla() -> bool:
    """True si se puede abrir un navegador: Windows, macOS o un escritorio Linux (X11 o Wayland)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def es_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def carpeta_servida(instructor: bool) -> Path:
    return config.RAIZ if instructor else config.RAIZ / config.DIR_PUBLICADOS


def rutas_config(instructor: bool) -> list[Path]:
    """Carpetas de configuración de Jupyter del curso, de más a menos prioridad."""
    return [DIR_CONFIG_JUPYTER / "comun"] + ([] if instructor else [DIR_CONFIG_JUPYTER / "alumno"])


def entorno(instructor: bool) -> dict[str, str]:
    """Variables de entorno del servidor: la configuración del curso por delante de la del entorno, y los
    ejecutables del entorno en PATH (formgrader llama a `alembic`; las terminales y `!pip` usan este entorno)."""
    def delante(variable: str, rutas: list) -> str:
        previas = [p for p in os.environ.get(variable, "").split(os.pathsep) if p]
        return os.pathsep.join([str(r) for r in rutas] + previas)

    return {**entorno_heredado(), **config.ENTORNO_KERNEL,
            "JUPYTER_CONFIG_PATH": delante("JUPYTER_CONFIG_PATH", rutas_config(instructor)),
            "PATH": delante("PATH", [Path(sys.executable).parent])}


def orden(instructor: bool = False, puerto: int | None = None, navegador: bool | None = None) -> list[str]:
    """La orden que arranca JupyterLab (la misma en ``make lab``, ``make instructor`` y las pruebas)."""
    args = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={carpeta_servida(instructor)}",
            "--ServerApp.log_level=WARN", "--LabApp.log_level=WARN"]
    if es_root():
        args.append("--allow-root")
    if not (hay_pantalla() if navegador is None else navegador):
        args.append("--no-browser")
    if puerto is not None:
        args += [f"--ServerApp.port={puerto}", "--ServerApp.port_retries=0"]
    return args


def archivo_de_estado(pid: int) -> Path:
    """Archivo que escribe Jupyter Server al arrancar (dirección, puerto y token)."""
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir()) / f"jpserver-{pid}.json"


def esperar_direccion(proceso: subprocess.Popen, lanzado: float) -> str | None:
    """La dirección de JupyterLab con su token, en cuanto el servidor la publica (None si terminó antes).

    Solo vale un archivo de estado escrito después de ``lanzado`` (``time.time()``): con pocos PID posibles,
    el de un servidor antiguo que no se cerró bien puede tener el mismo nombre y otra dirección.
    """
    estado = archivo_de_estado(proceso.pid)
    limite = time.monotonic() + ESPERA_ARRANQUE_S
    while time.monotonic() < limite and proceso.poll() is None:
        try:
            if estado.stat().st_mtime < lanzado - 1:
                raise OSError("archivo de estado de otro servidor")
            info = json.loads(estado.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            time.sleep(0.2)
            continue
        return f"{info['url'].rstrip('/')}/lab?token={info['token']}"
    return None


def aviso(direccion: str, instructor: bool, con_navegador: bool) -> str:
    """Lo que se imprime cuando el servidor está listo."""
    lineas = ["", f"{'JupyterLab del instructor' if instructor else 'JupyterLab del curso'} en marcha."]
    if con_navegador:
        lineas.append(f"Se abre en tu navegador; si no, abre esta dirección: {direccion}")
    else:
        puerto = direccion.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[-1]
        lineas += [f"Abre esta dirección en tu navegador: {direccion}",
                   f"(Si esta máquina es un servidor remoto, crea antes un túnel desde la tuya: "
                   f"ssh -L {puerto}:localhost:{puerto} usuario@servidor)"]
    if instructor:
        lineas.append(f"Formgrader: {direccion.replace('/lab?', '/formgrader?')}")
    lineas += ["Para pararlo, pulsa Ctrl+C dos veces en esta terminal.", ""]
    return "\n".join(lineas)


def ejecutar(instructor: bool = False, puerto: int | None = None, navegador: bool | None = None) -> int:
    """Arranca JupyterLab, imprime su dirección y espera a que termine (Ctrl+C lo para, como siempre)."""
    args = orden(instructor, puerto, navegador)
    lanzado = time.time()
    proceso = subprocess.Popen(args, cwd=carpeta_servida(instructor), env=entorno(instructor))
    anterior = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C lo gestiona Jupyter (pide confirmación)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, lambda *_: proceso.terminate())  # quien pare esta orden para el servidor
    try:
        direccion = esperar_direccion(proceso, lanzado)
        if direccion:
            print(aviso(direccion, instructor, "--no-browser" not in args), flush=True)
        return proceso.wait()
    finally:
        signal.signal(signal.SIGINT, anterior)
        if proceso.poll() is None:
            proceso.terminate()
