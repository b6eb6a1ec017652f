"""El banco de errores típicos no ejecuta lo que no puede cambiar, pero ninguna fuga se le escapa.

Un cuaderno sintético con dos ejercicios: las pruebas de ``ej99_cociente`` leen ``vista``, que comparte memoria
con ``datos``, y ``escala``, y dividen entre cero (NumPy avisa; con ``np.seterr(all="raise")`` sería un error).
Una respuesta de ``ej99_media`` que modifica ``datos`` o ``escala`` en su sitio, u otra que cambia la
configuración de NumPy, le quita los puntos a ``ej99_cociente``: el banco debe decirlo (como si ejecutara todas
las celdas siguientes) y, después, dejar el kernel como con la solución (la alternativa correcta de
``ej99_cociente`` que va detrás no pierde nada). Cada fuga la ve una de las tres defensas: el análisis de
nombres (``datos`` modificado: su vista, también), la huella de los datos en el kernel (``escala`` modificada
sin nombrarla) y la de las bibliotecas (``np.seterr``).
"""
from __future__ import annotations

from curso import config
from grader.mantenimiento import mutaciones
from grader.nucleo import cuadernos
from tests.conftest import cuaderno_minimo

TAREA = "99_fugas"
REIMPORTAR = 'import sys; sys.modules.pop("curso.comprobar", None); import curso.comprobar as comprobar'
CELDAS = [
    ("markdown", "# 99 · Fugas entre ejercicios"),
    ("code", "# CABECERA"),
    ("code", "import numpy as np\ndatos = np.arange(6.0)\nvista = datos[2:]\nescala = np.ones(4)"),
    ("code", "# EJERCICIO ej99_media\ndef media(v):\n    ### BEGIN SOLUTION\n    return float(np.mean(v))\n"
             "    ### END SOLUTION"),
    ("code", "# PRUEBAS ej99_media (1 punto)\ncomprobar.cercano(media(np.arange(6.0)), 2.5, \"media\")\n"
             f"### BEGIN HIDDEN TESTS\n{REIMPORTAR}\ncomprobar.cercano(media([1.0, 2.0]), 1.5, \"media\")\n"
             "### END HIDDEN TESTS"),
    ("code", "# EJERCICIO ej99_cociente\ndef cociente(a, b):\n    ### BEGIN SOLUTION\n    return a / b\n"
             "    ### END SOLUTION"),
    ("code", "# PRUEBAS ej99_cociente (2 puntos)\n"
             "comprobar.cercano(cociente(vista * escala, 2.0), [1.0, 1.5, 2.0, 2.5], \"cociente(vista, 2.0)\")\n"
             f"### BEGIN HIDDEN TESTS\n{REIMPORTAR}\n"
             "comprobar.verdadero(np.isinf(cociente(np.float64(1.0), np.float64(0.0))), \"1/0 debe dar inf\", "
             "que=\"que 1/0 da inf\")\n"
             "### END HIDDEN TESTS"),
]
ERRORES = [
    mutaciones.Error("ej99_media", "modifica datos en su sitio", "datos -= 1.0\ndef media(v):\n    return 0.0"),
    # Sin nombrar `escala`: el análisis de nombres no lo ve; su huella en el kernel, sí.
    mutaciones.Error("ej99_media", "modifica escala a través de __main__",
                     "import sys\nsys.modules['__main__'].escala[:] = 0\ndef media(v):\n    return 0.0"),
    mutaciones.Error("ej99_media", "cambia la configuración de NumPy",
                     "np.seterr(all='raise')\ndef media(v):\n    return 0.0"),
    mutaciones.Error("ej99_media", "devuelve la suma", "def media(v):\n    return float(np.sum(v))"),
    mutaciones.Error("ej99_cociente", "división entera", "def cociente(a, b):\n    return a // b"),
    mutaciones.Error("ej99_cociente", "otra forma", "def cociente(a, b):\n    return np.true_divide(a, b)",
                     correcta=True),
]


def test_una_respuesta_que_rompe_otro_ejercicio_se_ve_y_el_kernel_vuelve_a_la_solucion(tmp_path):
    cuadernos.escribir(cuaderno_minimo(CELDAS, TAREA), config.cuaderno_fuente(TAREA, tmp_path))
    base, veredictos = mutaciones.verificar(TAREA, ERRORES, trampas=False, raiz=tmp_path, trabajos=1)
    assert [(n.ejercicio, n.puntos) for n in base] == [("ej99_media", 1), ("ej99_cociente", 2)]
    problemas = {v.error.descripcion: " ".join(v.problemas) for v in veredictos}
    assert "ej99_cociente también perdió puntos" in problemas["modifica datos en su sitio"]
    assert "ej99_cociente también perdió puntos" in problemas["modifica escala a través de __main__"]
    assert "ej99_cociente también perdió puntos" in problemas["cambia la configuración de NumPy"]
    assert problemas["devuelve la suma"] == problemas["división entera"] == problemas["otra forma"] == ""
