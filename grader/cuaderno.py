"""Lo que la cabecera de cada cuaderno llama: versiones, semilla, silencio de TensorFlow y gráficos."""
from __future__ import annotations

import importlib.metadata
import logging
import os
import warnings

from grader import config


def _aviso_versiones() -> list[str]:
    """Frases en español para cada paquete vigilado cuya versión no es la fijada."""
    fijadas = config.versiones_fijadas()
    avisos = []
    for paquete in config.PAQUETES_VIGILADOS:
        esperada = fijadas.get(paquete)
        try:
            instalada = importlib.metadata.version(paquete)
        except importlib.metadata.PackageNotFoundError:
            if paquete == "tensorflow_cpu":  # en Colab se llama «tensorflow»
                instalada = importlib.metadata.version("tensorflow")
            else:
                instalada = "no instalado"
        if esperada and instalada != esperada:
            avisos.append(f"{paquete} {instalada} (el curso está probado con {esperada})")
    return avisos


def silenciar_tensorflow() -> None:
    """Evita los mensajes de registro de TensorFlow y de absl (van a stderr)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
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


def preparar(semilla: int = config.SEMILLA) -> None:
    """Deja el cuaderno listo: sin ruido de TF, semilla fijada, estilo de gráficos y aviso de versiones."""
    silenciar_tensorflow()
    import keras
    import numpy as np
    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)
    fijar_semilla(semilla)
    np.set_printoptions(precision=4, suppress=True)
    estilo_graficos()
    avisos = _aviso_versiones()
    if avisos:
        print("AVISO: versiones distintas de las del curso: " + "; ".join(avisos) + ".")
        print("Los resultados pueden variar un poco respecto a los de referencia.")
    print(f"Listo: TensorFlow {tf.__version__}, Keras {keras.__version__}, NumPy {np.__version__}, semilla {semilla}.")
