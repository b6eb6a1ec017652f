"""Qué significa, en español, un error de Python o de TensorFlow que salta en un ejercicio.

``explicar(tipo, mensaje)`` recibe el nombre de la excepción y su texto (lo que guarda un cuaderno
ejecutado) y devuelve una frase para el alumno, o None si no reconoce el error; ``explicar_siempre``
da además una frase genérica para los errores que no reconoce. Las usan la cabecera de cada cuaderno
(al mostrar un error) y el calificador (en el mensaje de cada ejercicio).
Solo biblioteca estándar; son funciones puras.
"""
from __future__ import annotations

import re

SIN_RESOLVER = ("NotImplementedError", "EjercicioSinResolver")
FALLOS = ("AssertionError", "Fallo", "ManipulacionDetectada")

_GRADIENTE_NONE = (
    "La cinta no dio gradientes (salieron None): calcula la pérdida DENTRO del bloque "
    "`with tf.GradientTape() as cinta:`, a partir de variables (`tf.Variable`), y pide `cinta.gradient` "
    "con esas mismas variables."
)
_FORMAS = "Revisa las dimensiones (¿falta un `reshape`, un `.T` o `keepdims=True`?)."

# (tipo de excepción o "*", expresión regular sobre el mensaje, explicación). La primera que encaja gana.
# En la explicación, {0}, {1}… son los grupos de la expresión regular. Cada regla está probada con el
# error real que la provoca en tests/test_mensajes.py.
_REGLAS: list[tuple[str, str, str]] = [
    # --- nombres y None --------------------------------------------------------------------------
    ("NameError", r"name '([^']+)' is not defined",
     "`{0}` no está definido: ejecuta antes la celda del ejercicio (y las anteriores, empezando por la primera)."),
    ("ValueError", r"No gradients provided for any variable", _GRADIENTE_NONE),
    ("ValueError", r"Attempt to convert a value \(None\)",
     "Se pasó None a TensorFlow. " + _GRADIENTE_NONE + " Si no es un gradiente, ¿le falta un `return` a tu "
     "función?"),
    ("*", r"'NoneType' object is not (subscriptable|iterable|callable)",
     "Algo que debería ser un valor es None: ¿le falta un `return` a tu función?"),
    ("*", r"unsupported operand type\(s\) for [^:]+: ('NoneType' and|.* and 'NoneType')|bad operand type for "
          r"unary -: 'NoneType'|not supported between instances of 'NoneType'",
     "Se operó con None. Si es un gradiente, la cinta no lo calculó: calcula la pérdida DENTRO del bloque "
     "`with tf.GradientTape() as cinta:`, a partir de variables (`tf.Variable`). Si no, ¿le falta un `return` a "
     "tu función?"),
    ("AttributeError", r"'NoneType' object has no attribute '([^']+)'",
     "Se pidió `.{0}` a None. Si es un gradiente, la cinta no lo calculó: calcula la pérdida DENTRO del bloque "
     "`with tf.GradientTape() as cinta:`. Si no, ¿le falta un `return` a tu función?"),
    # --- tensores, arreglos y variables ----------------------------------------------------------
    ("AttributeError", r"'numpy\.ndarray' object has no attribute 'numpy'",
     "Llamaste a `.numpy()` sobre un arreglo de NumPy: ya es un arreglo. `.numpy()` solo existe en los tensores "
     "de TensorFlow (`np.asarray(x)` sirve para los dos)."),
    ("AttributeError", r"EagerTensor' object has no attribute '(assign\w*|__setitem__)'",
     "Un tensor de TensorFlow no se puede modificar: solo las variables (`tf.Variable`) tienen `assign`, "
     "`assign_add` y `assign_sub`. ¿Reasignaste `w = w - …` y `w` dejó de ser una variable?"),
    ("AttributeError", r"EagerTensor'? object has no attribute '(reshape|astype|sum|mean|max|min|T|flatten|ravel)'",
     "Los tensores de TensorFlow no tienen `.{0}` como los arreglos de NumPy: usa la función de TensorFlow "
     "(`tf.reshape`, `tf.cast`, `tf.reduce_sum`, `tf.reduce_mean`, `tf.transpose`…), que sirve para los dos."),
    ("AttributeError", r"'(list|tuple)' object has no attribute '(shape|reshape|ndim|dtype|T)'",
     "Una {0} de Python no tiene `.{1}`: conviértela antes en arreglo (`np.asarray`) o en tensor "
     "(`tf.convert_to_tensor`)."),
    ("ValueError", r"truth value of an? (array|Tensor).*ambiguous",
     "Se usó un arreglo donde Python espera un solo booleano (`if`, `and`, `or`, `max`, `min`…): con arreglos "
     "usa `np.where`, `np.maximum`, `np.max`, `&` o `|` (en TensorFlow, `tf.where`, `tf.maximum`…)."),
    ("TypeError", r"only (0-dimensional|length-1|size-1) arrays can be converted to Python scalars",
     "Se convirtió en un solo número (`float(...)`, `int(...)`) un arreglo con varios elementos: ¿te falta "
     "reducirlo (`np.mean`, `np.sum`) o elegir un elemento?"),
    ("ValueError", r"Can't convert non-rectangular Python sequence to Tensor",
     "Se pasó una lista de arreglos de formas distintas donde TensorFlow espera un solo tensor. Si querías "
     "pares `(X, y)`, pásalos como tupla `(X, y)`, no como lista `[X, y]`."),
    # --- formas ----------------------------------------------------------------------------------
    ("*", r"operands could not be broadcast together with shapes (\S+) (\S+)",
     "Formas incompatibles al operar elemento a elemento: {0} y {1}. " + _FORMAS),
    ("*", r"Incompatible shapes: (\[[^\]]*\]) vs\. (\[[^\]]*\])",
     "Formas incompatibles al operar elemento a elemento: {0} y {1}. " + _FORMAS),
    ("*", r"matmul: Input operand \d has a mismatch in its core dimension|shapes \(\S+\) and \(\S+\) not aligned|"
          r"Matrix size-incompatible",
     "Producto matricial con formas incompatibles: en `A @ B` el número de columnas de A debe ser el número de "
     "filas de B. Revisa el orden y las transpuestas."),
    ("*", r"In\[0\] ndims must be >= 2|In\[0\] and In\[1\] (has different ndims|ndims must be == 2)",
     "`tf.matmul` (o `@` con tensores) necesita matrices de al menos 2 ejes: para dos vectores usa "
     "`tf.tensordot(a, b, 1)`, o conviértelos antes en fila `(1, n)` y columna `(n, 1)` con `tf.reshape`."),
    ("*", r"cannot reshape array of size (\d+) into shape (\S+)|Input to reshape is a tensor with (\d+) values",
     "`reshape` no puede cambiar el número de elementos: la forma nueva debe tener los mismos elementos que "
     "la original (un `-1` deja que se calcule un eje)."),
    ("*", r"axis (-?\d+) is out of bounds for array of dimension (\d+)|Invalid reduction dimension \(?(-?\d+)",
     "Ese eje no existe en el arreglo: uno de forma `(n,)` solo tiene `axis=0` y uno `(filas, columnas)` tiene "
     "`axis=0` (columnas) y `axis=1` (filas). Revisa el `axis` y la forma de la entrada."),
    ("*", r"Shapes of all inputs must match|Ranks of all input tensors should match|"
          r"all the input array dimensions .* must match",
     "Para apilar o concatenar, los tensores deben tener formas compatibles: `stack` exige la misma forma y "
     "`concat` la misma en todos los ejes menos el de unión."),
    ("*", r"Expected concatenating dimensions in the range \[(-?\d+), (-?\d+)\), but got (-?\d+)",
     "`concat` une por un eje que ya existe y esos tensores no tienen el eje {2}: para crear un eje nuevo "
     "(p. ej. poner vectores como filas o columnas) usa `tf.stack`."),
    ("*", r"Can not squeeze dim\[(\d+)\]",
     "`squeeze` solo puede quitar ejes de tamaño 1, y el eje {0} no lo es: revisa el `axis`."),
    ("*", r"incompatible with the layer: expected axis -1 of input shape to have value (\d+), but received input "
          r"with shape (\([^)]*\))",
     "La capa esperaba {0} valores por ejemplo y recibió datos de forma {1}: revisa `keras.Input(shape=…)` y "
     "cómo preparas los datos (¿falta aplanar?)."),
    ("*", r"Arguments `target` and `output` must have the same (rank|shape)",
     "Las etiquetas y las predicciones no tienen la forma que espera la función de pérdida: con etiquetas enteras "
     "usa `sparse_categorical_crossentropy`; con one-hot, `categorical_crossentropy`."),
    ("*", r"Shapes (\S+ \S+|\([^)]*\)) and (\([^)]*\)) are incompatible",
     "Formas incompatibles: {0} y {1}. " + _FORMAS),
    # --- tipos -----------------------------------------------------------------------------------
    ("InvalidArgumentError", r"expected to be a (\w+) tensor but is a (\w+) tensor|cannot compute \w+ as input",
     "Tipos de dato distintos en una operación de TensorFlow: convierte antes con `tf.cast`."),
    ("*", r"Cannot convert .* to EagerTensor of dtype|Value for attr '\w+' of (float|double) is not in the list "
          r"of allowed values",
     "TensorFlow esperaba enteros (una forma, unos índices o unas etiquetas) y recibió decimales, o al revés: "
     "convierte antes con `tf.cast` o usa `int(...)`."),
    ("TypeError", r"'float' object cannot be interpreted as an integer",
     "Se usó un decimal donde hace falta un entero (un tamaño, un número de pasos, `range`): usa `int(...)`."),
    ("TypeError", r"ufunc '(\w+)' not supported for the input types",
     "`np.{0}` recibió algo que no son números: revisa el tipo de la entrada."),
    # --- llamadas y estructuras ------------------------------------------------------------------
    ("InvalidArgumentError", r"(Incompatible shapes|Matrix size-incompatible|must be compatible)",
     "TensorFlow no puede operar con esas formas: revisa las dimensiones de los tensores."),
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
    ("TypeError", r"(\w+)\(\) got an unexpected keyword argument '(\w+)'",
     "`{0}` no tiene un argumento llamado `{1}`: revisa el nombre en la documentación o en el enunciado."),
    ("TypeError", r"'(\w+)' object is not callable",
     "Se intentó llamar a un {0} como si fuera una función: ¿reutilizaste el nombre de una función para una "
     "variable?"),
    ("TypeError", r"unhashable type",
     "Se usó un arreglo o una lista como clave de diccionario: las claves deben ser números o cadenas."),
    ("KeyError", r"(.+)", "Falta la clave {0} en el diccionario: revisa los nombres que pide el enunciado."),
    ("IndexError", r"(.+)", "Índice fuera de rango ({0}): revisa las formas y los índices."),
    ("ZeroDivisionError", r".*", "División por cero: ¿algún denominador vale 0 (p. ej. una lista vacía)?"),
    ("MemoryError", r".*", "Se agotó la memoria: ¿creaste un arreglo enorme sin querer (p. ej. por un "
                           "broadcasting (n, 1) con (n,))?"),
    ("ResourceExhaustedError", r".*", "Se agotó la memoria: reduce el tamaño del lote o del modelo."),
    ("RecursionError", r".*", "Recursión infinita: una función se llama a sí misma sin parar."),
]

_ESCAPES = re.compile(r"\x1b\[[0-9;]*m")


def explicar(tipo: str, mensaje: str) -> str | None:
    """Frase en español que explica un error (None si no se reconoce)."""
    if tipo in SIN_RESOLVER:
        return "Todavía no has resuelto este ejercicio."
    texto = _ESCAPES.sub("", mensaje or "")
    for tipo_regla, patron, explicacion in _REGLAS:
        if tipo_regla in ("*", tipo):
            m = re.search(patron, texto, re.S)
            if m:
                return explicacion.format(*(g or "" for g in m.groups()))
    return None


def explicar_siempre(tipo: str, mensaje: str) -> str:
    """Como ``explicar``, pero con una frase genérica (que cita el error) si no lo reconoce."""
    conocida = explicar(tipo, mensaje)
    if conocida:
        return conocida
    primera = _ESCAPES.sub("", mensaje or "").strip().splitlines()
    cita = f": «{primera[0][:200]}»" if primera else ""
    return (f"Tu código lanzó un error de Python ({tipo}){cita}. Ejecuta la celda de pruebas en tu cuaderno para "
            "ver en qué línea de tu función ocurre.")
