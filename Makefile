# Curso de redes neuronales: un objetivo por tarea. `make ayuda` las lista.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# nbgrader necesita el bin del entorno en PATH (llama a `alembic` al crear el libro).
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0

.PHONY: ayuda lab test aislamiento publicar validar ejecutar cabeceras errores comparar autoevaluar calificar retroalimentacion exportar demo bench limpiar

ayuda:  ## muestra esta lista
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.instalado: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

lab: $(VENV)/.instalado  ## abre JupyterLab en notebooks/ (crea el entorno si hace falta)
	$(VENV)/bin/jupyter lab notebooks/

test: $(VENV)/.instalado aislamiento  ## todas las pruebas (estructura, nbval, ida y vuelta, errores, nbgrader)
	$(PY) -m pytest -p no:cacheprovider tests

aislamiento:  ## instala bubblewrap (aísla el código de los alumnos al calificar) si falta y se puede
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -q bubblewrap >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q bubblewrap >/dev/null)); } || \
	  echo "AVISO: falta bubblewrap (apt-get install bubblewrap): sin él se califica sin aislamiento."

publicar: $(VENV)/.instalado  ## regenera las versiones de los alumnos en notebooks/
	$(PY) -m grader publicar

cabeceras: $(VENV)/.instalado  ## escribe la celda de configuración común en solutions/
	$(PY) -m grader cabeceras

ejecutar: $(VENV)/.instalado  ## re-ejecuta solutions/ y guarda las salidas de referencia
	$(PY) -m grader ejecutar

validar: $(VENV)/.instalado  ## nbval sobre solutions/ (compara las salidas marcadas)
	$(PY) -m grader validar

errores: $(VENV)/.instalado  ## cada respuesta errónea típica pierde solo los puntos de su ejercicio
	$(PY) -m grader errores

comparar: $(VENV)/.instalado  ## compara las celdas marcadas de CUADERNO=ruta.ipynb con las salidas de referencia
	@test -n "$(CUADERNO)" || { echo "uso: make comparar CUADERNO=ruta/al/cuaderno.ipynb"; exit 2; }
	$(PY) -m grader comparar "$(CUADERNO)"

autoevaluar: $(VENV)/.instalado  ## pruebas visibles de CUADERNO=ruta.ipynb, con los puntos de cada ejercicio
	@test -n "$(CUADERNO)" || { echo "uso: make autoevaluar CUADERNO=ruta/al/cuaderno.ipynb"; exit 2; }
	$(PY) -m grader autoevaluar "$(CUADERNO)"

calificar: $(VENV)/.instalado  ## califica submitted/ (libro gradebook.db + calificaciones.csv)
	$(PY) -m grader calificar --trabajos 2

retroalimentacion: $(VENV)/.instalado  ## HTML de retroalimentación en feedback/
	$(PY) -m grader retroalimentacion

exportar: $(VENV)/.instalado  ## exporta las notas del libro a notas.csv
	$(PY) -m grader exportar

demo: $(VENV)/.instalado  ## recorrido del instructor con entregas de ejemplo (en demo_salida/)
	$(PY) -m grader demo

bench: $(VENV)/.instalado  ## mide tiempos (ejecución de cada cuaderno y calificación de una entrega)
	$(PY) -m grader.bench

limpiar:  ## borra el entorno y lo generado por la demo
	rm -rf $(VENV) demo_salida
