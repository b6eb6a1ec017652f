"""Un cuaderno sin caja: leerlo, escribirlo de forma estable y ejecutarlo con nbclient en un kernel local.

Es lo que usan las órdenes del alumno (``autoevaluar``, ``comparar``, ``lab``) y el mantenimiento (``ejecutar``,
el banco de errores típicos). No importa nada del motor de calificación (``grader.motor``): no hay bubblewrap,
ni límites, ni kernels clonados, y funciona igual en Windows, macOS y Linux. Cada kernel tiene su propia
carpeta privada (0700) con su archivo de conexión, sus sockets IPC, su registro de stderr y su carpeta de trabajo.
"""
from __future__ import annotations

import getpass
import logging
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from queue import Empty

import nbformat
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from traitlets import DottedObjectName, Type

from curso import config
from grader.nucleo.celdas import ETIQUETA_OMITIR

SILENCIO = logging.getLogger("grader.nbclient")
SILENCIO.addHandler(logging.NullHandler())
SILENCIO.setLevel(logging.CRITICAL)
SILENCIO.propagate = False  # nbclient registra en ERROR cada tiempo agotado: el calificador ya lo anota

def _usuario() -> str:
    """El usuario en el nombre de ``DIR_KERNELS``: su uid en Unix, su nombre en Windows (no tiene ``getuid``)."""
    return str(os.getuid()) if hasattr(os, "getuid") else getpass.getuser()


DIR_KERNELS = Path(tempfile.gettempdir()) / f"curso-kernels-{_usuario()}"
"""Aquí vive la carpeta privada de cada kernel; ninguna caja ve esta carpeta salvo su propia subcarpeta."""


def entorno_heredado() -> dict[str, str]:
    """Las variables de este proceso que hereda un kernel (sin ``config.VARIABLES_NO_HEREDADAS``)."""
    return {k: v for k, v in os.environ.items() if k not in config.VARIABLES_NO_HEREDADAS}


def entorno_kernel(estricto: bool = False) -> dict[str, str]:
    """Variables de entorno de un kernel del curso: TF silencioso y la carpeta de grader/ y data/.

    ``estricto`` (un cuaderno ejecutado entero: ejecutar, nbval): los umbrales de ``curso.medidas`` fallan.
    """
    estrictez = {config.VAR_ESTRICTO: "1"} if estricto else {}
    return {**entorno_heredado(), **config.ENTORNO_KERNEL, config.VAR_RAIZ: str(config.RAIZ), **estrictez}


def carpeta_privada() -> Path:
    """Carpeta nueva, solo del usuario, para un kernel: conexión, sockets, registro y carpeta de trabajo."""
    DIR_KERNELS.mkdir(mode=0o700, exist_ok=True)
    privada = Path(tempfile.mkdtemp(prefix="k-", dir=DIR_KERNELS))
    carpeta_trabajo(privada).mkdir()
    return privada


def carpeta_trabajo(privada: Path) -> Path:
    """La carpeta de trabajo del kernel (su directorio actual; en la caja, un tmpfs con tope)."""
    return privada / "trabajo"




def leer_fuente(tarea: str, raiz: Path = config.RAIZ):
    """El cuaderno fuente (``solutions/``) de ``tarea``."""
    return nbformat.read(config.cuaderno_fuente(tarea, raiz), as_version=4)


def escribir(nb, ruta: Path) -> None:
    """Escribe un cuaderno de forma estable (mismo resultado para el mismo contenido)."""
    ruta.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    ruta.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- el kernel local

class ClienteKernelPronto(AsyncKernelClient):
    """Cliente de kernel que lo da por listo en cuanto iopub entrega el «idle» de su ``kernel_info``.

    jupyter_client espera además 0,2 s de silencio en iopub antes de volver: ese tiempo se pagaba en cada
    cuaderno calificado. Recibir el «idle» de nuestra petición ya prueba que iopub está conectado.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        limite = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            peticion = self.kernel_info()
            if await self._respondio(peticion, min(1.0, max(0.0, limite - time.monotonic()))):
                return
            if not await self._async_is_alive():
                raise RuntimeError("el kernel murió antes de responder a kernel_info")
            if time.monotonic() >= limite:
                raise RuntimeError(f"el kernel no respondió en {timeout} s")

    async def _respondio(self, peticion: str, espera_s: float) -> bool:
        """¿Llegaron la respuesta de ``peticion`` por shell y su «idle» por iopub antes de ``espera_s``?"""
        fin = time.monotonic() + espera_s
        try:
            while True:
                msg = await self.shell_channel.get_msg(timeout=max(0.0, fin - time.monotonic()))
                if msg["parent_header"].get("msg_id") == peticion:
                    self._handle_kernel_info_reply(msg)
                    break
            while True:
                msg = await self.iopub_channel.get_msg(timeout=max(0.0, fin - time.monotonic()))
                if (msg["parent_header"].get("msg_id") == peticion and msg["msg_type"] == "status"
                        and msg["content"].get("execution_state") == "idle"):
                    return True
        except Empty:
            return False


def conexion(prefijo: Path) -> dict[str, str]:
    """Transporte de un kernel: sockets IPC con ese prefijo (sin puertos abiertos) o, en Windows, TCP local."""
    if os.name == "nt":
        return {"transport": "tcp", "ip": "127.0.0.1"}
    return {"transport": "ipc", "ip": str(prefijo)}



class KernelLocal(AsyncKernelManager):
    """KernelManager del curso: cliente que no espera silencios, interrupción por mensaje (una señal enviada
    desde fuera no atraviesa la sesión nueva de una caja) y su carpeta privada (``privada``)."""

    client_class = DottedObjectName(f"{__name__}.ClienteKernelPronto")
    client_factory = Type(ClienteKernelPronto)
    privada: Path | None = None


def preparar_gestor(km: KernelLocal, privada: Path) -> KernelLocal:
    """Conexión (sockets IPC con prefijo en ``privada``) y carpeta privada de un gestor recién creado."""
    km.privada = privada
    km.kernel_spec.interrupt_mode = "message"
    return km


def gestor(privada: Path) -> KernelLocal:
    """Gestor de un kernel local con conexión, sockets IPC (sin puertos abiertos) y carpeta en ``privada``."""
    return preparar_gestor(KernelLocal(kernel_name="python3", **conexion(privada / "ipc"),
                                       connection_file=str(privada / "conexion.json")), privada)


# ---------------------------------------------------------------- ejecutar sin calificar (fuentes, banco, alumno)


def cliente(nb, carpeta: Path, tiempo_por_celda: int | None = None, omitir: bool = True) -> NotebookClient:
    """Un NotebookClient que sigue tras los errores de celda (se anotan en las salidas), con su kernel en
    una carpeta privada. Con ``omitir`` no ejecuta las celdas ``# OMITIR_AL_CALIFICAR``. Sin
    ``tiempo_por_celda``, el de calificar o, si se ejecuta entero (sin omitir), el de un cuaderno completo."""
    if tiempo_por_celda is None:
        tiempo_por_celda = config.TIEMPO_POR_CELDA_S if omitir else config.TIEMPO_POR_CELDA_COMPLETO_S
    privada = carpeta_privada()
    km = gestor(privada)
    c = NotebookClient(
        nb,
        km=km,
        timeout=tiempo_por_celda,
        startup_timeout=config.TIEMPO_ARRANQUE_KERNEL_S,
        allow_errors=True,
        record_timing=False,  # sin marcas de tiempo en los metadatos: cuadernos diffables
        kernel_name="python3",
        skip_cells_with_tag=ETIQUETA_OMITIR if omitir else "",
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(carpeta)}},
    )
    c.privada = privada
    return c


@contextmanager
def sesion(nb, carpeta: Path, tiempo_por_celda: int | None = None, omitir: bool = True):
    """Kernel abierto sobre ``nb``; dentro, ``cliente.execute_cell(celda, i)`` ejecuta celdas sueltas.

    IPC en vez de TCP: sin puertos abiertos (y sin el aviso «TCP without encryption» en stderr).
    """
    c = cliente(nb, carpeta, tiempo_por_celda, omitir)
    c.owns_km = True  # el KernelManager es nuestro, pero nbclient debe apagar el kernel al salir
    try:
        with c.setup_kernel(env=entorno_kernel(estricto=not omitir)):
            yield c
    finally:
        shutil.rmtree(c.privada, ignore_errors=True)


def ejecutar(nb, carpeta: Path, tiempo_por_celda: int | None = None, omitir: bool = True) -> str:
    """Ejecuta las celdas de ``nb`` en su sitio (todas si no ``omitir``), con ``carpeta`` como carpeta de
    trabajo. Devuelve el estado: ok, tiempo_agotado o kernel_murio (se para en la primera celda que agota
    su tiempo)."""
    try:
        with sesion(nb, carpeta, tiempo_por_celda, omitir) as c:
            for i, celda in enumerate(nb.cells):
                c.execute_cell(celda, i)
    except CellTimeoutError:
        return "tiempo_agotado"
    except DeadKernelError:
        return "kernel_murio"
    return "ok"


def errores(nb) -> list[tuple[int, str, str]]:
    """(índice, tipo, mensaje) de cada celda cuya salida es un error."""
    return [
        (i, s.get("ename", ""), s.get("evalue", ""))
        for i, celda in enumerate(nb.cells)
        if celda.cell_type == "code"
        for s in celda.get("outputs", [])
        if s.get("output_type") == "error"
    ]
