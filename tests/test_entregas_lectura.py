"""Leer una entrega que no es de fiar (``grader.nucleo.entregas``), sin kernel: lo que no es un cuaderno se
rechaza con un mensaje en español que dice por qué.

Las carpetas, enlaces simbólicos, tuberías, el JSON no UTF-8 o anidado a miles de niveles y el archivo enorme ya
los prueba ``tests/test_resultado.py``; aquí va el resto (y los límites exactos)."""
from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import nbformat
import pytest

from grader.motor import calificacion
from grader.nucleo import cuadernos, entregas, puntuacion
from grader.nucleo.entregas import PROFUNDIDAD_MAX_JSON, EntregaInvalida, EntregaNoRegular
from tests.conftest import TAREA_MINIMA, cuaderno_minimo


def _escrita(tmp_path, contenido: str | bytes):
    ruta = tmp_path / f"{TAREA_MINIMA}.ipynb"
    if isinstance(contenido, bytes):
        ruta.write_bytes(contenido)
    else:
        ruta.write_text(contenido, encoding="utf-8")
    return ruta


def _cuaderno_json(**metadatos) -> dict:
    """Un cuaderno válido de una celda, como diccionario (para escribirlo con el JSON que se quiera)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")], metadata=metadatos)
    return json.loads(nbformat.writes(nb))


def _rechazo(ruta) -> str:
    """El mensaje con que ``leer_entrega`` rechaza ``ruta`` (falla si la lee)."""
    with pytest.raises(EntregaInvalida) as error:
        entregas.leer_entrega(ruta)
    return str(error.value)


# ---------------------------------------------------------------- lo que no es un cuaderno


@pytest.mark.parametrize("contenido", [b"", b"  \n\t \n"])
def test_archivo_vacio(tmp_path, contenido):
    assert "está vacío" in _rechazo(_escrita(tmp_path, contenido)), "un archivo vacío debe decir que está vacío"


@pytest.mark.parametrize("script", [
    "# %%\nimport numpy as np\nprint(np.pi)\n",  # formato «percent» (VS Code, jupytext)
    "#!/usr/bin/env python\n# coding: utf-8\n\n# In[1]:\n\n\nprint('hola'\n",  # «Descargar como .py» de Jupyter
])
def test_script_de_python_guardado_como_ipynb(tmp_path, script):
    mensaje = _rechazo(_escrita(tmp_path, script))
    assert "es un script de Python" in mensaje and "no como archivo .py" in mensaje, \
        f"un .py renombrado debe explicarse como tal, no como JSON dañado: {mensaje}"


def test_json_roto_dice_la_linea_y_la_columna(tmp_path):
    mensaje = _rechazo(_escrita(tmp_path, '{"cells": [\n  {"x": 1,,}\n]}'))
    assert "no es JSON válido (línea 2, columna 11)" in mensaje, mensaje


def test_diccionario_de_python_no_pasa_por_script(tmp_path):
    mensaje = _rechazo(_escrita(tmp_path, "{'cells': []}"))
    assert "no es JSON válido" in mensaje, f"lo que empieza por llave es un JSON dañado, no un script: {mensaje}"


@pytest.mark.parametrize("contenido", ["[1, 2, 3]", '{"hola": "mundo"}', '{"cells": {}}', "null"])
def test_json_sin_celdas(tmp_path, contenido):
    assert "no tiene celdas" in _rechazo(_escrita(tmp_path, contenido)), f"{contenido} no es un cuaderno"


def test_celdas_que_no_cumplen_el_formato(tmp_path):
    roto = _cuaderno_json()
    del roto["cells"][0]["metadata"]
    mensaje = _rechazo(_escrita(tmp_path, json.dumps(roto)))
    assert "no es un cuaderno de Jupyter válido" in mensaje, mensaje


@pytest.mark.parametrize("campo, valor", [("source", 42), ("cell_type", "grafico"), ("execution_count", "uno")])
def test_celda_fuera_del_esquema_no_se_lee(tmp_path, campo, valor):
    roto = _cuaderno_json()
    roto["cells"][0][campo] = valor
    mensaje = _rechazo(_escrita(tmp_path, json.dumps(roto)))
    assert "no es un cuaderno de Jupyter válido: la celda 1 no tiene el formato" in mensaje, \
        f"un {campo} = {valor!r} rompería al combinar: debe rechazarse al leer, diciendo qué celda es ({mensaje})"


def test_campos_de_mas_se_aceptan(tmp_path):
    con_extras = _cuaderno_json()
    con_extras["cells"][0]["de_otro_editor"] = True  # Jupyter abre estos cuadernos: el alumno no ve nada raro
    nb = entregas.leer_entrega(_escrita(tmp_path, json.dumps(con_extras)))
    assert nb.cells[0].source == "x = 1", "un campo de más que Jupyter tolera no invalida la entrega"


def _anidado(niveles: int) -> str:
    """Un cuaderno válido cuyo JSON anida exactamente ``niveles`` niveles (en una clave de sus metadatos)."""
    valor: list = []
    for _ in range(niveles - 3):  # el cuaderno y sus metadatos son 2 niveles; la lista más interna, 1
        valor = [valor]
    texto = json.dumps(_cuaderno_json(anidado=valor))
    assert entregas.profundidad(json.loads(texto)) == niveles, "la prueba debe construir la profundidad pedida"
    return texto


def test_json_anidado_hasta_el_maximo_se_lee(tmp_path):
    nb = entregas.leer_entrega(_escrita(tmp_path, _anidado(PROFUNDIDAD_MAX_JSON)))
    assert nb.cells[0].source == "x = 1", f"un cuaderno de {PROFUNDIDAD_MAX_JSON} niveles aún se lee"


def test_json_anidado_un_nivel_de_mas_no_se_lee(tmp_path):
    mensaje = _rechazo(_escrita(tmp_path, _anidado(PROFUNDIDAD_MAX_JSON + 1)))
    assert f"anidado a más de {PROFUNDIDAD_MAX_JSON} niveles" in mensaje, mensaje


def test_profundidad_sin_recursion():
    valor: list = []
    for _ in range(20_000):
        valor = [valor]
    assert entregas.profundidad(valor) == 20_001, "la profundidad se mide sin agotar la pila"


@pytest.mark.parametrize("valor, niveles", [(3, 0), ("texto", 0), ([], 1), ({"a": [1, {"b": 2}]}, 3)])
def test_profundidad_cuenta_niveles(valor, niveles):
    assert entregas.profundidad(valor) == niveles, f"{valor!r} tiene {niveles} niveles de anidamiento"


def test_cuaderno_antiguo_nbformat_3_se_convierte(tmp_path):
    viejo = nbformat.v3.new_notebook(worksheets=[
        nbformat.v3.new_worksheet(cells=[nbformat.v3.new_code_cell(input="x = 1")])])
    nb = entregas.leer_entrega(_escrita(tmp_path, nbformat.writes(viejo, version=3)))
    assert (nb.nbformat, nb.cells[0].source) == (4, "x = 1"), "un cuaderno nbformat 3 se lee convertido a 4"


# ---------------------------------------------------------------- lo que no es un archivo normal


def test_archivo_que_no_existe(tmp_path):
    with pytest.raises(EntregaInvalida, match="No se encontró") as error:
        entregas.leer_bytes_seguro(tmp_path / "nada.ipynb")
    assert not isinstance(error.value, EntregaNoRegular), "que no exista no es «no ser un archivo normal»"


def test_socket_no_se_abre(tmp_path):
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("este sistema no tiene sockets de Unix (socket.AF_UNIX): no se puede crear uno")
    ruta = tmp_path / "s.ipynb"
    with socket.socket(socket.AF_UNIX) as servidor:
        servidor.bind(str(ruta))
        with pytest.raises(EntregaNoRegular, match="es un socket"):
            entregas.leer_bytes_seguro(ruta)


def test_dispositivo_no_se_abre():
    try:
        es_dispositivo = stat.S_ISCHR(os.stat(os.devnull).st_mode)
    except OSError as e:
        pytest.skip(f"no se puede consultar {os.devnull}: {e}")
    if not es_dispositivo:
        pytest.skip(f"en este sistema {os.devnull} no es un dispositivo de caracteres")
    with pytest.raises(EntregaNoRegular, match="es un dispositivo"):
        entregas.leer_bytes_seguro(Path(os.devnull))


@pytest.mark.parametrize("exceso, se_lee", [(0, True), (1, False)])
def test_tamano_maximo_exacto(tmp_path, exceso, se_lee):
    maximo = 64
    ruta = _escrita(tmp_path, b"x" * (maximo + exceso))
    if se_lee:
        assert len(entregas.leer_bytes_seguro(ruta, maximo=maximo)) == maximo, "el tamaño máximo aún se lee"
    else:
        with pytest.raises(EntregaInvalida, match="no lee entregas de más de"):
            entregas.leer_bytes_seguro(ruta, maximo=maximo)


# ---------------------------------------------------------------- cambios entre la comprobación y la apertura


def _cambiar_al_abrir(monkeypatch, ruta, cambio, maximo: int = 1024) -> bytes:
    """Lee ``ruta`` con ``leer_bytes_seguro`` haciendo ``cambio()`` justo antes de abrirla (tras mirarla)."""
    abrir = os.open

    def abrir_tras_el_cambio(*args, **kwargs):
        cambio()
        return abrir(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(os, "open", abrir_tras_el_cambio)
        return entregas.leer_bytes_seguro(ruta, maximo=maximo)


def test_cambiada_por_un_enlace_al_abrirla_no_se_sigue(tmp_path, monkeypatch):
    if not hasattr(os, "O_NOFOLLOW"):
        pytest.skip("este sistema no tiene os.O_NOFOLLOW: allí protege solo la comprobación de después de abrir "
                    "(test_cambiada_por_otro_archivo_al_abrirla_no_se_lee)")
    ruta, secreto = _escrita(tmp_path, "{}"), tmp_path / "secreto.txt"
    secreto.write_text("clave", encoding="utf-8")
    try:
        (tmp_path / "prueba_de_enlace").symlink_to(secreto)
    except OSError as e:
        pytest.skip(f"este sistema no deja crear enlaces simbólicos: {e}")

    def por_un_enlace():
        ruta.unlink()
        ruta.symlink_to(secreto)

    with pytest.raises(EntregaNoRegular, match="no se pudo abrir como archivo"):
        _cambiar_al_abrir(monkeypatch, ruta, por_un_enlace)


def test_cambiada_por_otro_archivo_al_abrirla_no_se_lee(tmp_path, monkeypatch):
    ruta, otro = _escrita(tmp_path, "{}"), tmp_path / "otro.ipynb"
    otro.write_text("{}", encoding="utf-8")
    with pytest.raises(EntregaNoRegular, match="cambió mientras se abría"):
        _cambiar_al_abrir(monkeypatch, ruta, lambda: os.replace(otro, ruta))


def test_que_crece_al_abrirla_no_se_lee_entera(tmp_path, monkeypatch):
    ruta = _escrita(tmp_path, "{}")

    def crecer():
        with open(ruta, "ab") as f:
            f.write(b" " * 2048)

    with pytest.raises(EntregaInvalida, match="no lee entregas de más de"):
        _cambiar_al_abrir(monkeypatch, ruta, crecer, maximo=1024)


# ---------------------------------------------------------------- lo que hace el motor con una entrega ilegible


def _no_ejecutar(*args, **kwargs):
    raise AssertionError("una entrega ilegible no debe llegar a ejecutarse en un kernel")


@pytest.mark.parametrize("crear, banderas", [
    (lambda ruta: ruta.write_text("", encoding="utf-8"), ["archivo_invalido"]),
    (lambda ruta: ruta.mkdir(), ["archivo_invalido", "entrega_no_regular"]),
], ids=["vacia", "carpeta"])
def test_entrega_ilegible_vale_cero_sin_ejecutarse(tmp_path, monkeypatch, crear, banderas):
    fuente = tmp_path / "solutions" / TAREA_MINIMA / f"{TAREA_MINIMA}.ipynb"
    nb_fuente = cuaderno_minimo()
    cuadernos.escribir(nb_fuente, fuente)
    entrega = tmp_path / "submitted" / "ana" / TAREA_MINIMA / f"{TAREA_MINIMA}.ipynb"
    entrega.parent.mkdir(parents=True)
    crear(entrega)
    monkeypatch.setattr(calificacion, "ejecutar_cuaderno", _no_ejecutar)
    r = calificacion.evaluar_entrega(entrega, fuente, "ana", TAREA_MINIMA, tmp_path / "autograded")
    assert r.estado == "archivo_invalido", f"estado {r.estado}: {r.mensaje}"
    assert r.banderas == banderas
    assert r.notas == puntuacion.notas_a_cero(nb_fuente, r.mensaje), "todo a 0 (lo manual, pendiente) y por qué"


def test_un_bom_al_principio_no_estropea_la_entrega(tmp_path):
    """Algunos editores de Windows escriben un BOM de UTF-8 al principio: el cuaderno se lee igual."""
    ruta = _escrita(tmp_path, "\ufeff".encode() + json.dumps(_cuaderno_json()).encode("utf-8"))
    assert entregas.leer_entrega(ruta).cells[0].source == "x = 1", "con BOM el cuaderno debe leerse entero"
