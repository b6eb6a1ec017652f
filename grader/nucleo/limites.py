"""Los límites de una calificación: un solo registro que viaja de la línea de órdenes a cada trabajo."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from curso import config

SIN_AISLAMIENTO = ("sin bubblewrap (p. ej. si falta): el código de los alumnos tiene red, ve los archivos del usuario "
                   "que califica y su disco no tiene tope; se mantienen el tope de memoria (con prlimit, si existe), "
                   "los tiempos y el recorte de la salida; queda anotado en cada entrega")
"""Lo que cambia al calificar con ``aislar=False`` (lo dice la ayuda de ``--sin-aislamiento``; lo comprueba
``tests/test_cli.py`` contra ``grader.motor.ejecucion.Aislamiento``)."""


@dataclass(frozen=True)
class Limites:
    """Límites de cada entrega (un alumno x un cuaderno). Los valores por defecto salen de ``curso.config``."""

    tiempo_por_celda_s: int = config.TIEMPO_POR_CELDA_S
    tiempo_total_s: int = config.TIEMPO_POR_CUADERNO_S
    memoria_bytes: int = config.MEMORIA_KERNEL_BYTES
    disco_tmp_bytes: int = config.DISCO_TMP_BYTES  # /tmp propio (tmpfs con tope; solo con aislamiento)
    disco_trabajo_bytes: int = config.DISCO_TRABAJO_BYTES  # carpeta de trabajo (tmpfs con tope; solo con aislamiento)
    salida_por_celda_bytes: int = config.SALIDA_POR_CELDA_BYTES
    salida_total_bytes: int = config.SALIDA_POR_CUADERNO_BYTES
    aislar: bool = config.AISLAR

    def a_dict(self) -> dict:
        return asdict(self)

    def topes_de_proceso(self) -> dict[str, int]:
        """Los topes del sistema (``setrlimit``) de cada kernel que califica: nombre → valor (blando = duro).

        La única tabla de topes por proceso: el nombre es el de la opción de ``prlimit`` (``--as``) y el de
        ``resource.RLIMIT_AS`` en minúsculas. ``grader.motor.ejecucion`` los pasa a ``prlimit`` (kernel lanzado) y
        ``grader/motor/madre.py`` a ``setrlimit`` (kernel clonado), antes de que el kernel ejecute nada; un tope
        nuevo se añade solo aquí (``tests/test_aislamiento.py`` lee cada uno dentro de los dos kernels).
        """
        return {"as": self.memoria_bytes}  # memoria virtual

    def describir(self) -> str:
        """Una línea en español para el instructor."""
        return (f"{self.tiempo_por_celda_s} s por celda, {self.tiempo_total_s} s por cuaderno, "
                f"{tamano(self.memoria_bytes)} de memoria, "
                + (f"disco {tamano(self.disco_tmp_bytes)} en /tmp y {tamano(self.disco_trabajo_bytes)} en la carpeta "
                   "de trabajo, " if self.aislar else "disco sin tope, ")
                + f"salida guardada ≤ {tamano(self.salida_por_celda_bytes)} "
                f"por celda y ≤ {tamano(self.salida_total_bytes)} por cuaderno, "
                + ("aislado con bubblewrap" if self.aislar else "SIN aislamiento"))


def tamano(n: int) -> str:
    """Un número de bytes legible (``1 MB``, ``6 GB``)."""
    for unidad, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.3g} {unidad}"
    return f"{n} B"

