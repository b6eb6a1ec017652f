"""Herramientas del curso de redes neuronales: configuración, cabecera, comprobaciones y calificación.

Los módulos que importan los cuadernos de los alumnos (config, cuaderno, comprobar, datos) solo
dependen de la biblioteca estándar, NumPy, pandas y TensorFlow; el resto es del instructor.
"""
