"""Ejecución de cuadernos en un kernel con nbclient, con el entorno silencioso del curso."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from curso import config
from grader.celdas import ETIQUETA_OMITIR


def entorno_kernel() -> dict[str, str]:
    """Variables de entorno de un kernel del curso: TF silencioso y la carpeta de grader/ y data/."""
    return {**os.environ, **config.ENTORNO_KERNEL, config.VAR_RAIZ: str(config.RAIZ)}


DIR_SOCKETS = Path(tempfile.gettempdir()) / "curso-kernels"


def _ruta_ipc() -> str:
    """Prefijo absoluto y único de los sockets IPC del kernel (el kernel corre en otra carpeta)."""
    DIR_SOCKETS.mkdir(exist_ok=True)
    return str(DIR_SOCKETS / f"k-{uuid.uuid4().hex[:12]}")


@dataclass
class Aislamiento:
    """Límites del kernel que ejecuta código de un alumno (con bubblewrap, si está instalado).

    Sin red, con el sistema de archivos de solo lectura salvo su carpeta de trabajo y un /tmp propio,
    sin ver las carpetas de ``ocultar`` (fuentes con pruebas ocultas, otras entregas, el libro) y con un
    tope de memoria.
    """

    escribible: Path
    ocultar: list[Path] = field(default_factory=list)
    memoria_bytes: int = config.MEMORIA_KERNEL_BYTES

    @staticmethod
    def disponible() -> bool:
        return shutil.which("bwrap") is not None and shutil.which("prlimit") is not None

    def prefijo(self) -> list[str]:
        """Orden que envuelve la del kernel."""
        args = ["bwrap", "--die-with-parent", "--unshare-net", "--unshare-pid", "--ro-bind", "/", "/",
                "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        # Si el curso o el entorno viven bajo /tmp, vuelven a verse (solo lectura) tras el /tmp vacío.
        for ruta in {config.RAIZ / "curso", config.RAIZ / "grader", config.RAIZ / config.DIR_DATOS,
                     Path(sys.prefix), Path(sys.base_prefix)}:
            if ruta.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve()):
                args += ["--ro-bind", str(ruta), str(ruta)]
        for ruta in self.ocultar:
            if ruta.is_dir():
                args += ["--tmpfs", str(ruta)]
            elif ruta.exists():
                args += ["--ro-bind", "/dev/null", str(ruta)]
        args += ["--bind", str(DIR_SOCKETS), str(DIR_SOCKETS),
                 "--bind", str(self.escribible), str(self.escribible),
                 "--setenv", "HOME", "/tmp", "--setenv", "MPLCONFIGDIR", "/tmp/mpl",
                 "--setenv", "IPYTHONDIR", "/tmp/ipython", "--setenv", "TMPDIR", "/tmp",
                 # en otro espacio de PID el padre no es visible: ipykernel no debe vigilarlo
                 # (--die-with-parent ya termina el kernel si el calificador muere)
                 "--setenv", "JPY_PARENT_PID", "1"]
        return args + ["--", "prlimit", f"--as={self.memoria_bytes}", "--"]


class KernelAislado(AsyncKernelManager):
    """KernelManager que lanza el kernel dentro de un ``Aislamiento``."""

    aislamiento: Aislamiento | None = None

    def format_kernel_cmd(self, extra_arguments=None):
        orden = super().format_kernel_cmd(extra_arguments)
        return (self.aislamiento.prefijo() + orden) if self.aislamiento else orden


def cliente(nb, carpeta: Path, tiempo_por_celda: int = config.TIEMPO_POR_CELDA_S,
            aislamiento: Aislamiento | None = None, omitir: bool = True) -> NotebookClient:
    """Un NotebookClient que sigue tras los errores de celda (se anotan en las salidas).

    Con ``omitir`` no ejecuta las celdas ``# OMITIR_AL_CALIFICAR`` (como al calificar).
    """
    ipc = _ruta_ipc()
    km = KernelAislado(kernel_name="python3", transport="ipc", ip=ipc, connection_file=ipc + ".json")
    km.aislamiento = aislamiento
    return NotebookClient(
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


@contextmanager
def sesion(nb, carpeta: Path, tiempo_por_celda: int = config.TIEMPO_POR_CELDA_S,
           aislamiento: Aislamiento | None = None, omitir: bool = True):
    """Kernel abierto sobre ``nb``; dentro, ``cliente.execute_cell(celda, i)`` ejecuta celdas sueltas.

    IPC en vez de TCP: sin puertos abiertos (y sin el aviso «TCP without encryption» en stderr).
    """
    c = cliente(nb, carpeta, tiempo_por_celda, aislamiento, omitir)
    c.owns_km = True  # el KernelManager es nuestro, pero nbclient debe apagar el kernel al salir
    with c.setup_kernel(env=entorno_kernel()):
        yield c


def ejecutar(nb, carpeta: Path, tiempo_por_celda: int = config.TIEMPO_POR_CELDA_S,
             aislamiento: Aislamiento | None = None, omitir: bool = True) -> str:
    """Ejecuta las celdas de ``nb`` en su sitio (todas si no ``omitir``). Devuelve el estado: ok,
    tiempo_agotado o kernel_murio."""
    try:
        with sesion(nb, carpeta, tiempo_por_celda, aislamiento, omitir) as c:
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
