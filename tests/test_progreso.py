"""Progreso en el kernel vivo (`curso.progreso`), cuestionarios que no se adivinan y la celda final generada.

Sin kernel: las celdas se simulan con el evento `pre_run_cell` (lo que IPython llama antes de cada celda).
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
from types import SimpleNamespace

import nbformat
import pytest

from curso import comprobar, config, progreso
from curso.cuestionario import Cuestionario, Pregunta, explicar
from grader.mantenimiento import cierre


@pytest.fixture(autouse=True)
def kernel_de_alumno(monkeypatch):
    """Un kernel de alumno (sin las variables de las herramientas) y sin nada anotado."""
    monkeypatch.delenv(config.VAR_RAIZ, raising=False)
    monkeypatch.delenv(config.VAR_NBGRADER, raising=False)
    progreso.olvidar()
    progreso._cuestionarios.clear()
    yield
    progreso.olvidar()
    progreso._cuestionarios.clear()
    progreso._al_empezar_celda(None)


def celda(codigo: str) -> None:
    """Simula que empieza una celda con ``codigo`` (el evento pre_run_cell de IPython)."""
    progreso._al_empezar_celda(SimpleNamespace(raw_cell=codigo))


def pasar_pruebas(ejercicio: str, puntos: int) -> None:
    celda(f"# PRUEBAS {ejercicio} ({puntos} puntos)\ncomprobar.listo()")
    comprobar.listo()


def test_listo_anota_el_ejercicio_de_su_celda(capsys):
    pasar_pruebas("ej04_propagacion", 3)
    assert progreso.superado("ej04_propagacion")
    assert "✔ Comprobado aquí" in capsys.readouterr().out


def test_listo_fuera_de_una_celda_de_pruebas_no_anota_nada():
    celda("# una celda de enseñanza\ncomprobar.listo()")
    comprobar.listo()
    assert progreso._superados == {}


def test_necesita_detiene_con_una_frase_sin_traza():
    with pytest.raises(progreso.EjercicioPendiente) as error:
        progreso.necesita("ej04_propagacion")
    assert str(error.value) == ("Esta celda usa tu solución de `ej04_propagacion`, que todavía no pasa sus "
                                "comprobaciones visibles: resuélvela y vuelve a ejecutar su celda de pruebas.")
    assert error.value._render_traceback_() == [f"\x1b[34m… {error.value}\x1b[0m"]


def test_necesita_nombra_todos_los_que_faltan():
    pasar_pruebas("ej04_a", 2)
    with pytest.raises(progreso.EjercicioPendiente, match=r"soluciones de `ej04_b` y `ej04_c`, que todavía no pasan"):
        progreso.necesita("ej04_a", "ej04_b", "ej04_c")
    pasar_pruebas("ej04_b", 2)
    pasar_pruebas("ej04_c", 1)
    progreso.necesita("ej04_a", "ej04_b", "ej04_c")  # ya no detiene nada


@pytest.mark.parametrize("variable", [config.VAR_RAIZ, config.VAR_NBGRADER])
def test_necesita_no_detiene_nada_al_calificar(monkeypatch, variable):
    monkeypatch.setenv(variable, "autograde")
    progreso.necesita("ej04_propagacion")


@pytest.mark.parametrize("primera", ["# EJERCICIO ej04_propagacion", "# PRUEBAS ej04_propagacion (3 puntos)"])
def test_volver_a_ejecutar_el_ejercicio_o_sus_pruebas_borra_la_anotacion(primera):
    pasar_pruebas("ej04_propagacion", 3)
    celda(primera + "\n...")  # si ahora falla, nunca llega a listo()
    assert not progreso.superado("ej04_propagacion")


def test_las_pruebas_ocultas_reimportan_comprobar_y_la_anotacion_sigue():
    nuevo = None
    try:
        sys.modules.pop("curso.comprobar", None)
        import curso.comprobar as nuevo
        pasar_pruebas("ej04_a", 2)
        nuevo.listo()
        assert progreso.superado("ej04_a")
    finally:
        sys.modules["curso.comprobar"] = comprobar
    assert nuevo is not comprobar


def test_resumen_cuenta_los_puntos_visibles_y_lo_pendiente():
    pasar_pruebas("ej04_a", 2)
    texto = progreso.texto_resumen({"ej04_a": 2, "ej04_b": 3}, manuales={"ej04_explica": 1})
    lineas = texto.splitlines()
    assert "✔ ej04_a" in lineas[1] and "2 puntos" in lineas[1] and progreso.SUPERADO in lineas[1]
    assert "· ej04_b" in lineas[2] and progreso.PENDIENTE in lineas[2]
    assert "✎ ej04_explica" in lineas[3] and "1 punto " in lineas[3] and progreso.MANUAL in lineas[3]
    assert "Puntos según las comprobaciones visibles: 2 de 5 (y 1 punto de respuesta escrita" in texto
    assert "Pendientes: ej04_b." in texto and "No es la nota" in texto


def test_resumen_con_todo_superado_no_lista_pendientes():
    pasar_pruebas("ej01_a", 2)
    texto = progreso.texto_resumen({"ej01_a": 2})
    assert "2 de 2." in texto and "Pendientes" not in texto


CUESTIONARIO = Cuestionario({
    1: Pregunta("¿Uno?", {"a": "sí", "b": "no"}),
    2: Pregunta("¿Dos?", {"a": "sí", "b": "no", "c": "quizá"}),
})


def test_cuestionario_visible_solo_comprueba_el_formato(capsys):
    celda("# PRUEBAS ej03_cuestionario (2 puntos)\ncuestionario.revisar(respuestas)\ncomprobar.listo()")
    CUESTIONARIO.revisar({1: "A ", 2: "c"})
    comprobar.listo()
    salida = capsys.readouterr().out
    assert salida.startswith("✔ Comprobado aquí: el tipo de `respuestas`; que hay una respuesta para cada una de "
                             "las 2 preguntas; que no sobra ninguna respuesta; que cada respuesta es una de las "
                             "letras de su pregunta.")
    assert "correct" not in salida.lower()
    assert "solo el formato" in progreso.texto_resumen({"ej03_cuestionario": 2})


@pytest.mark.parametrize("respuestas, mensaje", [
    ([("1", "a")], "debe ser de tipo dict"),
    ({1: "a"}, "Faltan respuestas para las preguntas [2]"),
    ({1: "a", 2: "b", 3: "a"}, "Sobran respuestas: las preguntas [3] no existen"),
    ({1: "a", 2: "d"}, "La respuesta a la pregunta 2 es 'd'; debe ser una de: a, b, c."),
])
def test_cuestionario_con_formato_malo_falla_en_espanol(respuestas, mensaje):
    with pytest.raises(comprobar.Fallo, match=mensaje.replace("[", r"\[").replace("]", r"\]")):
        CUESTIONARIO.revisar(respuestas)


def test_explicar_da_la_retroalimentacion_de_cada_opcion_elegida(capsys):
    explicar({1: "a", 2: "b"}, {1: "a", 2: "c"}, {1: {"a": "Porque sí."}, 2: {"b": "No: mira la figura."}})
    assert capsys.readouterr().out.splitlines() == ["1 → a) ✔ correcta. Porque sí.",
                                                    "2 → b) ✘ incorrecta. No: mira la figura."]


def _cuaderno(*celdas_):
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(s) if s.startswith("<!--") else nbformat.v4.new_code_cell(s) for s in celdas_])


def test_cierre_se_genera_desde_las_marcas_y_es_estable():
    nb = _cuaderno("# EJERCICIO ej99_a\nx = 1", "# PRUEBAS ej99_a (2 puntos)\ncomprobar.listo()",
                   "<!-- RESPUESTA ej99_b (1 punto) -->\nPorque sí.")
    assert cierre.aplicar(nb)
    texto, codigo = nb.cells[-2:]
    assert cierre.es_texto(texto) and cierre.es_codigo(codigo)
    assert codigo.source.splitlines()[1:] == ["from curso.progreso import resumen",
                                              'resumen({"ej99_a": 2},', '        manuales={"ej99_b": 1})']
    codigo.outputs = [nbformat.v4.new_output("stream", text="salida guardada")]
    assert not cierre.aplicar(nb)  # al día: no cambia nada (y conserva la salida)
    nb.cells.insert(0, nbformat.v4.new_code_cell("# PRUEBAS ej99_c (3 puntos)\ncomprobar.listo()"))
    assert cierre.aplicar(nb) and '"ej99_c": 3' in nb.cells[-1].source
    assert sum(cierre.es_cierre(c) for c in nb.cells) == 2 and nb.cells[-1].outputs == []


def test_la_celda_de_cierre_funciona_en_un_kernel_de_ipython():
    """En una consola de IPython de verdad: cabecera, pruebas que pasan, una celda que necesita y el cierre."""
    nb = _cuaderno("# EJERCICIO ej99_a\nx = 1", "# PRUEBAS ej99_a (2 puntos)\ncomprobar.listo()",
                   "# PRUEBAS ej99_b (3 puntos)\ncomprobar.listo()")
    cierre.aplicar(nb)
    guion = textwrap.dedent(f"""
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        for codigo in ["from curso import comprobar", "from curso.progreso import necesita",
                       "necesita('ej99_a')", "# PRUEBAS ej99_a (2 puntos)\\ncomprobar.listo()",
                       "necesita('ej99_a')\\nprint('sigue')", {nb.cells[-1].source!r}]:
            shell.run_cell(codigo, store_history=True)
    """)
    entorno = {k: v for k, v in __import__("os").environ.items() if k not in (config.VAR_RAIZ, config.VAR_NBGRADER)}
    salida = subprocess.run([sys.executable, "-c", guion], capture_output=True, text=True, env=entorno,
                            cwd=config.RAIZ).stdout
    assert "Esta celda usa tu solución de `ej99_a`" in salida and "Traceback" not in salida
    assert "sigue" in salida
    assert "Puntos según las comprobaciones visibles: 2 de 5." in salida and "Pendientes: ej99_b." in salida


def test_cierre_desactualizado_se_detecta_y_se_repara(copia_curso_minimo):
    from tests.conftest import TAREA_MINIMA, fuente_minima

    assert cierre.desactualizados(copia_curso_minimo) == []
    nb = fuente_minima(copia_curso_minimo)
    nb.cells = [c for c in nb.cells if not cierre.es_codigo(c)]
    nbformat.write(nb, config.cuaderno_fuente(TAREA_MINIMA, copia_curso_minimo))
    assert cierre.desactualizados(copia_curso_minimo) == [TAREA_MINIMA]
    assert cierre.aplicar_a([TAREA_MINIMA], copia_curso_minimo) == [TAREA_MINIMA]
    assert cierre.desactualizados(copia_curso_minimo) == []
