"""Versiones con las que se ejecutó el curso por última vez (generado por `python -m grader cabeceras`
desde requirements.txt; no lo edites)."""

PROBADO_CON = {'tensorflow_cpu': '2.21.0', 'keras': '3.15.1', 'numpy': '2.4.6'}
