"""Datos del curso: sin red, con sumas de comprobación, licencias documentadas y convenciones verificadas."""
from __future__ import annotations

import socket

import numpy as np
import pytest

from grader import datos

CONTEO_MNIST_TRAIN = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@pytest.fixture(autouse=True)
def sin_red(monkeypatch):
    def prohibido(*a, **k):
        raise OSError("red prohibida en las pruebas")
    monkeypatch.setattr(socket.socket, "connect", prohibido)


def test_sumas_y_readme():
    readme = (datos.DIR_DATOS / "README.md").read_text()
    for archivo, suma in datos.sumas_esperadas().items():
        assert datos.sha256(datos.DIR_DATOS / archivo) == suma
        assert archivo in readme and suma in readme
    for licencia in ("CC BY-SA 3.0", "MIT", "Apache"):
        assert licencia in readme


def test_mnist():
    (x_train, y_train), (x_test, y_test) = datos.cargar("mnist")
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(y_train).tolist() == CONTEO_MNIST_TRAIN


def test_fashion_mnist():
    (x_train, y_train), _ = datos.cargar("fashion_mnist")
    assert x_train.shape == (60000, 28, 28) and np.bincount(y_train).tolist() == [6000] * 10


def test_colores_fuente_convencion_de_etiquetas():
    df = datos.cargar("colores_fuente")
    assert list(df.columns) == ["RED", "GREEN", "BLUE", "LIGHT_OR_DARK_FONT_IND"] and len(df) == 1345
    etiqueta = lambda r, g, b: set(df[(df.RED == r) & (df.GREEN == g) & (df.BLUE == b)].LIGHT_OR_DARK_FONT_IND)
    assert etiqueta(255, 255, 255) == {1}  # fondo blanco -> fuente oscura
    assert etiqueta(0, 0, 0) == {0}        # fondo negro -> fuente clara


def test_archivo_danado_da_mensaje_claro(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").write_bytes(b"no es un npz")
    (tmp_path / "SHA256SUMS").write_text((datos.DIR_DATOS / "SHA256SUMS").read_text())
    monkeypatch.setattr(datos, "DIR_DATOS", tmp_path)
    datos.ruta_verificada.cache_clear()
    datos.sumas_esperadas.cache_clear()
    try:
        with pytest.raises(datos.DatosNoEncontrados, match="dañado"):
            datos.cargar("mnist")
        with pytest.raises(datos.DatosNoEncontrados, match="No encuentro"):
            datos.cargar("fashion_mnist")
    finally:
        datos.ruta_verificada.cache_clear()
        datos.sumas_esperadas.cache_clear()


def test_conjunto_desconocido():
    with pytest.raises(KeyError, match="No conozco el conjunto"):
        datos.cargar("cifar10")
