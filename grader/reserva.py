"""Reserva de kernels: el siguiente kernel arranca (en su caja, importando las bibliotecas del curso) mientras
se califica la entrega actual, así cada cuaderno no espera ~3–4 s a que arranquen el kernel y TensorFlow.

Cada kernel sirve a UNA sola entrega y después se destruye con su carpeta privada: nada de lo que haga el
código de un alumno (variables, archivos, procesos) llega a otro.
"""
from __future__ import annotations

import atexit
from collections import deque

from grader import ejecucion


class Reserva:
    """``tamano`` kernels lanzados por adelantado con la misma caja (``aislamiento``)."""

    def __init__(self, aislamiento: ejecucion.Aislamiento | None, tamano: int = 1):
        self.aislamiento = aislamiento
        self.tamano = tamano
        self._listos: deque[ejecucion.Kernel] = deque()
        atexit.register(self.cerrar)

    def llenar(self) -> None:
        """Lanza kernels hasta tener ``tamano`` (no espera a que arranquen)."""
        while len(self._listos) < self.tamano:
            self._listos.append(ejecucion.lanzar_kernel(self.aislamiento, precargar=True))

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
            kernel = ejecucion.lanzar_kernel(self.aislamiento, precargar=True)
        self.llenar()
        return kernel

    def cerrar(self) -> None:
        """Destruye los kernels que no llegaron a usarse."""
        while self._listos:
            self._listos.popleft().destruir()
