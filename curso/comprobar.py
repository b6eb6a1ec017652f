"""Comprobaciones que usan las pruebas de los ejercicios, con mensajes en español.

Cada función lanza ``Fallo`` (un ``AssertionError``) con una frase que dice qué se esperaba (forma,
tipo, valor) y qué se encontró; en el cuaderno se ve solo esa frase, sin traza. Cada comprobación
que pasa queda anotada, y ``listo()`` imprime exactamente lo que se comprobó (nunca más).

Antes de comprobar nada verifican que las funciones de las que dependen (las de NumPy, las de este
módulo y algunas integradas) no hayan sido sustituidas desde el código del alumno: una sustitución
hace fallar la prueba con un mensaje explícito.
"""
from __future__ import annotations

import builtins
import os
import sys
import types

import numpy as np

from curso import progreso


def _ruta(archivo: str) -> str:
    """Ruta absoluta comparable (en Windows, sin distinguir mayúsculas y con ``\\``)."""
    return os.path.normcase(os.path.abspath(archivo))


def _dentro(archivo: str, ruta: str) -> bool:
    """True si ``archivo`` es ``ruta`` o está dentro de la carpeta ``ruta`` (ambas ya pasadas por ``_ruta``)."""
    archivo = _ruta(archivo)
    return archivo == ruta or archivo.startswith(ruta.rstrip(os.path.sep) + os.path.sep)


_DIR_NUMPY = os.path.dirname(_ruta(np.__file__))
_ESTE_ARCHIVO = _ruta(__file__)


class Fallo(AssertionError):
    """Una comprobación no se cumple. En el cuaderno se muestra solo el mensaje, sin traza."""

    def _render_traceback_(self) -> list[str]:  # IPython lo usa en lugar de la traza
        return [f"\x1b[31m✘ {self}\x1b[0m"]


class ManipulacionDetectada(Fallo):
    """Una función de la que dependen las pruebas fue reemplazada."""


class EjercicioSinResolver(NotImplementedError):
    """La respuesta todavía es el esqueleto de la versión del alumno."""

    MENSAJE = "Todavía no has resuelto este ejercicio: cambia `sin_resolver()` por tu código y ejecuta la celda."

    def __init__(self, mensaje: str = MENSAJE):
        super().__init__(mensaje)

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[34m… {self}\x1b[0m"]


def sin_resolver():
    """Marca una respuesta sin hacer (el esqueleto de la versión del alumno la llama)."""
    raise EjercicioSinResolver()


_HECHAS: list[str] = []  # lo comprobado desde el último ``listo()`` (o el inicio de la celda)


def _anotar(texto: str) -> None:
    if texto not in _HECHAS:
        _HECHAS.append(texto)


def olvidar(*_) -> None:
    """Vacía la lista de comprobaciones hechas (la cabecera lo hace al empezar cada celda)."""
    _HECHAS.clear()


def listo(ademas: str = "") -> None:
    """Imprime qué se acaba de comprobar y recuerda que al calificar hay más pruebas.

    ``ademas`` dice, sin detalles, qué queda para las pruebas ocultas (p. ej. "otros tamaños y valores extremos").
    Anota en ``curso.progreso`` que el ejercicio de la celda superó sus comprobaciones visibles.
    """
    hechas = "; ".join(_HECHAS) if _HECHAS else "nada todavía"
    olvidar()
    pendiente = f"al calificar se comprueban además {ademas}" if ademas else \
        "al calificar se ejecutan además pruebas ocultas"
    print(f"✔ Comprobado aquí: {hechas}.\n  Esto no es la nota: {pendiente}.")
    progreso.anotar_superado()  # para `necesita` y el resumen de la última celda


def definida(nombre: str, espacio: dict) -> None:
    """Falla como «sin resolver» si la respuesta ``nombre`` no está definida en ``espacio`` (``globals()``).

    Para ejercicios cuya respuesta es una variable (no una función): sin esto, la prueba daría un NameError.
    """
    _verificar_integridad()
    if nombre not in espacio:
        raise EjercicioSinResolver(f"`{nombre}` no está definida: todavía no has resuelto este ejercicio "
                                   "(o no has ejecutado su celda).")


_DESPACHADOR = type(np.allclose)  # tipo C con el que NumPy envuelve sus funciones
_TIPOS_INTEGRADOS = {"bool": type(True), "int": type(0), "float": type(0.0), "tuple": type(())}
_FUNCIONES_INTEGRADAS = ("isinstance", "len", "callable", "getattr", "hasattr")
_FUNCIONES_NUMPY = ("asarray", "allclose", "array_equal", "abs", "isfinite", "argmax", "unravel_index")


def _codigo_en(funcion, ruta: str) -> bool:
    """True si el código Python de ``funcion`` vive en ``ruta`` (un archivo o una carpeta)."""
    codigo = getattr(funcion, "__code__", None)
    return codigo is not None and _dentro(codigo.co_filename, ruta)


def _genuina(funcion, carpeta: str) -> bool:
    """True si ``funcion`` es C integrada, un ufunc, o código Python que vive en ``carpeta``."""
    if isinstance(funcion, (types.BuiltinFunctionType, np.ufunc)):
        return True
    if type(funcion) is _DESPACHADOR:
        envuelta = getattr(funcion, "__wrapped__", None)
        return envuelta is None or isinstance(envuelta, types.BuiltinFunctionType) or _codigo_en(envuelta, carpeta)
    return _codigo_en(funcion, carpeta)


def _manipulada(nombre: str) -> ManipulacionDetectada:
    return ManipulacionDetectada(
        f"Se detectó que `{nombre}` fue reemplazada desde el cuaderno. Las pruebas no pueden fiarse "
        "de ella: no modifiques funciones de Python, de NumPy ni de `comprobar`."
    )


def _verificar_integridad() -> None:
    """Falla si alguna función de la que dependen las pruebas no es la original."""
    for nombre, tipo_real in _TIPOS_INTEGRADOS.items():
        if getattr(builtins, nombre) is not tipo_real:
            raise _manipulada(nombre)
    for nombre in _FUNCIONES_INTEGRADAS:
        if type(getattr(builtins, nombre)) is not types.BuiltinFunctionType:
            raise _manipulada(nombre)
    for nombre in _FUNCIONES_NUMPY:
        if not _genuina(getattr(np, nombre), _DIR_NUMPY):
            raise _manipulada(f"numpy.{nombre}")
    if not _genuina(np.testing.assert_allclose, _DIR_NUMPY):
        raise _manipulada("numpy.testing.assert_allclose")
    modulo = sys.modules.get(__name__)
    for nombre in _PUBLICAS:
        if not _codigo_en(getattr(modulo, nombre, None), _ESTE_ARCHIVO):
            raise _manipulada(f"comprobar.{nombre}")


def _como_array(valor, nombre: str) -> np.ndarray:
    """Convierte a array de NumPy (acepta tensores de TF) o falla con un mensaje claro."""
    if hasattr(valor, "numpy") and callable(valor.numpy):
        valor = valor.numpy()
    try:
        return np.asarray(valor)
    except Exception as error:  # pragma: no cover - tipos muy exóticos
        raise Fallo(f"`{nombre}` no se puede convertir en un arreglo numérico: {error}") from None


def _texto_forma(forma) -> str:
    return "(" + ", ".join(str(d) for d in forma) + ("," if len(forma) == 1 else "") + ")"


def es_tensor(valor, nombre: str) -> None:
    """Comprueba que ``valor`` es un tensor de TensorFlow (``tf.Tensor`` o ``tf.Variable``)."""
    _verificar_integridad()
    import tensorflow as tf

    if not tf.is_tensor(valor) and not isinstance(valor, tf.Variable):
        raise Fallo(
            f"`{nombre}` debe ser un tensor de TensorFlow, pero es de tipo {type(valor).__name__}."
        )
    _anotar(f"que `{nombre}` es un tensor")


def tipo(valor, esperado: type, nombre: str) -> None:
    """Comprueba el tipo de Python de ``valor`` (p. ej. ``float``, ``list``, ``dict``)."""
    _verificar_integridad()
    if not isinstance(valor, esperado):
        raise Fallo(
            f"`{nombre}` debe ser de tipo {esperado.__name__}, pero es de tipo {type(valor).__name__}."
        )
    _anotar(f"el tipo de `{nombre}`")


def forma(valor, esperada, nombre: str) -> None:
    """Comprueba la forma (shape) de un arreglo o tensor."""
    _verificar_integridad()
    real = tuple(int(d) for d in _como_array(valor, nombre).shape)
    esperada = tuple(int(d) for d in esperada)
    _exigir_forma(real, esperada, nombre)
    _anotar(f"la forma de `{nombre}`")


def tipo_dato(valor, esperado: str, nombre: str) -> None:
    """Comprueba el dtype (``"float32"``, ``"int64"``…) de un arreglo o tensor."""
    _verificar_integridad()
    dtype = getattr(valor, "dtype", None)
    real = getattr(dtype, "name", None) or str(_como_array(valor, nombre).dtype)
    if real != esperado:
        raise Fallo(f"`{nombre}` debe tener tipo de dato {esperado}, pero tiene {real}.")
    _anotar(f"el tipo de dato de `{nombre}`")


def _exigir_forma(real: tuple, esperada: tuple, nombre: str) -> None:
    """Falla con el mensaje de forma si la forma ``real`` no es la ``esperada``."""
    if tuple(real) != tuple(esperada):
        raise Fallo(f"`{nombre}` debe tener forma {_texto_forma(esperada)}, pero tiene forma {_texto_forma(real)}.")


def cercano(valor, esperado, nombre: str, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Comprueba forma y valores (con tolerancia) de un número, arreglo o tensor."""
    _verificar_integridad()
    real = _como_array(valor, nombre)
    esperado = _como_array(esperado, "el valor esperado")
    _exigir_forma(real.shape, esperado.shape, nombre)
    try:
        real = real.astype(np.float64)
    except (TypeError, ValueError):
        raise Fallo(f"`{nombre}` debe contener números, pero contiene {real.dtype}.") from None
    esperado = esperado.astype(np.float64)
    if not np.isfinite(real).all():
        raise Fallo(f"`{nombre}` contiene valores no finitos (nan o inf).")
    diferencia = np.abs(real - esperado)
    limite = atol + rtol * np.abs(esperado)
    if (diferencia > limite).any():
        if real.ndim == 0:
            raise Fallo(
                f"`{nombre}` vale {real.item():.6g}, pero se esperaba {esperado.item():.6g}."
            )
        pos = np.unravel_index(int(np.argmax(diferencia - limite)), diferencia.shape)
        raise Fallo(
            f"Los valores de `{nombre}` no coinciden con lo esperado: en la posición {tuple(int(i) for i in pos)} "
            f"vale {real[pos]:.6g} y se esperaba {esperado[pos]:.6g}."
        )
    _anotar(f"los valores de `{nombre}`")


def igual(valor, esperado, nombre: str) -> None:
    """Comprueba igualdad exacta (enteros, etiquetas, booleanos, cadenas)."""
    _verificar_integridad()
    real = _como_array(valor, nombre)
    esperado = _como_array(esperado, "el valor esperado")
    _exigir_forma(real.shape, esperado.shape, nombre)
    if not np.array_equal(real, esperado):
        if real.ndim == 0:
            raise Fallo(f"`{nombre}` vale {real.item()!r}, pero se esperaba {esperado.item()!r}.")
        raise Fallo(f"`{nombre}` no es igual a lo esperado: se esperaba {esperado.tolist()!r}.")
    _anotar(f"los valores de `{nombre}`")


def entre(valor, minimo: float, maximo: float, nombre: str) -> None:
    """Comprueba que un número está en el intervalo cerrado [minimo, maximo]."""
    _verificar_integridad()
    numero = _como_array(valor, nombre)
    if numero.size != 1:
        raise Fallo(f"`{nombre}` debe ser un único número, pero tiene forma {_texto_forma(numero.shape)}.")
    numero = float(numero.reshape(()))
    if not (minimo <= numero <= maximo):
        raise Fallo(f"`{nombre}` vale {numero:.6g}, pero debe estar entre {minimo:g} y {maximo:g}.")
    _anotar(f"que `{nombre}` está entre {minimo:g} y {maximo:g}")


def funcion(valor, nombre: str) -> None:
    """Comprueba que ``valor`` es una función que se puede llamar."""
    _verificar_integridad()
    if not callable(valor):
        raise Fallo(f"`{nombre}` debe ser una función, pero es de tipo {type(valor).__name__}.")
    _anotar(f"que `{nombre}` es una función")


def verdadero(condicion: bool, mensaje: str, que: str = "una condición más") -> None:
    """Falla con ``mensaje`` si la condición no se cumple; ``que`` dice qué se comprobó (para ``listo``)."""
    _verificar_integridad()
    if not bool(condicion):
        raise Fallo(mensaje)
    _anotar(que)


def nota_cuestionario(respuestas, clave: dict, puntos: float) -> float:
    """Puntos de un cuestionario: ``puntos`` x fracción de preguntas acertadas.

    Va al final de la parte oculta de la celda de pruebas: nbgrader (y el calificador del curso) toman
    el número que muestra la celda como nota parcial. ``respuestas`` debe ser un dict pregunta -> letra.
    """
    _verificar_integridad()
    if not isinstance(respuestas, dict):
        raise Fallo(f"`respuestas` debe ser un diccionario {{pregunta: letra}}, pero es de tipo "
                    f"{type(respuestas).__name__}.")
    aciertos = sum(str(respuestas.get(p, "")).strip().lower() == str(c).lower() for p, c in clave.items())
    return round(puntos * aciertos / len(clave), 4)


_PUBLICAS = ("es_tensor", "tipo", "forma", "tipo_dato", "cercano", "igual", "entre", "funcion", "verdadero",
             "nota_cuestionario", "listo", "olvidar", "sin_resolver", "definida")
