"""Ejecución de cuadernos en un kernel con nbclient, con el entorno silencioso del curso."""
from __future__ import annotations

import os
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from nbclient import NotebookClient
from traitlets.config import Config
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from grader import config

ETIQUETA_OMITIR = "skip-execution"  # nbclient no ejecuta las celdas con esta etiqueta


def entorno_kernel() -> dict[str, str]:
    """Variables de entorno de un kernel del curso: TF silencioso y la carpeta de grader/ y data/."""
    return {**os.environ, **config.ENTORNO_KERNEL, "CURSO_RAIZ": str(config.RAIZ)}


def _ruta_ipc() -> str:
    """Prefijo absoluto y único de los sockets IPC del kernel (el kernel corre en otra carpeta)."""
    carpeta = Path(tempfile.gettempdir()) / "curso-kernels"
    carpeta.mkdir(exist_ok=True)
    return str(carpeta / f"k-{uuid.uuid4().hex[:12]}")


def cliente(nb, carpeta: Path, tiempo_por_celda: int = config.TIEMPO_POR_CELDA_S) -> NotebookClient:
    """Un NotebookClient que sigue tras los errores de celda (se anotan en las salidas)."""
    return NotebookClient(
        nb,
        timeout=tiempo_por_celda,
        startup_timeout=config.TIEMPO_ARRANQUE_KERNEL_S,
        allow_errors=True,
        record_timing=False,  # sin marcas de tiempo en los metadatos: cuadernos diffables
        kernel_name="python3",
        skip_cells_with_tag=ETIQUETA_OMITIR,
        resources={"metadata": {"path": str(carpeta)}},
        # IPC: sin puertos TCP abiertos ni el aviso de «TCP without encryption» en stderr.
        config=Config({"KernelManager": {"transport": "ipc", "ip": _ruta_ipc()}}),
    )


@contextmanager
def sesion(nb, carpeta: Path, tiempo_por_celda: int = config.TIEMPO_POR_CELDA_S):
    """Kernel abierto sobre ``nb``; dentro, ``cliente.execute_cell(celda, i)`` ejecuta celdas sueltas."""
    c = cliente(nb, carpeta, tiempo_por_celda)
    with c.setup_kernel(env=entorno_kernel()):
        yield c


def ejecutar(nb, carpeta: Path, tiempo_por_celda: int = config.TIEMPO_POR_CELDA_S) -> str:
    """Ejecuta todas las celdas de ``nb`` en su sitio. Devuelve el estado: ok, tiempo_agotado o kernel_murio."""
    try:
        with sesion(nb, carpeta, tiempo_por_celda) as c:
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
