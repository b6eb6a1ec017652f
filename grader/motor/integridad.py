"""Evidencia positiva de que cada celda de pruebas llegó a su final, comprobada por el calificador.

Antes de ejecutar una entrega, ``instrumentar`` añade al final de cada celda de pruebas el sondeo de
``grader/motor/sondeo.py`` con una ficha aleatoria (``secrets``) que solo conoce el proceso del calificador. Si la
celda termina en una expresión (la nota parcial de un cuestionario), su valor se guarda antes del sondeo y se
vuelve a mostrar al final, así que IPython la sigue mostrando como con nbgrader.

Al puntuar, ``juzgar`` acepta una celda de pruebas solo si el kernel respondió ``ok``, no hay error en sus
salidas, llegó su ficha, el sondeo no encontró ganchos definidos en el cuaderno y, si la celda muestra un
valor, el resultado mostrado es el que vio el sondeo. ``restaurar`` devuelve a cada celda su código original:
la ficha nunca se guarda en el cuaderno calificado ni llega a la retroalimentación.
"""
from __future__ import annotations

import ast
import os
import secrets
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from curso import config
from grader.nucleo import celdas

VARIABLE = "__curso_valor__"
FALLO_DE_IPYTHON = "Unexpected exception formatting exception"  # lo que IPython escribe si no puede mostrar un error
CODIGO_SONDEO = (Path(__file__).parent / "sondeo.py").read_text(encoding="utf-8")


def carpetas_confiables() -> tuple[str, ...]:
    """Carpetas cuyo código puede registrar ganchos sin que sea manipulación (las rutas son iguales dentro
    de la caja, que monta / de solo lectura)."""
    rutas = {sysconfig.get_path(clave) for clave in ("stdlib", "platstdlib", "purelib", "platlib")}
    rutas.add(str(config.RAIZ / "curso"))
    return tuple(sorted(os.path.join(str(Path(r).resolve()), "") for r in rutas if r))  # con «/» o «\\» final


@dataclass
class Ficha:
    """La ficha de una celda de pruebas y lo necesario para juzgarla y restaurarla."""

    ficha: str
    original: str
    muestra_valor: bool  # la celda termina en una expresión cuyo valor muestra IPython


def codigo_ficha(ficha: str, valor: str) -> str:
    """Línea que ejecuta el sondeo con la ficha y el valor dados (una expresión de Python)."""
    return (f"exec(compile({CODIGO_SONDEO!r}, '<sondeo del calificador>', 'exec'), "
            f"{{'__ficha__': {ficha!r}, '__valor__': {valor}, '__confiables__': {carpetas_confiables()!r}}})")


def _ultima_expresion(texto: str) -> tuple[int, int] | None:
    """Posición (inicio, fin) en ``texto`` de la expresión final de nivel superior, si la hay."""
    try:
        arbol = ast.parse(texto)
    except SyntaxError:
        return None
    if not arbol.body or not isinstance(arbol.body[-1], ast.Expr):
        return None
    nodo = arbol.body[-1]
    lineas = texto.splitlines(keepends=True)
    inicio = sum(len(x) for x in lineas[:nodo.lineno - 1]) + len(
        lineas[nodo.lineno - 1].encode("utf-8")[:nodo.col_offset].decode("utf-8"))
    fin = sum(len(x) for x in lineas[:nodo.end_lineno - 1]) + len(
        lineas[nodo.end_lineno - 1].encode("utf-8")[:nodo.end_col_offset].decode("utf-8"))
    return inicio, fin


def instrumentar_codigo(texto: str, ficha: str) -> tuple[str, bool]:
    """El código de una celda de pruebas con el sondeo al final. Devuelve (código, muestra_valor)."""
    posicion = _ultima_expresion(texto)
    if posicion is None:
        return f"{texto.rstrip()}\n{codigo_ficha(ficha, 'None')}\n", False
    inicio, fin = posicion
    resto = texto[fin:]
    muestra = not resto.lstrip(" \t").startswith(";")
    return (f"{texto[:inicio]}{VARIABLE} = ({texto[inicio:fin]})\n{codigo_ficha(ficha, VARIABLE)}\n"
            f"{VARIABLE}{resto}"), muestra


def instrumentar(nb) -> dict[int, Ficha]:
    """Añade el sondeo con una ficha nueva a cada celda de pruebas de ``nb`` (en su sitio)."""
    fichas = {}
    for i, celda in enumerate(nb.cells):
        m = celdas.marca(celda)
        if m is None or m.tipo != "pruebas":
            continue
        ficha = secrets.token_hex(16)
        codigo, muestra = instrumentar_codigo(celda.source, ficha)
        fichas[i] = Ficha(ficha, celda.source, muestra)
        celda.source = codigo
    return fichas


def restaurar(nb, fichas: dict[int, Ficha]) -> None:
    """Devuelve su código original a las celdas instrumentadas y borra la ficha de sus trazas de error."""
    for i, f in fichas.items():
        celda = nb.cells[i]
        celda.source = f.original
        for salida in celda.get("outputs", []):
            if salida.get("output_type") == "error":
                salida["traceback"] = [linea for linea in salida.get("traceback", [])
                                       if f.ficha not in linea and VARIABLE not in linea]


@dataclass
class Juicio:
    """Lo que la evidencia dice de una celda de pruebas ejecutada sin error visible."""

    valida: bool
    valor: str | None = None  # repr del valor final (nota parcial), si lo hubo
    motivo: str = ""  # por qué no vale, en español
    manipulacion: bool = True  # si no vale, ¿es señal de manipulación? (False: falló IPython, no el cuaderno)


def _resultado_mostrado(celda) -> str | None:
    for salida in celda.get("outputs", []):
        if salida.get("output_type") == "execute_result":
            texto = salida.get("data", {}).get("text/plain", "")
            return "".join(texto) if isinstance(texto, list) else texto
    return None


def juzgar(celda, ficha: Ficha, respuesta: str | None, publicadas: list[dict]) -> Juicio:
    """Juicio sobre una celda de pruebas que terminó sin error en sus salidas."""
    datos = [d for d in publicadas if isinstance(d, dict) and d.get("ficha") == ficha.ficha]
    if respuesta != "ok" and any(FALLO_DE_IPYTHON in str(s.get("text", "")) for s in celda.get("outputs", [])):
        return Juicio(False, motivo="la prueba falló, pero IPython no pudo mostrar el error (¿memoria agotada?)",
                      manipulacion=False)
    if respuesta != "ok":
        return Juicio(False, motivo="el kernel dijo que la celda de pruebas falló, pero el error no se mostró: "
                                    "algo del cuaderno oculta los errores")
    if len(datos) != 1:
        return Juicio(False, motivo="las pruebas no llegaron a su final y no mostraron ningún error: algo del "
                                    "cuaderno cambia cómo se ejecutan o se muestran las celdas")
    anomalias = datos[0].get("anomalias") or []
    if anomalias:
        return Juicio(False, motivo="el cuaderno cambió cómo IPython ejecuta o muestra las celdas: "
                                    + "; ".join(str(a) for a in anomalias[:5]))
    valor = datos[0].get("valor")
    if ficha.muestra_valor and valor is not None and _resultado_mostrado(celda) != valor:
        return Juicio(False, motivo="el resultado que muestra la celda no es el que calcularon las pruebas")
    return Juicio(True, valor=valor)
