"""Lo común a todos los trabajos, sin kernels aislados: las marcas de las celdas, el registro de resultado,
los límites, la lectura de entregas, la puntuación y la ejecución sencilla de un cuaderno.
"""
