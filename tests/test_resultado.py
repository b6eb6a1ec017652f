"""El registro de resultado y lo que el calificador decide sin lanzar kernels: qué archivo lee (y qué no abre),
qué está fuera de sitio, cuándo un fallo es suyo, qué dice el canario y que los CSV no llevan fórmulas."""
from __future__ import annotations

import json
import os
import threading

import nbformat
import pandas as pd
import pytest

from grader.informes import libro
from grader.mantenimiento import cabecera
from grader.motor import calificacion, canario, ejecucion, lote
from grader.nucleo import entregas, resultado
from grader.nucleo.limites import Limites
from grader.nucleo.resultado import NotaEjercicio, Resultado


def _resultado(estado="ok", puntos=(2, 3), **kw) -> Resultado:
    notas = [NotaEjercicio(f"ej{i}", f"ej{i}-pruebas", p, 3, "correcto" if p == 3 else "incorrecto")
             for i, p in enumerate(puntos)]
    return Resultado("ana", "99_minimo", estado, notas=notas, **kw)


# ---------------------------------------------------------------- el registro


def test_registro_ida_y_vuelta_con_banderas_y_extraviados(tmp_path):
    r = _resultado(extraviados=["ana/x.ipynb: cuaderno fuera de la carpeta de su tarea → debe ir en ana/t/t.ipynb"])
    r.marcar("sin_memoria")
    r.marcar("sin_memoria")
    ruta = resultado.escribir(r, tmp_path / "ana")
    assert ruta.name == resultado.NOMBRE
    assert json.loads(ruta.read_text(encoding="utf-8"))["puntos"] == 5
    leido = resultado.leer(tmp_path / "ana")
    assert leido == r and leido.banderas == ["sin_memoria"] and leido.notas[0].puntos == 2


def test_bandera_desconocida_no_se_guarda():
    with pytest.raises(KeyError):
        _resultado().marcar("sin memoria")  # una frase no es una bandera


def test_leer_todos_avisa_de_lo_ilegible(tmp_path):
    resultado.escribir(_resultado(), tmp_path / "ana" / "99_minimo")
    (tmp_path / "beto" / "99_minimo").mkdir(parents=True)
    (tmp_path / "beto" / "99_minimo" / resultado.NOMBRE).write_text("{roto", encoding="utf-8")
    leidos, avisos = resultado.leer_todos(tmp_path)
    assert [r.alumno for r in leidos] == ["ana"] and len(avisos) == 1 and "beto" in avisos[0]


def test_error_interno_no_tiene_nota():
    assert not _resultado("error_interno").tiene_nota and not _resultado("sin_entrega").tiene_nota
    assert _resultado("ok").tiene_nota and _resultado("archivo_invalido").tiene_nota
    assert "error_interno" in resultado.ESTADOS_NOTA and "error_interno" in resultado.ESTADOS


# ---------------------------------------------------------------- la entrega es una entrada no fiable


def _cuaderno(tmp_path):
    ruta = tmp_path / "bueno.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), ruta)
    return ruta


def test_lee_un_cuaderno_normal(tmp_path):
    assert entregas.leer_entrega(_cuaderno(tmp_path)).cells[0].source == "x = 1"


@pytest.mark.parametrize("que, fragmento", [
    ("carpeta", "es una carpeta"),
    ("enlace", "es un enlace simbólico"),
    ("enlace_roto", "es un enlace simbólico"),
    ("fifo", "es una tubería (FIFO)"),
])
def test_lo_que_no_es_un_archivo_normal_no_se_abre(tmp_path, que, fragmento):
    ruta = tmp_path / "99_minimo.ipynb"
    if que == "carpeta":
        ruta.mkdir()
    elif que == "enlace":
        ruta.symlink_to(_cuaderno(tmp_path))
    elif que == "enlace_roto":
        ruta.symlink_to(tmp_path / "no_existe.ipynb")
    else:
        os.mkfifo(ruta)
    errores = []

    def leer():
        try:
            entregas.leer_entrega(ruta)
        except Exception as e:  # se comprueba abajo: debe ser EntregaNoRegular
            errores.append(e)

    hilo = threading.Thread(target=leer, daemon=True)
    hilo.start()
    hilo.join(timeout=10)
    assert not hilo.is_alive(), "leer lo que no es un archivo no debe bloquear (una tubería sin escritor)"
    assert len(errores) == 1 and isinstance(errores[0], entregas.EntregaNoRegular), errores
    assert fragmento in str(errores[0]) and "no se encontró" not in str(errores[0]).lower()


@pytest.mark.parametrize("contenido, fragmento", [
    (b"\xff\xfe{\x00}", "no es un archivo de texto (UTF-8)"),
    (b"[" * 5000 + b"]" * 5000, "anidado a más de"),
    (b'{"cells": [], "a": ' + b"[" * 150 + b"]" * 150 + b"}", "anidado a más de"),
])
def test_json_no_utf8_o_demasiado_anidado(tmp_path, contenido, fragmento):
    ruta = tmp_path / "x.ipynb"
    ruta.write_bytes(contenido)
    with pytest.raises(entregas.EntregaInvalida, match=fragmento.replace("(", r"\(").replace(")", r"\)")):
        entregas.leer_entrega(ruta)


def test_archivo_enorme_no_se_lee_entero(tmp_path):
    ruta = tmp_path / "x.ipynb"
    with open(ruta, "wb") as f:
        f.truncate(2048)
    with pytest.raises(entregas.EntregaInvalida, match="no lee entregas de más de"):
        entregas.leer_bytes_seguro(ruta, maximo=1024)


def _curso_con_entregas(tmp_path):
    entregas = tmp_path / "submitted"
    (entregas / "ana" / "t1").mkdir(parents=True)
    (entregas / "ana" / "t1" / "t1.ipynb").write_text("{}", encoding="utf-8")
    (entregas / "ana" / "t2.ipynb").write_text("{}", encoding="utf-8")  # sin carpeta de tarea
    (entregas / "ana" / "deberes").mkdir()  # carpeta desconocida con un cuaderno
    (entregas / "ana" / "deberes" / "t1 (copia).ipynb").write_text("{}", encoding="utf-8")
    (entregas / "beto").mkdir()
    (entregas / "beto" / "t1").symlink_to(entregas / "ana" / "t1")  # carpeta de tarea enlazada
    (entregas / "carla").symlink_to(entregas / "ana")  # carpeta de alumno enlazada
    (entregas / "dario" / "t1").mkdir(parents=True)
    (entregas / "dario" / "t1" / "a.ipynb").write_text("{}", encoding="utf-8")
    (entregas / "dario" / "t1" / "b.ipynb").write_text("{}", encoding="utf-8")
    (entregas / "suelto.ipynb").write_text("{}", encoding="utf-8")
    return entregas


def test_explorar_no_sigue_enlaces_y_lista_lo_que_esta_fuera_de_sitio(tmp_path):
    ex = lote.explorar(_curso_con_entregas(tmp_path), ["t1", "t2"])
    por = {(t.alumno, t.tarea): t for t in ex.trabajos}
    assert por[("ana", "t1")].entrega.name == "t1.ipynb" and not por[("ana", "t1")].problema
    assert por[("ana", "t2")].entrega is None
    assert any("ana/t2.ipynb" in e and "ana/t2/t2.ipynb" in e for e in por[("ana", "t2")].extraviados)
    assert any("ana/deberes/t1 (copia).ipynb" in e and "ana/t1/t1.ipynb" in e for e in por[("ana", "t1")].extraviados)
    assert por[("beto", "t1")].no_regular and "enlace simbólico" in por[("beto", "t1")].problema
    assert all(por[("carla", t)].no_regular and "enlace simbólico" in por[("carla", t)].problema for t in ("t1", "t2"))
    assert "2 cuadernos (a.ipynb, b.ipynb)" in por[("dario", "t1")].problema
    assert any(e.startswith("suelto.ipynb:") for e in ex.extraviados)
    texto = lote.resumen_extraviados(ex.extraviados)
    assert "Archivos fuera de sitio en submitted/" in texto and "ana/t2.ipynb" in texto


def test_huella_de_un_enlace_no_lo_sigue(tmp_path):
    entregas = _curso_con_entregas(tmp_path)
    fifo = entregas / "ana" / "t1" / "t1.ipynb"
    fifo.unlink()
    os.mkfifo(fifo)
    trabajo = lote.explorar(entregas, ["t1"]).trabajos[0]
    assert trabajo.entrega == fifo
    assert b"tuber" in lote._contenido(trabajo)  # no bloquea ni lee: anota lo que hay


def test_mostrable_quita_caracteres_de_control():
    assert lote.mostrable("ana\x1b[2J") == "ana\\x1b[2J"


# ---------------------------------------------------------------- salidas bien formadas


def test_csv_sin_formulas_y_sin_cero_para_el_error_interno(tmp_path):
    malo = Resultado("=HYPERLINK(\"http://x\")", "99_minimo", "ok", mensaje="+1 y -2", avisos=["@SUM(A1)"],
                     notas=[NotaEjercicio("ej", "ej-p", 1, 1, "correcto")])
    interno = Resultado("beto", "99_minimo", "error_interno", "No se calificó",
                        notas=[NotaEjercicio("ej", "ej-p", None, 1, "error_interno")])
    ruta = libro.escribir_csv([malo, interno], tmp_path / "n.csv")
    tabla = pd.read_csv(ruta, dtype=str, keep_default_na=False)
    assert tabla.loc[0, "alumno"] == "'=HYPERLINK(\"http://x\")"
    assert tabla.loc[0, "mensaje"] == "'+1 y -2" and tabla.loc[0, "avisos"] == "'@SUM(A1)"
    assert tabla.loc[1, "puntos"] == "" and tabla.loc[1, "ej"] == ""
    lms = lote.escribir_csvs([malo, interno], tmp_path / "n.csv")[1]
    ancho = pd.read_csv(lms, dtype=str, keep_default_na=False)
    assert set(ancho["Student"]) == {"'=HYPERLINK(\"http://x\")", "beto"}
    assert ancho.set_index("Student").loc["beto", "99_minimo"] == ""
    for celda in ancho.values.ravel().tolist() + tabla.values.ravel().tolist():
        assert not str(celda).startswith(libro.INICIOS_DE_FORMULA)


# ---------------------------------------------------------------- fallos del calificador y canario


def _ejecutado_con_cabecera(error: tuple[str, str] | None):
    celda = nbformat.v4.new_code_cell(cabecera.codigo())
    celda.execution_count = 1
    if error:
        celda.outputs = [nbformat.v4.new_output("error", ename=error[0], evalue=error[1], traceback=[])]
    return nbformat.v4.new_notebook(cells=[celda, nbformat.v4.new_code_cell("x = 1")])


def test_cabecera_que_falla_es_un_fallo_del_calificador():
    registro = ejecucion.Registro()
    assert calificacion.fallo_propio(_ejecutado_con_cabecera(None), registro, Limites()) is None
    causa = calificacion.fallo_propio(_ejecutado_con_cabecera(("ImportError", "roto a propósito")), registro,
                                      Limites())
    assert "cabecera" in causa and "roto a propósito" in causa and "pip install -e ." in causa
    falta_tf = calificacion.fallo_propio(
        _ejecutado_con_cabecera(("ModuleNotFoundError", "No module named 'tensorflow'")), registro, Limites())
    assert "le falta el paquete «tensorflow»" in falta_tf and "requirements.txt" in falta_tf
    registro.parada, registro.motivo_parada = 0, "el kernel se detuvo"
    assert "el kernel se detuvo" in calificacion.fallo_propio(_ejecutado_con_cabecera(None), registro, Limites())


def test_canario_juzga_solucion_y_blanco():
    assert canario.fallo_canario(_resultado(puntos=(3, 3)), "solucion") is None
    assert canario.fallo_canario(_resultado(puntos=(0, 0)), "blanco") is None
    mal = canario.fallo_canario(_resultado(puntos=(3, 0)), "solucion")
    assert "la solución de referencia debía sacar la nota máxima y sacó 3/6" in mal and "ej1" in mal
    assert "versión del alumno en blanco debía sacar 0" in canario.fallo_canario(_resultado(puntos=(3, 0)), "blanco")
    interno = _resultado("error_interno", puntos=(0, 0), mensaje="La celda de preparación (cabecera) falló")
    assert "cabecera" in canario.fallo_canario(interno, "blanco")
