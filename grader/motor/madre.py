"""Proceso madre de kernels: importa una vez las bibliotecas del curso y clona (``fork``) un kernel por entrega.

Importar TensorFlow cuesta ~4 s de CPU por kernel; un clon lo hereda ya importado. La madre vive en una caja de
bubblewrap (sin red, sistema de solo lectura) y nunca ejecuta código de alumnos. Cada clon, antes de ejecutar
nada, se encierra en espacios de nombres propios (usuario, montajes, PID, red, IPC): un /tmp vacío en el que
solo vuelve a ver su carpeta privada (y el curso, si vive bajo /tmp), su propio /proc y ninguna capacidad.
Así no ve la carpeta de la madre, ni sus sockets, ni los procesos o archivos de otros clones.

Se ejecuta por su ruta, sin importar el paquete ``grader``:
- ``python madre.py servir SOCKET MODULO…``: importa los módulos, prueba que puede encerrar un clon, escribe
  ``lista`` (o ``error: …``) en stdout y atiende peticiones.
- ``python madre.py pedir SOCKET PETICION.json -- orden del kernel…``: lo que jupyter_client lanza como
  «proceso del kernel». Pasa a la madre la petición y sus stdin/stdout/stderr, espera a que el clon termine y
  sale con su código; si a este proceso lo matan, la madre mata al clon.
"""

import ctypes
import gc
import json
import os
import platform
import select
import signal
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigia

del sys.path[0]  # los clones no deben importar los módulos de grader/ como si fueran de primer nivel

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SYS_CAPSET = {"x86_64": 126, "aarch64": 91}.get(platform.machine())  # otra arquitectura: no se clona
PROC_SOLO_LECTURA = ("sys", "sysrq-trigger", "irq", "bus")
_LIBC = ctypes.CDLL(None, use_errno=True)


def _llamar(nombre: str, *args) -> None:
    """Llama a la función ``nombre`` de libc y lanza OSError si falla."""
    if getattr(_LIBC, nombre)(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{nombre}{args!r}: {os.strerror(err)}")


def _montar(origen, destino, tipo, banderas: int, datos=None) -> None:
    _llamar("mount", _b(origen), _b(destino), _b(tipo), ctypes.c_ulong(banderas), _b(datos))


def _b(texto):
    return None if texto is None else str(texto).encode()


def _escribir(ruta: str, texto: str) -> None:
    with open(ruta, "w") as f:
        f.write(texto)


# ---------------------------------------------------------------- el encierro de un clon


def encerrar(visibles: list, tapar: list, propios: list = ()) -> None:
    """En un proceso de un solo hilo: espacios de nombres nuevos y montajes propios.

    ``tapar``: pares ``[carpeta, bytes]`` que se cubren con un tmpfs vacío de ese tamaño (/tmp, la de los kernels);
    ``visibles``: pares ``[ruta, escribible]`` que vuelven a verse en su sitio tras taparlas (la carpeta privada, el
    curso); ``propios``: pares ``[carpeta, bytes]`` que se cubren al final con un tmpfs (la carpeta de trabajo).
    Tras esto el proceso es «root» de un espacio de usuario propio: hay que llamar a ``soltar_capacidades``
    antes de ejecutar código ajeno. El siguiente hijo será el PID 1 de un espacio de PID nuevo.
    """
    uid, gid = os.geteuid(), os.getegid()
    _llamar("unshare", CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)
    _escribir("/proc/self/setgroups", "deny")
    _escribir("/proc/self/uid_map", f"{uid} {uid} 1")
    _escribir("/proc/self/gid_map", f"{gid} {gid} 1")
    _montar(None, "/", None, MS_REC | MS_PRIVATE)
    # abiertas ya en el espacio de montajes nuevo (solo se puede montar desde uno mismo), antes de taparlas
    descriptores = [(os.open(ruta, os.O_PATH | os.O_DIRECTORY), ruta, rw) for ruta, rw in visibles]
    for carpeta, tope in tapar:
        if os.path.isdir(carpeta):
            _montar("tmpfs", carpeta, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={int(tope)}")
    for fd, ruta, rw in descriptores:
        os.makedirs(ruta, exist_ok=True)
        _montar(f"/proc/self/fd/{fd}", ruta, None, MS_BIND | MS_REC)
        if not rw:
            _montar(None, ruta, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    for carpeta, tope in propios:
        os.makedirs(carpeta, exist_ok=True)
        _montar("tmpfs", carpeta, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=0700,size={int(tope)}")


def montar_proc() -> None:
    """En el PID 1 del espacio nuevo: un /proc que solo muestra los procesos de este clon."""
    _montar("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for parte in PROC_SOLO_LECTURA:  # como bubblewrap: lo que tocaría el sistema entero, de solo lectura
        ruta = f"/proc/{parte}"
        if os.path.exists(ruta):
            _montar(ruta, ruta, None, MS_BIND | MS_REC)
            _montar(None, ruta, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)


def soltar_capacidades() -> None:
    """Sin capacidades (tampoco al ejecutar otro programa) y sin poder ganar privilegios."""
    with open("/proc/sys/kernel/cap_last_cap") as f:
        ultima = int(f.read())
    for cap in range(ultima + 1):
        _llamar("prctl", PR_CAPBSET_DROP, cap, 0, 0, 0)
    _llamar("prctl", PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if SYS_CAPSET is None:
        raise OSError(f"no sé llamar a capset en {platform.machine()}")
    cabecera = struct.pack("Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, este proceso
    datos = ctypes.create_string_buffer(24)  # dos {efectivas, permitidas, heredables} a cero
    if _LIBC.syscall(SYS_CAPSET, ctypes.c_char_p(cabecera), datos) != 0:
        raise OSError(ctypes.get_errno(), "capset")
    _llamar("prctl", PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    with open("/proc/self/status") as f:  # se comprueba, no se supone
        quedan = [linea for linea in f if linea.startswith(("CapEff", "CapPrm", "CapBnd", "CapAmb"))
                  and int(linea.split()[1], 16)]
    if quedan:
        raise OSError(f"no se soltaron todas las capacidades: {quedan}")


def aplicar_topes(topes: dict) -> None:
    """Pone a este proceso (y a lo que lance) los topes de ``Limites.topes_de_proceso``, blando = duro, como
    ``prlimit`` al kernel lanzado: ``{"as": N}`` es ``RLIMIT_AS``. Sin capacidades, no se pueden volver a subir."""
    import resource

    for nombre, valor in topes.items():
        resource.setrlimit(getattr(resource, f"RLIMIT_{nombre.upper()}"), (int(valor), int(valor)))


def _morir_con_el_padre() -> None:
    _llamar("prctl", PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# ---------------------------------------------------------------- un clon: vigía → init → kernel


def clonar(conexion: socket.socket, peticion: dict, fds: list[int]) -> None:
    """En el hijo de la madre (hace de vigía): encierra, lanza init y kernel, anota cómo terminó. No vuelve."""
    codigo = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _morir_con_el_padre()
        _escribir(peticion["archivo_pid"], str(os.getpid()))
        encerrar(peticion["visibles"], peticion["tapar"], peticion.get("propios", []))
        lectura, escritura = os.pipe()
        init = os.fork()
        if init == 0:
            os.close(lectura)
            _init(peticion, fds, escritura, conexion)
        os.close(escritura)
        for fd in fds:
            os.close(fd)
        uso = _vigilar(conexion, init)
        estado, pico_virtual = (os.read(lectura, 64).split() + [b"", b"0"])[:2]
        codigo = os.waitstatus_to_exitcode(int(estado)) if estado else -signal.SIGKILL
        vigia.anotar(peticion["vigia"], codigo, uso.ru_maxrss * 1024, int(pico_virtual))
    except BaseException as e:
        os.write(2, f"madre: no se pudo preparar el kernel: {type(e).__name__}: {e}\n".encode())
    try:
        conexion.sendall(struct.pack("i", codigo))
    finally:
        os._exit(0)


def _vigilar(conexion: socket.socket, init: int):
    """Espera a que termine ``init`` (devuelve su uso de recursos, que incluye el del kernel) y lo mata si muere
    el proceso que pidió el kernel (jupyter_client lo mata). Sin hilos: tras ``unshare(CLONE_NEWPID)`` este
    proceso ya no puede crearlos."""
    while True:
        pid, _, uso = os.wait4(init, os.WNOHANG)
        if pid:
            return uso
        if select.select([conexion], [], [], vigia.CADA_S)[0] and not _recibir(conexion):
            try:
                os.kill(init, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _recibir(conexion: socket.socket) -> bytes:
    try:
        return conexion.recv(1)
    except OSError:
        return b""


def _init(peticion: dict, fds: list[int], escritura: int, conexion: socket.socket) -> None:
    """PID 1 del clon: monta su /proc, suelta capacidades, lanza el kernel y pasa su estado al vigía."""
    try:
        conexion.close()
        _morir_con_el_padre()
        montar_proc()
        soltar_capacidades()
        kernel = os.fork()
        if kernel == 0:
            os.close(escritura)
            _kernel(peticion, fds)
        for fd in fds:
            os.close(fd)
        estado, pico = _esperar_kernel(kernel)
        os.write(escritura, f"{estado} {pico}".encode())
    except BaseException as e:
        os.write(2, f"madre: no se pudo preparar el kernel: {type(e).__name__}: {e}\n".encode())
    os._exit(0)


def _esperar_kernel(kernel: int) -> tuple[int, int]:
    """En init: espera al kernel muestreando su pico de memoria virtual (como ``vigia``; desde aquí se ve su
    /proc) y recoge, como PID 1, a los huérfanos de lo que lance el alumno. Devuelve su estado y el pico."""
    pico = 0
    while True:
        pid, estado = os.waitpid(-1, os.WNOHANG)
        if pid == kernel:
            return estado, pico
        if pid == 0:
            pico = max(pico, vigia.pico_virtual(kernel))
            select.select([], [], [], vigia.CADA_S)


def _kernel(peticion: dict, fds: list[int]) -> None:
    """El kernel: la entrada y salidas del proceso que lo pidió, su entorno, sus topes e ipykernel."""
    _morir_con_el_padre()
    for destino, fd in enumerate(fds):
        os.dup2(fd, destino)
        os.close(fd)
    os.environ.clear()
    os.environ.update(peticion["entorno"])
    os.chdir(peticion["cwd"])
    aplicar_topes(peticion["topes"])
    if "numpy" in sys.modules:  # como en un proceso nuevo: el azar de numpy no se comparte entre clones
        sys.modules["numpy"].random.seed()
    import ipykernel_launcher
    from ipykernel import kernelapp
    sys.argv = [ipykernel_launcher.__file__, *peticion["argumentos"]]  # como ``python -m ipykernel_launcher -f …``
    codigo = 0
    try:
        kernelapp.launch_new_instance(argv=peticion["argumentos"])
    except SystemExit as e:
        codigo = e.code if isinstance(e.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        codigo = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(codigo)


# ---------------------------------------------------------------- la madre


def _prueba(peticion: dict) -> None:
    """Un clon de prueba que se encierra, suelta capacidades y se pone los topes sin ejecutar nada: falla aquí,
    no con un alumno."""
    pid = os.fork()
    if pid == 0:
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            encerrar(peticion["visibles"], peticion["tapar"], peticion.get("propios", []))
            hijo = os.fork()
            if hijo == 0:
                montar_proc()
                soltar_capacidades()
                aplicar_topes(peticion["topes"])
                os._exit(0)
            os._exit(os.waitstatus_to_exitcode(os.waitpid(hijo, 0)[1]))
        except BaseException as e:
            os.write(2, f"{type(e).__name__}: {e}\n".encode())
            os._exit(3)
    codigo = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if codigo != 0:
        raise OSError(f"un clon de prueba no pudo encerrarse (código {codigo})")


def servir(ruta_socket: str, modulos: list[str], prueba: dict) -> None:
    """Importa ``modulos``, comprueba el encierro con ``prueba`` y clona un kernel por conexión."""
    try:
        for modulo in modulos:
            __import__(modulo)
        __import__("ipykernel.kernelapp")
        _prueba(prueba)
        servidor = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        servidor.bind(ruta_socket)
        servidor.listen(16)
    except BaseException as e:
        print(f"error: {type(e).__name__}: {e}", flush=True)
        sys.stderr.flush()
        os._exit(1)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # los clones terminados no quedan como zombis
    gc.freeze()  # lo importado no se toca al recoger basura: las páginas siguen compartidas con los clones
    print("lista", flush=True)
    while True:
        conexion, _ = servidor.accept()
        try:
            datos, fds, _, _ = socket.recv_fds(conexion, 1 << 16, 3)
            peticion = json.loads(datos)
        except (OSError, ValueError):
            conexion.close()
            continue
        if os.fork() == 0:
            servidor.close()
            clonar(conexion, peticion, fds)
        conexion.close()
        for fd in fds:
            os.close(fd)


def pedir(ruta_socket: str, ruta_peticion: str, argumentos: list[str]) -> int:
    """Pide un clon con la petición de ``ruta_peticion`` y los argumentos de ipykernel; devuelve su código."""
    with open(ruta_peticion) as f:
        peticion = json.load(f)
    os.unlink(ruta_peticion)
    peticion["argumentos"] = argumentos
    peticion["entorno"] = {**os.environ, **peticion["variables_caja"]}  # el que jupyter_client da al kernel
    conexion = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conexion.connect(ruta_socket)
    socket.send_fds(conexion, [json.dumps(peticion).encode()], [0, 1, 2])
    datos = b""
    while len(datos) < 4:
        trozo = conexion.recv(4 - len(datos))
        if not trozo:
            return 1
        datos += trozo
    codigo = struct.unpack("i", datos)[0]
    return codigo if codigo >= 0 else 128 - codigo


def main(argv: list[str]) -> int:
    if argv[:1] == ["servir"] and len(argv) >= 3:
        servir(argv[1], argv[3:], json.loads(argv[2]))
        return 0
    if argv[:1] == ["pedir"] and len(argv) >= 5 and argv[3] == "--":
        return pedir(argv[1], argv[2], argv[4:])
    print("uso: madre.py servir SOCKET PRUEBA_JSON MODULO… | madre.py pedir SOCKET PETICION.json -- ARGS…",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
