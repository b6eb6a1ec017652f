"""Regresión nbval: las fuentes reproducen sus salidas marcadas, y la comprobación sabe fallar."""
from __future__ import annotations

import subprocess

import nbformat
import pytest

from curso import config
from grader.nucleo import celdas, cuadernos, validacion
from tests.conftest import TAREAS


def _nbval(ruta) -> subprocess.CompletedProcess:
    return subprocess.run(validacion.orden_nbval([ruta]), cwd=config.RAIZ,
                          env=cuadernos.entorno_kernel(estricto=True), capture_output=True, text=True)


@pytest.mark.parametrize("tarea", TAREAS)
def test_fuente_reproduce_sus_salidas(tarea):
    r = _nbval(config.cuaderno_fuente(tarea))
    assert r.returncode == 0, r.stdout[-3000:]


def _celda(codigo, salida):
    celda = nbformat.v4.new_code_cell(codigo)
    celda.execution_count = 1
    celda.outputs = [nbformat.v4.new_output("stream", name="stdout", text=salida)]
    return celda


@pytest.mark.parametrize("salida_guardada, debe_pasar", [
    ("42\n", True),
    ("41\n", False),  # referencia alterada: nbval debe fallar
])
def test_nbval_detecta_una_salida_alterada(tmp_path, salida_guardada, debe_pasar):
    nb = nbformat.v4.new_notebook(cells=[_celda("# NBVAL_CHECK_OUTPUT\nprint(6 * 7)", salida_guardada)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    ruta = tmp_path / "mini.ipynb"
    nbformat.write(nb, ruta)
    assert (_nbval(ruta).returncode == 0) is debe_pasar


def test_saneado_ignora_direcciones_de_memoria(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        _celda("# NBVAL_CHECK_OUTPUT\nprint(object())", "<object object at 0x7f00deadbeef>\n")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    ruta = tmp_path / "mini.ipynb"
    nbformat.write(nb, ruta)
    assert _nbval(ruta).returncode == 0


def test_fuente_real_alterada_falla(tmp_path):
    """Una salida de referencia alterada en un cuaderno real del curso hace fallar nbval. El cuaderno llega
    hasta esa celda (con su cabecera): lo que viene después ya lo comprueba ``test_fuente_reproduce_sus_salidas``."""
    tarea = TAREAS[0]
    nb = nbformat.read(config.cuaderno_fuente(tarea), as_version=4)
    k = next(i for i, c in enumerate(nb.cells) if celdas.compara_salida(c)
             and any(s.get("output_type") == "stream" for s in c.outputs))
    nb.cells = nb.cells[:k + 1]
    salida = next(s for s in nb.cells[k].outputs if s.get("output_type") == "stream")
    salida["text"] = "valor alterado a propósito\n" + salida["text"]
    ruta = tmp_path / f"{tarea}.ipynb"
    nbformat.write(nb, ruta)
    r = _nbval(ruta)
    assert r.returncode != 0 and "valor alterado a propósito" in r.stdout
