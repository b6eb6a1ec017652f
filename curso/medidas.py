"""Umbrales de las medidas que el alumno ve en los cuadernos (exactitud en prueba, AUC…).

``al_menos(valor, minimo)`` sustituye al ``assert exactitud >= …`` de las celdas de enseñanza, y
``cumple(condicion, afirmacion)`` al ``assert`` que respalda una frase del texto sobre un entrenamiento
(«la CNN acierta más que el perceptrón»). En el kernel de un alumno una cifra algo menor que la medida
por el curso no es un error (otra versión de TensorFlow, una GPU, otro orden de las operaciones): se
imprime una nota en español y la celda sigue. Cuando la variable de entorno ``config.VAR_ESTRICTO`` vale
``"1"`` (la fijan nbval, ``grader
ejecutar`` y las pruebas para sus kernels; nunca el calificador) lanza ``AssertionError`` con la misma
frase: en CI los umbrales siguen siendo estrictos.
"""
from __future__ import annotations

import os

from curso import config


def estricto() -> bool:
    """¿Debe fallar una medida por debajo de su umbral? (variable ``config.VAR_ESTRICTO`` a ``"1"``)."""
    return os.environ.get(config.VAR_ESTRICTO, "") == "1"


def _sujeto(que: str) -> str:
    """«la exactitud en prueba» -> «Tu exactitud en prueba» (el artículo se cambia por el posesivo)."""
    for articulo in ("la ", "el "):
        if que.startswith(articulo):
            return "Tu " + que[len(articulo):]
    return "Tu medida de " + que


def mensaje(valor: float, minimo: float, que: str = "la exactitud en prueba", revisa: str = "") -> str:
    """La nota en español que dice las dos cifras y qué diferencia es normal."""
    revisa = revisa or ("que ejecutaste todas las celdas en orden desde el principio y que no cambiaste el "
                        "modelo, los datos ni el entrenamiento")
    return (f"{_sujeto(que)} es {valor:.4f}; el curso midió al menos {minimo:g} con las versiones fijadas. "
            f"Con otras versiones o una GPU es normal una diferencia pequeña; si es grande, revisa {revisa}.")


def al_menos(valor, minimo: float, que: str = "la exactitud en prueba", revisa: str = ""):
    """Devuelve ``valor``; si es menor que ``minimo``, imprime la nota (o, en modo estricto, la lanza como
    ``AssertionError``)."""
    numero = float(valor)
    if not numero >= minimo:  # también un nan queda por debajo
        texto = mensaje(numero, minimo, que, revisa)
        if estricto():
            raise AssertionError(texto)
        print(f"Nota: {texto}")
    return valor


def cumple(condicion, afirmacion: str) -> None:
    """Si ``condicion`` es falsa, dice que el texto afirma ``afirmacion`` y en esta ejecución no se cumple (o, en
    modo estricto, lo lanza como ``AssertionError``). No devuelve nada: como última línea de una celda no
    muestra ningún valor."""
    if not condicion:
        texto = (f"El texto dice que {afirmacion}, pero en tu ejecución no se cumple. Con otras versiones o una "
                 "GPU los números cambian un poco y el texto puede no describir exactamente tu resultado; si la "
                 "diferencia es grande, revisa que ejecutaste todas las celdas en orden desde el principio.")
        if estricto():
            raise AssertionError(texto)
        print(f"Nota: {texto}")
