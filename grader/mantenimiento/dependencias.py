"""Qué celdas hay que volver a ejecutar cuando cambia una: análisis de los nombres globales de un cuaderno.

Lo usa el banco de errores típicos (``mutaciones``): con la respuesta de un ejercicio cambiada basta ejecutar
las celdas que pueden dar otro resultado, y después, con la solución, las que devuelven el kernel a su estado.
Es conservador: ante la duda, una celda se ejecuta (o el plan es None: hay que ejecutarlas todas).

De cada celda (``analizar``, con ``ast`` y ``symtable``): lo que ``lee`` de antes (también dentro de sus
funciones y clases), lo que ``liga`` (un ``import`` que da a un nombre el mismo módulo que ya tenía no cuenta),
lo que modifica a la vista (``x[i] = …``, ``x += …``, ``lista.append(…)``) y si es ``opaca`` (``globals()``,
``exec``, marcos de pila, ``__dict__``, magias de IPython, sintaxis que no se entiende: lee y toca todo).

``Dependencias`` sigue cada objeto por la celda que lo ligó (``(nombre, celda)``: un nombre que varias celdas
reutilizan no junta lo de todas) con lo que el kernel dice tras la ejecución de referencia (``Catalogo``): qué
es cada global, qué comparte memoria y qué tiene una huella exacta. Lo que una celda puede dejar distinto
(``toca_estatico``): lo que liga, lo que modifica a la vista y, de los datos sin huella exacta, todo lo que lee
o pasa a una función; con lo que comparte objeto con ello (un contenedor —lista, modelo…— puede llevar dentro lo
que aparece con él en una instrucción). Un dato de huella exacta que solo se lee no cuenta: si algo lo cambiara,
``mutaciones`` lo notaría en el kernel. Lo que cada celda cambió de verdad en la ejecución de referencia también
lo vio el kernel (``efectos_base``, en ``toca``).

El estado de las bibliotecas (configuración, funciones sustituidas dentro de un módulo) no se ve aquí: lo
compara ``mutaciones`` con una huella tomada en el kernel.

Los planes se calculan con versiones simbólicas: cada nombre vale lo que dejó una celda de la ejecución de
referencia (``("B", j)``) o una celda que se ejecutó con la respuesta cambiada (``("V", j)``).
"""
from __future__ import annotations

import ast
import bisect
import builtins
import functools
import symtable
from dataclasses import dataclass, field

from IPython.core.inputtransformer2 import TransformerManager

# Llamadas y atributos que dan acceso a cualquier global (marcos de pila, el espacio de nombres de IPython, sus
# magias): la celda es opaca.
OPACOS_NOMBRES = frozenset({"globals", "locals", "vars", "exec", "eval", "compile", "__import__", "breakpoint",
                            "__builtins__"})
OPACOS_ATRIBUTOS = frozenset({"f_globals", "f_locals", "f_builtins", "f_back", "gi_frame", "cr_frame", "tb_frame",
                              "__globals__", "__dict__", "__builtins__", "__code__", "__closure__",
                              "user_ns", "user_global_ns", "user_ns_hidden", "run_cell", "run_line_magic",
                              "run_cell_magic", "ex", "ev", "push", "del_var", "reset", "magic", "system",
                              "getoutput"})
# Métodos que modifican su objeto (listas, diccionarios, arreglos de NumPy, variables de TensorFlow).
METODOS_QUE_MODIFICAN = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault",
                                   "popitem", "sort", "reverse", "fill", "resize", "put", "itemset", "partition",
                                   "setflags", "shuffle", "assign", "assign_add", "assign_sub", "scatter_update"})
# Tras una instrucción así, lo que liga ya no se lee de antes en el resto de la celda.
_LIGAN_SIEMPRE = (ast.Assign, ast.AnnAssign, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import,
                  ast.ImportFrom)
NO_DATOS = ("modulo", "codigo")  # tipos del catálogo que ninguna llamada modifica
INMUTABLES = NO_DATOS + ("inmutable",)
CONTENEDOR = "objeto"  # puede contener otros objetos (también lo que el catálogo no conoce)
ANTES = -1  # la «celda» que ligó un nombre que ninguna celda liga (existía antes de la primera)

Version = tuple[str, int]


@dataclass(frozen=True)
class Catalogo:
    """Lo que el kernel dice de sus globales tras la ejecución de referencia.

    ``tipos``: "modulo", "codigo" (función, clase), "inmutable" (número, texto, tensor…), "arreglo" (mutable
    que no contiene otros objetos: arreglo de NumPy, variable de TensorFlow) u "objeto" (lo demás).
    ``origenes``: de dónde viene cada módulo o código (``numpy``, ``numpy.mean``).
    ``comparten``: grupos de nombres con el mismo objeto o con memoria compartida.
    ``exactos``: los datos cuya huella cambia con cualquier cambio de su valor (``sonda_banco.huella``): si
    algo los modifica sin que el análisis lo vea, el kernel lo nota."""

    tipos: dict[str, str] = field(default_factory=dict)
    origenes: dict[str, str] = field(default_factory=dict)
    comparten: list[set[str]] = field(default_factory=list)
    exactos: set[str] = field(default_factory=set)

    def __post_init__(self):
        object.__setattr__(self, "comparten", [set(g) for g in self.comparten])
        object.__setattr__(self, "exactos", set(self.exactos))


@dataclass
class Uso:
    """Lo que una celda lee y liga de los globales (ver el docstring del módulo)."""

    lee: set[str] = field(default_factory=set)
    liga: set[str] = field(default_factory=set)
    leidos: set[str] = field(default_factory=set)  # todo lo leído, también lo ligado antes en la celda
    resumenes: dict[str, set[str]] = field(default_factory=dict)  # nombre ligado -> lo que lee su instrucción
    # Por instrucción: (nombres cuyo objeto puede venir de antes de la celda, nombres cuyo objeto puede haberlo
    # ligado la propia celda). Un contenedor puede llevar dentro lo que aparece con él en la instrucción.
    grupos: list[tuple[set[str], set[str]]] = field(default_factory=list)
    asignadas: set[str] = field(default_factory=set)  # lo ligado de otra forma que con def, class o import
    modificados: set[str] = field(default_factory=set)  # lo que modifica a la vista (x[i] = …, x += …, x.metodo())
    modifica_al_llamar: dict[str, set[str]] = field(default_factory=dict)  # función -> lo que modifica su cuerpo
    modifica_argumentos: set[str] = field(default_factory=set)  # funciones que modifican un parámetro a la vista
    llamadas: list[tuple[str, set[str]]] = field(default_factory=list)  # (función, nombres pasados como argumento)
    opaca: bool = False


_transformador = TransformerManager()


def _es_definida_con_globals(nodo) -> bool:
    """``comprobar.definida("x", globals())``: solo mira si existe ``x`` (se trata como una lectura de ``x``)."""
    return (isinstance(nodo, ast.Call) and isinstance(nodo.func, ast.Attribute) and nodo.func.attr == "definida"
            and len(nodo.args) == 2 and isinstance(nodo.args[0], ast.Constant) and isinstance(nodo.args[0].value, str)
            and isinstance(nodo.args[1], ast.Call) and isinstance(nodo.args[1].func, ast.Name)
            and nodo.args[1].func.id == "globals" and not nodo.args[1].args)


def _opaco(arbol) -> bool:
    """¿Usa algo que da acceso a cualquier global? (``comprobar.definida(..., globals())`` no cuenta)."""
    exentos = {id(n.args[1].func) for n in ast.walk(arbol) if _es_definida_con_globals(n)}
    for n in ast.walk(arbol):
        if isinstance(n, ast.Name) and n.id in OPACOS_NOMBRES and id(n) not in exentos:
            return True
        if isinstance(n, ast.Attribute) and n.attr in OPACOS_ATRIBUTOS:
            return True
        if isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names):
            return True
    return False


def _importado(alias: ast.alias, modulo: str | None) -> tuple[str, str]:
    """(nombre ligado, de dónde viene) de un ``import`` (``modulo`` None) o de un ``from modulo import``."""
    if modulo is not None:
        return alias.asname or alias.name, f"{modulo}.{alias.name}"
    if alias.asname:
        return alias.asname, alias.name
    return alias.name.split(".")[0], alias.name.split(".")[0]


def _globales_anidados(tabla) -> tuple[set[str], set[str]]:
    """(leídos, ligados) globales dentro de las funciones, clases, lambdas y comprensiones de ``tabla``."""
    leidos, ligados = set(), set()
    for hija in tabla.get_children():
        for s in hija.get_symbols():
            if s.is_global() or s.is_declared_global():
                if s.is_referenced():
                    leidos.add(s.get_name())
                if s.is_declared_global() and s.is_assigned():
                    ligados.add(s.get_name())
        mas_leidos, mas_ligados = _globales_anidados(hija)
        leidos |= mas_leidos
        ligados |= mas_ligados
    return leidos, ligados


def _lecturas(codigo: str, modo: str = "exec") -> tuple[set[str], set[str]]:
    """(leídos, ligados) globales de un trozo de código, también dentro de sus funciones y comprensiones."""
    tabla = symtable.symtable(codigo, "<celda>", modo)
    leidos = {s.get_name() for s in tabla.get_symbols() if s.is_referenced()}
    ligados = {s.get_name() for s in tabla.get_symbols()
               if (s.is_assigned() or s.is_namespace()) and not s.is_imported()}
    anidados_leidos, anidados_ligados = _globales_anidados(tabla)
    return leidos | anidados_leidos, ligados | anidados_ligados


def _de_expresion(nodo) -> set[str]:
    return _lecturas(ast.unparse(nodo), "eval")[0] if nodo is not None else set()


def _siempre_itera(nodo) -> bool:
    """¿Da el ``for`` al menos una vuelta? (sobre una lista, tupla o texto escritos no vacíos, o ``range(n)``
    con n > 0 escrito)."""
    iterable = nodo.iter
    if isinstance(iterable, (ast.List, ast.Tuple, ast.Set)):
        return bool(iterable.elts) and not any(isinstance(e, ast.Starred) for e in iterable.elts)
    if isinstance(iterable, ast.Constant):
        return isinstance(iterable.value, (str, bytes)) and len(iterable.value) > 0
    if (isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) and iterable.func.id == "range"
            and not iterable.keywords and all(isinstance(a, ast.Constant) and type(a.value) is int
                                              for a in iterable.args) and iterable.args):
        return len(range(*(a.value for a in iterable.args))) > 0
    return False


def _raiz(nodo) -> str | None:
    """El nombre del que cuelga ``x.a[0].b`` (``x``), o None."""
    while isinstance(nodo, (ast.Attribute, ast.Subscript, ast.Starred)):
        nodo = nodo.value
    return nodo.id if isinstance(nodo, ast.Name) else None


def _modificados(nodo) -> set[str]:
    """Nombres cuyo objeto ``nodo`` modifica a la vista: ``x[i] = …``, ``x.a = …``, ``del x[i]``, ``x += …`` y
    los métodos que modifican su objeto (``x.sort()``, ``lista.append(…)``, ``w.assign(…)``…). Lo que hagan
    otros métodos o las funciones de una biblioteca con sus argumentos no se ve aquí: ``Dependencias`` lo
    supone para lo que no tiene huella exacta y ``mutaciones`` vigila la huella de lo demás."""
    raices = set()
    for n in ast.walk(nodo):
        if isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.ctx, (ast.Store, ast.Del)):
            raices.add(_raiz(n.value))
        elif isinstance(n, ast.AugAssign):
            raices.add(_raiz(n.target))
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in METODOS_QUE_MODIFICAN:
            raices.add(_raiz(n.func.value))
    return raices - {None}


def _parametros(nodo) -> set[str]:
    """Los parámetros de una función (vacío si es una clase)."""
    if not isinstance(nodo, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return set()
    a = nodo.args
    return {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x is not None}


def _llamadas(nodo) -> list[tuple[str, set[str]]]:
    """(función, nombres de los que cuelgan sus argumentos) de cada llamada ``f(…)`` de ``nodo``."""
    return [(n.func.id, {_raiz(a) for a in n.args + [k.value for k in n.keywords]} - {None})
            for n in ast.walk(nodo) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]


def _destino(nodo) -> set[str]:
    """Nombres que liga un destino de asignación (``for a, b in …``, ``with … as a``)."""
    return {n.id for n in ast.walk(nodo) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}


class _Analisis:
    """Recorre las instrucciones de una celda en orden, con lo ya ligado en cada punto (para saber qué se lee
    de antes de la celda)."""

    def __init__(self, origenes: dict[str, str]):
        self.origenes = origenes
        self.uso = Uso()
        self.ligados_hasta_aqui: set[str] = set()  # lo que la celda ya pudo ligar

    def leer(self, leidos: set[str], definidos: set[str], nodo=None) -> None:
        """Anota lo que lee una expresión (y, si se da ``nodo``, lo que modifica a la vista)."""
        self.uso.lee |= leidos - definidos
        self.uso.leidos |= leidos
        if nodo is not None:
            self.uso.modificados |= _modificados(nodo)

    def simple(self, nodo, definidos: set[str]) -> set[str]:
        """Una instrucción sin cuerpo (o una definición): lo que lee, liga y su grupo. Devuelve lo que liga."""
        leidos, ligados = _lecturas(ast.unparse(nodo))
        if isinstance(nodo, (ast.Import, ast.ImportFrom)):
            modulo = nodo.module if isinstance(nodo, ast.ImportFrom) else None
            for alias in nodo.names:
                nombre, origen = _importado(alias, modulo)
                if self.origenes.get(nombre) != origen:
                    ligados.add(nombre)
        for n in ast.walk(nodo):
            if _es_definida_con_globals(n):  # (cualquier otro globals() hace opaca la celda)
                leidos = leidos - {"globals"} | {n.args[0].value}
        self.leer(leidos, definidos)
        definicion = isinstance(nodo, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        if definicion:
            for nombre in ligados:
                self.uso.modifica_al_llamar.setdefault(nombre, set()).update(_modificados(nodo))
            if _parametros(nodo) & _modificados(nodo):
                self.uso.modifica_argumentos |= ligados
        else:
            self.uso.modificados |= _modificados(nodo)
            self.uso.llamadas += _llamadas(nodo)
        if not definicion and not isinstance(nodo, (ast.Import, ast.ImportFrom)):
            self.uso.asignadas |= ligados
        self._liga(ligados, set() if definicion else leidos, definidos, resumen=leidos)
        return ligados

    def bloque(self, cuerpo: list, definidos: set[str]) -> set[str]:
        """Un bloque de instrucciones en orden; devuelve ``definidos`` más lo que el bloque liga seguro."""
        definidos = set(definidos)
        for nodo in cuerpo:
            definidos |= self.instruccion(nodo, definidos)
        return definidos

    def instruccion(self, nodo, definidos: set[str]) -> set[str]:
        """Lo que ``nodo`` liga seguro (si termina sin excepción), tras anotar lo que lee."""
        if isinstance(nodo, (ast.For, ast.AsyncFor)):
            self.leer(_de_expresion(nodo.iter), definidos, nodo.iter)
            objetivo = _destino(nodo.target)
            self.uso.asignadas |= objetivo
            self._liga(objetivo, _de_expresion(nodo.iter), definidos)
            en_cuerpo = self.bloque(nodo.body, definidos | objetivo)
            self.bloque(nodo.orelse, definidos)
            if not _siempre_itera(nodo):
                return set()
            return objetivo if any(isinstance(n, (ast.Break, ast.Continue)) for n in ast.walk(nodo)) else en_cuerpo
        if isinstance(nodo, ast.While):
            self.leer(_de_expresion(nodo.test), definidos, nodo.test)
            self.bloque(nodo.body, definidos)
            self.bloque(nodo.orelse, definidos)
            return set()
        if isinstance(nodo, ast.If):
            self.leer(_de_expresion(nodo.test), definidos, nodo.test)
            return self.bloque(nodo.body, definidos) & self.bloque(nodo.orelse, definidos) - definidos
        if isinstance(nodo, (ast.With, ast.AsyncWith)):
            ligados = set()
            for item in nodo.items:
                leidos = _de_expresion(item.context_expr)
                self.leer(leidos, definidos | ligados, item.context_expr)
                if item.optional_vars is not None:
                    objetivo = _destino(item.optional_vars)
                    self.uso.asignadas |= objetivo
                    self._liga(objetivo, leidos, definidos | ligados)
                    ligados |= objetivo
            return self.bloque(nodo.body, definidos | ligados) - definidos
        if isinstance(nodo, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            # Sin excepción: cuerpo y else; con ella, un manejador (lo que ligó el cuerpo no es seguro).
            seguros = self.bloque(nodo.orelse, self.bloque(nodo.body, definidos))
            for manejador in nodo.handlers:
                self.leer(_de_expresion(manejador.type), definidos)
                nombre = {manejador.name} if manejador.name else set()
                self.uso.asignadas |= nombre
                self._liga(nombre, set(), definidos)
                seguros &= self.bloque(manejador.body, definidos | nombre)
            return self.bloque(nodo.finalbody, seguros) - definidos
        if isinstance(nodo, ast.Match):
            self.simple(nodo, definidos)
            return set()
        ligados = self.simple(nodo, definidos)
        return ligados if isinstance(nodo, _LIGAN_SIEMPRE + (ast.AugAssign, ast.Delete)) else set()

    def _liga(self, nombres: set[str], leidos: set[str], definidos: set[str], resumen: set[str] | None = None) -> None:
        """Anota que una instrucción liga ``nombres`` tras leer ``leidos`` (su grupo de posibles alias)."""
        self.uso.liga |= nombres
        for nombre in nombres:
            self.uso.resumenes.setdefault(nombre, set()).update(leidos if resumen is None else resumen)
        self.uso.grupos.append((leidos - definidos, nombres | (leidos & self.ligados_hasta_aqui)))
        self.ligados_hasta_aqui |= nombres


def analizar(codigo: str, origenes: dict[str, str] | None = None) -> Uso:
    """El ``Uso`` de una celda de código (opaca si no se entiende). ``origenes``: ver ``Catalogo``."""
    try:
        arbol = ast.parse(_transformador.transform_cell(codigo))
        if _opaco(arbol):
            return Uso(opaca=True)
        analisis = _Analisis(origenes or {})
        analisis.bloque(arbol.body, set())
    except SyntaxError:  # también lo que symtable no acepta fuera de una función (await, nonlocal…)
        return Uso(opaca=True)
    return analisis.uso


def _cierre(nombres, vecinos) -> set[str]:
    """``nombres`` y todo lo alcanzable desde ellos por ``vecinos`` (nombre -> conjunto)."""
    hecho, pendientes = set(), list(nombres)
    while pendientes:
        n = pendientes.pop()
        if n not in hecho:
            hecho.add(n)
            pendientes.extend(vecinos.get(n, ()))
    return hecho


@functools.lru_cache(maxsize=4096)
def _analizar_cacheado(codigo: str, origenes: tuple) -> Uso:
    return analizar(codigo, dict(origenes))


class Dependencias:
    """Las celdas de código que se ejecutan (índice -> código) de un cuaderno, con lo que cada una lee y toca.

    ``respuestas``: el código que se probará en alguna celda (lo que lee de antes cuenta en ``vivos``).
    ``cambiada``: la celda cuyo código no es el de la referencia (de lo que liga no se sabe el tipo).
    ``efectos_base``: de cada celda, los datos cuya huella cambió al ejecutarla en la referencia."""

    def __init__(self, codigos: dict[int, str], catalogo: Catalogo, respuestas: tuple[str, ...] = (),
                 cambiada: int | None = None, efectos_base: dict[int, set[str]] | None = None):
        self.codigos, self.catalogo, self.respuestas = dict(codigos), catalogo, tuple(respuestas)
        origenes = tuple(sorted(catalogo.origenes.items()))
        self.usos = {i: _analizar_cacheado(c, origenes) for i, c in self.codigos.items()}
        self.orden = sorted(self.codigos)
        self.final = max(self.orden, default=0) + 1
        self.opacas = {i for i, u in self.usos.items() if u.opaca}
        self._cambiada = cambiada
        self._ligan: dict[str, list[int]] = {}
        for j in self.orden:
            for n in self.usos[j].liga:
                self._ligan.setdefault(n, []).append(j)
        self._asignadas = set().union(*(u.asignadas for u in self.usos.values()))
        self._contenido = self._alias()
        self._comparten: dict = {}  # lo que el kernel dice que es el mismo objeto o comparte memoria
        for grupo in catalogo.comparten:
            objetos = {(n, self._ligada_en(n, self.final)) for n in grupo}
            for o in objetos:
                self._comparten.setdefault(o, set()).update(objetos - {o})
        self.lee = {j: self._lectura(u, j) for j, u in self.usos.items()}
        self.toca_estatico = {j: self._efecto(u, j) for j, u in self.usos.items()}
        # Lo que cada celda cambió de verdad en la ejecución de referencia (lo vio el kernel): así se sabe qué
        # vale cada nombre al final aunque una llamada lo haya modificado sin que el análisis lo viera.
        self.toca = self.toca_estatico if efectos_base is None else {
            j: self.usos[j].liga | efectos_base.get(j, set()) | {n for n in self.toca_estatico[j]
                                                                   if not self._exacto((n, self._ligada_en(n, j)))}
            for j in self.orden}
        self._nombres = set().union(*self.lee.values(), *self.toca.values())
        self._tocan: dict[str, list[int]] = {}
        for j in self.orden:
            for n in self.toca[j]:
                self._tocan.setdefault(n, []).append(j)
        self._referencia = {n: ("B", self.ultima_que_toca(n, self.final)) for n in self._nombres}
        # Lo que alguna celda o respuesta lee de antes: el resto no cambia ningún resultado.
        self.vivos = set().union(*self.lee.values(), *(
            self._lectura(_analizar_cacheado(c, origenes), self.final) for c in self.respuestas))

    def con_cambio(self, i: int, codigo: str) -> Dependencias:
        """Las mismas celdas con ``codigo`` en la ``i``."""
        return Dependencias({**self.codigos, i: codigo}, self.catalogo, self.respuestas, cambiada=i)

    # ------------------------------------------------------------------------ objetos (nombre, celda)

    def _ligada_en(self, nombre: str, j: int, incluida: bool = True) -> int:
        """La celda que ligó el objeto que ``nombre`` tiene en la celda ``j`` (al terminarla si ``incluida``)."""
        ligan = self._ligan.get(nombre, [])
        k = bisect.bisect_right(ligan, j) if incluida else bisect.bisect_left(ligan, j)
        return ligan[k - 1] if k else ANTES

    def _objetos(self, previos, propios, j: int) -> set[tuple[str, int]]:
        """Los objetos de ``previos`` que vienen de antes de la celda ``j`` y los de ``propios`` tal como quedan
        en ella; lo que leen las funciones que pueden llamar, en los dos momentos si la celda lo liga."""
        liga = self.usos[j].liga
        antes = self._leidos_al_llamar(previos, j) | {n for n in self._leidos_al_llamar(propios, j) if n not in liga}
        despues = set(propios) | {n for n in self._leidos_al_llamar(set(previos) | set(propios), j) if n in liga}
        return ({(n, self._ligada_en(n, j, incluida=False)) for n in antes}
                | {(n, self._ligada_en(n, j)) for n in despues})

    def _tipo(self, objeto: tuple[str, int]) -> str:
        """El tipo de un objeto: lo dice el catálogo del que queda al final (o de todos, si es código que solo
        ligan ``def``, ``class`` o ``import``); lo que define la celda cambiada con ``def``/``class`` es código;
        una función incorporada que nadie liga, también; de lo demás no se sabe (contenedor)."""
        nombre, celda = objeto
        if celda == self._cambiada:
            return "codigo" if nombre not in self.usos[celda].asignadas else CONTENEDOR
        tipo = self.catalogo.tipos.get(nombre)
        if tipo in NO_DATOS and nombre not in self._asignadas:
            return tipo
        ligan = self._ligan.get(nombre, [])
        if tipo is not None and celda == (ligan[-1] if ligan else ANTES) and self._cambiada not in ligan:
            return tipo
        if celda == ANTES and not ligan and hasattr(builtins, nombre):
            return "codigo"
        return CONTENEDOR

    def _mutable(self, objeto) -> bool:
        return self._tipo(objeto) not in INMUTABLES

    def _exacto(self, objeto) -> bool:
        """¿Notaría el kernel cualquier cambio del objeto? (el que queda al final, con huella exacta)."""
        nombre, celda = objeto
        ligan = self._ligan.get(nombre, [])
        return (nombre in self.catalogo.exactos and celda == (ligan[-1] if ligan else ANTES)
                and self._cambiada not in ligan)

    def _leidos_al_llamar(self, nombres, j: int) -> set[str]:
        """``nombres`` y lo que leen, en la celda ``j``, las funciones del cuaderno entre ellos (y las que estas
        llaman): lo que lee una función, lo lee quien la llama."""
        hecho, pendientes = set(), list(nombres)
        while pendientes:
            n = pendientes.pop()
            if n in hecho:
                continue
            hecho.add(n)
            for celda in {self._ligada_en(n, j, incluida=False), self._ligada_en(n, j)}:
                if celda != ANTES and self._tipo((n, celda)) in NO_DATOS:
                    pendientes.extend(self.usos[celda].resumenes.get(n, ()))
        return hecho

    def _modificados_al_llamar(self, leidos: set[str], j: int) -> set[str]:
        """Lo que modifican a la vista, en la celda ``j``, las funciones del cuaderno entre ``leidos``."""
        modificados = set()
        for n in leidos:
            for celda in {self._ligada_en(n, j, incluida=False), self._ligada_en(n, j)}:
                if celda != ANTES and self._tipo((n, celda)) in NO_DATOS:
                    modificados |= self.usos[celda].modifica_al_llamar.get(n, set())
        return modificados

    def _argumentos_modificados(self, uso: Uso, j: int) -> set[str]:
        """Lo que la celda ``j`` pasa a funciones del cuaderno que modifican a la vista alguno de sus parámetros."""
        modificados = set()
        for funcion, argumentos in uso.llamadas:
            for celda in {self._ligada_en(funcion, j, incluida=False), self._ligada_en(funcion, j)}:
                if celda != ANTES and funcion in self.usos[celda].modifica_argumentos:
                    modificados |= argumentos
        return modificados

    def _alias(self) -> dict[tuple[str, int], set[tuple[str, int]]]:
        """objeto -> objetos que pueden estar dentro de él o contenerlo: un contenedor con cada objeto mutable
        que aparece con él en una misma instrucción (o en lo que leen las funciones que llama)."""
        vecinos: dict = {}

        def unir(a, b):
            vecinos.setdefault(a, set()).add(b)
            vecinos.setdefault(b, set()).add(a)

        for j, uso in self.usos.items():
            for previos, propios in uso.grupos:
                datos = {o for o in self._objetos(previos, propios, j) if self._mutable(o)}
                for a in datos:
                    if self._tipo(a) == CONTENEDOR:
                        for b in datos - {a}:
                            unir(a, b)
        return vecinos

    def _lectura(self, uso: Uso, j: int) -> set[str]:
        """Lo que lee de antes la celda ``j``, con lo que leen las funciones del cuaderno que puede llamar."""
        return self._leidos_al_llamar(uso.lee, j)

    def _efecto(self, uso: Uso, j: int) -> set[str]:
        """Lo que la celda ``j`` puede dejar distinto: lo que liga y los nombres cuyo objeto puede modificar en
        su sitio, con lo que comparte objeto o memoria con ellos y, si es un contenedor, lo que puede llevar
        dentro (y lo que lo lleva a él); modificar un arreglo cambia los contenedores que pueden llevarlo, no lo
        demás que esos contenedores llevan.

        Un dato de huella exacta solo cuenta si la celda lo modifica a la vista (``x[i] = …``, ``x.metodo()``…)
        o comparte memoria con algo que sí: si otra cosa lo cambiara (una llamada, un alias que el análisis no
        ve), el kernel lo notaría y la prueba se repetiría ejecutándolo todo."""
        leidos = self._leidos_al_llamar(uso.leidos, j)
        modificados = uso.modificados | self._modificados_al_llamar(leidos, j) | self._argumentos_modificados(uso, j)
        objetos = self._objetos(uso.lee, uso.leidos & uso.liga, j)
        mutados = {o for o in objetos if self._mutable(o) and (o[0] in modificados or not self._exacto(o))}
        vistos, pendientes = set(), [(o, self._tipo(o) == CONTENEDOR, False) for o in mutados]
        while pendientes:  # (objeto, ¿puede estar modificado lo que lleva dentro?, ¿llegamos por un contenedor?)
            objeto, por_dentro, por_contenedor = pendientes.pop()
            if (objeto, por_dentro, por_contenedor) in vistos:
                continue
            vistos.add((objeto, por_dentro, por_contenedor))
            pendientes.extend((mismo, por_dentro, por_contenedor) for mismo in self._comparten.get(objeto, ()))
            for vecino in self._contenido.get(objeto, ()):
                contenedor = self._tipo(vecino) == CONTENEDOR
                if por_dentro or contenedor:
                    pendientes.append((vecino, por_dentro and contenedor, True))
        return uso.liga | {n for (n, celda), _, por_contenedor in vistos if celda == self._ligada_en(n, j)
                           and not (por_contenedor and self._exacto((n, celda)) and n not in modificados)}

    def ultima_que_toca(self, nombre: str, antes_de: int) -> int:
        """La última celda (de índice < ``antes_de``) que toca ``nombre``, o ``ANTES`` si ninguna."""
        tocan = self._tocan.get(nombre, [])
        k = bisect.bisect_left(tocan, antes_de)
        return tocan[k - 1] if k else ANTES

    def cambiados(self, estado: dict[str, Version]) -> set[str]:
        """Los nombres que en ``estado`` no valen lo de la referencia."""
        return {n for n, v in estado.items() if v != self._referencia.get(n, ("B", ANTES))}

    # --------------------------------------------------------------------------------- planes

    def plan(self, i: int, codigo: str, hasta: int) -> tuple[list[int], dict[str, Version]] | None:
        """Celdas que hay que ejecutar, en orden, para obtener lo mismo que con todas las de ``[i, hasta]``
        con ``codigo`` en la celda ``i``, partiendo del estado final de la referencia; y la versión de cada
        nombre al terminar. None si no se puede saber: entonces hay que ejecutarlas todas.

        Una celda que lee lo mismo que en la referencia hace lo mismo que en ella (``toca``); una que lee algo
        distinto puede hacer cualquier cosa que su código permita (``toca_estatico``, con la celda cambiada).
        Como al ejecutarlas todas, lo que la respuesta deja sin ligar conserva el valor de la solución."""
        cambio = self.con_cambio(i, codigo)
        if i in self.opacas | cambio.opacas:
            return None
        lee = {j: (cambio.lee if j >= i else self.lee)[j] for j in self.orden}
        toca_distinta = {**cambio.toca_estatico, i: cambio.toca_estatico[i] | self.toca[i]}
        nombres = self._nombres | cambio._nombres
        esperado, afectadas = self._con_cambio(i, hasta, lee, toca_distinta, nombres)
        if afectadas & cambio.opacas:
            return None
        plan = set(afectadas)
        while True:
            estado = {**{n: ("B", ANTES) for n in nombres}, **self._referencia}
            falta = self._simular(sorted(plan), estado, lee, toca_distinta, esperado, afectadas)
            if falta is None:
                return sorted(plan), estado
            if falta == ANTES or falta in plan or falta in self.opacas:
                return None
            plan.add(falta)

    def _toca(self, j: int, afectada: bool, toca_distinta: dict[int, set[str]], nombres: set[str]) -> set[str]:
        if j in self.opacas:
            return nombres
        return toca_distinta[j] if afectada else self.toca[j]

    def _con_cambio(self, i, hasta, lee, toca_distinta, nombres) -> tuple[dict[int, dict[str, Version]], set[int]]:
        """Ejecución simbólica de las celdas ``[i, hasta]`` con la ``i`` cambiada, desde el estado de la
        referencia antes de ``i``: lo que lee cada celda y cuáles dan otro resultado (las que leen algo
        distinto de la referencia). Una celda opaca lee y toca todo."""
        estado = {n: ("B", self.ultima_que_toca(n, i)) for n in nombres}
        esperado, afectadas = {}, set()
        for j in (j for j in self.orden if i <= j <= hasta):
            esperado[j] = {n: estado[n] for n in (nombres if j in self.opacas else lee[j])}
            if j == i or any(v[0] == "V" for v in esperado[j].values()):
                afectadas.add(j)
            for n in self._toca(j, j in afectadas, toca_distinta, nombres):
                estado[n] = ("V" if j in afectadas else "B", j)
        return esperado, afectadas

    def _simular(self, plan, estado, lee, toca_distinta, esperado, afectadas) -> int | None:
        """Ejecuta ``plan`` sobre ``estado`` (lo modifica). Si una celda leería una versión distinta de la
        esperada (la de ``esperado`` o, si no está, la de la referencia), devuelve la celda que falta
        ejecutar antes (``ANTES`` si ninguna lo arregla); si no, None."""
        for j in plan:
            entradas = esperado[j] if j in esperado else {n: ("B", self.ultima_que_toca(n, j)) for n in lee[j]}
            for n, version in entradas.items():
                if estado.get(n, ("B", ANTES)) != version:
                    return version[1] if version[0] == "B" else ANTES
            for n in self._toca(j, j in afectadas, toca_distinta, set(estado)):
                estado[n] = ("V" if j in afectadas else "B", j)
        return None

    def restauracion(self, estado: dict[str, Version]) -> list[int] | None:
        """Celdas de la referencia que hay que ejecutar, en orden, para que cada nombre que alguna celda lee
        (``vivos``) vuelva a valer lo de la referencia, partiendo de ``estado`` (la versión de cada nombre tras
        una prueba). None si no se puede (un nombre que existía antes de la primera celda quedó distinto, o
        hay una celda opaca)."""
        objetivo = {n: v for n, v in self._referencia.items() if n in self.vivos}
        plan: set[int] = set()
        while True:
            simulado = dict(estado)
            falta = self._simular(sorted(plan), simulado, self.lee, self.toca, {}, set())
            if falta is None:
                falta = next((v[1] for n, v in objetivo.items() if simulado.get(n, v) != v), None)
                if falta is None:
                    return sorted(plan)
            if falta == ANTES or falta in plan or falta in self.opacas:
                return None
            plan.add(falta)

    def sobrantes(self, estado: dict[str, Version]) -> set[str]:
        """Nombres que dejó una prueba y no existen en la referencia (se borran del kernel)."""
        return {n for n, v in estado.items() if v[0] == "V" and n not in self.catalogo.tipos
                and self.ultima_que_toca(n, self.final) == ANTES}
