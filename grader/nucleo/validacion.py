"""Regresión con nbval: re-ejecuta los cuadernos fuente y compara las celdas marcadas ``# NBVAL_CHECK_OUTPUT``."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from curso import config


def orden_nbval(cuadernos: list[Path]) -> list[str]:
    """La orden de pytest que valida ``cuadernos`` con nbval (modo lax + reglas de saneado)."""
    return [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
        "--nbval-cell-timeout", str(config.TIEMPO_POR_CELDA_COMPLETO_S),
        "--sanitize-with", str(config.ARCHIVO_SANEAR_NBVAL), *map(str, cuadernos),
    ]


def nbval(tareas: list[str], raiz: Path = config.RAIZ) -> int:
    """Valida los cuadernos fuente de ``tareas``; devuelve el código de salida de pytest."""
    cuadernos = [config.cuaderno_fuente(t, raiz) for t in tareas]
    return subprocess.run(orden_nbval(cuadernos), cwd=raiz, env=cuadernos.entorno_kernel(estricto=True)).returncode
