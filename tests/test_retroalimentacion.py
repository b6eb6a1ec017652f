"""La retroalimentación nunca deja ver las pruebas ocultas, haga lo que haga el código del alumno.

Dos entregas del curso mínimo buscan las pruebas ocultas por todas las vías a su alcance (``In``, ``_ih``,
``Out``, el marco de quien llama a su función, ``linecache``, cadenas en memoria con ``gc``, la base de datos
del historial de IPython) y una además lanza una excepción con lo que encontró. La calificación sigue
funcionando y lo encontrado llega al cuaderno calificado (la vía existe), pero no a la página del alumno.
"""
from __future__ import annotations

import json
import re

import nbformat

from curso import config
from grader.informes import fugas, retroalimentacion
from grader.motor import calificacion
from grader.motor.reserva import Reserva
from grader.nucleo.limites import Limites
from tests.conftest import TAREA_MINIMA, entregar

# Las líneas de las pruebas ocultas del curso mínimo (tests/conftest.py) que el alumno nunca ve.
OCULTAS = ('comprobar.igual(total, 15, "total")', 'comprobar.cercano(doble(x), 2 * x, "doble(x)")')

RESPUESTA_SUMA = "total = int(x.sum())"

# doble() guarda lo que ve desde dentro cuando la llaman las pruebas: el código de quien la llama (por su marco,
# con inspect y con sys._getframe) y el que guarda linecache. Con LANZAR, además lo lanza en un ValueError.
DOBLE_CURIOSO = '''import inspect, linecache, sys
botin = []
def doble(v):
    marco = inspect.currentframe().f_back
    botin.append("".join(linecache.getlines(marco.f_code.co_filename)))
    try:
        botin.append(inspect.getsource(sys._getframe(1)))
    except (OSError, TypeError):
        pass
    if LANZAR and "cercano(doble(x)" in botin[-1]:
        raise ValueError([linea for linea in botin[-1].splitlines() if "cercano(doble(x)" in linea][0])
    return 2 * np.asarray(v)
'''

# Una celda más al final: imprime todo lo que quedó en el kernel después de las pruebas.
SAQUEO = '''import gc, linecache, sqlite3
print("SAQUEO", In, _ih, Out, botin)
print({nombre: "".join(lineas) for nombre, (_, _, lineas, _) in linecache.cache.items()})
print([r for o in gc.get_objects() for r in gc.get_referents(o) if isinstance(r, str) and "comprobar." in r])
historial = get_ipython().history_manager
print(list(historial.get_range(raw=True)))
try:
    print(sqlite3.connect(historial.hist_file).execute("select source from history").fetchall())
except Exception as e:
    print("sin base de datos:", e)
'''


def _publicada_con(raiz, **respuestas):
    """La versión del alumno (sin soluciones ni pruebas ocultas) con estas respuestas."""
    nb = nbformat.read(config.cuaderno_publicado(TAREA_MINIMA, raiz), as_version=4)
    for celda in nb.cells:
        for ejercicio, codigo in respuestas.items():
            if celda.source.startswith(f"# EJERCICIO {ejercicio}"):
                celda.source = f"# EJERCICIO {ejercicio}\n{codigo}"
    return nb


def _entrega(raiz, lanzar: bool):
    nb = _publicada_con(raiz, ej99_suma=RESPUESTA_SUMA,
                        ej99_doble=f"LANZAR = {lanzar}\n" + DOBLE_CURIOSO)
    nb.cells.append(nbformat.v4.new_code_cell(SAQUEO))
    return nb


def _calificar(raiz, alumno, nb):
    ruta = entregar(raiz, alumno, nb)
    reserva = Reserva(calificacion.aislamiento_para(raiz, Limites()), tamano=0)
    try:
        return calificacion.calificar_entrega(ruta, config.cuaderno_fuente(TAREA_MINIMA, raiz), alumno, TAREA_MINIMA,
                                              raiz / config.DIR_CALIFICADOS / alumno / TAREA_MINIMA, reserva=reserva)
    finally:
        reserva.cerrar()


def _recursos_remotos(pagina: str) -> list[str]:
    """Lo que la página cargaría de la red: etiquetas con src/href remotos, url() o @import en sus estilos y
    direcciones en sus scripts (el texto escapado de las salidas no cuenta: no es una etiqueta)."""
    etiquetas = re.findall(r"<[A-Za-z][^<>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//[^\"' >]*", pagina)
    estilos = "".join(re.findall(r"<style[^>]*>(.*?)</style>", pagina, re.S))
    scripts = "".join(re.findall(r"<script[^>]*>(.*?)</script>", pagina, re.S))
    return (etiquetas + re.findall(r"url\(\s*[\"']?(?:https?:)?//[^)]*|@import[^;]*", estilos)
            + re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}/\S*", scripts))


def _texto_plano(pagina: str) -> str:
    return fugas.normalizar(re.sub(r"<[^>]+>", "", pagina))


def test_ninguna_via_lleva_las_pruebas_ocultas_a_la_pagina(copia_curso_minimo):
    raiz = copia_curso_minimo
    curioso = _calificar(raiz, "curioso", _entrega(raiz, lanzar=False))
    lanzador = _calificar(raiz, "lanzador", _entrega(raiz, lanzar=True))
    # la calificación sigue funcionando: la respuesta curiosa es correcta; la que lanza pierde solo ese ejercicio
    assert [(n.ejercicio, n.puntos) for n in curioso.notas][:2] == [("ej99_suma", 2), ("ej99_doble", 3)]
    assert [(n.ejercicio, n.puntos) for n in lanzador.notas][:2] == [("ej99_suma", 2), ("ej99_doble", 0)]
    # las vías existen: lo que encontró el código del alumno está en el cuaderno calificado y en el mensaje
    calificado = (raiz / config.DIR_CALIFICADOS / "curioso" / TAREA_MINIMA / f"{TAREA_MINIMA}.ipynb").read_text()
    assert all(json.dumps(oculta)[1:-1] in calificado for oculta in OCULTAS)
    mensaje = next(n.mensaje for n in lanzador.notas if n.ejercicio == "ej99_doble")
    assert OCULTAS[1] in mensaje

    hecho = retroalimentacion.generar([TAREA_MINIMA], raiz=raiz)
    assert hecho.problemas == [] and len(hecho.escritas) == 2 and len(hecho.segundos_ejecucion) == 2
    # las líneas de la solución que el alumno escribió igual son suyas: el resto no debe aparecer
    propias = {fugas.normalizar(linea) for linea in (RESPUESTA_SUMA + "\n" + DOBLE_CURIOSO).splitlines()}
    secretos = fugas.secretos(config.cuaderno_fuente(TAREA_MINIMA, raiz)) - propias
    for alumno in ("curioso", "lanzador"):
        pagina = (raiz / config.DIR_RETRO / alumno / TAREA_MINIMA / f"{TAREA_MINIMA}.html").read_text()
        plano = _texto_plano(pagina)
        assert "SAQUEO" in plano  # la celda del saqueo se ejecutó también para la página
        assert not any(oculta in plano for oculta in OCULTAS), alumno
        assert fugas.fugas(pagina, secretos) == [], alumno
        assert "Nota automática: 5 / 6" in plano if alumno == "curioso" else "Nota automática: 2 / 6" in plano
        # sin recursos de la red: el único script es el MathJax local, que está al lado de la página
        assert re.findall(r"<script[^>]*\bsrc=[\"']?([^\"' >]+)", pagina) == [
            f"{retroalimentacion.CARPETA_MATHJAX}/{retroalimentacion.COMPONENTE_MATHJAX}"]
        assert not _recursos_remotos(pagina)
        mathjax = raiz / config.DIR_RETRO / alumno / TAREA_MINIMA / retroalimentacion.CARPETA_MATHJAX
        assert (mathjax / retroalimentacion.COMPONENTE_MATHJAX).stat().st_size == \
            retroalimentacion.componente_mathjax().stat().st_size
    lanzador_pagina = _texto_plano((raiz / config.DIR_RETRO / "lanzador" / TAREA_MINIMA /
                                    f"{TAREA_MINIMA}.html").read_text())
    assert retroalimentacion.MENSAJE_RETENIDO in lanzador_pagina


def test_una_pagina_que_fugaria_no_se_escribe(copia_curso_minimo):
    raiz = copia_curso_minimo
    _calificar(raiz, "honesto", _publicada_con(raiz, ej99_suma=RESPUESTA_SUMA))
    archivo = raiz / config.DIR_CALIFICADOS / "honesto" / TAREA_MINIMA / "resultado.json"
    datos = json.loads(archivo.read_text())
    datos["alumno"] = OCULTAS[0]  # un campo que no es un mensaje y que llega a la página tal cual
    archivo.write_text(json.dumps(datos))
    hecho = retroalimentacion.generar([TAREA_MINIMA], raiz=raiz)
    assert hecho.escritas == [] and len(hecho.problemas) == 1
    assert "honesto" in hecho.problemas[0] and "no se escribió" in hecho.problemas[0]
    assert not (raiz / config.DIR_RETRO / "honesto" / TAREA_MINIMA / f"{TAREA_MINIMA}.html").exists()
    assert "PROBLEMA INTERNO" in hecho.texto()


def test_el_mensaje_de_toda_la_entrega_se_dice_una_vez():
    """Un archivo no válido da 0 en cada ejercicio con el mismo motivo: la página lo dice arriba, una vez, y
    cada ejercicio remite a él (sin kernel: el resumen sale del registro)."""
    from grader.nucleo import puntuacion
    from grader.nucleo.resultado import Resultado
    from tests.conftest import cuaderno_minimo

    motivo = "99_minimo.ipynb está dañado: no es JSON válido (línea 3, columna 1)."
    r = Resultado("ana", TAREA_MINIMA, "archivo_invalido", mensaje=motivo,
                  notas=puntuacion.notas_a_cero(cuaderno_minimo(), motivo))
    resumen = retroalimentacion._resumen(r)
    assert resumen.count("está dañado") == 1, "el motivo debe aparecer una sola vez en el resumen"
    assert resumen.count(retroalimentacion.VER_ARRIBA) == len(r.notas), resumen
