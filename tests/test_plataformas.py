"""El flujo de CI de las plataformas del alumno (`.github/workflows/plataformas.yml`): válido según el esquema de
GitHub Actions (el que trae check-jsonschema, sin red) e instala exactamente con las órdenes del README. No se
puede ejecutar aquí (necesita los ejecutores de GitHub)."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from curso import config

FLUJOS = config.RAIZ / ".github" / "workflows"
PLATAFORMAS = FLUJOS / "plataformas.yml"


@pytest.mark.parametrize("flujo", sorted(p.name for p in FLUJOS.glob("*.yml")))
def test_flujo_valido_para_github_actions(flujo):
    r = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                        str(FLUJOS / flujo)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def _pasos() -> list[dict]:
    datos = yaml.safe_load(PLATAFORMAS.read_text(encoding="utf-8"))
    (trabajo,) = datos["jobs"].values()
    assert trabajo["strategy"]["matrix"]["os"] == ["ubuntu-latest", "macos-14", "windows-latest"]
    return trabajo["steps"]


def _ordenes_de_windows_en_el_readme() -> list[str]:
    readme = (config.RAIZ / "README.md").read_text(encoding="utf-8")
    fila = next(linea for linea in readme.splitlines() if linea.startswith("| Windows"))
    return [o for o in re.findall(r"`([^`]+)`", fila) if "pip install" in o or " -m venv " in o]


def test_windows_instala_con_las_ordenes_del_readme():
    ordenes = _ordenes_de_windows_en_el_readme()
    assert len(ordenes) == 3, ordenes  # crear el entorno, requirements.txt y el paquete del curso
    (paso,) = [p for p in _pasos() if p.get("if") == "runner.os == 'Windows'"]
    assert [linea.strip() for linea in paso["run"].splitlines()][:3] == ordenes


def test_linux_y_macos_instalan_como_make_lab():
    (paso,) = [p for p in _pasos() if p.get("if") == "runner.os != 'Windows'"]
    objetivo = paso["run"].splitlines()[0].removeprefix("make ").strip()
    r = subprocess.run(["make", "-n", "-p", "lab"], cwd=config.RAIZ, capture_output=True, text=True)
    assert re.search(rf"^lab: .*{re.escape(objetivo)}", r.stdout, re.M), f"`make lab` ya no depende de {objetivo}"


def test_ejecuta_pruebas_que_existen_y_cuadernos_cortos():
    texto = " ".join(p.get("run", "") for p in _pasos())
    for prueba in re.findall(r"tests/\S+\.py", texto):
        assert (config.RAIZ / prueba).is_file(), prueba
    cortos = re.search(r"grader ultimas ((?:\d\d_\w+ ?)+)", texto).group(1).split()
    assert cortos and set(cortos) <= set(config.tareas()), cortos
