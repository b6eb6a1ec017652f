"""Calificación: un trabajo por (alumno, cuaderno) que produce un registro de resultado.

``evaluar_entrega`` va de una entrega y su fuente a un ``Resultado`` (notas por ejercicio, mensajes,
estado y banderas) y deja el cuaderno ejecutado en su carpeta; no toca el libro de calificaciones. Así se
puede repartir entre procesos, kernels aislados o un clúster sin reescribirla. ``calificar_entrega`` además
escribe ``resultado.json``. El lote (muchas entregas) está en ``grader.motor.lote``.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat

from curso import config
from grader.motor import ejecucion, integridad
from grader.nucleo import celdas
from grader.nucleo import resultado as registros
from grader.nucleo.entregas import EntregaInvalida, EntregaNoRegular, leer_entrega
from grader.nucleo.limites import Limites, tamano
from grader.nucleo.puntuacion import (
    combinar_detalle,
    describir_celda,
    disco_lleno,
    error_de,
    excedio,
    mayuscula,
    notas_a_cero,
    puntuar,
)
from grader.nucleo.resultado import NotaEjercicio, Resultado

# ---------------------------------------------------------------- el trabajo


@dataclass
class EvidenciaDeEjecucion:
    """``puntuacion.Evidencia`` de una ejecución del motor: su registro (celdas interrumpidas, parada, respuestas
    del kernel) y las fichas de integridad inyectadas en cada celda de pruebas."""

    registro: ejecucion.Registro
    fichas: dict[int, integridad.Ficha]
    limites: Limites

    def nota_sin_pruebas(self, m, nb, propias: set[int], prueba: int) -> NotaEjercicio | None:
        r = self.registro
        agotada = next((i for i in sorted(propias) if i in r.agotadas), None)
        if agotada is not None:
            return NotaEjercicio(m.ejercicio, m.grade_id, 0, m.puntos, "tiempo_agotado",
                                 f"{mayuscula(describir_celda(nb, agotada))} "
                                 f"{excedio(r.agotadas[agotada], self.limites)} y se interrumpió (¿un bucle que no "
                                 "termina o un entrenamiento demasiado largo?).")
        if r.parada is not None and prueba >= r.parada:
            if r.parada in propias:
                estado = "tiempo_agotado" if r.estado == "tiempo_agotado" else "kernel_murio"
                texto = f"Al ejecutar {describir_celda(nb, r.parada)}, {r.motivo_parada}."
            else:
                estado = "no_ejecutado"
                texto = (f"Las pruebas no llegaron a ejecutarse: antes, en {describir_celda(nb, r.parada)}, "
                         f"{r.motivo_parada}.")
            return NotaEjercicio(m.ejercicio, m.grade_id, 0, m.puntos, estado, texto)
        return None

    def juzgar(self, indice: int, celda) -> integridad.Juicio:
        return integridad.juzgar(celda, self.fichas[indice], self.registro.respuestas.get(indice),
                                 self.registro.fichas.get(indice, []))


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
    return ejecucion.Aislamiento(ocultar=ocultar, topes=limites.topes_de_proceso(), aislar=limites.aislar,
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
    partes = [f"{mayuscula(describir_celda(nb, i))} {excedio(motivo, limites)} y se interrumpió."
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
        if not celdas.es_cabecera(celda):
            continue
        error = error_de(celda)
        if error is not None:
            return f"La celda de preparación (cabecera) falló: {explicar_fallo_propio(*error)}"
        if i in registro.agotadas:
            return f"La celda de preparación (cabecera) {excedio(registro.agotadas[i], limites)} y se interrumpió."
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
    resultado = _resultado_inicial(alumno, tarea, limites)
    try:
        nb = _combinar(leer_entrega(entrega), nb_fuente, resultado)
        _exigir_aislamiento(limites)
        fichas = integridad.instrumentar(nb)
        registro = _ejecutar_con_un_reintento(nb, fuente, limites, reserva)
        integridad.restaurar(nb, fichas)
        causa = fallo_propio(nb, registro, limites)
        if causa is not None:
            marcar_error_interno(resultado, nb_fuente, causa)
        else:
            _puntuar_ejecucion(resultado, nb, nb_fuente, EvidenciaDeEjecucion(registro, fichas, limites))
        _guardar_cuaderno(nb, carpeta, tarea)
        _anotar_tiempos(resultado, registro, nb, inicio)
    except EntregaInvalida as e:
        _marcar_invalida(resultado, nb_fuente, e)
    except FaltaAislamiento as e:
        marcar_error_interno(resultado, nb_fuente, str(e))
    except Exception as e:  # el lote sigue con los demás alumnos
        marcar_error_interno(resultado, nb_fuente, f"error inesperado del calificador: {type(e).__name__}: {e}")
    resultado.segundos = round(time.monotonic() - inicio, 2)
    return resultado


def _resultado_inicial(alumno: str, tarea: str, limites: Limites) -> Resultado:
    """El resultado antes de ejecutar nada: «ok» y, si se califica sin aislamiento, su bandera y su aviso."""
    resultado = Resultado(alumno, tarea, "ok", limites=limites.a_dict())
    if not limites.aislar:
        resultado.marcar("sin_aislamiento")
        resultado.avisos.append("Calificada SIN aislamiento (--sin-aislamiento): el código del alumno se ejecutó "
                                "con acceso a la red y a los archivos del usuario que califica"
                                + ("." if ejecucion.Aislamiento.tope_de_memoria() else " y sin tope de memoria."))
    return resultado


def _combinar(entregado, nb_fuente, resultado: Resultado):
    """Las respuestas de la entrega en las celdas de la fuente; sus avisos (y celdas restauradas) al resultado."""
    combinado = combinar_detalle(entregado, nb_fuente)
    resultado.avisos += combinado.avisos
    if combinado.restauradas:
        resultado.marcar("celdas_restauradas")
    return combinado.nb


def _exigir_aislamiento(limites: Limites) -> None:
    """Lanza ``FaltaAislamiento`` si se pidió aislar y esta máquina no tiene con qué."""
    if limites.aislar and not ejecucion.Aislamiento.disponible():
        raise FaltaAislamiento(FaltaAislamiento.MENSAJE)


def _ejecutar_con_un_reintento(nb, fuente: Path, limites: Limites, reserva) -> ejecucion.Registro:
    """Ejecuta ``nb`` en un kernel de la reserva; si ese kernel no llegó a responder, una vez más en uno nuevo."""
    registro = ejecutar_cuaderno(nb, reserva.tomar() if reserva is not None else None, fuente, limites)
    if not registro.arranco and reserva is not None:  # ninguna celda se ejecutó: no es culpa del alumno
        registro = ejecutar_cuaderno(nb, None, fuente, limites)
    return registro


def _guardar_cuaderno(nb, carpeta: Path, tarea: str) -> None:
    """Deja el cuaderno ejecutado en ``carpeta/<tarea>.ipynb``."""
    carpeta.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, carpeta / f"{tarea}.ipynb")


def _anotar_tiempos(resultado: Resultado, registro: ejecucion.Registro, nb, inicio: float) -> None:
    """Coste fijo (lo que no fue ejecutar celdas del alumno), espera al kernel y su CPU."""
    resultado.segundos_fijos = round(time.monotonic() - inicio - registro.segundos_alumno(nb), 2)
    resultado.segundos_espera_kernel = registro.segundos_espera_kernel
    resultado.segundos_cpu_kernel = registro.cpu_kernel_s


def _marcar_invalida(resultado: Resultado, nb_fuente, error: EntregaInvalida) -> None:
    """La entrega no se pudo leer (o no es un archivo normal): todo a 0 con el motivo."""
    resultado.estado, resultado.mensaje = "archivo_invalido", str(error)
    resultado.marcar("archivo_invalido")
    if isinstance(error, EntregaNoRegular):
        resultado.marcar("entrega_no_regular")
    resultado.notas = notas_a_cero(nb_fuente, str(error))


def _puntuar_ejecucion(resultado: Resultado, nb, nb_fuente, ev: EvidenciaDeEjecucion) -> None:
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
    if any(disco_lleno(error_de(c)) for c in nb.cells if c.cell_type == "code"):
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
