"""Calificar una clase entera: avisos que llegan al instructor, CSV para el LMS, reanudación, kernels que no se
ven entre sí, bubblewrap que falta, un proceso que se cae y un clúster de Dask de verdad. Las pruebas que solo
leen lo calificado comparten una clase calificada una vez (``clase``)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from curso import config
from grader.motor import calificacion, ejecucion, ejecutores, lote
from grader.nucleo import cuadernos
from grader.nucleo.limites import Limites
from tests.conftest import TAREA_MINIMA, con_respuesta, entregar, fuente_minima


def _resultado(raiz, alumno):
    return lote.leer_resultado(lote.carpeta_resultado(raiz, alumno, TAREA_MINIMA))


@dataclass
class Clase:
    """Una clase calificada una vez: su curso, el resumen del lote y la carpeta de los CSV."""

    raiz: Path
    resumen: str
    csvs: Path

    @property
    def csv(self) -> Path:
        return self.csvs / "notas.csv"

    def copia(self, destino: Path) -> "Clase":
        """Otra clase igual en ``destino`` (para pruebas que recalifican o borran): enlaces tal cual."""
        shutil.copytree(self.raiz, destino / "curso", symlinks=True)
        shutil.copytree(self.csvs, destino / "csvs")
        return Clase(destino / "curso", self.resumen, destino / "csvs")


@pytest.fixture(scope="module")
def clase(curso_minimo, tmp_path_factory) -> Clase:
    """Cinco alumnos calificados una sola vez para todas las pruebas de este módulo que solo leen: ana (la
    solución), carla (renombrada), guion (un script), nadie (el cuaderno fuera de la carpeta de la tarea) y
    enlazado (carpeta enlazada a la de ana)."""
    base = tmp_path_factory.mktemp("clase")
    raiz = base / "curso"
    shutil.copytree(curso_minimo, raiz)
    entregas = raiz / config.DIR_ENTREGAS
    copia = entregas / "carla" / TAREA_MINIMA / f"Copia de {TAREA_MINIMA}.ipynb"
    copia.parent.mkdir(parents=True)
    nbformat.write(fuente_minima(raiz), copia)
    entregar(raiz, "guion", "# %%\nimport numpy as np\ntotal = 15\n\ndef doble(v):\n    return 2 * v\n")
    entregar(raiz, "ana", fuente_minima(raiz))
    (entregas / "nadie").mkdir()
    nbformat.write(fuente_minima(raiz), entregas / "nadie" / f"{TAREA_MINIMA}.ipynb")
    (entregas / "enlazado").symlink_to(entregas / "ana")
    csvs = base / "csvs"
    csvs.mkdir()
    resumen = lote.calificar_carpeta(entregas, [TAREA_MINIMA], csv=csvs / "notas.csv", raiz=raiz, progreso=False)
    return Clase(raiz, resumen, csvs)


def test_entrega_renombrada_se_califica_con_aviso_y_bandera(clase):
    carla = _resultado(clase.raiz, "carla")
    assert carla.puntos == 5 and "renombrada" in carla.banderas
    assert "Se calificó «Copia de 99_minimo.ipynb»" in carla.avisos[0]


def test_script_de_python_es_archivo_invalido_que_lo_dice(clase):
    guion = _resultado(clase.raiz, "guion")
    assert guion.estado == "archivo_invalido" and guion.puntos == 0 and guion.banderas == ["archivo_invalido"]
    assert "es un script de Python" in guion.mensaje and "dañado" not in guion.mensaje


def test_cuaderno_fuera_de_su_carpeta_no_se_califica_y_se_dice_donde_va(clase):
    nadie = _resultado(clase.raiz, "nadie")
    assert nadie.estado == "sin_entrega" and len(nadie.extraviados) == 1
    assert f"nadie/{TAREA_MINIMA}.ipynb" in nadie.extraviados[0] and f"nadie/{TAREA_MINIMA}/" in nadie.extraviados[0]
    assert "Archivos fuera de sitio en submitted/" in clase.resumen and f"nadie/{TAREA_MINIMA}.ipynb" in clase.resumen


def test_carpeta_de_alumno_enlazada_no_se_sigue(clase):
    enlazado = _resultado(clase.raiz, "enlazado")
    assert enlazado.estado == "archivo_invalido" and enlazado.puntos == 0
    assert enlazado.banderas == ["archivo_invalido", "entrega_no_regular"] and "enlace simbólico" in enlazado.mensaje


def test_resumen_cuenta_alumnos_medias_banderas_y_problemas(clase):
    assert "5 alumnos, 4 cuadernos entregados de 5" in clase.resumen
    assert "ej99_doble" in clase.resumen and "3.00 / 3" not in clase.resumen  # media con el 0 del script: 2.00 / 3
    assert "bandera «entrega con otro nombre de archivo»: 1 (carla/99_minimo)" in clase.resumen
    assert "archivo no válido: 2 (enlazado/99_minimo, guion/99_minimo)" in clase.resumen


def test_el_cuaderno_ejecutado_lo_escribe_el_lote_en_autograded(clase):
    ejecutado = lote.carpeta_resultado(clase.raiz, "ana", TAREA_MINIMA) / f"{TAREA_MINIMA}.ipynb"
    salidas = [s for c in nbformat.read(ejecutado, 4).cells if c.cell_type == "code" for s in c.get("outputs", [])]
    assert any("(2, 3)" in s.get("text", "") for s in salidas), "el cuaderno ejecutado no trae las salidas de ana"


def test_csv_largo_con_avisos_y_banderas(clase):
    largo = pd.read_csv(clase.csv).set_index("alumno")
    assert "Se calificó «Copia de" in largo.loc["carla", "avisos"]
    assert largo.loc["carla", "banderas"] == "entrega con otro nombre de archivo"


def test_csv_ancho_para_moodle_y_canvas(clase):
    ancho = pd.read_csv(clase.csvs / "notas_lms.csv")
    assert list(ancho.columns) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", TAREA_MINIMA, "Total"]
    ancho = ancho.set_index("Student")
    assert ancho.loc["ana", TAREA_MINIMA] == 5 and ancho.loc["ana", "Total"] == 5
    assert ancho.loc["guion", TAREA_MINIMA] == 0 and pd.isna(ancho.loc["nadie", TAREA_MINIMA])
    assert ancho.loc["nadie", "Total"] == 0


def test_sin_cambios_no_se_recalifica_y_lo_cambiado_si(clase, tmp_path):
    otra = clase.copia(tmp_path)
    entregas = otra.raiz / config.DIR_ENTREGAS
    sello = (lote.carpeta_resultado(otra.raiz, "ana", TAREA_MINIMA) / "resultado.json").stat().st_mtime_ns
    resumen = lote.calificar_carpeta(entregas, [TAREA_MINIMA], csv=otra.csv, raiz=otra.raiz, progreso=False)
    assert "(5 sin cambios desde la última vez" in resumen and "Canario: no hacía falta" in resumen
    assert (lote.carpeta_resultado(otra.raiz, "ana", TAREA_MINIMA) / "resultado.json").stat().st_mtime_ns == sello
    entregar(otra.raiz, "ana", con_respuesta(otra.raiz, "ej99_suma", "total = 14"))
    resumen = lote.calificar_carpeta(entregas, [TAREA_MINIMA], csv=otra.csv, raiz=otra.raiz, progreso=False)
    assert "(4 sin cambios" in resumen and _resultado(otra.raiz, "ana").puntos == 3


def test_libro_y_csv_se_rehacen_solo_con_los_resultados(clase, tmp_path):
    otra = clase.copia(tmp_path)
    anterior = pd.read_csv(otra.csvs / "notas_lms.csv")
    (otra.raiz / config.LIBRO).unlink()
    otra.csv.unlink()
    (otra.csvs / "notas_lms.csv").unlink()
    lote.reconstruir(otra.raiz, [TAREA_MINIMA], otra.csv)
    pd.testing.assert_frame_equal(pd.read_csv(otra.csvs / "notas_lms.csv"), anterior)
    from grader.informes import libro

    exportado = pd.read_csv(libro.exportar_csv(tmp_path / "exportado.csv", otra.raiz)).set_index("alumno")
    assert exportado.loc["ana", "puntos"] == 5 and exportado.loc["carla", "puntos"] == 5
    assert exportado.loc["guion", "puntos"] == 0
    assert (tmp_path / "exportado_lms.csv").exists()


ESPIA = """\
import glob, os, time
time.sleep(4)  # que el otro trabajo ya tenga su kernel en marcha
import ipykernel.connect
propio = os.path.realpath(ipykernel.connect.get_connection_file())
vistos = set()
for patron in ("/tmp/**/*.json", {dir_kernels!r} + "/**/*.json", "/var/tmp/**/*.json", "/dev/shm/**/*.json"):
    vistos |= {{os.path.realpath(r) for r in glob.glob(patron, recursive=True)}}
print("AJENOS", len([r for r in vistos if r != propio and ("conexion" in r or "kernel" in r)]))
total = 15
"""


def test_dos_trabajos_a_la_vez_no_ven_el_kernel_del_otro(copia_curso_minimo):
    raiz = copia_curso_minimo
    entregar(raiz, "espia", con_respuesta(raiz, "ej99_suma", ESPIA.format(dir_kernels=str(cuadernos.DIR_KERNELS))))
    entregar(raiz, "dormilon", con_respuesta(raiz, "ej99_suma", "import time\ntime.sleep(12)\ntotal = 15"))
    lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], trabajos=2, raiz=raiz, progreso=False)
    assert _resultado(raiz, "espia").puntos == _resultado(raiz, "dormilon").puntos == 5
    ejecutado = nbformat.read(lote.carpeta_resultado(raiz, "espia", TAREA_MINIMA) / f"{TAREA_MINIMA}.ipynb", 4)
    texto = "".join(s.get("text", "") for c in ejecutado.cells if c.source.startswith("# EJERCICIO ej99_suma")
                    for s in c.outputs)
    assert "AJENOS 0" in texto, texto


def test_sin_bubblewrap_la_orden_se_niega_en_espanol(tmp_path):
    solo_python = tmp_path / "bin"
    solo_python.mkdir()
    (solo_python / "python").symlink_to(sys.executable)
    entorno = {**os.environ, "PATH": str(solo_python)}
    r = subprocess.run([sys.executable, "-m", "grader", "calificar", str(tmp_path / "entregas")],
                       capture_output=True, text=True, cwd=config.RAIZ, env=entorno)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "Falta bubblewrap" in r.stderr and "--sin-aislamiento" in r.stderr


def test_sin_bubblewrap_el_lote_se_niega(copia_curso_minimo, monkeypatch):
    raiz = copia_curso_minimo
    entregar(raiz, "ana", fuente_minima(raiz))
    monkeypatch.setattr(ejecucion.Aislamiento, "disponible", staticmethod(lambda: False))
    with pytest.raises(calificacion.FaltaAislamiento):
        lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], raiz=raiz, progreso=False)
    assert not (raiz / config.DIR_CALIFICADOS).exists()


def test_sin_aislamiento_califica_y_lo_anota(copia_curso_minimo, monkeypatch):
    raiz = copia_curso_minimo
    entregar(raiz, "ana", fuente_minima(raiz))
    monkeypatch.setattr(ejecucion.Aislamiento, "disponible", staticmethod(lambda: False))
    resumen = lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], raiz=raiz, progreso=False,
                                     limites=Limites(aislar=False))
    ana = _resultado(raiz, "ana")
    assert ana.puntos == 5 and ana.banderas == ["sin_aislamiento"]
    assert any("SIN aislamiento" in a for a in ana.avisos)
    assert "bandera «calificada sin aislamiento»: 1" in resumen


class EjecutorConBomba(ejecutores.EjecutorLocal):
    """Procesos locales en los que la entrega de «bomba» mata a su proceso trabajador (siempre)."""

    def enviar(self, funcion, *args):
        if isinstance(args[0], ejecutores.Paquete) and args[0].alumno == "bomba":
            return self._grupo.submit(os._exit, 3)
        return super().enviar(funcion, *args)


def test_proceso_que_se_cae_no_pierde_el_lote(copia_curso_minimo):
    raiz = copia_curso_minimo
    for alumno in ("ana", "bomba", "carla"):
        entregar(raiz, alumno, fuente_minima(raiz))
    ejecutor = EjecutorConBomba(2)
    try:
        resumen = lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], raiz=raiz, progreso=False,
                                         ejecutor=ejecutor)
    finally:
        ejecutor.cerrar()
    assert _resultado(raiz, "ana").puntos == _resultado(raiz, "carla").puntos == 5
    bomba = _resultado(raiz, "bomba")
    assert bomba.estado == "error_interno" and "el proceso que la calificaba se detuvo" in bomba.mensaje
    assert "error interno del calificador: 1 (bomba/99_minimo)" in resumen
    from nbgrader.api import Gradebook

    from grader.informes import libro

    with Gradebook(libro.url_libro(raiz), config.CURSO_ID) as gb:
        assert {s.student_id for s in gb.assignment_submissions(TAREA_MINIMA)} == {"ana", "bomba", "carla"}


def test_dask_localcluster_de_verdad(copia_curso_minimo):
    raiz = copia_curso_minimo
    entregar(raiz, "ana", fuente_minima(raiz))
    entregar(raiz, "beto", con_respuesta(raiz, "ej99_doble", "def doble(v):\n    return v"))
    resumen = lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], trabajos=2, cluster="local",
                                     raiz=raiz, progreso=False)
    assert "con Dask local (2 procesos)" in resumen
    assert "Canario: la solución y la versión en blanco de 99_minimo dan la nota máxima y 0 en 2 trabajador(es)" \
        in resumen  # en cada trabajador del clúster
    assert _resultado(raiz, "ana").puntos == 5 and _resultado(raiz, "beto").puntos == 2
    assert Path(lote.carpeta_resultado(raiz, "beto", TAREA_MINIMA) / f"{TAREA_MINIMA}.ipynb").exists()
