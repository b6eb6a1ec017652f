"""Combinar y puntuar, sin kernel: de la entrega y su fuente al cuaderno que se ejecuta y, ya ejecutado, a las
notas por ejercicio.

- ``combinar``: las celdas del alumno con la cabecera y las pruebas (ocultas incluidas) tomadas de la fuente
  por su id estable, lo que falta restaurado y las celdas de omitir marcadas.
- ``puntuar``: la nota de cada ejercicio según las salidas de sus pruebas. Con una ``Evidencia`` (lo que el
  motor vio desde fuera del kernel: celdas interrumpidas, fichas de integridad, límites) una prueba solo
  cuenta si hay evidencia positiva de que llegó a su final.

Son funciones de datos a datos: se prueban con cuadernos escritos a mano (``tests/test_puntuacion.py``).
"""
from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from typing import Protocol

import nbformat

from curso import config, mensajes
from grader.nucleo import celdas
from grader.nucleo.limites import Limites, tamano
from grader.nucleo.resultado import NotaEjercicio


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
    combinado = combinar_detalle(entrega, fuente)
    return combinado.nb, combinado.avisos


@dataclass
class Combinado:
    """El cuaderno a ejecutar, los avisos para el alumno y los ids de las celdas que se restauraron."""

    nb: object
    avisos: list[str]
    restauradas: list[str]


def combinar_detalle(entrega, fuente) -> Combinado:
    """Como ``combinar``, con la lista de celdas restauradas aparte (para la bandera, sin leer los avisos)."""
    por_id = {celdas.marca(c).grade_id: c for c in fuente.cells if celdas.marca(c) is not None}
    bloqueadas = {gid for gid, c in por_id.items() if celdas.marca(c).tipo in ("cabecera", "pruebas")}
    avisos: list[str] = []
    restauradas_ids: list[str] = []
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
            texto = f"{m.linea}\n{config.STUB_CODIGO if m.tipo == 'ejercicio' else config.STUB_TEXTO}"
            restaurada = (nbformat.v4.new_code_cell(texto) if celda.cell_type == "code"
                          else nbformat.v4.new_markdown_cell(texto))
            restaurada.metadata["nbgrader"] = copy.deepcopy(celda.metadata["nbgrader"])
            avisos.append(f"Faltaba la celda del ejercicio «{gid}»: cuenta como sin responder.")
        restauradas_ids.append(gid)
        salida.insert(anterior + 1, restaurada)
        posicion_de = {id_estable(c): i for i, c in enumerate(salida) if id_estable(c) in por_id}
        anterior = posicion_de[gid]
    # Se omiten las celdas con la marca y las que tienen el id de una celda omitida de la fuente (aunque el
    # alumno haya borrado la marca: un entrenamiento completo no debe ejecutarse al calificar).
    ids_omitidos = {c.get("id") for c in fuente.cells if celdas.se_omite(c)}
    for celda in salida:
        omitir = celdas.se_omite(celda) or (celda.cell_type == "code" and celda.get("id") in ids_omitidos)
        if omitir and not celdas.se_omite(celda):
            avisos.append(f"La celda «{celda.get('id')}» perdió su marca {celdas.MARCA_OMITIR}: no se ejecuta al "
                          "calificar, como en el cuaderno original.")
        etiquetas = [e for e in celda.metadata.get("tags", []) if e != celdas.ETIQUETA_OMITIR]
        celda.metadata["tags"] = etiquetas + ([celdas.ETIQUETA_OMITIR] if omitir else [])
    nb = nbformat.v4.new_notebook(cells=salida, metadata=copy.deepcopy(fuente.metadata))
    return Combinado(nb, avisos, restauradas_ids)


def mensaje_de_error(ename: str, evalue: str) -> str:
    """Traduce el error de una celda de pruebas a una frase para el alumno."""
    if ename in mensajes.FALLOS:
        return evalue or "Una comprobación falló."
    if ename in mensajes.SIN_RESOLVER:
        return "Ejercicio sin responder: todavía no has resuelto este ejercicio."
    return mensajes.explicar_siempre(ename, evalue)


def error_de(celda) -> tuple[str, str] | None:
    for salida in celda.get("outputs", []):
        if salida.get("output_type") == "error":
            return salida.get("ename", ""), salida.get("evalue", "")
    return None


def _numero(texto: str | None, maximo: float) -> float | None:
    """El número de un resultado mostrado, acotado a [0, maximo] (NaN vale 0); None si no es un número."""
    try:
        valor = float(texto)
    except (TypeError, ValueError):
        return None
    return 0.0 if math.isnan(valor) else min(max(valor, 0.0), maximo)


def nota_parcial(celda, maximo: float) -> float | None:
    """Nota parcial que muestra una celda de pruebas (su resultado numérico), como hace nbgrader; None si no hay."""
    for salida in celda.get("outputs", []):
        if salida.get("output_type") == "execute_result":
            texto = salida.get("data", {}).get("text/plain", "")
            return _numero("".join(texto) if isinstance(texto, list) else texto, maximo)
    return None


class Juicio(Protocol):
    """Lo que la evidencia dice de una celda de pruebas que terminó sin error visible."""

    valida: bool
    valor: str | None  # repr del valor final (nota parcial), si lo hubo
    motivo: str  # por qué no vale, en español
    manipulacion: bool  # si no vale, ¿es señal de manipulación?


class Evidencia(Protocol):
    """Lo que el calificador vio desde fuera del kernel al ejecutar una entrega (``grader.motor.calificacion``)."""

    limites: Limites

    def nota_sin_pruebas(self, m: celdas.Marca, nb, propias: set[int], prueba: int) -> NotaEjercicio | None:
        """Nota de un ejercicio cuyas celdas se interrumpieron o no llegaron a ejecutarse; None si no es el caso."""

    def juzgar(self, indice: int, celda) -> Juicio:
        """Juicio de integridad sobre la celda de pruebas ``indice``, que terminó sin error visible."""


def describir_celda(nb, indice: int) -> str:
    """«la celda del ejercicio X», «la celda de pruebas de X» o «la celda N (`primera línea`)»."""
    m = celdas.marca(nb.cells[indice])
    if m is not None and m.tipo == "ejercicio":
        return f"la celda del ejercicio {m.ejercicio}"
    if m is not None and m.tipo == "pruebas":
        return f"la celda de pruebas de {m.ejercicio}"
    primera = nb.cells[indice].source.strip().split("\n", 1)[0][:60]
    return f"la celda {indice + 1} (`{primera}`)"


def mayuscula(texto: str) -> str:
    return texto[:1].upper() + texto[1:]


def excedio(motivo: str, limites: Limites) -> str:
    """«tardó más de N s» o «agotó el tiempo total del cuaderno (N s)», según qué límite saltó."""
    if motivo == "cuaderno":
        return f"agotó el tiempo total del cuaderno ({limites.tiempo_total_s} s)"
    return f"tardó más de {limites.tiempo_por_celda_s} s"


def puntuar(nb, fuente, evidencia: Evidencia | None = None) -> list[NotaEjercicio]:
    """Notas por ejercicio de un cuaderno ya ejecutado. Un error en la celda de pruebas = 0 puntos; un
    número como resultado de la celda = nota parcial (cuestionarios); lo que una prueba escriba en stderr
    (avisos de TF o NumPy) no quita puntos.

    Con ``evidencia`` (al calificar) una prueba sin error solo cuenta si hay evidencia positiva de que llegó
    a su final (``Evidencia.juzgar``); si no, vale 0 con estado ``manipulacion``.
    """
    celda_de, indice_de = {}, {}
    for i, celda in enumerate(nb.cells):
        gid = id_estable(celda)
        if gid is not None and gid not in celda_de:
            celda_de[gid], indice_de[gid] = celda, i
    notas = []
    for m in celdas.ejercicios(fuente):
        if m.tipo == "respuesta":
            notas.append(NotaEjercicio(m.ejercicio, m.grade_id, None, m.puntos, "manual",
                                       "Respuesta escrita: la califica el instructor."))
            continue
        prueba = celda_de.get(m.grade_id)
        respuesta = celda_de.get(m.ejercicio)
        if evidencia is not None and prueba is not None:
            propias = {indice_de[g] for g in (m.grade_id, m.ejercicio) if g in indice_de}
            sin_pruebas = evidencia.nota_sin_pruebas(m, nb, propias, indice_de[m.grade_id])
            if sin_pruebas is not None:
                notas.append(sin_pruebas)
                continue
        if prueba is None or prueba.get("execution_count") is None:
            notas.append(NotaEjercicio(m.ejercicio, m.grade_id, 0, m.puntos, "no_ejecutado",
                                       "Las pruebas no llegaron a ejecutarse."))
            continue
        fallo = error_de(prueba)
        if fallo is None:
            parcial = nota_parcial(prueba, m.puntos)
            if evidencia is not None:
                juicio = evidencia.juzgar(indice_de[m.grade_id], prueba)
                if not juicio.valida:
                    notas.append(NotaEjercicio(
                        m.ejercicio, m.grade_id, 0, m.puntos, "manipulacion" if juicio.manipulacion else "incorrecto",
                        f"Las pruebas no cuentan: {juicio.motivo}." if juicio.manipulacion
                        else f"{mayuscula(juicio.motivo)}."))
                    continue
                parcial = _numero(juicio.valor, m.puntos)
            if parcial is not None and parcial < m.puntos:
                notas.append(NotaEjercicio(m.ejercicio, m.grade_id, parcial, m.puntos, "parcial",
                                           f"Nota parcial: {parcial:g} de {m.puntos:g}."))
            else:
                notas.append(NotaEjercicio(m.ejercicio, m.grade_id, m.puntos, m.puntos, "correcto", "Correcto."))
            continue
        sin_responder = fallo[0] in mensajes.SIN_RESOLVER or (
            respuesta is not None and (error_de(respuesta) or ("",))[0] in mensajes.SIN_RESOLVER)
        estado = ("sin_responder" if sin_responder else
                  "manipulacion" if fallo[0] == "ManipulacionDetectada" else "incorrecto")
        mensaje = mensaje_de_error(mensajes.SIN_RESOLVER[0], "") if sin_responder else mensaje_de_error(*fallo)
        if fallo[0] in ("MemoryError", "ResourceExhaustedError") and evidencia is not None:
            mensaje += f" (El tope de memoria de cada cuaderno es {tamano(evidencia.limites.memoria_bytes)}.)"
        lleno = disco_lleno(fallo) or (respuesta is not None and disco_lleno(error_de(respuesta)))
        if evidencia is not None and lleno:
            estado, mensaje = "incorrecto", mensaje_disco_lleno(evidencia.limites)
        notas.append(NotaEjercicio(m.ejercicio, m.grade_id, 0, m.puntos, estado, mensaje))
    return notas


_SIN_ESPACIO = re.compile(r"No space left on device|Errno 28|Disk quota exceeded|Errno 122")


def disco_lleno(error: tuple[str, str] | None) -> bool:
    """¿Es el error de una celda el de un disco lleno (el /tmp o la carpeta de trabajo de la entrega)?"""
    return error is not None and bool(_SIN_ESPACIO.search(error[1]))


def mensaje_disco_lleno(limites: Limites) -> str:
    return (f"Se llenó el disco de tu cuaderno al calificar: cada entrega tiene {tamano(limites.disco_tmp_bytes)} "
            f"en /tmp y {tamano(limites.disco_trabajo_bytes)} en su carpeta de trabajo. ¿Escribe tu código archivos "
            "enormes (o sin parar)? Este ejercicio vale 0.")


def notas_a_cero(fuente, motivo: str) -> list[NotaEjercicio]:
    """Todas las notas de una tarea a 0 (las manuales quedan pendientes) con el mismo motivo."""
    return [
        NotaEjercicio(m.ejercicio, m.grade_id, None if m.tipo == "respuesta" else 0, m.puntos,
                      "manual" if m.tipo == "respuesta" else "no_ejecutado", motivo)
        for m in celdas.ejercicios(fuente)
    ]
