"""Sondeo que corre DENTRO del kernel del alumno, al final de cada celda de pruebas.

El calificador no importa este archivo en el kernel: inyecta su texto (``integridad.codigo_ficha``) en la
celda de pruebas, después de las pruebas, con tres nombres ya definidos:

- ``__ficha__``: la ficha aleatoria de esa celda (solo la conoce el proceso del calificador);
- ``__valor__``: el valor de la última expresión de la celda (la nota parcial de un cuestionario) o None;
- ``__confiables__``: carpetas cuyo código es de confianza (la biblioteca estándar, site-packages y ``curso``).

Publica la ficha con la lista de anomalías encontradas: ganchos de IPython, de ``sys`` o de ``builtins``
(transformadores de entrada, manejadores de excepciones, ``displayhook``, callbacks de eventos…) cuyo código
no viene de esas carpetas, es decir, que se definieron en el propio cuaderno. Solo biblioteca estándar e
IPython. Es una señal barata, no una garantía: código escrito a propósito para engañarlo puede falsearla.
"""
import builtins as _builtins
import functools as _functools
import sys as _sys
import types as _types

MIME = "application/vnd.curso.ficha+json"

_C = (_types.BuiltinFunctionType, _types.BuiltinMethodType, _types.WrapperDescriptorType,
      _types.MethodWrapperType, _types.MethodDescriptorType, _types.ClassMethodDescriptorType)
_TIPOS = {"bool": bool, "int": int, "float": float, "str": str, "tuple": tuple, "list": list, "dict": dict,
          "type": type, "object": object, "BaseException": BaseException, "Exception": Exception,
          "AssertionError": AssertionError}
_FUNCIONES = ("print", "exec", "eval", "compile", "isinstance", "issubclass", "len", "repr", "getattr",
              "setattr", "hasattr", "callable", "__import__", "abs", "round", "sum", "min", "max", "all", "any")
_METODOS_SHELL = ("run_cell", "run_cell_async", "run_code", "run_ast_nodes", "transform_cell", "transform_ast",
                  "showtraceback", "_showtraceback", "showsyntaxerror", "should_run_async", "ex", "ev")
_METODOS_KERNEL = ("do_execute", "execute_request", "send_response")
_MODULOS = ("numpy", "numpy.testing", "curso", "curso.comprobar", "IPython", "ipykernel")


def _origen(objeto):
    """Archivo donde está el código de ``objeto``; None si es código C de Python."""
    objeto = getattr(objeto, "__func__", objeto)
    while isinstance(objeto, _functools.partial):
        objeto = objeto.func
    codigo = getattr(objeto, "__code__", None)
    if codigo is not None:  # los módulos congelados de la biblioteca estándar no tienen archivo
        return None if codigo.co_filename.startswith("<frozen ") else codigo.co_filename
    if isinstance(objeto, _C):
        return None
    clase = objeto if isinstance(objeto, type) else type(objeto)
    modulo = _sys.modules.get(clase.__module__)
    archivo = getattr(modulo, "__file__", None)
    if archivo is None and getattr(getattr(modulo, "__spec__", None), "origin", None) in ("built-in", "frozen"):
        return None
    return archivo or f"<{clase.__module__}>"


def _confiable(objeto, confiables) -> bool:
    origen = _origen(objeto)
    return origen is None or any(origen.startswith(c) for c in confiables)


def _nombre(objeto) -> str:
    return getattr(objeto, "__qualname__", None) or type(objeto).__name__


def anomalias(shell, confiables) -> list:
    """Ganchos definidos fuera del código de confianza (frases cortas en español)."""
    encontradas = []

    def revisar(que, objeto):
        if objeto is not None and not _confiable(objeto, confiables):
            encontradas.append(f"{que} ({_nombre(objeto)})")

    for nombre, tipo_real in _TIPOS.items():
        if getattr(_builtins, nombre, None) is not tipo_real:
            encontradas.append(f"builtins.{nombre} reemplazado")
    for nombre in _FUNCIONES:
        if not isinstance(getattr(_builtins, nombre, None), _C):
            encontradas.append(f"builtins.{nombre} reemplazado")
    for nombre in _MODULOS:
        modulo = _sys.modules.get(nombre)
        if modulo is not None and not any(str(getattr(modulo, "__file__", "")).startswith(c) for c in confiables):
            encontradas.append(f"módulo {nombre} sustituido")
    for que in ("excepthook", "displayhook"):
        revisar(f"sys.{que}", getattr(_sys, que))
    revisar("sys.settrace", _sys.gettrace())
    revisar("sys.setprofile", _sys.getprofile())
    for buscador in list(_sys.meta_path) + list(_sys.path_hooks):
        revisar("buscador de módulos", buscador)
    for flujo in ("stdout", "stderr"):
        revisar(f"sys.{flujo}", getattr(_sys, flujo))
        revisar(f"sys.{flujo}.write", getattr(getattr(_sys, flujo), "write", None))
    if shell is None:
        return encontradas + ["no hay shell de IPython"]
    gestor = getattr(shell, "input_transformer_manager", None)
    listas = {
        "transformador de entrada": list(getattr(shell, "input_transformers_cleanup", []))
        + list(getattr(gestor, "cleanup_transforms", [])) + list(getattr(gestor, "line_transforms", []))
        + list(getattr(gestor, "token_transformers", [])),
        "transformador de entrada posterior": list(getattr(shell, "input_transformers_post", [])),
        "transformador del AST": list(getattr(shell, "ast_transformers", [])),
    }
    for que, lista in listas.items():
        for transformador in lista:
            revisar(que, transformador)
            revisar(que, getattr(transformador, "visit", None))
            revisar(que, getattr(transformador, "transform", None))
    for evento, callbacks in getattr(getattr(shell, "events", None), "callbacks", {}).items():
        for callback in callbacks:
            revisar(f"callback del evento {evento}", callback)
    if getattr(shell, "custom_exceptions", ()):
        manejador = getattr(shell, "CustomTB", None)
        revisar("manejador de excepciones", manejador)
        for celda in getattr(getattr(manejador, "__func__", None), "__closure__", None) or ():
            contenido = celda.cell_contents
            if callable(contenido):
                revisar("manejador de excepciones", contenido)
    for nombre in _METODOS_SHELL:
        revisar(f"shell.{nombre}", getattr(shell, nombre, None))
    for que in ("displayhook", "display_pub", "InteractiveTB", "SyntaxTB"):
        objeto = getattr(shell, que, None)
        revisar(f"shell.{que}", objeto)
        for metodo in ("__call__", "publish", "structured_traceback", "write_output_prompt", "write_format_data"):
            revisar(f"shell.{que}.{metodo}", getattr(objeto, metodo, None))
    kernel = getattr(shell, "kernel", None)
    for nombre in _METODOS_KERNEL:
        revisar(f"kernel.{nombre}", getattr(kernel, nombre, None))
    revisar("kernel.session.send", getattr(getattr(kernel, "session", None), "send", None))
    return encontradas


def informar(ficha, valor, confiables) -> None:
    """Publica la ficha, el valor (repr) y las anomalías como una salida propia que el calificador recoge."""
    from IPython import get_ipython
    from IPython.display import publish_display_data

    datos = {"ficha": ficha, "valor": None if valor is None else repr(valor),
             "anomalias": anomalias(get_ipython(), confiables)}
    publish_display_data({MIME: datos})


if "__ficha__" in globals():  # inyectado por el calificador
    informar(__ficha__, __valor__, __confiables__)  # noqa: F821
