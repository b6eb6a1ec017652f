"""Qué celdas vuelve a ejecutar el banco de errores típicos (``grader.mantenimiento.dependencias``), sin kernel.

Las celdas son un cuaderno pequeño escrito aquí; lo que el kernel diría de sus globales (``Catalogo``), también.
Lo que importa: una respuesta que modifica un dato en su sitio (directamente, por un alias o por una vista que
comparte memoria) hace volver a ejecutar lo que lee ese dato, y lo que no puede cambiar no se ejecuta.
"""
from __future__ import annotations

import pytest

from grader.mantenimiento.dependencias import Catalogo, Dependencias, analizar

CELDAS = {
    0: "import numpy as np\ndatos = np.arange(6.0)\nvista = datos[2:]\nlista = [datos]",
    1: "def media(v):\n    return float(np.mean(v))",  # ejercicio A
    2: "assert media(np.array([1.0, 3.0])) == 2.0",  # pruebas de A
    3: "def cociente(a, b):\n    return a / b",  # ejercicio B
    4: "assert list(cociente(np.ones(2), 2.0)) == [0.5, 0.5]",  # pruebas de B: no lee nada de A ni los datos
    5: "def total():\n    return float(datos.sum())",  # ejercicio C: lee `datos` al llamarse
    6: "assert total() == 15.0",
    7: "assert vista.sum() == 14.0",
    8: "assert len(lista[0]) == 6",
}
CATALOGO = Catalogo(
    tipos={"np": "modulo", "datos": "arreglo", "vista": "arreglo", "lista": "objeto", "media": "codigo",
           "cociente": "codigo", "total": "codigo"},
    origenes={"np": "numpy", "media": "__main__.media", "cociente": "__main__.cociente", "total": "__main__.total"},
    comparten=[{"datos", "vista"}],  # la vista comparte memoria con datos
)


@pytest.fixture(scope="module")
def deps() -> Dependencias:
    return Dependencias(CELDAS, CATALOGO)


def _plan(deps, i, codigo, hasta=8):
    resultado = deps.plan(i, codigo, hasta)
    assert resultado is not None
    return resultado[0]


def test_una_respuesta_que_no_toca_datos_solo_ejecuta_su_ejercicio(deps):
    assert _plan(deps, 1, "def media(v):\n    return float(np.median(v))") == [1, 2]
    assert _plan(deps, 3, "def cociente(a, b):\n    return a // b") == [3, 4]


@pytest.mark.parametrize("codigo", [
    "datos *= 0\ndef media(v):\n    return 0.0",  # el dato en su sitio, en la celda
    "def media(v):\n    datos[0] = 99\n    return 0.0",  # al llamarla (lo hacen sus pruebas)
    "vista[:] = 0\ndef media(v):\n    return 0.0",  # por una vista que comparte memoria
    "lista[0][0] = 99\ndef media(v):\n    return 0.0",  # por un contenedor que lo lleva dentro
    "otro = datos\notro += 1\ndef media(v):\n    return 0.0",  # por un alias nuevo
])
def test_modificar_un_dato_en_su_sitio_vuelve_a_ejecutar_lo_que_lo_lee(deps, codigo):
    plan = _plan(deps, 1, codigo)
    assert {6, 7, 8} <= set(plan), plan  # total(), vista y lista leen el objeto de datos
    assert 4 not in plan  # las pruebas de B no leen nada que pueda haber cambiado


def test_lo_que_la_respuesta_deja_distinto_se_restaura_desde_la_celda_que_lo_creo(deps):
    plan, estado = deps.plan(1, "datos *= 0\ndef media(v):\n    return 0.0", 8)
    restauracion = deps.restauracion(estado)
    assert restauracion[0] == 0 and 1 in restauracion  # datos y vista vuelven a crearse; la solución de A, también
    assert deps.restauracion(deps.plan(3, "def cociente(a, b):\n    return 0", 8)[1]) == [3]


def test_un_nombre_que_otra_celda_vuelve_a_ligar_despues_se_lee_en_su_version():
    """Las pruebas leen `umbral` de la celda 0, pero al final del cuaderno vale lo de la celda 3: para ejecutar
    las pruebas hay que volver a ejecutar antes la celda 0 (y después, para restaurar, la 3)."""
    celdas = {0: "umbral = 1", 1: "def f():\n    return umbral", 2: "assert f() == 1", 3: "umbral = 2"}
    deps = Dependencias(celdas, Catalogo(tipos={"umbral": "inmutable", "f": "codigo"}))
    plan, estado = deps.plan(1, "def f():\n    return umbral + 0", 3)
    assert plan == [0, 1, 2]
    assert deps.restauracion(estado)[-1] == 3


@pytest.mark.parametrize("codigo", [
    "globals()['datos'] = None",
    "exec('datos = None')",
    "%time x = 1",
    "get_ipython().user_ns['datos'] = None",
    "import sys\nsys._getframe().f_globals['datos'] = None",
    "from numpy import *",
])
def test_lo_que_puede_tocar_cualquier_global_obliga_a_ejecutar_todo(deps, codigo):
    assert analizar(codigo).opaca
    assert deps.plan(1, codigo, 8) is None


def test_comprobar_definida_con_globals_solo_lee_ese_nombre():
    uso = analizar('comprobar.definida("lr", globals())\ncomprobar.tipo(lr, float, "lr")')
    assert not uso.opaca and uso.lee == {"comprobar", "lr", "float"}


@pytest.mark.parametrize("codigo, lee", [
    ("x = 1\nprint(x)", {"print"}),  # lo ligado antes en la celda no se lee de antes
    ("x = x + 1", {"x"}),
    ("for k in [1, 2]:\n    ultimo = k\nprint(ultimo)", {"print"}),  # un for sobre una lista escrita da vueltas
    ("for k in datos:\n    ultimo = k\nprint(ultimo)", {"datos", "print", "ultimo"}),  # este puede no darlas
    ("if c:\n    y = 1\nprint(y)", {"c", "print", "y"}),
    ("try:\n    v = f()\nexcept ValueError:\n    v = None\nprint(v)", {"f", "ValueError", "print"}),
    ("def g():\n    return h(z)\n", {"h", "z"}),  # lo que lee una función, al definirla
])
def test_lo_que_una_celda_lee_de_antes(codigo, lee):
    assert analizar(codigo).lee == lee


def test_volver_a_importar_el_mismo_modulo_no_liga_nada():
    assert analizar("import numpy as np", {"np": "numpy"}).liga == set()
    assert analizar("import numpy as np", {"np": "pandas"}).liga == {"np"}
    assert analizar("from numpy import mean as np", {"np": "numpy"}).liga == {"np"}


# Con huellas exactas (lo normal: el kernel da la huella de cada arreglo pequeño), leer un dato o pasarlo a una
# función de una biblioteca no cuenta como modificarlo: si lo hiciera, ``mutaciones`` lo notaría en el kernel.
CELDAS_EXACTAS = {
    0: "import numpy as np\ndatos = np.arange(6.0)",
    1: "def media(v):\n    return float(np.mean(v))",
    2: "assert media(datos) == 2.5",
    3: "assert datos.max() == 5.0",
}
EXACTO = Catalogo(tipos={"np": "modulo", "datos": "arreglo", "media": "codigo"},
                  origenes={"np": "numpy", "media": "__main__.media"}, exactos={"datos"})


def _exactas(efectos_base=None):
    """Con lo que el kernel vio cambiar en cada celda de la referencia: solo la 0 cambia `datos` (la crea)."""
    return Dependencias(CELDAS_EXACTAS, EXACTO, efectos_base=efectos_base or {0: {"datos"}, 1: set(), 2: set(),
                                                                              3: set()})


def test_con_huella_exacta_pasar_un_dato_no_es_modificarlo():
    deps = _exactas()
    assert deps.plan(1, "def media(v):\n    return float(np.median(v))", 3)[0] == [1, 2]
    inexacto = Dependencias(CELDAS_EXACTAS, Catalogo(EXACTO.tipos, EXACTO.origenes))
    assert inexacto.plan(1, "def media(v):\n    return float(np.median(v))", 3)[0] == [0, 1, 2, 3]


def test_lo_que_la_referencia_cambio_de_verdad_manda_sobre_lo_que_el_codigo_permitiria():
    """Si en la referencia la celda 3 hubiera cambiado `datos` (el kernel lo vio), las pruebas de la celda 2
    necesitan antes la celda 0, que lo vuelve a crear."""
    deps = _exactas({0: {"datos"}, 1: set(), 2: set(), 3: {"datos"}})
    assert deps.plan(1, "def media(v):\n    return float(np.median(v))", 3)[0] == [0, 1, 2]


def test_una_funcion_que_modifica_su_parametro_modifica_lo_que_se_le_pasa():
    deps = _exactas()
    assert deps.plan(1, "def media(v):\n    v -= 1\n    return float(np.mean(v))", 3)[0] == [1, 2, 3]
    assert deps.plan(1, "def media(v):\n    v.sort()\n    return float(np.mean(v))", 3)[0] == [1, 2, 3]
