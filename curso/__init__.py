"""Paquete del alumno del curso de redes neuronales: preparación del cuaderno, comprobaciones y datos.

Se instala sin TensorFlow ni herramientas del instructor (``pip install "git+<repositorio>"``); la cabecera
de cada cuaderno lo importa. Las herramientas del instructor están en ``grader``.
"""
from curso import comprobar
from curso.comprobar import sin_resolver
from curso.datos import cargar as cargar_datos
from curso.entorno import preparar

__all__ = ["cargar_datos", "comprobar", "preparar", "sin_resolver"]
