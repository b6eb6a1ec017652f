"""Calificar una clase entera: muchas entregas repartidas entre procesos locales o un clúster de Dask.

- ``buscar_trabajos``: qué archivo calificar de cada alumno y tarea (con aviso si tiene otro nombre).
- Un **ejecutor** inyectado reparte los trabajos: ``EjecutorEnProceso`` (uno a uno), ``EjecutorLocal``
  (procesos de esta máquina) o ``EjecutorDask`` (``LocalCluster`` o un clúster ``tcp://…``). En cada proceso
  trabajador, una ``Reserva`` tiene el siguiente kernel arrancado.
- Un solo **escritor** (este proceso) escribe ``resultado.json`` y el libro de nbgrader a medida que
  termina cada trabajo; al final, los CSV (largo y ancho para Moodle/Canvas) y un resumen en español.
- ``reconstruir`` rehace libro y CSV solo a partir de los ``resultado.json``.
- Una entrega ya calificada con la misma huella (entrega + fuente + límites) no se vuelve a calificar
  (salvo con ``forzar``).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from curso import config
from grader.informes import libro
from grader.motor import calificacion
from grader.nucleo import celdas, entregas, puntuacion
from grader.nucleo import resultado as registros
from grader.nucleo.limites import Limites
from grader.nucleo.resultado import BANDERAS, ESTADOS, Resultado

NOMBRE_RESULTADO = registros.NOMBRE


@dataclass(frozen=True)
class Trabajo:
    """Una entrega por calificar (o la constancia de que falta).

    ``problema``: lo que hay en lugar de la entrega (un enlace, varios cuadernos…), dicho para el alumno; la
    entrega vale 0 sin abrir nada. ``extraviados``: archivos de este alumno fuera de sitio que parecen de esta tarea.
    """

    alumno: str
    tarea: str
    entrega: Path | None
    aviso: str = ""
    problema: str = ""
    no_regular: bool = False  # el problema es un enlace, una carpeta, una tubería…
    extraviados: tuple[str, ...] = ()

    @property
    def renombrada(self) -> bool:
        return self.entrega is not None and not self.problema and self.entrega.name != f"{self.tarea}.ipynb"


@dataclass
class Exploracion:
    """Lo que hay en la carpeta de entregas: los trabajos y los archivos fuera de sitio (con dónde deben ir)."""

    trabajos: list[Trabajo] = field(default_factory=list)
    extraviados: list[str] = field(default_factory=list)  # todos, en frases «ruta: qué es → dónde va»


def _lstat(ruta: Path) -> os.stat_result | None:
    try:
        return os.lstat(ruta)
    except OSError:
        return None


def _entradas(carpeta: Path) -> list[tuple[Path, os.stat_result]]:
    """Las entradas visibles de ``carpeta`` con su lstat (nunca se sigue un enlace), ordenadas."""
    salida = []
    try:
        hijos = sorted(carpeta.iterdir())
    except OSError:  # sin permiso de lectura, o desapareció: no hay nada que se pueda calificar
        return []
    for ruta in hijos:
        st = _lstat(ruta)
        if st is not None and not ruta.name.startswith("."):
            salida.append((ruta, st))
    return salida


def _tarea_de_nombre(nombre: str, tareas: list[str]) -> str | None:
    """La tarea a la que parece pertenecer un archivo por su nombre («01_tensores (1).ipynb» → 01_tensores)."""
    base = nombre.lower()
    return next((t for t in tareas if base.startswith(t.lower()) or base.startswith(t.split("_")[0] + "_")), None)


def _destino(alumno: str, tarea: str | None) -> str:
    tarea_txt = tarea or "<tarea>"
    return f"{alumno}/{tarea_txt}/{tarea_txt}.ipynb"


def explorar(entregas: Path, tareas: list[str], conocidas: list[str] | None = None) -> Exploracion:
    """Recorre ``entregas/<alumno>/<tarea>/`` sin seguir enlaces: qué archivo calificar de cada alumno y tarea,
    qué hay en lugar de la entrega cuando no es un archivo normal y qué archivos están fuera de sitio.

    ``conocidas``: todas las tareas del curso (una carpeta de otra tarea no está fuera de sitio).
    """
    if not entregas.is_dir():
        raise FileNotFoundError(f"No existe la carpeta de entregas {entregas}.")
    conocidas = list(dict.fromkeys([*tareas, *(conocidas or [])]))
    ex = Exploracion()
    for carpeta_alumno, st in _entradas(entregas):
        alumno = carpeta_alumno.name
        if stat.S_ISLNK(st.st_mode):
            problema = (f"La carpeta del alumno «{alumno}» es un enlace simbólico: el calificador no lo sigue. "
                        "Copia las entregas dentro de submitted/ (sin enlaces).")
            ex.trabajos += [Trabajo(alumno, t, carpeta_alumno, problema=problema, no_regular=True) for t in tareas]
            continue
        if not stat.S_ISDIR(st.st_mode):
            ex.extraviados.append(f"{alumno}: {_que_hay(st)} suelto en submitted/, fuera de la carpeta de un alumno "
                                  f"→ debe ir en {_destino('<alumno>', _tarea_de_nombre(alumno, conocidas))}")
            continue
        sueltos: dict[str | None, list[str]] = defaultdict(list)
        for ruta, st_hijo in _entradas(carpeta_alumno):
            if ruta.name in conocidas:
                continue
            sueltos_de = _extraviados_de(alumno, ruta, st_hijo, conocidas)
            for tarea, frase in sueltos_de:
                sueltos[tarea if tarea in tareas else None].append(frase)
        for i, tarea in enumerate(tareas):
            propios = sueltos.get(tarea, []) + (sueltos.get(None, []) if i == 0 else [])
            ex.trabajos.append(_trabajo(alumno, tarea, carpeta_alumno / tarea, tuple(propios)))
        ex.extraviados += [f for lista in sueltos.values() for f in lista]
    return ex


def _que_hay(st: os.stat_result) -> str:
    if stat.S_ISREG(st.st_mode):
        return "un archivo"
    return entregas.que_es(st.st_mode)


def _extraviados_de(alumno: str, ruta: Path, st: os.stat_result, conocidas: list[str]) -> list[tuple[str | None, str]]:
    """(tarea que parece, frase) de cada archivo fuera de sitio en ``ruta`` (dentro de la carpeta de un alumno)."""
    relativa = f"{alumno}/{ruta.name}"
    if stat.S_ISDIR(st.st_mode):
        cuadernos = [(r, s) for r, s in _entradas(ruta) if r.name.endswith(".ipynb")]
        if not cuadernos:
            return [(None, f"{relativa}/: carpeta desconocida (no es ninguna tarea: {', '.join(conocidas)}); "
                           "no se calificó nada de ella")]
        salida = []
        for r, _ in cuadernos:
            tarea = _tarea_de_nombre(r.name, conocidas) or _tarea_de_nombre(ruta.name, conocidas)
            salida.append((tarea, f"{relativa}/{r.name}: cuaderno en una carpeta desconocida → debe ir en "
                                  f"{_destino(alumno, tarea)}"))
        return salida
    tarea = _tarea_de_nombre(ruta.name, conocidas)
    que = "cuaderno" if ruta.name.endswith(".ipynb") else _que_hay(st)
    return [(tarea, f"{relativa}: {que} fuera de la carpeta de su tarea → debe ir en {_destino(alumno, tarea)}")]


def _trabajo(alumno: str, tarea: str, carpeta: Path, extraviados: tuple[str, ...]) -> Trabajo:
    """El Trabajo de un alumno y una tarea a partir de lo que hay (sin seguir enlaces) en ``carpeta``."""
    st = _lstat(carpeta)
    if st is None:
        return Trabajo(alumno, tarea, None, extraviados=extraviados)
    if not stat.S_ISDIR(st.st_mode):
        problema = (f"Donde debía estar la carpeta «{tarea}» hay {_que_hay(st)}: el calificador no lo abre ni lo "
                    f"sigue. El cuaderno debe estar en {_destino(alumno, tarea)}.")
        return Trabajo(alumno, tarea, carpeta, problema=problema, no_regular=True, extraviados=extraviados)
    esperado = carpeta / f"{tarea}.ipynb"
    if _lstat(esperado) is not None:
        return Trabajo(alumno, tarea, esperado, extraviados=extraviados)  # si no es un archivo normal, lo dice al leer
    otros = [r for r, _ in _entradas(carpeta) if r.name.endswith(".ipynb")]
    if len(otros) == 1:
        return Trabajo(alumno, tarea, otros[0], f"Se calificó «{otros[0].name}» (se esperaba «{esperado.name}»): "
                       "la entrega tenía otro nombre.", extraviados=extraviados)
    hay = [r.name for r, _ in _entradas(carpeta)]
    if otros:
        problema = (f"No hay «{esperado.name}» y hay {len(otros)} cuadernos ({', '.join(o.name for o in otros)}): no "
                    f"se sabe cuál calificar. Deja solo uno, llamado {esperado.name}.")
    else:
        problema = (f"No se encontró «{esperado.name}» en la carpeta de la tarea"
                    + (f" (hay: {', '.join(hay[:5])})." if hay else " (está vacía)."))
    return Trabajo(alumno, tarea, esperado, problema=problema, extraviados=extraviados)


def buscar_trabajos(entregas: Path, tareas: list[str]) -> list[Trabajo]:
    """Qué archivo calificar de cada alumno y tarea (``explorar`` sin la lista de archivos fuera de sitio)."""
    return explorar(entregas, tareas).trabajos


def carpeta_resultado(raiz: Path, alumno: str, tarea: str) -> Path:
    return raiz / config.DIR_CALIFICADOS / alumno / tarea


def huella(trabajo: Trabajo, raiz: Path, limites: Limites) -> str:
    """Resumen de lo que determina la nota: la entrega, la fuente y los límites."""
    h = hashlib.sha256()
    h.update(_contenido(trabajo))
    h.update(config.cuaderno_fuente(trabajo.tarea, raiz).read_bytes())
    h.update(json.dumps(limites.a_dict(), sort_keys=True).encode())
    return h.hexdigest()


def _contenido(trabajo: Trabajo) -> bytes:
    """Lo que determina la nota de la entrega: sus bytes si es un archivo normal; si no, qué se encontró."""
    if trabajo.entrega is None:
        return b"-"
    if trabajo.problema:
        return trabajo.problema.encode()
    try:
        return entregas.leer_bytes_seguro(trabajo.entrega)
    except entregas.EntregaInvalida as e:
        return str(e).encode()


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


def ejecutar_trabajo(trabajo: Trabajo, raiz: Path, limites: Limites, firma: str) -> Resultado:
    """Califica un Trabajo sin escribir resultado.json (lo escribe el escritor). Función de nivel superior
    para poder enviarla a otro proceso o a un trabajador de Dask."""
    fuente = config.cuaderno_fuente(trabajo.tarea, raiz)
    if trabajo.entrega is None:
        nb_fuente = nbformat.read(fuente, as_version=4)
        r = Resultado(trabajo.alumno, trabajo.tarea, "sin_entrega", "No hay entrega de esta tarea.",
                      puntuacion.notas_a_cero(nb_fuente, "Sin entrega."), limites=limites.a_dict())
    elif trabajo.problema:  # no se abre nada: lo que hay no es una entrega que se pueda leer
        nb_fuente = nbformat.read(fuente, as_version=4)
        r = Resultado(trabajo.alumno, trabajo.tarea, "archivo_invalido", trabajo.problema,
                      puntuacion.notas_a_cero(nb_fuente, trabajo.problema), limites=limites.a_dict())
        r.marcar("archivo_invalido")
        if trabajo.no_regular:
            r.marcar("entrega_no_regular")
    else:
        r = calificacion.evaluar_entrega(trabajo.entrega, fuente, trabajo.alumno, trabajo.tarea,
                                         carpeta_resultado(raiz, trabajo.alumno, trabajo.tarea), limites,
                                         reserva=_reserva(raiz, limites))
    r.huella = firma
    r.extraviados = list(trabajo.extraviados)
    if trabajo.aviso:
        r.avisos.insert(0, trabajo.aviso)
    if trabajo.renombrada:
        r.marcar("renombrada")
    return r


# ---------------------------------------------------------------- ejecutores


class EjecutorEnProceso:
    """Califica en este mismo proceso, uno a uno (``--trabajos 1``)."""

    nombre = "en este proceso"

    def enviar(self, funcion, *args) -> Future:
        futuro: Future = Future()
        futuro.funcion, futuro.args = funcion, args
        return futuro

    def enviar_a_cada_trabajador(self, funcion, *args) -> list:
        """La misma tarea en cada trabajador (aquí, este proceso)."""
        return [self.enviar(funcion, *args)]

    def terminados(self, futuros):
        for futuro in futuros:
            try:
                futuro.set_result(futuro.funcion(*futuro.args))
            except Exception as e:  # pragma: no cover - evaluar_entrega no lanza
                futuro.set_exception(e)
            yield futuro

    def reiniciar(self) -> None:
        pass

    def cerrar(self) -> None:
        cerrar_reservas()


class EjecutorLocal:
    """Procesos de esta máquina (``concurrent.futures``)."""

    def __init__(self, trabajos: int):
        self.trabajos = trabajos
        self.nombre = f"{trabajos} procesos locales"
        self._grupo = ProcessPoolExecutor(max_workers=trabajos)

    def enviar(self, funcion, *args) -> Future:
        return self._grupo.submit(funcion, *args)

    def enviar_a_cada_trabajador(self, funcion, *args) -> list:
        """La tarea una vez en el grupo: sus procesos son copias de este (mismo entorno, misma máquina)."""
        return [self._grupo.submit(funcion, *args)]

    def terminados(self, futuros):
        return as_completed(futuros)

    def reiniciar(self) -> None:
        """Tras la caída de un proceso, un grupo nuevo (el anterior queda inservible)."""
        self._grupo.shutdown(wait=False, cancel_futures=True)
        self._grupo = ProcessPoolExecutor(max_workers=self.trabajos)

    def cerrar(self) -> None:
        self._grupo.shutdown(wait=True, cancel_futures=True)


class EjecutorDask:
    """Un clúster de Dask: ``direccion`` ``tcp://…`` de un planificador ya en marcha, o None para un
    ``LocalCluster`` de ``trabajos`` procesos de un hilo."""

    def __init__(self, direccion: str | None, trabajos: int = 2):
        from distributed import Client, LocalCluster

        self.cluster = None
        if direccion is None:
            self.cluster = LocalCluster(n_workers=trabajos, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.cliente = Client(self.cluster)
            self.nombre = f"Dask local ({trabajos} procesos)"
        else:
            self.cliente = Client(direccion, timeout="30s")
            self.nombre = f"Dask en {direccion} ({len(self.cliente.scheduler_info()['workers'])} trabajadores)"

    def enviar(self, funcion, *args):
        return self.cliente.submit(funcion, *args, pure=False)

    def enviar_a_cada_trabajador(self, funcion, *args) -> list:
        """La tarea en cada trabajador del clúster (cada uno puede tener otro entorno u otras rutas). Si uno se va,
        su tarea pasa a otro (no se queda esperando): el resultado dice en qué trabajador se ejecutó."""
        return [self.cliente.submit(funcion, *args, pure=False, workers=[w], allow_other_workers=True)
                for w in self.cliente.scheduler_info()["workers"]]

    def terminados(self, futuros):
        from distributed import as_completed as terminados_dask

        return terminados_dask(futuros)

    def reiniciar(self) -> None:
        pass  # Dask reintenta en otro trabajador por su cuenta

    def cerrar(self) -> None:
        self.cliente.close()
        if self.cluster is not None:
            self.cluster.close()


def crear_ejecutor(trabajos: int = 1, cluster: str | None = None):
    """El ejecutor que piden las opciones: ``cluster`` = "local" o "tcp://…" para Dask; si no, procesos."""
    if cluster:
        return EjecutorDask(None if cluster == "local" else cluster, trabajos)
    return EjecutorLocal(trabajos) if trabajos > 1 else EjecutorEnProceso()


# ---------------------------------------------------------------- el escritor


class Escritor:
    """El único que escribe: el ``resultado.json`` de cada trabajo y su registro en el libro de nbgrader,
    en cuanto llega (si el lote se corta, lo ya escrito queda)."""

    def __init__(self, raiz: Path, tareas: list[str]):
        self.raiz = raiz
        self.libro = libro.Libro(raiz, tareas)

    def __enter__(self) -> "Escritor":
        self.libro.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.libro.__exit__(*exc)

    def escribir(self, r: Resultado, nuevo: bool = True) -> None:
        if nuevo:
            registros.escribir(r, carpeta_resultado(self.raiz, r.alumno, r.tarea))
        self.libro.registrar(r)


def leer_resultado(carpeta: Path) -> Resultado | None:
    """El ``resultado.json`` de una carpeta calificada (``grader.nucleo.resultado.leer``)."""
    return registros.leer(carpeta)


def leer_resultados(raiz: Path, tareas: list[str] | None = None) -> list[Resultado]:
    """Todos los ``resultado.json`` de ``autograded/`` (de las ``tareas`` dadas), ordenados."""
    return registros.leer_todos(raiz / config.DIR_CALIFICADOS, tareas)[0]


# ---------------------------------------------------------------- el canario


class CanarioFallido(RuntimeError):
    """La solución de referencia no sacó la nota máxima o la versión en blanco no sacó 0: el entorno de
    calificación está roto y no se escribe nada."""


@dataclass
class Canario:
    """Lo que costó y dónde se ejecutó la prueba previa del entorno."""

    tareas: list[str]
    donde: list[str]
    segundos: float

    def describir(self) -> str:
        lugares = sorted(set(self.donde))
        return (f"Canario: la solución y la versión en blanco de {', '.join(self.tareas)} dan la nota máxima y 0 "
                f"en {len(lugares)} trabajador(es) ({', '.join(lugares)}): {self.segundos:.1f} s.")


def ejecutar_canario(tarea: str, tipo: str, raiz: Path, limites: Limites) -> tuple[Resultado, str]:
    """En un trabajador: califica la solución de referencia (``tipo`` "solucion") o la versión del alumno en
    blanco ("blanco") de ``tarea`` como una entrega más (misma caja, límites y reserva) en una carpeta temporal.
    Devuelve el resultado y el nombre del trabajador."""
    import socket

    fuente = config.cuaderno_fuente(tarea, raiz)
    entrega = fuente if tipo == "solucion" else config.cuaderno_publicado(tarea, raiz)
    with tempfile.TemporaryDirectory(prefix="canario-") as tmp:
        r = calificacion.evaluar_entrega(entrega, fuente, f"canario-{tipo}", tarea, Path(tmp), limites,
                                         reserva=_reserva(raiz, limites))
    return r, f"{socket.gethostname()}:{os.getpid()}"


def fallo_canario(r: Resultado, tipo: str) -> str | None:
    """Qué está mal en el resultado del canario (en español, con la causa), o None si es lo esperado."""
    automaticas = [n for n in r.notas if n.estado != "manual"]
    if tipo == "solucion":
        mal = [n for n in automaticas if n.puntos != n.maximo]
        if r.estado == "ok" and not mal:
            return None
        esperado = "la nota máxima"
    else:
        mal = [n for n in automaticas if n.puntos != 0]
        if r.estado == "ok" and not mal:
            return None
        esperado = "0"
    nombre = "la solución de referencia" if tipo == "solucion" else "la versión del alumno en blanco"
    texto = (f"{r.tarea}: {nombre} debía sacar {esperado} y sacó {r.puntos:g}/{r.maximo:g} "
             f"({ESTADOS.get(r.estado, r.estado)}).")
    if r.mensaje:
        texto += f" {r.mensaje}"
    if mal and r.estado != "error_interno":
        texto += f" Primer ejercicio distinto: {mal[0].ejercicio}: {mal[0].mensaje}"
    return texto


def comprobar_entorno(tareas: list[str], raiz: Path, limites: Limites, ejecutor) -> Canario:
    """El canario: la solución (nota máxima) y la versión en blanco (0) de cada tarea, con el mismo ejecutor,
    caja y límites que el lote, en cada trabajador. Lanza ``CanarioFallido`` con la causa si algo no cuadra."""
    inicio = time.monotonic()
    faltan = [t for t in tareas if not config.cuaderno_publicado(t, raiz).is_file()]
    if faltan:
        raise CanarioFallido(
            f"No se calificó nada: falta la versión del alumno de {', '.join(faltan)} (notebooks/), que el canario "
            f"califica para comprobar que vale 0. Genérala con `python -m grader publicar {' '.join(faltan)}` o, "
            "bajo tu responsabilidad, califica con --sin-canario.")
    futuros = {}
    for tarea in tareas:
        for tipo in ("solucion", "blanco"):
            for futuro in ejecutor.enviar_a_cada_trabajador(ejecutar_canario, tarea, tipo, raiz, limites):
                futuros[futuro] = tipo
    fallos, donde = [], []
    for futuro in ejecutor.terminados(list(futuros)):
        try:
            r, trabajador = futuro.result()
        except Exception as e:
            fallos.append(f"el trabajador que ejecutaba el canario falló ({type(e).__name__}: {e})")
            continue
        donde.append(trabajador)
        fallo = fallo_canario(r, futuros[futuro])
        if fallo is not None:
            fallos.append(f"{fallo} [en {trabajador}]")
    if fallos:
        raise CanarioFallido(
            "No se calificó nada (ni resultados, ni libro, ni CSV): la prueba previa del entorno (el canario) "
            "falló, así que la calificación sería injusta para toda la clase.\n"
            + "\n".join(f"  - {f}" for f in dict.fromkeys(fallos))
            + "\nArregla el entorno y vuelve a calificar (o, bajo tu responsabilidad, usa --sin-canario).")
    return Canario(list(tareas), donde, round(time.monotonic() - inicio, 1))


# ---------------------------------------------------------------- el lote


def _coste(trabajo: Trabajo, raiz: Path, cache: dict) -> int:
    """Estimación del trabajo (celdas de código de la fuente) para calificar primero lo más largo."""
    if trabajo.entrega is None:
        return 0
    if trabajo.tarea not in cache:
        nb = nbformat.read(config.cuaderno_fuente(trabajo.tarea, raiz), as_version=4)
        cache[trabajo.tarea] = sum(c.cell_type == "code" and not celdas.se_omite(c) for c in nb.cells)
    return cache[trabajo.tarea]


def _fallo(trabajo: Trabajo, raiz: Path, limites: Limites, firma: str, motivo: str) -> Resultado:
    """Error interno (sin nota, ni un 0): el proceso que calificaba la entrega se detuvo."""
    nb_fuente = nbformat.read(config.cuaderno_fuente(trabajo.tarea, raiz), as_version=4)
    r = Resultado(trabajo.alumno, trabajo.tarea, "ok", limites=limites.a_dict(), huella=firma,
                  extraviados=list(trabajo.extraviados))
    calificacion.marcar_error_interno(r, nb_fuente, f"{motivo}. Vuelve a lanzar la calificación (sin --forzar basta).")
    return r


class Progreso:
    """Barra de progreso con tiempo restante (rich) en stderr, y líneas para lo que merece atención."""

    def __init__(self, total: int, activa: bool | None = None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.consola = Console(stderr=True)
        activa = self.consola.is_terminal if activa is None else activa
        self.barra = Progress(TextColumn("Calificando"), BarColumn(), MofNCompleteColumn(), TextColumn("·"),
                              TimeElapsedColumn(), TextColumn("· faltan"), TimeRemainingColumn(),
                              console=self.consola, disable=not activa, transient=False)
        self.tarea = self.barra.add_task("calificar", total=total)

    def __enter__(self) -> "Progreso":
        self.barra.start()
        return self

    def __exit__(self, *exc) -> None:
        self.barra.stop()

    def avanzar(self, r: Resultado) -> None:
        self.barra.advance(self.tarea)
        if r.estado not in ("ok", "sin_entrega") or r.banderas:
            problemas = [ESTADOS[r.estado]] if r.estado != "ok" else []
            problemas += [BANDERAS[b] for b in r.banderas]
            nota = f"{r.puntos:g}/{r.maximo:g}" if r.tiene_nota else "sin nota"
            self.consola.print(f"  {mostrable(r.alumno)}/{r.tarea}: {nota} · "
                               + "; ".join(dict.fromkeys(problemas)),
                               markup=False, highlight=False)


def reutilizables(trabajos: list[Trabajo], raiz: Path, limites: Limites,
                  forzar: bool = False) -> tuple[dict[Trabajo, str], dict[Trabajo, Resultado]]:
    """Las huellas de los trabajos y los resultados previos que siguen valiendo (misma huella, con nota)."""
    firmas = {t: huella(t, raiz, limites) for t in trabajos}
    hechos: dict[Trabajo, Resultado] = {}
    if not forzar:
        for t in trabajos:
            previo = leer_resultado(carpeta_resultado(raiz, t.alumno, t.tarea))
            if previo is not None and previo.huella == firmas[t] and previo.estado != "error_interno":
                hechos[t] = previo
    return firmas, hechos


def calificar_lote(trabajos: list[Trabajo], raiz: Path, limites: Limites, ejecutor, forzar: bool = False,
                   progreso: bool | None = None) -> tuple[list[Resultado], int]:
    """Califica los trabajos con ``ejecutor`` y escribe cada resultado en cuanto llega. Devuelve los
    resultados (en el orden de ``trabajos``) y cuántos se reutilizaron por no haber cambiado."""
    firmas, hechos = reutilizables(trabajos, raiz, limites, forzar)
    reutilizados = len(hechos)
    cache: dict = {}
    pendientes = sorted((t for t in trabajos if t not in hechos), key=lambda t: -_coste(t, raiz, cache))
    with Escritor(raiz, sorted({t.tarea for t in trabajos})) as escritor, \
            Progreso(len(trabajos), progreso) as barra:
        for t in list(hechos):
            cambio = hechos[t].extraviados != list(t.extraviados)
            hechos[t].extraviados = list(t.extraviados)
            escritor.escribir(hechos[t], nuevo=cambio)
            barra.avanzar(hechos[t])
        caidos = []
        futuros = {ejecutor.enviar(ejecutar_trabajo, t, raiz, limites, firmas[t]): t for t in pendientes}
        for futuro in ejecutor.terminados(list(futuros)):
            try:
                hechos[futuros[futuro]] = futuro.result()
            except Exception:  # un proceso trabajador murió: se reintenta abajo, de uno en uno
                caidos.append(futuros[futuro])
                continue
            escritor.escribir(hechos[futuros[futuro]])
            barra.avanzar(hechos[futuros[futuro]])
        for t in caidos:  # de uno en uno: la caída de uno no arrastra a los demás
            ejecutor.reiniciar()
            try:
                r = next(iter(ejecutor.terminados([ejecutor.enviar(ejecutar_trabajo, t, raiz, limites, firmas[t])])))
                hechos[t] = r.result()
            except Exception as e:
                hechos[t] = _fallo(t, raiz, limites, firmas[t],
                                   f"el proceso que la calificaba se detuvo ({type(e).__name__})")
            escritor.escribir(hechos[t])
            barra.avanzar(hechos[t])
    return [hechos[t] for t in trabajos], reutilizados


def resumen(resultados: list[Resultado], segundos: float, reutilizados: int = 0, ejecutor: str = "") -> str:
    """Resumen en español: alumnos, cuadernos, media por ejercicio, fallos y banderas por motivo."""
    entregadas = [r for r in resultados if r.estado != "sin_entrega"]
    lineas = [f"Resumen: {len({r.alumno for r in resultados})} alumnos, {len(entregadas)} cuadernos entregados "
              f"de {len(resultados)} ({reutilizados} sin cambios desde la última vez, no recalificados); "
              f"{segundos:.0f} s" + (f" con {ejecutor}" if ejecutor else "") + "."]
    por_ejercicio: dict[tuple[str, str], list[float]] = defaultdict(list)
    maximos = {}
    for r in entregadas:
        for n in r.notas:
            if n.puntos is not None:
                por_ejercicio[(r.tarea, n.ejercicio)].append(n.puntos)
                maximos[(r.tarea, n.ejercicio)] = n.maximo
    if por_ejercicio:
        lineas.append("Media por ejercicio (cuadernos entregados):")
        for (tarea, ejercicio), puntos in sorted(por_ejercicio.items()):
            lineas.append(f"  {tarea:<20} {ejercicio:<28} {sum(puntos) / len(puntos):5.2f} / "
                          f"{maximos[(tarea, ejercicio)]:g}   (n = {len(puntos)})")
    estados = Counter(r.estado for r in resultados if r.estado not in ("ok",))
    banderas = Counter(b for r in resultados for b in r.banderas)
    if estados or banderas:
        lineas.append("Problemas:")
        for estado, n in estados.most_common():
            quienes = [f"{mostrable(r.alumno)}/{r.tarea}" for r in resultados if r.estado == estado]
            lineas.append(f"  {ESTADOS[estado]}: {n}" + ("" if estado == "sin_entrega" else f" ({_lista(quienes)})"))
        for bandera, n in banderas.most_common():
            quienes = [f"{mostrable(r.alumno)}/{r.tarea}" for r in resultados if bandera in r.banderas]
            if all(r.estado == bandera for r in resultados if bandera in r.banderas):
                continue  # ya contada arriba como estado (p. ej. «archivo no válido»)
            lineas.append(f"  bandera «{BANDERAS[bandera]}»: {n} ({_lista(quienes)})")
    else:
        lineas.append("Sin problemas ni banderas.")
    causas = list(dict.fromkeys(r.mensaje for r in resultados if r.estado == "error_interno"))
    if causas:
        lineas.append("Errores internos (sin nota; se recalifican en el próximo lote): " + " | ".join(causas[:3]))
    return "\n".join(lineas)


def resumen_extraviados(extraviados: list[str]) -> str:
    """Los archivos de submitted/ que no se calificaron por estar fuera de sitio, con dónde deben ir."""
    if not extraviados:
        return ""
    return "\n".join([f"Archivos fuera de sitio en {config.DIR_ENTREGAS}/ (no se calificaron; "
                      f"cada entrega va en <alumno>/<tarea>/<tarea>.ipynb): {len(extraviados)}",
                      *(f"  {mostrable(e)}" for e in extraviados)])


def mostrable(texto: str) -> str:
    """El texto sin caracteres de control (un nombre de carpeta no puede mover el cursor de la terminal)."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in texto)


def _lista(nombres: list[str], maximo: int = 6) -> str:
    return ", ".join(nombres[:maximo]) + (f" y {len(nombres) - maximo} más" if len(nombres) > maximo else "")


def escribir_csvs(resultados: list[Resultado], csv: Path) -> list[Path]:
    """El CSV largo (una fila por alumno y tarea) y el ancho para Moodle/Canvas a su lado."""
    import pandas as pd

    libro.escribir_csv(resultados, csv)
    largo = pd.DataFrame([{"alumno": r.alumno, "tarea": r.tarea,
                           "puntos": r.puntos if r.tiene_nota else None} for r in resultados])
    return [csv, libro.escribir_csv_lms(largo, libro.ruta_lms(csv))]


def calificar_carpeta(entregas: Path, tareas: list[str], trabajos: int = 1, csv: Path | None = None,
                      raiz: Path = config.RAIZ, limites: Limites | None = None, cluster: str | None = None,
                      forzar: bool = False, progreso: bool | None = None, ejecutor=None, canario: bool = True) -> str:
    """Califica todas las entregas de ``entregas`` (registra el libro, escribe los CSV). Devuelve el resumen.

    Antes, con ``canario``, comprueba el entorno con la solución y la versión en blanco de cada tarea por
    calificar (``comprobar_entorno``): si no dan la nota máxima y 0, lanza ``CanarioFallido`` sin escribir nada.
    Lanza ``calificacion.FaltaAislamiento`` si se pide aislar y falta bubblewrap.
    """
    from grader.motor import ejecucion

    limites = limites or Limites()
    if limites.aislar and not ejecucion.Aislamiento.disponible():
        raise calificacion.FaltaAislamiento(calificacion.FaltaAislamiento.MENSAJE)
    exploracion = explorar(entregas, tareas, config.tareas(raiz))
    lista = exploracion.trabajos
    inicio = time.monotonic()
    propio = ejecutor is None
    ejecutor = ejecutor or crear_ejecutor(trabajos, cluster)
    prueba = None
    try:
        if canario:
            _, hechos = reutilizables(lista, raiz, limites, forzar)
            por_calificar = sorted({t.tarea for t in lista if t not in hechos and t.entrega is not None
                                    and not t.problema})
            if por_calificar:
                prueba = comprobar_entorno(por_calificar, raiz, limites, ejecutor)
        resultados, reutilizados = calificar_lote(lista, raiz, limites, ejecutor, forzar, progreso)
    finally:
        if propio:
            ejecutor.cerrar()
    lineas = [resumen(resultados, time.monotonic() - inicio, reutilizados, ejecutor.nombre),
              f"Límites: {limites.describir()}.",
              prueba.describir() if prueba is not None else
              ("Canario: no hacía falta (nada nuevo que calificar)." if canario else
               "Canario: NO se comprobó el entorno (--sin-canario).")]
    if exploracion.extraviados:
        lineas.append(resumen_extraviados(exploracion.extraviados))
    if csv is not None:
        lineas.append("CSV de notas: " + " y ".join(str(p) for p in escribir_csvs(resultados, csv)))
    return "\n".join(lineas)


def reconstruir(raiz: Path, tareas: list[str], csv: Path) -> str:
    """Rehace el libro de nbgrader y los CSV solo con los ``resultado.json`` de ``autograded/``."""
    resultados = leer_resultados(raiz, tareas)
    if not resultados:
        raise FileNotFoundError(f"No hay ningún {NOMBRE_RESULTADO} en {raiz / config.DIR_CALIFICADOS}.")
    with Escritor(raiz, sorted({r.tarea for r in resultados})) as escritor:
        for r in resultados:
            escritor.escribir(r, nuevo=False)
    rutas = escribir_csvs(resultados, csv)
    return (f"Libro y CSV rehechos con {len(resultados)} resultados de {len({r.alumno for r in resultados})} "
            f"alumnos: {', '.join(str(p) for p in rutas)}.")
