"""Qué significa, en español, un error de Python o de TensorFlow que salta en un ejercicio.

``explicar(tipo, mensaje)`` recibe el nombre de la excepción y su texto (lo que guarda un cuaderno
ejecutado) y devuelve una frase para el alumno, o None si no reconoce el error. La usan la cabecera
de cada cuaderno (al mostrar un error) y el calificador (en el mensaje de cada ejercicio).
Solo biblioteca estándar; es una función pura.
"""
from __future__ import annotations

import re

SIN_RESOLVER = ("NotImplementedError", "EjercicioSinResolver")
FALLOS = ("AssertionError", "Fallo", "ManipulacionDetectada")

# (tipo de excepción o "*", expresión regular sobre el mensaje, explicación). La primera que encaja gana.
# En la explicación, {0}, {1}… son los grupos de la expresión regular.
_REGLAS: list[tuple[str, str, str]] = [
    ("NameError", r"name '([^']+)' is not defined",
     "`{0}` no está definido: ejecuta antes la celda del ejercicio (y las anteriores, empezando por la primera)."),
    ("*", r"'NoneType' object is not (subscriptable|iterable|callable)",
     "Algo que debería ser un valor es None: ¿le falta un `return` a tu función?"),
    ("*", r"unsupported operand type\(s\) for [^:]+: 'NoneType' and|and 'NoneType'",
     "Se operó con None: ¿le falta un `return` a tu función? Si es un gradiente, ¿calculaste la pérdida dentro "
     "del bloque `with tf.GradientTape()` y con variables (`tf.Variable`)?"),
    ("AttributeError", r"'NoneType' object has no attribute '([^']+)'",
     "Se pidió `.{0}` a None: ¿le falta un `return` a tu función? Si es un gradiente, ¿calculaste la pérdida "
     "dentro del bloque `with tf.GradientTape()`?"),
    ("ValueError", r"truth value of an? (array|Tensor).*ambiguous",
     "Se usó un arreglo donde Python espera un solo booleano (`if`, `and`, `or`, `max`, `min`…): con arreglos "
     "usa `np.where`, `np.maximum`, `np.max`, `&` o `|`."),
    ("*", r"operands could not be broadcast together with shapes (\S+) (\S+)",
     "Formas incompatibles al operar elemento a elemento: {0} y {1}. Revisa las dimensiones (¿falta un "
     "`reshape`, un `.T` o `keepdims=True`?)."),
    ("*", r"matmul: Input operand \d has a mismatch in its core dimension|shapes \(\S+\) and \(\S+\) not aligned",
     "Producto matricial con formas incompatibles: en `A @ B` el número de columnas de A debe ser el número de "
     "filas de B. Revisa el orden y las transpuestas."),
    ("ValueError", r"not enough values to unpack \(expected (\d+), got (\d+)\)",
     "Se esperaban {0} valores (una tupla, p. ej. `(X, y)`) y llegaron {1}: revisa qué devuelve tu función."),
    ("ValueError", r"too many values to unpack \(expected (\d+)",
     "Se esperaban {0} valores y llegaron más: ¿devuelves una lista o un arreglo donde iba una tupla?"),
    ("TypeError", r"cannot unpack non-iterable (\w+) object",
     "Se esperaba una tupla y tu función devolvió un {0}: devuelve los valores separados por comas."),
    ("TypeError", r"(\w+)\(\) missing (\d+) required positional argument",
     "A `{0}` le faltan argumentos: respeta la firma que pide el enunciado."),
    ("TypeError", r"(\w+)\(\) takes (\d+) positional arguments? but (\d+) (were|was) given",
     "`{0}` recibe un número de argumentos distinto del que pide el enunciado: respeta su firma."),
    ("TypeError", r"'(\w+)' object is not callable",
     "Se intentó llamar a un {0} como si fuera una función: ¿reutilizaste el nombre de una función para una "
     "variable?"),
    ("KeyError", r"(.+)", "Falta la clave {0} en el diccionario: revisa los nombres que pide el enunciado."),
    ("IndexError", r"(.+)", "Índice fuera de rango ({0}): revisa las formas y los índices."),
    ("ZeroDivisionError", r".*", "División por cero: ¿algún denominador vale 0 (p. ej. una lista vacía)?"),
    ("InvalidArgumentError", r"(Incompatible shapes|Matrix size-incompatible|must be compatible)",
     "TensorFlow no puede operar con esas formas: revisa las dimensiones de los tensores."),
    ("InvalidArgumentError", r"expected to be a (\w+) tensor but is a (\w+) tensor|cannot compute \w+ as input",
     "Tipos de dato distintos en una operación de TensorFlow: convierte antes con `tf.cast`."),
    ("*", r"Cannot convert .* to EagerTensor of dtype",
     "Tipos de dato distintos en una operación de TensorFlow: convierte antes con `tf.cast`."),
    ("MemoryError", r".*", "Se agotó la memoria: ¿creaste un arreglo enorme sin querer (p. ej. por un "
                           "broadcasting (n, 1) con (n,))?"),
    ("ResourceExhaustedError", r".*", "Se agotó la memoria: reduce el tamaño del lote o del modelo."),
    ("RecursionError", r".*", "Recursión infinita: una función se llama a sí misma sin parar."),
]


def explicar(tipo: str, mensaje: str) -> str | None:
    """Frase en español que explica un error (None si no se reconoce)."""
    if tipo in SIN_RESOLVER:
        return "Todavía no has resuelto este ejercicio."
    for tipo_regla, patron, explicacion in _REGLAS:
        if tipo_regla in ("*", tipo):
            m = re.search(patron, mensaje or "", re.S)
            if m:
                return explicacion.format(*(g or "" for g in m.groups()))
    return None
