"""curso.medidas: un umbral avisa en el kernel de un alumno y falla en los kernels estrictos (CI)."""
from __future__ import annotations

import pytest

from curso import config, medidas
from grader.nucleo import cuadernos


def test_por_debajo_sin_modo_estricto_avisa_en_espanol_y_devuelve_el_valor(monkeypatch, capsys):
    monkeypatch.delenv(config.VAR_ESTRICTO, raising=False)
    assert medidas.al_menos(0.9771, 0.978) == 0.9771
    salida = capsys.readouterr().out
    assert "Tu exactitud en prueba es 0.9771; el curso midió al menos 0.978" in salida
    assert "diferencia pequeña" in salida


def test_por_debajo_en_modo_estricto_lanza_la_misma_frase(monkeypatch, capsys):
    monkeypatch.setenv(config.VAR_ESTRICTO, "1")
    with pytest.raises(AssertionError, match=r"Tu AUC de validación es 0\.9600; el curso midió al menos 0\.97"):
        medidas.al_menos(0.96, 0.97, que="el AUC de validación")
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("variable", ["", "0", "1"])
def test_en_el_umbral_o_por_encima_no_dice_nada(monkeypatch, capsys, variable):
    monkeypatch.setenv(config.VAR_ESTRICTO, variable)
    assert medidas.al_menos(0.99, 0.99) == 0.99
    assert medidas.al_menos(1.0, 0.99) == 1.0
    assert capsys.readouterr().out == ""


def test_nan_queda_por_debajo(monkeypatch):
    monkeypatch.setenv(config.VAR_ESTRICTO, "1")
    with pytest.raises(AssertionError, match="nan"):
        medidas.al_menos(float("nan"), 0.5)


def test_solo_es_estricto_el_kernel_que_lo_pide(monkeypatch):
    monkeypatch.setenv(config.VAR_ESTRICTO, "1")  # p. ej. en la terminal del instructor que califica
    assert config.VAR_ESTRICTO not in cuadernos.entorno_kernel()  # calificar, autoevaluar, bancos
    assert cuadernos.entorno_kernel(estricto=True)[config.VAR_ESTRICTO] == "1"  # nbval, ejecutar


def test_cumple_avisa_o_falla_con_la_afirmacion(monkeypatch, capsys):
    monkeypatch.setenv(config.VAR_ESTRICTO, "")
    medidas.cumple(True, "la CNN acierta más")
    assert capsys.readouterr().out == ""
    medidas.cumple(False, "la CNN acierta más")
    assert "El texto dice que la CNN acierta más, pero en tu ejecución no se cumple" in capsys.readouterr().out
    monkeypatch.setenv(config.VAR_ESTRICTO, "1")
    with pytest.raises(AssertionError, match="la CNN acierta más"):
        medidas.cumple(False, "la CNN acierta más")
