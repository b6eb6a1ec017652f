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
import time
from collections import Counter, defaultdict
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat

from curso import config
from grader import calificacion, celdas, libro
from grader.calificacion import BANDERAS, ESTADOS, Resultado
from grader.limites import Limites

NOMBRE_RESULTADO = "resultado.json"


@dataclass(frozen=True)
class Trabajo:
    """Una entrega por calificar (o la constancia de que falta)."""

    alumno: str
    tarea: str
    entrega: Path | None
    aviso: str = ""

    @property
    def renombrada(self) -> bool:
        return self.entrega is not None and self.entrega.name != f"{self.tarea}.ipynb"


def buscar_trabajos(entregas: Path, tareas: list[str]) -> list[Trabajo]:
    """Recorre ``entregas/<alumno>/<tarea>/`` y decide qué archivo calificar en cada caso."""
    if not entregas.is_dir():
        raise FileNotFoundError(f"No existe la carpeta de entregas {entregas}.")
    trabajos = []
    for carpeta_alumno in sorted(p for p in entregas.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for tarea in tareas:
            carpeta = carpeta_alumno / tarea
            esperado = carpeta / f"{tarea}.ipynb"
            if not carpeta.is_dir():
                trabajos.append(Trabajo(carpeta_alumno.name, tarea, None))
            elif esperado.is_file():
                trabajos.append(Trabajo(carpeta_alumno.name, tarea, esperado))
            else:
                otros = sorted(carpeta.glob("*.ipynb"))
                if len(otros) == 1:
                    trabajos.append(Trabajo(carpeta_alumno.name, tarea, otros[0],
                                            f"Se calificó «{otros[0].name}» (se esperaba «{esperado.name}»): "
                                            "la entrega tenía otro nombre."))
                else:
                    trabajos.append(Trabajo(carpeta_alumno.name, tarea, esperado))
    return trabajos


def carpeta_resultado(raiz: Path, alumno: str, tarea: str) -> Path:
    return raiz / config.DIR_CALIFICADOS / alumno / tarea


def huella(trabajo: Trabajo, raiz: Path, limites: Limites) -> str:
    """Resumen de lo que determina la nota: la entrega, la fuente y los límites."""
    h = hashlib.sha256()
    h.update(trabajo.entrega.read_bytes() if trabajo.entrega is not None and trabajo.entrega.is_file() else b"-")
    h.update(config.cuaderno_fuente(trabajo.tarea, raiz).read_bytes())
    h.update(json.dumps(limites.a_dict(), sort_keys=True).encode())
    return h.hexdigest()


# ---------------------------------------------------------------- en cada proceso trabajador

_RESERVAS: dict = {}


def _reserva(raiz: Path, limites: Limites):
    """La reserva de kernels de este proceso para este curso y estos límites (se crea la primera vez)."""
    from grader import ejecucion, reserva

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
                      calificacion.notas_a_cero(nb_fuente, "Sin entrega."), limites=limites.a_dict())
    else:
        r = calificacion.evaluar_entrega(trabajo.entrega, fuente, trabajo.alumno, trabajo.tarea,
                                         carpeta_resultado(raiz, trabajo.alumno, trabajo.tarea), limites,
                                         reserva=_reserva(raiz, limites))
    r.huella = firma
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
        futuro.args = args
        return futuro

    def terminados(self, futuros):
        for futuro in futuros:
            try:
                futuro.set_result(ejecutar_trabajo(*futuro.args))
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
            calificacion.escribir_resultado(r, carpeta_resultado(self.raiz, r.alumno, r.tarea))
        self.libro.registrar(r)


def leer_resultado(carpeta: Path) -> Resultado | None:
    ruta = carpeta / NOMBRE_RESULTADO
    try:
        return Resultado.desde_dict(json.loads(ruta.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def leer_resultados(raiz: Path, tareas: list[str] | None = None) -> list[Resultado]:
    """Todos los ``resultado.json`` de ``autograded/`` (de las ``tareas`` dadas), ordenados."""
    resultados = []
    for ruta in sorted((raiz / config.DIR_CALIFICADOS).glob(f"*/*/{NOMBRE_RESULTADO}")):
        r = leer_resultado(ruta.parent)
        if r is not None and (tareas is None or r.tarea in tareas):
            resultados.append(r)
    return resultados


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
    nb_fuente = nbformat.read(config.cuaderno_fuente(trabajo.tarea, raiz), as_version=4)
    mensaje = f"No se pudo calificar: {motivo}. Vuelve a lanzar la calificación (sin --forzar basta)."
    return Resultado(trabajo.alumno, trabajo.tarea, "error_interno", mensaje,
                     calificacion.notas_a_cero(nb_fuente, mensaje), limites=limites.a_dict(), huella=firma)


class Progreso:
    """Barra de progreso con tiempo restante (rich) en stderr, y líneas para lo que merece atención."""

    def __init__(self, total: int, activa: bool | None = None):
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

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
            self.consola.print(f"  {r.alumno}/{r.tarea}: {r.puntos:g}/{r.maximo:g} · "
                               + "; ".join(dict.fromkeys(problemas)),
                               markup=False, highlight=False)


def calificar_lote(trabajos: list[Trabajo], raiz: Path, limites: Limites, ejecutor, forzar: bool = False,
                   progreso: bool | None = None) -> tuple[list[Resultado], int]:
    """Califica los trabajos con ``ejecutor`` y escribe cada resultado en cuanto llega. Devuelve los
    resultados (en el orden de ``trabajos``) y cuántos se reutilizaron por no haber cambiado."""
    firmas = {t: huella(t, raiz, limites) for t in trabajos}
    hechos: dict[Trabajo, Resultado] = {}
    if not forzar:
        for t in trabajos:
            previo = leer_resultado(carpeta_resultado(raiz, t.alumno, t.tarea))
            if previo is not None and previo.huella == firmas[t] and previo.estado != "error_interno":
                hechos[t] = previo
    reutilizados = len(hechos)
    cache: dict = {}
    pendientes = sorted((t for t in trabajos if t not in hechos), key=lambda t: -_coste(t, raiz, cache))
    with Escritor(raiz, sorted({t.tarea for t in trabajos})) as escritor, \
            Progreso(len(trabajos), progreso) as barra:
        for t in hechos:
            escritor.escribir(hechos[t], nuevo=False)
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
            quienes = [f"{r.alumno}/{r.tarea}" for r in resultados if r.estado == estado]
            lineas.append(f"  {ESTADOS[estado]}: {n}" + ("" if estado == "sin_entrega" else f" ({_lista(quienes)})"))
        for bandera, n in banderas.most_common():
            quienes = [f"{r.alumno}/{r.tarea}" for r in resultados if bandera in r.banderas]
            if all(r.estado == bandera for r in resultados if bandera in r.banderas):
                continue  # ya contada arriba como estado (p. ej. «archivo no válido»)
            lineas.append(f"  bandera «{BANDERAS[bandera]}»: {n} ({_lista(quienes)})")
    else:
        lineas.append("Sin problemas ni banderas.")
    return "\n".join(lineas)


def _lista(nombres: list[str], maximo: int = 6) -> str:
    return ", ".join(nombres[:maximo]) + (f" y {len(nombres) - maximo} más" if len(nombres) > maximo else "")


def escribir_csvs(resultados: list[Resultado], csv: Path) -> list[Path]:
    """El CSV largo (una fila por alumno y tarea) y el ancho para Moodle/Canvas a su lado."""
    import pandas as pd

    libro.escribir_csv(resultados, csv)
    largo = pd.DataFrame([{"alumno": r.alumno, "tarea": r.tarea,
                           "puntos": None if r.estado == "sin_entrega" else r.puntos} for r in resultados])
    return [csv, libro.escribir_csv_lms(largo, libro.ruta_lms(csv))]


def calificar_carpeta(entregas: Path, tareas: list[str], trabajos: int = 1, csv: Path | None = None,
                      raiz: Path = config.RAIZ, limites: Limites | None = None, cluster: str | None = None,
                      forzar: bool = False, progreso: bool | None = None, ejecutor=None) -> str:
    """Califica todas las entregas de ``entregas`` (registra el libro, escribe los CSV). Devuelve el resumen.

    Lanza ``calificacion.FaltaAislamiento`` si se pide aislar y falta bubblewrap.
    """
    from grader import ejecucion

    limites = limites or Limites()
    if limites.aislar and not ejecucion.Aislamiento.disponible():
        raise calificacion.FaltaAislamiento(calificacion.FaltaAislamiento.MENSAJE)
    lista = buscar_trabajos(entregas, tareas)
    inicio = time.monotonic()
    propio = ejecutor is None
    ejecutor = ejecutor or crear_ejecutor(trabajos, cluster)
    try:
        resultados, reutilizados = calificar_lote(lista, raiz, limites, ejecutor, forzar, progreso)
    finally:
        if propio:
            ejecutor.cerrar()
    lineas = [resumen(resultados, time.monotonic() - inicio, reutilizados, ejecutor.nombre),
              f"Límites: {limites.describir()}."]
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
