"""El bloqueo de dependencias: ``requirements.in`` (lo que se edita) → ``requirements.txt`` (versiones exactas).

``compilar`` genera el bloqueo con ``uv pip compile --universal``: una sola lista, con marcadores de
plataforma, válida en Linux, Windows y macOS (p. ej. ``tensorflow-cpu`` en Linux x86_64 y Windows,
``tensorflow`` en macOS y Linux ARM). Las versiones ya fijadas se conservan (uv las toma como preferencia).
``resolver`` comprueba que el bloqueo se instala en una plataforma: uv lo resuelve para ella solo con
ruedas (sin compilar nada) y no debe pedir nada que no esté en el bloqueo. Ambas consultan PyPI.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from curso import config

ARCHIVO_DIRECTAS = config.RAIZ / "requirements.in"
ORDEN_PARA_REGENERAR = "make bloquear"
# uv resuelve para otra versión de Python sin buscar ni descargar ese intérprete: usa este.
OPCIONES_UV = ["--no-python-downloads", "--python", sys.executable]


@dataclass(frozen=True)
class Plataforma:
    """Un sistema en el que se instala el curso: su «target triple» para uv y sus variables de marcador (PEP 508)."""

    triple: str
    marcadores: dict


# Plataformas en las que un alumno instala el curso en su ordenador.
PLATAFORMAS = {
    "Linux x86_64": Plataforma("x86_64-unknown-linux-gnu", config.PLATAFORMA_PROBADA),
    "Linux ARM64": Plataforma("aarch64-unknown-linux-gnu",
                              {**config.PLATAFORMA_PROBADA, "platform_machine": "aarch64"}),
    "Windows x86_64": Plataforma("x86_64-pc-windows-msvc", {"sys_platform": "win32", "platform_system": "Windows",
                                                            "platform_machine": "AMD64", "os_name": "nt"}),
    "macOS Apple Silicon": Plataforma("aarch64-apple-darwin", {"sys_platform": "darwin", "platform_system": "Darwin",
                                                               "platform_machine": "arm64", "os_name": "posix"}),
}
# Plataformas sin soporte local y por qué (se comprueban igual, para saber si dejan de serlo).
SIN_SOPORTE = {
    "macOS Intel": (Plataforma("x86_64-apple-darwin", {"sys_platform": "darwin", "platform_system": "Darwin",
                                                       "platform_machine": "x86_64", "os_name": "posix"}),
                    "TensorFlow no publica ruedas para macOS Intel desde la 2.17: esos alumnos usan Colab"),
}
# Versiones de Python con las que un alumno puede instalar el bloqueo (el curso se prueba con la primera).
VERSIONES_PYTHON = (config.VERSION_PYTHON, "3.12", "3.13")


@cache
def uv() -> str:
    """Ruta del ejecutable de uv (paquete ``uv`` del entorno)."""
    from uv import find_uv_bin

    return find_uv_bin()


def compilar(destino: Path = config.ARCHIVO_REQUISITOS, directas: Path = ARCHIVO_DIRECTAS) -> Path:
    """Escribe en ``destino`` el bloqueo de ``directas`` (si ``destino`` ya existe, conserva sus versiones)."""
    subprocess.run(
        [uv(), "pip", "compile", str(directas), *OPCIONES_UV, "--universal", "--python-version", config.VERSION_PYTHON,
         "--custom-compile-command", ORDEN_PARA_REGENERAR, "--annotation-style", "line", "--quiet",
         "--output-file", str(destino)],
        check=True, cwd=directas.parent,
    )
    return destino


def desfasado(requisitos: Path = config.ARCHIVO_REQUISITOS, directas: Path = ARCHIVO_DIRECTAS) -> bool:
    """True si ``requirements.txt`` no es lo que ``make bloquear`` generaría ahora desde ``requirements.in``."""
    with tempfile.TemporaryDirectory(prefix="bloqueo-") as tmp:
        copia = Path(tmp) / requisitos.name
        shutil.copy(requisitos, copia)
        compilar(copia, directas)
        return copia.read_text(encoding="utf-8") != requisitos.read_text(encoding="utf-8")


def fijadas(texto: str) -> set[tuple[str, str]]:
    """Pares (paquete normalizado, versión) de las líneas ``paquete==versión`` de un bloqueo (con o sin marcador)."""
    pares = set()
    for linea in texto.splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", linea)
        if m:
            pares.add((re.sub(r"[-_.]+", "-", m.group(1)).lower(), m.group(2)))
    return pares


@dataclass
class Resolucion:
    """Resultado de resolver el bloqueo para una plataforma y una versión de Python."""

    plataforma: str
    python: str
    ok: bool
    paquetes: int = 0
    motivo: str = ""  # por qué no se resuelve, o qué pide fuera del bloqueo


def resolver(triple: str, python: str, requisitos: Path = config.ARCHIVO_REQUISITOS) -> Resolucion:
    """Resuelve el bloqueo para ``triple`` (p. ej. ``aarch64-apple-darwin``) y Python ``python``, solo con ruedas."""
    r = subprocess.run(
        [uv(), "pip", "compile", str(requisitos), *OPCIONES_UV, "--python-platform", triple, "--python-version", python,
         "--only-binary", ":all:", "--no-header", "--no-annotate", "--quiet"],
        capture_output=True, text=True,
    )
    if r.returncode != 0:
        lineas = [l.strip() for l in r.stderr.splitlines() if l.strip()]
        causa = next((l.removeprefix("cause: ") for l in lineas if l.startswith("cause:")), " ".join(lineas))
        return Resolucion(triple, python, False, motivo=causa)
    resueltas = fijadas(r.stdout)
    fuera = sorted(f"{p}=={v}" for p, v in resueltas - fijadas(requisitos.read_text(encoding="utf-8")))
    if fuera:
        return Resolucion(triple, python, False, len(resueltas), "pide paquetes fuera del bloqueo: " + ", ".join(fuera))
    return Resolucion(triple, python, True, len(resueltas))


def informe() -> int:
    """Resuelve el bloqueo en cada plataforma y versión de Python e imprime una tabla. 1 si alguna soportada falla.

    Las resoluciones esperan sobre todo a la red: se lanzan a la vez.
    """
    casos = [(nombre, p.triple, python) for nombre, p in PLATAFORMAS.items() for python in VERSIONES_PYTHON]
    casos += [(nombre, p.triple, config.VERSION_PYTHON) for nombre, (p, _) in SIN_SOPORTE.items()]
    uv()  # una vez antes de los hilos (sysconfig no es seguro entre hilos la primera vez)
    with ThreadPoolExecutor(max_workers=8) as grupo:
        resultados = list(grupo.map(lambda caso: resolver(caso[1], caso[2]), casos))
    codigo = 0
    for (nombre, _, python), r in zip(casos, resultados):
        if nombre in SIN_SOPORTE:
            estado = ("ahora SÍ se instala: muévela a PLATAFORMAS en grader/mantenimiento/bloqueo.py" if r.ok
                      else f"sin soporte: {SIN_SOPORTE[nombre][1]} (uv: {r.motivo})")
        else:
            codigo |= not r.ok
            estado = f"se instala ({r.paquetes} paquetes)" if r.ok else f"NO SE INSTALA: {r.motivo}"
        print(f"{nombre:<20} Python {python:<5} {estado}")
    return codigo
