"""Leer una entrega que no es de fiar: solo un archivo normal, sin seguir enlaces, de tamaño y anidamiento
acotados, y con un mensaje en español (para el alumno) de por qué no se pudo leer.

Lo usan el motor (al calificar) y las órdenes del alumno (``comparar``, ``autoevaluar``).
"""
from __future__ import annotations

import ast
import json
import os
import stat
from pathlib import Path

import nbformat

from curso import config
from grader.nucleo.limites import tamano


class EntregaInvalida(ValueError):
    """La entrega no se puede leer como cuaderno; el mensaje (en español) dice por qué."""


class EntregaNoRegular(EntregaInvalida):
    """Donde va la entrega hay algo que no es un archivo normal (carpeta, enlace, tubería…): no se abre."""


PROFUNDIDAD_MAX_JSON = 100
"""Anidamiento máximo del JSON de una entrega (un cuaderno real no pasa de una decena de niveles)."""


_PROFUNDO = object()  # json.loads agotó la pila


def que_es(modo: int) -> str:
    """Lo que es una entrada del sistema de archivos, en español («una carpeta», «un enlace simbólico»…)."""
    if stat.S_ISDIR(modo):
        return "una carpeta"
    if stat.S_ISLNK(modo):
        return "un enlace simbólico"
    if stat.S_ISFIFO(modo):
        return "una tubería (FIFO)"
    if stat.S_ISSOCK(modo):
        return "un socket"
    if stat.S_ISCHR(modo) or stat.S_ISBLK(modo):
        return "un dispositivo"
    return "algo que no es un archivo normal"


def no_es_archivo_normal(ruta: Path, lo_encontrado: str) -> str:
    """Mensaje para el alumno: donde iba su cuaderno hay ``lo_encontrado``, que no se abrió."""
    return (f"«{ruta.name}» no es un archivo normal: es {lo_encontrado}, y el calificador no lo abre ni lo sigue. "
            "Entrega el cuaderno (.ipynb) como un archivo normal dentro de tu carpeta.")


def leer_bytes_seguro(ruta: Path, maximo: int = config.ENTREGA_MAX_BYTES) -> bytes:
    """Los bytes de ``ruta`` solo si es un archivo normal (no un enlace, carpeta, tubería…) de como mucho
    ``maximo`` bytes; si no, lanza ``EntregaNoRegular`` o ``EntregaInvalida`` (sin abrir lo que no es un archivo)."""
    try:
        antes = os.lstat(ruta)
    except FileNotFoundError:
        raise EntregaInvalida(f"No se encontró el archivo {ruta.name}.") from None
    if not stat.S_ISREG(antes.st_mode):
        raise EntregaNoRegular(no_es_archivo_normal(ruta, que_es(antes.st_mode)))
    if antes.st_size > maximo:
        raise EntregaInvalida(_demasiado_grande(ruta, antes.st_size, maximo))
    banderas = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(ruta, banderas)
    except OSError as e:  # cambió entre lstat y open (p. ej. ahora es un enlace: ELOOP)
        raise EntregaNoRegular(no_es_archivo_normal(ruta, f"algo que no se pudo abrir como archivo ({e.strerror})"))
    with os.fdopen(fd, "rb") as f:
        ahora = os.fstat(f.fileno())
        if not stat.S_ISREG(ahora.st_mode) or (ahora.st_dev, ahora.st_ino) != (antes.st_dev, antes.st_ino):
            raise EntregaNoRegular(no_es_archivo_normal(ruta, "algo que cambió mientras se abría"))
        datos = f.read(maximo + 1)
    if len(datos) > maximo:
        raise EntregaInvalida(_demasiado_grande(ruta, len(datos), maximo))
    return datos


def _demasiado_grande(ruta: Path, tam: int, maximo: int) -> str:
    return (f"{ruta.name} ocupa {tamano(tam)} o más: el calificador no lee entregas de más de {tamano(maximo)}. "
            "Borra las salidas del cuaderno (menú Editar → Borrar las salidas) y entrégalo de nuevo.")


def profundidad(valor) -> int:
    """Niveles de anidamiento de un valor JSON (sin recursión: no se agota la pila con una entrega hostil)."""
    maxima, pila = 0, [(valor, 1)]
    while pila:
        actual, nivel = pila.pop()
        if isinstance(actual, dict | list):
            maxima = max(maxima, nivel)
            hijos = actual.values() if isinstance(actual, dict) else actual
            pila.extend((h, nivel + 1) for h in hijos if isinstance(h, dict | list))
    return maxima


def leer_entrega(ruta: Path):
    """Lee una entrega como cuaderno nbformat 4, o lanza EntregaInvalida (EntregaNoRegular si no es un archivo
    normal) con un mensaje claro. Nunca sigue enlaces ni abre carpetas, tuberías o dispositivos."""
    datos = leer_bytes_seguro(ruta)
    if not datos.strip():
        raise EntregaInvalida(f"El archivo {ruta.name} está vacío.")
    try:
        texto = datos.decode("utf-8-sig")  # un BOM al principio (algunos editores de Windows) no lo estropea
    except UnicodeDecodeError:
        raise EntregaInvalida(f"{ruta.name} no es un cuaderno de Jupyter: no es un archivo de texto (UTF-8).") from None
    try:
        bruto = json.loads(texto)
    except RecursionError:
        bruto = _PROFUNDO
    except json.JSONDecodeError as e:
        if _es_script(texto):
            raise EntregaInvalida(
                f"{ruta.name} es un script de Python (código en texto plano), no un cuaderno de Jupyter: "
                "se guardó con la extensión .ipynb. Abre tu cuaderno en Jupyter o Colab y descárgalo como "
                "cuaderno (.ipynb), no como archivo .py, y entrégalo de nuevo."
            ) from None
        raise EntregaInvalida(
            f"{ruta.name} está dañado: no es JSON válido (línea {e.lineno}, columna {e.colno}). "
            "Vuelve a descargar el cuaderno desde Jupyter o Colab y entrégalo de nuevo."
        ) from None
    if bruto is _PROFUNDO or profundidad(bruto) > PROFUNDIDAD_MAX_JSON:
        raise EntregaInvalida(f"{ruta.name} es JSON anidado a más de {PROFUNDIDAD_MAX_JSON} niveles: no es un "
                              "cuaderno de Jupyter normal. Vuelve a descargarlo desde Jupyter o Colab.")
    if not isinstance(bruto, dict) or not isinstance(bruto.get("cells", bruto.get("worksheets")), list):
        raise EntregaInvalida(f"{ruta.name} es JSON pero no es un cuaderno de Jupyter (no tiene celdas).")
    try:
        nb = nbformat.reads(texto, as_version=4)
    except Exception as e:  # nbformat lanza varios tipos según la versión del archivo
        raise EntregaInvalida(f"{ruta.name} no es un cuaderno de Jupyter válido: {e}") from None
    try:  # nbformat.reads solo anota en su registro lo que no cumple el esquema (p. ej. un «source» que no es texto)
        nbformat.validate(nb, relax_add_props=True)
    except nbformat.ValidationError as e:
        raise EntregaInvalida(f"{ruta.name} no es un cuaderno de Jupyter válido: {_donde(e)} no tiene el formato de "
                              "Jupyter. Vuelve a descargar el cuaderno desde Jupyter o Colab y entrégalo de nuevo."
                              ) from None
    return nb


def _donde(error) -> str:
    """La parte del cuaderno que no cumple el esquema de nbformat («la celda 5» o «su estructura»)."""
    ruta = list(error.absolute_path)
    if len(ruta) >= 2 and ruta[0] == "cells" and isinstance(ruta[1], int):
        return f"la celda {ruta[1] + 1}"
    return "su estructura"


def _es_script(texto: str) -> bool:
    """True si el texto es código Python (p. ej. un .py exportado de Jupyter o Colab) y no JSON."""
    if texto.lstrip().startswith(("{", "[")):
        return False
    try:
        ast.parse(texto)
    except (SyntaxError, ValueError):
        return "# %%" in texto or "# In[" in texto
    return True
