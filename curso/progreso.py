"""Lo que el alumno lleva hecho en el kernel vivo: qué ejercicios superaron sus comprobaciones visibles.

- ``comprobar.listo()`` (la última línea visible de cada celda ``# PRUEBAS``) llama a ``anotar_superado()``:
  el ejercicio y sus puntos salen de la primera línea de la celda que se está ejecutando
  (``# PRUEBAS ejNN_x (N puntos)``). Volver a ejecutar la celda del ejercicio o la de sus pruebas borra
  la anotación hasta que las pruebas lleguen otra vez a ``listo()``.
- ``necesita("ej04_propagacion")`` al principio de una celda de enseñanza que usa la solución de ese ejercicio:
  si el ejercicio no ha superado sus comprobaciones visibles en este kernel, la celda se detiene con una frase en
  español y sin traza (como ``sin_resolver()``). En un kernel lanzado por las herramientas del curso o por
  nbgrader (calificar, ejecutar, nbval, autoevaluar) no hace nada: ahí decide el calificador.
- ``resumen(...)`` es lo que llama la última celda de cada cuaderno (generada por
  ``grader/mantenimiento/cierre.py``): una
  tabla con cada ejercicio, sus puntos y su estado, y el total según las comprobaciones visibles.

Las anotaciones viven en este módulo, que las pruebas ocultas no vuelven a importar (solo ``curso.comprobar``).
"""
from __future__ import annotations

import os
import re

from curso import config

MARCA_PRUEBAS = "# PRUEBAS"  # primera línea: «# PRUEBAS <id> (<n> puntos)»
MARCA_EJERCICIO = "# EJERCICIO"  # primera línea: «# EJERCICIO <id>»
RE_PRUEBAS = re.compile(rf"^{re.escape(MARCA_PRUEBAS)} (?P<id>[a-z0-9_]+) \((?P<puntos>\d+) puntos?\)\s*$")
"""Primera línea de una celda de pruebas (la usan también las herramientas del instructor, ``grader.nucleo.celdas``)."""
RE_EJERCICIO = re.compile(rf"^{re.escape(MARCA_EJERCICIO)} (?P<id>[a-z0-9_]+)\s*$")

SUPERADO = "superó las comprobaciones visibles"
PENDIENTE = "pendiente"
MANUAL = "calificación manual"

_superados: dict[str, int] = {}   # ejercicio -> puntos, en el orden en que se superaron
_cuestionarios: set[str] = set()  # ejercicios cuya parte visible solo comprueba el formato
_celda_actual = ""                # código de la celda que se está ejecutando (evento pre_run_cell de IPython)


class EjercicioPendiente(RuntimeError):
    """Una celda usa la solución de un ejercicio que todavía no supera sus comprobaciones visibles."""

    def _render_traceback_(self) -> list[str]:  # IPython lo muestra en lugar de la traza
        return [f"\x1b[34m… {self}\x1b[0m"]


def kernel_de_herramienta() -> bool:
    """True si el kernel lo lanzó una herramienta del curso (que fija ``config.VAR_RAIZ``) o nbgrader."""
    return bool(os.environ.get(config.VAR_RAIZ) or os.environ.get(config.VAR_NBGRADER))


def _al_empezar_celda(info=None) -> None:
    """Evento ``pre_run_cell``: recuerda la celda que empieza y borra la anotación de su ejercicio."""
    global _celda_actual
    _celda_actual = getattr(info, "raw_cell", None) or ""
    primera = _celda_actual.split("\n", 1)[0].strip()
    m = RE_PRUEBAS.match(primera) or RE_EJERCICIO.match(primera)
    if m:
        olvidar(m["id"])


def escuchar_celdas() -> None:
    """En IPython (Jupyter, Colab), registra ``_al_empezar_celda`` una sola vez; fuera de IPython no hace nada."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    eventos = getattr(shell, "events", None)
    if eventos is not None and _al_empezar_celda not in eventos.callbacks.get("pre_run_cell", []):
        eventos.register("pre_run_cell", _al_empezar_celda)


def _codigo_de_la_celda() -> str:
    """El código de la celda en ejecución: el del evento o, si no se registró, el último del historial."""
    if _celda_actual:
        return _celda_actual
    try:
        from IPython import get_ipython
    except ImportError:
        return ""
    historial = getattr(getattr(get_ipython(), "history_manager", None), "input_hist_raw", None)
    return historial[-1] if historial else ""


def _ejercicio_de_la_celda() -> tuple[str, int] | None:
    """(ejercicio, puntos) de la celda ``# PRUEBAS`` que se está ejecutando, o None si no es una."""
    m = RE_PRUEBAS.match(_codigo_de_la_celda().split("\n", 1)[0].strip())
    return (m["id"], int(m["puntos"])) if m else None


def anotar_superado() -> None:
    """Anota que el ejercicio de la celda de pruebas actual superó sus comprobaciones visibles."""
    actual = _ejercicio_de_la_celda()
    if actual is not None:
        _superados[actual[0]] = actual[1]


def anotar_cuestionario() -> None:
    """Anota que la celda de pruebas actual es un cuestionario (lo visible solo comprueba el formato)."""
    actual = _ejercicio_de_la_celda()
    if actual is not None:
        _cuestionarios.add(actual[0])


def olvidar(ejercicio: str | None = None) -> None:
    """Borra la anotación de ``ejercicio`` (o todas, sin argumento)."""
    if ejercicio is None:
        _superados.clear()
    else:
        _superados.pop(ejercicio, None)


def superado(ejercicio: str) -> bool:
    """True si ``ejercicio`` superó sus comprobaciones visibles en este kernel."""
    return ejercicio in _superados


def mensaje_pendientes(faltan: list[str]) -> str:
    """La frase que detiene una celda que necesita ejercicios sin superar."""
    nombres = [f"`{e}`" for e in faltan]
    if len(nombres) == 1:
        return (f"Esta celda usa tu solución de {nombres[0]}, que todavía no pasa sus comprobaciones visibles: "
                "resuélvela y vuelve a ejecutar su celda de pruebas.")
    lista = ", ".join(nombres[:-1]) + " y " + nombres[-1]
    return (f"Esta celda usa tus soluciones de {lista}, que todavía no pasan sus comprobaciones visibles: "
            "resuélvelas y vuelve a ejecutar sus celdas de pruebas.")


def necesita(*ejercicios: str) -> None:
    """Detiene la celda (sin traza) si alguno de ``ejercicios`` no superó sus comprobaciones visibles.

    En un kernel de las herramientas del curso o de nbgrader no hace nada (ver ``kernel_de_herramienta``).
    """
    if kernel_de_herramienta():
        return
    faltan = [e for e in ejercicios if not superado(e)]
    if faltan:
        raise EjercicioPendiente(mensaje_pendientes(faltan))


def _puntos(n: int) -> str:
    return f"{n} punto" if n == 1 else f"{n} puntos"


def filas(ejercicios: dict[str, int], manuales: dict[str, int] | None = None) -> list[tuple[str, int, str]]:
    """(ejercicio, puntos, estado) de cada ejercicio, en el orden del cuaderno (los manuales al final)."""
    tabla = [(e, p, SUPERADO if superado(e) else PENDIENTE) for e, p in ejercicios.items()]
    return tabla + [(e, p, MANUAL) for e, p in (manuales or {}).items()]


def texto_resumen(ejercicios: dict[str, int], manuales: dict[str, int] | None = None) -> str:
    """La tabla de ``resumen`` como texto."""
    tabla = filas(ejercicios, manuales)
    ancho = max([len(e) for e, _, _ in tabla] + [10])
    simbolo = {SUPERADO: "✔", PENDIENTE: "·", MANUAL: "✎"}
    lineas = ["Tu progreso en esta sesión del kernel, según las comprobaciones visibles:"]
    for ejercicio, puntos, estado in tabla:
        nota = " (solo el formato; los aciertos se cuentan al calificar)" if ejercicio in _cuestionarios \
            and estado == SUPERADO else ""
        lineas.append(f"  {simbolo[estado]} {ejercicio:<{ancho}}  {_puntos(puntos):>10}  {estado}{nota}")
    logrados = sum(p for e, p in ejercicios.items() if superado(e))
    lineas.append(f"Puntos según las comprobaciones visibles: {logrados} de {sum(ejercicios.values())}"
                  + (f" (y {_puntos(sum(manuales.values()))} de respuesta escrita, que califica el instructor)."
                     if manuales else "."))
    pendientes = [e for e in ejercicios if not superado(e)]
    if pendientes:
        lineas.append("Pendientes: " + ", ".join(pendientes) + ". Resuélvelos y ejecuta su celda de pruebas; "
                      "si reiniciaste el kernel, vuelve a ejecutar el cuaderno en orden.")
    lineas.append("No es la nota: al calificar se añaden pruebas ocultas con otras entradas.")
    return "\n".join(lineas)


def resumen(ejercicios: dict[str, int], manuales: dict[str, int] | None = None) -> None:
    """Imprime la tabla de progreso: ``ejercicios`` (id -> puntos) con calificación automática y ``manuales``
    (respuestas escritas, id -> puntos)."""
    print(texto_resumen(ejercicios, manuales))


escuchar_celdas()
