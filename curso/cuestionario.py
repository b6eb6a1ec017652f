"""Cuestionarios de opción múltiple que se califican solos.

En el cuaderno, una celda normal define el cuestionario y lo muestra::

    cuestionario = Cuestionario({
        1: Pregunta("¿Qué devuelve una neurona sigmoide?", {
            "a": ("Un número entre 0 y 1", "La sigmoide comprime cualquier z en (0, 1)."),
            "b": ("Un número entero", "Revisa la forma de la curva: ¿puede dar 0.5?"),
        }),
    })
    cuestionario.mostrar()

La celda ``# EJERCICIO`` define ``respuestas = {1: "a", ...}``; la de ``# PRUEBAS`` llama a
``cuestionario.revisar(respuestas)`` (formato y comentario de cada opción elegida, sin decir cuál es la
correcta) y su parte oculta termina con ``comprobar.nota_cuestionario(respuestas, clave, puntos)``, que da
la nota parcial (puntos x fracción de aciertos).
"""
from __future__ import annotations

from dataclasses import dataclass

from curso import comprobar


@dataclass(frozen=True)
class Pregunta:
    """Un enunciado y sus opciones: letra -> (texto de la opción, comentario al elegirla)."""

    enunciado: str
    opciones: dict[str, tuple[str, str]]


class Cuestionario:
    """Un conjunto de preguntas numeradas."""

    def __init__(self, preguntas: dict[int, Pregunta]):
        self.preguntas = dict(preguntas)

    def texto(self) -> str:
        """El cuestionario en Markdown."""
        bloques = []
        for numero, pregunta in self.preguntas.items():
            opciones = "\n".join(f"- **{letra})** {texto}" for letra, (texto, _) in pregunta.opciones.items())
            bloques.append(f"**{numero}.** {pregunta.enunciado}\n\n{opciones}")
        return "\n\n".join(bloques)

    def mostrar(self) -> None:
        """Muestra las preguntas (Markdown en Jupyter y Colab; texto plano en otro sitio)."""
        try:
            from IPython.display import Markdown, display
        except ImportError:  # fuera de IPython
            print(self.texto())
            return
        display(Markdown(self.texto()))

    def revisar(self, respuestas) -> None:
        """Comprueba el formato de ``respuestas`` e imprime el comentario de cada opción elegida."""
        comprobar.tipo(respuestas, dict, "respuestas")
        faltan = [n for n in self.preguntas if n not in respuestas]
        comprobar.verdadero(not faltan, f"Faltan respuestas para las preguntas {faltan}: usa "
                            "{1: \"a\", 2: \"c\", ...} con el número de cada pregunta.",
                            "que respondes a todas las preguntas")
        for numero, pregunta in self.preguntas.items():
            letra = str(respuestas[numero]).strip().lower()
            validas = ", ".join(pregunta.opciones)
            comprobar.verdadero(letra in pregunta.opciones,
                                f"La respuesta a la pregunta {numero} es {respuestas[numero]!r}; debe ser una de: "
                                f"{validas}.", "que cada respuesta es una de las letras de su pregunta")
            print(f"{numero} → {letra}) {pregunta.opciones[letra][1]}")
