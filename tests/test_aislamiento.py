"""Al calificar, el código del alumno no ve las fuentes ni el libro, no escribe fuera de su carpeta y no tiene red."""
from __future__ import annotations

from pathlib import Path

import nbformat

from curso import config
from grader import calificacion, ejecucion, libro
from tests.conftest import TAREA_MINIMA, entregar

ESPIA = """\
import os, socket
def intentar(f):
    try:
        return repr(f())
    except Exception as e:
        return type(e).__name__
fuente = os.path.join({raiz!r}, "solutions", {tarea!r}, {tarea!r} + ".ipynb")
print("LEER_FUENTE", intentar(lambda: open(fuente).read()[:20]))
print("VER_FUENTES", intentar(lambda: os.listdir(os.path.join({raiz!r}, "solutions"))))
print("ESCRIBIR_LIBRO", intentar(lambda: open(os.path.join({raiz!r}, "gradebook.db"), "ab").write(b"x")))
print("ESCRIBIR_RAIZ", intentar(lambda: open(os.path.join({raiz!r}, "trampa.txt"), "w").write("x")))
print("ESCRIBIR_REPO", intentar(lambda: open(os.path.join({repo!r}, "trampa.txt"), "w").write("x")))
print("ESCRIBIR_FUERA", intentar(lambda: open("/var/tmp/trampa_curso.txt", "w").write("x")))
print("RED", intentar(lambda: socket.create_connection(("1.1.1.1", 80), timeout=3)))
print("ESCRIBIR_PROPIA", intentar(lambda: open("propia.txt", "w").write("x")))
total = 15
"""


def test_bubblewrap_instalado():
    assert ejecucion.Aislamiento.disponible(), (
        "falta bubblewrap: sin él se califica sin aislamiento (instálalo con `apt-get install bubblewrap`)")


def test_codigo_del_alumno_aislado(copia_curso_minimo):
    raiz = copia_curso_minimo
    libro.asegurar_tarea(TAREA_MINIMA, raiz)  # que exista gradebook.db
    tamano_libro = (raiz / config.LIBRO).stat().st_size
    nb = nbformat.read(config.cuaderno_fuente(TAREA_MINIMA, raiz), 4)
    for celda in nb.cells:
        if celda.source.startswith("# EJERCICIO ej99_suma"):
            celda.source = "# EJERCICIO ej99_suma\n" + ESPIA.format(raiz=str(raiz), repo=str(config.RAIZ),
                                                                         tarea=TAREA_MINIMA)
    carpeta = raiz / config.DIR_CALIFICADOS / "espia" / TAREA_MINIMA
    r = calificacion.calificar_entrega(entregar(raiz, "espia", nb), config.cuaderno_fuente(TAREA_MINIMA, raiz),
                                       "espia", TAREA_MINIMA, carpeta)
    assert r.estado == "ok" and r.puntos == 5
    ejecutado = nbformat.read(carpeta / f"{TAREA_MINIMA}.ipynb", 4)
    texto = "".join(s.get("text", "") for c in ejecutado.cells if c.source.startswith("# EJERCICIO ej99_suma")
                    for s in c.outputs)
    informe = dict(linea.split(" ", 1) for linea in texto.strip().splitlines())
    assert informe["LEER_FUENTE"] == "FileNotFoundError"
    assert informe["VER_FUENTES"] == "[]"
    assert informe["ESCRIBIR_LIBRO"] != "1"
    assert informe["ESCRIBIR_FUERA"] == "OSError"  # sistema de archivos de solo lectura
    assert informe["RED"] == "OSError"
    assert informe["ESCRIBIR_PROPIA"] == "1"
    assert (raiz / config.LIBRO).stat().st_size == tamano_libro
    # lo que escriba fuera de su carpeta (p. ej. en un /tmp propio) no llega al disco real
    # (si el curso vive bajo /tmp, esas escrituras caen en el /tmp vacío del aislamiento)
    for ruta in (raiz / "trampa.txt", config.RAIZ / "trampa.txt", Path("/var/tmp/trampa_curso.txt")):
        assert not ruta.exists(), ruta
