"""Datos del curso: sin red, con sumas de comprobación, licencias documentadas y convenciones verificadas."""
from __future__ import annotations

import socket

import numpy as np
import pytest

from curso import config, datos

DATOS_DEL_REPO = config.RAIZ / config.DIR_DATOS
CONTEO_MNIST_TRAIN = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


_CONECTAR_ORIGINAL = socket.socket.connect


@pytest.fixture(autouse=True)
def sin_red(monkeypatch):
    def solo_local(sock, direccion, *a, **k):
        if not (isinstance(direccion, tuple) and direccion[0] == "127.0.0.1"):
            raise OSError("red prohibida en las pruebas")
        return _CONECTAR_ORIGINAL(sock, direccion, *a, **k)
    monkeypatch.setattr(socket.socket, "connect", solo_local)


def test_sumas_y_readme():
    carpeta = config.RAIZ / config.DIR_DATOS
    readme = (carpeta / "README.md").read_text()
    lineas = {f"{c.sha256}  {c.archivo}" for c in datos.CONJUNTOS.values()}
    assert set((carpeta / "SHA256SUMS").read_text().splitlines()) == lineas, "SHA256SUMS no coincide con curso/datos.py"
    for c in datos.CONJUNTOS.values():
        assert datos.sha256(carpeta / c.archivo) == c.sha256
        assert c.archivo in readme and c.sha256 in readme
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

    def etiqueta(r, g, b):
        return set(df[(df.RED == r) & (df.GREEN == g) & (df.BLUE == b)].LIGHT_OR_DARK_FONT_IND)

    assert etiqueta(255, 255, 255) == {1}  # fondo blanco -> fuente oscura
    assert etiqueta(0, 0, 0) == {0}        # fondo negro -> fuente clara


@pytest.fixture()
def sin_datos_locales(tmp_path, monkeypatch):
    """Ninguna copia local de data/: solo la caché (vacía) de ``tmp_path``."""
    monkeypatch.setattr(config, "RAIZ", tmp_path / "sin_curso")
    monkeypatch.delenv(config.VAR_RAIZ, raising=False)
    monkeypatch.delenv(config.VAR_DATOS, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    datos._verificada.cache_clear()
    yield tmp_path
    datos._verificada.cache_clear()


def test_archivo_danado_da_mensaje_claro(sin_datos_locales, monkeypatch):
    propia = sin_datos_locales / "propia"
    propia.mkdir()
    (propia / "mnist.npz").write_bytes(b"no es un npz")
    monkeypatch.setenv(config.VAR_DATOS, str(propia))
    with pytest.raises(datos.DatosNoEncontrados, match="dañado"):
        datos.cargar("mnist")


def test_sin_datos_ni_direccion_dice_que_configurar(sin_datos_locales, monkeypatch):
    monkeypatch.setattr(config, "REPO_URL", "")
    monkeypatch.delenv(config.VAR_URL_DATOS, raising=False)
    with pytest.raises(datos.DatosNoEncontrados, match="REPO_URL"):
        datos.cargar("colores_fuente")


def test_descarga_a_la_cache_con_suma_comprobada(sin_datos_locales, monkeypatch):
    """Sin copia local, se descarga solo el archivo pedido (de un servidor en 127.0.0.1) y se comprueba."""
    import functools
    import http.server
    import threading

    servida = sin_datos_locales / "servida"
    servida.mkdir()
    (servida / "light_dark_font_training_set.csv").write_bytes(
        (DATOS_DEL_REPO / "light_dark_font_training_set.csv").read_bytes())
    (servida / "mnist.npz").write_bytes(b"contenido equivocado")
    manejador = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(servida))
    manejador.log_message = lambda *a: None
    servidor = http.server.ThreadingHTTPServer(("127.0.0.1", 0), manejador)
    threading.Thread(target=servidor.serve_forever, daemon=True).start()
    monkeypatch.setenv(config.VAR_URL_DATOS, f"http://127.0.0.1:{servidor.server_address[1]}")
    try:
        df = datos.cargar("colores_fuente")
        assert len(df) == 1345
        assert (datos.dir_cache() / "light_dark_font_training_set.csv").is_file()
        with pytest.raises(datos.DatosNoEncontrados, match="sha256"):
            datos.cargar("mnist")
        assert not (datos.dir_cache() / "mnist.npz").exists(), "una descarga equivocada no debe quedar en la caché"
        with pytest.raises(datos.DatosNoEncontrados) as error:  # no está en el servidor
            datos.cargar("fashion_mnist")
        assert "no existe (error 404)" in str(error.value) and "Not Found" not in str(error.value)
        assert error.value._render_traceback_() == [f"\x1b[31m✘ {error.value}\x1b[0m"]  # en el cuaderno, sin traza
    finally:
        servidor.shutdown()
        servidor.server_close()
    with pytest.raises(datos.DatosNoEncontrados, match="no se pudo conectar con el servidor"):  # ya no escucha
        datos.cargar("fashion_mnist")


def test_conjunto_desconocido():
    with pytest.raises(KeyError, match="No conozco el conjunto"):
        datos.cargar("cifar10")
