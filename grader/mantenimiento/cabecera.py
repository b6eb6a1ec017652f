"""Las celdas generadas con las que empieza cada cuaderno, desde una sola plantilla cada una.

- «Cómo trabajar» (Markdown): insignia «Abrir en Colab», tiempo estimado, ejercicios y puntos, y qué
  significan las marcas de las celdas. Se deriva del propio cuaderno y de ``config``.
- La cabecera (código): corta, porque la lógica vive en el paquete del alumno (``curso``). Si el paquete
  no está instalado (Colab, o un entorno sin el curso), lo instala desde ``config.REPO_URL`` (las direcciones
  salen de ``config.direcciones``); si no se puede, lo dice en español, sin traza ni salida de pip. Plegada con
  un título en Colab (``#@title``) y en JupyterLab.

``aplicar`` las escribe justo antes de la primera celda de código; ``desactualizados`` lista las fuentes
que no las tienen al día. ``escribir_versiones`` genera ``curso/versiones.py`` desde requirements.txt
(las versiones con las que se probó el curso).
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from curso import config
from grader.mantenimiento import cierre
from grader.nucleo import celdas
from grader.nucleo.celdas import es_cabecera

MARCA_COMO_TRABAJAR = "<!-- COMO_TRABAJAR (generada por `python -m grader cabeceras`; no la edites) -->"
# Tiempo estimado de un cuaderno (`minutos_estimados`), para un alumno que lo trabaja con cuidado:
PALABRAS_POR_MINUTO = 110         # lectura atenta de un texto técnico con fórmulas
LINEAS_DE_CODIGO_POR_MINUTO = 12  # leer una celda de enseñanza, ejecutarla y mirar su salida
MINUTOS_POR_CELDA_LARGA = 1       # esperar a una celda # OMITIR_AL_CALIFICAR (un entrenamiento) y mirar sus curvas
MINUTOS_POR_PUNTO = 6             # ejercicios: un ejercicio de 2 puntos ≈ 12 min (enunciado, pistas, intentos)

PLANTILLA = '''\
{titulo}
{marca} · generada por `python -m grader cabeceras`; no la edites
import importlib.util, subprocess, sys
if importlib.util.find_spec("curso") is None{instalar}:  # p. ej. en Colab: instala el paquete del curso
    raise {excepcion}({mensaje!r})
from curso import cargar_datos, comprobar, preparar, sin_resolver; preparar()'''
# Si falla, la celda muestra solo la frase en español (``_render_traceback_``: sin traza) y nada de pip (en inglés).
EXCEPCION = 'type("CursoNoInstalado", (Exception,), {"_render_traceback_": lambda e: [f"\\x1b[31m✘ {e}\\x1b[0m"]})'
SIN_REPO_URL = ("Falta el paquete del curso (`curso`) en este entorno. En tu computadora, instálalo desde la carpeta "
                "del curso: `make lab`, o `pip install -e .` con el entorno activado (con conda, "
                "`conda env create -f environment.yml`). Para abrir los cuadernos en Colab, el instructor debe "
                "configurar REPO_URL en curso/config.py.")
NO_SE_INSTALO = ("No se pudo instalar el paquete del curso desde {repositorio}. Comprueba la conexión a Internet y "
                 "vuelve a ejecutar esta celda; si se repite, avisa al instructor: puede que la dirección del "
                 "repositorio esté mal o que el repositorio no sea público.")

ARCHIVO_VERSIONES = config.RAIZ / "curso" / "versiones.py"


def orden_instalar(repo_url: str = config.REPO_URL) -> str:
    """La condición que instala el paquete del alumno con pip, sin mostrar nada («» sin ``repo_url``).

    ``ValueError`` (en español) si ``repo_url`` no es una dirección de la que salgan la instalación y los datos:
    así ``make cabeceras`` se niega a escribirla."""
    direcciones = config.direcciones(repo_url)
    if direcciones is None:
        return ""
    # pip por subprocess y no %pip: %pip añade un aviso en inglés («you may need to restart the kernel») que aquí
    # no aplica (el paquete se importa por primera vez justo después); su salida, también en inglés, no se muestra.
    return (f' and subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{direcciones.instalar}"], '
            'capture_output=True).returncode')


def mensaje_si_falla(repo_url: str = config.REPO_URL) -> str:
    """Lo que dice la cabecera si el paquete del curso no está y no se pudo instalar."""
    direcciones = config.direcciones(repo_url)
    return NO_SE_INSTALO.format(repositorio=direcciones.repositorio) if direcciones else SIN_REPO_URL


def codigo(repo_url: str = config.REPO_URL) -> str:
    """Código de la cabecera tal como debe aparecer en los cuadernos."""
    return PLANTILLA.format(titulo=celdas.TITULO_CABECERA, marca=celdas.MARCA_CABECERA,
                            instalar=orden_instalar(repo_url), excepcion=EXCEPCION, mensaje=mensaje_si_falla(repo_url))


def duracion(minutos: int) -> str:
    """«45 min», «2 h», «3 h 15 min»."""
    if minutos < 60:
        return f"{minutos} min"
    return f"{minutos // 60} h" + (f" {minutos % 60} min" if minutos % 60 else "")


def es_como_trabajar(celda) -> bool:
    return celda.cell_type == "markdown" and celda.source.startswith(MARCA_COMO_TRABAJAR)


def insignia_colab(tarea: str) -> str:
    """Insignia «Abrir en Colab» de la versión del alumno ("" sin REPO_URL: el alumno no ve tareas del instructor)."""
    direcciones = config.direcciones()
    if direcciones is None or not direcciones.colab:
        return ""
    destino = f"{direcciones.colab}/{config.DIR_PUBLICADOS}/{tarea}/{tarea}.ipynb"
    return f"[![Abrir en Colab](https://colab.research.google.com/assets/colab-badge.svg)]({destino})"


def _puntos(n: int) -> str:
    return f"{n} punto" if n == 1 else f"{n} puntos"


def minutos_estimados(nb) -> int:
    """Minutos que necesita un alumno cuidadoso (múltiplo de 15): leer el texto y el código de enseñanza
    ejecutándolo, esperar a los entrenamientos y resolver los ejercicios según sus puntos."""

    propias = [c for c in nb.cells if not (es_como_trabajar(c) or es_cabecera(c) or cierre.es_cierre(c))]
    palabras = sum(len(c.source.split()) for c in propias if c.cell_type == "markdown")
    lineas = sum(1 for c in propias if c.cell_type == "code" and celdas.marca(c) is None
                 for linea in c.source.splitlines() if linea.strip() and not linea.strip().startswith("#"))
    minutos = (palabras / PALABRAS_POR_MINUTO + lineas / LINEAS_DE_CODIGO_POR_MINUTO
               + MINUTOS_POR_CELDA_LARGA * sum(celdas.se_omite(c) for c in propias)
               + MINUTOS_POR_PUNTO * sum(m.puntos for m in celdas.ejercicios(nb)))
    return max(15, 15 * round(minutos / 15))


def texto_como_trabajar(nb, tarea: str) -> str:
    """La celda «Cómo trabajar» de un cuaderno: se deriva de sus marcas y de su extensión."""

    marcas = celdas.ejercicios(nb)
    automaticos = [m for m in marcas if m.tipo == "pruebas"]
    escritas = [m for m in marcas if m.tipo == "respuesta"]
    minutos = minutos_estimados(nb)
    horas = duracion(minutos)
    puntos = f"{len(automaticos)} ejercicios calificados ({_puntos(sum(m.puntos for m in automaticos))})"
    if escritas:
        puntos += f" y una respuesta escrita ({_puntos(sum(m.puntos for m in escritas))}, la califica el instructor)"
    insignia = insignia_colab(tarea)
    ejer, prue, omit, nbva = celdas.MARCA_EJERCICIO, celdas.MARCA_PRUEBAS, celdas.MARCA_OMITIR, celdas.MARCA_NBVAL
    return f"""{MARCA_COMO_TRABAJAR}
{insignia + chr(10) * 2 if insignia else ""}**Cómo trabajar** · unas {horas} · {puntos}.

1. Ejecuta primero la celda «Preparación del cuaderno» (está plegada) y después las demás, en orden.
2. En cada celda `{ejer} …` cambia `sin_resolver()` por tu código. No borres ni cambies su primera línea:
   es el identificador del ejercicio. Si te atascas, abre las pistas del enunciado (▸ Pista 1): ayudan sin dar
   la solución.
3. Ejecuta la celda `{prue} …` de debajo: dice exactamente qué comprobó (✔) o qué falla y por qué (✘). No es la
   nota: al calificar se añaden pruebas ocultas con otras entradas, así que tu código debe cumplir todo lo que
   pide el enunciado, no solo el ejemplo.
4. Las celdas con `{omit}` hacen un trabajo largo (p. ej. un entrenamiento completo): ejecútalas
   para ver los resultados; al calificar no se ejecutan. Las marcadas `{nbva}` tienen una salida de
   referencia: en un clon del curso, `make comparar CUADERNO=…` compara las tuyas con ella y
   `make autoevaluar CUADERNO=…` pasa todas las pruebas visibles de una vez.
5. Antes de entregar, reinicia y ejecuta todo (JupyterLab: *Kernel → Reiniciar el intérprete and Ejecutar todas
   las celdas*; Colab: *Entorno de ejecución → Reiniciar sesión y ejecutar todo*): así se califica, desde cero y
   en orden."""


def misma_preparacion(vieja: str, nueva: str) -> bool:
    """¿Dos cabeceras solo difieren en cómo instalan el paquete del curso? Eso no se ejecuta con el curso
    instalado (al ejecutar las fuentes): la salida, la de ``preparar()`` en la última línea, sigue valiendo."""
    return vieja.splitlines()[-1:] == nueva.splitlines()[-1:] and vieja.splitlines()[:1] == nueva.splitlines()[:1]


def aplicar(nb, tarea: str, repo_url: str = config.REPO_URL) -> bool:
    """Pone «Cómo trabajar» y la cabecera vigente (plegada) justo antes de la primera celda de código que
    no es generada. Devuelve True si cambió algo."""
    propias = [c for c in nb.cells if not es_cabecera(c) and not es_como_trabajar(c)]
    posicion = next((i for i, c in enumerate(propias) if c.cell_type == "code"), len(propias))
    como = nbformat.v4.new_markdown_cell(texto_como_trabajar(nb, tarea), id="como-trabajar")
    cabecera = nbformat.v4.new_code_cell(codigo(repo_url), id="cabecera")
    cabecera.metadata["jupyter"] = {"source_hidden": True}
    actuales = [c for c in nb.cells if es_cabecera(c) or es_como_trabajar(c)]
    if nb.cells[posicion:posicion + 2] == actuales and \
            [(c.source, c.metadata.get("jupyter")) for c in actuales] == [(como.source, None),
                                                                        (cabecera.source, {"source_hidden": True})]:
        return False
    # Una cabecera que no cambia conserva sus salidas (no hace falta volver a ejecutar el cuaderno por ella).
    vieja = next((c for c in actuales if es_cabecera(c)), None)
    if vieja is not None and vieja.source == cabecera.source:
        vieja.metadata["jupyter"] = {"source_hidden": True}
        cabecera = vieja
    elif vieja is not None and misma_preparacion(vieja.source, cabecera.source):
        cabecera.outputs, cabecera.execution_count = vieja.outputs, vieja.execution_count
    nb.cells = propias[:posicion] + [como, cabecera] + propias[posicion:]
    return True


def desactualizados(raiz: Path = config.RAIZ) -> list[str]:
    """Tareas cuya cabecera en ``solutions/`` difiere de la plantilla."""
    malas = []
    for tarea in config.tareas(raiz):
        nb = nbformat.read(config.cuaderno_fuente(tarea, raiz), as_version=4)
        if aplicar(nb, tarea):
            malas.append(tarea)
    return malas


def texto_versiones() -> str:
    """Contenido de ``curso/versiones.py`` según requirements.txt."""
    fijadas = config.versiones_fijadas()
    probadas = {p: fijadas[p] for p in config.PAQUETES_VIGILADOS}
    return ('"""Versiones con las que se ejecutó el curso por última vez (generado por `python -m grader cabeceras`\n'
            'desde requirements.txt; no lo edites)."""\n\n'
            f"PROBADO_CON = {probadas!r}\n")


def escribir_versiones() -> bool:
    """Regenera ``curso/versiones.py``. Devuelve True si cambió."""
    texto = texto_versiones()
    if ARCHIVO_VERSIONES.read_text(encoding="utf-8") == texto:
        return False
    ARCHIVO_VERSIONES.write_text(texto, encoding="utf-8")
    return True
