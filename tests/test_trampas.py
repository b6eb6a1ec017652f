"""Entregas hostiles o desbocadas: cada trampa usa una respuesta ERRÓNEA que solo la trampa podría aprobar
(sin la defensa que se prueba, sacaría la nota máxima), y cada límite deja seguir al resto del cuaderno."""
from __future__ import annotations

import nbformat
import pytest

from curso import config
from grader.informes import retroalimentacion
from grader.motor import calificacion
from grader.motor.reserva import Reserva
from grader.nucleo.limites import Limites
from tests.conftest import TAREA_MINIMA, entregar

RESPUESTA_ERRONEA = "def doble(v):\n    return v\n"  # falla doble([1.0]) == [2.0] y doble(x) == 2 * x


def _fuente(raiz):
    return nbformat.read(config.cuaderno_fuente(TAREA_MINIMA, raiz), as_version=4)


def _con_respuestas(raiz, **respuestas):
    nb = _fuente(raiz)
    for celda in nb.cells:
        for ejercicio, codigo in respuestas.items():
            if celda.source.startswith(f"# EJERCICIO {ejercicio}"):
                celda.source = f"# EJERCICIO {ejercicio}\n{codigo}"
    return nb


def _calificar(raiz, alumno, nb, limites=None):
    """Califica una entrega como lo hace un lote: en un kernel de la reserva (clonado de la madre, con
    TensorFlow ya importado), así el tiempo de las celdas no depende de lo que tarde en importarse."""
    ruta = entregar(raiz, alumno, nb)
    # tamaño 0: ningún kernel por adelantado; ``tomar`` lanza uno para esta entrega y nada más
    reserva = Reserva(calificacion.aislamiento_para(raiz, limites or Limites()), tamano=0)
    try:
        return calificacion.calificar_entrega(ruta, config.cuaderno_fuente(TAREA_MINIMA, raiz), alumno, TAREA_MINIMA,
                                              raiz / config.DIR_CALIFICADOS / alumno / TAREA_MINIMA, limites=limites,
                                              reserva=reserva)
    finally:
        reserva.cerrar()


def _nota(resultado, ejercicio):
    return next(n for n in resultado.notas if n.ejercicio == ejercicio)


TRAMPAS = {
    # comprobar.cercano usa np.abs: con ella anulada, cualquier valor «coincide».
    "numpy.abs": ("import numpy as _np\n_np.abs = lambda a: _np.zeros(_np.shape(a))\n", "`numpy.abs` fue reemplazada"),
    # comprobar.tipo usa isinstance: una versión que miente deja pasar un float donde se pide int.
    "isinstance": ("import builtins\n_original = isinstance\n"
                   "builtins.isinstance = lambda o, t: True if t is int and type(o) is float else _original(o, t)\n",
                   "`isinstance` fue reemplazada"),
    # Un importador propio: la copia «limpia» de comprobar que importan las pruebas ocultas sería falsa.
    "importador": ("import sys, importlib.abc, importlib.machinery\n"
                   "class _Falso(importlib.abc.MetaPathFinder, importlib.abc.Loader):\n"
                   "    def find_spec(self, nombre, ruta=None, destino=None):\n"
                   "        if nombre == 'curso.comprobar':\n"
                   "            return importlib.machinery.ModuleSpec(nombre, self)\n"
                   "    def create_module(self, spec):\n        return None\n"
                   "    def exec_module(self, modulo):\n"
                   "        for n in ('tipo', 'igual', 'cercano', 'listo'):\n"
                   "            setattr(modulo, n, lambda *a, **k: None)\n"
                   "sys.meta_path.insert(0, _Falso())\nsys.modules.pop('curso.comprobar', None)\n"
                   "import curso.comprobar as comprobar\n", "buscador de módulos (_Falso)"),
}


@pytest.mark.parametrize("trampa", list(TRAMPAS))
def test_trampas_no_aprueban(copia_curso_minimo, trampa):
    codigo, mensaje = TRAMPAS[trampa]
    if trampa == "isinstance":  # respuesta errónea de ej99_suma: un float donde se pide int
        nb = _con_respuestas(copia_curso_minimo, ej99_suma=codigo + "total = 15.0")
        ejercicio = "ej99_suma"
    else:
        nb = _con_respuestas(copia_curso_minimo, ej99_doble=codigo + RESPUESTA_ERRONEA)
        ejercicio = "ej99_doble"
    r = _calificar(copia_curso_minimo, "kike", nb)
    nota = _nota(r, ejercicio)
    assert nota.puntos == 0 and nota.estado == "manipulacion", nota
    assert mensaje in nota.mensaje
    assert "manipulacion" in r.banderas


def test_gancho_que_oculta_los_fallos(copia_curso_minimo):
    """Sin traza, la celda de pruebas parece haber pasado: la ficha y la respuesta del kernel lo desmienten."""
    nb = _con_respuestas(copia_curso_minimo,
                         ej99_doble="get_ipython()._showtraceback = lambda *a, **k: None\n" + RESPUESTA_ERRONEA)
    r = _calificar(copia_curso_minimo, "oculto", nb)
    assert _nota(r, "ej99_suma").puntos == 2  # antes del gancho, todo normal
    nota = _nota(r, "ej99_doble")
    assert nota.puntos == 0 and nota.estado == "manipulacion"
    assert "el error no se mostró" in nota.mensaje
    assert r.banderas == ["manipulacion"]
    guardado = nbformat.read(copia_curso_minimo / "autograded/oculto" / TAREA_MINIMA / f"{TAREA_MINIMA}.ipynb", 4)
    pruebas = next(c for c in guardado.cells if c.source.startswith("# PRUEBAS ej99_doble"))
    assert pruebas.execution_count is not None and not pruebas.outputs  # lo que engañaba al calificador anterior
    fuente = next(c for c in _fuente(copia_curso_minimo).cells if c.source.startswith("# PRUEBAS ej99_doble"))
    assert pruebas.source == fuente.source  # la ficha y el sondeo no se guardan


def test_transformador_de_entrada_que_borra_pruebas(copia_curso_minimo):
    transformador = ("def _sin_pruebas(lineas):\n"
                     "    return [l.replace('comprobar.cercano(', '(lambda *a, **k: None)(') for l in lineas]\n"
                     "get_ipython().input_transformers_cleanup.append(_sin_pruebas)\n")
    r = _calificar(copia_curso_minimo, "transformer", _con_respuestas(copia_curso_minimo,
                                                                      ej99_doble=transformador + RESPUESTA_ERRONEA))
    nota = _nota(r, "ej99_doble")
    assert nota.puntos == 0 and nota.estado == "manipulacion"
    assert "transformador de entrada (_sin_pruebas)" in nota.mensaje
    assert "manipulacion" in r.banderas


def test_salida_gigante_se_recorta_y_la_respuesta_cuenta(copia_curso_minimo):
    limites = Limites(salida_por_celda_bytes=100 * 1024, salida_total_bytes=400 * 1024)
    nb = _con_respuestas(copia_curso_minimo, ej99_suma="total = int(x.sum())\nfor _ in range(20):\n"
                                                       "    print('x' * 1_000_000)")
    r = _calificar(copia_curso_minimo, "grafomano", nb, limites)
    assert r.puntos == 5 and r.estado == "ok"
    assert r.banderas == ["salida_recortada"]
    assert any("Se recortó la salida de 1 celda(s)" in a for a in r.avisos)
    carpeta = copia_curso_minimo / "autograded/grafomano" / TAREA_MINIMA
    assert (carpeta / f"{TAREA_MINIMA}.ipynb").stat().st_size < 200 * 1024  # escribió 20 MB
    guardado = nbformat.read(carpeta / f"{TAREA_MINIMA}.ipynb", 4)
    texto = "".join(s.get("text", "") for c in guardado.cells if c.source.startswith("# EJERCICIO ej99_suma")
                    for s in c.outputs)
    assert "salida recortada por el calificador" in texto
    html = retroalimentacion.generar_una(carpeta, copia_curso_minimo / "feedback/grafomano" / TAREA_MINIMA)
    assert html.stat().st_size < 1024 * 1024


def test_bucle_en_medio_se_interrumpe_y_sigue(copia_curso_minimo):
    nb = _con_respuestas(copia_curso_minimo, ej99_suma="while True:\n    pass")
    r = _calificar(copia_curso_minimo, "bucle", nb, Limites(tiempo_por_celda_s=6))
    assert r.estado == "tiempo_agotado" and r.banderas == ["tiempo_agotado"]
    suma, doble = _nota(r, "ej99_suma"), _nota(r, "ej99_doble")
    assert suma.puntos == 0 and suma.estado == "tiempo_agotado"
    assert "La celda del ejercicio ej99_suma tardó más de 6 s y se interrumpió" in suma.mensaje
    assert doble.puntos == 3  # el ejercicio siguiente se calificó
    assert "El resto del cuaderno se ejecutó" in r.mensaje


def test_bucle_que_ignora_la_interrupcion(copia_curso_minimo):
    nb = _con_respuestas(copia_curso_minimo, ej99_suma="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                                       "while True:\n    pass")
    r = _calificar(copia_curso_minimo, "terco", nb, Limites(tiempo_por_celda_s=6))
    doble = _nota(r, "ej99_doble")
    assert _nota(r, "ej99_suma").puntos == 0 and doble.puntos == 0
    assert doble.estado == "no_ejecutado"
    assert "no se detuvo al interrumpirla y hubo que parar el kernel" in doble.mensaje
    assert "tiempo_agotado" in r.banderas


def test_tiempo_total_del_cuaderno(copia_curso_minimo):
    nb = _con_respuestas(copia_curso_minimo, ej99_suma="import time\ntime.sleep(120)")
    r = _calificar(copia_curso_minimo, "lento", nb, Limites(tiempo_por_celda_s=60, tiempo_total_s=12))
    suma, doble = _nota(r, "ej99_suma"), _nota(r, "ej99_doble")
    assert suma.estado == "tiempo_agotado" and "agotó el tiempo total del cuaderno (12 s)" in suma.mensaje
    assert doble.puntos == 0 and doble.estado == "no_ejecutado"
    assert "se agotó el tiempo total del cuaderno (12 s)" in doble.mensaje


def test_kernel_sin_memoria_lo_dice(copia_curso_minimo):
    llenar = ("_lastre = []\ntry:\n    while True:\n        _lastre.append(bytearray(10**6))\n"
              "except MemoryError:\n    pass\nfor _ in range(2000):\n    print('x' * 1000)\n")
    nb = _con_respuestas(copia_curso_minimo, ej99_doble=llenar + "def doble(v):\n    return 2 * np.asarray(v)\n")
    r = _calificar(copia_curso_minimo, "glotona", nb, Limites(memoria_bytes=3 * 1024**3))
    doble = _nota(r, "ej99_doble")
    assert _nota(r, "ej99_suma").puntos == 2
    assert doble.puntos == 0
    assert doble.estado == "kernel_murio" and "kernel_murio" in r.banderas and "sin_memoria" in r.banderas
    assert "el kernel se quedó sin memoria (el tope es 3 GB por cuaderno)" in doble.mensaje
    assert "sin memoria" in r.mensaje


def _con_nota_parcial(raiz):
    """La fuente con una celda de pruebas que termina, como un cuestionario, en una nota parcial (1.5 de 3)."""
    ruta = config.cuaderno_fuente(TAREA_MINIMA, raiz)
    nb = nbformat.read(ruta, 4)
    for celda in nb.cells:
        if celda.source.startswith("# PRUEBAS ej99_doble"):
            celda.source = celda.source.replace(
                "### END HIDDEN TESTS",
                "comprobar.nota_cuestionario({1: 'a', 2: 'b'}, {1: 'a', 2: 'c'}, 3)\n### END HIDDEN TESTS")
    nbformat.write(nb, ruta)
    return nb


def test_nota_parcial_de_cuestionario_y_resultado_falseado(copia_curso_minimo):
    _con_nota_parcial(copia_curso_minimo)
    r = _calificar(copia_curso_minimo, "honesta", _fuente(copia_curso_minimo))
    doble = _nota(r, "ej99_doble")
    assert (doble.puntos, doble.estado) == (1.5, "parcial") and not r.banderas
    guardado = nbformat.read(copia_curso_minimo / "autograded/honesta" / TAREA_MINIMA / f"{TAREA_MINIMA}.ipynb", 4)
    pruebas = next(c for c in guardado.cells if c.source.startswith("# PRUEBAS ej99_doble"))
    assert [s["data"]["text/plain"] for s in pruebas.outputs if s["output_type"] == "execute_result"] == ["1.5"]

    falsea = ("get_ipython().displayhook.compute_format_data = lambda r: ({'text/plain': '3.0'}, {})\n"
              "def doble(v):\n    return 2 * np.asarray(v)\n")
    r = _calificar(copia_curso_minimo, "falsea", _con_respuestas(copia_curso_minimo, ej99_doble=falsea))
    doble = _nota(r, "ej99_doble")
    assert doble.puntos == 0 and doble.estado == "manipulacion"
    assert "el resultado que muestra la celda no es el que calcularon las pruebas" in doble.mensaje


@pytest.mark.parametrize("codigo, muestra", [
    ("a = 1\nf(a,\n  2)", True),
    ("a = 1; f(a)  # comentario", True),
    ("f(1);", False),
    ("for i in range(2):\n    f(i)", False),
    ("g = 2", False),
])
def test_instrumentar_conserva_la_expresion_final(codigo, muestra):
    from grader.motor import integridad

    nuevo, mostrado = integridad.instrumentar_codigo(codigo, "ficha123")
    assert mostrado is muestra
    compile(nuevo, "<prueba>", "exec")  # sigue siendo Python válido
    assert "ficha123" in nuevo and nuevo.startswith(codigo.split("f(")[0] if "f(" in codigo else codigo)
    if muestra:
        assert nuevo.rstrip().split("\n")[-1].startswith(integridad.VARIABLE)
