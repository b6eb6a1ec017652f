"""Los errores típicos de un alumno se explican en español: cada caso provoca el error REAL (ejecuta el código
erróneo), captura la excepción y comprueba la explicación que verían el alumno y el calificador."""
from __future__ import annotations

import numpy as np
import pytest

from curso import mensajes
from grader.nucleo import puntuacion


def _tf():
    import tensorflow as tf

    return tf


def _keras():
    import keras

    return keras


def _paso_sin_cinta():
    """El error típico: la pérdida se calcula fuera del bloque de la cinta, así que el gradiente es None."""
    tf = _tf()
    w = tf.Variable(0.0)
    perdida = (3.0 * w - 2.0) ** 2
    with tf.GradientTape() as cinta:
        pass
    dw = cinta.gradient(perdida, w)
    w.assign_sub(0.1 * dw)


def _optimizador_sin_cinta():
    tf, keras = _tf(), _keras()
    w = tf.Variable(1.0)
    perdida = w ** 2
    with tf.GradientTape() as cinta:
        pass
    keras.optimizers.SGD(0.1).apply_gradients(zip(cinta.gradient(perdida, [w]), [w]))


def _asignar_gradiente_none():
    tf = _tf()
    w = tf.Variable(1.0)
    with tf.GradientTape() as cinta:
        pass
    w.assign_sub(cinta.gradient(w * 2.0, w))


def _reasignar_variable():
    tf = _tf()
    w = tf.Variable(1.0)
    w = w - 0.1  # deja de ser una variable
    w.assign_sub(0.1)


def _relu_con_max(x=np.array([-1.0, 2.0])):
    return max(0, x)


def _sin_return(x):
    x * 2


CASOS = [
    ("gradiente None por la pérdida fuera de la cinta", _paso_sin_cinta, "DENTRO del bloque"),
    ("optimizador sin gradientes", _optimizador_sin_cinta, "La cinta no dio gradientes"),
    ("assign_sub(None)", _asignar_gradiente_none, "La cinta no dio gradientes"),
    ("max de Python sobre un arreglo", _relu_con_max, "`np.maximum`"),
    ("max de Python sobre un tensor", lambda: max(0, _tf().constant([1.0, -1.0])), "`tf.maximum`"),
    ("lista [X, y] en vez de tupla (X, y)",
     lambda: _tf().data.Dataset.from_tensor_slices([np.zeros((10, 2)), np.zeros(10)]), "como tupla `(X, y)`"),
    ("función sin return", lambda: _sin_return(np.ones(2))[0], "¿le falta un `return`"),
    ("operar con el resultado de una función sin return", lambda: _sin_return(1.0) + 1, "¿le falta un `return`"),
    (".numpy() sobre un arreglo", lambda: np.zeros(3).numpy(), "ya es un arreglo"),
    ("assign_sub sobre un tensor", _reasignar_variable, "solo las variables"),
    ("float de un arreglo", lambda: float(np.array([1.0, 2.0])), "¿te falta reducirlo"),
    ("broadcasting imposible en NumPy", lambda: np.zeros((3, 2)) + np.zeros(3), "(3,2) y (3,)"),
    ("broadcasting imposible en TensorFlow", lambda: _tf().zeros((3, 2)) + _tf().zeros(3), "[3,2] y [3]"),
    ("matmul con formas que no encajan (TF)", lambda: _tf().ones((4, 3)) @ _tf().ones((4, 3)), "número de columnas"),
    ("matmul con formas que no encajan (NumPy)", lambda: np.ones((4, 3)) @ np.ones((4, 3)), "número de columnas"),
    ("matmul con vectores 1-D", lambda: _tf().linalg.matmul(_tf().constant([1.0]), _tf().constant([1.0])),
     "tf.tensordot(a, b, 1)"),
    ("reshape imposible (NumPy)", lambda: np.arange(12).reshape(5, 2), "número de elementos"),
    ("reshape imposible (TF)", lambda: _tf().reshape(_tf().range(12), (5, -1)), "número de elementos"),
    ("eje inexistente (NumPy)", lambda: np.mean(np.zeros(3), axis=1), "Ese eje no existe"),
    ("eje inexistente (TF)", lambda: _tf().reduce_mean(_tf().zeros(3), axis=1), "Ese eje no existe"),
    ("stack de formas distintas", lambda: _tf().stack([_tf().zeros(3), _tf().zeros(2)]), "`stack` exige"),
    ("concat por un eje que no existe", lambda: _tf().concat([_tf().zeros(3), _tf().zeros(3)], axis=1), "`tf.stack`"),
    ("método de NumPy en un tensor", lambda: _tf().constant([1, 2]).reshape((2, 1)), "`tf.reshape`"),
    ("squeeze de un eje que no es 1", lambda: _tf().squeeze(_tf().zeros((2, 3)), axis=1), "tamaño 1"),
    ("entrada de tamaño equivocado a una capa",
     lambda: _keras().Sequential([_keras().Input((784,)), _keras().layers.Dense(3)])(np.zeros((4, 100), np.float32)),
     "esperaba 784 valores"),
    ("categorical_crossentropy con etiquetas enteras",
     lambda: _keras().losses.categorical_crossentropy(np.array([0, 1]), np.ones((2, 3)) / 3),
     "sparse_categorical_crossentropy"),
    ("sumar int32 y float32", lambda: _tf().constant([1, 2]) + _tf().constant([1.0, 2.0]), "tf.cast"),
    ("one_hot con etiquetas decimales", lambda: _tf().one_hot(_tf().constant([0.0, 1.0]), 3), "esperaba enteros"),
    ("forma con decimales", lambda: _tf().ones((2.5, 3)), "esperaba enteros"),
    ("range con un decimal", lambda: range(2.0), "`int(...)`"),
    ("desempaquetar de menos", lambda: [a for a, b, c in [(1, 2)]], "Se esperaban 3 valores"),
    ("desempaquetar un número", lambda: [a for a, b in [1.0]], "devolvió un float"),
    ("faltan argumentos", lambda: _sin_return(), "A `_sin_return` le faltan argumentos"),
    ("shape de una lista", lambda: [1, 2].shape, "Una list de Python"),
    ("clave inexistente", lambda: {"unos": 1}["ceros"], "Falta la clave 'ceros'"),
    ("división por cero", lambda: 1 / 0, "División por cero"),
]


@pytest.mark.parametrize("descripcion, provocar, fragmento", CASOS, ids=[c[0] for c in CASOS])
def test_error_real_explicado(descripcion, provocar, fragmento):
    with pytest.raises(Exception) as info:
        provocar()
    tipo, texto = type(info.value).__name__, str(info.value)
    explicacion = mensajes.explicar(tipo, texto)
    assert explicacion is not None, f"{descripcion}: sin explicación para {tipo}: {texto[:200]}"
    assert fragmento in explicacion, explicacion
    # El calificador da la misma frase, sin el texto en inglés de la excepción.
    assert puntuacion.mensaje_de_error(tipo, texto) == explicacion
    primera = texto.splitlines()[0]
    assert len(primera) < 30 or primera not in explicacion


def test_error_desconocido_tiene_frase_en_espanol_que_lo_cita():
    try:
        "a" + 1
    except TypeError as e:
        frase = puntuacion.mensaje_de_error(type(e).__name__, str(e))
    assert frase.startswith("Tu código lanzó un error de Python (TypeError)")
    assert "can only concatenate str" in frase and "en qué línea" in frase


def test_sin_resolver_y_fallos():
    from curso import comprobar

    with pytest.raises(NotImplementedError) as info:
        comprobar.sin_resolver()
    assert mensajes.explicar(type(info.value).__name__, str(info.value)) == "Todavía no has resuelto este ejercicio."
    assert "sin responder" in puntuacion.mensaje_de_error(type(info.value).__name__, str(info.value))
    with pytest.raises(AssertionError) as fallo:
        comprobar.forma(np.zeros(2), (3,), "v")
    assert puntuacion.mensaje_de_error(type(fallo.value).__name__, str(fallo.value)) == str(fallo.value)
