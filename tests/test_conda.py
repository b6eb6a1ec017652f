"""El camino conda del README (`conda env create -f environment.yml`), sin conda y sin `make`: un entorno
construido como lo construye conda con la sección pip de ``environment.yml`` (leída del archivo), y en él la
cabecera de un cuaderno funciona (importa ``curso`` y prepara TensorFlow).

Qué cubre: conda escribe esa sección en un archivo temporal junto a ``environment.yml`` y ejecuta
``pip install -U -r <archivo> --exists-action=b`` en esa carpeta (``conda/env/installers/pip.py``); aquí se hace
lo mismo en una copia de la carpeta del curso, con el Python de este entorno en vez del de conda-forge. Para no
descargar 3 GB, el entorno nuevo ve los paquetes ya instalados de este (un ``.pth``, como el Colab simulado de
``grader.mantenimiento.colab``)
salvo el paquete del alumno, y pip trabaja sin índice: los requisitos fijados constan como ya
instalados (se comprueba que pip los da por satisfechos con esas versiones) y lo que instala de verdad es ``curso``
desde la copia. No cubre el canal conda-forge ni la descarga de las ruedas (``make plataformas`` comprueba con
PyPI que todas existen).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from curso import config
from grader.mantenimiento import cabecera, colab

ARCHIVOS_DEL_CURSO = ("environment.yml", "requirements.txt", *colab.ARCHIVOS_DEL_PAQUETE)


def seccion_pip(entorno_yml: Path) -> list[str]:
    """Las líneas de la sección ``pip:`` de un environment.yml."""
    dependencias = yaml.safe_load(entorno_yml.read_text(encoding="utf-8"))["dependencies"]
    return next(d["pip"] for d in dependencias if isinstance(d, dict) and "pip" in d)


def test_environment_yml_fija_python_y_usa_el_bloqueo():
    datos = yaml.safe_load((config.RAIZ / "environment.yml").read_text(encoding="utf-8"))
    assert f"python={config.VERSION_PYTHON}" in datos["dependencies"]
    assert seccion_pip(config.RAIZ / "environment.yml")[0] == "-r requirements.txt"


def test_entorno_como_conda_instala_el_curso_y_la_cabecera_funciona(tmp_path):
    curso = tmp_path / "curso-redes-neuronales"  # la carpeta descargada o clonada por el alumno
    curso.mkdir()
    colab.copiar_del_curso(ARCHIVOS_DEL_CURSO, curso)
    venv = tmp_path / "entorno"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)  # pip: el de este entorno
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    colab.ver_paquetes_de_este_entorno(venv)
    requisitos = curso / "condaenv.prueba.requirements.txt"
    requisitos.write_text("\n".join(seccion_pip(curso / "environment.yml")), encoding="utf-8")
    entorno = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_FIND_LINKS")}
    entorno.update({"PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", **config.ENTORNO_KERNEL})
    pip = subprocess.run([str(python), "-m", "pip", "install", "-U", "-r", requisitos.name, "--exists-action=b"],
                         cwd=curso, env=entorno, capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    fijadas = config.versiones_fijadas(curso / "requirements.txt")
    assert f"Requirement already satisfied: numpy=={fijadas['numpy']}" in pip.stdout, pip.stdout[-3000:]
    assert f"Successfully installed {config.PAQUETE_ALUMNO}" in pip.stdout, pip.stdout[-3000:]
    # la cabecera de los cuadernos, sin REPO_URL (no debe hacer falta): importa el curso de la copia y prepara
    cuadernos = curso / config.DIR_PUBLICADOS  # el kernel arranca en la carpeta del cuaderno, no en la del curso
    cuadernos.mkdir()
    r = subprocess.run([str(python), "-c", cabecera.codigo("") + "\nimport curso; print(curso.__file__)"],
                       cwd=cuadernos, env=entorno, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Listo: TensorFlow" in r.stdout and "AVISO" not in r.stdout, r.stdout
    assert Path(r.stdout.splitlines()[-1]).resolve().is_relative_to(curso.resolve()), r.stdout
