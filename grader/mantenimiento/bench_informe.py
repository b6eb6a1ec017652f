"""`make bench` (informe): una clase sintética de 200 alumnos × 8 cuadernos y el tiempo y tamaño de su informe.

Objetivos: el informe se construye en menos de ``OBJETIVO_S`` segundos y su página pesa menos de
``OBJETIVO_BYTES``. La clase sintética se genera aquí (no se versionan resultados) y también la usan las
pruebas: ``escribir_clase`` devuelve un ``Plan`` con lo que hizo cada alumno (la respuesta conocida), entre
otras cosas qué error típico del banco cometió en cada ejercicio.
"""
from __future__ import annotations

import copy
import dataclasses
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
import yaml

from curso import config, mensajes
from grader.mantenimiento import mutaciones
from grader.nucleo import puntuacion
from grader.nucleo import resultado as registros
from grader.nucleo.resultado import NotaEjercicio, Resultado

OBJETIVO_S = 10.0
OBJETIVO_BYTES = 2 * 1024**2
ALUMNOS_BENCH = 200
CUADERNOS_BENCH = 8


@dataclass
class Tarea:
    """Un cuaderno sintético: sus notas en blanco (ejercicios, puntos, respuestas escritas) y su banco."""

    nombre: str
    notas: list[NotaEjercicio]
    errores: list[mutaciones.Error]


@dataclass
class Plan:
    """Lo que hizo la clase sintética (las respuestas conocidas de las pruebas)."""

    alumnos: list[str]
    faltan: set[tuple[str, str]] = field(default_factory=set)  # (alumno, tarea) sin entrega
    errores: dict[tuple[str, str, str], mutaciones.Error] = field(default_factory=dict)  # error del banco cometido
    mensajes: dict[tuple[str, str, str], str] = field(default_factory=dict)  # mensaje de cada nota incorrecta


def tarea_real(nombre: str, raiz: Path = config.RAIZ) -> Tarea:
    """Un cuaderno del curso: sus ejercicios (de la fuente) y su banco de errores."""
    fuente = nbformat.read(config.cuaderno_fuente(nombre, raiz), as_version=4)
    return Tarea(nombre, puntuacion.notas_a_cero(fuente, ""), mutaciones.cargar(nombre))


def renombrar(tarea: Tarea, nombre: str) -> Tarea:
    """Copia de un cuaderno con otro nombre (y sus ejercicios ``ejNN_`` renumerados)."""
    def cambiar(texto: str) -> str:
        return re.sub(r"^ej\d\d_", f"ej{nombre[:2]}_", texto)

    notas = [NotaEjercicio(cambiar(n.ejercicio), cambiar(n.grade_id), n.puntos, n.maximo, n.estado)
             for n in tarea.notas]
    errores = [mutaciones.Error(cambiar(e.ejercicio), e.descripcion, e.codigo, e.mensaje, e.correcta)
               for e in tarea.errores]
    return Tarea(nombre, notas, errores)


def tareas_bench(cuantas: int = CUADERNOS_BENCH) -> list[Tarea]:
    """Los cuadernos del curso y, hasta ``cuantas``, copias renombradas ``NN_sintetica`` con sus bancos."""
    reales = [tarea_real(t) for t in config.tareas()]
    tareas = reales[:cuantas]
    for i in range(len(tareas), cuantas):
        tareas.append(renombrar(reales[i % len(reales)], f"{i + 1:02d}_sintetica"))
    return tareas


def _mensaje_otro(rng, ejercicio: str) -> str:
    """Un fallo que ningún banco recoge (con un número al azar: muchos textos distintos)."""
    return (f"`{ejercicio}(datos de prueba)` vale {int(rng.integers(100, 999))}, pero se esperaba {ejercicio[:4]}"
            if rng.random() < 0.7 else
            "Tu código lanzó un error durante la prueba (NameError: name 'resultado' is not defined).")


def _entrega(rng, alumno: str, tarea: Tarea, habilidad: float, dificultad: np.ndarray, plan: Plan) -> Resultado:
    """El resultado sintético de un alumno en un cuaderno, anotando en ``plan`` los errores cometidos."""
    r = Resultado(alumno, tarea.nombre, "ok", notas=copy.deepcopy(tarea.notas),
                  segundos=round(float(rng.lognormal(np.log(7), 0.3)), 2))
    sorteo = rng.random()
    if sorteo < 0.01:
        r.estado, r.mensaje, r.segundos = "archivo_invalido", f"{tarea.nombre}.ipynb está vacío.", 0.05
        for n in r.notas:
            n.mensaje = r.mensaje
        return r
    corte = len(r.notas)
    if sorteo < 0.04:
        r.estado = "tiempo_agotado" if sorteo < 0.03 else "kernel_murio"
        r.banderas.append(r.estado)
        corte = int(rng.integers(0, len(r.notas)))
        r.segundos += config.TIEMPO_POR_CELDA_S if r.estado == "tiempo_agotado" else 0
    elif sorteo < 0.05:
        r.banderas.append("manipulacion")
    fallos = [e for e in tarea.errores if not e.correcta]
    for i, n in enumerate(r.notas):
        if n.estado == "manual":
            n.mensaje = "Respuesta escrita: la califica el instructor."
            continue
        if i >= corte:
            n.estado, n.puntos, n.mensaje = "no_ejecutado", 0, "Las pruebas no llegaron a ejecutarse."
            continue
        if rng.random() < habilidad + 0.35 - dificultad[i]:
            n.estado, n.puntos, n.mensaje = "correcto", n.maximo, "Correcto."
            continue
        propios = [e for e in fallos if e.ejercicio == n.ejercicio]
        azar = rng.random()
        if azar < 0.15:
            n.estado, n.puntos = "sin_responder", 0
            n.mensaje = puntuacion.mensaje_de_error(mensajes.SIN_RESOLVER[0], "")
        elif azar < 0.2 and n.maximo >= 2:
            n.estado, n.puntos, n.mensaje = "parcial", n.maximo / 2, f"Nota parcial: {n.maximo / 2:g} de {n.maximo:g}."
        else:
            n.estado, n.puntos = "incorrecto", 0
            if propios and azar < 0.85:
                # Unos errores típicos son mucho más frecuentes que otros (pesos 1, 1/2, 1/3…).
                pesos = 1 / np.arange(1, len(propios) + 1)
                error = propios[int(rng.choice(len(propios), p=pesos / pesos.sum()))]
                n.mensaje = f"Con otros datos de prueba: {error.mensaje}"  # contiene su fragmento, como el real
                plan.errores[(alumno, tarea.nombre, n.ejercicio)] = error
            else:
                n.mensaje = _mensaje_otro(rng, n.ejercicio)
            plan.mensajes[(alumno, tarea.nombre, n.ejercicio)] = n.mensaje
    return r


def escribir_clase(raiz: Path, tareas: list[Tarea], num_alumnos: int, semilla: int = 0,
                   prob_falta: float = 0.05) -> Plan:
    """Escribe ``raiz/autograded/<alumno>/<tarea>/resultado.json`` y ``raiz/submitted/<alumno>/`` de una clase.

    Un error del banco da un mensaje que contiene su fragmento ``mensaje`` dentro de otra frase. Algunas
    entregas que faltan no tienen resultado y otras uno con estado ``sin_entrega``. Devuelve el ``Plan``
    con las respuestas conocidas.
    """
    rng = np.random.default_rng(semilla)
    plan = Plan([f"alumno{i:03d}" for i in range(1, num_alumnos + 1)])
    dificultades = {t.nombre: rng.uniform(0.05, 0.6, len(t.notas)) for t in tareas}
    for alumno in plan.alumnos:
        (raiz / config.DIR_ENTREGAS / alumno).mkdir(parents=True, exist_ok=True)
        habilidad = float(rng.beta(4, 2))
        for tarea in tareas:
            if rng.random() < prob_falta * (2 - habilidad):
                plan.faltan.add((alumno, tarea.nombre))
                if rng.random() < 0.5:  # sin archivo o, como puede guardar el lote, con estado «sin entrega»
                    continue
                r = Resultado(alumno, tarea.nombre, "sin_entrega", "No hay entrega de esta tarea.",
                              copy.deepcopy(tarea.notas))
            else:
                r = _entrega(rng, alumno, tarea, habilidad, dificultades[tarea.nombre], plan)
            carpeta = raiz / config.DIR_CALIFICADOS / alumno / tarea.nombre
            registros.escribir(r, carpeta)
    return plan


def escribir_bancos(carpeta: Path, tareas: list[Tarea]) -> Path:
    """Escribe el banco de cada cuaderno como ``carpeta/<tarea>.yml`` (el formato de ``tests/errores``)."""
    carpeta.mkdir(parents=True, exist_ok=True)
    for tarea in tareas:
        (carpeta / f"{tarea.nombre}.yml").write_text(
            yaml.safe_dump([dataclasses.asdict(e) for e in tarea.errores], allow_unicode=True, sort_keys=False),
            encoding="utf-8")
    return carpeta


def main() -> int:
    """Genera la clase, construye su informe con la orden del instructor (otro proceso) y mide."""
    tareas = tareas_bench()
    with tempfile.TemporaryDirectory(prefix="bench-informe-") as tmp:
        raiz = Path(tmp)
        escribir_clase(raiz, tareas, ALUMNOS_BENCH)
        bancos = escribir_bancos(raiz / "errores", tareas)
        orden = [sys.executable, "-m", "grader", "informe", "--calificados", str(raiz / config.DIR_CALIFICADOS),
                 "--entregas", str(raiz / config.DIR_ENTREGAS), "--errores", str(bancos),
                 "--salida", str(raiz / "informe")]
        antes, inicio = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
        proceso = subprocess.run(orden, capture_output=True, text=True)
        pared, despues = time.monotonic() - inicio, resource.getrusage(resource.RUSAGE_CHILDREN)
        if proceso.returncode != 0:
            print(proceso.stdout + proceso.stderr)
            return 1
        tamano = (raiz / "informe" / "informe.html").stat().st_size
    cpu = (despues.ru_utime - antes.ru_utime) + (despues.ru_stime - antes.ru_stime)
    print(f"Informe de {ALUMNOS_BENCH} alumnos × {len(tareas)} cuadernos (python -m grader informe): "
          f"{pared:.1f} s de pared, {cpu:.1f} s de CPU (objetivo < {OBJETIVO_S:g} s); página de "
          f"{tamano / 1024**2:.2f} MB (objetivo < {OBJETIVO_BYTES / 1024**2:g} MB); "
          f"memoria máxima {despues.ru_maxrss / 1024:.0f} MB.")
    return 0 if pared < OBJETIVO_S and tamano < OBJETIVO_BYTES else 1


if __name__ == "__main__":
    raise SystemExit(main())
