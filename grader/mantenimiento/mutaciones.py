"""Comprobación barata de respuestas erróneas típicas (``tests/errores/<tarea>.yml``).

Un solo kernel por cuaderno: se ejecuta la solución una vez (como al calificar, sin las celdas
# OMITIR_AL_CALIFICAR) y, para cada respuesta, se sustituye la celda del ejercicio, se ejecutan las celdas
que pueden dar otro resultado y se puntúa con la misma función que el calificador (las demás conservan la
salida de la solución). Después se devuelve el kernel al estado de la solución. Así se comprueba que cada
error pierde exactamente los puntos de su ejercicio.

Qué celdas se ejecutan lo decide ``dependencias`` (análisis de nombres, conservador); el kernel lo vigila:
tras cada prueba, lo que el análisis daba por intacto debe tener la misma huella que con la solución, y las
bibliotecas (funciones de sus módulos, configuración) deben seguir igual (``sonda_banco``). Si no, la
respuesta se vuelve a probar ejecutando todas las celdas desde su ejercicio en un kernel nuevo, como si no
hubiera análisis. Una respuesta con trampas solo necesita su propia nota: se ejecuta hasta sus pruebas.
"""
from __future__ import annotations

import copy
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from curso import config
from grader.mantenimiento import dependencias, sonda_banco
from grader.nucleo import celdas, cuadernos, puntuacion
from grader.nucleo import resultado as registros

DIR_ERRORES = config.RAIZ / "tests" / "errores"
_SONDA = Path(sonda_banco.__file__).read_text(encoding="utf-8")  # se ejecuta dentro del kernel

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
    """Un kernel con la solución de una tarea ya ejecutada, para probar respuestas sobre ella.

    ``otros``: el código de todas las respuestas que se van a probar (lo que leen de antes se mantiene como
    con la solución entre una prueba y otra)."""

    def __init__(self, tarea: str, raiz: Path = config.RAIZ, otros: list[str] = ()):
        self.fuente = nbformat.read(config.cuaderno_fuente(tarea, raiz), as_version=4)
        self.nb, _ = puntuacion.combinar(self.fuente, self.fuente)
        self.carpeta = config.cuaderno_fuente(tarea, raiz).parent
        # Lo que viene tras la última celda calificada no cambia ninguna nota: no se ejecuta.
        self.fin = 1 + max(i for i, c in enumerate(self.nb.cells)
                           if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade"))
        self.otros = list(otros)
        self._sesion = None
        self.cliente = None

    def __enter__(self):
        self._arrancar()
        return self

    def __exit__(self, *exc):
        return self._sesion.__exit__(*exc)

    def _arrancar(self) -> None:
        """Kernel nuevo con la solución ejecutada, su catálogo, sus huellas y las de sus bibliotecas."""
        self._sesion = cuadernos.sesion(self.nb, self.carpeta)
        self.cliente = self._sesion.__enter__()
        self.limpio = copy.deepcopy(self.nb)  # nbclient escribe cada celda ejecutada en cliente.nb
        self._ejecutar_suelto(f"__banco__ = {{}}\nexec({_SONDA!r}, __banco__)")
        efectos = self._ejecutar_observando(self._codigo(0, self.fin - 1), self.limpio)
        self.base = puntuacion.puntuar(self.limpio, self.fuente)
        self._ejecutar_suelto(_GUARDAR)
        catalogo = dependencias.Catalogo(**self._consultar("catalogo"))
        self.deps = dependencias.Dependencias({i: self.limpio.cells[i].source for i in self._codigo(0, self.fin - 1)},
                                              catalogo, tuple(self.otros), efectos_base=efectos)
        self.huellas, self.bibliotecas = self._consultar("huellas"), self._consultar("bibliotecas")

    def _ejecutar_observando(self, indices: list[int], nb) -> dict[int, set[str]]:
        """Ejecuta ``indices`` y devuelve, de cada celda, los datos cuya huella cambió (o aparecieron o se fueron)."""
        efectos, antes = {}, self._consultar("huellas")
        for i in indices:
            self._ejecutar([i], nb)
            despues = self._consultar("huellas")
            efectos[i] = {n for n in antes.keys() | despues.keys() if antes.get(n) != despues.get(n)}
            antes = despues
        return efectos

    def _reiniciar(self) -> None:
        self._sesion.__exit__(None, None, None)
        self._arrancar()

    def _codigo(self, desde: int, hasta: int) -> list[int]:
        """Índices de las celdas de código que se ejecutan al calificar, en ``[desde, hasta]``."""
        return [i for i in range(desde, hasta + 1) if self.nb.cells[i].cell_type == "code"
                and celdas.ETIQUETA_OMITIR not in self.nb.cells[i].metadata.get("tags", [])]

    def _ejecutar_suelto(self, codigo: str) -> list:
        """Ejecuta código auxiliar en el kernel sin tocar ningún cuaderno; devuelve sus salidas."""
        self.cliente.nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(codigo)])
        self.cliente.execute_cell(self.cliente.nb.cells[0], 0)
        return self.cliente.nb.cells[0].outputs

    def _consultar(self, funcion: str) -> dict:
        """Lo que devuelve una función de ``sonda_banco`` ejecutada en el kernel sobre sus globales."""
        salidas = self._ejecutar_suelto(f"print(__banco__[{funcion!r}](globals()))")
        texto = "".join(s.get("text", "") for s in salidas if s.get("name") == "stdout")
        if not texto:
            raise RuntimeError(f"la sonda del banco falló en el kernel ({funcion}): {salidas}")
        return json.loads(texto)

    def _ejecutar(self, indices: list[int], nb) -> None:
        self.cliente.nb = nb
        for i in indices:
            celda = nb.cells[i]
            celda.outputs, celda.execution_count = [], None
            self.cliente.execute_cell(celda, i)

    def posicion(self, ejercicio: str) -> int:
        return next(i for i, c in enumerate(self.limpio.cells) if puntuacion.id_estable(c) == ejercicio)

    def _ultima_prueba(self, ejercicio: str) -> int:
        """La celda de pruebas de ``ejercicio`` (la última que decide su nota)."""
        gid = ejercicio + celdas.SUFIJO_PRUEBAS
        return max(i for i, c in enumerate(self.limpio.cells) if puntuacion.id_estable(c) == gid)

    def probar(self, ejercicio: str, codigo: str, solo_su_nota: bool = False) -> list[registros.NotaEjercicio]:
        """Notas de la tarea con ``codigo`` como respuesta de ``ejercicio``; al volver, el kernel queda como
        con la solución. Con ``solo_su_nota`` (trampas) solo vale la nota de ese ejercicio: se ejecuta hasta sus
        pruebas y no se vigilan las bibliotecas (las trampas las cambian a propósito; se restauran)."""
        i = self.posicion(ejercicio)
        hasta = self._ultima_prueba(ejercicio) if solo_su_nota else self.fin - 1
        variante = self._variante(i, ejercicio, codigo)
        plan = self.deps.plan(i, codigo, hasta)
        if plan is None:
            return self._probar_todo(variante, i, hasta)
        indices, estado = plan
        self._ejecutar(indices, variante)
        notas = puntuacion.puntuar(variante, self.fuente)
        distintos, _ = self._distintos(self.deps.vivos - self.deps.cambiados(estado))
        if distintos or (not solo_su_nota and self._bibliotecas_cambiadas()):
            # El análisis no vio algo que la respuesta cambió: se prueba como si no lo hubiera.
            self._reiniciar()
            return self._probar_todo(self._variante(i, ejercicio, codigo), i, hasta)
        self._restaurar(estado, trampas=solo_su_nota)
        return notas

    def _variante(self, i: int, ejercicio: str, codigo: str):
        variante = copy.deepcopy(self.limpio)
        variante.cells[i] = _celda_respuesta(ejercicio, codigo)
        variante.cells[i].metadata["nbgrader"] = self.limpio.cells[i].metadata["nbgrader"]
        return variante

    def _probar_todo(self, variante, i: int, hasta: int) -> list[registros.NotaEjercicio]:
        """Ejecuta todas las celdas de ``[i, hasta]`` con la respuesta y después arranca un kernel nuevo."""
        self._ejecutar(self._codigo(i, hasta), variante)
        notas = puntuacion.puntuar(variante, self.fuente)
        self._reiniciar()
        return notas

    def _distintos(self, nombres: set[str]) -> tuple[set[str], dict]:
        """Los de ``nombres`` cuya huella cambió desde que el kernel quedó como con la solución, y las huellas
        de ahora."""
        ahora = self._consultar("huellas")
        return {n for n in nombres if n in self.huellas and ahora.get(n) != self.huellas[n]}, ahora

    def _bibliotecas_cambiadas(self) -> bool:
        ahora = self._consultar("bibliotecas")
        return any(ahora[k] != v for k, v in self.bibliotecas.items() if k in ahora)

    def _restaurar(self, estado, trampas: bool) -> None:
        """Devuelve el kernel al estado de la solución: deshace las trampas, vuelve a ejecutar con la solución
        las celdas que hacen falta y borra lo que la respuesta creó. Si el kernel no queda como la solución
        (o el análisis no sabe cómo restaurarlo), arranca uno nuevo."""
        if trampas:
            self._ejecutar_suelto(_RESTAURAR)
        indices = self.deps.restauracion(estado)
        if indices is None:
            self._reiniciar()
            return
        self._ejecutar(indices, copy.deepcopy(self.limpio))
        sobrantes = sorted(self.deps.sobrantes(estado))
        if sobrantes:
            self._ejecutar_suelto(f"for __n in {sobrantes!r}:\n    globals().pop(__n, None)\ndel __n")
        tocados = set().union(*(self.deps.toca[j] for j in indices))
        distintos, ahora = self._distintos(self.deps.vivos - tocados)
        if distintos or self._bibliotecas_cambiadas():
            self._reiniciar()
        else:  # lo que se volvió a ejecutar puede no repetir sus valores (pesos iniciales al azar)
            self.huellas = ahora


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


def _probar_tramo(tarea: str, raiz: Path, pruebas: list[tuple[Error, bool]], otros: list[str]):
    """Prueba ``pruebas`` (en el orden del cuaderno) en un kernel propio: (notas de la solución, veredictos)."""
    veredictos = []
    with Banco(tarea, raiz, otros) as banco:
        for error, es_trampa in pruebas:
            notas = banco.probar(error.ejercicio, error.codigo, solo_su_nota=es_trampa)
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
    otros = [e.codigo for e, _ in pruebas]
    trabajos = max(1, min(trabajos or os.cpu_count() or 1, len(pruebas)))
    if trabajos == 1:
        return _probar_tramo(tarea, raiz, pruebas, otros)
    # Alternas (no seguidas): cada kernel recorre el cuaderno en orden y la carga queda repartida.
    tramos = [pruebas[k::trabajos] for k in range(trabajos)]
    with ProcessPoolExecutor(trabajos, mp_context=multiprocessing.get_context("spawn")) as grupo:
        partes = list(grupo.map(_probar_tramo, [tarea] * trabajos, [raiz] * trabajos, tramos, [otros] * trabajos))
    por_error = {(p[0].ejercicio, p[0].descripcion, p[0].codigo): k for k, p in enumerate(pruebas)}
    veredictos = sorted((v for _, vs in partes for v in vs),
                        key=lambda v: por_error[(v.error.ejercicio, v.error.descripcion, v.error.codigo)])
    return partes[0][0], veredictos
