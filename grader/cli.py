"""Línea de órdenes del curso: ``python -m grader <orden>`` (JupyterLab y herramientas del instructor).

Capa fina sobre las funciones del paquete."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from curso import config
from grader.nucleo import celdas, cuadernos
from grader.nucleo import resultado as registros

_TRADUCCIONES = {
    "usage: ": "uso: ",
    "positional arguments": "argumentos",
    "options": "opciones",
    "show this help message and exit": "muestra esta ayuda y termina",
    "%(prog)s: error: %(message)s\n": "%(prog)s: error: %(message)s\n",
    "the following arguments are required: %s": "faltan estos argumentos: %s",
    "unrecognized arguments: %s": "argumentos desconocidos: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "opción no válida: %(value)r (elige entre %(choices)s)",
    "argument %(argument_name)s: %(message)s": "argumento %(argument_name)s: %(message)s",
    "expected one argument": "se esperaba un valor",
    "invalid %(type)s value: %(value)r": "valor %(type)s no válido: %(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "opción ambigua: %(option)s puede ser %(matches)s",
}
argparse._ = lambda texto: _TRADUCCIONES.get(texto, texto)  # argparse en español


def analizador(prog: str, descripcion: str) -> argparse.ArgumentParser:
    """Un ArgumentParser con la ayuda y los errores en español (para otras órdenes del paquete)."""
    return argparse.ArgumentParser(prog=prog, description=descripcion)


def _tareas(valor: list[str] | None) -> list[str]:
    disponibles = config.tareas()
    if not valor:
        return disponibles
    for tarea in valor:
        if tarea not in disponibles:
            raise SystemExit(f"error: no existe la tarea «{tarea}». Tareas: {', '.join(disponibles)}.")
    return valor


def orden_publicar(args) -> int:
    from grader.mantenimiento import publicacion

    if args.comprobar:
        distintas = publicacion.desfasadas(_tareas(args.tareas))
        if distintas:
            print("notebooks/ no coincide con lo que genera solutions/ en: " + ", ".join(distintas))
            print("Regenera las versiones de los alumnos con `make publicar` y haz commit.")
            return 1
        print("notebooks/ está al día.")
        return 0
    for tarea in _tareas(args.tareas):
        print(f"Publicada {publicacion.publicar(tarea)}")
    return 0


def orden_cabeceras(args) -> int:
    from grader.mantenimiento import cabecera, cierre, fuentes

    if args.comprobar:
        viejas = set(cabecera.desactualizados()) | set(cierre.desactualizados())
        malas = [t for t in config.tareas() if t in viejas] + (
            ["curso/versiones.py"] if cabecera.texto_versiones() !=
            cabecera.ARCHIVO_VERSIONES.read_text(encoding="utf-8") else [])
        if malas:
            print("Cabecera o celdas de progreso distintas de la plantilla en: " + ", ".join(malas)
                  + ". Ejecuta `make cabeceras`.")
            return 1
        print("Todas las cabeceras y celdas de progreso están al día.")
        return 0
    if cabecera.escribir_versiones():
        print("curso/versiones.py actualizado desde requirements.txt.")
    for tarea in config.tareas():
        nb = cuadernos.leer_fuente(tarea)
        if cierre.aplicar(nb) | cabecera.aplicar(nb, tarea):  # las dos: `|` no se salta la segunda
            fuentes.preparar(nb, tarea)
            cuadernos.escribir(nb, config.cuaderno_fuente(tarea))
            print(f"Celdas generadas actualizadas: {tarea} (vuelve a ejecutarlas con `make ejecutar`)")
    return 0


def orden_bloquear(args) -> int:
    from grader.mantenimiento import bloqueo

    if args.comprobar:
        if bloqueo.desfasado():
            print("requirements.txt no es lo que genera requirements.in: ejecuta `make bloquear` y haz commit.")
            return 1
        print("requirements.txt está al día con requirements.in.")
        return 0
    print(f"Escrito {bloqueo.compilar()} (ahora `make cabeceras` y, si cambiaron versiones, `make ejecutar`).")
    return 0


def orden_plataformas(args) -> int:
    from grader.mantenimiento import bloqueo

    return bloqueo.informe()


def orden_lab(args) -> int:
    from grader.alumno import lab

    return lab.ejecutar(instructor=args.instructor, puerto=args.puerto)


def orden_colab(args) -> int:
    import tempfile

    from grader.mantenimiento import colab

    codigo = 0
    for tarea in _tareas(args.tareas):
        with tempfile.TemporaryDirectory(prefix="colab-") as tmp:
            i = colab.simular(tarea, Path(tmp))
        estado = "corre entero" if not i.errores else f"{len(i.errores)} celda(s) con error: {i.errores[:3]}"
        codigo |= bool(i.errores)
        print(f"{tarea}: {estado} en {i.segundos:.1f} s (CPU del kernel {i.cpu_kernel_s:.1f} s); instaló "
              f"{', '.join(i.instalados) or 'nada'} ({i.bytes_instalados / 1024:.0f} KB; pide "
              f"{', '.join(i.requisitos_del_paquete)}); descargó {', '.join(i.descargas) or 'nada'}")
    return codigo


def orden_ultimas(args) -> int:
    from grader.mantenimiento import ultimas

    if args.requisitos:
        print(ultimas.requisitos_sin_fijar(fijas=ultimas.ANTERIORES if args.anteriores else None), end="")
        return 0
    return ultimas.informe(_tareas(args.tareas))


def orden_importar(args) -> int:
    from grader.mantenimiento import fuentes

    print(f"Escrito {fuentes.importar(Path(args.borrador), args.tarea)}")
    return 0


def orden_ejecutar(args) -> int:
    from grader.mantenimiento import fuentes

    codigo = 0
    for tarea in _tareas(args.tareas):
        fallos = fuentes.ejecutar(tarea)
        if fallos:
            codigo = 1
            print(f"{tarea}: {len(fallos)} celda(s) con error; no se guardaron las salidas:")
            for indice, tipo, mensaje in fallos:
                print(f"  celda {indice}: {tipo}: {mensaje}")
        else:
            print(f"{tarea}: ejecutada y guardada con sus salidas.")
    return codigo


def orden_validar(args) -> int:
    from grader.nucleo import validacion

    return validacion.nbval(_tareas(args.tareas))


def orden_calificar(args) -> int:
    from grader.motor import lote
    from grader.nucleo.limites import Limites

    limites = Limites(tiempo_por_celda_s=args.tiempo_por_celda, tiempo_total_s=args.tiempo_total,
                      memoria_bytes=int(args.memoria * 1024**3), salida_por_celda_bytes=args.salida_por_celda * 1024,
                      salida_total_bytes=args.salida_total * 1024, aislar=not args.sin_aislamiento,
                      disco_tmp_bytes=args.disco_tmp * 1024**2, disco_trabajo_bytes=args.disco_trabajo * 1024**2)
    raiz = Path(args.curso).resolve() if args.curso else config.RAIZ
    tareas = _tareas(args.tareas) if not args.curso else (args.tareas or config.tareas(raiz))
    print(lote.calificar_carpeta(Path(args.entregas), tareas=tareas, trabajos=args.trabajos, csv=Path(args.csv),
                                 raiz=raiz, limites=limites, cluster=args.cluster, forzar=args.forzar,
                                 canario=not args.sin_canario))
    return 0


def orden_registrar(args) -> int:
    from grader.motor import lote

    print(lote.reconstruir(config.RAIZ, _tareas(args.tareas), Path(args.csv)))
    return 0


def orden_retroalimentacion(args) -> int:
    from grader.informes import retroalimentacion

    hecho = retroalimentacion.generar(_tareas(args.tareas))
    print(hecho.texto())
    return 1 if hecho.problemas else 0


def orden_exportar(args) -> int:
    from grader.informes import libro

    ruta = libro.exportar_csv(Path(args.csv))
    print(f"Notas exportadas a {ruta} (y, una fila por alumno para Moodle o Canvas, a {libro.ruta_lms(ruta)})")
    return 0


def orden_errores(args) -> int:
    from grader.mantenimiento import mutaciones

    codigo = 0
    for tarea in _tareas(args.tareas):
        base, veredictos = mutaciones.verificar(tarea, trampas=not args.sin_trampas)
        perdidos = [n.ejercicio for n in base if n.puntos is not None and n.puntos != n.maximo]
        if perdidos:
            codigo = 1
            print(f"{tarea}: ¡la solución no obtiene la nota máxima! Falla en: {', '.join(perdidos)}")
        for v in veredictos:
            marca = "ok " if v.ok else "MAL"
            print(f"{tarea} [{marca}] {v.error.ejercicio}: {v.error.descripcion}")
            for problema in v.problemas:
                codigo = 1
                print(f"        {problema}")
        if not veredictos:
            print(f"{tarea}: no hay respuestas erróneas en tests/errores/{tarea}.yml")
    return codigo


def orden_informe(args) -> int:
    from grader.informes import informe
    from grader.mantenimiento import mutaciones

    errores = Path(args.errores) if args.errores else mutaciones.DIR_ERRORES
    ruta = informe.generar(
        Path(args.salida), calificados=Path(args.calificados), entregas=Path(args.entregas),
        lista=Path(args.alumnos) if args.alumnos else None, tareas=args.tareas,
        banco=lambda tarea: mutaciones.cargar(tarea, errores),
    )
    print(informe.texto_resumen(ruta))
    return 0


def orden_comparar(args) -> int:
    from grader.alumno import comparacion

    ruta = Path(args.cuaderno)
    informe = comparacion.comparar(ruta, args.tarea or comparacion.tarea_de(ruta))
    print(comparacion.texto(informe))
    return 0 if informe.ok else 1


def orden_autoevaluar(args) -> int:
    from grader.alumno import autoevaluacion, comparacion

    ruta = Path(args.cuaderno)
    print(autoevaluacion.texto(autoevaluacion.autoevaluar(ruta, args.tarea or comparacion.tarea_de(ruta))))
    return 0


def orden_demo(args) -> int:
    from grader.mantenimiento import demo

    return demo.ejecutar(Path(args.salida), _tareas(args.tareas))


def orden_sitio(args) -> int:
    from grader.mantenimiento import sitio

    print(sitio.texto(sitio.construir(Path(args.salida) if args.salida else None)))
    return 0


def construir_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m grader",
        description="Órdenes del curso de redes neuronales: JupyterLab del alumno y herramientas del instructor "
                    "(publicar, validar, calificar).",
    )
    sub = p.add_subparsers(dest="orden", required=True, metavar="ORDEN", title="órdenes")

    def tareas(sp):
        sp.add_argument("tareas", nargs="*", metavar="TAREA", help="tareas (p. ej. 01_tensores); por defecto, todas")

    s = sub.add_parser("publicar", help="genera las versiones de los alumnos (notebooks/) con nbgrader")
    tareas(s)
    s.add_argument("--comprobar", action="store_true", help="solo comprueba que notebooks/ está al día")
    s.set_defaults(func=orden_publicar)

    s = sub.add_parser("cabeceras",
                       help="escribe las celdas generadas (cabecera y progreso final) en cada cuaderno fuente")
    s.add_argument("--comprobar", action="store_true", help="solo comprueba que todas están al día")
    s.set_defaults(func=orden_cabeceras)

    s = sub.add_parser("lab", help="abre JupyterLab en español: notebooks/ para el alumno (o el curso entero)")
    s.add_argument("--instructor", action="store_true",
                   help="sirve la raíz del curso con las herramientas del instructor (formgrader)")
    s.add_argument("--puerto", type=int, help="puerto del servidor (por defecto, el primero libre desde 8888)")
    s.set_defaults(func=orden_lab)

    s = sub.add_parser("colab", help="abre cada cuaderno del alumno, resuelto, en un Colab simulado sin red")
    tareas(s)
    s.set_defaults(func=orden_colab)

    s = sub.add_parser("ultimas", help="ejecuta cada cuaderno fuente en este entorno (make ultimas: el de lo último "
                                       "de PyPI) y dice si algo se rompe")
    s.add_argument("--requisitos", action="store_true",
                   help="solo imprime las dependencias directas sin versión (para crear ese entorno)")
    s.add_argument("--anteriores", action="store_true",
                   help="con --requisitos: TensorFlow, Keras y NumPy en la versión anterior (make anteriores)")
    tareas(s)
    s.set_defaults(func=orden_ultimas)

    s = sub.add_parser("bloquear", help="genera requirements.txt (versiones exactas) desde requirements.in con uv")
    s.add_argument("--comprobar", action="store_true", help="solo comprueba que requirements.txt está al día")
    s.set_defaults(func=orden_bloquear)

    s = sub.add_parser("plataformas", help="comprueba con PyPI que el bloqueo se instala en Linux, Windows y macOS")
    s.set_defaults(func=orden_plataformas)

    s = sub.add_parser("importar", help="convierte un borrador .py (formato percent) en un cuaderno fuente")
    s.add_argument("borrador", help="archivo .py con celdas «# %%»")
    s.add_argument("tarea", help="nombre de la tarea, p. ej. 02_neurona")
    s.set_defaults(func=orden_importar)

    s = sub.add_parser("ejecutar", help="ejecuta los cuadernos fuente y guarda sus salidas de referencia")
    tareas(s)
    s.set_defaults(func=orden_ejecutar)

    s = sub.add_parser("validar", help="re-ejecuta las fuentes con nbval y compara las salidas marcadas")
    tareas(s)
    s.set_defaults(func=orden_validar)

    s = sub.add_parser("calificar", help="califica una carpeta de entregas (ENTREGAS/<alumno>/<tarea>/<tarea>.ipynb)")
    s.add_argument("entregas", nargs="?", default=str(config.RAIZ / config.DIR_ENTREGAS), help="carpeta de entregas")
    s.add_argument("--tareas", nargs="*", help="tareas a calificar; por defecto, todas")
    s.add_argument("--trabajos", type=int, default=1, help="cuántas entregas calificar a la vez (por defecto 1)")
    s.add_argument("--csv", default="calificaciones.csv",
                   help="CSV de notas (por defecto calificaciones.csv; al lado, calificaciones_lms.csv "
                        "para Moodle/Canvas)")
    s.add_argument("--cluster", metavar="DIRECCION",
                   help="califica con Dask: «local» (un LocalCluster de --trabajos procesos) o tcp://host:8786 "
                        "(trabajadores de un hilo, cada uno con su clon del curso en el mismo commit; las entregas "
                        "viajan como datos)")
    s.add_argument("--forzar", action="store_true", help="vuelve a calificar también las entregas que no cambiaron")
    s.add_argument("--curso", metavar="CARPETA",
                   help="otro directorio de curso (con solutions/; ahí se escriben autograded/ y el libro)")
    s.add_argument("--tiempo-por-celda", type=int, default=config.TIEMPO_POR_CELDA_S, metavar="S",
                   help=f"segundos por celda antes de interrumpirla (por defecto {config.TIEMPO_POR_CELDA_S})")
    s.add_argument("--tiempo-total", type=int, default=config.TIEMPO_POR_CUADERNO_S, metavar="S",
                   help=f"segundos para todas las celdas de una entrega (por defecto {config.TIEMPO_POR_CUADERNO_S})")
    s.add_argument("--memoria", type=float, default=config.MEMORIA_KERNEL_BYTES / 1024**3, metavar="GB",
                   help=f"tope de memoria de cada kernel en GB (por defecto {config.MEMORIA_KERNEL_BYTES / 1024**3:g})")
    s.add_argument("--salida-por-celda", type=int, default=config.SALIDA_POR_CELDA_BYTES // 1024, metavar="KB",
                   help="salida que se guarda de cada celda, en KB (por defecto "
                        f"{config.SALIDA_POR_CELDA_BYTES // 1024})")
    s.add_argument("--salida-total", type=int, default=config.SALIDA_POR_CUADERNO_BYTES // 1024, metavar="KB",
                   help="salida que se guarda de cada entrega, en KB (por defecto "
                        f"{config.SALIDA_POR_CUADERNO_BYTES // 1024})")
    s.add_argument("--disco-tmp", type=int, default=config.DISCO_TMP_BYTES // 1024**2, metavar="MB",
                   help="tope del /tmp propio de cada entrega, en MB (por defecto "
                        f"{config.DISCO_TMP_BYTES // 1024**2})")
    s.add_argument("--disco-trabajo", type=int, default=config.DISCO_TRABAJO_BYTES // 1024**2, metavar="MB",
                   help="tope de la carpeta de trabajo de cada entrega, en MB (por defecto "
                        f"{config.DISCO_TRABAJO_BYTES // 1024**2})")
    from grader.nucleo.limites import SIN_AISLAMIENTO

    s.add_argument("--sin-aislamiento", action="store_true", help=f"califica {SIN_AISLAMIENTO}")
    s.add_argument("--sin-canario", action="store_true",
                   help="no comprueba antes el entorno (por defecto se califican primero la solución y la versión en "
                        "blanco de cada tarea y, si no dan la nota máxima y 0, no se escribe nada)")
    s.set_defaults(func=orden_calificar)

    s = sub.add_parser("registrar",
                       help=f"rehace el libro y los CSV a partir de {config.DIR_CALIFICADOS}/*/*/{registros.NOMBRE}")
    s.add_argument("--tareas", nargs="*", help="tareas; por defecto, todas")
    s.add_argument("--csv", default="calificaciones.csv", help="archivo CSV de notas (por defecto calificaciones.csv)")
    s.set_defaults(func=orden_registrar)

    s = sub.add_parser("retroalimentacion", help="genera el HTML de retroalimentación de cada alumno")
    tareas(s)
    s.set_defaults(func=orden_retroalimentacion)

    s = sub.add_parser("exportar", help="exporta las notas del libro de calificaciones a CSV")
    s.add_argument("--csv", default="notas.csv", help="archivo de salida (por defecto notas.csv)")
    s.set_defaults(func=orden_exportar)

    s = sub.add_parser("errores", help="comprueba que cada respuesta errónea típica pierde solo sus puntos")
    tareas(s)
    s.add_argument("--sin-trampas", action="store_true", help="no probar las trampas (sustituir funciones)")
    s.set_defaults(func=orden_errores)

    s = sub.add_parser("informe", help="informe de la clase (HTML y CSV) a partir de los resultados calificados")
    s.add_argument("--calificados", metavar="CARPETA", default=str(config.RAIZ / config.DIR_CALIFICADOS),
                   help=f"resultados (<alumno>/<tarea>/{registros.NOMBRE}); por defecto {config.DIR_CALIFICADOS}/")
    s.add_argument("--entregas", metavar="CARPETA", default=str(config.RAIZ / config.DIR_ENTREGAS),
                   help=f"entregas: cada subcarpeta es un alumno de la clase; por defecto {config.DIR_ENTREGAS}/")
    s.add_argument("--alumnos", metavar="LISTA.csv",
                   help="CSV con una columna «alumno»: la lista de clase (quien falte cuenta como «sin entrega»)")
    s.add_argument("--tareas", nargs="*", metavar="TAREA", help="cuadernos del informe; por defecto, los calificados")
    s.add_argument("--errores", metavar="CARPETA",
                   help="banco de errores típicos (<tarea>.yml); por defecto el del curso")
    s.add_argument("--salida", metavar="CARPETA", default=str(config.RAIZ / config.DIR_INFORME),
                   help=f"carpeta de la página y los CSV; por defecto {config.DIR_INFORME}/")
    s.set_defaults(func=orden_informe)

    s = sub.add_parser("comparar", help=f"ejecuta un cuaderno y compara sus celdas {celdas.MARCA_NBVAL} con las "
                                        "salidas de referencia de la solución")
    s.add_argument("cuaderno", help="cuaderno a comparar (.ipynb)")
    s.add_argument("--tarea", help="tarea (por defecto, la del nombre del archivo o de su carpeta)")
    s.set_defaults(func=orden_comparar)

    s = sub.add_parser("autoevaluar", help="ejecuta las pruebas visibles de un cuaderno y da los puntos de cada "
                                           "ejercicio (sin pruebas ocultas)")
    s.add_argument("cuaderno", help="cuaderno a autoevaluar (.ipynb)")
    s.add_argument("--tarea", help="tarea (por defecto, la del nombre del archivo o de su carpeta)")
    s.set_defaults(func=orden_autoevaluar)

    s = sub.add_parser("demo", help="recorrido completo del instructor con entregas de ejemplo")
    tareas(s)
    s.add_argument("--salida", default="demo_salida", help="carpeta del curso de demostración")
    s.set_defaults(func=orden_demo)

    s = sub.add_parser("sitio", help="construye el sitio web del curso (sin ejecutar los cuadernos ni usar la red)")
    s.add_argument("--salida", metavar="CARPETA", help=f"carpeta del sitio; por defecto {config.DIR_SITIO}/")
    s.set_defaults(func=orden_sitio)
    return p


def main(argv: list[str] | None = None) -> int:
    args = construir_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        # Errores esperables (carpeta que no existe, cuaderno fuente mal marcado, nbgrader que falla):
        # un mensaje en español, sin traza.
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
