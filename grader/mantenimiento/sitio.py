"""El curso como sitio web estático (``python -m grader sitio``, ``make sitio``), sin red y sin ejecutar nada.

Genera en una carpeta temporal las páginas y construye con Sphinx + MyST-NB + sphinx-book-theme (configuración
en ``sitio/conf.py``):

- inicio: lo esencial del README (qué es el curso, los cuadernos en orden, cómo empezar), copiado de él;
- una página por cuaderno, en orden: la versión del **alumno** (``notebooks/``) con las salidas de referencia
  de ``solutions/`` (misma celda: mismo id y misma posición) según ``salida_visible``; arriba, «Abrir en
  Colab» (si hay ``REPO_URL``) y «Descargar el cuaderno» (el ``.ipynb`` del alumno va dentro del sitio);
- el glosario, desde ``sitio/glosario.yml`` (la única fuente de los términos).

Antes de dar el sitio por bueno, ``grader.informes.fugas`` revisa cada página y cada cuaderno descargable contra las
pruebas ocultas y las soluciones de su fuente: si algo fuga, no hay sitio.
"""
from __future__ import annotations

import ast
import copy
import io
import re
import shutil
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from curso import config
from grader.informes import fugas
from grader.mantenimiento import cabecera, cierre
from grader.nucleo import celdas

DIR_CONFIG = config.RAIZ / "sitio"  # conf.py, _static/ y glosario.yml
ARCHIVO_GLOSARIO = DIR_CONFIG / "glosario.yml"
ARCHIVO_README = config.RAIZ / "README.md"
DIR_DESCARGAS = "cuadernos"  # dentro del sitio: los .ipynb del alumno
ETIQUETA_PLEGAR = "hide-input"  # MyST-NB: la celda de preparación se ve plegada
AVISO_SALIDA_OCULTA = ("La salida de esta celda depende de la respuesta de un ejercicio: ejecuta el cuaderno "
                       "para verla.")
AVISO_WIDGET = "Control interactivo: ejecuta el cuaderno (JupyterLab o Colab) para usarlo."
MIME_WIDGET = "application/vnd.jupyter.widget-view+json"


# --- Qué salidas de referencia se ven -------------------------------------------------------------------

def _codigo_python(fuente: str) -> str:
    """El código de una celda sin magias ni órdenes del sistema (``%…``, ``!…``), para ``ast``."""
    return "\n".join("" if linea.lstrip().startswith(("%", "!")) else linea for linea in fuente.splitlines())


def _arbol(fuente: str) -> ast.Module | None:
    try:
        return ast.parse(_codigo_python(fuente))
    except SyntaxError:
        return None


def _variables_de_nivel_superior(arbol: ast.Module) -> set[str]:
    """Variables (no funciones ni clases) a las que una celda da valor fuera de toda función."""
    nombres = set()
    pendientes = list(arbol.body)
    while pendientes:
        nodo = pendientes.pop()
        if isinstance(nodo, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(nodo, ast.Name) and isinstance(nodo.ctx, ast.Store):
            nombres.add(nodo.id)
        pendientes.extend(ast.iter_child_nodes(nodo))
    return nombres


def _literales(nodo: ast.AST) -> set[str]:
    """Los números y textos literales de una expresión, escritos como se imprimirían (``0.114``, ``relu``)."""
    return {str(n.value) for n in ast.walk(nodo)
            if isinstance(n, ast.Constant) and isinstance(n.value, (int, float, str)) and not isinstance(n.value, bool)}


def _es_literal(nodo: ast.AST | None) -> bool:
    """True si una expresión es un valor escrito tal cual (``0.114``, ``{1: "b"}``): la respuesta es ese valor."""
    try:
        ast.literal_eval(nodo)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return False
    return nodo is not None


LONGITUD_MINIMA_LITERAL = 4  # «0.5», «10» o «b» salen en cualquier salida: no delatan una respuesta


@dataclass(frozen=True)
class Respuestas:
    """Lo que las celdas de ejercicio de una fuente dejan definido: nombres de variables y valores literales."""

    variables: frozenset[str]
    valores: frozenset[str]


def respuestas(fuente) -> Respuestas:
    """Variables de nivel superior de las celdas ``# EJERCICIO`` y los valores literales que se les asignan."""
    variables, valores = set(), set()
    for celda in fuente.cells:
        m = celdas.marca(celda)
        if m is None or m.tipo != "ejercicio" or (arbol := _arbol(celda.source)) is None:
            continue
        variables |= _variables_de_nivel_superior(arbol)
        for nodo in arbol.body:
            if isinstance(nodo, (ast.Assign, ast.AnnAssign)) and _es_literal(nodo.value):
                valores |= {v for v in _literales(nodo.value) if len(v.strip()) >= LONGITUD_MINIMA_LITERAL}
    return Respuestas(frozenset(variables), frozenset(valores))


def _lecturas_libres(nodo: ast.AST, locales: frozenset[str] = frozenset()) -> set[str]:
    """Nombres que lee una sentencia y no son locales de una función suya (parámetros o asignados dentro)."""
    if isinstance(nodo, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        a = nodo.args
        parametros = {x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg) if x is not None}
        asignados = {n.id for n in ast.walk(nodo) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        locales = locales | parametros | asignados
    if isinstance(nodo, ast.Name) and isinstance(nodo.ctx, ast.Load):
        return set() if nodo.id in locales else {nodo.id}
    return set().union(*(_lecturas_libres(hijo, locales) for hijo in ast.iter_child_nodes(nodo)))


def _lee_antes_de_definir(arbol: ast.Module, nombres: frozenset[str]) -> bool:
    """True si la celda lee alguno de ``nombres`` sin haberle dado antes valor ella misma (nivel superior)."""
    propias: set[str] = set()
    for sentencia in arbol.body:
        if (_lecturas_libres(sentencia) & nombres) - propias:
            return True
        propias |= _variables_de_nivel_superior(ast.Module(body=[sentencia], type_ignores=[]))
    return False


def _texto_de_salidas(salidas) -> str:
    partes = []
    for salida in salidas:
        partes.append(str(salida.get("text", "")))
        partes.extend(str(v) for k, v in salida.get("data", {}).items() if k.startswith("text/"))
        partes.extend(str(x) for x in salida.get("traceback", []))
    return "\n".join(partes)


def salida_visible(celda_fuente, resp: Respuestas) -> tuple[bool, str]:
    """(¿se ven en el sitio las salidas de referencia de esta celda?, por qué no).

    La regla (README, «Para quien mantiene el curso»): no se ven las de las celdas de ejercicio y de pruebas
    ni la de la celda de progreso (son las de la solución), ni las de una celda de explicación que lee una
    variable que define una celda de ejercicio (dependen de la respuesta), ni las que contienen un valor
    literal que la solución asigna (p. ej. la tasa de aprendizaje que pide un ejercicio); las demás (gráficas,
    tablas, impresiones) sí.
    """
    if celda_fuente.cell_type != "code" or not celda_fuente.get("outputs"):
        return True, ""
    if celdas.marca(celda_fuente) is not None and celdas.marca(celda_fuente).tipo in ("ejercicio", "pruebas"):
        return False, "ejercicio"
    if cierre.es_codigo(celda_fuente):
        return False, "progreso"
    arbol = _arbol(celda_fuente.source)
    if arbol is not None and _lee_antes_de_definir(arbol, resp.variables):
        return False, "depende"
    texto = _texto_de_salidas(celda_fuente.outputs)
    if any(re.search(rf"(?<![\w.]){re.escape(v)}(?![\w])", texto) for v in resp.valores):
        return False, "depende"
    return True, ""


def _sin_widgets(salidas) -> list:
    """Las salidas con los controles interactivos (ipywidgets) cambiados por un aviso: sin kernel no funcionan."""
    limpias = []
    for salida in salidas:
        if MIME_WIDGET in salida.get("data", {}):
            salida = nbformat.v4.new_output("display_data", data={"text/markdown": f"*{AVISO_WIDGET}*"})
        limpias.append(salida)
    return limpias


def _aviso(texto: str):
    return nbformat.v4.new_output("display_data", data={"text/markdown": f"*{texto}*"})


# --- Páginas ---------------------------------------------------------------------------------------------

def enlace_colab(tarea: str) -> str | None:
    """Dirección «Abrir en Colab» del cuaderno del alumno (la de su insignia), o None sin ``REPO_URL``."""
    m = re.search(r"\]\((https://colab\.research\.google\.com/[^)\s]+)\)\s*$", cabecera.insignia_colab(tarea))
    return m.group(1) if m else None


def botones(tarea: str) -> str:
    """HTML de los enlaces de una página de cuaderno: abrir en Colab (solo con ``REPO_URL``, como la insignia
    del cuaderno) y descargar."""
    colab = enlace_colab(tarea)
    abrir = f'<a href="{colab}">Abrir en Colab</a>\n' if colab else ""
    descargar = f'<a href="{DIR_DESCARGAS}/{tarea}.ipynb" download>Descargar el cuaderno (.ipynb)</a>'
    return f'<div class="botones-cuaderno">\n{abrir}{descargar}\n</div>'


def cuaderno_del_sitio(tarea: str, raiz: Path = config.RAIZ):
    """La página de un cuaderno: la versión del alumno con las salidas de referencia visibles de la fuente.

    Falla (``ValueError``) si la versión del alumno no tiene las mismas celdas que la fuente (``make publicar``).
    """
    alumno = nbformat.read(config.cuaderno_publicado(tarea, raiz), as_version=4)
    fuente = nbformat.read(config.cuaderno_fuente(tarea, raiz), as_version=4)
    if [(c.get("id"), c.cell_type) for c in alumno.cells] != [(c.get("id"), c.cell_type) for c in fuente.cells]:
        raise ValueError(f"{tarea}: las celdas de notebooks/ no son las de solutions/; ejecuta `make publicar`.")
    resp = respuestas(fuente)
    pagina = copy.deepcopy(alumno)
    for celda, de_fuente in zip(pagina.cells, fuente.cells):
        if celda.cell_type == "markdown" and cabecera.es_como_trabajar(celda):
            texto = celda.source.replace(cabecera.MARCA_COMO_TRABAJAR, "")
            celda.source = botones(tarea) + "\n\n" + texto.replace(cabecera.insignia_colab(tarea), "").strip()
        if celda.cell_type != "code":
            continue
        visible, motivo = salida_visible(de_fuente, resp)
        celda.outputs = _sin_widgets(de_fuente.outputs) if visible else (
            [_aviso(AVISO_SALIDA_OCULTA)] if motivo == "depende" else [])
        celda.execution_count = None
        if celdas.es_cabecera(celda):
            celda.metadata["tags"] = [*celda.metadata.get("tags", []), ETIQUETA_PLEGAR]
    return pagina


def secciones_readme(texto: str) -> dict[str, str]:
    """Las secciones ``## …`` del README por título (``""``: lo que va entre el título y la primera)."""
    secciones, titulo, lineas = {}, "", []
    for linea in texto.splitlines():
        if linea.startswith("## "):
            secciones[titulo] = "\n".join(lineas).strip()
            titulo, lineas = linea[3:].strip(), []
        elif not linea.startswith("# "):
            lineas.append(linea)
    secciones[titulo] = "\n".join(lineas).strip()
    return secciones


def _titulo(tarea: str, raiz: Path) -> str:
    primera = nbformat.read(config.cuaderno_publicado(tarea, raiz), as_version=4).cells[0].source
    return primera.splitlines()[0].lstrip("# ").strip()


def inicio(tareas: list[str], raiz: Path = config.RAIZ) -> str:
    """La página de inicio (MyST): presentación, cuadernos y «Para alumnos» del README, con enlaces."""
    readme = (raiz / "README.md").read_text(encoding="utf-8")
    titulo = readme.splitlines()[0].lstrip("# ").strip()
    partes = secciones_readme(readme)
    tabla = partes["Los cuadernos"]
    for tarea in tareas:
        tabla = tabla.replace(f"| `{tarea}` |", f"| {{doc}}`{_titulo(tarea, raiz)} <{tarea}>` |")
    indice = "\n".join(tareas)
    return f"""# {titulo}

{partes[""]}

Este sitio muestra cada cuaderno con las salidas de referencia de sus explicaciones (gráficas, tablas,
resultados), para leerlo antes de ejecutarlo o desde el celular. Los ejercicios aparecen sin resolver, como en
tu cuaderno: cada página tiene un enlace para descargarlo (y para abrirlo en Colab, si el curso lo tiene
configurado). El {{doc}}`glosario <glosario>` reúne los términos del curso.

## Los cuadernos, en orden

{tabla}

## Cómo empezar

{partes["Para alumnos"]}

```{{toctree}}
:hidden:
:caption: Cuadernos

{indice}
```

```{{toctree}}
:hidden:
:caption: Referencia

glosario
```
"""


def _orden_alfabetico(texto: str) -> str:
    """Clave de orden del español: sin mayúsculas ni tildes («Época» entre «Descenso» y «Exactitud»)."""
    return "".join(c for c in unicodedata.normalize("NFD", texto.casefold()) if not unicodedata.combining(c))


def glosario(archivo: Path = ARCHIVO_GLOSARIO) -> str:
    """La página del glosario (MyST) desde el YAML: términos por orden alfabético y nombres de variables."""
    datos = yaml.safe_load(archivo.read_text(encoding="utf-8"))
    terminos = sorted(datos["terminos"].items(), key=lambda par: _orden_alfabetico(par[0]))
    filas = "\n".join(f"{termino}\n  {definicion}\n" for termino, definicion in terminos)
    variables = "\n".join("| " + ", ".join(f"`{n}`" for n in nombres.split(", ")) + f" | {que} |"
                           for nombres, que in datos["variables"].items())
    return f"""# Glosario

Los términos se usan siempre igual en todos los cuadernos.

```{{glossary}}
{filas}```

## Nombres de variables

| nombre | qué es |
| --- | --- |
{variables}
"""


def terminos_glosario(archivo: Path = ARCHIVO_GLOSARIO) -> list[str]:
    return list(yaml.safe_load(archivo.read_text(encoding="utf-8"))["terminos"])


def escribir_fuentes(carpeta: Path, extra: Path, tareas: list[str], raiz: Path = config.RAIZ) -> None:
    """Escribe en ``carpeta`` las páginas (inicio, cuadernos, glosario) y, en ``extra``, los cuadernos del
    alumno que se descargan (se copian tal cual al sitio)."""
    (carpeta / "index.md").write_text(inicio(tareas, raiz), encoding="utf-8")
    (carpeta / "glosario.md").write_text(glosario(), encoding="utf-8")
    descargas = extra / DIR_DESCARGAS
    descargas.mkdir(parents=True)
    for tarea in tareas:
        nbformat.write(cuaderno_del_sitio(tarea, raiz), carpeta / f"{tarea}.ipynb")
        shutil.copyfile(config.cuaderno_publicado(tarea, raiz), descargas / f"{tarea}.ipynb")


# --- Construcción ----------------------------------------------------------------------------------------

# Textos del tema y de Sphinx que no tienen traducción al español en las versiones fijadas.
TRADUCCIONES_HTML = {
    'title="Link to this heading"': 'title="Enlace a esta sección"',
    'title="Link to this image"': 'title="Enlace a esta imagen"',
    'title="Link to this table"': 'title="Enlace a esta tabla"',
    'title="Link to this code"': 'title="Enlace a este código"',
    'aria-label="Toggle hidden content"': 'aria-label="Mostrar u ocultar"',
    'title="Toggle primary sidebar"': 'title="Mostrar u ocultar el índice del curso"',
    'title="Toggle secondary sidebar"': 'title="Mostrar u ocultar el contenido de la página"',
    'aria-label="Main"': 'aria-label="Principal"',
    'aria-label="Page"': 'aria-label="Página"',
}


def _traducir(destino: Path) -> None:
    for pagina in destino.glob("*.html"):
        texto = original = pagina.read_text(encoding="utf-8")
        for ingles, espanol in TRADUCCIONES_HTML.items():
            texto = texto.replace(ingles, espanol)
        if texto != original:
            pagina.write_text(texto, encoding="utf-8")


@dataclass
class Informe:
    destino: Path
    segundos: float
    paginas: int
    imagenes: int
    bytes: int
    avisos: list[str]


def fugas_del_sitio(destino: Path, tareas: list[str], raiz: Path = config.RAIZ) -> dict[str, list[str]]:
    """Líneas secretas que aparecen en el sitio: cada página de cuaderno y su ``.ipynb`` descargable frente a
    su fuente; las demás páginas (inicio, glosario, búsqueda…), frente a todas las fuentes."""
    por_tarea = {t: fugas.secretos(config.cuaderno_fuente(t, raiz)) for t in tareas}
    todos = frozenset().union(*por_tarea.values())
    halladas = {}
    for archivo in sorted([*destino.rglob("*.html"), *(destino / DIR_DESCARGAS).glob("*.ipynb")]):
        secretos = por_tarea.get(archivo.stem, todos)
        if encontradas := fugas.fugas(archivo.read_text(encoding="utf-8"), secretos):
            halladas[str(archivo.relative_to(destino))] = encontradas
    return halladas


def _vaciar(destino: Path) -> None:
    """Borra un sitio anterior; se niega si la carpeta tiene otra cosa (no es un sitio de Sphinx)."""
    if destino.exists() and any(destino.iterdir()) and not (destino / ".buildinfo").exists():
        raise RuntimeError(f"{destino} no está vacía y no es un sitio generado: no la borro.")
    shutil.rmtree(destino, ignore_errors=True)


def construir(destino: Path | None = None, tareas: list[str] | None = None, raiz: Path = config.RAIZ) -> Informe:
    """Construye el sitio en ``destino`` (por defecto ``config.DIR_SITIO``); falla si alguna página fuga."""
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    inicio_s = time.monotonic()
    tareas = tareas or config.tareas(raiz)
    destino = Path(destino or raiz / config.DIR_SITIO).resolve()
    _vaciar(destino)
    avisos = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="sitio-") as tmp:
        fuentes = Path(tmp) / "fuentes"
        fuentes.mkdir()
        extra = Path(tmp) / "extra"
        escribir_fuentes(fuentes, extra, tareas, raiz)
        html = Path(tmp) / "construccion" / "html"  # MyST-NB escribe además en su carpeta madre (jupyter_execute)
        with docutils_namespace():
            app = Sphinx(str(fuentes), str(DIR_CONFIG), str(html), str(Path(tmp) / "doctrees"), "html",
                         confoverrides={"html_extra_path": [str(extra)]},
                         status=None, warning=avisos, freshenv=True)
            app.build()
        if app.statuscode:
            raise RuntimeError(f"Sphinx no pudo construir el sitio:\n{avisos.getvalue()}")
        shutil.copytree(html, destino)
    _traducir(destino)
    if halladas := fugas_del_sitio(destino, tareas, raiz):
        detalle = "; ".join(f"{archivo}: {', '.join(lineas[:3])}" for archivo, lineas in halladas.items())
        shutil.rmtree(destino)
        raise RuntimeError(f"El sitio dejaría ver soluciones o pruebas ocultas (no se publica): {detalle}")
    archivos = [p for p in destino.rglob("*") if p.is_file()]
    return Informe(
        destino=destino,
        segundos=time.monotonic() - inicio_s,
        paginas=len([p for p in archivos if p.suffix == ".html" and p.parent == destino]),
        imagenes=len([p for p in archivos if p.parent.name == "_images"]),
        bytes=sum(p.stat().st_size for p in archivos),
        avisos=[linea for linea in avisos.getvalue().splitlines() if linea.strip()],
    )


def texto(informe: Informe) -> str:
    """Resumen en español de una construcción."""
    avisos = f"; {len(informe.avisos)} avisos de Sphinx" if informe.avisos else ""
    return (f"Sitio en {informe.destino}: {informe.paginas} páginas, {informe.imagenes} imágenes, "
            f"{informe.bytes / 1024**2:.1f} MB, {informe.segundos:.0f} s; sin fugas{avisos}.\n"
            f"Ábrelo en el navegador: {(informe.destino / 'index.html').as_uri()}")
