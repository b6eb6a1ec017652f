"""`make lab` arranca JupyterLab de verdad, como lo hace un alumno (en CI: como root y sin pantalla), y se
comprueba por su API REST: sirve los cuadernos del curso, en español, sin las herramientas del instructor, y un
kernel ejecuta la primera celda de cada cuaderno. `make instructor` sirve además formgrader."""
from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone

import nbformat
import pytest
import websocket

from curso import config
from grader.nucleo import celdas
from tests.conftest import TAREAS

ESPERA_S = 180
# Un archivo que sirve formgrader (pedir /formgrader crearía gradebook.db en el repositorio).
PAGINA_FORMGRADER = "/formgrader/static/css/formgrade.css"


def _orden_de_make(objetivo: str) -> list[str]:
    """La orden que ejecuta `make <objetivo>` (su última línea con `make -n`)."""
    r = subprocess.run(["make", "-n", "-s", objetivo], cwd=config.RAIZ, capture_output=True, text=True, check=True)
    orden = r.stdout.strip().splitlines()[-1].split()
    assert orden[1:] [:3] == ["-m", "grader", "lab"], f"`make {objetivo}` ya no usa `python -m grader lab`: {orden}"
    return [sys.executable, *orden[1:]]


def _puerto_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def servidor(objetivo: str, tmp_path):
    """Arranca la orden de `make <objetivo>` sin pantalla y devuelve (dirección base, token, salida impresa)."""
    entorno = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    registro = (tmp_path / f"jupyter-{objetivo}.log").open("w")
    proceso = subprocess.Popen(_orden_de_make(objetivo) + ["--puerto", str(_puerto_libre())], cwd=config.RAIZ,
                               env=entorno, stdout=subprocess.PIPE, stderr=registro, text=True)
    lineas: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=lambda: [*map(lineas.put, proceso.stdout), lineas.put(None)], daemon=True).start()
    impreso = []
    try:
        while not impreso or "Ctrl+C" not in impreso[-1]:  # la última línea del aviso
            try:
                linea = lineas.get(timeout=ESPERA_S)
            except queue.Empty:
                linea = None
            if linea is None:
                registro.flush()
                pytest.fail(f"JupyterLab no imprimió su dirección:\n{''.join(impreso)}\n"
                            f"{(tmp_path / f'jupyter-{objetivo}.log').read_text()[-3000:]}")
            impreso.append(linea)
        m = re.search(r"Abre esta dirección en tu navegador: (http://[^/\s]+)/lab\?token=(\w+)", "".join(impreso))
        assert m, "".join(impreso)
        yield m.group(1), m.group(2), "".join(impreso)
    finally:
        proceso.send_signal(signal.SIGTERM)  # la orden reenvía la señal a Jupyter y espera a que termine
        assert proceso.wait(timeout=60) is not None
        registro.close()


def _pedir(base: str, token: str, ruta: str, metodo: str = "GET", datos: dict | None = None):
    peticion = urllib.request.Request(f"{base}{ruta}", method=metodo, headers={"Authorization": f"token {token}"},
                                      data=None if datos is None else json.dumps(datos).encode())
    with urllib.request.urlopen(peticion, timeout=60) as r:
        cuerpo = r.read().decode()
    return json.loads(cuerpo) if cuerpo and ruta.startswith(("/api", "/lab/api")) else cuerpo


def _estado_http(base: str, token: str, ruta: str) -> int:
    try:
        _pedir(base, token, ruta)
        return 200
    except urllib.error.HTTPError as e:
        return e.code


def _idioma(base: str, token: str) -> str:
    """Idioma de la interfaz: el que eligió el usuario o, si no eligió, el predeterminado (el del curso)."""
    ajustes = _pedir(base, token, "/lab/api/settings/@jupyterlab/translation-extension:plugin")
    return ajustes["settings"].get("locale") or ajustes["schema"]["properties"]["locale"]["default"]


def _config_de_pagina(base: str, token: str) -> dict:
    html = _pedir(base, token, "/lab")
    m = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def _ejecutar_en_kernel(base: str, token: str, kernel: str, codigo: str) -> tuple[str, list[str]]:
    """Ejecuta ``codigo`` en el kernel por su websocket; devuelve (texto impreso, errores)."""
    ws = websocket.create_connection(f"{base.replace('http', 'ws', 1)}/api/kernels/{kernel}/channels?token={token}",
                                     timeout=ESPERA_S)
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "alumno", "version": "5.3",
                   "session": uuid.uuid4().hex, "date": datetime.now(timezone.utc).isoformat()},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": codigo, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))
    texto, errores = [], []
    try:
        while True:
            m = json.loads(ws.recv())
            if m.get("parent_header", {}).get("msg_id") != msg_id or m.get("channel") != "iopub":
                continue
            if m["msg_type"] == "stream":
                texto.append(m["content"]["text"])
            elif m["msg_type"] == "error":
                errores.append(f"{m['content']['ename']}: {m['content']['evalue']}")
            elif m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return "".join(texto), errores
    finally:
        ws.close()


def test_make_lab_sirve_los_cuadernos_y_ejecuta_su_primera_celda(tmp_path):
    with servidor("lab", tmp_path) as (base, token, impreso):
        # sin pantalla: no intenta abrir un navegador y dice qué dirección abrir (con el túnel por si es remoto)
        assert "ssh -L" in impreso
        raiz = _pedir(base, token, "/api/contents")
        assert {c["name"] for c in raiz["content"]} >= set(TAREAS)
        assert config.DIR_FUENTES not in {c["name"] for c in raiz["content"]}, "el alumno no debe ver las soluciones"
        # los cuadernos a la vez, como un alumno con varias pestañas (y la prueba tarda la mitad)
        with ThreadPoolExecutor(max_workers=len(TAREAS)) as grupo:
            for tarea, (texto, errores) in zip(TAREAS, grupo.map(lambda t: _primera_celda(base, token, t), TAREAS)):
                assert errores == [], f"{tarea}: la primera celda falla en JupyterLab: {errores}"
                assert "Listo: TensorFlow" in texto, f"{tarea}: {texto}"


def _primera_celda(base: str, token: str, tarea: str) -> tuple[str, list[str]]:
    """Abre el cuaderno de ``tarea`` en una sesión de JupyterLab y ejecuta su primera celda de código."""
    modelo = _pedir(base, token, f"/api/contents/{tarea}/{tarea}.ipynb")
    assert modelo["type"] == "notebook"
    nb = nbformat.from_dict(modelo["content"])
    primera = next(c for c in nb.cells if c.cell_type == "code")
    assert celdas.es_cabecera(primera), f"{tarea}: la primera celda de código no es la cabecera"
    sesion = _pedir(base, token, "/api/sessions", "POST", {
        "path": f"{tarea}/{tarea}.ipynb", "name": f"{tarea}.ipynb", "type": "notebook", "kernel": {"name": "python3"}})
    try:
        return _ejecutar_en_kernel(base, token, sesion["kernel"]["id"], primera.source)
    finally:
        _pedir(base, token, f"/api/sessions/{sesion['id']}", "DELETE")


def test_make_lab_en_espanol_y_sin_herramientas_del_instructor(tmp_path):
    with servidor("lab", tmp_path) as (base, token, _):
        assert _idioma(base, token) == "es_ES"
        disponibles = _pedir(base, token, "/lab/api/translations/")["data"]
        assert "es_ES" in disponibles, "falta el paquete de idioma jupyterlab-language-pack-es-ES"
        assert _pedir(base, token, "/lab/api/translations/es_ES")["data"]
        desactivadas = _config_de_pagina(base, token)["disabledExtensions"]
        assert {"@jupyter/nbgrader", "jupyterlab-jupytext"} <= set(desactivadas)
        assert _estado_http(base, token, "/formgrader") == 404
        assert _estado_http(base, token, PAGINA_FORMGRADER) == 404


def test_make_instructor_tiene_formgrader(tmp_path):
    with servidor("instructor", tmp_path) as (base, token, impreso):
        assert "/formgrader?token=" in impreso
        assert "@jupyter/nbgrader" not in _config_de_pagina(base, token)["disabledExtensions"]
        assert _estado_http(base, token, PAGINA_FORMGRADER) == 200
        assert _idioma(base, token) == "es_ES"
        raiz = {c["name"] for c in _pedir(base, token, "/api/contents")["content"]}
        assert {config.DIR_FUENTES, config.DIR_PUBLICADOS} <= raiz


@pytest.mark.parametrize("pantalla, root", [(True, False), (False, True), (True, True), (False, False)])
def test_orden_segun_pantalla_y_usuario(monkeypatch, pantalla, root):
    from grader.alumno import lab

    monkeypatch.setattr(lab, "hay_pantalla", lambda: pantalla)
    monkeypatch.setattr(lab, "es_root", lambda: root)
    args = lab.orden()
    assert ("--no-browser" in args) == (not pantalla), "sin pantalla no debe intentar abrir un navegador"
    assert ("--allow-root" in args) == root, "como root Jupyter se niega a arrancar sin --allow-root"


def test_pantalla_en_linux_segun_display(monkeypatch):
    from grader.alumno import lab

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    assert lab.hay_pantalla()
    monkeypatch.delenv("DISPLAY")
    assert not lab.hay_pantalla()


def test_no_se_fia_del_archivo_de_estado_de_un_servidor_antiguo(monkeypatch, tmp_path):
    """Con 32 768 PID posibles, un jpserver-<pid>.json viejo con el mismo PID daría una dirección muerta."""
    import time

    from grader.alumno import lab

    estado = tmp_path / "jpserver-1234.json"
    estado.write_text(json.dumps({"url": "http://127.0.0.1:9999/", "token": "viejo"}))
    os.utime(estado, (time.time() - 3600, time.time() - 3600))
    monkeypatch.setattr(lab, "archivo_de_estado", lambda pid: estado)

    class Proceso:  # sigue vivo tres consultas y luego termina sin publicar nada nuevo
        pid, consultas = 1234, 0

        def poll(self):
            self.consultas += 1
            return None if self.consultas <= 3 else 1

    assert lab.esperar_direccion(Proceso(), lanzado=time.time()) is None
    estado.write_text(json.dumps({"url": "http://127.0.0.1:8888/", "token": "nuevo"}))
    assert lab.esperar_direccion(Proceso(), lanzado=time.time()) == "http://127.0.0.1:8888/lab?token=nuevo"
