"""El intercambio de nbgrader con las órdenes del curso: el instructor reparte (``release_assignment``), dos alumnos
recogen y entregan (``fetch_assignment``, ``submit``), el instructor recoge (``collect``) y califica con
``python -m grader calificar``. Todo en una carpeta temporal: el curso mínimo y su carpeta de intercambio,
configurados como dice el README para una carpeta compartida (un ``nbgrader_config.py`` en la raíz del curso que
carga la configuración del curso y fija ``c.Exchange.root``)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd

from curso import config
from tests.conftest import TAREA_MINIMA

RESPUESTAS = {"ej99_suma": "total = int(x.sum())", "ej99_doble": "def doble(v):\n    return 2 * np.asarray(v)"}


def _nbgrader(*args: str, cwd: Path, home: Path | None = None) -> str:
    """Una orden de nbgrader (la del entorno, con su bin en PATH, como `make`); falla con su salida si falla."""
    bin_entorno = Path(sys.executable).parent
    entorno = {**os.environ, "PATH": f"{bin_entorno}{os.pathsep}{os.environ.get('PATH', '')}"}
    if home is not None:  # cada alumno, con su propia carpeta personal (como en un JupyterHub)
        entorno["HOME"] = str(home)
    r = subprocess.run([str(bin_entorno / "nbgrader"), *args], cwd=cwd, env=entorno, capture_output=True, text=True)
    assert r.returncode == 0, f"nbgrader {' '.join(args)}:\n{r.stdout}\n{r.stderr}"
    return r.stdout + r.stderr


def _resolver(ruta: Path) -> None:
    nb = nbformat.read(ruta, as_version=4)
    for celda in nb.cells:
        for ejercicio, codigo in RESPUESTAS.items():
            if celda.source.startswith(f"# EJERCICIO {ejercicio}"):
                celda.source = f"# EJERCICIO {ejercicio}\n{codigo}"
    nbformat.write(nb, ruta)


def test_repartir_entregar_recoger_y_calificar(copia_curso_minimo, tmp_path):
    raiz, intercambio = copia_curso_minimo, tmp_path / "intercambio"
    intercambio.mkdir()
    (raiz / "nbgrader_config.py").write_text(
        f"load_subconfig({str(config.RAIZ / 'grader' / 'nbgrader_config.py')!r})  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(raiz)!r}  # noqa: F821\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(raiz / config.LIBRO)!r}  # noqa: F821\n"
        f"c.Exchange.root = {str(intercambio)!r}  # noqa: F821\n", encoding="utf-8")
    _nbgrader("release_assignment", TAREA_MINIMA, cwd=raiz)
    assert (intercambio / config.CURSO_ID / "outbound" / TAREA_MINIMA / f"{TAREA_MINIMA}.ipynb").is_file()

    curso = ["--course", config.CURSO_ID, f"--Exchange.root={intercambio}"]
    for alumno in ("ana", "beto"):  # ana resuelve los dos ejercicios; beto entrega la versión en blanco
        home = tmp_path / "alumnos" / alumno
        home.mkdir(parents=True)
        _nbgrader("fetch_assignment", TAREA_MINIMA, *curso, cwd=home, home=home)
        recogido = home / TAREA_MINIMA / f"{TAREA_MINIMA}.ipynb"
        assert "### BEGIN HIDDEN TESTS" not in recogido.read_text(encoding="utf-8")
        if alumno == "ana":
            _resolver(recogido)
        _nbgrader("submit", TAREA_MINIMA, *curso, f"--CourseDirectory.student_id={alumno}", cwd=home, home=home)

    _nbgrader("collect", TAREA_MINIMA, cwd=raiz)
    for alumno in ("ana", "beto"):
        assert (raiz / config.DIR_ENTREGAS / alumno / TAREA_MINIMA / f"{TAREA_MINIMA}.ipynb").is_file()

    csv = raiz / "calificaciones.csv"
    r = subprocess.run([sys.executable, "-m", "grader", "calificar", str(raiz / config.DIR_ENTREGAS), "--curso",
                        str(raiz), "--tareas", TAREA_MINIMA, "--sin-canario", "--csv", str(csv)],
                       capture_output=True, text=True, cwd=config.RAIZ)
    assert r.returncode == 0, r.stdout + r.stderr
    notas = pd.read_csv(csv).set_index("alumno")
    assert (notas.loc["ana", "ej99_suma"], notas.loc["ana", "ej99_doble"], notas.loc["ana", "puntos"]) == (2, 3, 5)
    assert notas.loc["beto", "puntos"] == 0 and notas.loc["beto", "estado"] == "calificada"
    # lo que deja `collect` junto al cuaderno (timestamp.txt, submission_secret.txt) no es una entrega fuera de sitio
    assert notas["fuera_de_sitio"].isna().all() and "Sin problemas ni banderas" in r.stdout
