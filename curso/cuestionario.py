"""Cuestionarios de opción múltiple que se califican solos y que no se pueden adivinar a base de reintentos.

En el cuaderno, una celda normal define el cuestionario (solo enunciados y opciones) y lo muestra::

    cuestionario = Cuestionario({
        1: Pregunta("¿Qué devuelve una neurona sigmoide?", {
            "a": "Un número entre 0 y 1",
            "b": "Un número entero",
        }),
    })
    cuestionario.mostrar()

La celda ``# EJERCICIO`` define ``respuestas = {1: "a", ...}``. La parte visible de ``# PRUEBAS`` llama a
``cuestionario.revisar(respuestas)``, que solo comprueba el formato (un diccionario con una respuesta por
pregunta, cada una una letra de su pregunta) y no dice nada de si una opción es correcta: ni la celda visible
ni el objeto del cuestionario contienen la clave ni comentarios que la delaten, así que volver a ejecutar con
otras letras no enseña nada. La parte oculta (solo al calificar) define la clave y un comentario por opción,
llama a ``explicar(respuestas, clave, comentarios)``, que escribe en el cuaderno calificado por qué cada opción
elegida es correcta o no (la retroalimentación), y termina con
``comprobar.nota_cuestionario(respuestas, clave, puntos)``: la nota parcial (puntos x fracción de aciertos).
"""
from __future__ import annotations

from dataclasses import dataclass

from curso import comprobar, progreso


@dataclass(frozen=True)
class Pregunta:
    """Un enunciado y sus opciones: letra -> texto de la opción."""

    enunciado: str
    opciones: dict[str, str]


class Cuestionario:
    """Un conjunto de preguntas numeradas."""

    def __init__(self, preguntas: dict[int, Pregunta]):
        self.preguntas = dict(preguntas)

    def texto(self) -> str:
        """El cuestionario en Markdown."""
        bloques = []
        for numero, pregunta in self.preguntas.items():
            opciones = "\n".join(f"- **{letra})** {texto}" for letra, texto in pregunta.opciones.items())
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
        """Comprueba solo el formato de ``respuestas``: un diccionario con una letra válida por pregunta."""
        comprobar.tipo(respuestas, dict, "respuestas")
        faltan = [n for n in self.preguntas if n not in respuestas]
        comprobar.verdadero(not faltan, f"Faltan respuestas para las preguntas {faltan}: usa "
                            "{1: \"a\", 2: \"c\", ...} con el número de cada pregunta.",
                            f"que hay una respuesta para cada una de las {len(self.preguntas)} preguntas")
        sobran = [n for n in respuestas if n not in self.preguntas]
        comprobar.verdadero(not sobran, f"Sobran respuestas: las preguntas {sobran} no existen (las preguntas son "
                            f"{list(self.preguntas)}).", "que no sobra ninguna respuesta")
        for numero, pregunta in self.preguntas.items():
            letra = str(respuestas[numero]).strip().lower()
            validas = ", ".join(pregunta.opciones)
            comprobar.verdadero(letra in pregunta.opciones,
                                f"La respuesta a la pregunta {numero} es {respuestas[numero]!r}; debe ser una de: "
                                f"{validas}.", "que cada respuesta es una de las letras de su pregunta")
        progreso.anotar_cuestionario()


def explicar(respuestas, clave: dict, comentarios: dict[int, dict[str, str]]) -> None:
    """Retroalimentación al calificar: para cada pregunta, la opción elegida, si es correcta y por qué.

    Va en la parte oculta de la celda de pruebas (el alumno la ve en su cuaderno calificado, nunca antes).
    """
    if not isinstance(respuestas, dict):
        return  # la nota (0) y su mensaje los da `comprobar.nota_cuestionario`
    for numero, correcta in clave.items():
        letra = str(respuestas.get(numero, "")).strip().lower()
        marca = "✔ correcta" if letra == str(correcta).lower() else "✘ incorrecta"
        comentario = comentarios.get(numero, {}).get(letra, "")
        print(f"{numero} → {letra or '(sin respuesta)'}) {marca}. {comentario}".rstrip())
