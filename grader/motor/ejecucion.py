"""Ejecución de cuadernos en un kernel con nbclient: entorno silencioso, caja aislada, límites y registro.

Cada kernel tiene su propia carpeta privada (0700) con su archivo de conexión, sus sockets IPC, su registro
de stderr y su carpeta de trabajo; la caja de bubblewrap de un kernel no ve las carpetas de los demás.
Al calificar, ``ClienteCalificador`` interrumpe la celda que agota su tiempo y sigue con las demás, recorta
la salida que se guarda y anota, celda a celda, la respuesta del kernel y las fichas del calificador.
"""
from __future__ import annotations

import asyncio
import copy
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import nbformat
import psutil
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from curso import config
from grader.motor import vigia
from grader.motor.sondeo import MIME as MIME_FICHA
from grader.nucleo import celdas
from grader.nucleo.celdas import ETIQUETA_OMITIR
from grader.nucleo.cuadernos import (
    DIR_KERNELS,
    SILENCIO,
    KernelLocal,
    carpeta_privada,
    carpeta_trabajo,
    conexion,
    entorno_kernel,
    preparar_gestor,
)
from grader.nucleo.limites import Limites, tamano


@dataclass
class Aislamiento:
    """Límites del kernel que ejecuta código de un alumno.

    Con ``aislar`` (bubblewrap): sin red, con el sistema de archivos de solo lectura salvo su carpeta privada y
    un /tmp propio, sin ver las carpetas de ``ocultar`` (fuentes con pruebas ocultas, otras entregas, el libro:
    vacías y de solo lectura) ni las de otros kernels. Su disco tiene tope: los tmpfs de ``tapas`` (/tmp, /dev/shm,
    la carpeta de los kernels y la de trabajo) y /dev es de solo lectura. Siempre que exista ``prlimit``:
    los ``topes`` por proceso (``Limites.topes_de_proceso``: el de memoria virtual), en el kernel lanzado
    (``prefijo``) y en el clonado (``grader/motor/madre.py``).
    """

    ocultar: list[Path] = field(default_factory=list)
    topes: dict[str, int] = field(default_factory=lambda: Limites().topes_de_proceso())
    aislar: bool = True
    disco_tmp_bytes: int = config.DISCO_TMP_BYTES
    disco_trabajo_bytes: int = config.DISCO_TRABAJO_BYTES

    @staticmethod
    def disponible() -> bool:
        return shutil.which("bwrap") is not None and shutil.which("prlimit") is not None

    @staticmethod
    @functools.cache
    def tope_de_disco() -> bool:
        """¿Admite este bubblewrap ``--size`` (tmpfs con tope; desde la versión 0.5)?"""
        try:
            ayuda = subprocess.run(["bwrap", "--help"], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return False
        return "--size" in ayuda.stdout + ayuda.stderr

    def tapas(self, privada: Path | None) -> dict[str, int]:
        """Carpetas que el kernel ve como un tmpfs vacío y propio, con su tope en bytes (en orden de montaje).

        La única lista de topes de disco: la usan su caja de bubblewrap (``caja``) y el encierro de un clon
        (``grader.motor.clonacion``). /dev/shm, /tmp y la de los kernels con ``disco_tmp_bytes``; la de trabajo de
        ``privada`` con ``disco_trabajo_bytes``. Sin ``privada`` (la madre), solo /dev/shm y /tmp.
        """
        tapas = {"/dev/shm": self.disco_tmp_bytes, "/tmp": self.disco_tmp_bytes}
        if privada is not None:
            tapas.setdefault(str(DIR_KERNELS), self.disco_tmp_bytes)
            tapas[str(carpeta_trabajo(privada))] = self.disco_trabajo_bytes
        return tapas

    def _tmpfs(self, tapas: dict[str, int], ruta: Path | str) -> list[str]:
        """``--tmpfs ruta`` con su tope de ``tapas`` (``--size``, si este bubblewrap lo admite)."""
        tope = ["--size", str(tapas[str(ruta)])] if self.tope_de_disco() else []
        return [*tope, "--tmpfs", str(ruta)]

    @staticmethod
    def tope_de_memoria() -> bool:
        """¿Se puede poner tope de memoria al kernel? (``prlimit``, de Linux: no existe en macOS ni en Windows)."""
        return shutil.which("prlimit") is not None

    # Variables que fija la caja: todo lo que el kernel escribe (configuración, temporales) cae en su /tmp propio;
    # en otro espacio de PID el padre no es visible: ipykernel no debe vigilarlo (si el calificador muere, el
    # kernel muere con él por otra vía: --die-with-parent o la señal de muerte del padre de un clon)
    VARIABLES_CAJA: ClassVar[dict[str, str]] = {
        "HOME": "/tmp", "MPLCONFIGDIR": "/tmp/mpl", "IPYTHONDIR": "/tmp/ipython", "TMPDIR": "/tmp",
        "JPY_PARENT_PID": "1"}

    def rutas_bajo_tmp(self) -> list[Path]:
        """Carpetas del curso y del entorno que viven bajo /tmp: vuelven a verse (solo lectura) tras el /tmp vacío."""
        tmp = Path(tempfile.gettempdir()).resolve()
        rutas = {config.RAIZ / "curso", config.RAIZ / "grader", config.RAIZ / config.DIR_DATOS,
                 Path(sys.prefix), Path(sys.base_prefix)}
        return sorted(r for r in rutas if r.resolve().is_relative_to(tmp) or r.resolve().is_relative_to("/tmp"))

    def caja(self, privada: Path | None, pid_propio: bool = True) -> list[str]:
        """Orden de bubblewrap (sin el ``--`` final). Con ``privada``, la caja solo ve esa carpeta de
        ``DIR_KERNELS``; con ``None`` las ve todas (la de la madre de los clones, que no ejecuta código ajeno)."""
        # --cap-drop ALL: lanzado por root, bubblewrap deja al proceso todas sus capacidades (podría desmontar lo
        # que tapa la caja y leer las pruebas ocultas)
        args = ["bwrap", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--unshare-net", "--unshare-ipc"]
        if privada is None and os.geteuid() == 0:
            # la madre, lanzada por root, solo conserva la que Linux exige para que sus clones se mapeen a root
            # en su espacio de usuario (el clon la pierde, con todas las demás, antes de ejecutar nada)
            args += ["--cap-add", "CAP_SETFCAP"]
        tapas = self.tapas(privada)
        # /dev propio de solo lectura (sus dispositivos siguen sirviendo) y /dev/shm con tope: sin ellos, /dev sería
        # un tmpfs escribible sin límite
        args += ["--ro-bind", "/", "/", "--dev", "/dev", *self._tmpfs(tapas, "/dev/shm"), "--remount-ro", "/dev"]
        # sin espacio de PID propio (la madre) se queda el /proc del sistema: los clones montan el suyo, y Linux
        # solo lo permite si ya ven uno entero (el de bubblewrap tapa partes); la madre escribe en él sus mapas
        args += ["--unshare-pid", "--proc", "/proc"] if pid_propio else ["--bind", "/proc", "/proc"]
        args += self._tmpfs(tapas, "/tmp")
        for ruta in self.rutas_bajo_tmp():
            args += ["--ro-bind", str(ruta), str(ruta)]
        for ruta in self.ocultar:
            if ruta.is_dir():  # vacía y de solo lectura: escribible, sería un disco sin tope (y, en la caja de la
                args += ["--tmpfs", str(ruta), "--remount-ro", str(ruta)]  # madre, compartido por sus clones)
            elif ruta.exists():
                args += ["--ro-bind", "/dev/null", str(ruta)]
        if privada is None:
            args += ["--bind", str(DIR_KERNELS), str(DIR_KERNELS)]
        else:
            args += [*self._tmpfs(tapas, DIR_KERNELS), "--bind", str(privada), str(privada),
                     *self._tmpfs(tapas, carpeta_trabajo(privada))]
        for nombre, valor in self.VARIABLES_CAJA.items():
            args += ["--setenv", nombre, valor]
        return args

    def orden_prlimit(self) -> list[str]:
        """``prlimit`` con los ``topes`` (sin el ``--`` final): lo que el kernel lanzado hereda antes de arrancar."""
        return ["prlimit", *(f"--{nombre}={valor}" for nombre, valor in self.topes.items())]

    def prefijo(self, privada: Path) -> list[str]:
        """Orden que envuelve la del kernel."""
        tope = [*self.orden_prlimit(), "--"] if self.tope_de_memoria() else []
        tope += [sys.executable, "-I", str(Path(vigia.__file__).resolve()), str(archivo_vigia(privada)), "--"]
        return (self.caja(privada) + ["--"] + tope) if self.aislar else tope


ARCHIVO_PID_CLON = "clon.pid"
"""En la carpeta privada de un kernel clonado: el PID (del sistema) de su vigía, raíz de sus procesos."""


def archivo_vigia(privada: Path) -> Path:
    """Donde el vigía (``grader/motor/vigia.py``) deja cómo terminó el kernel y su pico de memoria."""
    return privada / "vigia.json"


class KernelAislado(KernelLocal):
    """El kernel local del curso, lanzado dentro de un ``Aislamiento`` (o pedido a una madre, ya en su caja)."""

    aislamiento: Aislamiento | None = None
    pedir_a_madre: list[str] | None = None  # orden que pide el kernel a una madre (``grader.motor.clonacion``)

    def procesos(self) -> list[psutil.Process]:
        """Los procesos vivos del kernel: el lanzado y sus descendientes o, si es un clon, su vigía y los suyos
        (un clon no desciende del proceso lanzado sino de su madre)."""
        clon = self.privada / ARCHIVO_PID_CLON
        raiz = psutil.Process(int(clon.read_text()) if clon.exists() else self.provisioner.process.pid)
        return [raiz, *raiz.children(recursive=True)]

    def format_kernel_cmd(self, extra_arguments=None):
        orden = super().format_kernel_cmd(extra_arguments)
        if self.pedir_a_madre is not None:  # el clon ya está en su caja: solo necesita los argumentos de ipykernel
            return self.pedir_a_madre + orden[orden.index("-f"):]
        return (self.aislamiento.prefijo(self.privada) + orden) if self.aislamiento else orden


def _gestor(privada: Path, aislamiento: Aislamiento | None) -> KernelAislado:
    """Gestor de un kernel con conexión, sockets IPC (sin puertos abiertos) y caja en ``privada``."""
    km = KernelAislado(kernel_name="python3", **conexion(privada / "ipc"),
                       connection_file=str(privada / "conexion.json"))
    km.aislamiento = aislamiento
    return preparar_gestor(km, privada)


def lineas_precarga(modulos=config.MODULOS_PRECARGADOS) -> list[str]:
    """Código que un kernel de la reserva ejecuta al arrancar: importa los módulos sin dejar nombres."""
    return [f"for _m in {tuple(modulos)!r}: __import__(_m)", "del _m"]


@dataclass
class Kernel:
    """Un kernel lanzado (quizá todavía arrancando) con su carpeta privada. Sirve a un solo cuaderno."""

    km: KernelAislado
    privada: Path
    lanzado: float

    @property
    def trabajo(self) -> Path:
        return carpeta_trabajo(self.privada)

    def registro_stderr(self) -> str:
        """Lo último que el kernel escribió en stderr (mensajes de Python o de bibliotecas en C)."""
        try:
            return (self.privada / "kernel.log").read_bytes()[-20000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def final(self, espera_s: float = 1.0) -> dict:
        """Lo que anotó el vigía al terminar el kernel (código y picos de memoria); {} si sigue vivo o sin vigía."""
        limite = time.monotonic() + espera_s
        while True:
            try:
                return json.loads(archivo_vigia(self.privada).read_text())
            except (OSError, ValueError):
                if time.monotonic() >= limite or self.vivo():
                    return {}
                time.sleep(0.05)

    def cpu(self) -> float:
        """Segundos de CPU de los procesos vivos del kernel (la caja y lo que lanzó dentro)."""
        try:
            return sum(sum(p.cpu_times()[:2]) for p in self.km.procesos())
        except (psutil.Error, AttributeError, OSError, ValueError):
            return 0.0

    def vivo(self) -> bool:
        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:
            return False

    def destruir(self) -> None:
        """Mata el kernel (sin la espera a intervalos de 0,1 s de jupyter_client) y borra su carpeta."""
        try:
            proceso = getattr(self.km.provisioner, "process", None)
            if proceso is not None and proceso.poll() is None:
                proceso.kill()
                proceso.wait(timeout=5)
            if self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=True)
            clon = self.privada / ARCHIVO_PID_CLON
            if clon.exists():  # el vigía del clon lo mata al ver morir el proceso lanzado: se le espera un poco
                psutil.Process(int(clon.read_text())).wait(timeout=2)  # para que no escriba en la carpeta borrada
        except Exception:  # ya muerto o a medio arrancar: nada más que hacer
            pass
        shutil.rmtree(self.privada, ignore_errors=True)


def lanzar_kernel(aislamiento: Aislamiento | None = None, cwd: Path | None = None,
                  precargar: bool = False) -> Kernel:
    """Lanza un kernel en su carpeta privada (y en su caja, si hay ``aislamiento``) sin esperar a que esté listo.

    Con ``precargar`` importa al arrancar los módulos de ``config.MODULOS_PRECARGADOS``.
    """
    privada = carpeta_privada()
    km = _gestor(privada, aislamiento)
    extra = [f"--IPKernelApp.exec_lines={linea}" for linea in lineas_precarga()] if precargar else []
    with open(privada / "kernel.log", "wb") as registro:
        run_sync(km.start_kernel)(env=entorno_kernel(), cwd=str(cwd or carpeta_trabajo(privada)),
                                  stdout=registro, stderr=registro, extra_arguments=extra)
    return Kernel(km, privada, time.monotonic())


# ---------------------------------------------------------------- calificar: el cliente y su registro


@dataclass
class Registro:
    """Lo que pasó al ejecutar un cuaderno, celda a celda (índices de ``nb.cells``)."""

    estado: str = "ok"  # ok | tiempo_agotado | kernel_murio
    respuestas: dict[int, str] = field(default_factory=dict)  # estado de cada execute_reply
    fichas: dict[int, list[dict]] = field(default_factory=dict)  # lo que publicó el sondeo en cada celda
    agotadas: dict[int, str] = field(default_factory=dict)  # celda -> "celda" | "cuaderno"
    recortadas: dict[int, int] = field(default_factory=dict)  # celda -> caracteres descartados
    parada: int | None = None  # primera celda que no llegó a terminar (kernel muerto o sin tiempo)
    motivo_parada: str = ""
    arranco: bool = True  # False si el kernel no llegó a responder (no se ejecutó ninguna celda)
    segundos_espera_kernel: float = 0.0  # espera hasta que el kernel respondió (arranque no ocultado)
    sin_memoria: bool = False  # el kernel se paró sin memoria (su stderr lo dice o rozó el tope)
    memoria_max: int = 0  # memoria virtual máxima vista en los procesos del kernel (muestreada cada segundo)
    cpu_kernel_s: float = 0.0  # CPU (usuario + sistema) de los procesos del kernel, arranque incluido
    duraciones: dict[int, float] = field(default_factory=dict)  # segundos de cada celda ejecutada

    def segundos_alumno(self, nb) -> float:
        """Segundos ejecutando celdas que no son la cabecera (el resto es el coste fijo de cada cuaderno)."""
        return sum(t for i, t in self.duraciones.items() if not celdas.es_cabecera(nb.cells[i]))


def _tamano_salida(tipo: str, contenido: dict) -> int:
    if tipo == "stream":
        return len(contenido.get("text", ""))
    if tipo == "error":
        return len(contenido.get("evalue", "")) + sum(len(linea) for linea in contenido.get("traceback", []))
    return len(json.dumps(contenido.get("data", {})))


def aviso_recorte(limites: Limites) -> str:
    return (f"\n[… salida recortada por el calificador: se guardan como mucho {tamano(limites.salida_por_celda_bytes)}"
            f" por celda y {tamano(limites.salida_total_bytes)} por cuaderno …]\n")


_MEDIR_CADA_S = 0.2  # además de cada segundo, la memoria se mide con los mensajes del kernel, como mucho así


class ClienteCalificador(NotebookClient):
    """NotebookClient para calificar: límites de tiempo por celda y por cuaderno, salida recortada, y registro
    de la respuesta del kernel y de las fichas (que no se guardan en el cuaderno) de cada celda."""

    def __init__(self, nb, km, limites: Limites, cwd: Path, **kw):
        super().__init__(
            nb, km=km, timeout=limites.tiempo_por_celda_s, interrupt_on_timeout=True,
            error_on_timeout={"ename": "TiempoAgotado", "evalue": "la celda agotó su tiempo y se interrumpió"},
            iopub_timeout=config.GRACIA_INTERRUPCION_S, startup_timeout=config.TIEMPO_ARRANQUE_KERNEL_S,
            allow_errors=True, record_timing=False, kernel_name="python3", skip_cells_with_tag=ETIQUETA_OMITIR,
            shutdown_kernel="immediate", resources={"metadata": {"path": str(cwd)}}, log=SILENCIO, **kw)
        self.limites = limites
        self.registro = Registro()
        self.timeout_func = self._plazo
        self.on_cell_execute = self._empieza
        self.on_cell_executed = self._termina
        self.fin = time.monotonic() + limites.tiempo_total_s
        self.actual = -1
        self._ultima_medida = 0.0
        self.inactivo = True
        self._usado_celda = self._usado_total = 0

    async def _async_poll_kernel_alive(self) -> None:
        """Como el de nbclient (¿sigue vivo el kernel?, cada segundo), y además anota su memoria."""
        while True:
            await asyncio.sleep(1)
            self._medir_memoria()
            try:
                await self._async_check_alive()
            except DeadKernelError:
                self.task_poll_for_reply.cancel()
                return

    def _medir_memoria(self) -> None:
        """Anota el pico de memoria virtual de los procesos del kernel (VmPeak: no se pierde entre muestras)."""
        self._ultima_medida = time.monotonic()
        try:
            procesos = self.km.procesos()
            pico = max(vigia.pico_virtual(p.pid) or p.memory_info().vms for p in procesos)
        except (psutil.Error, AttributeError, OSError, ValueError):
            return
        self.registro.memoria_max = max(self.registro.memoria_max, pico)

    def _plazo(self, cell) -> int:
        return max(1, min(self.limites.tiempo_por_celda_s, int(self.fin - time.monotonic() + 0.999)))

    def _empieza(self, cell, cell_index) -> None:
        self.actual, self.inactivo, self._usado_celda = cell_index, False, 0
        self._inicio_celda = time.monotonic()

    def _termina(self, cell, cell_index, execute_reply) -> None:
        contenido = (execute_reply or {}).get("content", {})
        self.registro.respuestas[cell_index] = contenido.get("status", "sin_respuesta")
        self.registro.duraciones[cell_index] = time.monotonic() - self._inicio_celda

    async def _async_handle_timeout(self, timeout, cell=None):
        self.registro.agotadas[self.actual] = "cuaderno" if time.monotonic() >= self.fin - 0.5 else "celda"
        return await super()._async_handle_timeout(timeout, cell)

    def process_message(self, msg, cell, cell_index):
        if time.monotonic() - self._ultima_medida >= _MEDIR_CADA_S:  # un kernel que muere deprisa también
            self._medir_memoria()
        if msg.get("msg_type") == "status" and msg["content"].get("execution_state") == "idle":
            self.inactivo = True
        return super().process_message(msg, cell, cell_index)

    def _update_display_id(self, display_id, msg):
        if _tamano_salida(msg["msg_type"], msg["content"]) <= self.limites.salida_por_celda_bytes:
            super()._update_display_id(display_id, msg)

    def output(self, outs, msg, display_id, cell_index):
        tipo, contenido = msg["msg_type"], msg["content"]
        if tipo == "display_data" and MIME_FICHA in contenido.get("data", {}):
            self.registro.fichas.setdefault(cell_index, []).append(contenido["data"][MIME_FICHA])
            return None
        tam = _tamano_salida(tipo, contenido)
        cabe = min(self.limites.salida_por_celda_bytes - self._usado_celda,
                   self.limites.salida_total_bytes - self._usado_total)
        if tam <= cabe:
            self._usar(tam)
            return super().output(outs, msg, display_id, cell_index)
        primera_vez = cell_index not in self.registro.recortadas
        self.registro.recortadas[cell_index] = self.registro.recortadas.get(cell_index, 0) + tam - max(cabe, 0)
        resultado = None
        if tipo == "error":  # el error siempre se guarda (cuenta para la nota), con su traza acortada
            recortado = copy.deepcopy(msg)
            recortado["content"]["evalue"] = contenido.get("evalue", "")[:2000]
            recortado["content"]["traceback"] = [linea[:500] for linea in contenido.get("traceback", [])[-30:]]
            resultado = super().output(outs, recortado, display_id, cell_index)
        elif tipo == "stream" and cabe > 0:
            recortado = copy.deepcopy(msg)
            recortado["content"]["text"] = contenido["text"][:cabe]
            self._usar(cabe)
            resultado = super().output(outs, recortado, display_id, cell_index)
        if primera_vez:
            outs.append(nbformat.v4.new_output("stream", name="stdout", text=aviso_recorte(self.limites)))
        return resultado

    def _usar(self, n: int) -> None:
        self._usado_celda += n
        self._usado_total += n


_SIN_MEMORIA = re.compile(r"MemoryError|bad_alloc|Cannot allocate memory|out of memory|can't start new thread|"
                          r"OOM|ResourceExhausted", re.I)


def _sin_memoria(kernel: Kernel, registro: Registro, limites: Limites) -> bool:
    """¿Sin memoria? Lo dice su stderr, o su memoria rozó el tope (≥ 90 %) según el vigía o el muestreo."""
    final = kernel.final()
    pico = max(registro.memoria_max, final.get("pico_rss", 0), final.get("pico_virtual", 0))
    return bool(_SIN_MEMORIA.search(kernel.registro_stderr())) or pico >= 0.9 * limites.memoria_bytes


def _motivo_muerte(kernel: Kernel, registro: Registro, limites: Limites, muerto: bool = True, error: str = "") -> str:
    """Por qué se paró el kernel, en español, con lo que se ve desde fuera: su stderr, su memoria y su salida."""
    if _sin_memoria(kernel, registro, limites):
        return (f"el kernel se quedó sin memoria (el tope es {tamano(limites.memoria_bytes)} por cuaderno) y "
                + ("se detuvo" if muerto else "dejó de responder"))
    if not muerto:
        return f"el kernel dejó de responder ({error})"
    proceso = getattr(getattr(kernel.km, "provisioner", None), "process", None)
    codigo = kernel.final().get("codigo", getattr(proceso, "returncode", None))
    if codigo in (-9, 137):
        return "el sistema detuvo el kernel (SIGKILL), probablemente por falta de memoria"
    return "el kernel se detuvo (¿os._exit, un fallo de una biblioteca en C?)"


def ejecutar_con_limites(nb, kernel: Kernel, limites: Limites, omitir: bool = True) -> Registro:
    """Ejecuta en ``kernel`` las celdas de ``nb`` (en su sitio) respetando ``limites``. Nunca lanza por culpa
    del código ejecutado: lo que pase queda en el ``Registro``. No destruye el kernel."""
    cliente = ClienteCalificador(nb, kernel.km, limites, kernel.trabajo)
    if not omitir:
        cliente.skip_cells_with_tag = ""
    registro = cliente.registro
    inicio = time.monotonic()
    try:
        cliente.start_new_kernel_client()
    except Exception as e:
        registro.estado, registro.parada, registro.arranco = "kernel_murio", 0, False
        registro.motivo_parada = f"el kernel no arrancó ({type(e).__name__}: {e})"
        return registro
    registro.segundos_espera_kernel = round(time.monotonic() - inicio, 3)
    cliente.fin = time.monotonic() + limites.tiempo_total_s
    try:
        for i, celda in enumerate(nb.cells):
            if celda.cell_type != "code" or (omitir and ETIQUETA_OMITIR in celda.metadata.get("tags", [])):
                continue
            if time.monotonic() >= cliente.fin:
                registro.estado, registro.parada = "tiempo_agotado", i
                registro.motivo_parada = f"se agotó el tiempo total del cuaderno ({limites.tiempo_total_s} s)"
                break
            try:
                cliente.execute_cell(celda, i)
            except (DeadKernelError, CellTimeoutError, Exception) as e:
                registro.estado, registro.parada = "kernel_murio", i
                registro.motivo_parada = _motivo_muerte(kernel, registro, limites,
                                                        muerto=isinstance(e, DeadKernelError), error=type(e).__name__)
                break
            if i in registro.agotadas:
                registro.estado = "tiempo_agotado"
                if not cliente.inactivo:  # no atendió la interrupción: se mata y se para aquí
                    registro.parada = i
                    registro.motivo_parada = "la celda no se detuvo al interrumpirla y hubo que parar el kernel"
                    break
    finally:
        try:
            if cliente.kc is not None:
                cliente.kc.stop_channels()
        except Exception:
            pass
    # solo si el kernel se paró: un cuaderno que terminó bien no «se quedó sin memoria» aunque rozara el tope
    registro.sin_memoria = registro.estado == "kernel_murio" and _sin_memoria(kernel, registro, limites)
    registro.cpu_kernel_s = round(kernel.cpu(), 2)
    return registro
