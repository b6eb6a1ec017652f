"""Lo que hace la cabecera de cada cuaderno: silencio de TensorFlow, semilla, gráficos, avisos de
versión y errores explicados en español."""
from __future__ import annotations

import importlib.metadata
import logging
import os
import warnings

from curso import comprobar, config, mensajes, versiones


def _version_instalada(paquete: str) -> str:
    for nombre in (paquete, paquete.replace("_cpu", "")):  # en Colab y macOS se llama «tensorflow»
        try:
            return importlib.metadata.version(nombre)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "no instalado"


def avisos_de_version() -> list[str]:
    """Frases en español para cada paquete vigilado cuya versión no es aquella con la que se probó el curso."""
    avisos = []
    for paquete, probada in versiones.PROBADO_CON.items():
        instalada = _version_instalada(paquete)
        if instalada != probada:
            avisos.append(f"{paquete.replace('_cpu', '')} {instalada} (el curso se probó con {probada})")
    return avisos


def silenciar_tensorflow() -> None:
    """Evita los mensajes de registro de TensorFlow y de absl (van a stderr)."""
    for variable, valor in config.ENTORNO_KERNEL.items():
        os.environ.setdefault(variable, valor)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def fijar_semilla(semilla: int = config.SEMILLA) -> None:
    """Misma semilla para Python, NumPy y TensorFlow, y operaciones deterministas."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(semilla)
    tf.config.experimental.enable_op_determinism()


def estilo_graficos() -> None:
    """Tamaño y estilo común de las figuras."""
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.figsize": (6, 4), "figure.dpi": 90, "axes.grid": True, "grid.alpha": 0.3})


def _mostrar_error(shell, tipo, valor, traza, tb_offset=None):
    """Muestra un error con una explicación en español delante (o solo su mensaje si es un ``Fallo``)."""
    if hasattr(valor, "_render_traceback_"):
        lineas = valor._render_traceback_()
    else:
        lineas = shell.InteractiveTB.structured_traceback(tipo, valor, traza, tb_offset=tb_offset)
        explicacion = mensajes.explicar(tipo.__name__, str(valor))
        if explicacion:
            lineas = [f"\x1b[33m→ {explicacion}\x1b[0m", *lineas]
    shell._showtraceback(tipo, valor, lineas)


def integrar_con_ipython() -> None:
    """En Jupyter o Colab: errores explicados en español y lista de comprobaciones vacía en cada celda."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "_showtraceback"):
        return
    shell.set_custom_exc((Exception,), _mostrar_error)
    if comprobar.olvidar not in shell.events.callbacks["pre_run_cell"]:
        shell.events.register("pre_run_cell", comprobar.olvidar)


def preparar(semilla: int = config.SEMILLA) -> None:
    """Deja el cuaderno listo: sin ruido de TF, semilla, gráficos, errores en español y aviso de versiones."""
    silenciar_tensorflow()
    import keras
    import numpy as np
    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)
    fijar_semilla(semilla)
    np.set_printoptions(precision=4, suppress=True)
    estilo_graficos()
    integrar_con_ipython()
    avisos = avisos_de_version()
    if avisos:
        print("AVISO: versiones distintas de las del curso: " + "; ".join(avisos) + ".")
        print("Los resultados pueden variar un poco respecto a los de referencia.")
    print(f"Listo: TensorFlow {tf.__version__}, Keras {keras.__version__}, NumPy {np.__version__}, semilla {semilla}.")
