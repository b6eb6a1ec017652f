"""Herramientas del instructor del curso de redes neuronales: publicar, ejecutar, validar y calificar.

El paquete del alumno (configuración, cabecera, comprobaciones y datos) es ``curso``; este paquete lo usa
pero los cuadernos de los alumnos nunca importan ``grader``.
"""
