"""Los ejecutores: la misma interfaz en este proceso, en procesos locales y en Dask; un trabajador de Dask
califica con los bytes de la entrega y su propia copia del curso (sin ver el disco del instructor), rechaza
otra versión del curso sin dar un 0, y un clúster con trabajadores de más de un hilo se rechaza sin escribir
nada."""
from __future__ import annotations

import logging
import os
import pickle
import shutil
from pathlib import Path

import nbformat
import pytest

from curso import config
from grader import cli
from grader.motor import ejecutores, lote
from grader.nucleo.limites import Limites
from tests.conftest import TAREA_MINIMA, con_respuesta, entregar, fuente_minima


def _resultado(raiz: Path, alumno: str):
    return lote.leer_resultado(lote.carpeta_resultado(raiz, alumno, TAREA_MINIMA))


def _archivos(raiz: Path) -> dict:
    """Cada archivo bajo ``raiz`` con su tamaño y fecha: lo que cambie es algo que se escribió."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in raiz.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def curso_del_trabajador(curso_minimo, tmp_path_factory) -> Path:
    """La copia del curso de un trabajador (el mismo commit): otra carpeta, sin entregas."""
    destino = tmp_path_factory.mktemp("trabajador") / "curso"
    shutil.copytree(curso_minimo, destino)
    return destino


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Un LocalCluster de Dask de un proceso y un hilo, lanzado desde una carpeta que no es ningún curso."""
    from distributed import LocalCluster

    fuera = tmp_path_factory.mktemp("directorio_del_trabajador")
    antes = Path.cwd()
    os.chdir(fuera)  # los procesos del trabajador nacen aquí
    try:
        grupo = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                             silence_logs=logging.ERROR, local_directory=str(fuera))
    finally:
        os.chdir(antes)
    yield grupo
    grupo.close()


@pytest.fixture(scope="module")
def dask(cluster, curso_del_trabajador):
    """Un EjecutorDask conectado al clúster como a uno ajeno, con el curso del trabajador en su propia copia."""
    with ejecutores.EjecutorDask(cluster.scheduler_address, curso=curso_del_trabajador) as ejecutor:
        yield ejecutor


@pytest.fixture(params=["en_proceso", "local", "dask"])
def ejecutor(request):
    if request.param == "en_proceso":
        yield ejecutores.EjecutorEnProceso()
    elif request.param == "local":
        with ejecutores.EjecutorLocal(2) as local:
            yield local
    else:
        yield request.getfixturevalue("dask")


def test_cada_ejecutor_llama_a_la_funcion_que_recibe(ejecutor):
    futuro = ejecutor.enviar(pow, 2, 10)
    assert ejecutor.primero([futuro]) is futuro
    assert list(ejecutor.terminados([futuro])) == [futuro] and futuro.result() == 1024
    fallido = ejecutor.enviar(int, "no es un número")
    with pytest.raises(ValueError):
        ejecutor.primero([fallido]).result()
    en_cada = [f.result() for f in ejecutor.enviar_a_cada_trabajador(pow, 3, 2)]
    assert en_cada and set(en_cada) == {9}


def test_en_proceso_ejecuta_al_enviar():
    """Sin esperar a ``terminados``: el futuro ya tiene el valor de la función recibida."""
    assert ejecutores.EjecutorEnProceso().enviar(pow, 2, 10).result(timeout=0) == 1024


def test_el_paquete_no_lleva_rutas_del_instructor(copia_curso_minimo, curso_del_trabajador):
    raiz = copia_curso_minimo
    entregar(raiz, "ana", fuente_minima(raiz))
    trabajo = lote.explorar(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA]).trabajos[0]
    paquete = lote.preparar(trabajo, raiz, Limites(), curso_del_trabajador)
    assert paquete.datos == trabajo.entrega.read_bytes()
    assert paquete.fuente == f"{config.DIR_FUENTES}/{TAREA_MINIMA}/{TAREA_MINIMA}.ipynb"
    assert str(raiz).encode() not in pickle.dumps(paquete), "el paquete cita una ruta del instructor"


def test_dask_califica_desde_los_bytes_aunque_la_entrega_ya_no_exista(copia_curso_minimo, dask):
    raiz = copia_curso_minimo
    entregar(raiz, "ana", fuente_minima(raiz))
    trabajo = lote.explorar(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA]).trabajos[0]
    paquete = lote.preparar(trabajo, raiz, Limites(), dask.curso_en_trabajadores(raiz))
    shutil.rmtree(raiz / config.DIR_ENTREGAS)  # el trabajador no puede leerla de ningún disco
    devuelto = dask.enviar(ejecutores.calificar_paquete, paquete).result()
    assert not devuelto.rechazo and devuelto.resultado.puntos == 5, devuelto
    assert devuelto.trabajador != ejecutores.nombre_trabajador()
    ejecutado = nbformat.reads(devuelto.cuaderno.decode("utf-8"), as_version=4)
    assert any("(2, 3)" in s.get("text", "") for c in ejecutado.cells if c.cell_type == "code" for s in c.outputs)


def test_lote_en_dask_sin_sistema_de_archivos_compartido(copia_curso_minimo, curso_del_trabajador, cluster, dask):
    """El trabajador tiene su copia del curso (sin entregas) y otro directorio de trabajo: el instructor escribe
    resultados, cuadernos ejecutados y libro; en la copia del trabajador no se escribe nada."""
    raiz = copia_curso_minimo
    entregar(raiz, "ana", fuente_minima(raiz))
    entregar(raiz, "beto", con_respuesta(raiz, "ej99_doble", "def doble(v):\n    return v"))
    antes = _archivos(curso_del_trabajador)
    resumen = lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], raiz=raiz, progreso=False,
                                     ejecutor=dask)
    assert f"con Dask en {cluster.scheduler_address} (1 trabajadores)" in resumen
    assert "dan la nota máxima y 0 en 1 trabajador(es)" in resumen  # el canario, también desde los bytes
    assert _resultado(raiz, "ana").puntos == 5 and _resultado(raiz, "beto").puntos == 2
    assert (lote.carpeta_resultado(raiz, "beto", TAREA_MINIMA) / f"{TAREA_MINIMA}.ipynb").is_file()
    assert _archivos(curso_del_trabajador) == antes


class EnOtroCurso(ejecutores.EjecutorEnProceso):
    """Un trabajador (este proceso) cuya copia del curso está en otra carpeta."""

    def __init__(self, curso: Path):
        self.curso = curso

    def curso_en_trabajadores(self, raiz: Path) -> Path:
        return self.curso


@pytest.fixture()
def curso_de_otra_version(curso_minimo, tmp_path) -> Path:
    """Una copia del curso con la fuente de la tarea mínima cambiada (otro commit)."""
    destino = tmp_path / "otra_version"
    shutil.copytree(curso_minimo, destino)
    fuente = config.cuaderno_fuente(TAREA_MINIMA, destino)
    nb = nbformat.read(fuente, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("Una celda más en la otra versión."))
    nbformat.write(nb, fuente)
    return destino


def test_trabajador_con_otra_version_del_curso_no_da_un_cero(copia_curso_minimo, curso_de_otra_version):
    raiz = copia_curso_minimo
    entregar(raiz, "ana", fuente_minima(raiz))
    resumen = lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], raiz=raiz, progreso=False,
                                     ejecutor=EnOtroCurso(curso_de_otra_version), canario=False)
    ana = _resultado(raiz, "ana")
    assert ana.estado == "error_interno" and all(n.puntos is None for n in ana.notas), ana
    assert "tiene otra versión de solutions/99_minimo/99_minimo.ipynb" in ana.mensaje
    assert "mismo commit" in ana.mensaje and "error interno del calificador: 1 (ana/99_minimo)" in resumen


def test_el_canario_detiene_un_trabajador_con_otra_version(copia_curso_minimo, curso_de_otra_version):
    from grader.motor.canario import CanarioFallido

    raiz = copia_curso_minimo
    entregar(raiz, "ana", fuente_minima(raiz))
    antes = _archivos(raiz)
    with pytest.raises(CanarioFallido, match="tiene otra versión de solutions/99_minimo"):
        lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], raiz=raiz, progreso=False,
                               ejecutor=EnOtroCurso(curso_de_otra_version))
    assert _archivos(raiz) == antes


@pytest.mark.parametrize(("trabajadores", "hilos", "frases"), [
    (1, 2, ("más de un hilo", "(2 hilos)", "--nthreads 1")),
    (0, 1, ("no tiene trabajadores", "--nthreads 1")),
])
def test_cluster_que_no_sirve_se_rechaza_sin_escribir_nada(copia_curso_minimo, tmp_path, capsys, trabajadores,
                                                          hilos, frases):
    from distributed import LocalCluster

    raiz, csv = copia_curso_minimo, tmp_path / "notas.csv"
    entregar(raiz, "ana", fuente_minima(raiz))
    antes = _archivos(raiz)
    with LocalCluster(n_workers=trabajadores, threads_per_worker=hilos, processes=False, dashboard_address=None,
                      silence_logs=logging.ERROR) as grupo:
        with pytest.raises(ejecutores.ClusterNoValido) as e:
            lote.calificar_carpeta(raiz / config.DIR_ENTREGAS, [TAREA_MINIMA], raiz=raiz, progreso=False,
                                   csv=csv, cluster=grupo.scheduler_address)
        assert all(f in str(e.value) for f in ("No se calificó nada", *frases)), str(e.value)
        codigo = cli.main(["calificar", str(raiz / config.DIR_ENTREGAS), "--curso", str(raiz), "--tareas",
                           TAREA_MINIMA, "--csv", str(csv), "--cluster", grupo.scheduler_address])
    assert codigo == 2 and frases[0] in capsys.readouterr().err
    assert _archivos(raiz) == antes and not csv.exists()
