"""Quién califica y qué viaja: los ejecutores del lote y lo que hace cada trabajador.

- ``Ejecutor``: la interfaz (enviar una función, la misma en cada trabajador, esperar, reiniciar, cerrar).
  ``EjecutorEnProceso`` (este proceso, uno a uno), ``EjecutorLocal`` (procesos de esta máquina) y
  ``EjecutorDask`` (un ``LocalCluster`` o un clúster ``tcp://…``, con trabajadores de un hilo).
- ``Paquete``: lo que necesita un trabajador para calificar una entrega, como datos (los bytes de la entrega,
  dónde está la fuente dentro de SU copia del curso y la huella de la fuente del instructor). Ningún
  trabajador lee entregas ni escribe calificaciones en el disco del instructor: ``calificar_paquete`` devuelve
  un ``Devuelto`` (el ``Resultado`` y el cuaderno ejecutado) y el lote lo escribe.
- En cada proceso trabajador, una ``Reserva`` tiene el siguiente kernel arrancado.
"""
from __future__ import annotations

import abc
import hashlib
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, as_completed, wait
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from curso import config
from grader.motor import calificacion
from grader.nucleo import cuadernos
from grader.nucleo.limites import Limites
from grader.nucleo.resultado import Resultado

# ---------------------------------------------------------------- lo que viaja


def huella_de(datos: bytes) -> str:
    return hashlib.sha256(datos).hexdigest()


@dataclass(frozen=True)
class Paquete:
    """Una entrega por calificar en un trabajador, como datos: nada en él es una ruta del instructor.

    ``fuente``: la ruta del cuaderno fuente relativa a la raíz del curso (la misma en cada copia);
    ``huella_fuente``: la de la fuente del instructor (un trabajador con otra versión no califica);
    ``curso``: la raíz del curso en el trabajador, o None para la de su paquete ``curso`` instalado.
    """

    alumno: str
    tarea: str
    nombre: str  # el nombre del archivo entregado (los mensajes para el alumno lo citan)
    datos: bytes
    fuente: str
    huella_fuente: str
    limites: Limites
    curso: str | None = None

    @classmethod
    def de(cls, alumno: str, tarea: str, nombre: str, datos: bytes, raiz: Path, limites: Limites,
           curso: Path | None) -> "Paquete":
        """El paquete de una entrega ya leída (``datos``) contra la fuente de ``tarea`` del curso ``raiz``."""
        fuente = config.cuaderno_fuente(tarea, raiz)
        return cls(alumno, tarea, Path(nombre).name, datos, fuente.relative_to(raiz).as_posix(),
                   huella_de(fuente.read_bytes()), limites, None if curso is None else str(curso))


@dataclass
class Devuelto:
    """Lo que devuelve un trabajador: el resultado y el cuaderno ejecutado (bytes), o por qué no calificó
    (``rechazo``, un fallo del calificador: nunca un 0). ``trabajador``: dónde se ejecutó (máquina:pid)."""

    resultado: Resultado | None
    cuaderno: bytes | None
    trabajador: str
    rechazo: str = ""


def nombre_trabajador() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _rechazo(fuente: Path, paquete: Paquete, trabajador: str) -> str:
    """Por qué este trabajador no puede calificar el paquete con su copia del curso ("" si puede)."""
    if not fuente.is_file():
        return (f"el trabajador {trabajador} no tiene {paquete.fuente} en su copia del curso "
                f"({fuente.parent.parent.parent}): clona el curso en el mismo commit que el del instructor")
    propia = huella_de(fuente.read_bytes())
    if propia != paquete.huella_fuente:
        return (f"el trabajador {trabajador} tiene otra versión de {paquete.fuente} (huella {propia[:12]}; la del "
                f"instructor, {paquete.huella_fuente[:12]}): pon su copia del curso en el mismo commit que la del "
                "instructor (`git pull`) y reinicia el trabajador")
    return ""


def calificar_paquete(paquete: Paquete) -> Devuelto:
    """En un trabajador: califica los bytes del paquete contra la fuente de su propia copia del curso, en una
    carpeta temporal que ningún kernel ve, y devuelve el resultado con el cuaderno ejecutado."""
    raiz = Path(paquete.curso) if paquete.curso is not None else config.RAIZ
    fuente = raiz / PurePosixPath(paquete.fuente)
    trabajador = nombre_trabajador()
    rechazo = _rechazo(fuente, paquete, trabajador)
    if rechazo:
        return Devuelto(None, None, trabajador, rechazo)
    cuadernos.DIR_KERNELS.mkdir(mode=0o700, exist_ok=True)  # cada caja tapa esta carpeta (salvo su subcarpeta)
    carpeta = Path(tempfile.mkdtemp(prefix="entrega-", dir=cuadernos.DIR_KERNELS))
    try:
        entrega = carpeta / "entregada" / paquete.nombre
        entrega.parent.mkdir()
        entrega.write_bytes(paquete.datos)
        ejecutada = carpeta / "calificada"
        r = calificacion.evaluar_entrega(entrega, fuente, paquete.alumno, paquete.tarea, ejecutada,
                                         paquete.limites, reserva=_reserva(raiz, paquete.limites))
        cuaderno = ejecutada / f"{paquete.tarea}.ipynb"
        return Devuelto(r, cuaderno.read_bytes() if cuaderno.is_file() else None, trabajador)
    finally:
        shutil.rmtree(carpeta, ignore_errors=True)


# ---------------------------------------------------------------- en cada proceso trabajador

_RESERVAS: dict = {}


def _reserva(raiz: Path, limites: Limites):
    """La reserva de kernels de este proceso para este curso y estos límites (se crea la primera vez)."""
    from grader.motor import ejecucion, reserva

    if limites.aislar and not ejecucion.Aislamiento.disponible():
        return None  # evaluar_entrega lo dirá en el resultado
    clave = (str(raiz), limites)
    if clave not in _RESERVAS:
        _RESERVAS[clave] = reserva.Reserva(calificacion.aislamiento_para(raiz, limites), config.KERNELS_EN_RESERVA)
        _RESERVAS[clave].llenar()
    return _RESERVAS[clave]


def cerrar_reservas() -> None:
    """Destruye los kernels de reserva de este proceso que no llegaron a usarse."""
    while _RESERVAS:
        _RESERVAS.popitem()[1].cerrar()


# ---------------------------------------------------------------- la interfaz


class ClusterNoValido(RuntimeError):
    """El clúster de Dask no sirve para calificar (sin trabajadores, o alguno con más de un hilo)."""


class Ejecutor(abc.ABC):
    """Reparte llamadas ``funcion(*args)`` (función de nivel superior y argumentos serializables) entre sus
    trabajadores. ``nombre``: cómo lo cita el resumen («2 procesos locales»); ``trabajadores``: cuántas
    entregas califica a la vez."""

    nombre: str
    trabajadores: int

    @abc.abstractmethod
    def enviar(self, funcion, *args) -> Future:
        """Ejecuta ``funcion(*args)`` en algún trabajador; el futuro tiene su valor (o su excepción)."""

    @abc.abstractmethod
    def enviar_a_cada_trabajador(self, funcion, *args) -> list[Future]:
        """La misma llamada en cada trabajador que pueda tener otro entorno (p. ej. el canario)."""

    @abc.abstractmethod
    def terminados(self, futuros: Iterable[Future]) -> Iterator[Future]:
        """Los ``futuros`` a medida que terminan."""

    def primero(self, futuros: list[Future]) -> Future:
        """El primero de ``futuros`` que termine."""
        return next(iter(self.terminados(futuros)))

    def curso_en_trabajadores(self, raiz: Path) -> Path | None:
        """La raíz del curso en los trabajadores: en esta máquina, la misma del instructor."""
        return raiz

    def reiniciar(self) -> None:
        """Tras la caída de un trabajador, deja el ejecutor listo para seguir (si hace falta)."""

    @abc.abstractmethod
    def cerrar(self) -> None:
        """Libera procesos, clúster y kernels de reserva."""

    def __enter__(self) -> "Ejecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.cerrar()


class EjecutorEnProceso(Ejecutor):
    """Califica en este mismo proceso, uno a uno (``--trabajos 1``): cada envío se ejecuta al enviarlo."""

    nombre = "en este proceso"
    trabajadores = 1

    def enviar(self, funcion, *args) -> Future:
        futuro: Future = Future()
        try:
            futuro.set_result(funcion(*args))
        except Exception as e:
            futuro.set_exception(e)
        return futuro

    def enviar_a_cada_trabajador(self, funcion, *args) -> list[Future]:
        return [self.enviar(funcion, *args)]

    def terminados(self, futuros):
        return iter(list(futuros))

    def cerrar(self) -> None:
        cerrar_reservas()


class EjecutorLocal(Ejecutor):
    """Procesos de esta máquina (``concurrent.futures``)."""

    def __init__(self, trabajos: int):
        self.trabajadores = trabajos
        self.nombre = f"{trabajos} procesos locales"
        self._grupo = ProcessPoolExecutor(max_workers=trabajos)

    def enviar(self, funcion, *args) -> Future:
        return self._grupo.submit(funcion, *args)

    def enviar_a_cada_trabajador(self, funcion, *args) -> list[Future]:
        """La llamada una vez en el grupo: sus procesos son copias de este (mismo entorno, misma máquina)."""
        return [self._grupo.submit(funcion, *args)]

    def terminados(self, futuros):
        return as_completed(futuros)

    def primero(self, futuros):
        return next(iter(wait(futuros, return_when=FIRST_COMPLETED).done))

    def reiniciar(self) -> None:
        """Tras la caída de un proceso, un grupo nuevo (el anterior queda inservible)."""
        self._grupo.shutdown(wait=False, cancel_futures=True)
        self._grupo = ProcessPoolExecutor(max_workers=self.trabajadores)

    def cerrar(self) -> None:
        self._grupo.shutdown(wait=True, cancel_futures=True)


class EjecutorDask(Ejecutor):
    """Un clúster de Dask: ``direccion`` ``tcp://…`` de un planificador ya en marcha, o None para un
    ``LocalCluster`` de ``trabajos`` procesos de un hilo. ``curso``: la raíz del curso en los trabajadores
    (por omisión, en un clúster ajeno, la del paquete ``curso`` instalado en cada uno).

    Se niega (``ClusterNoValido``) si el clúster no tiene trabajadores o alguno tiene más de un hilo: cada
    trabajador califica una entrega a la vez (límites, reserva de kernels y madre son de su proceso)."""

    def __init__(self, direccion: str | None, trabajos: int = 2, curso: Path | None = None):
        from distributed import Client, LocalCluster

        self.cluster = None
        self.curso = curso
        if direccion is None:
            self.cluster = LocalCluster(n_workers=trabajos, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.cliente = Client(self.cluster)
        else:
            try:
                self.cliente = Client(direccion, timeout="30s")
            except OSError as e:  # incluye TimeoutError: nadie responde en esa dirección
                raise ClusterNoValido(f"No se calificó nada: no se pudo conectar con el planificador de Dask en "
                                      f"{direccion} ({type(e).__name__}: {e}).") from None
        try:
            self.trabajadores = comprobar_hilos(self.cliente.scheduler_info()["workers"], direccion or "local")
        except ClusterNoValido:
            self._soltar()
            raise
        self.nombre = (f"Dask local ({trabajos} procesos)" if direccion is None
                       else f"Dask en {direccion} ({self.trabajadores} trabajadores)")

    def curso_en_trabajadores(self, raiz: Path) -> Path | None:
        if self.curso is not None:
            return self.curso
        return raiz if self.cluster is not None else None

    def enviar(self, funcion, *args):
        return self.cliente.submit(funcion, *args, pure=False)

    def enviar_a_cada_trabajador(self, funcion, *args) -> list:
        """La llamada en cada trabajador del clúster (cada uno puede tener otro entorno u otra copia del curso).
        Si uno se va, su llamada pasa a otro (no se queda esperando): el canario dice dónde se ejecutó."""
        return [self.cliente.submit(funcion, *args, pure=False, workers=[w], allow_other_workers=True)
                for w in self.cliente.scheduler_info()["workers"]]

    def terminados(self, futuros):
        from distributed import as_completed as terminados_dask

        return terminados_dask(futuros)

    def primero(self, futuros):
        from distributed import wait as esperar_dask

        return next(iter(esperar_dask(futuros, return_when="FIRST_COMPLETED").done))

    def cerrar(self) -> None:
        """Cierra los kernels de reserva de cada trabajador (no quedan ocupando memoria entre lotes) y el
        cliente, y el ``LocalCluster`` si es propio."""
        try:
            self.cliente.run(cerrar_reservas)
        except Exception:  # un trabajador que ya no está no tiene nada que cerrar
            pass
        self._soltar()

    def _soltar(self) -> None:
        self.cliente.close()
        if self.cluster is not None:
            self.cluster.close()


def comprobar_hilos(trabajadores: dict, donde: str) -> int:
    """Cuántos trabajadores tiene el clúster (``scheduler_info()["workers"]``); ``ClusterNoValido`` si ninguno
    o si alguno tiene más de un hilo."""
    if not trabajadores:
        raise ClusterNoValido(f"No se calificó nada: el clúster de Dask en {donde} no tiene trabajadores. Lanza "
                              "al menos uno (`dask worker DIRECCION --nthreads 1`) desde su copia del curso.")
    con_hilos = {w: info.get("nthreads", 1) for w, info in trabajadores.items() if info.get("nthreads", 1) > 1}
    if con_hilos:
        lista = ", ".join(f"{w} ({n} hilos)" for w, n in sorted(con_hilos.items()))
        raise ClusterNoValido(
            f"No se calificó nada: el clúster de Dask en {donde} tiene trabajadores con más de un hilo: {lista}. "
            "Cada trabajador debe calificar una sola entrega a la vez (los límites de memoria, la reserva de "
            "kernels y su madre son de su proceso): reinícialos con `dask worker DIRECCION --nthreads 1` "
            "(y `--nworkers N` para N a la vez en una máquina).")
    return len(trabajadores)


def crear_ejecutor(trabajos: int = 1, cluster: str | None = None) -> Ejecutor:
    """El ejecutor que piden las opciones: ``cluster`` = "local" o "tcp://…" para Dask; si no, procesos."""
    if cluster:
        return EjecutorDask(None if cluster == "local" else cluster, trabajos)
    return EjecutorLocal(trabajos) if trabajos > 1 else EjecutorEnProceso()
