"""Reserva de kernels: el siguiente kernel arranca (en su caja, con las bibliotecas del curso importadas)
mientras se califica la entrega actual, así cada cuaderno no espera a que arranquen el kernel y TensorFlow.

Con ``config.CLONAR_KERNELS`` los kernels nacen de una madre que importó TensorFlow una sola vez
(``grader.motor.clonacion``); si no puede clonar, cada kernel lo importa al arrancar.
Cada kernel sirve a UNA sola entrega y después se destruye con su carpeta privada: nada de lo que haga el
código de un alumno (variables, archivos, procesos) llega a otro.
"""
from __future__ import annotations

import atexit
import sys
from collections import deque
from multiprocessing import util

from curso import config
from grader.motor import clonacion, ejecucion


class Reserva:
    """``tamano`` kernels lanzados por adelantado con la misma caja (``aislamiento``)."""

    def __init__(self, aislamiento: ejecucion.Aislamiento | None, tamano: int = 1,
                 clonar: bool = config.CLONAR_KERNELS):
        self.aislamiento = aislamiento
        self.tamano = tamano
        self._listos: deque[ejecucion.Kernel] = deque()
        aislado = aislamiento is not None and aislamiento.aislar
        self.madre = clonacion.Madre(aislamiento) if clonar and aislado else None
        atexit.register(self.cerrar)
        # los procesos de un ProcessPoolExecutor no ejecutan atexit al salir, sí los finalizadores de multiprocessing
        util.Finalize(self, self.cerrar, exitpriority=10)

    def clona(self) -> bool:
        """¿Nacen clonados los kernels? (espera a que la madre esté lista la primera vez)."""
        if self.madre is not None and not self.madre.lista():
            print(f"Aviso: no se pueden clonar kernels ({self.madre.error}); cada kernel importará TensorFlow "
                  "al arrancar (más lento, igual de aislado).", file=sys.stderr)
            self.madre.cerrar()  # también si murió a mitad del lote: su carpeta no queda en DIR_KERNELS
            self.madre = None
        return self.madre is not None

    def _lanzar(self) -> ejecucion.Kernel:
        if self.clona():
            return self.madre.lanzar()
        return ejecucion.lanzar_kernel(self.aislamiento, precargar=True)

    def llenar(self) -> None:
        """Lanza kernels hasta tener ``tamano`` (no espera a que arranquen)."""
        while len(self._listos) < self.tamano:
            self._listos.append(self._lanzar())

    def tomar(self) -> ejecucion.Kernel:
        """Un kernel para una entrega (el más antiguo, si sigue vivo; si no, uno nuevo) y relanza el siguiente."""
        kernel = None
        while self._listos and kernel is None:
            candidato = self._listos.popleft()
            if candidato.vivo():
                kernel = candidato
            else:
                candidato.destruir()
        if kernel is None:
            kernel = self._lanzar()
        self.llenar()
        return kernel

    def cerrar(self) -> None:
        """Destruye los kernels que no llegaron a usarse y la madre."""
        while self._listos:
            self._listos.popleft().destruir()
        if self.madre is not None:
            self.madre.cerrar()
            self.madre = None
