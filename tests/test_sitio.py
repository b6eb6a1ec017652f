"""El sitio web del curso (``python -m grader sitio``): se construye una vez desde el repositorio, en una carpeta
temporal, y se comprueban sus páginas, imágenes, enlaces, fugas y que no pide nada a la red."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
import yaml

from curso import config
from grader import cli
from grader.mantenimiento import cierre, sitio

TAREAS = config.tareas()
FLUJO = config.RAIZ / ".github" / "workflows" / "sitio.yml"


class _Etiquetas(HTMLParser):
    """Reúne las etiquetas con sus atributos y los ids de una página."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.etiquetas: list[tuple[str, dict]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        atributos = dict(attrs)
        self.etiquetas.append((tag, atributos))
        if atributos.get("id"):
            self.ids.add(atributos["id"])


def _analizar(ruta: Path) -> _Etiquetas:
    p = _Etiquetas()
    p.feed(ruta.read_text(encoding="utf-8"))
    return p


def _remota(url: str) -> bool:
    return bool(urlsplit(url).scheme in ("http", "https") or url.startswith("//"))


@pytest.fixture(scope="module")
def sitio_construido(tmp_path_factory) -> Path:
    destino = tmp_path_factory.mktemp("sitio") / "html"
    assert cli.main(["sitio", "--salida", str(destino)]) == 0
    return destino


@pytest.fixture(scope="module")
def paginas(sitio_construido) -> dict[str, _Etiquetas]:
    # Las páginas del sitio (en _static/ solo hay plantillas del tema, no páginas).
    return {str(p.relative_to(sitio_construido)): _analizar(p) for p in sitio_construido.rglob("*.html")
            if "_static" not in p.relative_to(sitio_construido).parts}


def test_una_pagina_por_cuaderno_en_orden(sitio_construido, paginas):
    for tarea in TAREAS:
        assert (sitio_construido / f"{tarea}.html").is_file(), f"falta la página de {tarea}"
    # El índice de la barra lateral de la portada lista los cuadernos en el orden del curso.
    enlazados = [a["href"].removesuffix(".html") for tag, a in paginas["index.html"].etiquetas
                 if tag == "a" and re.fullmatch(r"\d\d_\w+\.html", a.get("href", ""))]
    assert list(dict.fromkeys(enlazados)) == TAREAS
    # «Siguiente» de cada cuaderno lleva al siguiente.
    for anterior, siguiente in zip(TAREAS, TAREAS[1:]):
        siguientes = [a["href"] for tag, a in paginas[f"{anterior}.html"].etiquetas
                      if tag == "a" and "right-next" in (a.get("class") or "").split()]
        assert siguientes == [f"{siguiente}.html"], anterior


def test_cada_pagina_tiene_las_imagenes_de_sus_salidas_visibles(sitio_construido, paginas):
    for tarea in TAREAS:
        fuente = nbformat.read(config.cuaderno_fuente(tarea), as_version=4)
        resp = sitio.respuestas(fuente)
        esperadas = sum("image/png" in salida.get("data", {}) for celda in fuente.cells
                        if celda.cell_type == "code" and sitio.salida_visible(celda, resp)[0]
                        for salida in celda.outputs)
        imagenes = [a["src"] for tag, a in paginas[f"{tarea}.html"].etiquetas
                    if tag == "img" and a.get("src", "").startswith("_images/")]
        assert len(imagenes) == esperadas, tarea
    for nombre, pagina in paginas.items():
        for tag, a in pagina.etiquetas:
            if tag == "img" and not _remota(a.get("src", "")):
                assert (sitio_construido / Path(nombre).parent / unquote(a["src"])).is_file(), (nombre, a["src"])


def test_enlaces_internos_resuelven(sitio_construido, paginas):
    rotos = []
    for nombre, pagina in paginas.items():
        base = (sitio_construido / nombre).parent
        for tag, a in pagina.etiquetas:
            url = a.get("href") if tag in ("a", "link") else a.get("src") if tag in ("script", "img") else None
            if not url or _remota(url) or url.startswith(("mailto:", "javascript:")):
                continue
            partes = urlsplit(url)
            destino = (base / unquote(partes.path)).resolve() if partes.path else sitio_construido / nombre
            if not destino.is_file():
                rotos.append(f"{nombre}: {url}")
            elif partes.fragment and destino.suffix == ".html" and destino.is_relative_to(sitio_construido):
                if partes.fragment not in paginas[str(destino.relative_to(sitio_construido))].ids:
                    rotos.append(f"{nombre}: {url} (ancla)")
    assert rotos == []


def test_sin_fugas_en_ninguna_pagina(sitio_construido):
    assert sitio.fugas_del_sitio(sitio_construido, TAREAS) == {}
    # Ni las comprobaciones que imprimen las pruebas de la solución: esas celdas salen sin salida.
    for tarea in TAREAS:
        assert "Comprobado aquí" not in (sitio_construido / f"{tarea}.html").read_text(encoding="utf-8"), tarea


def test_la_comprobacion_de_fugas_encuentra_una_solucion_publicada(tmp_path):
    tarea = TAREAS[0]
    (tmp_path / sitio.DIR_DESCARGAS).mkdir()
    shutil.copyfile(config.cuaderno_fuente(tarea), tmp_path / sitio.DIR_DESCARGAS / f"{tarea}.ipynb")
    assert list(sitio.fugas_del_sitio(tmp_path, [tarea])) == [f"{sitio.DIR_DESCARGAS}/{tarea}.ipynb"]


def test_regla_de_salidas_de_referencia():
    fuente = nbformat.read(config.cuaderno_fuente("02_neurona"), as_version=4)
    resp = sitio.respuestas(fuente)
    assert "lr_elegida" in resp.variables
    motivos = {sitio.salida_visible(celda, resp)[1] for celda in fuente.cells
               if celda.cell_type == "code" and celda.outputs and celda.source.startswith(("# EJERCICIO", "# PRUEBAS"))}
    assert motivos == {"ejercicio"}
    lee = nbformat.v4.new_code_cell('print("épocas:", epocas_hasta_converger(lr_elegida))',
                                    outputs=[nbformat.v4.new_output("stream", text="épocas: 97\n")])
    define = nbformat.v4.new_code_cell("lr_elegida = 0.3\nprint(lr_elegida)",
                                       outputs=[nbformat.v4.new_output("stream", text="0.3\n")])
    local = nbformat.v4.new_code_cell("def f(lr_elegida):\n    return lr_elegida\nprint(f(2))",
                                      outputs=[nbformat.v4.new_output("stream", text="2\n")])
    valor = nbformat.v4.new_code_cell("print(rejilla)", outputs=[nbformat.v4.new_output("stream", text="0.114→97\n")])
    assert sitio.salida_visible(lee, resp) == (False, "depende")
    assert sitio.salida_visible(define, resp) == (True, "")
    assert sitio.salida_visible(local, resp) == (True, "")
    assert sitio.salida_visible(valor, resp) == (False, "depende")
    progreso = nbformat.v4.new_code_cell(cierre.codigo(fuente), outputs=[nbformat.v4.new_output("stream", text="✔\n")])
    assert sitio.salida_visible(progreso, resp) == (False, "progreso")


def test_paginas_de_cuaderno_son_la_version_del_alumno_con_salidas(sitio_construido):
    alumno = nbformat.read(config.cuaderno_publicado("02_neurona"), as_version=4)
    pagina = sitio.cuaderno_del_sitio("02_neurona")
    assert [c.source for c in pagina.cells if c.cell_type == "code"] == \
        [c.source for c in alumno.cells if c.cell_type == "code"]
    assert sum(bool(c.outputs) for c in alumno.cells if c.cell_type == "code") == 0
    assert sum(bool(c.outputs) for c in pagina.cells if c.cell_type == "code") > 20
    html = (sitio_construido / "02_neurona.html").read_text(encoding="utf-8")
    assert "sin_resolver()" in html and sitio.AVISO_SALIDA_OCULTA in html


def test_descargas_y_colab(sitio_construido, paginas, monkeypatch):
    for tarea in TAREAS:
        descarga = sitio_construido / sitio.DIR_DESCARGAS / f"{tarea}.ipynb"
        assert descarga.read_bytes() == config.cuaderno_publicado(tarea).read_bytes()
        enlaces = {a.get("href") for tag, a in paginas[f"{tarea}.html"].etiquetas if tag == "a"}
        assert f"{sitio.DIR_DESCARGAS}/{tarea}.ipynb" in enlaces
    if not config.url_repositorio():  # sin REPO_URL no hay botón (ni una dirección inventada)
        assert "colab.research.google.com" not in (sitio_construido / "02_neurona.html").read_text(encoding="utf-8")
        assert "Colab" not in sitio.botones("02_neurona")
    monkeypatch.setattr(config, "REPO_URL", "https://github.com/org/curso.git")
    assert ('href="https://colab.research.google.com/github/org/curso/blob/'
            f'{config.RAMA}/{config.DIR_PUBLICADOS}/02_neurona/02_neurona.ipynb"') in sitio.botones("02_neurona")


def test_nada_se_pide_a_la_red(sitio_construido, paginas):
    # Ni scripts, ni estilos, ni imágenes de otro sitio (los enlaces <a> a otras páginas sí pueden serlo).
    remotos = [f"{nombre}: {url}" for nombre, p in paginas.items() for tag, a in p.etiquetas
               if (url := a.get("src") if tag in ("script", "img") else a.get("href") if tag == "link" else "")
               and _remota(url)]
    assert remotos == []
    texto = (sitio_construido / "02_neurona.html").read_text(encoding="utf-8")
    mathjax = [a["src"] for tag, a in paginas["02_neurona.html"].etiquetas
               if tag == "script" and "mathjax" in a.get("src", "").lower()]
    assert mathjax and all((sitio_construido / urlsplit(s).path).is_file() for s in mathjax)
    assert r"\(" in texto or "math notranslate" in texto  # hay fórmulas que MathJax renderiza
    assert (sitio_construido / "searchindex.js").is_file() and "gradiente" in \
        (sitio_construido / "searchindex.js").read_text(encoding="utf-8")


def test_inicio_y_glosario_salen_de_su_fuente(sitio_construido):
    inicio = (sitio_construido / "index.html").read_text(encoding="utf-8")
    readme = (config.RAIZ / "README.md").read_text(encoding="utf-8")
    for tarea in TAREAS:  # la descripción de cada cuaderno es la del README
        descripcion = re.search(rf"^\| `{tarea}` \| (.+?) \|$", readme, re.M).group(1)
        palabras = re.sub(r"[`*]", "", descripcion).split()[:4]
        assert " ".join(palabras) in re.sub(r"<[^>]+>", "", inicio), tarea
    datos = yaml.safe_load(sitio.ARCHIVO_GLOSARIO.read_text(encoding="utf-8"))
    glosario = (sitio_construido / "glosario.html").read_text(encoding="utf-8")
    posiciones = {termino: glosario.index(f">{termino}<") for termino in datos["terminos"]}  # todos, por orden
    assert sorted(posiciones, key=posiciones.get) == sorted(datos["terminos"], key=sitio._orden_alfabetico)
    assert posiciones["Desviación estándar"] < posiciones["Época"] < posiciones["Exactitud"]  # sin mirar tildes
    # Los términos que el README manda usar igual en todo el curso están definidos en el glosario.
    terminologia = sitio.secciones_readme(readme)["Terminología"]
    lista = terminologia.split(":", 1)[1].split(".", 1)[0]
    definidos = {t.casefold() for t in datos["terminos"]}
    faltan = [t for t in (" ".join(x.split()) for x in lista.split(",")) if t.casefold() not in definidos]
    assert faltan == [], f"términos del README sin definir en {sitio.ARCHIVO_GLOSARIO.name}: {faltan}"


def test_flujo_de_publicacion_valido():
    r = subprocess.run([str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema",
                        "vendor.github-workflows", str(FLUJO)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    flujo = yaml.safe_load(FLUJO.read_text(encoding="utf-8"))
    pasos = [paso for trabajo in flujo["jobs"].values() for paso in trabajo["steps"]]
    usa = {paso.get("uses", "").split("@")[0]: paso for paso in pasos}
    assert usa["actions/setup-python"]["with"]["python-version"] == config.VERSION_PYTHON
    assert usa["actions/upload-pages-artifact"]["with"]["path"] == config.DIR_SITIO
    assert "actions/deploy-pages" in usa and any(paso.get("run") == "make sitio" for paso in pasos)
    assert flujo["permissions"]["pages"] == "write" and flujo["permissions"]["id-token"] == "write"
    assert flujo[True]["push"]["branches"] == [config.RAMA]  # YAML 1.1: la clave «on» se lee como True
