"""Informe del instructor: qué ha aprendido la clase y qué conviene repasar.

Lee los registros de calificación (``autograded/<alumno>/<tarea>/resultado.json``), nunca los cuadernos,
y escribe en una carpeta una página HTML autocontenida en español (gráficos PNG incrustados) y un CSV
por tabla. Decisiones (la página las repite en «Cómo se calcula»):

- **Lista de clase**: alumnos con carpeta en ``submitted/``, más los que tengan algún resultado, más los
  de la lista opcional (CSV con una columna ``alumno``). Un alumno de la lista sin resultado de un
  cuaderno (o con estado ``sin_entrega``) cuenta como «sin entrega».
- **Cuadernos**: los que tienen al menos un resultado (o los que se pidan); no se suponen nombres.
- **Nota**: puntos automáticos sobre el máximo automático; las respuestas escritas (estado ``manual``) se
  califican a mano y no cuentan aquí.
- **Acierto de un ejercicio**: notas ``correcto`` entre entregas del cuaderno (incluidas las que no se
  pudieron ejecutar: también son alumnos sin ese ejercicio aprobado).
- **Errores típicos**: un mensaje de fallo (nota ``incorrecto``) corresponde a un error del banco
  (``tests/errores/<tarea>.yml``) de su ejercicio si contiene su fragmento ``mensaje``. Los fallos se
  agrupan por el conjunto de errores con que coinciden (varios errores pueden dar el mismo mensaje) o,
  si no coincide ninguno, por su texto; se muestran los grupos más frecuentes y el resto como «otros».
"""
from __future__ import annotations

import base64
import io
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from curso import config
from grader.informes.libro import tabla_segura
from grader.mantenimiento import mutaciones
from grader.nucleo import resultado as registro
from grader.nucleo.resultado import BANDERAS, ESTADOS, ESTADOS_NOTA, NotaEjercicio, Resultado

PLANTILLA = Path(__file__).with_name("plantillas") / "informe.html.j2"
ARCHIVO_HTML = "informe.html"

# Las barras apiladas siguen el orden de ESTADOS_NOTA (el estado «manual» no se dibuja).
SIN_ENTREGA = "sin_entrega"
# Banderas que siempre se muestran por alumno (las que pide el instructor), aunque nadie las tenga.
BANDERAS_PRINCIPALES = ("tiempo_agotado", "kernel_murio", "archivo_invalido", "manipulacion")
# Banderas del proceso de calificación, no del alumno: se cuentan por cuaderno, no por alumno.
BANDERAS_DEL_CALIFICADOR = ("sin_aislamiento",)
OTROS = "otros"
FILAS_VISIBLES = 20  # filas de las listas de alumnos visibles sin desplegar


@dataclass(frozen=True)
class Criterios:
    """Umbrales del informe (la página los muestra tal cual)."""

    nota_baja: float = 50.0  # % de nota media (en lo entregado) por debajo del cual se sugiere ayuda
    tiempos_agotados: int = 2  # cuadernos con tiempo agotado a partir de los cuales se sugiere ayuda
    fallos_por_ejercicio: int = 5  # grupos de mensajes por ejercicio; el resto va a «otros»
    ejercicios_curso: int = 25  # ejercicios más difíciles en el gráfico del curso (el CSV los tiene todos)
    errores_curso: int = 10  # errores más frecuentes de todo el curso


@dataclass
class Tablas:
    """Las tablas del informe (cada una se escribe también como CSV)."""

    entregas: pd.DataFrame  # una fila por (alumno, cuaderno) de la lista de clase
    cuadernos: pd.DataFrame
    ejercicios: pd.DataFrame
    fallos: pd.DataFrame
    errores_frecuentes: pd.DataFrame
    banderas: pd.DataFrame
    ayuda: pd.DataFrame
    manuales: dict[str, list[str]] = field(default_factory=dict)  # respuestas escritas por cuaderno
    avisos: list[str] = field(default_factory=list)

    CSV = ("cuadernos", "entregas", "ejercicios", "fallos", "errores_frecuentes", "banderas", "ayuda")


# ---------------------------------------------------------------- lectura


def leer_resultados(calificados: Path) -> tuple[list[Resultado], list[str]]:
    """Los registros de ``calificados/<alumno>/<tarea>/`` (``grader.nucleo.resultado``) y avisos de los que no se
    pudieron leer."""
    if not calificados.is_dir():
        raise FileNotFoundError(f"No hay entregas calificadas en {calificados}: califica primero.")
    resultados, avisos = registro.leer_todos(calificados)
    if not resultados:
        raise FileNotFoundError(f"No hay ningún {registro.NOMBRE} en {calificados}: califica primero.")
    return resultados, avisos


def leer_lista(ruta: Path) -> list[str]:
    """Alumnos de un CSV con una columna ``alumno`` (la lista de clase del instructor)."""
    if not ruta.is_file():
        raise FileNotFoundError(f"No existe la lista de alumnos {ruta}.")
    tabla = pd.read_csv(ruta, dtype=str)
    if "alumno" not in tabla.columns:
        raise ValueError(f"La lista {ruta.name} debe tener una columna «alumno» (tiene: {', '.join(tabla.columns)}).")
    return [a.strip() for a in tabla["alumno"].dropna() if a.strip()]


def lista_de_clase(resultados: list[Resultado], entregas: Path | None = None, lista: list[str] = ()) -> list[str]:
    """Alumnos con carpeta de entregas, con algún resultado o en la lista del instructor (ordenados)."""
    alumnos = {r.alumno for r in resultados} | set(lista)
    if entregas is not None and entregas.is_dir():
        alumnos |= {p.name for p in entregas.iterdir() if p.is_dir() and not p.name.startswith(".")}
    return sorted(alumnos)


# ---------------------------------------------------------------- tablas


def banderas_de(resultado: Resultado) -> set[str]:
    """Banderas de una entrega: las que guardó el calificador más su estado si también es una bandera."""
    return (set(resultado.banderas) | {resultado.estado}) & BANDERAS.keys()


def _es_automatica(nota: NotaEjercicio) -> bool:
    return nota.estado != "manual"


def tabla_entregas(resultados: list[Resultado], alumnos: list[str], tareas: list[str]) -> pd.DataFrame:
    """Una fila por (alumno, cuaderno): estado, puntos y máximo automáticos, %, segundos y banderas. Una
    entrega sin nota (el calificador falló) no tiene puntos ni % (no es un 0 del alumno)."""
    por_clave = {(r.alumno, r.tarea): r for r in resultados}
    filas = []
    for alumno in alumnos:
        for tarea in tareas:
            r = por_clave.get((alumno, tarea))
            if r is None or r.estado == SIN_ENTREGA:
                filas.append({"alumno": alumno, "tarea": tarea, "estado": SIN_ENTREGA})
                continue
            auto = [n for n in r.notas if _es_automatica(n)]
            puntos = float(sum(n.puntos or 0 for n in auto)) if r.tiene_nota else float("nan")
            maximo = float(sum(n.maximo for n in auto))
            filas.append({"alumno": alumno, "tarea": tarea, "estado": r.estado, "puntos": puntos,
                          "maximo": maximo, "porcentaje": 100 * puntos / maximo if maximo else float("nan"),
                          "segundos": float(r.segundos or 0),
                          "banderas": " ".join(sorted(banderas_de(r)))})
    columnas = ["alumno", "tarea", "estado", "puntos", "maximo", "porcentaje", "segundos", "banderas"]
    tabla = pd.DataFrame(filas, columns=columnas)
    tabla["banderas"] = tabla["banderas"].fillna("")
    return tabla


def tabla_notas(resultados: list[Resultado], tareas: list[str]) -> pd.DataFrame:
    """Una fila por (entrega, ejercicio automático), en el orden del cuaderno."""
    filas = []
    for r in resultados:
        if r.tarea not in tareas or r.estado == SIN_ENTREGA:
            continue
        for orden, n in enumerate(r.notas):
            filas.append({"alumno": r.alumno, "tarea": r.tarea, "ejercicio": n.ejercicio,
                          "orden": orden, "estado": n.estado, "puntos": n.puntos, "maximo": n.maximo,
                          "mensaje": n.mensaje or ""})
    return pd.DataFrame(filas, columns=["alumno", "tarea", "ejercicio", "orden", "estado", "puntos", "maximo",
                                        "mensaje"])


def tabla_cuadernos(entregas: pd.DataFrame, tareas: list[str]) -> pd.DataFrame:
    """Por cuaderno: lista de clase, entregas, estados, nota media y mediana, mediana de segundos y banderas."""
    filas = []
    for tarea in tareas:
        t = entregas[entregas["tarea"] == tarea]
        hechas = t[t["estado"] != SIN_ENTREGA]
        fila = {"tarea": tarea, "alumnos": len(t), "entregas": len(hechas)}
        fila.update({estado: int((t["estado"] == estado).sum()) for estado in ESTADOS if estado != "ok"})
        fila.update({
            "maximo": hechas["maximo"].max() if len(hechas) else float("nan"),
            "nota_media": hechas["porcentaje"].mean(),
            "nota_mediana": hechas["porcentaje"].median(),
            "segundos_mediana": hechas["segundos"].median(),
        })
        banderas = Counter(b for texto in hechas["banderas"] for b in texto.split())
        fila.update({f"bandera_{b}": banderas.get(b, 0) for b in BANDERAS})
        filas.append(fila)
    return pd.DataFrame(filas)


def tabla_ejercicios(notas: pd.DataFrame, tareas: list[str]) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Por ejercicio automático: cuántas notas de cada estado y tasa de acierto; y las respuestas escritas."""
    filas, manuales = [], {}
    for tarea in tareas:
        t = notas[notas["tarea"] == tarea]
        orden = t.groupby("ejercicio", sort=False)["orden"].min().sort_values()
        manuales[tarea] = []
        for ejercicio in orden.index:
            e = t[t["ejercicio"] == ejercicio]
            if (e["estado"] == "manual").all():
                manuales[tarea].append(ejercicio)
                continue
            cuenta = e["estado"].value_counts()
            fila = {"tarea": tarea, "ejercicio": ejercicio, "maximo": e["maximo"].max(), "entregas": len(e)}
            fila.update({estado: int(cuenta.get(estado, 0)) for estado in ESTADOS_NOTA})
            fila["acierto"] = 100 * fila["correcto"] / len(e)
            filas.append(fila)
    columnas = ["tarea", "ejercicio", "maximo", "entregas", *ESTADOS_NOTA, "acierto"]
    return pd.DataFrame(filas, columns=columnas), manuales


def coincidencias(mensaje: str, errores: list[mutaciones.Error]) -> tuple[int, ...]:
    """Índices (en ``errores``) de los errores típicos cuyo fragmento de mensaje aparece en ``mensaje``."""
    return tuple(i for i, e in enumerate(errores) if e.mensaje and e.mensaje in mensaje)


def grupos_de_fallos(mensajes: list[str], errores: list[mutaciones.Error]) -> list[dict]:
    """Agrupa los mensajes de fallo de un ejercicio por errores del banco coincidentes (o por texto).

    Cada grupo: ``veces``, ``ejemplo`` (su mensaje más frecuente), ``distintos`` (textos distintos) y
    ``errores`` (los errores del banco que dan ese mensaje; vacío si ninguno). Del más al menos frecuente.
    """
    por_texto = Counter(mensajes)
    grupos: dict[tuple, Counter] = {}
    for texto, veces in por_texto.items():
        indices = coincidencias(texto, errores)
        clave = ("banco", indices) if indices else ("texto", texto)
        grupos.setdefault(clave, Counter())[texto] += veces
    salida = [{"veces": sum(c.values()), "ejemplo": c.most_common(1)[0][0], "distintos": len(c),
               "errores": [errores[i] for i in clave[1]] if clave[0] == "banco" else []}
              for clave, c in grupos.items()]
    return sorted(salida, key=lambda g: (-g["veces"], g["ejemplo"]))


def tabla_fallos(notas: pd.DataFrame, ejercicios: pd.DataFrame,
                 banco: Callable[[str], list[mutaciones.Error]], cuantos: int) -> pd.DataFrame:
    """Los grupos de fallos más frecuentes de cada ejercicio (y «otros» con el resto)."""
    incorrectas = notas[notas["estado"] == "incorrecto"]
    mensajes_de = incorrectas.groupby(["tarea", "ejercicio"])["mensaje"].apply(list).to_dict()
    filas = []
    for tarea, t in ejercicios.groupby("tarea", sort=False):
        errores_tarea = [e for e in banco(tarea) if not e.correcta]
        for ej in t.itertuples():
            mensajes = mensajes_de.get((tarea, ej.ejercicio), [])
            errores = [e for e in errores_tarea if e.ejercicio == ej.ejercicio]
            grupos = grupos_de_fallos(mensajes, errores)
            base = {"tarea": tarea, "ejercicio": ej.ejercicio}
            for puesto, g in enumerate(grupos[:cuantos], start=1):
                filas.append({**base, "puesto": puesto, "veces": g["veces"], "mensaje": g["ejemplo"],
                              "mensajes_distintos": g["distintos"],
                              "errores_banco": " | ".join(e.descripcion for e in g["errores"]),
                              "num_errores_banco": len(g["errores"])})
            resto = grupos[cuantos:]
            if resto:
                filas.append({**base, "puesto": cuantos + 1, "veces": sum(g["veces"] for g in resto),
                              "mensaje": OTROS, "mensajes_distintos": sum(g["distintos"] for g in resto),
                              "errores_banco": "", "num_errores_banco": 0})
    columnas = ["tarea", "ejercicio", "puesto", "veces", "pct_fallos", "pct_entregas", "mensaje",
                "mensajes_distintos", "errores_banco", "num_errores_banco"]
    tabla = pd.DataFrame(filas, columns=[c for c in columnas if not c.startswith("pct_")])
    totales = ejercicios.set_index(["tarea", "ejercicio"])
    clave = pd.MultiIndex.from_frame(tabla[["tarea", "ejercicio"]])
    tabla["pct_fallos"] = 100 * tabla["veces"].to_numpy() / totales["incorrecto"].reindex(clave).to_numpy()
    tabla["pct_entregas"] = 100 * tabla["veces"].to_numpy() / totales["entregas"].reindex(clave).to_numpy()
    return tabla[columnas]


def tabla_errores_frecuentes(fallos: pd.DataFrame, cuantos: int) -> pd.DataFrame:
    """Los grupos de fallos más frecuentes de todo el curso (sin «otros»)."""
    return (fallos[fallos["mensaje"] != OTROS]
            .sort_values(["veces", "tarea", "ejercicio"], ascending=[False, True, True])
            .head(cuantos).reset_index(drop=True))


def _por_alumno(entregas: pd.DataFrame) -> dict[str, list[dict]]:
    """Las filas de ``entregas`` agrupadas por alumno (en orden alfabético)."""
    grupos: dict[str, list[dict]] = {}
    for fila in entregas.to_dict("records"):
        grupos.setdefault(fila["alumno"], []).append(fila)
    return dict(sorted(grupos.items()))


def tabla_banderas(entregas: pd.DataFrame) -> pd.DataFrame:
    """Por alumno con alguna bandera o entrega que falta: cuántos cuadernos de cada tipo y cuáles."""
    por_alumno = [b for b in BANDERAS if b not in BANDERAS_DEL_CALIFICADOR] + [SIN_ENTREGA]
    filas = []
    for alumno, cuadernos in _por_alumno(entregas).items():
        cuenta = dict.fromkeys(por_alumno, 0)
        detalle = []
        for fila in cuadernos:
            marcas = [SIN_ENTREGA] if fila["estado"] == SIN_ENTREGA else [
                b for b in fila["banderas"].split() if b in cuenta]
            for b in marcas:
                cuenta[b] += 1
            if marcas:
                detalle.append(f"{fila['tarea']}: " + ", ".join(_nombre_bandera(b) for b in marcas))
        if detalle:
            filas.append({"alumno": alumno, **cuenta, "detalle": "; ".join(detalle), "_total": sum(cuenta.values())})
    tabla = pd.DataFrame(filas, columns=["alumno", *por_alumno, "detalle", "_total"])
    return (tabla.sort_values(["_total", "alumno"], ascending=[False, True]).drop(columns="_total")
            .reset_index(drop=True))


def tabla_ayuda(entregas: pd.DataFrame, criterios: Criterios) -> pd.DataFrame:
    """Alumnos que pueden necesitar ayuda: les faltan cuadernos, nota media baja o varios tiempos agotados."""
    filas = []
    for alumno, cuadernos in _por_alumno(entregas).items():
        hechas = [f for f in cuadernos if f["estado"] != SIN_ENTREGA]
        faltan = [f["tarea"] for f in cuadernos if f["estado"] == SIN_ENTREGA]
        porcentajes = [f["porcentaje"] for f in hechas if not pd.isna(f["porcentaje"])]
        media = sum(porcentajes) / len(porcentajes) if porcentajes else float("nan")
        tiempos = sum("tiempo_agotado" in f["banderas"].split() for f in hechas)
        motivos = []
        if faltan:
            motivos.append(f"sin entregar: {', '.join(faltan)}")
        if media < criterios.nota_baja:
            motivos.append(f"nota media {_num(media, 0)} % (< {_num(criterios.nota_baja, 0)} %)")
        if tiempos >= criterios.tiempos_agotados:
            motivos.append(f"tiempo agotado en {tiempos} cuadernos")
        if motivos:
            filas.append({"alumno": alumno, "motivos": "; ".join(motivos), "num_motivos": len(motivos),
                          "sin_entregar": len(faltan), "nota_media": media, "tiempos_agotados": tiempos})
    columnas = ["alumno", "motivos", "num_motivos", "sin_entregar", "nota_media", "tiempos_agotados"]
    return (pd.DataFrame(filas, columns=columnas)
            .sort_values(["num_motivos", "nota_media", "alumno"], ascending=[False, True, True], na_position="first")
            .reset_index(drop=True))


def calcular(resultados: list[Resultado], alumnos: list[str], tareas: list[str],
             banco: Callable[[str], list[mutaciones.Error]] = mutaciones.cargar,
             criterios: Criterios = Criterios()) -> Tablas:
    """Todas las tablas del informe a partir de los resultados y la lista de clase."""
    entregas = tabla_entregas(resultados, alumnos, tareas)
    notas = tabla_notas(resultados, tareas)
    ejercicios, manuales = tabla_ejercicios(notas, tareas)
    fallos = tabla_fallos(notas, ejercicios, banco, criterios.fallos_por_ejercicio)
    return Tablas(
        entregas=entregas, cuadernos=tabla_cuadernos(entregas, tareas), ejercicios=ejercicios, fallos=fallos,
        errores_frecuentes=tabla_errores_frecuentes(fallos, criterios.errores_curso),
        banderas=tabla_banderas(entregas), ayuda=tabla_ayuda(entregas, criterios), manuales=manuales,
    )


# ---------------------------------------------------------------- gráficos


def _nombre_bandera(clave: str) -> str:
    """Nombre corto de una bandera: el de su estado si también lo es («tiempo agotado»), si no el de BANDERAS."""
    return ESTADOS.get(clave) or BANDERAS[clave]


def _num(valor: float, decimales: int = 1) -> str:
    """Número con coma decimal (como se escribe en español); «—» si no hay valor."""
    if valor is None or pd.isna(valor):
        return "—"
    return f"{valor:.{decimales}f}".replace(".", ",")


def _colores() -> dict[str, str]:
    """Colores de los gráficos: los ``tab:`` de matplotlib que usan los cuadernos, en parejas que se
    distinguen también con daltonismo (azul = bien, naranja = mal)."""
    return {"correcto": "tab:blue", "parcial": "#9ecae1", "incorrecto": "tab:orange", "sin_responder": "tab:gray",
            "no_ejecutado": "lightgray", "tiempo_agotado": "tab:purple", "kernel_murio": "tab:brown",
            "manipulacion": "tab:red", "error_interno": "black", "histograma": "tab:blue"}


def _png(figura) -> str:
    """La figura como PNG en base64 (para incrustarla en la página)."""
    buffer = io.BytesIO()
    figura.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _barras_acierto(ax, ejercicios: pd.DataFrame, etiquetas: list[str], colores: dict) -> None:
    """Barras horizontales apiladas (% de entregas por estado), la más difícil arriba."""
    izquierda = [0.0] * len(ejercicios)
    for estado, nombre in ESTADOS_NOTA.items():
        ancho = (100 * ejercicios[estado] / ejercicios["entregas"]).tolist()
        ax.barh(etiquetas, ancho, left=izquierda, color=colores[estado], label=nombre, height=0.7)
        izquierda = [a + b for a, b in zip(izquierda, ancho)]
    for y, acierto in enumerate(ejercicios["acierto"]):
        ax.text(101, y, f"{_num(acierto, 0)} %", va="center", fontsize=9)
    ax.set_xlim(0, 112)
    ax.set_xticks(range(0, 101, 20))
    ax.invert_yaxis()
    ax.set_xlabel("% de las entregas (a la derecha: acierto)")
    ax.grid(axis="y", visible=False)
    ax.figure.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=len(ESTADOS_NOTA),
                     fontsize=9, frameon=False)


def figura_cuaderno(tarea: str, entregas: pd.DataFrame, ejercicios: pd.DataFrame, colores: dict) -> str:
    """Histograma de notas y acierto por ejercicio (del más difícil al más fácil) de un cuaderno."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    hechas = entregas[(entregas["tarea"] == tarea) & (entregas["estado"] != SIN_ENTREGA)]
    ej = ejercicios[ejercicios["tarea"] == tarea].sort_values(["acierto", "ejercicio"])
    alto = max(3.4, 0.36 * len(ej) + 1.6)
    figura = Figure(figsize=(11, alto), layout="constrained")
    izq, der = figura.subplots(1, 2, width_ratios=[1, 1.3])
    izq.hist(hechas["porcentaje"].dropna(), bins=range(0, 101, 10), color=colores["histograma"],
             edgecolor="white")
    mediana = hechas["porcentaje"].median()
    if not pd.isna(mediana):
        izq.axvline(mediana, color="black", linestyle="--", linewidth=1, label=f"mediana: {_num(mediana, 0)} %")
        izq.legend(loc="best", fontsize=9)
    izq.set_xlim(0, 100)
    izq.yaxis.set_major_locator(MaxNLocator(integer=True))
    izq.set_xlabel("nota automática (% del máximo)")
    izq.set_ylabel("alumnos")
    faltan = int((entregas[entregas["tarea"] == tarea]["estado"] == SIN_ENTREGA).sum())
    izq.set_title(f"Distribución de notas ({len(hechas)} entregas, {faltan} sin entrega)", fontsize=11)
    if len(ej):
        _barras_acierto(der, ej, ej["ejercicio"].tolist(), colores)
    der.set_title("Resultado por ejercicio (el más difícil arriba)", fontsize=11)
    figura.suptitle(tarea, fontsize=13, fontweight="bold")
    return _png(figura)


def figura_curso(ejercicios: pd.DataFrame, cuantos: int, colores: dict) -> str:
    """Los ``cuantos`` ejercicios con menos acierto de todo el curso."""
    from matplotlib.figure import Figure

    ej = ejercicios.sort_values(["acierto", "tarea", "ejercicio"]).head(cuantos)
    figura = Figure(figsize=(11, max(3.4, 0.32 * len(ej) + 1.6)), layout="constrained")
    ax = figura.subplots()
    _barras_acierto(ax, ej, [f"{t} · {e}" for t, e in zip(ej["tarea"], ej["ejercicio"])], colores)
    ax.set_title(f"Los {len(ej)} ejercicios con menos acierto de todo el curso", fontsize=12)
    return _png(figura)


# ---------------------------------------------------------------- página


def _filas(tabla: pd.DataFrame) -> list[dict]:
    return tabla.to_dict("records")


def contexto(tablas: Tablas, criterios: Criterios, origen: Path, lista: Path | None) -> dict:
    """Todo lo que necesita la plantilla (textos ya formateados y gráficos en base64)."""
    from curso import entorno

    entorno.estilo_graficos()  # el mismo estilo que los cuadernos del curso
    colores = _colores()
    tareas = tablas.cuadernos["tarea"].tolist()
    fallos_de = {clave: _filas(f) for clave, f in tablas.fallos.groupby(["tarea", "ejercicio"], sort=False)}
    resumen_de = {fila["tarea"]: fila for fila in _filas(tablas.cuadernos)}
    secciones = []
    for tarea in tareas:
        ej = tablas.ejercicios[tablas.ejercicios["tarea"] == tarea].sort_values(["acierto", "ejercicio"])
        secciones.append({
            "tarea": tarea,
            "resumen": resumen_de[tarea],
            "figura": figura_cuaderno(tarea, tablas.entregas, tablas.ejercicios, colores),
            "ejercicios": [{**fila, "fallos": fallos_de.get((tarea, fila["ejercicio"]), [])} for fila in _filas(ej)],
            "manuales": tablas.manuales.get(tarea, []),
        })
    visibles = [b for b in BANDERAS if b not in BANDERAS_DEL_CALIFICADOR and (
        b in BANDERAS_PRINCIPALES or tablas.banderas[b].sum() > 0)] + [SIN_ENTREGA]
    alumnos = tablas.entregas["alumno"].nunique()
    return {
        "fecha": time.strftime("%d/%m/%Y %H:%M"),
        "origen": str(origen),
        "lista": str(lista) if lista else "",
        "num_alumnos": alumnos,
        "num_entregas": int((tablas.entregas["estado"] != SIN_ENTREGA).sum()),
        "tareas": tareas,
        "cuadernos": _filas(tablas.cuadernos),
        # Por cuaderno: las banderas (que incluyen los estados tiempo agotado, kernel detenido y archivo no
        # válido) y los estados que no son banderas (error interno), solo si alguno ocurre salvo las principales.
        "banderas_cuaderno": {k: _nombre_bandera(k) for k in BANDERAS
                              if k in BANDERAS_PRINCIPALES or tablas.cuadernos[f"bandera_{k}"].sum() > 0},
        "estados_entrega": {k: v for k, v in ESTADOS.items() if k not in ("ok", SIN_ENTREGA, *BANDERAS)
                            and tablas.cuadernos[k].sum() > 0},
        "figura_curso": figura_curso(tablas.ejercicios, criterios.ejercicios_curso, colores)
        if len(tablas.ejercicios) else "",
        "errores_frecuentes": _filas(tablas.errores_frecuentes),
        "secciones": secciones,
        "banderas": _filas(tablas.banderas),
        "columnas_banderas": {b: _nombre_bandera(b) for b in visibles},
        "ayuda": _filas(tablas.ayuda),
        "criterios": criterios,
        "filas_visibles": FILAS_VISIBLES,
        "estados_nota": ESTADOS_NOTA,
        "avisos": tablas.avisos,
        "csv": [f"{nombre}.csv" for nombre in Tablas.CSV],
        "otros": OTROS,
    }


def pagina(ctx: dict) -> str:
    """La página HTML (plantilla Jinja2 con escape automático)."""
    import jinja2

    entorno = jinja2.Environment(loader=jinja2.FileSystemLoader(PLANTILLA.parent), autoescape=True,
                                 undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    entorno.filters["num"] = _num
    return entorno.get_template(PLANTILLA.name).render(**ctx)


def escribir(tablas: Tablas, salida: Path, criterios: Criterios, origen: Path, lista: Path | None = None) -> Path:
    """Escribe un CSV por tabla y la página ``informe.html`` en ``salida``; devuelve la ruta de la página."""
    salida.mkdir(parents=True, exist_ok=True)
    for nombre in Tablas.CSV:
        tabla_segura(getattr(tablas, nombre).round(2)).to_csv(salida / f"{nombre}.csv", index=False)
    ruta = salida / ARCHIVO_HTML
    ruta.write_text(pagina(contexto(tablas, criterios, origen, lista)), encoding="utf-8")
    return ruta


def generar(salida: Path, raiz: Path = config.RAIZ, calificados: Path | None = None, entregas: Path | None = None,
            lista: Path | None = None, tareas: list[str] | None = None,
            banco: Callable[[str], list[mutaciones.Error]] = mutaciones.cargar,
            criterios: Criterios = Criterios()) -> Path:
    """Informe de los resultados de ``calificados`` (por defecto ``<raiz>/autograded``) en ``salida``.

    La lista de clase sale de ``entregas`` (por defecto ``<raiz>/submitted``), de los resultados y de
    ``lista`` (CSV con una columna ``alumno``). ``tareas`` limita los cuadernos del informe.
    """
    calificados = calificados or raiz / config.DIR_CALIFICADOS
    entregas = entregas or raiz / config.DIR_ENTREGAS
    resultados, avisos = leer_resultados(calificados)
    presentes = sorted({r.tarea for r in resultados})
    if tareas:
        faltan = [t for t in tareas if t not in presentes]
        if faltan:
            raise ValueError(f"No hay resultados de {', '.join(faltan)} en {calificados}.")
    alumnos = lista_de_clase(resultados, entregas, leer_lista(lista) if lista else [])
    tablas = calcular(resultados, alumnos, tareas or presentes, banco, criterios)
    tablas.avisos = avisos
    return escribir(tablas, salida, criterios, calificados, lista)


def texto_resumen(ruta: Path) -> str:
    """Una línea para la consola con lo escrito."""
    return f"Informe escrito en {ruta} ({ruta.stat().st_size / 1024:.0f} KB) y sus tablas CSV en {ruta.parent}."
