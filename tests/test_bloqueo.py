"""Dependencias: requirements.in (directas) → requirements.txt (bloqueo con marcadores), instalable en cada sistema.

Las pruebas marcadas «PyPI» consultan el registro de paquetes con uv (unos segundos cada una).
"""
from __future__ import annotations

import pytest
from packaging.requirements import Requirement

from curso import config
from grader.mantenimiento import bloqueo

TEXTO_BLOQUEO = config.ARCHIVO_REQUISITOS.read_text(encoding="utf-8")


def _directas() -> list[Requirement]:
    lineas = bloqueo.ARCHIVO_DIRECTAS.read_text(encoding="utf-8").splitlines()
    return [Requirement(l) for l in lineas if l.strip() and not l.lstrip().startswith("#")]


def _aplicables(requisitos: list[Requirement], plataforma: bloqueo.Plataforma) -> dict[str, str]:
    return {r.name.lower(): str(r.specifier) for r in requisitos
            if r.marker is None or r.marker.evaluate(plataforma.marcadores)}


def _bloqueo() -> list[Requirement]:
    return [Requirement(l.split("#")[0]) for l in TEXTO_BLOQUEO.splitlines() if "==" in l.split("#")[0]]


def test_directas_con_version_exacta():
    sin_fijar = [str(r) for r in _directas() if len(r.specifier) != 1 or next(iter(r.specifier)).operator != "=="]
    assert not sin_fijar, f"requirements.in: fija una versión exacta (==) en {sin_fijar}"


@pytest.mark.parametrize("nombre", list(bloqueo.PLATAFORMAS))
def test_bloqueo_contiene_las_directas_en_cada_plataforma(nombre):
    """Cada dependencia directa que vale en esa plataforma está en el bloqueo con la misma versión."""
    plataforma = bloqueo.PLATAFORMAS[nombre]
    directas = _aplicables(_directas(), plataforma)
    bloqueadas = _aplicables(_bloqueo(), plataforma)
    distintas = {n: (v, bloqueadas.get(n)) for n, v in directas.items() if bloqueadas.get(n) != v}
    assert not distintas, f"{nombre}: requirements.txt no corresponde a requirements.in ({distintas}): `make bloquear`"


@pytest.mark.parametrize("nombre", list(bloqueo.PLATAFORMAS))
def test_una_sola_tensorflow_por_plataforma(nombre):
    bloqueadas = _aplicables(_bloqueo(), bloqueo.PLATAFORMAS[nombre])
    tensorflow = [n for n in bloqueadas if n in ("tensorflow", "tensorflow-cpu")]
    assert len(tensorflow) == 1, f"{nombre}: se instalarían {tensorflow or 'ninguna'} de tensorflow/tensorflow-cpu"


def test_tensorflow_cpu_donde_hay_ruedas_y_tensorflow_en_macos():
    en = {n: _aplicables(_bloqueo(), p) for n, p in bloqueo.PLATAFORMAS.items()}
    assert "tensorflow-cpu" in en["Linux x86_64"] and "tensorflow-cpu" in en["Windows x86_64"]
    assert "tensorflow" in en["macOS Apple Silicon"] and "tensorflow" in en["Linux ARM64"]


def test_versiones_fijadas_segun_los_marcadores(tmp_path):
    requisitos = tmp_path / "requirements.txt"
    requisitos.write_text(
        "# comentario\n"
        "keras==3.15.1             # via tensorflow\n"
        "tensorflow==2.21.0 ; sys_platform == 'darwin'  # via -r requirements.in\n"
        "tensorflow-cpu==2.21.0 ; sys_platform != 'darwin'  # via -r requirements.in\n"
        "soupsieve==2.10 ; python_full_version < '3.11.5'\n"
        "soupsieve==4.1.3 ; python_full_version >= '3.11.5'\n", encoding="utf-8")
    linux = config.versiones_fijadas(requisitos, {**config.PLATAFORMA_PROBADA, "python_full_version": "3.11.7"})
    assert linux == {"keras": "3.15.1", "tensorflow_cpu": "2.21.0", "soupsieve": "4.1.3"}
    mac = config.versiones_fijadas(requisitos, {**bloqueo.PLATAFORMAS["macOS Apple Silicon"].marcadores,
                                                "python_full_version": "3.11.2"})
    assert mac == {"keras": "3.15.1", "tensorflow": "2.21.0", "soupsieve": "2.10"}


def test_versiones_probadas_salen_del_bloqueo():
    fijadas = config.versiones_fijadas()
    assert all(p in fijadas for p in config.PAQUETES_VIGILADOS)


# ---------------------------------------------------------------- con PyPI


def test_bloqueo_al_dia_con_requirements_in():
    """PyPI: `make bloquear` no cambiaría requirements.txt."""
    assert not bloqueo.desfasado(), "requirements.txt no es lo que genera requirements.in: ejecuta `make bloquear`"


@pytest.mark.parametrize("nombre", list(bloqueo.PLATAFORMAS))
def test_se_instala_en_cada_plataforma(nombre):
    """PyPI: el bloqueo se resuelve para esa plataforma solo con ruedas y sin pedir nada fuera de él."""
    r = bloqueo.resolver(bloqueo.PLATAFORMAS[nombre].triple, config.VERSION_PYTHON)
    assert r.ok, f"{nombre}: {r.motivo}"
    assert r.paquetes >= len(_aplicables(_directas(), bloqueo.PLATAFORMAS[nombre]))


def test_readme_dice_con_que_versiones_se_ejecuto():
    from curso import versiones

    readme = (config.RAIZ / "README.md").read_text(encoding="utf-8")
    nombres = {"tensorflow_cpu": "TensorFlow", "keras": "Keras", "numpy": "NumPy"}
    for paquete, version in versiones.PROBADO_CON.items():
        assert f"{nombres[paquete]} {version}" in readme, f"el README no dice que se probó con {paquete} {version}"
