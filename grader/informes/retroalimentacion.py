"""Retroalimentación HTML por alumno, que nunca deja ver las pruebas ocultas.

La página no sale del cuaderno calificado (lo que el código del alumno imprimió, guardó o lanzó mientras
corrían las pruebas ocultas podría contenerlas: ``In``, el marco de quien llama, ``linecache``, ``gc``…),
sino de una **ejecución sin pruebas ocultas**: las celdas del alumno con las celdas de pruebas de la versión
publicada, en la misma caja y con los mismos límites con que se calificó (``calificacion.ejecutar_cuaderno``). Cada
celda de pruebas muestra lo que dijeron sus pruebas visibles y el mensaje del calificador de
``resultado.json``; un mensaje con texto que venga del alumno y contenga parte de las pruebas ocultas o de la
solución (``grader.informes.fugas``) se sustituye por ``MENSAJE_RETENIDO``. Antes de escribir, la página entera pasa
por ``fugas``: si fuga, no se escribe y se informa como problema interno del calificador.

Las fórmulas se ven sin red: la página carga MathJax 3 de ``mathjax/`` a su lado (una copia, o un enlace
duro, del componente del paquete ``sphinx-mathjax-offline``) y no referencia ningún recurso remoto.
"""
from __future__ import annotations

import html
import os
import shutil
import time
from dataclasses import dataclass, field, fields, replace
from importlib import metadata
from pathlib import Path

import nbformat

from curso import config
from grader.informes import fugas
from grader.motor import calificacion, ejecucion, reserva
from grader.nucleo import celdas, puntuacion
from grader.nucleo import resultado as registro
from grader.nucleo.limites import Limites

MENSAJE_RETENIDO = ("Este mensaje no se muestra porque contenía parte de las pruebas ocultas o de la solución. "
                    "La nota no cambia; si necesitas más detalle, pregunta al instructor.")
PLANTILLAS = Path(__file__).resolve().parent / "plantillas"
PLANTILLA = "retroalimentacion"  # grader/informes/plantillas/retroalimentacion/: la de nbconvert sin recursos remotos
CARPETA_MATHJAX = "mathjax"
COMPONENTE_MATHJAX = "tex-svg-full.js"  # un solo archivo: todas las extensiones de TeX y las fuentes en SVG


class PaginaConFugas(RuntimeError):
    """La página de un alumno dejaría ver pruebas ocultas o la solución: no se escribe."""


@dataclass
class Generacion:
    """Lo que hizo ``generar``: páginas escritas, problemas internos y el coste de las ejecuciones."""

    escritas: list[Path] = field(default_factory=list)
    problemas: list[str] = field(default_factory=list)
    segundos_ejecucion: list[float] = field(default_factory=list)  # una por entrega ejecutada sin pruebas ocultas
    segundos: float = 0.0

    def texto(self) -> str:
        """Resumen en español para el instructor."""
        lineas = [f"Escrita {ruta}" for ruta in self.escritas]
        n = len(self.segundos_ejecucion)
        lineas.append(f"Retroalimentación: {len(self.escritas)} página(s) en {self.segundos:.1f} s"
                      + (f"; ejecución sin pruebas ocultas de {n} entrega(s): {sum(self.segundos_ejecucion) / n:.1f} s "
                         "de media por entrega." if n else "."))
        lineas += [f"PROBLEMA INTERNO: {p}" for p in self.problemas]
        return "\n".join(lineas)


# ---------------------------------------------------------------- mensajes y cuaderno


def limites_de(resultado: registro.Resultado) -> Limites:
    """Los límites con que se calificó la entrega (los de ``curso.config`` para lo que no anotó)."""
    propios = {f.name for f in fields(Limites)}
    return Limites(**{k: v for k, v in resultado.limites.items() if k in propios})


def lineas_propias(nb) -> set[str]:
    """Las líneas (normalizadas) que escribió el alumno o que ve en su versión: el código de todas las celdas
    salvo las que pone el calificador (cabecera y pruebas). Devolvérselas no le revela nada."""
    return {fugas.normalizar(linea) for celda in nb.cells
            if (m := celdas.marca(celda)) is None or m.tipo not in ("cabecera", "pruebas")
            for linea in celda.source.splitlines()}


def retener(texto: str, secretos: frozenset[str]) -> str:
    """``texto`` si no deja ver ningún secreto ni marca; si no, ``MENSAJE_RETENIDO``."""
    return MENSAJE_RETENIDO if texto and fugas.fugas(texto, secretos) else texto


def para_el_alumno(resultado: registro.Resultado, secretos: frozenset[str]) -> registro.Resultado:
    """Copia del resultado con cada mensaje que fugaría sustituido por ``MENSAJE_RETENIDO``."""
    return replace(resultado, mensaje=retener(resultado.mensaje, secretos),
                   avisos=[retener(a, secretos) for a in resultado.avisos],
                   notas=[replace(n, mensaje=retener(n.mensaje, secretos)) for n in resultado.notas])


def _puntos(nota: registro.NotaEjercicio) -> str:
    if nota.puntos is None:
        return f"pendiente / {nota.maximo:g}" if nota.estado == "manual" else f"— / {nota.maximo:g}"
    return f"{nota.puntos:g} / {nota.maximo:g}"


VER_ARRIBA = "Ver el mensaje del principio."


def comentario(nota: registro.NotaEjercicio, resultado: registro.Resultado) -> str:
    """El mensaje de una nota, salvo que repita el de toda la entrega (p. ej. un archivo no válido: se dice una
    vez, arriba, y no en cada ejercicio)."""
    return VER_ARRIBA if resultado.mensaje and nota.mensaje == resultado.mensaje else nota.mensaje


def _resumen(resultado: registro.Resultado) -> str:
    filas = "".join(
        f"<tr><td>{html.escape(n.ejercicio)}</td><td>{_puntos(n)}</td>"
        f"<td>{html.escape(comentario(n, resultado))}</td></tr>"
        for n in resultado.notas
    )
    avisos = "".join(f"<li>{html.escape(a)}</li>" for a in resultado.avisos)
    estado = html.escape(registro.ESTADOS.get(resultado.estado, resultado.estado))
    return (  # tex2jax_ignore: un «$» de un mensaje o de un id no es una fórmula para MathJax
        f'<div class="tex2jax_ignore"><h2>Retroalimentación: {html.escape(resultado.tarea)}</h2>'
        f"<p>Alumno: <b>{html.escape(resultado.alumno)}</b> · Estado: {estado} · "
        f"Nota automática: <b>{resultado.puntos:g} / {resultado.maximo:g}</b></p>"
        + (f"<p>{html.escape(resultado.mensaje)}</p>" if resultado.mensaje else "")
        + f"<table><tr><th>Ejercicio</th><th>Puntos</th><th>Comentario</th></tr>{filas}</table>"
        + (f"<p>Avisos:</p><ul>{avisos}</ul>" if avisos else "") + "</div>"
    )


def cuaderno_de_retro(nb, resultado: registro.Resultado):
    """El cuaderno ejecutado sin pruebas ocultas, con la nota y el mensaje del calificador en cada celda de
    pruebas (tras lo que imprimieron sus pruebas visibles; su traza de error no se muestra) y el resumen arriba.

    ``resultado`` ya debe venir con los mensajes retenidos (``para_el_alumno``)."""
    notas = {n.grade_id: n for n in resultado.notas}
    for celda in nb.cells:
        m = celdas.marca(celda)
        if m is None or m.tipo != "pruebas":
            continue
        celda.outputs = [s for s in celda.get("outputs", []) if s.get("output_type") != "error"]
        nota = notas.get(m.grade_id)
        if nota is not None:
            signo = "✔" if nota.estado == "correcto" else "✘"
            texto = f"{signo} {_puntos(nota).replace(' ', '')}: {comentario(nota, resultado)}\n"
            celda.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=texto))
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(_resumen(resultado)))
    return nb


def sin_ocultas(calificado, publicada):
    """Las celdas del alumno (del cuaderno calificado) con la cabecera y las pruebas de la versión publicada."""
    nb, _ = puntuacion.combinar(calificado, publicada)
    return nb


# ---------------------------------------------------------------- HTML


def componente_mathjax() -> Path:
    """El componente de MathJax 3 del paquete ``sphinx-mathjax-offline`` (dependencia del curso)."""
    try:
        distribucion = metadata.distribution("sphinx-mathjax-offline")
    except metadata.PackageNotFoundError:
        raise RuntimeError("Falta el paquete sphinx-mathjax-offline (MathJax local de las páginas): instala "
                           "requirements.txt en este entorno.") from None
    ruta = Path(distribucion.locate_file(f"sphinx-mathjax-offline/static/mathjax/{COMPONENTE_MATHJAX}"))
    if not ruta.is_file():
        raise RuntimeError(f"sphinx-mathjax-offline no trae {COMPONENTE_MATHJAX} (se esperaba en {ruta}).")
    return ruta


def poner_mathjax(destino: Path, original: Path) -> Path:
    """``destino/mathjax/<componente>``: enlace duro a ``original`` si se puede (no ocupa disco), si no, copia."""
    ruta = destino / CARPETA_MATHJAX / COMPONENTE_MATHJAX
    ruta.parent.mkdir(parents=True, exist_ok=True)
    if ruta.exists():
        ruta.unlink()
    try:
        os.link(original, ruta)
    except OSError:
        shutil.copyfile(original, ruta)
    return ruta


def html_de(nb) -> str:
    """La página de un cuaderno, sin recursos remotos y con MathJax en ``mathjax/`` a su lado."""
    from nbconvert import HTMLExporter

    exportador = HTMLExporter(template_name=PLANTILLA, extra_template_basedirs=[str(PLANTILLAS)])
    cuerpo, _ = exportador.from_notebook_node(
        nb, resources={"mathjax_local": f"{CARPETA_MATHJAX}/{COMPONENTE_MATHJAX}"})
    return cuerpo


def comprobar_pagina(pagina: str, secretos: frozenset[str], propias: set[str], donde: str) -> None:
    """Lanza ``PaginaConFugas`` si la página deja ver algún secreto (salvo lo que escribió el propio alumno)."""
    texto_propio = "\n".join(propias)
    halladas = [f for f in fugas.fugas(pagina, secretos - propias)
                if not (f in fugas.MARCAS and f in texto_propio)]
    if halladas:
        raise PaginaConFugas(
            f"la retroalimentación de {donde} dejaría ver {len(halladas)} línea(s) de las pruebas ocultas o de la "
            f"solución (p. ej. «{halladas[0][:80]}»): no se escribió. Revisa esa entrega a mano.")


# ---------------------------------------------------------------- generar


class _Kernels:
    """Una reserva de kernels por juego de límites (la misma caja que al calificar), cerradas al final."""

    def __init__(self, raiz: Path):
        self.raiz, self._reservas = raiz, {}

    def tomar(self, limites: Limites) -> ejecucion.Kernel:
        if limites.aislar and not ejecucion.Aislamiento.disponible():
            raise RuntimeError(calificacion.FaltaAislamiento.MENSAJE)
        if limites not in self._reservas:
            self._reservas[limites] = reserva.Reserva(calificacion.aislamiento_para(self.raiz, limites),
                                                      config.KERNELS_EN_RESERVA)
        return self._reservas[limites].tomar()

    def cerrar(self) -> None:
        while self._reservas:
            self._reservas.popitem()[1].cerrar()


def generar_una(carpeta: Path, destino: Path, raiz: Path | None = None, mathjax: Path | None = None,
                kernels: _Kernels | None = None, segundos: list[float] | None = None) -> Path:
    """``destino/<tarea>.html`` de una carpeta de ``autograded/`` (``resultado.json`` y cuaderno calificado).

    Ejecuta la entrega sin pruebas ocultas (salvo que no haya cuaderno calificado: solo el resumen). Lanza
    ``PaginaConFugas`` en vez de escribir una página que fugue. ``segundos`` recibe lo que tardó la ejecución.
    """
    raiz = raiz or carpeta.resolve().parents[2]
    resultado = registro.leer(carpeta)
    if resultado is None:
        raise FileNotFoundError(f"No se pudo leer {registro.ruta(carpeta)}.")
    fuente = config.cuaderno_fuente(resultado.tarea, raiz)
    secretos = fugas.secretos(fuente)
    ruta_nb = carpeta / f"{resultado.tarea}.ipynb"
    if ruta_nb.is_file():
        publicada = config.cuaderno_publicado(resultado.tarea, raiz)
        if not publicada.is_file():
            raise FileNotFoundError(f"falta la versión del alumno {publicada}, con cuyas pruebas visibles se ejecuta "
                                    f"la entrega: genérala con `python -m grader publicar {resultado.tarea}`")
        nb = sin_ocultas(nbformat.read(ruta_nb, as_version=4), nbformat.read(publicada, as_version=4))
        propias = lineas_propias(nb)
        propios = secretos - propias
        propio_kernels = kernels is None
        kernels = kernels or _Kernels(raiz)
        inicio = time.monotonic()
        try:
            calificacion.ejecutar_cuaderno(nb, kernels.tomar(limites_de(resultado)), fuente, limites_de(resultado))
        finally:
            if propio_kernels:
                kernels.cerrar()
        if segundos is not None:
            segundos.append(time.monotonic() - inicio)
        nb = cuaderno_de_retro(nb, para_el_alumno(resultado, propios))
    else:  # archivo no válido o sin entrega: solo el resumen
        propias = set()
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
            _resumen(para_el_alumno(resultado, secretos)))])
    pagina = html_de(nb)
    comprobar_pagina(pagina, secretos, propias, f"{carpeta.parent.name}/{carpeta.name}")
    destino.mkdir(parents=True, exist_ok=True)
    salida = destino / f"{resultado.tarea}.html"
    salida.write_text(pagina, encoding="utf-8")
    poner_mathjax(destino, mathjax or componente_mathjax())
    return salida


def generar(tareas: list[str], raiz: Path = config.RAIZ) -> Generacion:
    """Genera ``feedback/<alumno>/<tarea>/<tarea>.html`` (y su ``mathjax/``) para cada entrega calificada."""
    calificados = raiz / config.DIR_CALIFICADOS
    if not calificados.is_dir():
        raise FileNotFoundError(f"No hay entregas calificadas en {calificados}: califica primero.")
    inicio, hecho = time.monotonic(), Generacion()
    kernels, mathjax = _Kernels(raiz), None
    try:
        for archivo in sorted(calificados.glob(f"*/*/{registro.NOMBRE}")):
            carpeta = archivo.parent  # las rutas salen de las carpetas, nunca de lo que diga el archivo
            if carpeta.name not in tareas:
                continue
            try:
                escrita = generar_una(carpeta, raiz / config.DIR_RETRO / carpeta.parent.name / carpeta.name, raiz,
                                      mathjax or componente_mathjax(), kernels, hecho.segundos_ejecucion)
            except PaginaConFugas as e:
                hecho.problemas.append(str(e))
                continue
            except (OSError, ValueError, nbformat.ValidationError) as e:
                hecho.problemas.append(f"no se pudo generar la retroalimentación de {carpeta.parent.name}/"
                                       f"{carpeta.name}: {type(e).__name__}: {e}")
                continue
            hecho.escritas.append(escrita)
            mathjax = mathjax or escrita.parent / CARPETA_MATHJAX / COMPONENTE_MATHJAX  # los demás, enlazados aquí
    finally:
        kernels.cerrar()
    hecho.segundos = time.monotonic() - inicio
    return hecho
