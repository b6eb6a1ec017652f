"""El calificador comprueba su entorno antes de calificar y no culpa al alumno de sus propios fallos.

Se reproduce el entorno roto del issue 20: una carpeta con un ``curso/__init__.py`` que lanza ImportError en el
PYTHONPATH de los kernels (el proceso del calificador sigue importando el paquete de verdad). Va fuera de /tmp:
la caja de los kernels tapa /tmp con uno propio y no la vería."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from curso import config
from grader.motor import canario, lote
from tests.conftest import TAREA_MINIMA, entregar, fuente_minima

CURSO_ROTO = 'raise ImportError("paquete del curso roto a propósito")\n'


@pytest.fixture()
def curso_roto_en_pythonpath(monkeypatch):
    """PYTHONPATH de los kernels con un paquete ``curso`` que no se puede importar."""
    carpeta = Path(tempfile.mkdtemp(prefix="curso-roto-", dir="/var/tmp"))
    (carpeta / "curso").mkdir()
    (carpeta / "curso" / "__init__.py").write_text(CURSO_ROTO, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(carpeta))
    yield carpeta
    shutil.rmtree(carpeta, ignore_errors=True)


def _clase(raiz: Path) -> None:
    entregar(raiz, "ana", fuente_minima(raiz))  # la solución completa
    entregar(raiz, "beto", nbformat.read(config.cuaderno_publicado(TAREA_MINIMA, raiz), as_version=4))


def _estado(raiz: Path, csv: Path) -> dict:
    """Cada archivo del curso (y el CSV) con su tamaño y fecha: lo que cambie es algo que se escribió."""
    archivos = [p for p in raiz.rglob("*") if p.is_file()] + ([csv] if csv.exists() else [])
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in archivos}


def test_entorno_roto_se_detiene_con_su_causa_y_no_escribe_nada(copia_curso_minimo, curso_roto_en_pythonpath, tmp_path):
    raiz, csv = copia_curso_minimo, tmp_path / "notas.csv"
    _clase(raiz)
    antes = _estado(raiz, csv)
    with pytest.raises(canario.CanarioFallido) as e:
        lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], csv=csv, raiz=raiz, progreso=False)
    mensaje = str(e.value)
    assert "No se calificó nada" in mensaje and "la solución de referencia debía sacar la nota máxima" in mensaje
    assert "cabecera" in mensaje and "roto a propósito" in mensaje and "pip install -e ." in mensaje
    assert _estado(raiz, csv) == antes and not (raiz / config.DIR_CALIFICADOS).exists()

    # Lo mismo desde la línea de órdenes: código 2, la causa en español y sin traza.
    r = subprocess.run([sys.executable, "-m", "grader", "calificar", str(raiz / config.DIR_ENTREGAS), "--curso",
                        str(raiz), "--tareas", TAREA_MINIMA, "--csv", str(csv)],
                       capture_output=True, text=True, cwd=config.RAIZ, env=dict(os.environ))
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "roto a propósito" in r.stderr and "pip install -e ." in r.stderr
    assert _estado(raiz, csv) == antes


def test_sin_canario_la_cabecera_rota_es_error_interno_y_no_un_cero(copia_curso_minimo, curso_roto_en_pythonpath,
                                                                     tmp_path):
    raiz, csv = copia_curso_minimo, tmp_path / "notas.csv"
    _clase(raiz)
    resumen = lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], csv=csv, raiz=raiz, progreso=False,
                                     canario=False)
    assert "Canario: NO se comprobó el entorno (--sin-canario)." in resumen
    assert "error interno del calificador: 2" in resumen and "Sin problemas" not in resumen
    for alumno in ("ana", "beto"):
        r = lote.leer_resultado(lote.carpeta_resultado(raiz, alumno, TAREA_MINIMA))
        assert r.estado == "error_interno" and "roto a propósito" in r.mensaje
        assert {n.estado for n in r.notas} == {"error_interno", "manual"}
        assert all(n.puntos is None for n in r.notas)
        assert not any("ejecuta antes la celda" in n.mensaje or "Tu código" in n.mensaje for n in r.notas)
    from nbgrader.api import Gradebook

    from grader.informes import libro

    with Gradebook(libro.url_libro(raiz), config.CURSO_ID) as gb:
        nota = gb.find_grade("ej99_suma-pruebas", TAREA_MINIMA, TAREA_MINIMA, "ana")
        assert nota.auto_score is None and gb.find_submission_notebook(TAREA_MINIMA, TAREA_MINIMA, "ana").flagged
    assert ",," in csv.read_text(encoding="utf-8").splitlines()[1]  # puntos vacíos, no 0
    exportado = libro.exportar_csv(tmp_path / "exportado.csv", raiz).read_text(encoding="utf-8").splitlines()
    assert exportado[1].startswith(f"ana,{TAREA_MINIMA},,"), exportado  # el libro tampoco da un 0


def test_canario_con_entorno_sano_y_su_coste(copia_curso_minimo, tmp_path):
    raiz = copia_curso_minimo
    _clase(raiz)
    resumen = lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], csv=tmp_path / "n.csv", raiz=raiz,
                                     progreso=False)
    assert f"Canario: la solución y la versión en blanco de {TAREA_MINIMA} dan la nota máxima y 0" in resumen
    assert lote.leer_resultado(lote.carpeta_resultado(raiz, "ana", TAREA_MINIMA)).puntos == 5
    # Nada nuevo que calificar: no hace falta el canario.
    resumen = lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], raiz=raiz, progreso=False)
    assert "Canario: no hacía falta" in resumen


def test_canario_sin_version_del_alumno_lo_dice(copia_curso_minimo, tmp_path):
    raiz = copia_curso_minimo
    _clase(raiz)
    config.cuaderno_publicado(TAREA_MINIMA, raiz).unlink()
    antes = _estado(raiz, tmp_path / "n.csv")
    with pytest.raises(canario.CanarioFallido, match="python -m grader publicar 99_minimo"):
        lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], csv=tmp_path / "n.csv", raiz=raiz,
                               progreso=False)
    assert _estado(raiz, tmp_path / "n.csv") == antes
