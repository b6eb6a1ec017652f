"""Línea de órdenes del instructor: ``python -m grader <orden>``. Capa fina sobre las funciones del paquete."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from curso import config

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


def _tareas(valor: list[str] | None) -> list[str]:
    disponibles = config.tareas()
    if not valor:
        return disponibles
    for tarea in valor:
        if tarea not in disponibles:
            raise SystemExit(f"error: no existe la tarea «{tarea}». Tareas: {', '.join(disponibles)}.")
    return valor


def orden_publicar(args) -> int:
    from grader import publicacion

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
    from grader import cabecera, fuentes

    if args.comprobar:
        malas = cabecera.desactualizados() + (["curso/versiones.py"] if cabecera.texto_versiones() !=
                                               cabecera.ARCHIVO_VERSIONES.read_text(encoding="utf-8") else [])
        if malas:
            print("Cabecera distinta de la plantilla en: " + ", ".join(malas) + ". Ejecuta `make cabeceras`.")
            return 1
        print("Todas las cabeceras están al día.")
        return 0
    if cabecera.escribir_versiones():
        print("curso/versiones.py actualizado desde requirements.txt.")
    for tarea in config.tareas():
        nb = fuentes.leer(tarea)
        if cabecera.aplicar(nb, tarea):
            fuentes.preparar(nb, tarea)
            fuentes.escribir(nb, config.cuaderno_fuente(tarea))
            print(f"Cabecera actualizada: {tarea} (vuelve a ejecutarla con `make ejecutar`)")
    return 0


def orden_importar(args) -> int:
    from grader import fuentes

    print(f"Escrito {fuentes.importar(Path(args.borrador), args.tarea)}")
    return 0


def orden_ejecutar(args) -> int:
    from grader import fuentes

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
    from grader import validacion

    return validacion.nbval(_tareas(args.tareas))


def orden_calificar(args) -> int:
    from grader import calificacion

    resumen = calificacion.calificar_carpeta(
        Path(args.entregas), tareas=_tareas(args.tareas), trabajos=args.trabajos, csv=Path(args.csv)
    )
    print(resumen)
    return 0


def orden_retroalimentacion(args) -> int:
    from grader import retroalimentacion

    for ruta in retroalimentacion.generar(_tareas(args.tareas)):
        print(f"Escrita {ruta}")
    return 0


def orden_exportar(args) -> int:
    from grader import libro

    ruta = libro.exportar_csv(Path(args.csv))
    print(f"Notas exportadas a {ruta}")
    return 0


def orden_errores(args) -> int:
    from grader import mutaciones

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


def orden_comparar(args) -> int:
    from grader import comparacion

    ruta = Path(args.cuaderno)
    informe = comparacion.comparar(ruta, args.tarea or comparacion.tarea_de(ruta))
    print(comparacion.texto(informe))
    return 0 if informe.ok else 1


def orden_autoevaluar(args) -> int:
    from grader import autoevaluacion, comparacion

    ruta = Path(args.cuaderno)
    print(autoevaluacion.texto(autoevaluacion.autoevaluar(ruta, args.tarea or comparacion.tarea_de(ruta))))
    return 0


def orden_demo(args) -> int:
    from grader import demo

    return demo.ejecutar(Path(args.salida), _tareas(args.tareas))


def construir_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m grader",
        description="Herramientas del instructor del curso de redes neuronales (publicar, validar, calificar).",
    )
    sub = p.add_subparsers(dest="orden", required=True, metavar="ORDEN", title="órdenes")

    def tareas(sp):
        sp.add_argument("tareas", nargs="*", metavar="TAREA", help="tareas (p. ej. 01_tensores); por defecto, todas")

    s = sub.add_parser("publicar", help="genera las versiones de los alumnos (notebooks/) con nbgrader")
    tareas(s)
    s.add_argument("--comprobar", action="store_true", help="solo comprueba que notebooks/ está al día")
    s.set_defaults(func=orden_publicar)

    s = sub.add_parser("cabeceras", help="escribe la celda de configuración común en cada cuaderno fuente")
    s.add_argument("--comprobar", action="store_true", help="solo comprueba que todas están al día")
    s.set_defaults(func=orden_cabeceras)

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
    s.add_argument("--csv", default="calificaciones.csv", help="archivo CSV de notas (por defecto calificaciones.csv)")
    s.set_defaults(func=orden_calificar)

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

    s = sub.add_parser("comparar", help="ejecuta un cuaderno y compara sus celdas # NBVAL_CHECK_OUTPUT con las "
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
