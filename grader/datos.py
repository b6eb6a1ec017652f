"""Cargador único de los conjuntos de datos del curso.

Busca cada archivo en ``data/`` del repositorio y comprueba su sha256 (lista en
``data/SHA256SUMS``). Solo en Google Colab, cuando el archivo no está, lo obtiene de Keras
(que lo descarga); en cualquier otro sitio falla con un mensaje que dice qué falta.
"""
from __future__ import annotations

import hashlib
import sys
from functools import lru_cache
from pathlib import Path

from grader import config

DIR_DATOS = config.RAIZ / config.DIR_DATOS

# nombre -> (archivo en data/, función de Keras que lo descarga en Colab o None)
CONJUNTOS = {
    "mnist": ("mnist.npz", "mnist"),
    "fashion_mnist": ("fashion_mnist.npz", "fashion_mnist"),
    "colores_fuente": ("light_dark_font_training_set.csv", None),
}


class DatosNoEncontrados(FileNotFoundError):
    """El archivo de datos no está en ``data/`` y no se puede obtener aquí."""


def en_colab() -> bool:
    """True si el código corre dentro de Google Colab."""
    return "google.colab" in sys.modules


@lru_cache(maxsize=None)
def sumas_esperadas() -> dict[str, str]:
    """sha256 esperado de cada archivo de ``data/``, leído de ``data/SHA256SUMS``."""
    sumas = {}
    for linea in (DIR_DATOS / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        if linea.strip():
            suma, nombre = linea.split(maxsplit=1)
            sumas[nombre.strip()] = suma
    return sumas


def sha256(ruta: Path) -> str:
    """Suma sha256 de un archivo, leído por bloques."""
    h = hashlib.sha256()
    with open(ruta, "rb") as f:
        for bloque in iter(lambda: f.read(1 << 20), b""):
            h.update(bloque)
    return h.hexdigest()


@lru_cache(maxsize=None)
def ruta_verificada(archivo: str) -> Path:
    """Ruta de ``data/<archivo>`` tras comprobar que existe y que su sha256 es el esperado."""
    ruta = DIR_DATOS / archivo
    if not ruta.is_file():
        raise DatosNoEncontrados(
            f"No encuentro `{ruta}`. Los datos del curso viven en la carpeta `data/` del repositorio: "
            "clona el curso completo (no solo el cuaderno)."
        )
    esperada = sumas_esperadas().get(archivo)
    if esperada is None:
        raise DatosNoEncontrados(f"`{archivo}` no figura en data/SHA256SUMS.")
    if sha256(ruta) != esperada:
        raise DatosNoEncontrados(
            f"`{ruta}` está dañado o fue modificado (su sha256 no coincide con data/SHA256SUMS). "
            "Recupéralo con `git checkout -- data/`."
        )
    return ruta


def _desde_keras(nombre_keras: str):
    import keras

    return getattr(keras.datasets, nombre_keras).load_data()


def cargar(nombre: str):
    """Carga un conjunto de datos por nombre.

    - ``"mnist"`` y ``"fashion_mnist"``: ``((x_train, y_train), (x_test, y_test))`` como en Keras,
      imágenes ``uint8`` de forma ``(n, 28, 28)`` y etiquetas ``uint8`` de forma ``(n,)``.
    - ``"colores_fuente"``: ``pandas.DataFrame`` con columnas ``RED, GREEN, BLUE,
      LIGHT_OR_DARK_FONT_IND`` (1 = fuente oscura sobre fondo claro, 0 = fuente clara).
    """
    if nombre not in CONJUNTOS:
        raise KeyError(f"No conozco el conjunto `{nombre}`. Disponibles: {', '.join(CONJUNTOS)}.")
    archivo, nombre_keras = CONJUNTOS[nombre]
    try:
        ruta = ruta_verificada(archivo)
    except DatosNoEncontrados:
        if en_colab() and nombre_keras is not None:
            return _desde_keras(nombre_keras)
        raise
    if ruta.suffix == ".npz":
        import numpy as np

        with np.load(ruta) as d:
            return (d["x_train"], d["y_train"]), (d["x_test"], d["y_test"])
    import pandas as pd

    return pd.read_csv(ruta)
