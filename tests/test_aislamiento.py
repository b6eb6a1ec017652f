"""Al calificar, el código del alumno no ve las fuentes ni el libro, no escribe fuera de su carpeta y no tiene red."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from curso import config
from grader.informes import libro
from grader.motor import calificacion, ejecucion
from grader.nucleo import cuadernos
from tests.conftest import TAREA_MINIMA, entregar

INTENTAR = """\
import os, socket, subprocess
def intentar(f):
    try:
        return repr(f())
    except Exception as e:
        return type(e).__name__
"""

ESPIA = INTENTAR + """\
fuente = os.path.join({raiz!r}, "solutions", {tarea!r}, {tarea!r} + ".ipynb")
print("LEER_FUENTE", intentar(lambda: open(fuente).read()[:20]))
print("VER_FUENTES", intentar(lambda: os.listdir(os.path.join({raiz!r}, "solutions"))))
print("ESCRIBIR_LIBRO", intentar(lambda: open(os.path.join({raiz!r}, "gradebook.db"), "ab").write(b"x")))
print("ESCRIBIR_RAIZ", intentar(lambda: open(os.path.join({raiz!r}, "trampa.txt"), "w").write("x")))
print("ESCRIBIR_REPO", intentar(lambda: open(os.path.join({repo!r}, "trampa.txt"), "w").write("x")))
print("ESCRIBIR_FUERA", intentar(lambda: open("/var/tmp/trampa_curso.txt", "w").write("x")))
print("RED", intentar(lambda: socket.create_connection(("1.1.1.1", 80), timeout=3)))
print("ESCRIBIR_PROPIA", intentar(lambda: open("propia.txt", "w").write("x")))
print("CAPACIDADES", [l.split()[1] for l in open("/proc/self/status") if l.startswith(("CapEff", "CapPrm"))])
print("DESTAPAR", subprocess.run(["umount", os.path.join({raiz!r}, "solutions")], capture_output=True).returncode,
      intentar(lambda: len(open(fuente).read())))
total = 15
"""


def test_bubblewrap_instalado():
    assert ejecucion.Aislamiento.disponible(), (
        "falta bubblewrap: sin él se califica sin aislamiento (instálalo con `apt-get install bubblewrap`)")


@pytest.mark.parametrize("clonado", [False, True], ids=["kernel_propio", "clon_de_la_madre"])
def test_codigo_del_alumno_aislado(copia_curso_minimo, clonado):
    """Igual con un kernel lanzado para la entrega que con uno clonado de la madre (el de un lote)."""
    from grader.motor.reserva import Reserva
    from grader.nucleo.limites import Limites

    raiz = copia_curso_minimo
    libro.asegurar_tarea(TAREA_MINIMA, raiz)  # que exista gradebook.db
    tamano_libro = (raiz / config.LIBRO).stat().st_size
    nb = nbformat.read(config.cuaderno_fuente(TAREA_MINIMA, raiz), 4)
    for celda in nb.cells:
        if celda.source.startswith("# EJERCICIO ej99_suma"):
            celda.source = "# EJERCICIO ej99_suma\n" + ESPIA.format(raiz=str(raiz), repo=str(config.RAIZ),
                                                                         tarea=TAREA_MINIMA)
    carpeta = raiz / config.DIR_CALIFICADOS / "espia" / TAREA_MINIMA
    reserva = Reserva(calificacion.aislamiento_para(raiz, Limites()), tamano=0) if clonado else None
    try:
        assert reserva is None or reserva.clona(), reserva.madre and reserva.madre.error
        r = calificacion.calificar_entrega(entregar(raiz, "espia", nb), config.cuaderno_fuente(TAREA_MINIMA, raiz),
                                           "espia", TAREA_MINIMA, carpeta, reserva=reserva)
    finally:
        if reserva is not None:
            reserva.cerrar()
    assert r.estado == "ok" and r.puntos == 5
    ejecutado = nbformat.read(carpeta / f"{TAREA_MINIMA}.ipynb", 4)
    texto = "".join(s.get("text", "") for c in ejecutado.cells if c.source.startswith("# EJERCICIO ej99_suma")
                    for s in c.outputs)
    informe = dict(linea.split(" ", 1) for linea in texto.strip().splitlines())
    assert informe["LEER_FUENTE"] == "FileNotFoundError"
    assert informe["VER_FUENTES"] in ("[]", "FileNotFoundError")  # tapadas, o (en un clon) todo /tmp
    assert informe["ESCRIBIR_LIBRO"] != "1"
    assert informe["ESCRIBIR_FUERA"] == "OSError"  # sistema de archivos de solo lectura
    assert informe["RED"] == "OSError"
    assert informe["ESCRIBIR_PROPIA"] == "1"
    # sin capacidades (también si califica root): no puede desmontar lo que tapa las pruebas ocultas
    assert eval(informe["CAPACIDADES"]) == ["0000000000000000", "0000000000000000"]
    assert informe["DESTAPAR"].split()[1] == "FileNotFoundError", informe["DESTAPAR"]
    assert (raiz / config.LIBRO).stat().st_size == tamano_libro
    # lo que escriba fuera de su carpeta (p. ej. en un /tmp propio) no llega al disco real
    # (si el curso vive bajo /tmp, esas escrituras caen en el /tmp vacío del aislamiento)
    for ruta in (raiz / "trampa.txt", config.RAIZ / "trampa.txt", Path("/var/tmp/trampa_curso.txt")):
        assert not ruta.exists(), ruta


def test_curso_bajo_tmp_la_primera_celda_no_falla():
    """Con el curso clonado bajo /tmp (como `make demo` desde un clon en /tmp), el aislamiento tapa /tmp con uno
    vacío y solo vuelve a mostrar curso/, grader/ y data/: la cabecera no debe leer nada más del repositorio."""
    import json
    import shutil
    import subprocess
    import sys
    import tempfile

    from tests.conftest import TAREAS

    assert ejecucion.Aislamiento.disponible(), "sin bubblewrap esta prueba no reproduce el aislamiento"
    tarea = TAREAS[0]
    with tempfile.TemporaryDirectory(dir="/tmp", prefix="curso-bajo-tmp-") as tmp:
        raiz = Path(tmp) / "curso"
        shutil.copytree(config.RAIZ, raiz, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "tests"))
        carpeta = Path(tmp) / "calificado"
        guion = (
            "import json, sys; from pathlib import Path\n"
            "from curso import config; from grader.motor import calificacion\n"
            "fuente = config.cuaderno_fuente(sys.argv[1])\n"
            "r = calificacion.calificar_entrega(fuente, fuente, 'alumno', sys.argv[1], Path(sys.argv[2]))\n"
            "print(json.dumps({'raiz': str(config.RAIZ), 'estado': r.estado, 'puntos': r.puntos, 'maximo': r.maximo}))"
        )
        # PYTHONPATH: el calificador y su kernel importan `curso` de la copia bajo /tmp, no del repositorio
        r = subprocess.run([sys.executable, "-c", guion, tarea, str(carpeta)], cwd=raiz, capture_output=True,
                           text=True, env={**os.environ, "PYTHONPATH": str(raiz)}, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        resultado = json.loads(r.stdout.strip().splitlines()[-1])
        assert resultado["raiz"] == str(raiz)
        ejecutado = nbformat.read(carpeta / f"{tarea}.ipynb", 4)
        primera = next(c for c in ejecutado.cells if c.cell_type == "code")
        errores = [f"{s['ename']}: {s['evalue']}" for s in primera.outputs if s.output_type == "error"]
        assert errores == [], f"la primera celda falla con el curso bajo /tmp: {errores}"
        assert "Listo: TensorFlow" in "".join(s.get("text", "") for s in primera.outputs)
        assert resultado["estado"] == "ok" and resultado["puntos"] == resultado["maximo"] > 0


def test_el_kernel_no_hereda_las_variables_de_pytest():
    """Con PYTEST_CURRENT_TEST ipykernel deja de capturar la salida de C: las pruebas verían otro kernel."""
    from grader.alumno import lab

    assert "PYTEST_CURRENT_TEST" in os.environ  # la pone pytest: sin ella esta prueba no probaría nada
    for entorno in (cuadernos.entorno_kernel(), lab.entorno(instructor=False)):
        assert not set(config.VARIABLES_NO_HEREDADAS) & set(entorno)
        assert entorno["HOME"] == os.environ["HOME"]  # lo demás sí se hereda


ESPIA_CLON = INTENTAR + """\
print("PROPIA", os.path.basename(os.path.dirname(os.getcwd())))
print("KERNELS", sorted(os.listdir({kernels!r})))
print("OTRO", intentar(lambda: os.listdir({otro!r})))
print("MADRE", intentar(lambda: os.listdir({madre!r})))
print("TMP", sorted(os.listdir("/tmp")))
print("PROCESOS", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
print("CAPACIDADES", [l.split()[1] for l in open("/proc/self/status") if l.startswith(("CapEff", "CapBnd"))])
print("SYSCTL", intentar(lambda: open("/proc/sys/kernel/hostname", "w").write("x")))
print("DESMONTAR", subprocess.run(["umount", "-l", "/tmp"], capture_output=True).returncode)
print("RED", intentar(lambda: socket.create_connection(("1.1.1.1", 80), timeout=3)))
"""


def _ejecutar(kernel, codigo: str) -> str:
    """Ejecuta ``codigo`` en ``kernel`` y devuelve lo que imprimió."""
    from jupyter_core.utils import run_sync

    cliente = kernel.km.client()
    cliente.start_channels()
    try:
        run_sync(cliente.wait_for_ready)(timeout=config.TIEMPO_ARRANQUE_KERNEL_S)
        peticion, texto = cliente.execute(codigo), ""
        while True:
            msg = run_sync(cliente.get_iopub_msg)(timeout=60)
            if msg["parent_header"].get("msg_id") != peticion:
                continue
            texto += msg["content"].get("text", "") + msg["content"].get("evalue", "")
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return texto
    finally:
        cliente.stop_channels()


def test_clones_de_la_madre_aislados_entre_si():
    """Dos kernels clonados a la vez: ninguno ve la carpeta del otro ni la de la madre (su socket), ni los
    procesos de nadie; sin capacidades, sin red y sin poder destapar /tmp ni tocar el sistema por /proc/sys."""
    from grader.motor.reserva import Reserva
    from grader.nucleo.limites import Limites

    reserva = Reserva(calificacion.aislamiento_para(config.RAIZ, Limites()), tamano=2)
    try:
        reserva.llenar()
        assert reserva.clona(), reserva.madre and reserva.madre.error
        uno, otro = reserva.tomar(), reserva.tomar()
        texto = _ejecutar(uno, ESPIA_CLON.format(kernels=str(cuadernos.DIR_KERNELS), otro=str(otro.privada),
                                                 madre=str(reserva.madre.carpeta)))
        assert _ejecutar(otro, "print(1 + 1)").strip() == "2", "el otro clon funciona a la vez"
        informe = dict(linea.split(" ", 1) for linea in texto.strip().splitlines())
        assert informe["PROPIA"] == uno.privada.name
        assert informe["KERNELS"] == f"[{uno.privada.name!r}]", "solo ve su propia carpeta de kernel"
        assert informe["OTRO"] == "FileNotFoundError" and informe["MADRE"] == "FileNotFoundError"
        # en /tmp: su carpeta, lo que escribe IPython y, si el curso vive bajo /tmp, el curso (solo lectura)
        curso_bajo_tmp = {r.relative_to("/tmp").parts[0] for r in reserva.aislamiento.rutas_bajo_tmp()
                          if r.is_relative_to("/tmp")}
        assert set(eval(informe["TMP"])) <= {uno.privada.parent.name, "ipython", "mpl", *curso_bajo_tmp}
        assert max(eval(informe["PROCESOS"])) < 10, f"ve procesos ajenos: {informe['PROCESOS']}"
        assert eval(informe["CAPACIDADES"]) == ["0000000000000000", "0000000000000000"]
        assert informe["SYSCTL"] in ("OSError", "PermissionError")
        assert informe["DESMONTAR"] != "0"
        assert informe["RED"] == "OSError"
        uno.destruir()
        otro.destruir()
    finally:
        reserva.cerrar()


@pytest.mark.parametrize("clonar", [False, True], ids=["kernel_propio", "clon_de_la_madre"])
def test_los_topes_de_limites_rigen_dentro_del_kernel(clonar):
    """Cada tope por proceso de ``Limites`` (``topes_de_proceso``; hoy, el de memoria) está en vigor dentro del
    kernel, lanzado (``prlimit``) o clonado de la madre (``setrlimit``): un tope nuevo, añadido solo en
    ``grader/nucleo/limites.py``, queda comprobado aquí en los dos caminos."""
    from grader.motor.reserva import Reserva
    from grader.nucleo.limites import Limites

    limites = Limites(memoria_bytes=5 * 1024**3 + 7 * 4096)  # distinto del valor por defecto: no puede coincidir
    topes = limites.topes_de_proceso()
    leer = ("import resource\n"
            f"print({{n: resource.getrlimit(getattr(resource, 'RLIMIT_' + n.upper())) for n in {sorted(topes)!r}}})")
    reserva = Reserva(calificacion.aislamiento_para(config.RAIZ, limites), tamano=0, clonar=clonar)
    try:
        assert reserva.clona() == clonar, "la madre no pudo clonar (su error, arriba en stderr)"
        kernel = reserva.tomar()
        try:
            texto = _ejecutar(kernel, leer)
            # el clon anota su PID al nacer (cuando ya respondió, seguro que existe)
            assert (kernel.privada / ejecucion.ARCHIVO_PID_CLON).exists() == clonar
        finally:
            kernel.destruir()
    finally:
        reserva.cerrar()
    assert eval(texto) == {nombre: (valor, valor) for nombre, valor in topes.items()}, texto
