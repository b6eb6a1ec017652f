"""Cada hecho en un solo sitio y la arquitectura a la vista: lo comprueba el código del repositorio, sin ejecutar nada.

- Las marcas, los nombres de archivo y las variables de entorno se definen una vez (``curso/config.py``,
  ``curso/progreso.py``, ``grader/nucleo/celdas.py``, ``grader/nucleo/resultado.py``); ningún otro código las
  vuelve a escribir a mano (los docstrings sí pueden nombrarlas).
- Los estados y banderas que el código escribe como texto existen en ``grader.nucleo.resultado``.
- Las importaciones entre módulos no forman ciclos y respetan las capas: ``nucleo`` no importa otros
  subpaquetes de ``grader``, lo que ejecuta un alumno (``alumno``) solo importa ``nucleo`` y el motor no importa
  ni las órdenes del alumno ni el mantenimiento.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from curso import config, progreso
from grader.nucleo import celdas, resultado

CODIGO = sorted([*(config.RAIZ / "grader").rglob("*.py"), *(config.RAIZ / "curso").rglob("*.py")])
OTROS = [config.RAIZ / "Makefile", *sorted((config.RAIZ / ".github" / "workflows").glob("*.yml"))]
DEFINICIONES = {progreso: "curso/progreso.py", config: "curso/config.py", celdas: "grader/nucleo/celdas.py",
                resultado: "grader/nucleo/resultado.py"}


def _relativa(ruta: Path) -> str:
    return ruta.relative_to(config.RAIZ).as_posix() if ruta.is_relative_to(config.RAIZ) else ruta.name


def _es_hecho(valor: str) -> bool:
    """Un texto que identifica algo: una marca de celda, un archivo, una variable de entorno o un identificador
    con guiones (no una palabra de la prosa)."""
    return (valor.startswith(("#", "<!--")) or bool(re.fullmatch(r"[\w-]+\.[a-z]+", valor))
            or bool(re.fullmatch(r"[A-Z][A-Z0-9]*_[A-Z0-9_]+", valor)) or ("-" in valor and " " not in valor))


def hechos() -> dict[str, str]:
    """Valor de cada hecho → dónde se define («archivo:NOMBRE»)."""
    encontrados = {}
    for modulo, archivo in DEFINICIONES.items():
        for nombre, valor in vars(modulo).items():
            if nombre.isupper() and isinstance(valor, str) and len(valor) >= 6 and _es_hecho(valor):
                encontrados.setdefault(valor, f"{archivo}:{nombre}")
    for variable in config.ENTORNO_KERNEL:
        encontrados.setdefault(variable, "curso/config.py:ENTORNO_KERNEL")
    return encontrados


def _documentacion(arbol: ast.AST) -> set[int]:
    """Los textos que son documentación: docstrings y el texto suelto bajo una asignación."""
    return {id(n.value) for n in ast.walk(arbol)
            if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}


def repeticiones(codigo: list[Path] = CODIGO, otros: list[Path] = OTROS) -> list[str]:
    """«archivo:línea: valor (definido en …)» por cada vez que el código escribe a mano un hecho ajeno."""
    conocidos, vistas = hechos(), []
    for ruta in codigo:
        arbol = ast.parse(ruta.read_text(encoding="utf-8"))
        documentacion = _documentacion(arbol)
        for nodo in ast.walk(arbol):
            if isinstance(nodo, ast.Constant) and isinstance(nodo.value, str) and id(nodo) not in documentacion:
                vistas += [f"{_relativa(ruta)}:{nodo.lineno}: {valor!r} (definido en {donde})"
                           for valor, donde in conocidos.items()
                           if valor in nodo.value and _relativa(ruta) != donde.split(":")[0]]
    for ruta in otros:
        texto = ruta.read_text(encoding="utf-8")
        vistas += [f"{_relativa(ruta)}: {valor!r} (definido en {donde})" for valor, donde in conocidos.items()
                   if re.search(rf"(?<![\w-]){re.escape(valor)}(?![\w-])", texto) and _es_variable(valor)]
    return vistas


def _es_variable(valor: str) -> bool:
    return bool(re.fullmatch(r"[A-Z][A-Z0-9]*_[A-Z0-9_]+", valor))


def test_los_hechos_se_reconocen():
    """La lista de hechos incluye los que más se repetían antes (si el filtro los perdiera, la prueba de abajo
    no vería nada)."""
    conocidos = hechos()
    for valor in (celdas.MARCA_NBVAL, celdas.INICIO_OCULTAS, celdas.MARCA_OMITIR, progreso.MARCA_EJERCICIO,
                  celdas.MARCA_RESPUESTA, resultado.NOMBRE, config.LIBRO, "TF_CPP_MIN_LOG_LEVEL", config.VAR_RAIZ):
        assert valor in conocidos, f"{valor!r} no está entre los hechos comprobados"


def test_cada_hecho_se_escribe_una_sola_vez():
    vistas = repeticiones()
    assert not vistas, "hechos escritos a mano fuera de su definición (úsala):\n" + "\n".join(vistas)


def test_una_repeticion_se_detecta(tmp_path):
    """La comprobación de arriba puede fallar: un módulo que reescribe una marca a mano se detecta, y una
    variable de entorno repetida en el Makefile también."""
    copia, makefile = tmp_path / "copia.py", tmp_path / "Makefile"
    copia.write_text(f'MARCA = "{celdas.MARCA_NBVAL}"\nTEXTO = f"{{1}} {progreso.MARCA_EJERCICIO} x"\n',
                     encoding="utf-8")
    makefile.write_text("export TF_CPP_MIN_LOG_LEVEL := 3\n", encoding="utf-8")
    vistas = repeticiones([copia], [makefile])
    assert any("TF_CPP_MIN_LOG_LEVEL" in v for v in vistas), vistas
    assert any(celdas.MARCA_NBVAL in v for v in vistas) and any(progreso.MARCA_EJERCICIO in v for v in vistas), vistas


def test_variables_no_usadas():
    """Cada ``VAR_*`` de la configuración se usa en algún sitio además de su definición."""
    usado = "\n".join(r.read_text(encoding="utf-8") for r in CODIGO if _relativa(r) != "curso/config.py")
    sin_uso = [n for n in vars(config) if n.startswith("VAR_") and f"VAR_{n[4:]}" not in usado]
    assert not sin_uso, f"variables de configuración definidas y nunca usadas: {sin_uso}"


# ---------------------------------------------------------------- estados y banderas


def _textos_de_estado(arbol: ast.AST) -> list[tuple[int, str, str]]:
    """(línea, tipo, texto) de los estados y banderas escritos como texto: ``NotaEjercicio(…, "estado", …)``,
    ``Resultado(…, "estado")``, ``x.estado = "…"``, ``x.estado == "…"``/``in (…)`` y ``marcar("…")``."""
    vistos = []

    def textos(nodo) -> list[str]:
        if isinstance(nodo, ast.Constant) and isinstance(nodo.value, str):
            return [nodo.value]
        if isinstance(nodo, (ast.Tuple, ast.List, ast.Set)):
            return [t for e in nodo.elts for t in textos(e)]
        if isinstance(nodo, ast.IfExp):
            return textos(nodo.body) + textos(nodo.orelse)
        return []

    for n in ast.walk(arbol):
        if isinstance(n, ast.Call):
            nombre = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
            if nombre == "NotaEjercicio" and len(n.args) >= 5:
                vistos += [(n.lineno, "nota", t) for t in textos(n.args[4])]
            elif nombre == "Resultado" and len(n.args) >= 3:
                vistos += [(n.lineno, "entrega", t) for t in textos(n.args[2])]
            elif nombre == "marcar" and n.args:
                vistos += [(n.lineno, "bandera", t) for t in textos(n.args[0])]
        elif isinstance(n, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "estado" for t in n.targets):
            vistos += [(n.lineno, "estado", t) for t in textos(n.value)]
        elif isinstance(n, ast.Compare) and isinstance(n.left, ast.Attribute) and n.left.attr == "estado":
            vistos += [(n.lineno, "estado", t) for c in n.comparators for t in textos(c)]
    return vistos


def _estados_propios(arbol: ast.Module) -> set[str]:
    """Las claves de los diccionarios ``ESTADOS…`` que define un módulo (los estados de sus propios objetos, como
    los de cada celda comparada en ``grader.alumno.comparacion``)."""
    return {k.value for n in arbol.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Dict)
            and any(isinstance(t, ast.Name) and t.id.startswith("ESTADOS") for t in n.targets)
            for k in n.value.keys if isinstance(k, ast.Constant)}


def test_los_estados_escritos_existen():
    validos = {"nota": set(resultado.ESTADOS_NOTA) | {"manual"}, "entrega": set(resultado.ESTADOS),
               "bandera": set(resultado.BANDERAS),
               "estado": set(resultado.ESTADOS_NOTA) | set(resultado.ESTADOS) | {"manual"}}
    desconocidos = []
    for ruta in CODIGO:
        arbol = ast.parse(ruta.read_text(encoding="utf-8"))
        propios = _estados_propios(arbol)
        desconocidos += [f"{_relativa(ruta)}:{linea}: {tipo} {texto!r}"
                         for linea, tipo, texto in _textos_de_estado(arbol)
                         if texto not in validos[tipo] | (propios if tipo == "estado" else set())]
    assert not desconocidos, "estados o banderas que grader.nucleo.resultado no define:\n" + "\n".join(desconocidos)


def test_un_estado_desconocido_se_detecta():
    codigo = 'r.estado = "calificadisimo"\nNotaEjercicio("a", "b", 0, 1, "malisimo")\nr.marcar("rarisima")\n'
    assert {t for _, _, t in _textos_de_estado(ast.parse(codigo))} == {"calificadisimo", "malisimo", "rarisima"}


# ---------------------------------------------------------------- marcas


@pytest.mark.parametrize("m", [celdas.Marca("ejercicio", "ej1_a"), celdas.Marca("pruebas", "ej1_a", 2),
                               celdas.Marca("pruebas", "ej1_a", 1), celdas.Marca("respuesta", "ej1_b", 3),
                               celdas.Marca("cabecera", "")])
def test_la_linea_de_una_marca_se_reconoce(m):
    import nbformat

    celda = (nbformat.v4.new_markdown_cell(m.linea + "\nTexto") if m.tipo == "respuesta"
             else nbformat.v4.new_code_cell(m.linea + "\nx = 1"))
    assert celdas.marca(celda) == m, f"«{m.linea}» no se reconoce como {m}"


# ---------------------------------------------------------------- importaciones


def modulo_de(ruta: Path) -> str:
    partes = ruta.relative_to(config.RAIZ).with_suffix("").parts
    return ".".join(partes[:-1] if partes[-1] == "__init__" else partes)


def grafo() -> dict[str, set[str]]:
    """Módulo → módulos del repositorio que importa (en cualquier sitio del archivo)."""
    modulos = {modulo_de(r): r for r in CODIGO}
    aristas: dict[str, set[str]] = {}
    for nombre, ruta in modulos.items():
        paquete = nombre if ruta.name == "__init__.py" else nombre.rpartition(".")[0]
        destino = set()
        for n in ast.walk(ast.parse(ruta.read_text(encoding="utf-8"))):
            if isinstance(n, ast.ImportFrom):
                base = n.module or ""
                if n.level:
                    base = ".".join(paquete.split(".")[: len(paquete.split(".")) - n.level + 1] + [base]).strip(".")
                destino |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modulos else base for a in n.names}
            elif isinstance(n, ast.Import):
                destino |= {a.name for a in n.names}
        aristas[nombre] = {d for d in destino if d in modulos and d != nombre}
    return aristas


def ciclos(aristas: dict[str, set[str]]) -> list[list[str]]:
    """Los ciclos de importación (uno por componente fuertemente conexa de más de un módulo)."""
    indice, bajo, pila, en_pila, componentes, contador = {}, {}, [], set(), [], [0]

    def visitar(v):
        indice[v] = bajo[v] = contador[0]
        contador[0] += 1
        pila.append(v)
        en_pila.add(v)
        for w in aristas.get(v, ()):
            if w not in indice:
                visitar(w)
                bajo[v] = min(bajo[v], bajo[w])
            elif w in en_pila:
                bajo[v] = min(bajo[v], indice[w])
        if bajo[v] == indice[v]:
            componente = []
            while True:
                w = pila.pop()
                en_pila.discard(w)
                componente.append(w)
                if w == v:
                    break
            if len(componente) > 1:
                componentes.append(sorted(componente))

    for v in sorted(aristas):
        if v not in indice:
            visitar(v)
    return componentes


def test_sin_ciclos_de_importacion():
    assert ciclos(grafo()) == []


def test_un_ciclo_se_detecta():
    assert ciclos({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


PROHIBIDO = {
    "grader.nucleo": ("grader.motor", "grader.alumno", "grader.informes", "grader.mantenimiento", "grader.cli"),
    "grader.alumno": ("grader.motor", "grader.informes", "grader.mantenimiento"),
    "grader.motor": ("grader.alumno", "grader.mantenimiento", "grader.cli"),
}


def test_capas():
    faltas = [f"{origen} importa {destino}" for origen, destinos in grafo().items() for destino in destinos
              for capa, prohibidos in PROHIBIDO.items()
              if origen.startswith(capa + ".") and destino.startswith(prohibidos)]
    assert not faltas, "importaciones que saltan las capas de grader/:\n" + "\n".join(faltas)
