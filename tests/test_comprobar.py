"""Las comprobaciones dicen qué se esperaba en español y no se dejan engañar por sustituciones."""
from __future__ import annotations

import builtins
import importlib
import sys

import numpy as np
import pytest

from grader.nucleo import celdas


@pytest.fixture()
def comprobar():
    sys.modules.pop("curso.comprobar", None)
    import curso.comprobar as modulo
    yield modulo
    sys.modules.pop("curso.comprobar", None)
    importlib.import_module("curso.comprobar")


def test_mensajes(comprobar):
    with pytest.raises(AssertionError, match=r"`t` debe tener forma \(2, 3\), pero tiene forma \(3, 2\)"):
        comprobar.forma(np.zeros((3, 2)), (2, 3), "t")
    with pytest.raises(AssertionError, match="`t` debe tener tipo de dato float32, pero tiene float64"):
        comprobar.tipo_dato(np.zeros(2), "float32", "t")
    with pytest.raises(AssertionError, match=r"en la posición \(1,\) vale 5 y se esperaba 2"):
        comprobar.cercano([1.0, 5.0], [1.0, 2.0], "v")
    with pytest.raises(AssertionError, match="`n` vale 3, pero se esperaba 4"):
        comprobar.igual(3, 4, "n")
    with pytest.raises(AssertionError, match="debe ser de tipo int, pero es de tipo str"):
        comprobar.tipo("3", int, "n")
    with pytest.raises(AssertionError, match="no finitos"):
        comprobar.cercano([np.nan], [1.0], "v")
    comprobar.cercano(np.float32(0.1), 0.1, "x")
    comprobar.entre(0.5, 0, 1, "p")


def test_acepta_tensores(comprobar):
    import tensorflow as tf

    t = tf.ones((2, 3))
    comprobar.es_tensor(t, "t")
    comprobar.forma(t, (2, 3), "t")
    comprobar.tipo_dato(t, "float32", "t")
    with pytest.raises(AssertionError, match="debe ser un tensor de TensorFlow, pero es de tipo ndarray"):
        comprobar.es_tensor(np.ones(2), "a")


@pytest.mark.parametrize("modulo, nombre, falsa", [
    (np.testing, "assert_allclose", lambda *a, **k: None),
    (np, "allclose", lambda *a, **k: True),
    (np, "array_equal", lambda *a, **k: True),
    (builtins, "hasattr", lambda o, n, _real=hasattr: _real(o, n)),  # se comporta igual, pero no es la original
])
def test_detecta_sustituciones(comprobar, monkeypatch, modulo, nombre, falsa):
    monkeypatch.setattr(modulo, nombre, falsa)
    with pytest.raises(comprobar.ManipulacionDetectada, match="fue reemplazada"):
        comprobar.igual(1, 1, "x")


def test_detecta_sustitucion_de_sus_funciones_y_la_reimportacion_la_repara(comprobar):
    comprobar.cercano = lambda *a, **k: None
    with pytest.raises(comprobar.ManipulacionDetectada, match="comprobar.cercano"):
        comprobar.igual(1, 1, "x")
    espacio = {}
    exec(celdas.REIMPORTAR_COMPROBAR, espacio)
    with pytest.raises(AssertionError, match="se esperaba 2"):
        espacio["comprobar"].cercano(1.0, 2.0, "x")


def test_listo_imprime_exactamente_lo_comprobado(comprobar, capsys):
    comprobar.forma(np.zeros((2, 3)), (2, 3), "t")
    comprobar.verdadero(True, "nunca se ve", que="que `t` no tiene negativos")
    comprobar.listo()
    salida = capsys.readouterr().out
    assert salida.startswith("✔ Comprobado aquí: la forma de `t`; que `t` no tiene negativos.")
    assert "Esto no es la nota" in salida and "Correcto" not in salida
    comprobar.listo(ademas="otros tamaños")
    assert "nada todavía" in capsys.readouterr().out  # la lista se vacía tras cada listo()
    comprobar.igual(1, 1, "n")
    comprobar.listo(ademas="otros tamaños y valores extremos")
    assert "al calificar se comprueban además otros tamaños y valores extremos." in capsys.readouterr().out


def test_definida_distingue_sin_resolver(comprobar):
    comprobar.definida("lr", {"lr": 0.1})
    with pytest.raises(NotImplementedError, match="`lr` no está definida: todavía no has resuelto"):
        comprobar.definida("lr", {})
