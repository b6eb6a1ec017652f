"""``python -m grader autoevaluar``: las pruebas VISIBLES de un cuaderno, con los puntos de cada ejercicio.

Es la calificación de siempre (``puntuacion.combinar`` y ``puntuacion.puntuar``), pero contra la versión
publicada del alumno (``notebooks/``) en lugar de la fuente: las celdas de pruebas que se ejecutan son las que
ve el alumno, sin la parte oculta, así que no se expone ninguna prueba oculta. No es la nota: al calificar
se añaden las pruebas ocultas.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from curso import config
from grader.alumno import comparacion
from grader.nucleo import celdas, cuadernos, puntuacion
from grader.nucleo import resultado as registros


@dataclass
class Autoevaluacion:
    """Notas según las pruebas visibles y lo que dijo cada celda de pruebas."""

    cuaderno: str
    tarea: str
    estado: str
    notas: list[registros.NotaEjercicio]
    comprobado: dict[str, str]  # grade_id -> texto de comprobar.listo() («✔ Comprobado aquí: …»)
    avisos: list[str]


def _comprobado(celda) -> str:
    """La línea «✔ Comprobado aquí: …» que imprimió una celda de pruebas ("" si no la imprimió)."""
    for salida in celda.get("outputs", []):
        if salida.get("output_type") == "stream":
            for linea in salida.get("text", "").splitlines():
                if linea.startswith("✔ Comprobado aquí:"):
                    return linea.removeprefix("✔ ").strip()
    return ""


def autoevaluar(entrega_ruta: Path, tarea: str, raiz: Path = config.RAIZ,
                tiempo_por_celda: int = config.TIEMPO_POR_CELDA_S) -> Autoevaluacion:
    """Ejecuta la entrega con las celdas de pruebas de la versión publicada y la puntúa."""
    publicada = nbformat.read(config.cuaderno_publicado(tarea, raiz), as_version=4)
    nb, avisos = puntuacion.combinar(comparacion.leer_cuaderno(entrega_ruta), publicada)
    with tempfile.TemporaryDirectory(prefix="autoevaluar-") as tmp:
        estado = cuadernos.ejecutar(nb, Path(tmp), tiempo_por_celda)
    notas = puntuacion.puntuar(nb, publicada)
    comprobado = {puntuacion.id_estable(c): _comprobado(c) for c in nb.cells
                  if (m := celdas.marca(c)) is not None and m.tipo == "pruebas"}
    return Autoevaluacion(entrega_ruta.name, tarea, estado, notas, comprobado, avisos)


def texto(a: Autoevaluacion) -> str:
    """El informe en español: puntos por ejercicio según las pruebas visibles y qué comprobó cada una."""
    lineas = [f"Autoevaluación de {a.cuaderno} ({a.tarea}) con las pruebas visibles.",
              "No es la nota: al calificar se ejecutan además pruebas ocultas.", ""]
    for n in a.notas:
        if n.estado == "manual":
            lineas.append(f"  ·   –/{n.maximo:g}  {n.ejercicio}: respuesta escrita (la califica el instructor).")
            continue
        marca = "✔" if n.estado == "correcto" else "✘"
        lineas.append(f"  {marca} {n.puntos:>3g}/{n.maximo:g}  {n.ejercicio}: "
                      + (a.comprobado.get(n.grade_id) or "pruebas visibles superadas."
                         if n.estado == "correcto" else n.mensaje))
    automaticas = [n for n in a.notas if n.estado != "manual"]
    lineas += ["", f"Puntos según las pruebas visibles: {sum(n.puntos or 0 for n in automaticas):g} de "
                   f"{sum(n.maximo for n in automaticas):g}."]
    if a.estado != "ok":
        lineas.append(f"Atención: {registros.ESTADOS[a.estado]}; las pruebas que no llegaron a ejecutarse valen 0.")
    lineas += [f"Aviso: {aviso}" for aviso in a.avisos]
    return "\n".join(lineas)
