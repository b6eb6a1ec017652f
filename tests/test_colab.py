"""Colab, sin nada más: el alumno abre un cuaderno suelto; su primera celda instala el paquete del alumno (sin
TensorFlow ni herramientas del instructor) y el cuaderno descarga solo los datos que usa, con su sha256
comprobado. Colab simulado sin red (``grader.colab``): venv aparte, ``google.colab`` falso, paquete desde un
repositorio git local y datos servidos desde 127.0.0.1."""
from __future__ import annotations


import pytest

from curso import config, datos
from grader import cabecera, colab
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
    # descargó solo los conjuntos que usa el cuaderno, y quedaron en la caché
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


def test_sin_repo_url_la_primera_celda_dice_que_configurar(tmp_path):
    informe = colab.simular(TAREAS[0], tmp_path, repo_url="", detener_en_error=True)
    assert len(informe.errores) == 1
    indice, tipo, mensaje = informe.errores[0]
    primera = next(i for i, c in enumerate(informe.nb.cells) if c.cell_type == "code")
    assert (indice, tipo) == (primera, "RuntimeError")
    assert "REPO_URL" in mensaje and "curso/config.py" in mensaje
    assert informe.instalados == [] and informe.descargas == []


def test_con_repo_url_insignia_instalacion_y_datos(monkeypatch):
    monkeypatch.setattr(config, "REPO_URL", "https://github.com/organizacion/curso-redes-neuronales.git")
    monkeypatch.delenv(config.VAR_URL_DATOS, raising=False)
    tarea = TAREAS[0]
    assert cabecera.insignia_colab(tarea) == (
        "[![Abrir en Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/github/organizacion/curso-redes-neuronales/blob/main/"
        f"notebooks/{tarea}/{tarea}.ipynb)")
    assert cabecera.orden_instalar(config.REPO_URL) == (
        'subprocess.run([sys.executable, "-m", "pip", "install", "-q", '
        '"curso-redes-neuronales @ git+https://github.com/organizacion/curso-redes-neuronales.git"], check=True)')
    assert config.url_datos() == ("https://raw.githubusercontent.com/organizacion/curso-redes-neuronales/main/data")


def test_sin_repo_url_la_insignia_dice_que_configurar(monkeypatch):
    monkeypatch.setattr(config, "REPO_URL", "")
    texto = cabecera.insignia_colab(TAREAS[0])
    assert "REPO_URL" in texto and "curso/config.py" in texto and "colab-badge" not in texto


def test_primera_celda_corta_y_plegada():
    for repo_url in ("", "https://github.com/organizacion/curso"):
        lineas = cabecera.codigo(repo_url).splitlines()
        assert len(lineas) <= 6 and lineas[0].startswith("#@title") and 'display-mode: "form"' in lineas[0]
    for tarea in TAREAS:
        primera = next(c for c in colab.cuaderno_resuelto(tarea, "").cells if c.cell_type == "code")
        assert primera.metadata.get("jupyter", {}).get("source_hidden") is True
