"""Calificación: un trabajo por (alumno, cuaderno) que produce un registro de resultado.

``calificar_entrega`` es una función pura de una entrega y su fuente a un ``Resultado`` (notas por
ejercicio, mensajes y estado); no toca el libro de calificaciones. Así se puede repartir entre
procesos, kernels aislados o un clúster sin reescribirla. ``calificar_carpeta`` la aplica a una
carpeta de entregas y guarda los resultados (libro de nbgrader + CSV).
"""
from __future__ import annotations

import copy
import json
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from curso import config, mensajes
from grader import celdas, ejecucion

# Señales para el instructor (además del estado): se guardan en resultado.json y en el CSV.
BANDERAS = {
    "manipulacion": "posible manipulación de las pruebas",
    "tiempo_agotado": "una celda agotó su tiempo",
    "kernel_murio": "el kernel se detuvo",
    "archivo_invalido": "archivo no válido",
    "salida_recortada": "salida recortada por exceso de tamaño",
    "sin_aislamiento": "calificada sin aislamiento",
    "renombrada": "entrega con otro nombre de archivo",
    "celdas_restauradas": "faltaban celdas y se restauraron",
}

ESTADOS = {
    "ok": "calificada",
    "archivo_invalido": "archivo no válido",
    "sin_entrega": "sin entrega",
    "tiempo_agotado": "tiempo agotado",
    "kernel_murio": "el kernel se detuvo",
    "error_interno": "error interno del calificador",
}


@dataclass
class NotaEjercicio:
    """Puntuación de un ejercicio: ``puntos`` es None si espera calificación manual."""

    ejercicio: str
    grade_id: str
    puntos: float | None
    maximo: float
    estado: str  # correcto | parcial | incorrecto | sin_responder | manual | no_ejecutado
    mensaje: str = ""


@dataclass
class Resultado:
    """Registro de una calificación (lo que se guarda en el libro y en el CSV)."""

    alumno: str
    tarea: str
    estado: str
    mensaje: str = ""
    notas: list[NotaEjercicio] = field(default_factory=list)
    avisos: list[str] = field(default_factory=list)
    banderas: list[str] = field(default_factory=list)  # claves de BANDERAS
    segundos: float = 0.0

    @property
    def puntos(self) -> float:
        return float(sum(n.puntos or 0 for n in self.notas))

    @property
    def maximo(self) -> float:
        return float(sum(n.maximo for n in self.notas))

    def a_dict(self) -> dict:
        return {**asdict(self), "puntos": self.puntos, "maximo": self.maximo}


class EntregaInvalida(ValueError):
    """La entrega no se puede leer como cuaderno; el mensaje (en español) dice por qué."""


# ---------------------------------------------------------------- lectura


def leer_entrega(ruta: Path):
    """Lee una entrega como cuaderno nbformat 4, o lanza EntregaInvalida con un mensaje claro."""
    if not ruta.is_file():
        raise EntregaInvalida(f"No se encontró el archivo {ruta.name}.")
    datos = ruta.read_bytes()
    if not datos.strip():
        raise EntregaInvalida(f"El archivo {ruta.name} está vacío.")
    try:
        texto = datos.decode("utf-8")
    except UnicodeDecodeError:
        raise EntregaInvalida(f"{ruta.name} no es un cuaderno de Jupyter: no es un archivo de texto.") from None
    try:
        bruto = json.loads(texto)
    except json.JSONDecodeError as e:
        raise EntregaInvalida(
            f"{ruta.name} está dañado: no es JSON válido (línea {e.lineno}, columna {e.colno}). "
            "Vuelve a descargar el cuaderno desde Jupyter o Colab y entrégalo de nuevo."
        ) from None
    if not isinstance(bruto, dict) or not isinstance(bruto.get("cells", bruto.get("worksheets")), list):
        raise EntregaInvalida(f"{ruta.name} es JSON pero no es un cuaderno de Jupyter (no tiene celdas).")
    try:
        nb = nbformat.reads(texto, as_version=4)
        nbformat.validator.normalize(nb)
    except Exception as e:  # nbformat lanza varios tipos según la versión del archivo
        raise EntregaInvalida(f"{ruta.name} no es un cuaderno de Jupyter válido: {e}") from None
    return nb


# ---------------------------------------------------------------- preparación


def id_estable(celda) -> str | None:
    """Id estable de una celda: la marca de su primera línea o, si falta, el grade_id de nbgrader."""
    m = celdas.marca(celda)
    if m is not None:
        return m.grade_id
    return celda.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _celda_limpia(celda):
    nueva = copy.deepcopy(celda)
    if nueva.cell_type == "code":
        nueva.outputs, nueva.execution_count = [], None
    return nueva


def combinar(entrega, fuente) -> tuple[object, list[str]]:
    """Cuaderno a ejecutar: las celdas del alumno, con la cabecera y las pruebas (ocultas incluidas)
    tomadas de la fuente por su id estable, las celdas que faltan restauradas y las de omitir marcadas.

    Devuelve el cuaderno y los avisos (en español) de lo que se restauró o se ignoró.
    """
    por_id = {celdas.marca(c).grade_id: c for c in fuente.cells if celdas.marca(c) is not None}
    bloqueadas = {gid for gid, c in por_id.items() if celdas.marca(c).tipo in ("cabecera", "pruebas")}
    avisos: list[str] = []
    salida, vistos = [], set()
    for celda in entrega.cells:
        gid = id_estable(celda)
        nueva = _celda_limpia(celda)
        nueva.metadata.pop("nbgrader", None)
        if gid in por_id:
            if gid in vistos:
                avisos.append(f"Celda «{gid}» repetida en la entrega: se ignoró la copia.")
                continue
            vistos.add(gid)
            if gid in bloqueadas:
                nueva = _celda_limpia(por_id[gid])
            nueva.metadata["nbgrader"] = copy.deepcopy(por_id[gid].metadata["nbgrader"])
        elif gid is not None:
            avisos.append(f"Celda con id desconocido «{gid}»: se ejecuta pero no cuenta para la nota.")
        salida.append(nueva)
    # Restaurar lo que falta, justo después de la celda anterior de la fuente que sí está.
    posicion_de = {id_estable(c): i for i, c in enumerate(salida) if id_estable(c) in por_id}
    anterior = -1
    for gid, celda in por_id.items():
        if gid in posicion_de:
            anterior = posicion_de[gid]
            continue
        if gid in bloqueadas:
            restaurada = _celda_limpia(celda)
            avisos.append(f"Faltaba la celda «{gid}»: se restauró desde la fuente.")
        else:
            m = celdas.marca(celda)
            texto = (f"# EJERCICIO {m.ejercicio}\n{config.STUB_CODIGO}" if m.tipo == "ejercicio"
                     else f"<!-- RESPUESTA {m.ejercicio} ({m.puntos} puntos) -->\n{config.STUB_TEXTO}")
            restaurada = (nbformat.v4.new_code_cell(texto) if celda.cell_type == "code"
                          else nbformat.v4.new_markdown_cell(texto))
            restaurada.metadata["nbgrader"] = copy.deepcopy(celda.metadata["nbgrader"])
            avisos.append(f"Faltaba la celda del ejercicio «{gid}»: cuenta como sin responder.")
        salida.insert(anterior + 1, restaurada)
        posicion_de = {id_estable(c): i for i, c in enumerate(salida) if id_estable(c) in por_id}
        anterior = posicion_de[gid]
    for celda in salida:
        etiquetas = [e for e in celda.metadata.get("tags", []) if e != celdas.ETIQUETA_OMITIR]
        celda.metadata["tags"] = etiquetas + ([celdas.ETIQUETA_OMITIR] if celdas.se_omite(celda) else [])
    nb = nbformat.v4.new_notebook(cells=salida, metadata=copy.deepcopy(fuente.metadata))
    return nb, avisos


# ---------------------------------------------------------------- puntuación


def mensaje_de_error(ename: str, evalue: str) -> str:
    """Traduce el error de una celda de pruebas a una frase para el alumno."""
    if ename in mensajes.FALLOS:
        return evalue or "Una comprobación falló."
    if ename in mensajes.SIN_RESOLVER:
        return "Ejercicio sin responder: todavía no has resuelto este ejercicio."
    return mensajes.explicar_siempre(ename, evalue)


def _error(celda) -> tuple[str, str] | None:
    for salida in celda.get("outputs", []):
        if salida.get("output_type") == "error":
            return salida.get("ename", ""), salida.get("evalue", "")
    return None


def nota_parcial(celda, maximo: float) -> float | None:
    """Nota parcial que muestra una celda de pruebas (su resultado numérico), como hace nbgrader; None si no hay."""
    for salida in celda.get("outputs", []):
        if salida.get("output_type") == "execute_result":
            texto = salida.get("data", {}).get("text/plain", "")
            texto = "".join(texto) if isinstance(texto, list) else texto
            try:
                return min(max(float(texto), 0.0), maximo)
            except ValueError:
                return None
    return None


def puntuar(nb, fuente) -> list[NotaEjercicio]:
    """Notas por ejercicio de un cuaderno ya ejecutado. Un error en la celda de pruebas = 0 puntos; un
    número como resultado de la celda = nota parcial (cuestionarios); lo que una prueba escriba en stderr
    (avisos de TF o NumPy) no quita puntos."""
    celda_de = {}
    for celda in nb.cells:
        gid = id_estable(celda)
        if gid is not None and gid not in celda_de:
            celda_de[gid] = celda
    notas = []
    for m in celdas.ejercicios(fuente):
        if m.tipo == "respuesta":
            notas.append(NotaEjercicio(m.ejercicio, m.grade_id, None, m.puntos, "manual",
                                       "Respuesta escrita: la califica el instructor."))
            continue
        prueba = celda_de.get(m.grade_id)
        respuesta = celda_de.get(m.ejercicio)
        if prueba is None or prueba.get("execution_count") is None:
            notas.append(NotaEjercicio(m.ejercicio, m.grade_id, 0, m.puntos, "no_ejecutado",
                                       "Las pruebas no llegaron a ejecutarse."))
            continue
        fallo = _error(prueba)
        if fallo is None:
            parcial = nota_parcial(prueba, m.puntos)
            if parcial is not None and parcial < m.puntos:
                notas.append(NotaEjercicio(m.ejercicio, m.grade_id, parcial, m.puntos, "parcial",
                                           f"Nota parcial: {parcial:g} de {m.puntos:g}."))
            else:
                notas.append(NotaEjercicio(m.ejercicio, m.grade_id, m.puntos, m.puntos, "correcto", "Correcto."))
            continue
        sin_responder = fallo[0] in mensajes.SIN_RESOLVER or (
            respuesta is not None and (_error(respuesta) or ("",))[0] in mensajes.SIN_RESOLVER)
        notas.append(NotaEjercicio(
            m.ejercicio, m.grade_id, 0, m.puntos, "sin_responder" if sin_responder else "incorrecto",
            mensaje_de_error(mensajes.SIN_RESOLVER[0], "") if sin_responder else mensaje_de_error(*fallo),
        ))
    return notas


def notas_a_cero(fuente, motivo: str) -> list[NotaEjercicio]:
    """Todas las notas de una tarea a 0 (las manuales quedan pendientes) con el mismo motivo."""
    return [
        NotaEjercicio(m.ejercicio, m.grade_id, None if m.tipo == "respuesta" else 0, m.puntos,
                      "manual" if m.tipo == "respuesta" else "no_ejecutado", motivo)
        for m in celdas.ejercicios(fuente)
    ]


# ---------------------------------------------------------------- el trabajo


def aislamiento(carpeta: Path, fuente: Path) -> ejecucion.Aislamiento | None:
    """El aislamiento de un trabajo: escribe solo en su carpeta y no ve fuentes, entregas, libro ni git."""
    if not (config.AISLAR and ejecucion.Aislamiento.disponible()):
        return None
    raiz_curso = fuente.parent.parent.parent  # <raiz>/solutions/<tarea>/<tarea>.ipynb
    ocultar = []
    for raiz in dict.fromkeys([raiz_curso, config.RAIZ]):
        ocultar += [raiz / d for d in (config.DIR_FUENTES, config.DIR_ENTREGAS, config.DIR_CALIFICADOS,
                                       config.DIR_RETRO, ".git", "tests")]
        ocultar += list(raiz.glob(config.LIBRO + "*"))
    return ejecucion.Aislamiento(escribible=carpeta.resolve(), ocultar=ocultar)


def calificar_entrega(entrega: Path, fuente: Path, alumno: str, tarea: str, carpeta: Path,
                      tiempo_por_celda: int = config.TIEMPO_POR_CELDA_S) -> Resultado:
    """Califica una entrega contra su fuente. Nunca lanza: todo problema queda en el ``Resultado``.

    Deja en ``carpeta`` el cuaderno ejecutado (``<tarea>.ipynb``) y el registro (``resultado.json``).
    """
    inicio = time.monotonic()
    nb_fuente = nbformat.read(fuente, as_version=4)
    resultado = Resultado(alumno, tarea, "ok")
    try:
        nb, resultado.avisos = combinar(leer_entrega(entrega), nb_fuente)
        carpeta.mkdir(parents=True, exist_ok=True)
        resultado.estado = ejecucion.ejecutar(nb, carpeta, tiempo_por_celda, aislamiento(carpeta, fuente))
        if resultado.estado == "ok" and not ejecucion.Aislamiento.disponible():
            resultado.avisos.append("Calificada sin aislamiento (falta bubblewrap).")
        resultado.notas = puntuar(nb, nb_fuente)
        if resultado.estado != "ok":
            resultado.mensaje = {
                "tiempo_agotado": f"Una celda tardó más de {tiempo_por_celda} s: "
                                  "las pruebas que no llegaron a ejecutarse valen 0.",
                "kernel_murio": "El kernel se detuvo durante la ejecución (¿memoria agotada u os._exit?): "
                                "las pruebas que no llegaron a ejecutarse valen 0.",
            }[resultado.estado]
        nbformat.write(nb, carpeta / f"{tarea}.ipynb")
    except EntregaInvalida as e:
        resultado.estado, resultado.mensaje = "archivo_invalido", str(e)
        resultado.notas = notas_a_cero(nb_fuente, str(e))
    except Exception as e:  # el lote sigue con los demás alumnos
        resultado.estado = "error_interno"
        resultado.mensaje = f"Error inesperado del calificador: {type(e).__name__}: {e}"
        resultado.notas = notas_a_cero(nb_fuente, resultado.mensaje)
    resultado.segundos = round(time.monotonic() - inicio, 2)
    carpeta.mkdir(parents=True, exist_ok=True)
    (carpeta / "resultado.json").write_text(
        json.dumps(resultado.a_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    return resultado


# ---------------------------------------------------------------- una carpeta de entregas


@dataclass(frozen=True)
class Trabajo:
    """Una entrega por calificar (o la constancia de que falta)."""

    alumno: str
    tarea: str
    entrega: Path | None
    aviso: str = ""


def buscar_trabajos(entregas: Path, tareas: list[str]) -> list[Trabajo]:
    """Recorre ``entregas/<alumno>/<tarea>/`` y decide qué archivo calificar en cada caso."""
    if not entregas.is_dir():
        raise FileNotFoundError(f"No existe la carpeta de entregas {entregas}.")
    trabajos = []
    for carpeta_alumno in sorted(p for p in entregas.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for tarea in tareas:
            carpeta = carpeta_alumno / tarea
            esperado = carpeta / f"{tarea}.ipynb"
            if not carpeta.is_dir():
                trabajos.append(Trabajo(carpeta_alumno.name, tarea, None))
            elif esperado.is_file():
                trabajos.append(Trabajo(carpeta_alumno.name, tarea, esperado))
            else:
                otros = sorted(carpeta.glob("*.ipynb"))
                if len(otros) == 1:
                    trabajos.append(Trabajo(carpeta_alumno.name, tarea, otros[0],
                                            f"Se calificó {otros[0].name} (se esperaba {esperado.name})."))
                else:
                    trabajos.append(Trabajo(carpeta_alumno.name, tarea, esperado))
    return trabajos


def ejecutar_trabajo(trabajo: Trabajo, raiz: Path) -> Resultado:
    """Califica un Trabajo (función de nivel superior para poder enviarla a otro proceso)."""
    fuente = config.cuaderno_fuente(trabajo.tarea, raiz)
    if trabajo.entrega is None:
        nb_fuente = nbformat.read(fuente, as_version=4)
        return Resultado(trabajo.alumno, trabajo.tarea, "sin_entrega", "No hay entrega de esta tarea.",
                         notas_a_cero(nb_fuente, "Sin entrega."))
    carpeta = raiz / config.DIR_CALIFICADOS / trabajo.alumno / trabajo.tarea
    resultado = calificar_entrega(trabajo.entrega, fuente, trabajo.alumno, trabajo.tarea, carpeta)
    if trabajo.aviso:
        resultado.avisos.insert(0, trabajo.aviso)
    return resultado


def calificar_carpeta(entregas: Path, tareas: list[str], trabajos: int = 1, csv: Path | None = None,
                      raiz: Path = config.RAIZ) -> str:
    """Califica todas las entregas, las registra en el libro de nbgrader y escribe el CSV. Devuelve un resumen."""
    from grader import libro

    lista = buscar_trabajos(entregas, tareas)
    if trabajos > 1:
        with ProcessPoolExecutor(max_workers=trabajos) as grupo:
            resultados = list(grupo.map(ejecutar_trabajo, lista, [raiz] * len(lista)))
    else:
        resultados = [ejecutar_trabajo(t, raiz) for t in lista]
    for r in resultados:
        print(f"  {r.alumno:<16} {r.tarea:<22} {r.puntos:>5g}/{r.maximo:<5g} {ESTADOS[r.estado]}"
              + (f": {r.mensaje}" if r.mensaje else ""))
    copia = libro.registrar(resultados, raiz)
    lineas = [f"Calificadas {sum(r.estado != 'sin_entrega' for r in resultados)} entregas de "
              f"{len({r.alumno for r in resultados})} alumnos."]
    if copia:
        lineas.append(f"Libro de calificaciones actualizado (copia previa en {copia.name}).")
    if csv is not None:
        lineas.append(f"CSV de notas: {libro.escribir_csv(resultados, csv)}")
    return "\n".join(lineas)
