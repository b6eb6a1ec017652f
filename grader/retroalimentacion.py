"""Retroalimentación HTML por alumno, sin revelar las pruebas ocultas.

Parte del cuaderno calificado (``autograded/<alumno>/<tarea>/``) y de su ``resultado.json``:
quita de cada celda de pruebas la parte oculta y su traza de error, y pone en su lugar la nota
y el mensaje en español. Añade arriba una tabla con el resumen.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat

from curso import config
from grader import calificacion, celdas

_OCULTAS = re.compile(r"\n?[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*", re.S)


def _resumen(resultado: dict) -> str:
    filas = "".join(
        f"<tr><td>{html.escape(n['ejercicio'])}</td>"
        f"<td>{'pendiente' if n['puntos'] is None else format(n['puntos'], 'g')} / {n['maximo']:g}</td>"
        f"<td>{html.escape(n['mensaje'])}</td></tr>"
        for n in resultado["notas"]
    )
    avisos = "".join(f"<li>{html.escape(a)}</li>" for a in resultado["avisos"])
    estado = calificacion.ESTADOS[resultado["estado"]]
    return (
        f"<h2>Retroalimentación: {html.escape(resultado['tarea'])}</h2>"
        f"<p>Alumno: <b>{html.escape(resultado['alumno'])}</b> · Estado: {estado} · "
        f"Nota automática: <b>{resultado['puntos']:g} / {resultado['maximo']:g}</b></p>"
        + (f"<p>{html.escape(resultado['mensaje'])}</p>" if resultado["mensaje"] else "")
        + f"<table><tr><th>Ejercicio</th><th>Puntos</th><th>Comentario</th></tr>{filas}</table>"
        + (f"<p>Avisos:</p><ul>{avisos}</ul>" if avisos else "")
    )


def cuaderno_de_retro(nb, resultado: dict):
    """Copia del cuaderno calificado apta para el alumno (sin pruebas ocultas ni sus trazas)."""
    notas = {n["grade_id"]: n for n in resultado["notas"]}
    for celda in nb.cells:
        m = celdas.marca(celda)
        if m is None or m.tipo != "pruebas":
            continue
        celda.source = _OCULTAS.sub("\n# (pruebas ocultas)", celda.source)
        nota = notas.get(m.grade_id)
        if nota is not None:
            texto = f"{'✔' if nota['estado'] == 'correcto' else '✘'} {nota['puntos']:g}/{nota['maximo']:g}: {nota['mensaje']}\n"
            celda.outputs = [nbformat.v4.new_output("stream", name="stdout", text=texto)]
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(_resumen(resultado)))
    return nb


def generar_una(carpeta: Path, destino: Path) -> Path:
    """HTML de retroalimentación de una carpeta de ``autograded/`` (cuaderno + resultado.json)."""
    from nbconvert import HTMLExporter

    resultado = json.loads((carpeta / "resultado.json").read_text(encoding="utf-8"))
    tarea = resultado["tarea"]
    ruta_nb = carpeta / f"{tarea}.ipynb"
    if ruta_nb.exists():
        nb = cuaderno_de_retro(nbformat.read(ruta_nb, as_version=4), resultado)
    else:  # archivo no válido: solo el resumen
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(_resumen(resultado))])
    cuerpo, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    destino.mkdir(parents=True, exist_ok=True)
    salida = destino / f"{tarea}.html"
    salida.write_text(cuerpo, encoding="utf-8")
    return salida


def generar(tareas: list[str], raiz: Path = config.RAIZ) -> list[Path]:
    """Genera ``feedback/<alumno>/<tarea>/<tarea>.html`` para cada entrega calificada."""
    escritos = []
    calificados = raiz / config.DIR_CALIFICADOS
    if not calificados.is_dir():
        raise FileNotFoundError(f"No hay entregas calificadas en {calificados}: califica primero.")
    for carpeta in sorted(calificados.glob("*/*")):
        if carpeta.name in tareas and (carpeta / "resultado.json").exists():
            alumno = carpeta.parent.name
            escritos.append(generar_una(carpeta, raiz / config.DIR_RETRO / alumno / carpeta.name))
    return escritos
