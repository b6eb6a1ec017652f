"""El canario: antes de un lote, la solución de referencia debe sacar la nota máxima y la versión del alumno en
blanco un 0, calificadas como dos entregas más (mismo ejecutor, caja y límites) en cada trabajador. Viajan como
``Paquete`` (los bytes del instructor), así que también se detiene un trabajador con otra versión del curso."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from curso import config
from grader.motor.ejecutores import Devuelto, Ejecutor, Paquete, calificar_paquete
from grader.nucleo.limites import Limites
from grader.nucleo.resultado import ESTADOS, Resultado

TIPOS = {"solucion": "la solución de referencia", "blanco": "la versión del alumno en blanco"}


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


def paquete_canario(tarea: str, tipo: str, raiz: Path, limites: Limites, curso: Path | None) -> Paquete:
    """La solución (``tipo`` "solucion") o la versión en blanco ("blanco") de ``tarea`` del curso del
    instructor, como una entrega más para un trabajador cuyo curso está en ``curso``."""
    archivo = config.cuaderno_fuente(tarea, raiz) if tipo == "solucion" else config.cuaderno_publicado(tarea, raiz)
    return Paquete.de(f"canario-{tipo}", tarea, archivo.name, archivo.read_bytes(), raiz, limites, curso)


def fallo_canario(r: Resultado, tipo: str) -> str | None:
    """Qué está mal en el resultado del canario (en español, con la causa), o None si es lo esperado."""
    automaticas = [n for n in r.notas if n.estado != "manual"]
    if tipo == "solucion":
        mal = [n for n in automaticas if n.puntos != n.maximo]
        esperado = "la nota máxima"
    else:
        mal = [n for n in automaticas if n.puntos != 0]
        esperado = "0"
    if r.estado == "ok" and not mal:
        return None
    texto = (f"{r.tarea}: {TIPOS[tipo]} debía sacar {esperado} y sacó {r.puntos:g}/{r.maximo:g} "
             f"({ESTADOS.get(r.estado, r.estado)}).")
    if r.mensaje:
        texto += f" {r.mensaje}"
    if mal and r.estado != "error_interno":
        texto += f" Primer ejercicio distinto: {mal[0].ejercicio}: {mal[0].mensaje}"
    return texto


def _fallo_devuelto(devuelto: Devuelto, tarea: str, tipo: str) -> str | None:
    if devuelto.rechazo:
        return f"{tarea}: {TIPOS[tipo]} no se calificó: {devuelto.rechazo}."
    return fallo_canario(devuelto.resultado, tipo)


def comprobar_entorno(tareas: list[str], raiz: Path, limites: Limites, ejecutor: Ejecutor) -> Canario:
    """El canario de ``tareas`` en cada trabajador de ``ejecutor``. Lanza ``CanarioFallido`` con la causa si
    algo no cuadra (también si a la tarea le falta la versión del alumno en ``notebooks/``)."""
    inicio = time.monotonic()
    faltan = [t for t in tareas if not config.cuaderno_publicado(t, raiz).is_file()]
    if faltan:
        raise CanarioFallido(
            f"No se calificó nada: falta la versión del alumno de {', '.join(faltan)} (notebooks/), que el canario "
            f"califica para comprobar que vale 0. Genérala con `python -m grader publicar {' '.join(faltan)}` o, "
            "bajo tu responsabilidad, califica con --sin-canario.")
    curso = ejecutor.curso_en_trabajadores(raiz)
    futuros = {}
    for tarea in tareas:
        for tipo in TIPOS:
            paquete = paquete_canario(tarea, tipo, raiz, limites, curso)
            for futuro in ejecutor.enviar_a_cada_trabajador(calificar_paquete, paquete):
                futuros[futuro] = (tarea, tipo)
    fallos, donde = [], []
    for futuro in ejecutor.terminados(list(futuros)):
        try:
            devuelto = futuro.result()
        except Exception as e:
            fallos.append(f"el trabajador que ejecutaba el canario falló ({type(e).__name__}: {e})")
            continue
        donde.append(devuelto.trabajador)
        fallo = _fallo_devuelto(devuelto, *futuros[futuro])
        if fallo is not None:
            fallos.append(f"{fallo} [en {devuelto.trabajador}]")
    if fallos:
        raise CanarioFallido(
            "No se calificó nada (ni resultados, ni libro, ni CSV): la prueba previa del entorno (el canario) "
            "falló, así que la calificación sería injusta para toda la clase.\n"
            + "\n".join(f"  - {f}" for f in dict.fromkeys(fallos))
            + "\nArregla el entorno y vuelve a calificar (o, bajo tu responsabilidad, usa --sin-canario).")
    return Canario(list(tareas), donde, round(time.monotonic() - inicio, 1))
