"""Complemento de pytest para nbval: guarda en JSON lo que pasó en cada celda (lo usa ``grader.alumno.comparacion``).

Se carga con ``-p grader.nucleo.nbval_informe`` y escribe en el archivo que dice la variable de entorno
``config.VAR_INFORME_NBVAL`` una lista con, por celda de código: su número entre las celdas de código, si se
comparó su salida, el resultado de pytest, las salidas esperada y obtenida (ya saneadas con las reglas de
nbval del curso) y el error que lanzó, si lanzó alguno.
"""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from curso import config

_CELDAS: list[dict] = []


def _texto(salidas, sanear) -> str:
    """Las salidas de una celda como texto (flujos, resultados y tipos de imagen), saneadas."""
    from nbval.plugin import coalesce_streams

    partes = []
    # coalesce_streams une los flujos modificando la primera salida: se trabaja sobre una copia
    for salida in coalesce_streams(copy.deepcopy(list(salidas or []))):
        tipo = salida.get("output_type")
        if tipo == "stream":
            partes.append(salida.get("text", ""))
        elif tipo in ("execute_result", "display_data"):
            datos = salida.get("data", {})
            if "image/png" in datos or "image/jpeg" in datos:
                partes.append("<imagen>\n")
            else:
                texto = datos.get("text/plain", "")
                partes.append(("".join(texto) if isinstance(texto, list) else texto) + "\n")
        elif tipo == "error":
            partes.append(f"{salida.get('ename')}: {salida.get('evalue')}\n")
    return sanear("".join(partes))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    resultado = yield
    informe = resultado.get_result()
    if informe.when != "call" or not hasattr(item, "cell_num"):
        return
    obtenidas = item.test_outputs or []
    error = next(({"tipo": s.get("ename", ""), "mensaje": s.get("evalue", "")}
                  for s in obtenidas if s.get("output_type") == "error"), None)
    _CELDAS.append({
        "celda": item.cell_num,
        "comparada": bool(item.options.get("check")) and item.cell.execution_count is not None,
        "resultado": informe.outcome,
        "esperado": _texto(item.cell.outputs, item.sanitize),
        "obtenido": _texto(obtenidas, item.sanitize),
        "error": error,
    })


def pytest_sessionfinish(session):
    destino = os.environ.get(config.VAR_INFORME_NBVAL)
    if destino:
        Path(destino).write_text(json.dumps(_CELDAS, ensure_ascii=False, indent=1), encoding="utf-8")
