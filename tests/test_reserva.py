"""La reserva de kernels: tiene ``tamano`` kernels arrancando por delante, cada uno sirve a una sola entrega y
al cerrar no deja ninguno (ni su carpeta privada)."""
from __future__ import annotations

import nbformat
import pytest

from curso import config
from grader.motor import calificacion, ejecucion, ejecutores
from grader.motor.reserva import Reserva
from grader.nucleo.limites import Limites


def test_reserva_por_delante_un_kernel_por_entrega_y_nada_al_cerrar():
    reserva = Reserva(calificacion.aislamiento_para(config.RAIZ, Limites()), tamano=2)
    reserva.llenar()
    assert len(reserva._listos) == 2
    primero, segundo = reserva.tomar(), reserva.tomar()
    try:
        assert len(reserva._listos) == 2, "tras cada entrega la reserva vuelve a tener 2 kernels arrancando"
        privadas = {primero.privada, segundo.privada, *(k.privada for k in reserva._listos)}
        assert len(privadas) == 4, "cada kernel tiene su propia carpeta privada"
        muerto = reserva._listos[0]
        muerto.destruir()
        tercero = reserva.tomar()
        assert tercero is not muerto and tercero.vivo(), "un kernel muerto de la reserva no se entrega"
        tercero.destruir()
    finally:
        primero.destruir()
        segundo.destruir()
        quedaban = list(reserva._listos)
        reserva.cerrar()
    assert quedaban and not any(k.privada.exists() for k in [primero, segundo, *quedaban])


def test_el_lote_en_este_proceso_cierra_sus_reservas(copia_curso_minimo):
    ejecutores._reserva(copia_curso_minimo, Limites())
    kernels = [k for r in ejecutores._RESERVAS.values() for k in r._listos]
    assert len(kernels) == config.KERNELS_EN_RESERVA
    ejecutores.EjecutorEnProceso().cerrar()
    assert not ejecutores._RESERVAS and not any(k.privada.exists() for k in kernels)


def test_sin_madre_la_reserva_lanza_kernels_como_siempre(monkeypatch, capsys):
    """Si la madre no puede arrancar (aquí: un módulo que no existe), se avisa y cada kernel importa las
    bibliotecas por su cuenta; si la madre muere a mitad del lote, igual. No se pierde ninguna entrega."""
    from tests.test_aislamiento import _ejecutar

    monkeypatch.setattr(config, "MODULOS_PRECARGADOS", (*config.MODULOS_PRECARGADOS, "modulo_que_no_existe"))
    reserva = Reserva(calificacion.aislamiento_para(config.RAIZ, Limites()), tamano=0)
    try:
        assert not reserva.clona()
        aviso = capsys.readouterr().err
        assert "no se pueden clonar kernels" in aviso and "modulo_que_no_existe" in aviso
        kernel = reserva.tomar()
        assert not (kernel.privada / "clon.pid").exists(), "sin madre, el kernel no es un clon"
        assert _ejecutar(kernel, "import tensorflow as tf; print(int(tf.reduce_sum(tf.ones(3))))").strip() == "3"
        kernel.destruir()
    finally:
        reserva.cerrar()


def test_si_la_madre_muere_se_sigue_sin_clonar(capsys):
    from tests.test_aislamiento import _ejecutar

    reserva = Reserva(calificacion.aislamiento_para(config.RAIZ, Limites()), tamano=0)
    try:
        assert reserva.clona()
        primero = reserva.tomar()
        assert _ejecutar(primero, "print(1)").strip() == "1"
        assert (primero.privada / "clon.pid").exists(), "con la madre viva, el kernel es un clon"
        primero.destruir()
        reserva.madre.proceso.kill()
        reserva.madre.proceso.wait()
        kernel = reserva.tomar()
        assert "la madre terminó" in capsys.readouterr().err
        assert not (kernel.privada / "clon.pid").exists()
        assert _ejecutar(kernel, "print(6 * 7)").strip() == "42"
        kernel.destruir()
    finally:
        reserva.cerrar()


def test_un_kernel_de_la_reserva_que_no_arranca_no_cuesta_la_nota(copia_curso_minimo, monkeypatch):
    """Si el kernel que da la reserva muere antes de responder, la entrega se califica con uno nuevo: se lanza
    exactamente un kernel más después de tomar el muerto, y con él sale la nota máxima."""
    from tests.conftest import TAREA_MINIMA

    fuente = config.cuaderno_fuente(TAREA_MINIMA, copia_curso_minimo)
    reserva = Reserva(calificacion.aislamiento_para(copia_curso_minimo, Limites()), tamano=0)
    tomar, lanzar = reserva.tomar, ejecucion.lanzar_kernel
    muertos, relanzados = [], []

    def tomar_muerto():
        kernel = tomar()
        kernel.km.provisioner.process.kill()
        kernel.km.provisioner.process.wait()
        muertos.append(kernel)
        return kernel

    def lanzar_espiado(*args, **kwargs):
        kernel = lanzar(*args, **kwargs)
        if muertos:  # lanzado después de dar el muerto: no es un kernel de la reserva (tamaño 0)
            relanzados.append(kernel)
        return kernel

    reserva.tomar = tomar_muerto
    monkeypatch.setattr(ejecucion, "lanzar_kernel", lanzar_espiado)
    try:
        r = calificacion.calificar_entrega(fuente, fuente, "ana", TAREA_MINIMA,
                                           copia_curso_minimo / config.DIR_CALIFICADOS / "ana", reserva=reserva)
    finally:
        reserva.cerrar()
    assert len(muertos) == 1, "la entrega pide un solo kernel a la reserva"
    assert len(relanzados) == 1, f"se esperaba un reintento con un kernel nuevo; hubo {len(relanzados)}"
    assert relanzados[0].privada != muertos[0].privada
    automaticas = [n for n in r.notas if n.puntos is not None]
    assert r.estado == "ok" and automaticas and all(n.puntos == n.maximo for n in automaticas), r.mensaje


@pytest.mark.parametrize("clonar", [False, True], ids=["kernel_propio", "clon_de_la_madre"])
def test_memoria_y_cpu_del_kernel_se_miden(clonar):
    """El muestreo del calificador y el vigía ven la memoria del kernel (400 MB más), y se cuenta su CPU."""
    reserva = Reserva(calificacion.aislamiento_para(config.RAIZ, Limites()), tamano=0, clonar=clonar)
    try:
        assert reserva.clona() == clonar
        kernel = reserva.tomar()
        llenar = nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell("import time, numpy as np\nx = np.ones(50_000_000)\ntime.sleep(1.5)")])
        salir = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os\nos._exit(3)")])
        try:
            registro = ejecucion.ejecutar_con_limites(llenar, kernel, Limites())
            assert ejecucion.ejecutar_con_limites(salir, kernel, Limites()).estado == "kernel_murio"
            final = kernel.final(espera_s=5)  # lo escribe el vigía cuando el kernel termina
        finally:
            kernel.destruir()
    finally:
        reserva.cerrar()
    assert registro.estado == "ok" and final["codigo"] == 3
    assert registro.memoria_max > 400e6 and final["pico_virtual"] > 400e6 and final["pico_rss"] > 400e6, final
    assert registro.cpu_kernel_s > 0
