"""``python -m grader comparar``: ejecuta el cuaderno de un alumno y compara sus celdas ``# NBVAL_CHECK_OUTPUT``
con las salidas de referencia de la solución, con nbval y las reglas de saneado del curso.

Cada celda marcada de la fuente se busca en el cuaderno del alumno por su id de celda y, si no, por su código.
En la copia que se ejecuta, esas celdas llevan las salidas de referencia y la etiqueta de nbval que las compara;
las demás celdas se ejecutan sin comparar (un error en ellas se cuenta aparte). El informe, en español, dice
por celda si coincide o difiere, con la diferencia línea a línea.
"""
from __future__ import annotations

import copy
import difflib
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbval.plugin import coalesce_streams

from curso import config
from grader.nucleo import celdas, cuadernos, entregas, puntuacion, validacion

ETIQUETA_COMPARAR = "nbval-check-output"  # la misma marca, como etiqueta de celda (nbval lee ambas)
_MARCAS_NBVAL = re.compile(r"^\s*#\s*NBVAL_\w+\s*$")


@dataclass
class Celda:
    """Resultado de una celda marcada de la referencia."""

    indice: int | None  # posición en el cuaderno del alumno (None: no se encontró)
    resumen: str  # sección y primera línea de código, para reconocerla
    estado: str = "sin_ejecutar"  # una clave de ESTADOS_CELDA
    modificada: bool = False
    esperado: str = ""
    obtenido: str = ""
    error: str = ""


@dataclass
class Informe:
    """La comparación de un cuaderno: celdas marcadas y errores en las demás."""

    cuaderno: str
    celdas: list[Celda] = field(default_factory=list)
    otros_errores: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.celdas) and all(c.estado == "coincide" for c in self.celdas)


def _codigo(celda) -> str:
    """El código sin marcas de nbval ni líneas en blanco de los extremos (para reconocer una celda)."""
    return "\n".join(linea for linea in celda.source.splitlines() if not _MARCAS_NBVAL.match(linea)).strip()


def _resumen(nb, indice: int) -> str:
    seccion = ""
    for celda in nb.cells[:indice]:
        if celda.cell_type == "markdown":
            titulos = [linea.lstrip("#").strip() for linea in celda.source.splitlines() if linea.startswith("#")]
            seccion = titulos[-1] if titulos else seccion
    primera = next((linea for linea in _codigo(nb.cells[indice]).splitlines() if not linea.startswith("#")), "")
    return (f"§ {seccion} · " if seccion else "") + (primera[:60] + ("…" if len(primera) > 60 else ""))


def preparar(entrega, fuente) -> tuple[object, dict[int, Celda]]:
    """Copia de la entrega lista para nbval y, por cada celda marcada de la fuente, su ``Celda`` (por índice
    de la fuente)."""
    nb = copy.deepcopy(entrega)
    nb.metadata["kernelspec"] = copy.deepcopy(fuente.metadata.get("kernelspec", {}))
    referencias = {i: c for i, c in enumerate(fuente.cells) if celdas.compara_salida(c)}
    por_id = {c.get("id"): i for i, c in referencias.items() if c.get("id")}
    por_codigo = {_codigo(c): i for i, c in referencias.items()}
    resultado = {i: Celda(None, _resumen(fuente, i), "no_encontrada") for i in referencias}
    for indice, celda in enumerate(nb.cells):
        if celda.cell_type != "code":
            continue
        j = por_id.get(celda.get("id"))
        if j is None or resultado[j].indice is not None:
            j = por_codigo.get(_codigo(celda))
        celda.source = "\n".join(l for l in celda.source.splitlines() if not _MARCAS_NBVAL.match(l))
        etiquetas = [e for e in celda.metadata.get("tags", []) if not e.startswith("nbval-")]
        celda.outputs, celda.execution_count = [], None
        if j is not None and resultado[j].indice is None:
            referencia = referencias[j]
            # un solo bloque por flujo, como lo compara nbval (que, si no, une los trozos modificando el primero)
            celda.outputs = coalesce_streams(copy.deepcopy(referencia.outputs))
            celda.execution_count = referencia.execution_count or 1
            etiquetas.append(ETIQUETA_COMPARAR)
            resultado[j] = Celda(indice, _resumen(nb, indice), modificada=_codigo(celda) != _codigo(referencia))
        celda.metadata["tags"] = etiquetas
    return nb, resultado


def ejecutar_nbval(nb, carpeta: Path) -> list[dict]:
    """Ejecuta ``nb`` con nbval (modo lax, saneado del curso) y devuelve el resultado de cada celda de código."""
    ruta = carpeta / "cuaderno.ipynb"
    nbformat.write(nb, ruta)
    informe = carpeta / "nbval.json"
    entorno = {**cuadernos.entorno_kernel(), config.VAR_INFORME_NBVAL: str(informe)}
    orden = validacion.orden_nbval([ruta]) + ["-p", "grader.nucleo.nbval_informe", "--rootdir", str(carpeta)]
    subprocess.run(orden, cwd=config.RAIZ, env=entorno, capture_output=True, text=True)
    if not informe.exists():
        raise RuntimeError("nbval no llegó a ejecutar el cuaderno (¿está instalado nbval?).")
    return json.loads(informe.read_text(encoding="utf-8"))


def comparar(entrega_ruta: Path, tarea: str, raiz: Path = config.RAIZ) -> Informe:
    """Ejecuta la entrega y compara sus celdas marcadas con las de la solución de ``tarea``."""
    entrega = leer_cuaderno(entrega_ruta)
    fuente = nbformat.read(config.cuaderno_fuente(tarea, raiz), as_version=4)
    nb, celdas = preparar(entrega, fuente)
    codigo_a_indice = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    with tempfile.TemporaryDirectory(prefix="comparar-") as tmp:
        resultados = ejecutar_nbval(nb, Path(tmp))
    por_indice = {codigo_a_indice[r["celda"]]: r for r in resultados}
    informe = Informe(entrega_ruta.name, sorted(celdas.values(), key=lambda c: (c.indice is None, c.indice or 0)))
    for celda in informe.celdas:
        r = por_indice.get(celda.indice)
        if r is None:
            continue
        celda.esperado, celda.obtenido = r["esperado"], r["obtenido"]
        if r["error"]:
            celda.estado = "error"
            celda.error = _explicar(r["error"])
        else:
            celda.estado = "coincide" if r["resultado"] == "passed" else "difiere"
    marcadas = {c.indice for c in informe.celdas}
    informe.otros_errores = [(indice, _explicar(r["error"])) for indice, r in sorted(por_indice.items())
                             if r["error"] and indice not in marcadas]
    return informe


def _explicar(error: dict) -> str:
    """El error de una celda en español (un `assert` sin mensaje es una comprobación del propio cuaderno)."""
    if error["tipo"] == "AssertionError" and not error["mensaje"]:
        return ("Falló un `assert` de la celda: con este código, el resultado no es el que el cuaderno comprueba "
                "ahí.")
    return puntuacion.mensaje_de_error(error["tipo"], error["mensaje"])


def diferencia(esperado: str, obtenido: str, contexto: int = 1) -> list[str]:
    """Las líneas que cambian, con «-» lo esperado y «+» lo obtenido (y ``contexto`` líneas iguales alrededor)."""
    lineas = difflib.unified_diff(esperado.splitlines(), obtenido.splitlines(), lineterm="", n=contexto)
    return [l for l in lineas if not l.startswith(("---", "+++", "@@"))] or ["(difieren en espacios o saltos de línea)"]


ESTADOS_CELDA = {"coincide": "coincide", "difiere": "DIFIERE", "error": "ERROR", "no_encontrada": "NO ENCONTRADA",
             "sin_ejecutar": "sin ejecutar"}


def texto(informe: Informe) -> str:
    """El informe en español, una entrada por celda marcada."""
    lineas = [f"Comparación de {informe.cuaderno} con las salidas de referencia "
              f"({len(informe.celdas)} celdas marcadas con {celdas.MARCA_NBVAL}):"]
    for c in informe.celdas:
        donde = f"celda {c.indice + 1:>3}" if c.indice is not None else "celda   —"
        lineas.append(f"  {donde}  {ESTADOS_CELDA[c.estado]:<13} {c.resumen}")
        if c.modificada:
            lineas.append("              (su código no es el del cuaderno original)")
        if c.estado == "difiere":
            lineas += [f"              {l}" for l in diferencia(c.esperado, c.obtenido)]
        elif c.estado == "error":
            lineas.append(f"              {c.error}")
        elif c.estado == "no_encontrada":
            lineas.append("              no está en el cuaderno (¿se borró o se cambió su código?)")
    cuenta = {e: sum(c.estado == e for c in informe.celdas) for e in ESTADOS_CELDA}
    lineas.append(f"Resumen: {cuenta['coincide']} coinciden, {cuenta['difiere']} difieren, {cuenta['error']} con "
                  f"error, {cuenta['no_encontrada']} no encontradas.")
    if informe.otros_errores:
        lineas.append(f"Además, {len(informe.otros_errores)} celdas no comparadas lanzaron un error:")
        lineas += [f"  celda {i + 1:>3}: {m}" for i, m in informe.otros_errores[:10]]
    if any(c.estado == "difiere" for c in informe.celdas):
        lineas.append("En cada diferencia, «-» es la salida de referencia y «+» la de este cuaderno.")
    return "\n".join(lineas)


def leer_cuaderno(ruta: Path):
    """El cuaderno de ``ruta`` (como lo lee el calificador), o un error en español: FileNotFoundError «No existe el
    archivo …» si no está, ``entregas.EntregaInvalida`` (un ValueError) si no es un cuaderno."""
    if not ruta.exists():
        raise FileNotFoundError(f"No existe el archivo {ruta}.")
    return entregas.leer_entrega(ruta)


def ejercicios_de(nb) -> set[str]:
    """Los ids de ejercicio de un cuaderno: los de sus marcas (``# EJERCICIO``, ``# PRUEBAS``, ``<!-- RESPUESTA``)
    o, si un editor las borró, los ``grade_id`` de nbgrader."""
    return {gid.removesuffix(celdas.SUFIJO_PRUEBAS) for celda in nb.cells
            if (gid := puntuacion.id_estable(celda)) and gid != celdas.ID_CABECERA}


def tarea_de(ruta: Path, raiz: Path = config.RAIZ) -> str:
    """La tarea de un cuaderno por sus ejercicios, se llame como se llame el archivo; si no tiene ninguno del curso,
    por su nombre (``01_tensores.ipynb``) o el de su carpeta (``…/01_tensores/x.ipynb``)."""
    propios = ejercicios_de(leer_cuaderno(ruta))
    disponibles = config.tareas(raiz)
    comunes = {tarea: len(propios & ejercicios_de(nbformat.read(config.cuaderno_fuente(tarea, raiz), as_version=4)))
               for tarea in disponibles} if propios else {}
    mejor = max(comunes.values(), default=0)
    candidatas = [tarea for tarea, n in comunes.items() if n == mejor and n > 0]
    if len(candidatas) == 1:
        return candidatas[0]
    for candidato in (ruta.stem, ruta.parent.name):
        if candidato in disponibles:
            return candidato
    motivo = (f"tiene ejercicios de varias tareas ({', '.join(candidatas)})" if candidatas
              else f"no tiene ninguna celda de ejercicio del curso ({celdas.MARCA_EJERCICIO} …)")
    raise ValueError(f"No sé de qué tarea es {ruta.name}: {motivo}. Indícala con --tarea (o TAREA= con make): "
                     f"{', '.join(disponibles)}.")
