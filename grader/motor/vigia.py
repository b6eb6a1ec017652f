"""Vigía de un kernel que califica: lo lanza como hijo y, cuando termina, anota cómo terminó y sus picos de
memoria: el residente (``wait4``, exacto) y el virtual (VmPeak, que es una marca de máximo: leído cada
``CADA_S`` desde aquí, no se pierde aunque el kernel muera enseguida tras llenar la memoria).

Se ejecuta por su ruta, dentro de la caja y bajo el tope de memoria, sin importar el paquete ``grader``:
``python vigia.py ARCHIVO.json -- orden del kernel…``. Escribe ``{"codigo", "pico_rss", "pico_virtual"}``.

Funciona también fuera de Linux (``calificar --sin-aislamiento`` en macOS o Windows): lo que solo existe en Linux
(``prctl``, ``/proc``) o en Unix (``resource``) se usa solo si está; sin ello los picos valen 0.
"""

import json
import os
import signal
import subprocess
import sys
import threading

PR_SET_PDEATHSIG = 1
CADA_S = 0.02


def pico_virtual(pid: int) -> int:
    """VmPeak del proceso ``pid`` en bytes (0 si ya no se puede leer)."""
    try:
        with open(f"/proc/{pid}/status") as estado:
            for linea in estado:
                if linea.startswith("VmPeak:"):
                    return int(linea.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _vigilar(hijo: subprocess.Popen, picos: list[int]) -> None:
    while hijo.poll() is None:
        picos[0] = max(picos[0], pico_virtual(hijo.pid))
        threading.Event().wait(CADA_S)


def morir_con_el_vigia():
    """Lo que el hijo ejecuta antes de arrancar para morir si el vigía muere (p. ej. SIGKILL al apagar el
    kernel): ``prctl`` de Linux. None donde no hay ``prctl`` (macOS, Windows): el hijo se lanza sin más."""
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError, TypeError):
        return None
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def pico_rss_hijos() -> int:
    """Pico de memoria residente de los hijos terminados, en bytes (0 donde no hay ``resource``: Windows)."""
    try:
        import resource
    except ImportError:
        return 0
    factor = 1 if sys.platform == "darwin" else 1024  # macOS da bytes; Linux, KB
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * factor


def anotar(archivo: str, codigo: int, pico_rss: int, pico_virtual: int) -> None:
    """Escribe (de forma atómica) cómo terminó el kernel y sus picos de memoria en bytes."""
    temporal = archivo + ".tmp"
    with open(temporal, "w") as f:
        json.dump({"codigo": codigo, "pico_rss": pico_rss, "pico_virtual": pico_virtual}, f)
    os.replace(temporal, archivo)


def main(argv: list[str]) -> int:
    archivo, separador, orden = argv[0], argv[1], argv[2:]
    if separador != "--" or not orden:
        print("uso: vigia.py ARCHIVO.json -- orden…", file=sys.stderr)
        return 2
    hijo = subprocess.Popen(orden, preexec_fn=morir_con_el_vigia())
    for nombre in ("SIGINT", "SIGTERM", "SIGHUP"):  # SIGHUP no existe en Windows
        if hasattr(signal, nombre):
            signal.signal(getattr(signal, nombre), lambda s, _marco: hijo.send_signal(s))
    picos = [0]
    threading.Thread(target=_vigilar, args=(hijo, picos), daemon=True).start()
    codigo = hijo.wait()
    anotar(archivo, codigo, pico_rss_hijos(), picos[0])
    return codigo if codigo >= 0 else 128 - codigo


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
