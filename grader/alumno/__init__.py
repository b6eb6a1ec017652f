"""Lo que ejecuta un alumno: JupyterLab en español, ``comparar`` y ``autoevaluar``. No importa nada del
motor de calificación (``grader.motor``): funciona igual en Windows, macOS y Linux.
"""
