"""Informe del instructor: sobre una clase sintética con respuestas conocidas (alumnos que cometen errores
concretos del banco, entregas que faltan, banderas), sus cifras coinciden con las calculadas directamente
de los ``resultado.json``; la página es autocontenida y nunca muestra código de pruebas ocultas."""
from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest

from curso import config
from grader.informes import informe
from grader.mantenimiento import bench_informe, mutaciones
from grader.nucleo import celdas
from grader.nucleo import resultado as registro
from grader.nucleo.resultado import NotaEjercicio, Resultado
from tests.conftest import TAREAS

ALUMNOS = 60
SIN_CARPETA = "zoe_solo_en_lista"  # en la lista de clase, sin carpeta en submitted/ ni resultados
CRITERIOS = informe.Criterios(fallos_por_ejercicio=3)  # pocos grupos: así también hay «otros»


@pytest.fixture(scope="module")
def clase(tmp_path_factory):
    raiz = tmp_path_factory.mktemp("clase")
    tareas = [bench_informe.tarea_real(t) for t in TAREAS]
    plan = bench_informe.escribir_clase(raiz, tareas, ALUMNOS, semilla=7, prob_falta=0.1)
    lista = raiz / "lista.csv"
    pd.DataFrame({"alumno": [SIN_CARPETA, *plan.alumnos[:10]]}).to_csv(lista, index=False)
    ruta = informe.generar(raiz / "informe", raiz=raiz, lista=lista, criterios=CRITERIOS)
    resultados, sin_entrega = {}, 0
    for archivo in (raiz / config.DIR_CALIFICADOS).glob("*/*/resultado.json"):
        r = json.loads(archivo.read_text(encoding="utf-8"))
        if r["estado"] == "sin_entrega":  # registro de una entrega que falta: no es una entrega
            sin_entrega += 1
            continue
        resultados[(r["alumno"], r["tarea"])] = r
    tablas = {n: pd.read_csv(ruta.parent / f"{n}.csv", keep_default_na=False, na_values=[""])
              for n in informe.Tablas.CSV}
    return SimpleNamespace(raiz=raiz, plan=plan, ruta=ruta, resultados=resultados, sin_entrega=sin_entrega,
                           tablas=tablas, tareas=tareas, clase=sorted([*plan.alumnos, SIN_CARPETA]))


def _porcentaje(r):
    auto = [n for n in r["notas"] if n["estado"] != "manual"]
    return 100 * sum(n["puntos"] or 0 for n in auto) / sum(n["maximo"] for n in auto)


def test_la_clase_sintetica_tiene_de_todo(clase):
    """La prueba solo vale si la clase tiene errores del banco, faltas, banderas y mensajes fuera del banco."""
    estados = Counter(r["estado"] for r in clase.resultados.values())
    assert len(clase.plan.errores) > 100 and len(clase.plan.faltan) > 5
    assert 0 < clase.sin_entrega < len(clase.plan.faltan)  # faltas con y sin registro «sin_entrega»
    assert estados["tiempo_agotado"] and estados["ok"] > 100
    assert len(clase.plan.mensajes) > len(clase.plan.errores)  # también hay fallos que no están en el banco
    assert (clase.tablas["fallos"]["mensaje"] == informe.OTROS).any()


def test_cuadernos_entregas_faltas_notas_y_tiempos(clase):
    cuadernos = clase.tablas["cuadernos"].set_index("tarea")
    assert list(cuadernos.index) == TAREAS
    for tarea in TAREAS:
        propios = [r for (a, t), r in clase.resultados.items() if t == tarea]
        fila = cuadernos.loc[tarea]
        assert fila["alumnos"] == len(clase.clase) == ALUMNOS + 1
        assert fila["entregas"] == len(propios)
        assert fila["sin_entrega"] == len(clase.clase) - len(propios) == \
            sum(t == tarea for _, t in clase.plan.faltan) + 1
        assert fila["segundos_mediana"] == pytest.approx(statistics.median(r["segundos"] for r in propios), abs=0.01)
        assert fila["nota_media"] == pytest.approx(statistics.mean(map(_porcentaje, propios)), abs=0.01)
        assert fila["nota_mediana"] == pytest.approx(statistics.median(map(_porcentaje, propios)), abs=0.01)
        for estado in ("archivo_invalido", "tiempo_agotado", "kernel_murio"):
            assert fila[estado] == sum(r["estado"] == estado for r in propios)


def test_ejercicios_cuentan_cada_estado(clase):
    ejercicios = clase.tablas["ejercicios"].set_index(["tarea", "ejercicio"])
    esperados = {}
    for r in clase.resultados.values():
        for n in r["notas"]:
            if n["estado"] != "manual":
                esperados.setdefault((r["tarea"], n["ejercicio"]), Counter())[n["estado"]] += 1
    assert set(ejercicios.index) == set(esperados)
    for clave, cuenta in esperados.items():
        fila = ejercicios.loc[clave]
        for estado in informe.ESTADOS_NOTA:
            assert fila[estado] == cuenta[estado], (clave, estado)
        assert fila["entregas"] == sum(cuenta.values())
        assert fila["acierto"] == pytest.approx(100 * cuenta["correcto"] / sum(cuenta.values()), abs=0.01)


def _grupos_esperados(clase, tarea, ejercicio) -> Counter:
    """Grupos de fallos según el plan: los errores del banco cuyo fragmento aparece en el mensaje de cada
    alumno (o el texto del mensaje, si es un fallo que el banco no recoge)."""
    banco = [e for e in mutaciones.cargar(tarea) if e.ejercicio == ejercicio and not e.correcta]
    grupos = Counter()
    for (alumno, t, ej), mensaje in clase.plan.mensajes.items():
        if (t, ej) != (tarea, ejercicio):
            continue
        errores = frozenset(e.descripcion for e in banco if e.mensaje in mensaje)
        if (alumno, t, ej) in clase.plan.errores:
            assert clase.plan.errores[(alumno, t, ej)].descripcion in errores
        grupos[errores or mensaje] += 1
    return grupos


def test_fallos_se_emparejan_con_los_errores_del_banco(clase):
    """Todos los grupos (sin recortar a los más frecuentes): cada uno tiene tantos alumnos como el plan
    dice que cometieron alguno de sus errores del banco (o escribieron ese mensaje)."""
    resultados = [Resultado.desde_dict(r) for r in clase.resultados.values()]
    tablas = informe.calcular(resultados, clase.clase, TAREAS, criterios=informe.Criterios(fallos_por_ejercicio=10**6))
    fallos = tablas.fallos
    assert not (fallos["mensaje"] == informe.OTROS).any()
    comprobados = 0
    for (tarea, ejercicio), filas in fallos.groupby(["tarea", "ejercicio"]):
        obtenidos = Counter({(frozenset(f.errores_banco.split(" | ")) if f.errores_banco else f.mensaje): f.veces
                             for f in filas.itertuples()})
        assert obtenidos == _grupos_esperados(clase, tarea, ejercicio), (tarea, ejercicio)
        incorrectas = sum(n["estado"] == "incorrecto" for (a, t), r in clase.resultados.items() if t == tarea
                          for n in r["notas"] if n["ejercicio"] == ejercicio)
        assert filas["veces"].sum() == incorrectas
        assert filas["pct_fallos"].sum() == pytest.approx(100)
        comprobados += 1
    assert comprobados >= 15


def test_errores_que_comparten_mensaje_salen_juntos(clase):
    """En el banco de verdad hay errores distintos con el mismo fragmento: el informe los agrupa y lo dice."""
    compartidos = Counter((t.nombre, e.ejercicio, e.mensaje) for t in clase.tareas for e in t.errores if not e.correcta)
    (tarea, ejercicio, fragmento), veces = compartidos.most_common(1)[0]
    assert veces >= 2, "ningún fragmento compartido en el banco: la prueba no comprueba nada"
    descripciones = {e.descripcion for t in clase.tareas for e in t.errores
                     if (t.nombre, e.ejercicio, e.mensaje) == (tarea, ejercicio, fragmento)}
    fallos = clase.tablas["fallos"]
    fila = fallos[(fallos["tarea"] == tarea) & (fallos["ejercicio"] == ejercicio)
                  & fallos["errores_banco"].fillna("").str.contains(next(iter(descripciones)), regex=False)].iloc[0]
    assert set(fila["errores_banco"].split(" | ")) >= descripciones
    assert fila["veces"] == sum(1 for k, e in clase.plan.errores.items() if k[1:] == (tarea, ejercicio)
                                and e.mensaje == fragmento)
    assert f"uno de estos {fila['num_errores_banco']} (dan el mismo mensaje)" in clase.ruta.read_text(encoding="utf-8")


def test_recorte_a_los_mas_frecuentes_y_otros(clase):
    """Se muestran los grupos más frecuentes de cada ejercicio y «otros» suma exactamente el resto."""
    fallos = clase.tablas["fallos"]
    for (tarea, ejercicio), filas in fallos.groupby(["tarea", "ejercicio"]):
        visibles = filas[filas["mensaje"] != informe.OTROS]
        esperados = _grupos_esperados(clase, tarea, ejercicio)
        assert len(visibles) == min(CRITERIOS.fallos_por_ejercicio, len(esperados))
        assert list(visibles["veces"]) == sorted(esperados.values(), reverse=True)[:len(visibles)]
        otros = filas.loc[filas["mensaje"] == informe.OTROS, "veces"]
        assert otros.sum() == sum(esperados.values()) - visibles["veces"].sum()


def _banderas_directas(clase) -> dict[str, Counter]:
    por_alumno = {}
    for alumno in clase.clase:
        cuenta = Counter()
        for tarea in TAREAS:
            r = clase.resultados.get((alumno, tarea))
            if r is None:
                cuenta["sin_entrega"] += 1
                continue
            for b in set(r["banderas"]) | {r["estado"]}:
                if b in informe.BANDERAS and b not in informe.BANDERAS_DEL_CALIFICADOR:
                    cuenta[b] += 1
        if cuenta:
            por_alumno[alumno] = cuenta
    return por_alumno


def test_banderas_por_alumno(clase):
    banderas = clase.tablas["banderas"].set_index("alumno")
    esperadas = _banderas_directas(clase)
    assert set(banderas.index) == set(esperadas)
    assert banderas.loc[SIN_CARPETA, "sin_entrega"] == len(TAREAS)
    for alumno, cuenta in esperadas.items():
        for columna in banderas.columns.drop("detalle"):
            assert banderas.loc[alumno, columna] == cuenta[columna], (alumno, columna)
    assert {"manipulacion", "tiempo_agotado", "kernel_murio", "archivo_invalido", "sin_entrega"} <= {
        b for c in esperadas.values() for b in c}


def test_alumnos_que_pueden_necesitar_ayuda(clase):
    ayuda = clase.tablas["ayuda"].set_index("alumno")
    esperados = set()
    for alumno in clase.clase:
        propios = [r for (a, t), r in clase.resultados.items() if a == alumno]
        faltan = len(TAREAS) - len(propios)
        media = statistics.mean(map(_porcentaje, propios)) if propios else None
        tiempos = sum("tiempo_agotado" in r["banderas"] or r["estado"] == "tiempo_agotado" for r in propios)
        if faltan or (media is not None and media < CRITERIOS.nota_baja) or tiempos >= CRITERIOS.tiempos_agotados:
            esperados.add(alumno)
            assert ayuda.loc[alumno, "sin_entregar"] == faltan
            assert ayuda.loc[alumno, "tiempos_agotados"] == tiempos
    assert set(ayuda.index) == esperados
    assert SIN_CARPETA in esperados and len(esperados) < len(clase.clase)
    assert (ayuda["nota_media"].dropna() < CRITERIOS.nota_baja).any()


def _lineas_ocultas() -> list[str]:
    """Las líneas de las pruebas ocultas de todas las fuentes del curso (las que tienen algo propio)."""
    lineas = []
    for tarea in TAREAS:
        for celda in nbformat.read(config.cuaderno_fuente(tarea), as_version=4).cells:
            if celdas.INICIO_OCULTAS in celda.source:
                oculto = celda.source.split(celdas.INICIO_OCULTAS, 1)[1].split("### END HIDDEN TESTS")[0]
                lineas += [l.strip() for l in oculto.splitlines() if len(l.strip()) >= 25]
    return lineas


def test_sin_codigo_de_pruebas_ocultas(clase):
    ocultas = _lineas_ocultas()
    assert len(ocultas) > 20
    for archivo in clase.ruta.parent.iterdir():
        texto = archivo.read_text(encoding="utf-8")
        assert "HIDDEN TESTS" not in texto
        filtradas = [l for l in ocultas if l in texto]
        assert not filtradas, (archivo.name, filtradas[:3])


def test_pagina_autocontenida_y_en_espanol(clase):
    texto = clase.ruta.read_text(encoding="utf-8")
    assert clase.ruta.stat().st_size < bench_informe.OBJETIVO_BYTES
    assert '<html lang="es">' in texto and "Alumnos que pueden necesitar ayuda" in texto
    imagenes = re.findall(r'<img [^>]*src="([^"]{0,30})', texto)
    assert len(imagenes) == len(TAREAS) + 1 and all(s.startswith("data:image/png;base64,") for s in imagenes)
    assert not re.search(r'(src|href)="(https?:)?//', texto)
    for tarea in TAREAS:
        assert f'id="{tarea}"' in texto


def _grader(*args):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=config.RAIZ)


def test_orden_informe(clase, tmp_path):
    lista = tmp_path / "lista.csv"
    lista.write_text("alumno\nyago_nuevo\n", encoding="utf-8")
    r = _grader("informe", "--calificados", str(clase.raiz / config.DIR_CALIFICADOS), "--entregas",
                str(clase.raiz / config.DIR_ENTREGAS), "--alumnos", str(lista), "--tareas", TAREAS[0],
                "--salida", str(tmp_path / "informe"))
    assert r.returncode == 0, r.stderr
    assert "Informe escrito en" in r.stdout
    cuadernos = pd.read_csv(tmp_path / "informe" / "cuadernos.csv")
    assert list(cuadernos["tarea"]) == [TAREAS[0]] and cuadernos["alumnos"].iloc[0] == ALUMNOS + 1
    assert "yago_nuevo" in set(pd.read_csv(tmp_path / "informe" / "ayuda.csv")["alumno"])


def test_orden_informe_errores_claros(clase, tmp_path):
    r = _grader("informe", "--calificados", str(tmp_path / "no_existe"), "--salida", str(tmp_path / "x"))
    assert r.returncode == 2 and "califica primero" in r.stderr and "Traceback" not in r.stderr
    mala = tmp_path / "mala.csv"
    mala.write_text("nombre\nana\n", encoding="utf-8")
    r = _grader("informe", "--calificados", str(clase.raiz / config.DIR_CALIFICADOS), "--alumnos", str(mala),
                "--salida", str(tmp_path / "x"))
    assert r.returncode == 2 and "columna «alumno»" in r.stderr and "Traceback" not in r.stderr
    r = _grader("informe", "--calificados", str(clase.raiz / config.DIR_CALIFICADOS), "--tareas", "77_nada",
                "--salida", str(tmp_path / "x"))
    assert r.returncode == 2 and "No hay resultados de 77_nada" in r.stderr


def test_resultado_ilegible_se_avisa_sin_detener(clase, tmp_path):
    import shutil

    calificados = tmp_path / "calificados"
    shutil.copytree(clase.raiz / config.DIR_CALIFICADOS, calificados)
    roto = calificados / clase.plan.alumnos[0] / "99_rota" / "resultado.json"
    roto.parent.mkdir()
    roto.write_text("{no es json", encoding="utf-8")
    ruta = informe.generar(tmp_path / "informe", calificados=calificados, entregas=Path(tmp_path / "nada"))
    assert "No se pudo leer" in ruta.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------ entradas hostiles

# Un id de alumno que solo puede venir de un resultado.json (lleva «/»), uno que puede ser el nombre de una
# carpeta de submitted/, y un mensaje y un aviso que intentan cerrar la tabla y abrir un script.
ID_HOSTIL = '=HYPERLINK("x")</td></tr></table><script>alert("id")</script>&amp;<!--'
CARPETA_HOSTIL = "<img src=x onerror=alert(1)>\"'&lt;"
MENSAJE_HOSTIL = '</pre></td></tr></table></details><script>alert("mensaje")</script>]]><!-- ${{7*7}}'
VACIOS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Estructura(HTMLParser):
    """Comprueba que cada etiqueta que se abre se cierra en orden (la página no se rompe) y cuenta los scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pila, self.errores, self.scripts = [], [], 0

    def handle_starttag(self, etiqueta, atributos):
        self.scripts += etiqueta == "script"
        if etiqueta not in VACIOS:
            self.pila.append(etiqueta)

    def handle_endtag(self, etiqueta):
        if etiqueta in VACIOS:
            return
        if not self.pila or self.pila[-1] != etiqueta:
            self.errores.append(f"</{etiqueta}> cierra <{self.pila[-1] if self.pila else '—'}>")
        else:
            self.pila.pop()


def _estructura(pagina: str) -> _Estructura:
    e = _Estructura()
    e.feed(pagina)
    e.close()
    return e


def test_ids_carpetas_y_mensajes_hostiles_no_rompen_la_pagina(tmp_path):
    tarea = TAREAS[0]
    calificados = tmp_path / config.DIR_CALIFICADOS
    (tmp_path / config.DIR_ENTREGAS / CARPETA_HOSTIL).mkdir(parents=True)
    notas = [NotaEjercicio("ej01_a", "ej01_a-pruebas", 0, 2, "incorrecto", MENSAJE_HOSTIL),
             NotaEjercicio("ej01_b", "ej01_b-pruebas", 3, 3, "correcto", "Correcto.")]
    for carpeta, alumno in (("uno", ID_HOSTIL), (CARPETA_HOSTIL, CARPETA_HOSTIL), ("tres", "tres")):
        registro.escribir(Resultado(alumno, tarea, "tiempo_agotado", MENSAJE_HOSTIL, notas, avisos=[MENSAJE_HOSTIL],
                                    banderas=["tiempo_agotado"], segundos=1.0), calificados / carpeta / tarea)
    limpia = informe.generar(tmp_path / "limpia", calificados=calificados, entregas=tmp_path / "nada",
                             banco=lambda t: [], criterios=informe.Criterios(tiempos_agotados=1))
    ruta = informe.generar(tmp_path / "informe", calificados=calificados, entregas=tmp_path / config.DIR_ENTREGAS,
                           banco=lambda t: [], criterios=informe.Criterios(tiempos_agotados=1))
    pagina = ruta.read_text(encoding="utf-8")
    estructura = _estructura(pagina)
    assert estructura.errores == [] and estructura.pila == []
    assert estructura.scripts == _estructura(limpia.read_text(encoding="utf-8")).scripts  # ninguno más
    assert "<script>alert" not in pagina and "<img src=x" not in pagina and "</table></details>" not in pagina
    # lo hostil se ve, escapado (no desaparece en silencio)
    assert "&lt;script&gt;alert(&#34;id&#34;)" in pagina and "&lt;img src=x onerror=alert(1)&gt;" in pagina
    assert "&lt;script&gt;alert(&#34;mensaje&#34;)" in pagina
    # y en los CSV ninguna celda empieza como una fórmula de hoja de cálculo
    for archivo in ruta.parent.glob("*.csv"):
        tabla = pd.read_csv(archivo, dtype=str, keep_default_na=False)
        assert not any(str(v).startswith(("=", "+", "-", "@")) and not _numero(v)
                       for v in tabla.to_numpy().ravel()), archivo.name


def _numero(valor: str) -> bool:
    try:
        float(valor)
        return True
    except ValueError:
        return False
