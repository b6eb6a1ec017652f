"""Comprobación barata de respuestas erróneas típicas (``tests/errores/<tarea>.yml``).

Un solo kernel por cuaderno: se ejecuta la solución una vez (como al calificar, sin las celdas
# OMITIR_AL_CALIFICAR) y, para cada respuesta errónea, se sustituye la celda del ejercicio, se re-ejecutan solo
las celdas posteriores y se puntúa con la misma función que el calificador. Después se restaura la
solución. Así se comprueba que cada error pierde exactamente los puntos de su ejercicio.
"""
from __future__ import annotations

import copy
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from curso import config
from grader.nucleo import celdas, cuadernos, puntuacion
from grader.nucleo import resultado as registros

DIR_ERRORES = config.RAIZ / "tests" / "errores"

# Trampas: sustituir funciones de las que dependen las pruebas (se añaden a una respuesta errónea).
TRAMPAS = {
    "numpy.testing": "import numpy as _np\n_np.testing.assert_allclose = lambda *a, **k: None\n",
    "numpy.allclose": ("import numpy as _np\n_np.allclose = lambda *a, **k: True\n"
                       "_np.array_equal = lambda *a, **k: True\n"),
    "comprobar": ("import curso.comprobar as _c\n"
                  "for _n in _c._PUBLICAS:\n    setattr(_c, _n, lambda *a, **k: None)\n"),
}
_RESTAURAR = (
    "import sys as _s, numpy as _np\n"
    "_np.testing.assert_allclose = __ORIG__['assert_allclose']\n"
    "_np.allclose = __ORIG__['allclose']\n_np.array_equal = __ORIG__['array_equal']\n"
    "_s.modules.pop('curso.comprobar', None)\nimport curso.comprobar as comprobar\n"
)
_GUARDAR = (
    "import numpy as _np\n"
    "__ORIG__ = {'assert_allclose': _np.testing.assert_allclose,"
    " 'allclose': _np.allclose, 'array_equal': _np.array_equal}\n"
)


@dataclass
class Error:
    """Una respuesta de un ejercicio para el banco: errónea típica (con el fragmento de mensaje que debe
    producir) o, con ``correcta``, una solución correcta escrita de otra forma (debe obtener todos los puntos)."""

    ejercicio: str
    descripcion: str
    codigo: str
    mensaje: str = ""
    correcta: bool = False


@dataclass
class Veredicto:
    """Lo que pasó con una respuesta errónea."""

    error: Error
    notas: list[registros.NotaEjercicio]
    problemas: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problemas


def cargar(tarea: str, carpeta: Path = DIR_ERRORES) -> list[Error]:
    """Lee las respuestas erróneas de una tarea (lista vacía si no hay archivo)."""
    ruta = carpeta / f"{tarea}.yml"
    if not ruta.exists():
        return []
    campos = ("ejercicio", "descripcion", "codigo", "mensaje", "correcta")
    try:
        datos = yaml.safe_load(ruta.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as e:
        raise ValueError(f"{ruta.name} no es YAML válido: {e}") from None
    return [Error(**{k: d[k] for k in campos if k in d}) for d in datos]


def _celda_respuesta(ejercicio: str, codigo: str):
    return nbformat.v4.new_code_cell(f"{celdas.Marca('ejercicio', ejercicio).linea}\n{codigo.rstrip()}")


class Banco:
    """Un kernel con la solución de una tarea ya ejecutada, para probar respuestas sobre ella."""

    def __init__(self, tarea: str, raiz: Path = config.RAIZ):
        self.fuente = nbformat.read(config.cuaderno_fuente(tarea, raiz), as_version=4)
        self.nb, _ = puntuacion.combinar(self.fuente, self.fuente)
        self.carpeta = config.cuaderno_fuente(tarea, raiz).parent
        # Lo que viene tras la última celda calificada no cambia ninguna nota: no se ejecuta.
        self.fin = 1 + max(i for i, c in enumerate(self.nb.cells)
                           if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade"))
        self._sesion = None
        self.cliente = None

    def __enter__(self):
        self._sesion = cuadernos.sesion(self.nb, self.carpeta)
        self.cliente = self._sesion.__enter__()
        self._ejecutar_desde(0, self.nb, self.fin)
        self.base = puntuacion.puntuar(self.nb, self.fuente)
        self.limpio = copy.deepcopy(self.nb)  # nbclient escribe cada celda ejecutada en cliente.nb
        self._sucio_desde = len(self.nb.cells)
        self._ejecutar_suelto(_GUARDAR)
        return self

    def __exit__(self, *exc):
        return self._sesion.__exit__(*exc)

    def _ejecutar_suelto(self, codigo: str) -> None:
        """Ejecuta código auxiliar en el kernel sin tocar ningún cuaderno."""
        self.cliente.nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(codigo)])
        self.cliente.execute_cell(self.cliente.nb.cells[0], 0)

    def _ejecutar_desde(self, inicio: int, nb, fin: int | None = None) -> None:
        self.cliente.nb = nb
        for i in range(inicio, len(nb.cells) if fin is None else fin):
            celda = nb.cells[i]
            if celdas.ETIQUETA_OMITIR in celda.metadata.get("tags", []):
                continue
            if celda.cell_type == "code":
                celda.outputs, celda.execution_count = [], None
            self.cliente.execute_cell(celda, i)

    def posicion(self, ejercicio: str) -> int:
        return next(i for i, c in enumerate(self.limpio.cells) if puntuacion.id_estable(c) == ejercicio)

    def probar(self, ejercicio: str, codigo: str) -> list[registros.NotaEjercicio]:
        """Notas de la tarea con ``codigo`` como respuesta de ``ejercicio``.

        Solo se re-ejecuta desde la celda del ejercicio; antes se reparan con la solución las celdas que
        dejó tocadas la prueba anterior (por eso conviene probar en el orden del cuaderno).
        """
        i = self.posicion(ejercicio)
        self._reparar_hasta(i)
        variante = copy.deepcopy(self.limpio)
        variante.cells[i] = _celda_respuesta(ejercicio, codigo)
        variante.cells[i].metadata["nbgrader"] = self.limpio.cells[i].metadata["nbgrader"]
        self._ejecutar_desde(i, variante, self.fin)
        self._sucio_desde = min(self._sucio_desde, i)
        return puntuacion.puntuar(variante, self.fuente)

    def _reparar_hasta(self, fin: int) -> None:
        """Deshace trampas y re-ejecuta la solución en las celdas [sucio_desde, fin)."""
        if self._sucio_desde >= fin:
            return
        self._ejecutar_suelto(_RESTAURAR)
        self._ejecutar_desde(self._sucio_desde, copy.deepcopy(self.limpio), fin)
        self._sucio_desde = fin


def _comparar(error: Error, notas, base) -> list[str]:
    """Problemas si el error no pierde exactamente los puntos de su ejercicio con el mensaje esperado
    (o, si es una alternativa correcta, si pierde algún punto)."""
    if error.correcta:
        return [f"la alternativa correcta pierde puntos en {n.ejercicio}: «{n.mensaje}»"
                for n, referencia in zip(notas, base) if n.puntos != referencia.puntos]
    problemas = []
    for nota, referencia in zip(notas, base):
        if nota.ejercicio == error.ejercicio:
            if nota.puntos != 0:
                problemas.append(f"{error.ejercicio} obtuvo {nota.puntos} puntos (se esperaba 0)")
            elif error.mensaje and error.mensaje not in nota.mensaje:
                problemas.append(f"mensaje inesperado: «{nota.mensaje}» (se esperaba «{error.mensaje}»)")
        elif nota.puntos != referencia.puntos:
            problemas.append(f"{nota.ejercicio} también perdió puntos: «{nota.mensaje}»")
    return problemas


def _probar_tramo(tarea: str, raiz: Path, pruebas: list[tuple[Error, bool]]):
    """Prueba ``pruebas`` (en el orden del cuaderno) en un kernel propio: (notas de la solución, veredictos)."""
    veredictos = []
    with Banco(tarea, raiz) as banco:
        for error, es_trampa in pruebas:
            notas = banco.probar(error.ejercicio, error.codigo)
            if es_trampa:
                nota = next(n for n in notas if n.ejercicio == error.ejercicio)
                problemas = [] if nota.puntos == 0 else [f"las trampas aprobaron {error.ejercicio}"]
            else:
                problemas = _comparar(error, notas, banco.base)
            veredictos.append(Veredicto(error, notas, problemas))
        return banco.base, veredictos


def verificar(tarea: str, errores: list[Error] | None = None, trampas: bool = True,
              raiz: Path = config.RAIZ, trabajos: int | None = None,
              ) -> tuple[list[registros.NotaEjercicio], list[Veredicto]]:
    """Prueba cada respuesta errónea y, con ``trampas``, el primer error de cada ejercicio junto con
    todas las trampas a la vez. Devuelve las notas de la solución y un veredicto por prueba, en el orden
    del cuaderno. Con ``trabajos`` > 1 (por defecto, uno por núcleo) reparte las pruebas entre varios
    kernels, cada uno en su proceso."""
    errores = cargar(tarea) if errores is None else errores
    pruebas = [(e, False) for e in errores]
    if trampas:
        primeros = {}
        for e in errores:
            if not e.correcta:
                primeros.setdefault(e.ejercicio, e)
        todas = "".join(TRAMPAS.values())
        pruebas += [(Error(e.ejercicio, f"{e.descripcion} + trampas ({', '.join(TRAMPAS)})", todas + e.codigo, ""),
                     True) for e in primeros.values()]
    fuente = nbformat.read(config.cuaderno_fuente(tarea, raiz), as_version=4)
    posicion = {puntuacion.id_estable(c): i for i, c in enumerate(fuente.cells)}
    pruebas.sort(key=lambda p: posicion[p[0].ejercicio])
    trabajos = max(1, min(trabajos or os.cpu_count() or 1, len(pruebas)))
    if trabajos == 1:
        return _probar_tramo(tarea, raiz, pruebas)
    # Alternas (no seguidas): cada kernel recorre el cuaderno en orden y la carga queda repartida.
    tramos = [pruebas[k::trabajos] for k in range(trabajos)]
    with ProcessPoolExecutor(trabajos, mp_context=multiprocessing.get_context("spawn")) as grupo:
        partes = list(grupo.map(_probar_tramo, [tarea] * trabajos, [raiz] * trabajos, tramos))
    por_error = {(p[0].ejercicio, p[0].descripcion, p[0].codigo): k for k, p in enumerate(pruebas)}
    veredictos = sorted((v for _, vs in partes for v in vs),
                        key=lambda v: por_error[(v.error.ejercicio, v.error.descripcion, v.error.codigo)])
    return partes[0][0], veredictos
