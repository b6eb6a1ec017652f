"""Cargador único de los conjuntos de datos del curso, con suma sha256 comprobada.

Cada archivo se busca, por este orden, en ``$CURSO_DATOS``, en ``data/`` del repositorio (clon o
instalación editable), en ``$CURSO_RAIZ/data`` y en la caché del usuario. Si no está en ninguno y hay
dirección de descarga (``config.url_datos()``: la variable CURSO_URL_DATOS o la del repositorio), se
descarga **solo ese archivo** a la caché. Siempre se comprueba su sha256 antes de usarlo.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from curso import config


@dataclass(frozen=True)
class Conjunto:
    """Un archivo de ``data/`` y su suma sha256 (la lista de ``data/SHA256SUMS`` sale de aquí)."""

    archivo: str
    sha256: str
    descripcion: str


CONJUNTOS = {
    "mnist": Conjunto("mnist.npz", "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64",
                      "dígitos manuscritos 28x28 (CC BY-SA 3.0)"),
    "fashion_mnist": Conjunto("fashion_mnist.npz",
                              "5b6d2c4c694a91887af8ab7d039c04f80af3c29378d731c93a538d2e831aa469",
                              "prendas de ropa 28x28 (MIT, Zalando)"),
    "colores_fuente": Conjunto("light_dark_font_training_set.csv",
                               "723f4e252467aa682bf76b6693a9af8cc3bfbcd324e82d3d3256a14f36d9130d",
                               "color de fondo RGB -> fuente clara u oscura (Apache 2.0, Thomas Nield)"),
}


class DatosNoEncontrados(FileNotFoundError):
    """El archivo de datos no está, está dañado o no se pudo descargar; el mensaje dice qué hacer. En el
    cuaderno se muestra solo el mensaje, sin traza."""

    def _render_traceback_(self) -> list[str]:  # IPython lo usa en lugar de la traza
        return [f"\x1b[31m✘ {self}\x1b[0m"]


def _motivo(error: OSError) -> str:
    """Por qué falló una descarga, en español (los errores de red de Python vienen en inglés)."""
    if isinstance(error, urllib.error.HTTPError):
        if error.code == 404:
            return "el servidor dice que no existe (error 404): la dirección de los datos no es la correcta"
        return f"el servidor respondió con el error {error.code}"
    if isinstance(error, TimeoutError) or isinstance(getattr(error, "reason", None), TimeoutError):
        return "la conexión tardó demasiado"
    if isinstance(error, urllib.error.URLError):
        return "no se pudo conectar con el servidor (¿hay conexión a Internet?)"
    return f"error al guardar o recibir el archivo ({error.strerror or type(error).__name__})"


def en_colab() -> bool:
    """True si el código corre dentro de Google Colab."""
    return "google.colab" in sys.modules


def dir_cache() -> Path:
    """Carpeta donde se guardan los datos descargados."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / config.PAQUETE_ALUMNO


def carpetas_candidatas() -> list[Path]:
    """Carpetas donde se busca un archivo de datos, en orden."""
    candidatas = [os.environ.get(config.VAR_DATOS, ""), config.RAIZ / config.DIR_DATOS]
    if os.environ.get(config.VAR_RAIZ):
        candidatas.append(Path(os.environ[config.VAR_RAIZ]) / config.DIR_DATOS)
    candidatas.append(dir_cache())
    return [Path(c) for c in dict.fromkeys(map(str, candidatas)) if c]


def sha256(ruta: Path) -> str:
    """Suma sha256 de un archivo, leído por bloques."""
    h = hashlib.sha256()
    with open(ruta, "rb") as f:
        for bloque in iter(lambda: f.read(1 << 20), b""):
            h.update(bloque)
    return h.hexdigest()


def _descargar(conjunto: Conjunto) -> Path:
    """Descarga un archivo de datos a la caché y comprueba su sha256 (lo borra si no coincide)."""
    base = config.url_datos()
    if not base:
        raise DatosNoEncontrados(
            f"No encuentro `{conjunto.archivo}` y no hay dirección desde la que descargarlo. Trabaja desde un "
            "clon completo del curso (con su carpeta data/) o pide al instructor que configure REPO_URL en "
            f"curso/config.py (o define la variable {config.VAR_URL_DATOS})."
        )
    destino = dir_cache() / conjunto.archivo
    destino.parent.mkdir(parents=True, exist_ok=True)
    url = f"{base}/{conjunto.archivo}"
    print(f"Descargando {conjunto.archivo} ({conjunto.descripcion}) desde {url} …", flush=True)
    with tempfile.NamedTemporaryFile(dir=destino.parent, delete=False, suffix=".parcial") as tmp:
        try:
            with urllib.request.urlopen(url, timeout=60) as respuesta:
                for bloque in iter(lambda: respuesta.read(1 << 20), b""):
                    tmp.write(bloque)
        except OSError as e:
            Path(tmp.name).unlink(missing_ok=True)
            raise DatosNoEncontrados(f"No se pudo descargar {url}: {_motivo(e)}. Comprueba la conexión y vuelve "
                                     "a ejecutar la celda; si se repite, avisa al instructor.") from None
    obtenida = sha256(Path(tmp.name))
    if obtenida != conjunto.sha256:
        Path(tmp.name).unlink(missing_ok=True)
        raise DatosNoEncontrados(
            f"La descarga de `{conjunto.archivo}` no es la esperada: su sha256 es {obtenida[:12]}… y debía ser "
            f"{conjunto.sha256[:12]}…. No se ha guardado. Puede ser una descarga cortada o una dirección "
            "equivocada: vuelve a intentarlo y, si se repite, avisa al instructor."
        )
    os.replace(tmp.name, destino)
    return destino


@lru_cache(maxsize=None)
def _verificada(ruta: Path, esperada: str) -> bool:
    return sha256(ruta) == esperada


def ruta_verificada(nombre: str) -> Path:
    """Ruta local de un conjunto tras comprobar su sha256 (lo descarga si hace falta y se puede)."""
    conjunto = CONJUNTOS[nombre]
    for carpeta in carpetas_candidatas():
        ruta = carpeta / conjunto.archivo
        if ruta.is_file():
            if not _verificada(ruta, conjunto.sha256):
                raise DatosNoEncontrados(
                    f"`{ruta}` está dañado o fue modificado (su sha256 no es el esperado). Recupéralo con "
                    "`git checkout -- data/` o bórralo para que se descargue de nuevo."
                )
            return ruta
    return _descargar(conjunto)


def cargar(nombre: str):
    """Carga un conjunto de datos por nombre.

    - ``"mnist"`` y ``"fashion_mnist"``: ``((x_train, y_train), (x_test, y_test))`` como en Keras,
      imágenes ``uint8`` de forma ``(n, 28, 28)`` y etiquetas ``uint8`` de forma ``(n,)``.
    - ``"colores_fuente"``: ``pandas.DataFrame`` con columnas ``RED, GREEN, BLUE,
      LIGHT_OR_DARK_FONT_IND`` (1 = fuente oscura sobre fondo claro, 0 = fuente clara).
    """
    if nombre not in CONJUNTOS:
        raise KeyError(f"No conozco el conjunto `{nombre}`. Disponibles: {', '.join(CONJUNTOS)}.")
    ruta = ruta_verificada(nombre)
    if ruta.suffix == ".npz":
        import numpy as np

        with np.load(ruta) as d:
            return (d["x_train"], d["y_train"]), (d["x_test"], d["y_test"])
    import pandas as pd

    return pd.read_csv(ruta)
