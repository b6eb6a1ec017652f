"""Colab, sin nada más: el alumno abre un cuaderno suelto; su primera celda instala el paquete del alumno (sin
TensorFlow ni herramientas del instructor) y el cuaderno descarga solo los datos que usa, con su sha256
comprobado. Colab simulado sin red (``grader.mantenimiento.colab``):
venv aparte, ``google.colab`` falso y un GitHub falso en
127.0.0.1 con las direcciones como las escribe GitHub (git por HTTP y archivos en bruto), a las que llevan
``REPO_URL`` y ``config.direcciones``."""
from __future__ import annotations

import nbformat
import pytest

from curso import config, datos
from grader.mantenimiento import cabecera, colab
from grader.nucleo import celdas
from tests.conftest import TAREAS

NO_DEBE_TRAER = ("tensorflow", "tensorflow-cpu", "keras", "nbgrader", "jupyterlab", "nbclient")


@pytest.mark.parametrize("tarea", TAREAS)
def test_cuaderno_resuelto_corre_entero_en_colab(tarea, tmp_path):
    informe = colab.simular(tarea, tmp_path, omitir=True)  # los entrenamientos completos los ejecuta nbval
    assert informe.errores == [], f"{tarea} falla en Colab: {informe.errores}"
    assert "Listo: TensorFlow" in informe.primera_celda, informe.primera_celda
    # la primera celda instaló solo el paquete del alumno, que no pide TensorFlow ni herramientas del instructor
    assert informe.instalados == [config.PAQUETE_ALUMNO]
    nombres = {r.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip().lower()
               for r in informe.requisitos_del_paquete}
    assert nombres and not nombres & set(NO_DEBE_TRAER), informe.requisitos_del_paquete
    # instaló por git desde la dirección del repositorio, y descargó en bruto solo los conjuntos que usa el
    # cuaderno (de las direcciones que salen de REPO_URL), que quedaron en la caché
    assert any(p.startswith(f"{colab.DUENO}/{colab.REPOSITORIO}.git/info/refs") for p in informe.pedidos_git), \
        informe.pedidos_git
    usados = colab.archivos_de(colab.conjuntos_que_usa(informe.nb))
    assert informe.descargas == usados and informe.cache == usados


def _tarea_con_datos() -> tuple[str, str]:
    for tarea in TAREAS:
        usados = colab.conjuntos_que_usa(colab.cuaderno_resuelto(tarea, ""))
        if usados:
            return tarea, sorted(usados)[0]
    pytest.fail("ningún cuaderno carga datos con cargar_datos(): no hay nada que descargar")


def test_suma_equivocada_da_un_error_en_espanol_y_no_queda_en_la_cache(tmp_path):
    tarea, conjunto = _tarea_con_datos()
    servidos = tmp_path / "servidos"
    servidos.mkdir()
    archivo = datos.CONJUNTOS[conjunto].archivo
    (servidos / archivo).write_bytes((config.RAIZ / config.DIR_DATOS / archivo).read_bytes()[:-1000])  # cortado
    informe = colab.simular(tarea, tmp_path / "colab", datos_servidos=servidos, detener_en_error=True, omitir=True)
    assert informe.descargas == [archivo]
    assert len(informe.errores) == 1, informe.errores
    _, tipo, mensaje = informe.errores[0]
    assert tipo == "DatosNoEncontrados"
    assert f"La descarga de `{archivo}` no es la esperada" in mensaje and "No se ha guardado" in mensaje
    assert informe.cache == [], "una descarga con la suma equivocada no debe quedar en la caché"


def _error_de_la_primera_celda(informe) -> dict:
    """La única salida de error del cuaderno, que debe estar en su primera celda de código."""
    assert len(informe.errores) == 1, informe.errores
    primera = next(c for c in informe.nb.cells if c.cell_type == "code")
    errores = [s for s in primera.outputs if s.output_type == "error"]
    assert len(errores) == 1, primera.outputs
    return errores[0]


def _sin_traza_ni_ingles(error: dict, otras_salidas: list) -> None:
    """Lo que ve el alumno: una frase en español, sin traza, sin CalledProcessError y sin nada de pip."""
    visto = "\n".join(error["traceback"]) + "".join(s.get("text", "") for s in otras_salidas)
    assert error["traceback"] == [f"\x1b[31m✘ {error['evalue']}\x1b[0m"], error["traceback"]
    for ingles in ("Traceback", "CalledProcessError", "ERROR", "error:", "WARNING", "Collecting", "Cloning",
                   "Running command", "fatal:", "subprocess"):
        assert ingles not in visto, (ingles, visto)


def test_sin_repo_url_la_primera_celda_dice_que_falta_el_paquete(tmp_path):
    informe = colab.simular(TAREAS[0], tmp_path, repo_url="", detener_en_error=True)
    error = _error_de_la_primera_celda(informe)
    assert error["ename"] == "CursoNoInstalado"
    assert "Falta el paquete del curso" in error["evalue"] and "pip install -e ." in error["evalue"]
    assert "REPO_URL" in error["evalue"] and "curso/config.py" in error["evalue"]
    _sin_traza_ni_ingles(error, informe.nb.cells[0].get("outputs", []))
    assert informe.instalados == [] and informe.descargas == [] and informe.pedidos_git == []


def test_repositorio_que_no_existe_lo_dice_en_espanol_sin_traza(tmp_path):
    """Una REPO_URL equivocada (o un repositorio privado): pip falla y la celda lo explica, sin su salida."""
    informe = colab.simular(TAREAS[0], tmp_path, repo_url="{servidor}/organizacion/no-existe", detener_en_error=True)
    error = _error_de_la_primera_celda(informe)
    assert error["ename"] == "CursoNoInstalado"
    assert "No se pudo instalar el paquete del curso desde http://127.0.0.1:" in error["evalue"]
    assert "conexión a Internet" in error["evalue"] and "avisa al instructor" in error["evalue"]
    _sin_traza_ni_ingles(error, next(c for c in informe.nb.cells if c.cell_type == "code").outputs)
    assert any(p.startswith("organizacion/no-existe.git/") for p in informe.pedidos_git), informe.pedidos_git
    assert informe.instalados == [] and informe.descargas == []


def test_direcciones_de_github_en_un_solo_sitio(monkeypatch):
    monkeypatch.setattr(config, "REPO_URL", "https://github.com/organizacion/curso-redes-neuronales.git")
    monkeypatch.delenv(config.VAR_URL_DATOS, raising=False)
    tarea = TAREAS[0]
    assert cabecera.insignia_colab(tarea) == (
        "[![Abrir en Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/github/organizacion/curso-redes-neuronales/blob/main/"
        f"notebooks/{tarea}/{tarea}.ipynb)")
    assert ('"curso-redes-neuronales @ git+https://github.com/organizacion/curso-redes-neuronales.git@main"'
            in cabecera.orden_instalar(config.REPO_URL))
    assert config.url_datos() == "https://raw.githubusercontent.com/organizacion/curso-redes-neuronales/main/data"
    assert config.url_repositorio() == "https://github.com/organizacion/curso-redes-neuronales"


@pytest.mark.parametrize("repo_url", ["file:///home/profe/curso", "https://gitlab.com/organizacion/curso",
                                      "https://github.com/organizacion", "github.com/organizacion/curso",
                                      "https://github.com/organizacion/curso/tree/main",
                                      "git@github.com:org/curso.git"])
def test_cabeceras_se_niega_con_una_repo_url_que_no_sirve(repo_url, monkeypatch, capsys):
    from grader import cli

    with pytest.raises(ValueError, match="no es la dirección de un repositorio"):
        cabecera.codigo(repo_url)
    monkeypatch.setattr(config, "REPO_URL", repo_url)
    assert cli.main(["cabeceras", "--comprobar"]) == 2  # sin escribir nada
    error = capsys.readouterr().err
    assert "no es la dirección de un repositorio" in error and "curso/config.py" in error and "Traceback" not in error


def test_sin_repo_url_el_alumno_no_ve_tareas_del_instructor(monkeypatch):
    monkeypatch.setattr(config, "REPO_URL", "")
    assert cabecera.insignia_colab(TAREAS[0]) == ""
    como = cabecera.texto_como_trabajar(colab.cuaderno_resuelto(TAREAS[0], ""), TAREAS[0])
    assert "REPO_URL" not in como and "config.py" not in como and "instructor debe" not in como


def test_primera_celda_corta_y_plegada():
    for repo_url in ("", "https://github.com/organizacion/curso"):
        lineas = cabecera.codigo(repo_url).splitlines()
        assert len(lineas) <= 6 and lineas[0].startswith("#@title") and 'display-mode: "form"' in lineas[0]
    for tarea in TAREAS:
        primera = next(c for c in colab.cuaderno_resuelto(tarea, "").cells if c.cell_type == "code")
        assert primera.metadata.get("jupyter", {}).get("source_hidden") is True


def test_cambiar_solo_la_instalacion_conserva_la_salida_de_la_cabecera():
    """La salida de la cabecera es la de `preparar()`: cambiar REPO_URL no obliga a volver a ejecutar las fuentes."""
    nb = nbformat.read(config.cuaderno_fuente(TAREAS[0]), as_version=4)
    cabecera.aplicar(nb, TAREAS[0], repo_url="")
    antes = next(c for c in nb.cells if celdas.es_cabecera(c))
    antes.outputs, antes.execution_count = [nbformat.v4.new_output("stream", text="Listo: …\n")], 1
    assert cabecera.aplicar(nb, TAREAS[0], repo_url="https://github.com/organizacion/curso")
    despues = next(c for c in nb.cells if celdas.es_cabecera(c))
    assert "git+https://github.com/organizacion/curso.git@main" in despues.source
    assert despues.outputs == antes.outputs and despues.execution_count == 1
    assert not cabecera.misma_preparacion(despues.source, despues.source.replace("preparar()", "preparar(7)"))
