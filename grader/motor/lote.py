"""Calificar una clase entera: muchas entregas repartidas entre procesos locales o un clúster de Dask.

- ``explorar``: qué archivo calificar de cada alumno y tarea (con aviso si tiene otro nombre) y qué archivos
  están fuera de sitio.
- Un **ejecutor** inyectado (``grader.motor.ejecutores``) reparte los trabajos. Este proceso lee cada entrega
  sin fiarse y envía sus bytes en un ``Paquete``; el trabajador califica con su propia copia del curso y
  devuelve el resultado y el cuaderno ejecutado (no hace falta un sistema de archivos compartido).
- Antes, el **canario** (``grader.motor.canario``) comprueba el entorno en cada trabajador.
- Un solo **escritor** (este proceso) escribe el cuaderno ejecutado, ``resultado.json`` y el libro de nbgrader
  a medida que termina cada trabajo; al final, los CSV (largo y ancho para Moodle/Canvas) y un resumen.
- ``reconstruir`` rehace libro y CSV solo a partir de los ``resultado.json``.
- Una entrega ya calificada con la misma huella (entrega + fuente + límites) no se vuelve a calificar
  (salvo con ``forzar``).
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from curso import config
from grader.informes import libro
from grader.motor import calificacion, ejecutores
from grader.motor.canario import comprobar_entorno
from grader.motor.ejecutores import Ejecutor
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


# ---------------------------------------------------------------- lo que resuelve el instructor y lo que envía


def _sin_kernel(trabajo: Trabajo, raiz: Path, limites: Limites, estado: str, mensaje: str,
                por_ejercicio: str = "") -> Resultado:
    """Un Resultado sin abrir la entrega (``sin_entrega`` o ``archivo_invalido``): cada ejercicio vale 0 con
    ``por_ejercicio`` (o ``mensaje``) como motivo."""
    nb_fuente = nbformat.read(config.cuaderno_fuente(trabajo.tarea, raiz), as_version=4)
    return Resultado(trabajo.alumno, trabajo.tarea, estado, mensaje,
                     puntuacion.notas_a_cero(nb_fuente, por_ejercicio or mensaje), limites=limites.a_dict())


def _invalida(trabajo: Trabajo, raiz: Path, limites: Limites, mensaje: str, no_regular: bool) -> Resultado:
    r = _sin_kernel(trabajo, raiz, limites, "archivo_invalido", mensaje)
    r.marcar("archivo_invalido")
    if no_regular:
        r.marcar("entrega_no_regular")
    return r


def preparar(trabajo: Trabajo, raiz: Path, limites: Limites, curso: Path | None) -> Resultado | ejecutores.Paquete:
    """Lo que el instructor resuelve sin kernel (sin entrega, algo que no es una entrega legible) o el
    ``Paquete`` con los bytes de la entrega, leídos sin fiarse, para un trabajador cuyo curso está en ``curso``."""
    if trabajo.entrega is None:
        return _sin_kernel(trabajo, raiz, limites, "sin_entrega", "No hay entrega de esta tarea.", "Sin entrega.")
    if trabajo.problema:
        return _invalida(trabajo, raiz, limites, trabajo.problema, trabajo.no_regular)
    try:
        datos = entregas.leer_bytes_seguro(trabajo.entrega)
    except entregas.EntregaInvalida as e:
        return _invalida(trabajo, raiz, limites, str(e), isinstance(e, entregas.EntregaNoRegular))
    return ejecutores.Paquete.de(trabajo.alumno, trabajo.tarea, trabajo.entrega.name, datos, raiz, limites, curso)


def completar(r: Resultado, trabajo: Trabajo, firma: str) -> Resultado:
    """Lo que sabe el instructor y no el trabajador: huella, archivos fuera de sitio, aviso y renombrada."""
    r.huella = firma
    r.extraviados = list(trabajo.extraviados)
    if trabajo.aviso:
        r.avisos.insert(0, trabajo.aviso)
    if trabajo.renombrada:
        r.marcar("renombrada")
    return r


# ---------------------------------------------------------------- el escritor


class Escritor:
    """El único que escribe: el cuaderno ejecutado y el ``resultado.json`` de cada trabajo y su registro en el
    libro de nbgrader, en cuanto llega (si el lote se corta, lo ya escrito queda)."""

    def __init__(self, raiz: Path, tareas: list[str]):
        self.raiz = raiz
        self.libro = libro.Libro(raiz, tareas)

    def __enter__(self) -> "Escritor":
        self.libro.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.libro.__exit__(*exc)

    def escribir(self, r: Resultado, nuevo: bool = True, cuaderno: bytes | None = None) -> None:
        """Registra ``r`` en el libro; antes escribe ``cuaderno`` (el ejecutado, si llega) y, si ``r`` es
        ``nuevo``, su ``resultado.json``."""
        carpeta = carpeta_resultado(self.raiz, r.alumno, r.tarea)
        if cuaderno is not None:
            carpeta.mkdir(parents=True, exist_ok=True)
            temporal = carpeta / f".{r.tarea}.ipynb.escribiendo"
            temporal.write_bytes(cuaderno)
            os.replace(temporal, carpeta / f"{r.tarea}.ipynb")
        if nuevo:
            registros.escribir(r, carpeta)
        self.libro.registrar(r)


def leer_resultado(carpeta: Path) -> Resultado | None:
    """El ``resultado.json`` de una carpeta calificada (``grader.nucleo.resultado.leer``)."""
    return registros.leer(carpeta)


def leer_resultados(raiz: Path, tareas: list[str] | None = None) -> list[Resultado]:
    """Todos los ``resultado.json`` de ``autograded/`` (de las ``tareas`` dadas), ordenados."""
    return registros.leer_todos(raiz / config.DIR_CALIFICADOS, tareas)[0]


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


def _enviar(ejecutor: Ejecutor, paquete: ejecutores.Paquete):
    try:
        return ejecutor.enviar(ejecutores.calificar_paquete, paquete)
    except Exception:  # la caída de un proceso dejó inservible el grupo: uno nuevo
        ejecutor.reiniciar()
        return ejecutor.enviar(ejecutores.calificar_paquete, paquete)


def _repartir(ejecutor: Ejecutor, trabajos: list[Trabajo], preparar_uno) -> Iterator[tuple[Trabajo, object]]:
    """Califica ``trabajos`` con ``ejecutor`` con como mucho dos por trabajador en vuelo (solo sus bytes en
    memoria). Da cada trabajo según termina con su ``Resultado`` si no hizo falta kernel, lo ``Devuelto`` por su
    trabajador, o la excepción si el trabajador murió."""
    cola, en_vuelo = iter(trabajos), {}
    while True:
        while len(en_vuelo) < 2 * ejecutor.trabajadores and (t := next(cola, None)) is not None:
            preparado = preparar_uno(t)
            if isinstance(preparado, Resultado):
                yield t, preparado
            else:
                en_vuelo[_enviar(ejecutor, preparado)] = t
        if not en_vuelo:
            return
        futuro = ejecutor.primero(list(en_vuelo))
        t = en_vuelo.pop(futuro)
        try:
            devuelto = futuro.result()
        except Exception as e:
            devuelto = e
        yield t, devuelto


def calificar_lote(trabajos: list[Trabajo], raiz: Path, limites: Limites, ejecutor: Ejecutor, forzar: bool = False,
                   progreso: bool | None = None) -> tuple[list[Resultado], int]:
    """Califica los trabajos con ``ejecutor`` y escribe cada resultado (y su cuaderno ejecutado) en cuanto llega.
    Devuelve los resultados (en el orden de ``trabajos``) y cuántos se reutilizaron por no haber cambiado."""
    firmas, hechos = reutilizables(trabajos, raiz, limites, forzar)
    reutilizados = len(hechos)
    cache: dict = {}
    pendientes = sorted((t for t in trabajos if t not in hechos), key=lambda t: -_coste(t, raiz, cache))
    curso = ejecutor.curso_en_trabajadores(raiz)

    def preparar_uno(t: Trabajo):
        return preparar(t, raiz, limites, curso)

    with Escritor(raiz, sorted({t.tarea for t in trabajos})) as escritor, \
            Progreso(len(trabajos), progreso) as barra:
        def anotar(t: Trabajo, r: Resultado, cuaderno: bytes | None = None) -> None:
            hechos[t] = r
            escritor.escribir(r, cuaderno=cuaderno)
            barra.avanzar(r)

        def recibir(t: Trabajo, llegado) -> bool:
            """Anota lo que llegó de ``t``; False si su trabajador murió (no hay nada que anotar)."""
            if isinstance(llegado, Exception):
                return False
            if isinstance(llegado, Resultado):
                anotar(t, completar(llegado, t, firmas[t]))
            elif llegado.rechazo:  # el trabajador no pudo calificar con su copia del curso
                anotar(t, _fallo(t, raiz, limites, firmas[t], llegado.rechazo))
            else:
                anotar(t, completar(llegado.resultado, t, firmas[t]), llegado.cuaderno)
            return True

        for t in list(hechos):
            cambio = hechos[t].extraviados != list(t.extraviados)
            hechos[t].extraviados = list(t.extraviados)
            escritor.escribir(hechos[t], nuevo=cambio)
            barra.avanzar(hechos[t])
        caidos = [t for t, llegado in _repartir(ejecutor, pendientes, preparar_uno) if not recibir(t, llegado)]
        for t in caidos:  # de uno en uno: la caída de uno no arrastra a los demás
            ejecutor.reiniciar()
            for _, llegado in _repartir(ejecutor, [t], preparar_uno):
                if not recibir(t, llegado):
                    anotar(t, _fallo(t, raiz, limites, firmas[t],
                                     f"el proceso que la calificaba se detuvo ({type(llegado).__name__})"))
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
    ejecutor = ejecutor or ejecutores.crear_ejecutor(trabajos, cluster)
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
