"""Lo que se hace con los resultados: libro de calificaciones de nbgrader, informe de la clase y
retroalimentación de cada alumno (sin pruebas ocultas).
"""
