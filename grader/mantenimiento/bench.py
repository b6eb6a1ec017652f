"""`make bench`: tiempos del curso y de calificar una clase entera (no es una prueba: mide e informa).

1. Cada cuaderno completo (objetivo < 180 s) y calificar su solución una vez, en frío.
2. Una clase sintética (``--alumnos`` alumnos x los cuadernos que haya en ``solutions/``, mezcla de soluciones,
   errores típicos del banco, versiones en blanco y archivos rotos) calificada en la misma ejecución por
   ``nbgrader autograde`` en serie (sin nada nuestro), entrega a entrega en frío (cada una sola, con su
   kernel lanzado en el momento) y por ``python -m grader calificar --trabajos N``. Informa tiempos de pared y
   de CPU, la razón entre nbgrader y el lote, el ideal (suma de los tiempos de cada entrega sola ÷ núcleos),
   el coste fijo por cuaderno antes (kernel en frío) y después (reserva de kernels clonados) y si las notas de las
   entregas honestas coinciden con las de nbgrader.

Objetivos en 2 núcleos: ≥ 2,5x nbgrader, a menos de un 15 % del ideal, ≤ 0,5 s de coste fijo por cuaderno.
"""
from __future__ import annotations

import copy
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import psutil
from jupyter_core.utils import run_sync

from curso import config
from grader import cli
from grader.mantenimiento import mutaciones
from grader.motor import calificacion, lote
from grader.nucleo import cuadernos
from grader.nucleo import resultado as registros
from grader.nucleo.limites import Limites

OBJETIVO_CUADERNO_S = 180
OBJETIVO_RAZON = 2.5
OBJETIVO_IDEAL = 0.15
OBJETIVO_FIJO_S = 0.5


def _cpu_hijos() -> float:
    uso = resource.getrusage(resource.RUSAGE_CHILDREN)
    return uso.ru_utime + uso.ru_stime


def _medir(orden: list[str], **kw) -> tuple[float, float, subprocess.CompletedProcess]:
    """(pared, CPU de todo el árbol de procesos, resultado) de una orden."""
    cpu, inicio = _cpu_hijos(), time.monotonic()
    r = subprocess.run(orden, capture_output=True, text=True, **kw)
    return time.monotonic() - inicio, _cpu_hijos() - cpu, r


def tiempos_de_cuadernos() -> bool:
    """Tiempo de cada cuaderno completo y de calificar su solución en frío. True si todos cumplen."""
    print(f"{'tarea':<20} {'cuaderno completo':>18} {'calificar solución':>19}")
    bien = True
    for tarea in config.tareas():
        fuente = config.cuaderno_fuente(tarea)
        nb = nbformat.read(fuente, as_version=4)
        with tempfile.TemporaryDirectory() as tmp:
            inicio = time.monotonic()
            cuadernos.ejecutar(copy.deepcopy(nb), fuente.parent, omitir=False)
            completo = time.monotonic() - inicio
            inicio = time.monotonic()
            calificacion.calificar_entrega(fuente, fuente, "bench", tarea, Path(tmp))
            calificar = time.monotonic() - inicio
        bien &= completo <= OBJETIVO_CUADERNO_S
        print(f"{tarea:<20} {completo:>16.1f} s {calificar:>17.1f} s")
    return bien


# ---------------------------------------------------------------- la clase sintética

TIPOS = ["solucion"] * 10 + ["error"] * 5 + ["blanco"] * 2 + ["roto", "script", "vacio"]
HONESTOS = ("solucion", "error", "blanco")


def crear_curso(raiz: Path, tareas: list[str]) -> None:
    """Un directorio de curso como el del repositorio (fuentes y configuración) publicado con nbgrader."""
    raiz.mkdir(parents=True)
    for enlace in ("grader", "data", "curso"):
        (raiz / enlace).symlink_to(config.RAIZ / enlace)
    shutil.copy(config.RAIZ / "nbgrader_config.py", raiz)
    for tarea in tareas:
        shutil.copytree(config.cuaderno_fuente(tarea).parent, raiz / config.DIR_FUENTES / tarea)
        _nbgrader(raiz, "generate_assignment", tarea)


def crear_clase(raiz: Path, tareas: list[str], alumnos: int) -> dict[tuple[str, str], str]:
    """Entregas de ``alumnos`` alumnos; devuelve el tipo de cada (alumno, tarea). Los tipos se reparten en
    proporción a ``TIPOS`` sobre todas las entregas de la clase (también con menos de ``len(TIPOS)`` alumnos)."""
    tipos = {}
    for tarea in tareas:
        fuente = config.cuaderno_fuente(tarea)
        errores = [e for e in mutaciones.cargar(tarea) if not e.correcta]
        for i in range(alumnos):
            alumno = f"alumno{i:02d}"
            tipo = TIPOS[(i * len(tareas) + tareas.index(tarea)) % len(TIPOS)]
            destino = raiz / config.DIR_ENTREGAS / alumno / tarea / f"{tarea}.ipynb"
            destino.parent.mkdir(parents=True, exist_ok=True)
            if tipo == "solucion":
                shutil.copy(fuente, destino)
            elif tipo == "error":
                from grader.mantenimiento.demo import _con_error

                nbformat.write(_con_error(fuente, errores[i % len(errores)]), destino)
            elif tipo == "blanco":
                shutil.copy(config.cuaderno_publicado(tarea), destino)
            elif tipo == "roto":
                destino.write_text(fuente.read_text(encoding="utf-8")[:3000], encoding="utf-8")
            elif tipo == "script":
                destino.write_text("# %%\nimport numpy as np\nprint(np.ones(3))\n", encoding="utf-8")
            else:
                destino.write_text("", encoding="utf-8")
            tipos[(alumno, tarea)] = tipo
    return tipos


def _entorno() -> dict[str, str]:
    bin_entorno = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bin_entorno + os.pathsep + os.environ.get("PATH", "")}


def _nbgrader(raiz: Path, *args) -> tuple[float, float, subprocess.CompletedProcess]:
    return _medir([str(Path(sys.executable).parent / "nbgrader"), *args], cwd=raiz, env=_entorno())


def _grader(raiz: Path, *args) -> tuple[float, float, subprocess.CompletedProcess]:
    return _medir([sys.executable, "-m", "grader", "calificar", str(raiz / config.DIR_ENTREGAS), "--curso", str(raiz),
                   "--csv", str(raiz / "calificaciones.csv"), *args], cwd=config.RAIZ, env=_entorno())


def notas_nbgrader(raiz: Path) -> dict[tuple[str, str, str], float]:
    from nbgrader.api import Gradebook

    notas = {}
    with Gradebook(f"sqlite:///{raiz / config.LIBRO}", config.CURSO_ID) as gb:
        for tarea in gb.assignments:
            for entrega in gb.assignment_submissions(tarea.name):
                for cuaderno in entrega.notebooks:
                    for nota in cuaderno.grades:
                        notas[(entrega.student.id, tarea.name, nota.name)] = nota.auto_score
    return notas


def clase(alumnos: int, trabajos: int) -> bool:
    """Mide la clase sintética. True si se cumplen los objetivos."""
    tareas = config.tareas()
    nucleos = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-clase-") as tmp:
        base = Path(tmp) / "base"
        crear_curso(base, tareas)
        tipos = crear_clase(base, tareas, alumnos)
        print(f"\nClase sintética: {alumnos} alumnos x {len(tareas)} cuadernos = {len(tipos)} entregas "
              f"({', '.join(f'{sum(t == x for t in tipos.values())} {x}' for x in dict.fromkeys(TIPOS))}); "
              f"{nucleos} núcleos.")
        copias = {nombre: Path(tmp) / nombre for nombre in ("nbgrader", "serie", "lote")}
        for destino in copias.values():
            shutil.copytree(base, destino, symlinks=True)

        pared_nb, cpu_nb = 0.0, 0.0
        for tarea in tareas:
            p, c, r = _nbgrader(copias["nbgrader"], "autograde", tarea)
            pared_nb, cpu_nb = pared_nb + p, cpu_nb + c
        print(f"  nbgrader autograde en serie:        {pared_nb:7.1f} s de pared, {cpu_nb:7.1f} s de CPU")

        solos = _solos(copias["serie"], tipos)
        print(f"  cada entrega sola, kernel en frío:  {sum(r.segundos for r in solos):7.1f} s de pared en total")

        p_lote, c_lote, r = _grader(copias["lote"], "--trabajos", str(trabajos))
        if r.returncode != 0:
            print(r.stdout[-2000:], r.stderr[-2000:])
            return False
        resultados = lote.leer_resultados(copias["lote"], tareas)
        c_lote += sum(r.segundos_cpu_kernel for r in resultados)  # kernels terminados sin esperarlos
        print(f"  grader calificar --trabajos {trabajos}:      {p_lote:7.1f} s de pared, {c_lote:7.1f} s de CPU")

        ideal = sum(r.segundos for r in solos) / nucleos
        razon = pared_nb / p_lote
        exceso = p_lote / ideal - 1
        calificadas = [r for r in resultados if r.estado not in ("archivo_invalido", "sin_entrega")]
        fijo, espera = _media(calificadas, "segundos_fijos"), _media(calificadas, "segundos_espera_kernel")
        en_frio = [r for r in solos if r.estado not in ("archivo_invalido", "sin_entrega")]
        frio, espera_frio = _media(en_frio, "segundos_fijos"), _media(en_frio, "segundos_espera_kernel")
        planas = notas_nbgrader(copias["nbgrader"])
        distintas = [(r.alumno, r.tarea, n.grade_id, planas.get((r.alumno, r.tarea, n.grade_id)), n.puntos)
                     for r in resultados if tipos[(r.alumno, r.tarea)] in HONESTOS
                     for n in r.notas if n.puntos is not None
                     and planas.get((r.alumno, r.tarea, n.grade_id)) != n.puntos]
        honestas = sum(tipos[(r.alumno, r.tarea)] in HONESTOS for r in resultados)

        print(f"  razón nbgrader / grader:            {razon:7.2f}x   (objetivo ≥ {OBJETIVO_RAZON}x)")
        print(f"  ideal (Σ tiempos solos ÷ {nucleos}):       {ideal:7.1f} s   lote: {exceso:+.0%} "
              f"(objetivo ≤ +{OBJETIVO_IDEAL:.0%})")
        print(f"  coste fijo por cuaderno:            antes (kernel en frío) {frio:.2f} s, "
              f"después (reserva de clones) {fijo:.2f} s   (objetivo ≤ {OBJETIVO_FIJO_S} s)")
        kernel_cpu, madre_cpu = cpu_arranque()
        print(f"    de él, esperando al kernel:       antes {espera_frio:.2f} s, después {espera:.2f} s; "
              f"un kernel de la reserva cuesta {kernel_cpu:.2f} s de CPU hasta que responde "
              f"(su madre importó las bibliotecas una vez por trabajador: {madre_cpu:.1f} s)")
        print(f"  notas de las {honestas} entregas honestas iguales a las de nbgrader: "
              + ("sí" if not distintas else f"NO, {len(distintas)} distintas: {distintas[:5]}"))
        bien = razon >= OBJETIVO_RAZON and exceso <= OBJETIVO_IDEAL and fijo <= OBJETIVO_FIJO_S and not distintas
        print("  objetivos: " + ("cumplidos" if bien else "NO cumplidos (la máquina estaba ocupada: "
                                 "compara también los tiempos de CPU)"))
        return bien


def _media(resultados: list, campo: str) -> float:
    return sum(getattr(r, campo) for r in resultados) / max(1, len(resultados))


def cpu_arranque() -> tuple[float, float]:
    """Segundos de CPU de un kernel de la reserva hasta que responde y los de su madre (importar las bibliotecas
    del curso, una vez por trabajador). Si no se puede clonar, el kernel las importa: madre 0."""
    from grader.motor.reserva import Reserva

    reserva = Reserva(calificacion.aislamiento_para(config.RAIZ, Limites()), tamano=0)
    try:
        madre = 0.0
        if reserva.clona():
            raiz = psutil.Process(reserva.madre.proceso.pid)
            madre = sum(sum(p.cpu_times()[:2]) for p in [raiz, *raiz.children(recursive=True)])
        kernel = reserva.tomar()
        try:
            cliente = kernel.km.client()
            cliente.start_channels()
            run_sync(cliente.wait_for_ready)(timeout=config.TIEMPO_ARRANQUE_KERNEL_S)
            cliente.stop_channels()
            return kernel.cpu(), madre
        finally:
            kernel.destruir()
    finally:
        reserva.cerrar()


def _solos(raiz: Path, tipos: dict) -> list[registros.Resultado]:
    """Cada entrega calificada sola, una tras otra, con un kernel lanzado en el momento (sin reserva)."""
    resultados = []
    for (alumno, tarea) in tipos:
        entrega = raiz / config.DIR_ENTREGAS / alumno / tarea / f"{tarea}.ipynb"
        resultados.append(calificacion.calificar_entrega(entrega, config.cuaderno_fuente(tarea, raiz), alumno, tarea,
                                                         lote.carpeta_resultado(raiz, alumno, tarea)))
    return resultados


def main(argv: list[str] | None = None) -> int:
    p = cli.analizador("python -m grader.mantenimiento.bench", "Mide tiempos del curso y del calificador.")
    p.add_argument("--alumnos", type=int, default=20, help="alumnos de la clase sintética (por defecto 20)")
    p.add_argument("--trabajos", type=int, default=os.cpu_count() or 2, help="trabajos a la vez del lote")
    p.add_argument("--sin-cuadernos", action="store_true", help="mide solo la clase sintética")
    args = p.parse_args(argv)
    bien = True if args.sin_cuadernos else tiempos_de_cuadernos()
    bien &= clase(args.alumnos, args.trabajos)
    return 0 if bien else 1


if __name__ == "__main__":
    raise SystemExit(main())
