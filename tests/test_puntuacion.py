"""Combinar y puntuar sin kernel (``grader.nucleo.puntuacion``): cuadernos escritos a mano que parecen ejecutados
(salidas y números de ejecución puestos por la prueba), con las marcas del curso mínimo de ``tests/conftest.py``.

La evidencia del motor se sustituye por una falsa (``EvidenciaFalsa``) o se usa la de verdad
(``EvidenciaDeEjecucion``) con un ``Registro`` hecho a mano: nada aquí lanza un kernel."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import nbformat
import pytest

from curso import config, mensajes
from grader.motor import ejecucion, integridad
from grader.motor.calificacion import EvidenciaDeEjecucion
from grader.nucleo import celdas, puntuacion
from grader.nucleo.limites import Limites, tamano
from grader.nucleo.resultado import NotaEjercicio
from tests.conftest import cuaderno_minimo

FUENTE = cuaderno_minimo()
SUMA, DOBLE = [m for m in celdas.ejercicios(FUENTE) if m.tipo == "pruebas"]
ESCRITA = next(m for m in celdas.ejercicios(FUENTE) if m.tipo == "respuesta")
ERROR_DE_NOMBRE = ("NameError", "name 'total' is not defined")
DISCO_LLENO = ("OSError", "[Errno 28] No space left on device")


# ---------------------------------------------------------------- cuadernos escritos a mano


def _fuente():
    """Una copia de la fuente mínima (la entrega de quien responde como la solución)."""
    return copy.deepcopy(FUENTE)


def _celda(nb, grade_id: str):
    return nb.cells[_indice(nb, grade_id)]


def _indice(nb, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if puntuacion.id_estable(c) == grade_id)


def _primera_linea(celda) -> str:
    return celda.source.split("\n", 1)[0]


def _con_cuerpo(celda, cuerpo: str) -> None:
    """Cambia el código de ``celda`` conservando su primera línea (la marca)."""
    celda.source = f"{_primera_linea(celda)}\n{cuerpo}"


def _error(ename: str, evalue: str = ""):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])


def _muestra(texto: str):
    """La salida de una celda que termina en una expresión (lo que lee la nota parcial)."""
    return nbformat.v4.new_output("execute_result", data={"text/plain": texto}, execution_count=1)


def _ejecutado(entrega=None, salidas: dict | None = None, hasta: int | None = None):
    """El cuaderno combinado de ``entrega`` (por defecto, la solución) como si se hubiera ejecutado: cada celda de
    código no omitida, antes de la celda ``hasta``, lleva su número de ejecución y las salidas de ``salidas``
    (por id estable; sin nada, terminó sin salida ni error)."""
    nb = puntuacion.combinar(entrega if entrega is not None else _fuente(), FUENTE)[0]
    n = 0
    for i, celda in enumerate(nb.cells):
        if celda.cell_type != "code" or celdas.ETIQUETA_OMITIR in celda.metadata.get("tags", []):
            continue
        if hasta is not None and i >= hasta:
            break
        n += 1
        celda.execution_count = n
        celda.outputs = list((salidas or {}).get(puntuacion.id_estable(celda), []))
    return nb


def _nota(notas: list[NotaEjercicio], m: celdas.Marca) -> NotaEjercicio:
    return next(n for n in notas if n.grade_id == m.grade_id)


# ---------------------------------------------------------------- combinar


def test_pruebas_editadas_vuelven_de_la_fuente_con_las_ocultas():
    entrega = _fuente()
    _con_cuerpo(_celda(entrega, SUMA.grade_id), "pass")
    nb = puntuacion.combinar(entrega, FUENTE)[0]
    assert _celda(nb, SUMA.grade_id).source == _celda(FUENTE, SUMA.grade_id).source, \
        "la celda de pruebas que se ejecuta debe ser la de la fuente, no la editada por el alumno"
    assert celdas.INICIO_OCULTAS in _celda(nb, SUMA.grade_id).source, "deben ejecutarse también las pruebas ocultas"


def test_cabecera_editada_vuelve_de_la_fuente():
    entrega = _fuente()
    cabecera = _celda(entrega, celdas.ID_CABECERA)
    cabecera.source = "\n".join(cabecera.source.splitlines()[:2] + ["pass"])
    assert celdas.es_cabecera(cabecera), "la prueba debe conservar la marca de la cabecera"
    nb = puntuacion.combinar(entrega, FUENTE)[0]
    assert _celda(nb, celdas.ID_CABECERA).source == _celda(FUENTE, celdas.ID_CABECERA).source, \
        "la cabecera que se ejecuta debe ser la de la fuente"


def test_metadatos_nbgrader_vienen_de_la_fuente():
    entrega = _fuente()
    _celda(entrega, SUMA.ejercicio).metadata["nbgrader"].update(grade=True, points=100)
    nb = puntuacion.combinar(entrega, FUENTE)[0]
    assert _celda(nb, SUMA.ejercicio).metadata["nbgrader"] == _celda(FUENTE, SUMA.ejercicio).metadata["nbgrader"], \
        "los metadatos nbgrader de una celda deben ser los de la fuente, no los que puso el alumno"


def test_salidas_del_alumno_no_pasan_al_cuaderno_que_se_ejecuta():
    entrega = _fuente()
    for celda in entrega.cells:
        if celda.cell_type == "code":
            celda.execution_count, celda.outputs = 7, [_muestra(str(SUMA.puntos))]
    nb = puntuacion.combinar(entrega, FUENTE)[0]
    sucias = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert sucias == [], f"las celdas {sucias} conservan salidas de la entrega: podrían fingir una nota"


def test_combinar_no_modifica_la_entrega():
    entrega = _fuente()
    _con_cuerpo(_celda(entrega, SUMA.grade_id), "pass")
    original = copy.deepcopy(entrega)
    puntuacion.combinar(entrega, FUENTE)
    assert entrega == original, "combinar no debe cambiar el cuaderno entregado"


def test_ejercicio_que_falta_se_restaura_sin_responder():
    entrega = _fuente()
    del entrega.cells[_indice(entrega, DOBLE.ejercicio)]
    combinado = puntuacion.combinar_detalle(entrega, FUENTE)
    restaurada = _celda(combinado.nb, DOBLE.ejercicio)
    assert restaurada.source == f"{_primera_linea(_celda(FUENTE, DOBLE.ejercicio))}\n{config.STUB_CODIGO}", \
        "la celda restaurada debe ser el esqueleto sin resolver de la versión del alumno"
    assert combinado.restauradas == [DOBLE.ejercicio], "la celda restaurada debe quedar anotada en `restauradas`"
    assert any(DOBLE.ejercicio in a and "sin responder" in a for a in combinado.avisos), combinado.avisos


def test_celda_restaurada_va_en_su_sitio():
    entrega = _fuente()
    del entrega.cells[_indice(entrega, DOBLE.ejercicio)]
    nb = puntuacion.combinar(entrega, FUENTE)[0]
    orden = [g for c in nb.cells if (g := puntuacion.id_estable(c)) is not None]
    esperado = [g for c in FUENTE.cells if (g := puntuacion.id_estable(c)) is not None]
    assert orden == esperado, "la celda restaurada debe ir tras la celda de la fuente que la precede"


def test_respuesta_escrita_que_falta_se_restaura_en_markdown():
    entrega = _fuente()
    del entrega.cells[_indice(entrega, ESCRITA.grade_id)]
    combinado = puntuacion.combinar_detalle(entrega, FUENTE)
    restaurada = _celda(combinado.nb, ESCRITA.grade_id)
    assert restaurada.cell_type == "markdown", "una respuesta escrita se restaura como Markdown"
    assert celdas.marca(restaurada) == ESCRITA, "la respuesta restaurada debe llevar la marca de la fuente"
    assert restaurada.source.endswith(config.STUB_TEXTO), "la respuesta restaurada debe ser el esqueleto"
    assert combinado.restauradas == [ESCRITA.grade_id]


def test_pruebas_que_faltan_se_restauran_de_la_fuente():
    entrega = _fuente()
    del entrega.cells[_indice(entrega, SUMA.grade_id)]
    combinado = puntuacion.combinar_detalle(entrega, FUENTE)
    assert _celda(combinado.nb, SUMA.grade_id).source == _celda(FUENTE, SUMA.grade_id).source, \
        "las pruebas borradas deben volver tal como están en la fuente"
    assert combinado.restauradas == [SUMA.grade_id]
    assert any(SUMA.grade_id in a and "restauró" in a for a in combinado.avisos), combinado.avisos


def test_entrega_completa_no_restaura_nada():
    combinado = puntuacion.combinar_detalle(_fuente(), FUENTE)
    assert (combinado.restauradas, combinado.avisos) == ([], []), "una entrega completa no debe dar avisos"


def test_celda_repetida_se_ignora_con_aviso():
    entrega = _fuente()
    copia = copy.deepcopy(_celda(entrega, SUMA.ejercicio))
    copia["id"], copia.source = "copia-de-la-suma", f"{_primera_linea(copia)}\ntotal = 15"
    entrega.cells.append(copia)
    nb, avisos = puntuacion.combinar(entrega, FUENTE)
    iguales = [c for c in nb.cells if puntuacion.id_estable(c) == SUMA.ejercicio]
    assert len(iguales) == 1, "de una celda repetida solo se ejecuta la primera"
    assert iguales[0].source == _celda(FUENTE, SUMA.ejercicio).source, "se conserva la primera copia, no la última"
    assert any(SUMA.ejercicio in a and "repetida" in a for a in avisos), avisos


def _falsa_por_marca(entrega):
    """Una celda de pruebas inventada: la marca de unas pruebas con un id que no existe en la fuente."""
    falsa = copy.deepcopy(_celda(entrega, SUMA.grade_id))
    falsa["id"], falsa.source = "regalo", falsa.source.replace(SUMA.ejercicio, "ej99_regalo", 1)
    return falsa


def _falsa_por_metadatos(entrega):
    """Una celda sin marca con metadatos nbgrader de celda calificada (100 puntos) y un id inventado."""
    falsa = nbformat.v4.new_code_cell("pass")
    falsa.metadata["nbgrader"] = {**_celda(entrega, SUMA.grade_id).metadata["nbgrader"], "grade_id": "regalo",
                                  "points": 100}
    return falsa


CELDAS_FALSAS = pytest.mark.parametrize("falsa", [_falsa_por_marca, _falsa_por_metadatos], ids=["marca", "metadatos"])


@CELDAS_FALSAS
def test_id_desconocido_se_ejecuta_con_aviso(falsa):
    entrega = _fuente()
    celda = falsa(entrega)
    entrega.cells.append(celda)
    nb, avisos = puntuacion.combinar(entrega, FUENTE)
    combinada = next(c for c in nb.cells if c.get("id") == celda.get("id"))
    assert "nbgrader" not in combinada.metadata, "una celda desconocida no debe llevar metadatos de calificación"
    assert any(puntuacion.id_estable(celda) in a and "no cuenta" in a for a in avisos), avisos


@CELDAS_FALSAS
def test_id_desconocido_no_cuenta_para_la_nota(falsa):
    entrega = _fuente()
    entrega.cells.append(falsa(entrega))
    notas = puntuacion.puntuar(_ejecutado(entrega), FUENTE)
    assert [n.grade_id for n in notas] == [m.grade_id for m in celdas.ejercicios(FUENTE)], \
        "solo puntúan los ejercicios de la fuente"


def test_celda_que_perdio_la_marca_de_omitir_se_omite_igual():
    entrega = _fuente()
    lenta = next(c for c in entrega.cells if celdas.se_omite(c))
    lenta.source = "\n".join(linea for linea in lenta.source.splitlines() if linea.strip() != celdas.MARCA_OMITIR)
    lenta.metadata.pop("tags", None)
    nb, avisos = puntuacion.combinar(entrega, FUENTE)
    combinada = next(c for c in nb.cells if c.get("id") == lenta.get("id"))
    assert celdas.ETIQUETA_OMITIR in combinada.metadata["tags"], "la celda lenta de la fuente no debe ejecutarse"
    assert any(celdas.MARCA_OMITIR in a and lenta.get("id") in a for a in avisos), avisos


def test_etiqueta_de_omitir_puesta_por_el_alumno_no_salta_sus_celdas():
    entrega = _fuente()
    for gid in (SUMA.ejercicio, SUMA.grade_id):
        _celda(entrega, gid).metadata["tags"] = [celdas.ETIQUETA_OMITIR]
    nb = puntuacion.combinar(entrega, FUENTE)[0]
    for gid in (SUMA.ejercicio, SUMA.grade_id):
        assert celdas.ETIQUETA_OMITIR not in _celda(nb, gid).metadata.get("tags", []), \
            f"la celda {gid} no tiene la marca de omitir: debe ejecutarse aunque el alumno la etiquete"


# ---------------------------------------------------------------- puntuar sin evidencia


def test_solucion_ejecutada_sin_errores_tiene_la_nota_maxima():
    notas = puntuacion.puntuar(_ejecutado(), FUENTE)
    assert {n.grade_id: (n.puntos, n.estado) for n in notas if n.estado != "manual"} == {
        SUMA.grade_id: (SUMA.puntos, "correcto"), DOBLE.grade_id: (DOBLE.puntos, "correcto")}


def test_respuesta_escrita_queda_para_el_instructor():
    nota = _nota(puntuacion.puntuar(_ejecutado(), FUENTE), ESCRITA)
    assert (nota.puntos, nota.maximo, nota.estado) == (None, ESCRITA.puntos, "manual"), \
        "una respuesta escrita no tiene nota automática: la pone el instructor"


def test_error_en_las_pruebas_vale_cero_con_el_mensaje_traducido():
    nota = _nota(puntuacion.puntuar(_ejecutado(salidas={SUMA.grade_id: [_error(*ERROR_DE_NOMBRE)]}), FUENTE), SUMA)
    assert (nota.puntos, nota.estado) == (0, "incorrecto")
    assert nota.mensaje == puntuacion.mensaje_de_error(*ERROR_DE_NOMBRE), "el mensaje debe ser el traducido"
    assert ERROR_DE_NOMBRE[1] not in nota.mensaje, "el alumno debe leer la explicación en español, no el error"


def test_un_error_no_quita_los_puntos_de_otro_ejercicio():
    notas = puntuacion.puntuar(_ejecutado(salidas={SUMA.grade_id: [_error(*ERROR_DE_NOMBRE)]}), FUENTE)
    assert (_nota(notas, DOBLE).puntos, _nota(notas, DOBLE).estado) == (DOBLE.puntos, "correcto")


@pytest.mark.parametrize("ename", mensajes.SIN_RESOLVER)
def test_pruebas_de_un_ejercicio_sin_resolver_son_sin_responder(ename):
    nota = _nota(puntuacion.puntuar(_ejecutado(salidas={SUMA.grade_id: [_error(ename)]}), FUENTE), SUMA)
    assert (nota.puntos, nota.estado) == (0, "sin_responder"), f"{ename} en las pruebas significa sin responder"
    assert "sin responder" in nota.mensaje, nota.mensaje


def test_ejercicio_sin_resolver_y_pruebas_que_fallan_es_sin_responder():
    salidas = {SUMA.ejercicio: [_error(mensajes.SIN_RESOLVER[-1])], SUMA.grade_id: [_error(*ERROR_DE_NOMBRE)]}
    nota = _nota(puntuacion.puntuar(_ejecutado(salidas=salidas), FUENTE), SUMA)
    assert nota.estado == "sin_responder", "el NameError de las pruebas viene del esqueleto sin resolver"


def test_manipulacion_detectada_por_comprobar_vale_cero():
    salidas = {SUMA.grade_id: [_error("ManipulacionDetectada", "se reemplazó una función de comprobar")]}
    nota = _nota(puntuacion.puntuar(_ejecutado(salidas=salidas), FUENTE), SUMA)
    assert (nota.puntos, nota.estado) == (0, "manipulacion")


@pytest.mark.parametrize("mostrado, puntos, estado", [
    ("1.5", 1.5, "parcial"),
    ("0", 0, "parcial"),
    ("-2", 0, "parcial"),
    ("nan", 0, "parcial"),
    (str(DOBLE.puntos + 4), DOBLE.puntos, "correcto"),
    (str(DOBLE.puntos), DOBLE.puntos, "correcto"),
])
def test_numero_mostrado_es_nota_parcial_acotada(mostrado, puntos, estado):
    nota = _nota(puntuacion.puntuar(_ejecutado(salidas={DOBLE.grade_id: [_muestra(mostrado)]}), FUENTE), DOBLE)
    assert (nota.puntos, nota.estado) == (puntos, estado), \
        f"la celda muestra {mostrado}: la nota debe ser {puntos} de {DOBLE.puntos} (acotada a [0, máximo])"


def test_resultado_que_no_es_un_numero_no_quita_puntos():
    nota = _nota(puntuacion.puntuar(_ejecutado(salidas={DOBLE.grade_id: [_muestra("'listo'")]}), FUENTE), DOBLE)
    assert (nota.puntos, nota.estado) == (DOBLE.puntos, "correcto"), "como nbgrader: sin número, nota completa"


def test_salida_en_stderr_no_quita_puntos():
    aviso = nbformat.v4.new_output("stream", name="stderr", text="UserWarning: aviso inofensivo\n")
    nota = _nota(puntuacion.puntuar(_ejecutado(salidas={DOBLE.grade_id: [aviso]}), FUENTE), DOBLE)
    assert (nota.puntos, nota.estado) == (DOBLE.puntos, "correcto")


def test_pruebas_sin_ejecutar_son_no_ejecutado():
    nb = _ejecutado(hasta=_indice(FUENTE, DOBLE.ejercicio))
    nota = _nota(puntuacion.puntuar(nb, FUENTE), DOBLE)
    assert (nota.puntos, nota.estado) == (0, "no_ejecutado"), "unas pruebas que no se ejecutaron valen 0"


def test_sin_evidencia_un_error_de_memoria_no_cita_un_tope():
    nota = _nota(puntuacion.puntuar(_ejecutado(salidas={SUMA.grade_id: [_error("MemoryError")]}), FUENTE), SUMA)
    assert nota.mensaje == puntuacion.mensaje_de_error("MemoryError", ""), "sin límites conocidos no hay tope"


@pytest.mark.parametrize("ename", mensajes.FALLOS)
def test_mensaje_de_un_fallo_de_comprobar_es_el_suyo(ename):
    assert puntuacion.mensaje_de_error(ename, "se esperaba 15") == "se esperaba 15", \
        f"un {ename} de comprobar ya está en español: se muestra tal cual"


def test_fallo_sin_texto_tambien_se_explica():
    assert puntuacion.mensaje_de_error(mensajes.FALLOS[0], "").strip(), "un fallo sin texto necesita una frase"


def test_mensaje_de_un_error_desconocido_lo_cita():
    mensaje = puntuacion.mensaje_de_error("ErrorRaro", "algo pasó")
    assert "ErrorRaro" in mensaje and "algo pasó" in mensaje, mensaje


def test_notas_a_cero_deja_pendientes_las_manuales():
    notas = puntuacion.notas_a_cero(FUENTE, "motivo de prueba")
    assert [(n.grade_id, n.puntos, n.estado) for n in notas] == [
        (SUMA.grade_id, 0, "no_ejecutado"), (DOBLE.grade_id, 0, "no_ejecutado"), (ESCRITA.grade_id, None, "manual")]
    assert {n.mensaje for n in notas} == {"motivo de prueba"}


@pytest.mark.parametrize("grade_id, descripcion", [
    (SUMA.ejercicio, f"la celda del ejercicio {SUMA.ejercicio}"),
    (SUMA.grade_id, f"la celda de pruebas de {SUMA.ejercicio}"),
])
def test_describir_celda_calificada(grade_id, descripcion):
    assert puntuacion.describir_celda(FUENTE, _indice(FUENTE, grade_id)) == descripcion


def test_describir_celda_normal_da_su_numero_y_su_primera_linea():
    indice = _indice(FUENTE, SUMA.ejercicio) - 1
    primera = _primera_linea(FUENTE.cells[indice])
    assert puntuacion.describir_celda(FUENTE, indice) == f"la celda {indice + 1} (`{primera}`)"


@pytest.mark.parametrize("error, lleno", [
    (DISCO_LLENO, True),
    (("OSError", "[Errno 122] Disk quota exceeded"), True),
    (("OSError", "[Errno 2] No such file or directory: 'datos.csv'"), False),
    (None, False),
])
def test_disco_lleno(error, lleno):
    assert puntuacion.disco_lleno(error) is lleno, f"¿{error} es un disco lleno? debería ser {lleno}"


# ---------------------------------------------------------------- puntuar con una evidencia falsa


@dataclass
class JuicioFalso:
    valida: bool
    valor: str | None = None
    motivo: str = ""
    manipulacion: bool = False


@dataclass
class EvidenciaFalsa:
    """Una ``puntuacion.Evidencia`` que da el mismo juicio a toda celda de pruebas y anota cuáles juzgó."""

    juicio: JuicioFalso = field(default_factory=lambda: JuicioFalso(True))
    limites: Limites = field(default_factory=Limites)
    sin_pruebas: dict[str, NotaEjercicio] = field(default_factory=dict)
    juzgadas: list[int] = field(default_factory=list)

    def nota_sin_pruebas(self, m, nb, propias, prueba):
        return self.sin_pruebas.get(m.grade_id)

    def juzgar(self, indice, celda):
        self.juzgadas.append(indice)
        return self.juicio


def test_evidencia_de_manipulacion_vale_cero():
    ev = EvidenciaFalsa(JuicioFalso(False, motivo="no llegó su ficha", manipulacion=True))
    nota = _nota(puntuacion.puntuar(_ejecutado(), FUENTE, ev), SUMA)
    assert (nota.puntos, nota.estado) == (0, "manipulacion"), "sin error visible pero sin evidencia: no cuenta"
    assert nota.mensaje == "Las pruebas no cuentan: no llegó su ficha.", nota.mensaje


def test_evidencia_invalida_sin_manipulacion_es_incorrecto():
    ev = EvidenciaFalsa(JuicioFalso(False, motivo="la prueba falló, pero IPython no pudo mostrar el error"))
    nota = _nota(puntuacion.puntuar(_ejecutado(), FUENTE, ev), SUMA)
    assert (nota.puntos, nota.estado) == (0, "incorrecto"), "un fallo de IPython no es manipulación"
    assert nota.mensaje == "La prueba falló, pero IPython no pudo mostrar el error.", nota.mensaje


def test_con_evidencia_la_nota_parcial_es_el_valor_que_vio_el_sondeo():
    ev = EvidenciaFalsa(JuicioFalso(True, valor="1.5"))
    nota = _nota(puntuacion.puntuar(_ejecutado(salidas={DOBLE.grade_id: [_muestra("3")]}), FUENTE, ev), DOBLE)
    assert (nota.puntos, nota.estado) == (1.5, "parcial"), "vale el valor que vio el sondeo, no el mostrado"


def test_solo_se_juzgan_las_pruebas_que_terminaron_sin_error():
    ev = EvidenciaFalsa()
    nb = _ejecutado(salidas={SUMA.grade_id: [_error(*ERROR_DE_NOMBRE)]})
    puntuacion.puntuar(nb, FUENTE, ev)
    assert ev.juzgadas == [_indice(nb, DOBLE.grade_id)], "una prueba con error no necesita juicio: ya vale 0"


def test_nota_sin_pruebas_de_la_evidencia_manda():
    propia = NotaEjercicio(DOBLE.ejercicio, DOBLE.grade_id, 0, DOBLE.puntos, "tiempo_agotado", "se interrumpió")
    ev = EvidenciaFalsa(sin_pruebas={DOBLE.grade_id: propia})
    nb = _ejecutado()
    assert _nota(puntuacion.puntuar(nb, FUENTE, ev), DOBLE) == propia, "la nota de la evidencia debe quedar tal cual"
    assert _indice(nb, DOBLE.grade_id) not in ev.juzgadas, "con la nota de la evidencia no se juzgan sus pruebas"


def test_error_de_memoria_cita_el_tope():
    ev = EvidenciaFalsa(limites=Limites(memoria_bytes=3 * 1024**3))
    nota = _nota(puntuacion.puntuar(_ejecutado(salidas={SUMA.grade_id: [_error("MemoryError")]}), FUENTE, ev), SUMA)
    assert nota.mensaje.startswith(puntuacion.mensaje_de_error("MemoryError", "")), nota.mensaje
    assert tamano(ev.limites.memoria_bytes) in nota.mensaje, "el mensaje debe citar el tope de memoria del cuaderno"


@pytest.mark.parametrize("celda, salidas", [
    ("pruebas", {SUMA.grade_id: [_error(*DISCO_LLENO)]}),
    ("ejercicio", {SUMA.ejercicio: [_error(*DISCO_LLENO)], SUMA.grade_id: [_error(*ERROR_DE_NOMBRE)]}),
])
def test_disco_lleno_da_el_mensaje_del_disco(celda, salidas):
    ev = EvidenciaFalsa(limites=Limites(disco_tmp_bytes=5 * 1024**2))
    nota = _nota(puntuacion.puntuar(_ejecutado(salidas=salidas), FUENTE, ev), SUMA)
    assert (nota.puntos, nota.estado) == (0, "incorrecto")
    assert nota.mensaje == puntuacion.mensaje_disco_lleno(ev.limites), f"disco lleno en la celda de {celda}"


# ---------------------------------------------------------------- la evidencia del motor, con un registro a mano


def _evidencia_real(nb, registro: ejecucion.Registro, limites: Limites) -> EvidenciaDeEjecucion:
    """La evidencia del motor para ``nb`` ya ejecutado: cada celda de pruebas que terminó sin error publicó su
    ficha (lo que haría el sondeo) y el kernel respondió ``ok``."""
    fichas = integridad.instrumentar(nb)
    integridad.restaurar(nb, fichas)
    for i, ficha in fichas.items():
        if nb.cells[i].execution_count is not None and puntuacion.error_de(nb.cells[i]) is None:
            registro.respuestas[i] = "ok"
            registro.fichas[i] = [{"ficha": ficha.ficha, "valor": None, "anomalias": []}]
    return EvidenciaDeEjecucion(registro, fichas, limites)


def test_evidencia_real_acepta_las_pruebas_que_publicaron_su_ficha():
    nb = _ejecutado()
    notas = puntuacion.puntuar(nb, FUENTE, _evidencia_real(nb, ejecucion.Registro(), Limites()))
    assert {n.grade_id: n.estado for n in notas} == {
        SUMA.grade_id: "correcto", DOBLE.grade_id: "correcto", ESCRITA.grade_id: "manual"}


def test_evidencia_real_sin_ficha_es_manipulacion():
    nb = _ejecutado()
    ev = _evidencia_real(nb, ejecucion.Registro(), Limites())
    del ev.registro.fichas[_indice(nb, SUMA.grade_id)]
    nota = _nota(puntuacion.puntuar(nb, FUENTE, ev), SUMA)
    assert (nota.puntos, nota.estado) == (0, "manipulacion"), "unas pruebas sin su ficha no llegaron a su final"


def test_evidencia_real_celda_agotada_da_tiempo_agotado():
    limites = Limites(tiempo_por_celda_s=17)
    salidas = {DOBLE.ejercicio: [_error("TiempoAgotado", "la celda agotó su tiempo y se interrumpió")],
               DOBLE.grade_id: [_error("NameError", "name 'doble' is not defined")]}
    nb = _ejecutado(salidas=salidas)
    agotada = _indice(nb, DOBLE.ejercicio)
    registro = ejecucion.Registro(estado="tiempo_agotado", agotadas={agotada: "celda"})
    notas = puntuacion.puntuar(nb, FUENTE, _evidencia_real(nb, registro, limites))
    nota = _nota(notas, DOBLE)
    assert (nota.puntos, nota.estado) == (0, "tiempo_agotado")
    assert nota.mensaje.startswith(f"La celda del ejercicio {DOBLE.ejercicio} tardó más de 17 s"), nota.mensaje
    assert _nota(notas, SUMA).estado == "correcto", "el tiempo agotado de un ejercicio no afecta a los demás"


def test_evidencia_real_cuaderno_parado_en_su_celda_es_kernel_murio():
    parada = _indice(FUENTE, DOBLE.ejercicio)
    nb = _ejecutado(hasta=parada)
    registro = ejecucion.Registro(estado="kernel_murio", parada=parada, motivo_parada="el kernel se detuvo")
    nota = _nota(puntuacion.puntuar(nb, FUENTE, _evidencia_real(nb, registro, Limites())), DOBLE)
    assert (nota.puntos, nota.estado) == (0, "kernel_murio")
    assert nota.mensaje == f"Al ejecutar la celda del ejercicio {DOBLE.ejercicio}, el kernel se detuvo.", nota.mensaje


def test_evidencia_real_cuaderno_parado_antes_deja_sin_ejecutar_lo_que_sigue():
    parada = _indice(FUENTE, SUMA.ejercicio)
    nb = _ejecutado(hasta=parada)
    registro = ejecucion.Registro(estado="kernel_murio", parada=parada, motivo_parada="el kernel se detuvo")
    nota = _nota(puntuacion.puntuar(nb, FUENTE, _evidencia_real(nb, registro, Limites())), DOBLE)
    assert (nota.puntos, nota.estado) == (0, "no_ejecutado"), "lo que sigue a la parada no llegó a ejecutarse"
    assert f"antes, en la celda del ejercicio {SUMA.ejercicio}, el kernel se detuvo" in nota.mensaje, nota.mensaje


def test_una_celda_calificada_con_la_marca_de_omitir_es_un_error_de_la_fuente():
    """Una celda de pruebas con la marca de omitir no se ejecutaría al calificar (todos tendrían 0): la fuente
    no se acepta."""
    fuente = copy.deepcopy(FUENTE)
    pruebas = _celda(fuente, SUMA.grade_id)
    pruebas.source += f"\n{celdas.MARCA_OMITIR}"
    problemas = celdas.errores_de_estructura(fuente)
    assert any(SUMA.grade_id in p and celdas.MARCA_OMITIR in p for p in problemas), problemas
