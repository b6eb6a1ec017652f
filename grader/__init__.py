"""Herramientas del instructor del curso de redes neuronales: publicar, ejecutar, validar y calificar.

El paquete del alumno (configuración, cabecera, comprobaciones y datos) es ``curso``; este paquete lo usa
pero los cuadernos de los alumnos nunca importan ``grader``.

Al importarse silencia TensorFlow en su propio proceso (``config.ENTORNO_TF``, si no se fijó antes), como en los
kernels: así ``python -m grader``, ``make`` y pytest no repiten esas variables en ningún otro sitio.
"""
import os

from curso import config

for _variable, _valor in config.ENTORNO_TF.items():
    os.environ.setdefault(_variable, _valor)
