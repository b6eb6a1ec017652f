"""El registro de resultado de una calificación: sus campos, sus estados, sus banderas y ``resultado.json``.

Un ``Resultado`` es lo que produce calificar una entrega (un alumno × una tarea) y lo único que leen el lote,
el libro, los CSV, el informe y la retroalimentación. Las banderas son claves de ``BANDERAS`` puestas por el
código que vio el hecho (nunca frases buscadas en los mensajes). ``escribir`` y ``leer`` son la única forma de
guardar y recuperar el registro (``NOMBRE`` en la carpeta de la entrega calificada).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

NOMBRE = "resultado.json"
"""El archivo del registro en ``autograded/<alumno>/<tarea>/``."""

# Señales para el instructor (además del estado): se guardan en resultado.json y en el CSV.
BANDERAS = {
    "manipulacion": "posible manipulación de las pruebas",
    "tiempo_agotado": "una celda agotó su tiempo",
    "kernel_murio": "el kernel se detuvo",
    "sin_memoria": "el kernel se quedó sin memoria",
    "disco_lleno": "se llenó el disco del cuaderno",
    "archivo_invalido": "archivo no válido",
    "entrega_no_regular": "la entrega no es un archivo normal (carpeta, enlace, tubería…)",
    "salida_recortada": "salida recortada por exceso de tamaño",
    "sin_aislamiento": "calificada sin aislamiento",
    "renombrada": "entrega con otro nombre de archivo",
    "celdas_restauradas": "faltaban celdas y se restauraron",
}

# Estado de la nota de un ejercicio (además de "manual": respuesta escrita pendiente del instructor).
ESTADOS_NOTA = {
    "correcto": "correcto",
    "parcial": "parcial",
    "incorrecto": "incorrecto",
    "sin_responder": "sin responder",
    "no_ejecutado": "no ejecutado",
    "tiempo_agotado": "tiempo agotado",
    "kernel_murio": "kernel detenido",
    "manipulacion": "manipulación",
    "error_interno": "error interno del calificador",
}

# Estado de una entrega entera.
ESTADOS = {
    "ok": "calificada",
    "archivo_invalido": "archivo no válido",
    "sin_entrega": "sin entrega",
    "tiempo_agotado": "tiempo agotado",
    "kernel_murio": "el kernel se detuvo",
    "error_interno": "error interno del calificador",
}

SIN_NOTA = ("sin_entrega", "error_interno")
"""Estados sin nota: no se escribe ningún punto (ni un 0) en el libro ni en los CSV."""


@dataclass
class NotaEjercicio:
    """Puntuación de un ejercicio: ``puntos`` es None si espera calificación manual o si el calificador
    falló (estado ``error_interno``: no es un 0 del alumno)."""

    ejercicio: str
    grade_id: str
    puntos: float | None
    maximo: float
    estado: str  # una clave de ESTADOS_NOTA o "manual"
    mensaje: str = ""


@dataclass
class Resultado:
    """Registro de una calificación (lo que se guarda en el libro, en el CSV y en resultado.json)."""

    alumno: str
    tarea: str
    estado: str  # una clave de ESTADOS
    mensaje: str = ""
    notas: list[NotaEjercicio] = field(default_factory=list)
    avisos: list[str] = field(default_factory=list)
    banderas: list[str] = field(default_factory=list)  # claves de BANDERAS
    extraviados: list[str] = field(default_factory=list)  # archivos de submitted/ fuera de sitio (y dónde van)
    segundos: float = 0.0
    segundos_fijos: float = 0.0  # lo que no fue ejecutar celdas del alumno: kernel, cabecera, leer y escribir
    segundos_espera_kernel: float = 0.0  # de ellos, esperando a que el kernel respondiera (arranque no oculto)
    segundos_cpu_kernel: float = 0.0  # CPU de los procesos del kernel (arranque incluido)
    limites: dict = field(default_factory=dict)  # los Limites con que se calificó
    huella: str = ""  # resumen de entrega + fuente + límites: si no cambia, el lote no vuelve a calificarla

    @property
    def puntos(self) -> float:
        return float(sum(n.puntos or 0 for n in self.notas))

    @property
    def maximo(self) -> float:
        return float(sum(n.maximo for n in self.notas))

    @property
    def tiene_nota(self) -> bool:
        """False si no hay nota que registrar (sin entrega, o el calificador falló: se recalifica después)."""
        return self.estado not in SIN_NOTA

    def a_dict(self) -> dict:
        return {**asdict(self), "puntos": self.puntos, "maximo": self.maximo}

    def marcar(self, bandera: str) -> None:
        """Añade una bandera (clave de BANDERAS) si aún no está."""
        if bandera not in BANDERAS:
            raise KeyError(f"bandera desconocida: {bandera}")
        if bandera not in self.banderas:
            self.banderas.append(bandera)

    @classmethod
    def desde_dict(cls, datos: dict) -> "Resultado":
        """El Resultado que guardó ``a_dict`` (p. ej. leído de resultado.json)."""
        propios = {f.name for f in fields(cls)}
        r = cls(**{k: v for k, v in datos.items() if k in propios and k != "notas"})
        r.notas = [NotaEjercicio(**n) for n in datos.get("notas", [])]
        return r


def ruta(carpeta: Path) -> Path:
    return carpeta / NOMBRE


def escribir(resultado: Resultado, carpeta: Path) -> Path:
    """Escribe ``carpeta/resultado.json`` de una vez (nunca queda a medias)."""
    carpeta.mkdir(parents=True, exist_ok=True)
    destino = ruta(carpeta)
    temporal = destino.with_name(f".{NOMBRE}.{os.getpid()}.tmp")
    temporal.write_text(json.dumps(resultado.a_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(temporal, destino)
    return destino


def leer(carpeta: Path) -> Resultado | None:
    """El Resultado guardado en ``carpeta`` (None si no hay o no se puede leer)."""
    try:
        return Resultado.desde_dict(json.loads(ruta(carpeta).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def leer_todos(calificados: Path, tareas: list[str] | None = None) -> tuple[list[Resultado], list[str]]:
    """Los registros de ``calificados/<alumno>/<tarea>/resultado.json`` (de las ``tareas`` dadas), ordenados,
    y un aviso en español por cada archivo que no se pudo leer."""
    resultados, avisos = [], []
    for archivo in sorted(calificados.glob(f"*/*/{NOMBRE}")):
        r = leer(archivo.parent)
        if r is None:
            avisos.append(f"No se pudo leer {archivo}: se ignora.")
        elif tareas is None or r.tarea in tareas:
            resultados.append(r)
    return resultados, avisos
