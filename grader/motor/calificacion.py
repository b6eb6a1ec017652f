"""Calificación: un trabajo por (alumno, cuaderno) que produce un registro de resultado.

``evaluar_entrega`` va de una entrega y su fuente a un ``Resultado`` (notas por ejercicio, mensajes,
estado y banderas) y deja el cuaderno ejecutado en su carpeta; no toca el libro de calificaciones. Así se
puede repartir entre procesos, kernels aislados o un clúster sin reescribirla. ``calificar_entrega`` además
escribe ``resultado.json``. El lote (muchas entregas) está en ``grader.motor.lote``.
"""
from __future__ import annotations

import ast
import copy
import json
import os
import re
import stat
import time
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat

from curso import config, mensajes
from grader.mantenimiento import cabecera
from grader.motor import ejecucion, integridad
from grader.nucleo import celdas
from grader.nucleo import resultado as registros
from grader.nucleo.limites import Limites, tamano

# El registro (campos, estados, banderas, resultado.json) vive en grader.nucleo.resultado; se re-exporta aquí.
from grader.nucleo.resultado import BANDERAS, ESTADOS, ESTADOS_NOTA, NotaEjercicio, Resultado  # noqa: F401


class EntregaInvalida(ValueError):
    """La entrega no se puede leer como cuaderno; el mensaje (en español) dice por qué."""


class EntregaNoRegular(EntregaInvalida):
    """Donde va la entrega hay algo que no es un archivo normal (carpeta, enlace, tubería…): no se abre."""


PROFUNDIDAD_MAX_JSON = 100
"""Anidamiento máximo del JSON de una entrega (un cuaderno real no pasa de una decena de niveles)."""


_PROFUNDO = object()  # json.loads agotó la pila


def que_es(modo: int) -> str:
    """Lo que es una entrada del sistema de archivos, en español («una carpeta», «un enlace simbólico»…)."""
    if stat.S_ISDIR(modo):
        return "una carpeta"
    if stat.S_ISLNK(modo):
        return "un enlace simbólico"
    if stat.S_ISFIFO(modo):
        return "una tubería (FIFO)"
    if stat.S_ISSOCK(modo):
        return "un socket"
    if stat.S_ISCHR(modo) or stat.S_ISBLK(modo):
        return "un dispositivo"
    return "algo que no es un archivo normal"


def no_es_archivo_normal(ruta: Path, lo_encontrado: str) -> str:
    """Mensaje para el alumno: donde iba su cuaderno hay ``lo_encontrado``, que no se abrió."""
    return (f"«{ruta.name}» no es un archivo normal: es {lo_encontrado}, y el calificador no lo abre ni lo sigue. "
            "Entrega el cuaderno (.ipynb) como un archivo normal dentro de tu carpeta.")


def leer_bytes_seguro(ruta: Path, maximo: int = config.ENTREGA_MAX_BYTES) -> bytes:
    """Los bytes de ``ruta`` solo si es un archivo normal (no un enlace, carpeta, tubería…) de como mucho
    ``maximo`` bytes; si no, lanza ``EntregaNoRegular`` o ``EntregaInvalida`` (sin abrir lo que no es un archivo)."""
    try:
        antes = os.lstat(ruta)
    except FileNotFoundError:
        raise EntregaInvalida(f"No se encontró el archivo {ruta.name}.") from None
    if not stat.S_ISREG(antes.st_mode):
        raise EntregaNoRegular(no_es_archivo_normal(ruta, que_es(antes.st_mode)))
    if antes.st_size > maximo:
        raise EntregaInvalida(_demasiado_grande(ruta, antes.st_size, maximo))
    banderas = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(ruta, banderas)
    except OSError as e:  # cambió entre lstat y open (p. ej. ahora es un enlace: ELOOP)
        raise EntregaNoRegular(no_es_archivo_normal(ruta, f"algo que no se pudo abrir como archivo ({e.strerror})"))
    with os.fdopen(fd, "rb") as f:
        ahora = os.fstat(f.fileno())
        if not stat.S_ISREG(ahora.st_mode) or (ahora.st_dev, ahora.st_ino) != (antes.st_dev, antes.st_ino):
            raise EntregaNoRegular(no_es_archivo_normal(ruta, "algo que cambió mientras se abría"))
        datos = f.read(maximo + 1)
    if len(datos) > maximo:
        raise EntregaInvalida(_demasiado_grande(ruta, len(datos), maximo))
    return datos


def _demasiado_grande(ruta: Path, tam: int, maximo: int) -> str:
    return (f"{ruta.name} ocupa {tamano(tam)} o más: el calificador no lee entregas de más de {tamano(maximo)}. "
            "Borra las salidas del cuaderno (menú Editar → Borrar las salidas) y entrégalo de nuevo.")


def profundidad(valor) -> int:
    """Niveles de anidamiento de un valor JSON (sin recursión: no se agota la pila con una entrega hostil)."""
    maxima, pila = 0, [(valor, 1)]
    while pila:
        actual, nivel = pila.pop()
        if isinstance(actual, dict | list):
            maxima = max(maxima, nivel)
            hijos = actual.values() if isinstance(actual, dict) else actual
            pila.extend((h, nivel + 1) for h in hijos if isinstance(h, dict | list))
    return maxima


def leer_entrega(ruta: Path):
    """Lee una entrega como cuaderno nbformat 4, o lanza EntregaInvalida (EntregaNoRegular si no es un archivo
    normal) con un mensaje claro. Nunca sigue enlaces ni abre carpetas, tuberías o dispositivos."""
    datos = leer_bytes_seguro(ruta)
    if not datos.strip():
        raise EntregaInvalida(f"El archivo {ruta.name} está vacío.")
    try:
        texto = datos.decode("utf-8")
    except UnicodeDecodeError:
        raise EntregaInvalida(f"{ruta.name} no es un cuaderno de Jupyter: no es un archivo de texto (UTF-8).") from None
    try:
        bruto = json.loads(texto)
    except RecursionError:
        bruto = _PROFUNDO
    except json.JSONDecodeError as e:
        if _es_script(texto):
            raise EntregaInvalida(
                f"{ruta.name} es un script de Python (código en texto plano), no un cuaderno de Jupyter: "
                "se guardó con la extensión .ipynb. Abre tu cuaderno en Jupyter o Colab y descárgalo como "
                "cuaderno (.ipynb), no como archivo .py, y entrégalo de nuevo."
            ) from None
        raise EntregaInvalida(
            f"{ruta.name} está dañado: no es JSON válido (línea {e.lineno}, columna {e.colno}). "
            "Vuelve a descargar el cuaderno desde Jupyter o Colab y entrégalo de nuevo."
        ) from None
    if bruto is _PROFUNDO or profundidad(bruto) > PROFUNDIDAD_MAX_JSON:
        raise EntregaInvalida(f"{ruta.name} es JSON anidado a más de {PROFUNDIDAD_MAX_JSON} niveles: no es un "
                              "cuaderno de Jupyter normal. Vuelve a descargarlo desde Jupyter o Colab.")
    if not isinstance(bruto, dict) or not isinstance(bruto.get("cells", bruto.get("worksheets")), list):
        raise EntregaInvalida(f"{ruta.name} es JSON pero no es un cuaderno de Jupyter (no tiene celdas).")
    try:
        nb = nbformat.reads(texto, as_version=4)
        nbformat.validator.normalize(nb)
    except Exception as e:  # nbformat lanza varios tipos según la versión del archivo
        raise EntregaInvalida(f"{ruta.name} no es un cuaderno de Jupyter válido: {e}") from None
    return nb


def _es_script(texto: str) -> bool:
    """True si el texto es código Python (p. ej. un .py exportado de Jupyter o Colab) y no JSON."""
    if texto.lstrip().startswith(("{", "[")):
        return False
    try:
        ast.parse(texto)
    except (SyntaxError, ValueError):
        return "# %%" in texto or "# In[" in texto
    return True


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
            texto = (f"# EJERCICIO {m.ejercicio}\n{config.STUB_CODIGO}" if m.tipo == "ejercicio"
                     else f"<!-- RESPUESTA {m.ejercicio} ({m.puntos} puntos) -->\n{config.STUB_TEXTO}")
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


def _numero(texto: str | None, maximo: float) -> float | None:
    """El número de un resultado mostrado, acotado a [0, maximo]; None si no es un número."""
    try:
        return min(max(float(texto), 0.0), maximo)
    except (TypeError, ValueError):
        return None


def nota_parcial(celda, maximo: float) -> float | None:
    """Nota parcial que muestra una celda de pruebas (su resultado numérico), como hace nbgrader; None si no hay."""
    for salida in celda.get("outputs", []):
        if salida.get("output_type") == "execute_result":
            texto = salida.get("data", {}).get("text/plain", "")
            return _numero("".join(texto) if isinstance(texto, list) else texto, maximo)
    return None


@dataclass
class Evidencia:
    """Lo que el calificador vio, desde fuera del kernel, al ejecutar una entrega."""

    registro: ejecucion.Registro
    fichas: dict[int, integridad.Ficha]
    limites: Limites


def describir_celda(nb, indice: int) -> str:
    """«la celda del ejercicio X», «la celda de pruebas de X» o «la celda N (`primera línea`)»."""
    m = celdas.marca(nb.cells[indice])
    if m is not None and m.tipo == "ejercicio":
        return f"la celda del ejercicio {m.ejercicio}"
    if m is not None and m.tipo == "pruebas":
        return f"la celda de pruebas de {m.ejercicio}"
    primera = nb.cells[indice].source.strip().split("\n", 1)[0][:60]
    return f"la celda {indice + 1} (`{primera}`)"


def _mayuscula(texto: str) -> str:
    return texto[:1].upper() + texto[1:]


def _excedio(motivo: str, limites: Limites) -> str:
    """«tardó más de N s» o «agotó el tiempo total del cuaderno (N s)», según qué límite saltó."""
    if motivo == "cuaderno":
        return f"agotó el tiempo total del cuaderno ({limites.tiempo_total_s} s)"
    return f"tardó más de {limites.tiempo_por_celda_s} s"


def _nota_sin_pruebas(m, nb, indices: set[int], prueba: int, ev: Evidencia) -> NotaEjercicio | None:
    """Nota de un ejercicio cuyas celdas agotaron el tiempo o no llegaron a ejecutarse (None si no es el caso)."""
    r = ev.registro
    agotada = next((i for i in sorted(indices) if i in r.agotadas), None)
    if agotada is not None:
        return NotaEjercicio(m.ejercicio, m.grade_id, 0, m.puntos, "tiempo_agotado",
                             f"{_mayuscula(describir_celda(nb, agotada))} {_excedio(r.agotadas[agotada], ev.limites)} "
                             "y se interrumpió "
                             "(¿un bucle que no termina o un entrenamiento demasiado largo?).")
    if r.parada is not None and prueba >= r.parada:
        if r.parada in indices:
            estado = "tiempo_agotado" if r.estado == "tiempo_agotado" else "kernel_murio"
            texto = f"Al ejecutar {describir_celda(nb, r.parada)}, {r.motivo_parada}."
        else:
            estado = "no_ejecutado"
            texto = (f"Las pruebas no llegaron a ejecutarse: antes, en {describir_celda(nb, r.parada)}, "
                     f"{r.motivo_parada}.")
        return NotaEjercicio(m.ejercicio, m.grade_id, 0, m.puntos, estado, texto)
    return None


def puntuar(nb, fuente, evidencia: Evidencia | None = None) -> list[NotaEjercicio]:
    """Notas por ejercicio de un cuaderno ya ejecutado. Un error en la celda de pruebas = 0 puntos; un
    número como resultado de la celda = nota parcial (cuestionarios); lo que una prueba escriba en stderr
    (avisos de TF o NumPy) no quita puntos.

    Con ``evidencia`` (al calificar) una prueba sin error solo cuenta si hay evidencia positiva de que llegó
    a su final (``integridad.juzgar``); si no, vale 0 con estado ``manipulacion``.
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
            sin_pruebas = _nota_sin_pruebas(m, nb, propias, indice_de[m.grade_id], evidencia)
            if sin_pruebas is not None:
                notas.append(sin_pruebas)
                continue
        if prueba is None or prueba.get("execution_count") is None:
            notas.append(NotaEjercicio(m.ejercicio, m.grade_id, 0, m.puntos, "no_ejecutado",
                                       "Las pruebas no llegaron a ejecutarse."))
            continue
        fallo = _error(prueba)
        if fallo is None:
            parcial = nota_parcial(prueba, m.puntos)
            if evidencia is not None:
                indice = indice_de[m.grade_id]
                juicio = integridad.juzgar(prueba, evidencia.fichas[indice], evidencia.registro.respuestas.get(indice),
                                           evidencia.registro.fichas.get(indice, []))
                if not juicio.valida:
                    notas.append(NotaEjercicio(
                        m.ejercicio, m.grade_id, 0, m.puntos, "manipulacion" if juicio.manipulacion else "incorrecto",
                        f"Las pruebas no cuentan: {juicio.motivo}." if juicio.manipulacion
                        else f"{_mayuscula(juicio.motivo)}."))
                    continue
                parcial = _numero(juicio.valor, m.puntos)
            if parcial is not None and parcial < m.puntos:
                notas.append(NotaEjercicio(m.ejercicio, m.grade_id, parcial, m.puntos, "parcial",
                                           f"Nota parcial: {parcial:g} de {m.puntos:g}."))
            else:
                notas.append(NotaEjercicio(m.ejercicio, m.grade_id, m.puntos, m.puntos, "correcto", "Correcto."))
            continue
        sin_responder = fallo[0] in mensajes.SIN_RESOLVER or (
            respuesta is not None and (_error(respuesta) or ("",))[0] in mensajes.SIN_RESOLVER)
        estado = ("sin_responder" if sin_responder else
                  "manipulacion" if fallo[0] == "ManipulacionDetectada" else "incorrecto")
        mensaje = mensaje_de_error(mensajes.SIN_RESOLVER[0], "") if sin_responder else mensaje_de_error(*fallo)
        if fallo[0] in ("MemoryError", "ResourceExhaustedError") and evidencia is not None:
            mensaje += f" (El tope de memoria de cada cuaderno es {tamano(evidencia.limites.memoria_bytes)}.)"
        if evidencia is not None and (disco_lleno(fallo) or (respuesta is not None and disco_lleno(_error(respuesta)))):
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


# ---------------------------------------------------------------- el trabajo


class FaltaAislamiento(RuntimeError):
    """Se pidió calificar aislado y en esta máquina no está bubblewrap."""

    MENSAJE = ("Falta bubblewrap (bwrap) o prlimit en esta máquina: sin bubblewrap el código de los alumnos se "
               "ejecutaría con red, viendo tus archivos y sin tope de disco (y sin prlimit, sin tope de memoria). "
               "Instálalo (`apt-get install bubblewrap`) o, si de verdad quieres calificar sin aislamiento, pasa "
               "--sin-aislamiento.")


def aislamiento_para(raiz_curso: Path, limites: Limites) -> ejecucion.Aislamiento:
    """La caja de los kernels de un curso: no ven fuentes, entregas, calificaciones, libro, git ni pruebas."""
    ocultar = []
    for raiz in dict.fromkeys([raiz_curso, config.RAIZ]):
        ocultar += [raiz / d for d in (config.DIR_FUENTES, config.DIR_ENTREGAS, config.DIR_CALIFICADOS,
                                       config.DIR_RETRO, ".git", "tests")]
        ocultar += list(raiz.glob(config.LIBRO + "*"))
    return ejecucion.Aislamiento(ocultar=ocultar, memoria_bytes=limites.memoria_bytes, aislar=limites.aislar,
                                 disco_tmp_bytes=limites.disco_tmp_bytes,
                                 disco_trabajo_bytes=limites.disco_trabajo_bytes)


def ejecutar_cuaderno(nb, kernel: ejecucion.Kernel | None, fuente: Path, limites: Limites) -> ejecucion.Registro:
    """Ejecuta ``nb`` en ``kernel`` (o en uno lanzado ahora, en la caja del curso) y lo destruye."""
    if kernel is None:
        kernel = ejecucion.lanzar_kernel(aislamiento_para(raiz_de(fuente), limites))
    try:
        return ejecucion.ejecutar_con_limites(nb, kernel, limites)
    finally:
        kernel.destruir()


def raiz_de(fuente: Path) -> Path:
    """Raíz del curso de un cuaderno fuente (``<raiz>/solutions/<tarea>/<tarea>.ipynb``)."""
    return fuente.resolve().parent.parent.parent


def _mensaje_general(registro: ejecucion.Registro, nb, limites: Limites) -> str:
    partes = [f"{_mayuscula(describir_celda(nb, i))} {_excedio(motivo, limites)} y se interrumpió."
              for i, motivo in sorted(registro.agotadas.items())]
    if registro.parada is not None:
        partes.append(f"En {describir_celda(nb, registro.parada)}, {registro.motivo_parada}: las pruebas "
                      "posteriores no se ejecutaron y valen 0.")
    elif registro.agotadas:
        partes.append("El resto del cuaderno se ejecutó y se calificó.")
    return " ".join(partes)


def _avisar_memoria(resultado: Resultado, limites: Limites) -> None:
    """El kernel se quedó sin memoria: lo dicen las notas que no llegaron a puntuarse y el resultado."""
    frase = f"el kernel se quedó sin memoria (el tope es {tamano(limites.memoria_bytes)} por cuaderno)"
    for nota in resultado.notas:
        if nota.estado in ("no_ejecutado", "incorrecto") and "sin memoria" not in nota.mensaje:
            nota.estado = "kernel_murio" if nota.estado == "no_ejecutado" else nota.estado
            nota.mensaje += f" Además, {frase}."
    if "sin memoria" not in resultado.mensaje:
        resultado.mensaje = (resultado.mensaje + f" Durante la ejecución {frase}.").strip()
    resultado.marcar("kernel_murio")
    resultado.marcar("sin_memoria")


INSTALAR_CURSO = ("Instala el paquete del curso en el entorno con que se califica (`pip install -e .` en la raíz "
                  "del curso, también tras crear el entorno con conda) y comprueba que ninguna otra carpeta "
                  "`curso/` en PYTHONPATH lo tapa.")


def explicar_fallo_propio(ename: str, evalue: str) -> str:
    """Qué falló en una celda del calificador (la cabecera) y cómo arreglarlo, para el instructor."""
    if ename in ("ImportError", "ModuleNotFoundError"):
        falta = re.search(r"No module named '([^'.]+)", evalue)
        if falta and falta.group(1) != "curso":
            return (f"al kernel le falta el paquete «{falta.group(1)}» ({ename}: {evalue}). Instala las "
                    "dependencias del curso en el entorno con que se califica (`pip install -r requirements.txt`).")
        return f"el kernel que califica no puede importar el paquete del curso ({ename}: {evalue}). {INSTALAR_CURSO}"
    return f"{ename}: {evalue}"


def fallo_propio(nb, registro: ejecucion.Registro, limites: Limites) -> str | None:
    """La causa (en español, para el instructor) si falló una celda del calificador (la cabecera) al ejecutar la
    entrega; None si no. Un fallo así es del entorno de calificación, nunca del alumno."""
    for i, celda in enumerate(nb.cells):
        if not cabecera.es_cabecera(celda):
            continue
        error = _error(celda)
        if error is not None:
            return f"La celda de preparación (cabecera) falló: {explicar_fallo_propio(*error)}"
        if i in registro.agotadas:
            return f"La celda de preparación (cabecera) {_excedio(registro.agotadas[i], limites)} y se interrumpió."
        if registro.parada == i:
            return f"Al ejecutar la celda de preparación (cabecera), {registro.motivo_parada}."
    return None


def marcar_error_interno(resultado: Resultado, fuente, causa: str) -> None:
    """La entrega queda sin nota (ni un 0) por un fallo del calificador: se recalifica en el próximo lote."""
    resultado.estado = "error_interno"
    resultado.mensaje = f"No se calificó por un fallo del calificador, no del alumno: {causa}"
    resultado.notas = [
        NotaEjercicio(m.ejercicio, m.grade_id, None, m.puntos, "manual" if m.tipo == "respuesta" else "error_interno",
                      "Respuesta escrita: la califica el instructor." if m.tipo == "respuesta"
                      else "Sin nota: falló el calificador (se volverá a calificar).")
        for m in celdas.ejercicios(fuente)
    ]


def evaluar_entrega(entrega: Path, fuente: Path, alumno: str, tarea: str, carpeta: Path,
                    limites: Limites | None = None, reserva=None) -> Resultado:
    """Califica una entrega contra su fuente y deja el cuaderno ejecutado en ``carpeta/<tarea>.ipynb``.
    Nunca lanza: todo problema queda en el ``Resultado`` (no escribe resultado.json).

    ``reserva`` (una ``grader.motor.reserva.Reserva``) da un kernel ya arrancado; sin ella se lanza uno.
    """
    limites = limites or Limites()
    inicio = time.monotonic()
    nb_fuente = nbformat.read(fuente, as_version=4)
    resultado = Resultado(alumno, tarea, "ok", limites=limites.a_dict())
    if not limites.aislar:
        resultado.marcar("sin_aislamiento")
        resultado.avisos.append("Calificada SIN aislamiento (--sin-aislamiento): el código del alumno se ejecutó "
                                "con acceso a la red y a los archivos del usuario que califica"
                                + ("." if ejecucion.Aislamiento.tope_de_memoria() else " y sin tope de memoria."))
    try:
        combinado = combinar_detalle(leer_entrega(entrega), nb_fuente)
        nb = combinado.nb
        resultado.avisos += combinado.avisos
        if combinado.restauradas:
            resultado.marcar("celdas_restauradas")
        if limites.aislar and not ejecucion.Aislamiento.disponible():
            raise FaltaAislamiento(FaltaAislamiento.MENSAJE)
        fichas = integridad.instrumentar(nb)
        registro = ejecutar_cuaderno(nb, reserva.tomar() if reserva is not None else None, fuente, limites)
        if not registro.arranco and reserva is not None:  # ninguna celda se ejecutó: otra vez, con un kernel nuevo
            registro = ejecutar_cuaderno(nb, None, fuente, limites)
        integridad.restaurar(nb, fichas)
        causa = fallo_propio(nb, registro, limites)
        if causa is not None:
            marcar_error_interno(resultado, nb_fuente, causa)
        else:
            _puntuar_ejecucion(resultado, nb, nb_fuente, Evidencia(registro, fichas, limites))
        carpeta.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, carpeta / f"{tarea}.ipynb")
        resultado.segundos_fijos = round(time.monotonic() - inicio - registro.segundos_alumno(nb), 2)
        resultado.segundos_espera_kernel = registro.segundos_espera_kernel
        resultado.segundos_cpu_kernel = registro.cpu_kernel_s
    except EntregaInvalida as e:
        resultado.estado, resultado.mensaje = "archivo_invalido", str(e)
        resultado.marcar("archivo_invalido")
        if isinstance(e, EntregaNoRegular):
            resultado.marcar("entrega_no_regular")
        resultado.notas = notas_a_cero(nb_fuente, str(e))
    except FaltaAislamiento as e:
        marcar_error_interno(resultado, nb_fuente, str(e))
    except Exception as e:  # el lote sigue con los demás alumnos
        marcar_error_interno(resultado, nb_fuente, f"error inesperado del calificador: {type(e).__name__}: {e}")
    resultado.segundos = round(time.monotonic() - inicio, 2)
    return resultado


def _puntuar_ejecucion(resultado: Resultado, nb, nb_fuente, ev: Evidencia) -> None:
    """Notas, estado, mensaje y banderas de una entrega ejecutada (la cabecera no falló)."""
    registro, limites = ev.registro, ev.limites
    resultado.estado = registro.estado
    resultado.notas = puntuar(nb, nb_fuente, ev)
    resultado.mensaje = _mensaje_general(registro, nb, limites)
    if registro.sin_memoria:
        _avisar_memoria(resultado, limites)
    for nota in resultado.notas:
        if nota.estado in ("manipulacion", "tiempo_agotado", "kernel_murio"):
            resultado.marcar(nota.estado)
    if any(disco_lleno(_error(c)) for c in nb.cells if c.cell_type == "code"):
        resultado.marcar("disco_lleno")
    if registro.agotadas:
        resultado.marcar("tiempo_agotado")
    if registro.estado == "kernel_murio":
        resultado.marcar("kernel_murio")
    if registro.recortadas:
        resultado.marcar("salida_recortada")
        descartado = sum(registro.recortadas.values())
        resultado.avisos.append(
            f"Se recortó la salida de {len(registro.recortadas)} celda(s) ({tamano(descartado)} descartados): "
            f"se guardan como mucho {tamano(limites.salida_por_celda_bytes)} por celda y "
            f"{tamano(limites.salida_total_bytes)} por cuaderno.")


def escribir_resultado(resultado: Resultado, carpeta: Path) -> Path:
    """Escribe ``carpeta/resultado.json`` de una vez (``grader.nucleo.resultado.escribir``)."""
    return registros.escribir(resultado, carpeta)


def calificar_entrega(entrega: Path, fuente: Path, alumno: str, tarea: str, carpeta: Path,
                      tiempo_por_celda: int | None = None, limites: Limites | None = None,
                      reserva=None) -> Resultado:
    """Califica una entrega contra su fuente. Nunca lanza: todo problema queda en el ``Resultado``.

    Deja en ``carpeta`` el cuaderno ejecutado (``<tarea>.ipynb``) y el registro (``resultado.json``).
    ``tiempo_por_celda``, si se da, sustituye al de ``limites``.
    """
    limites = limites or Limites()
    if tiempo_por_celda is not None:
        limites = replace(limites, tiempo_por_celda_s=tiempo_por_celda)
    resultado = evaluar_entrega(entrega, fuente, alumno, tarea, carpeta, limites, reserva)
    escribir_resultado(resultado, carpeta)
    return resultado
