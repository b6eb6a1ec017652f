"""Kernels clonados: una madre (``grader/motor/madre.py``) importa TensorFlow una vez por trabajador y cada kernel nace
de ella con todo importado, en su propia caja. Lo que cuesta un kernel pasa de ~4 s de CPU a décimas.

Cada clon sirve a una sola entrega, como los kernels de la reserva clásica, y se encierra antes de recibir
código (ver ``grader/motor/madre.py``). Si la madre no puede arrancar o encerrar un clon de prueba, ``Madre.lista``
lo dice y la reserva lanza kernels como siempre.
"""
from __future__ import annotations

import json
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_core.utils import run_sync

from curso import config
from grader.motor import ejecucion
from grader.nucleo import cuadernos

SCRIPT = Path(__file__).with_name("madre.py").resolve()
BACKEND_INLINE = "module://matplotlib_inline.backend_inline"  # el que ipykernel fijaría al arrancar


class Madre:
    """Una madre en su caja, con los módulos de ``config.MODULOS_PRECARGADOS`` importados."""

    def __init__(self, aislamiento: ejecucion.Aislamiento):
        self.aislamiento = aislamiento
        cuadernos.DIR_KERNELS.mkdir(mode=0o700, exist_ok=True)
        self.carpeta = Path(tempfile.mkdtemp(prefix="madre-", dir=cuadernos.DIR_KERNELS))
        self.socket = self.carpeta / "madre.sock"
        self.error = ""
        self._lista: bool | None = None
        entorno = {**cuadernos.entorno_kernel(), **aislamiento.VARIABLES_CAJA, "MPLBACKEND": BACKEND_INLINE}
        self._registro = open(self.carpeta / "madre.log", "wb")  # noqa: SIM115 — stderr de la madre mientras viva
        orden = [sys.executable, str(SCRIPT), "servir", str(self.socket),
                 json.dumps(self._peticion(self.carpeta)), *config.MODULOS_PRECARGADOS]
        self.proceso = subprocess.Popen(aislamiento.caja(None, pid_propio=False) + ["--"] + orden, env=entorno,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._registro)

    def _peticion(self, privada: Path) -> dict:
        """Lo que necesita un clon para encerrarse en ``privada`` (sin entorno ni argumentos: los pone ``pedir``)."""
        # los tmpfs con tope de su caja: los de fuera de ``privada`` antes de volver a verla, los de dentro después
        tapas = self.aislamiento.tapas(privada)
        tapar = [[r, b] for r, b in tapas.items() if not Path(r).is_relative_to(privada)]
        propios = [[r, b] for r, b in tapas.items() if Path(r).is_relative_to(privada)]
        visibles = [[str(privada), True]] + [[str(r), False] for r in self.aislamiento.rutas_bajo_tmp()]
        return {"tapar": tapar, "visibles": visibles, "propios": propios, "topes": self.aislamiento.topes,
                "vigia": str(ejecucion.archivo_vigia(privada)),
                "archivo_pid": str(privada / ejecucion.ARCHIVO_PID_CLON),
                "variables_caja": self.aislamiento.VARIABLES_CAJA}

    def lista(self, espera_s: float = config.TIEMPO_ARRANQUE_KERNEL_S) -> bool:
        """¿Puede clonar? Espera a que la madre diga ``lista`` (o por qué no puede) y lo recuerda."""
        if self._lista is None:
            linea = b""
            if select.select([self.proceso.stdout], [], [], espera_s)[0]:
                linea = self.proceso.stdout.readline()
            texto = linea.decode("utf-8", "replace").strip()
            self._lista = texto == "lista"
            if not self._lista:
                self.error = texto or f"la madre no respondió en {espera_s} s"
                self.error += " " + (self.carpeta / "madre.log").read_text(errors="replace")[-2000:].strip()
                self.cerrar()
        elif self._lista and self.proceso.poll() is not None:
            self._lista, self.error = False, f"la madre terminó (código {self.proceso.returncode})"
        return self._lista

    def lanzar(self) -> ejecucion.Kernel:
        """Un kernel clonado en su carpeta privada, sin esperar a que esté listo."""
        privada = cuadernos.carpeta_privada()
        peticion = {**self._peticion(privada), "cwd": str(cuadernos.carpeta_trabajo(privada))}
        (privada / "peticion.json").write_text(json.dumps(peticion))
        km = ejecucion._gestor(privada, None)
        km.pedir_a_madre = [sys.executable, "-I", str(SCRIPT), "pedir", str(self.socket),
                            str(privada / "peticion.json"), "--"]
        with open(privada / "kernel.log", "wb") as registro:
            run_sync(km.start_kernel)(env=cuadernos.entorno_kernel(), stdout=registro, stderr=registro)
        return ejecucion.Kernel(km, privada, time.monotonic())

    def cerrar(self) -> None:
        """Mata la madre (los clones vivos mueren con ella) y borra su carpeta."""
        if self.proceso.poll() is None:
            self.proceso.kill()
            self.proceso.wait(timeout=10)
        self.proceso.stdout.close()
        self._registro.close()
        shutil.rmtree(self.carpeta, ignore_errors=True)
