# Curso de redes neuronales: un objetivo por tarea. `make ayuda` las lista.
PYTHON ?= $(shell command -v python3.11 || command -v python3)  # curso/config.py: VERSION_PYTHON
VENV := .venv
ULTIMAS := .venv-ultimas
ANTERIORES := .venv-anteriores
PY := $(VENV)/bin/python
# nbgrader necesita el bin del entorno en PATH (llama a `alembic` al crear el libro).
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: ayuda lab instructor test aislamiento bloquear plataformas colab ultimas anteriores publicar validar ejecutar cabeceras errores comparar autoevaluar calificar retroalimentacion exportar informe demo sitio bench limpiar

ayuda:  ## muestra esta lista
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.instalado: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

lab: $(VENV)/.instalado  ## abre JupyterLab en español en notebooks/ (crea el entorno si hace falta)
	$(PY) -m grader lab

instructor: $(VENV)/.instalado  ## abre JupyterLab en la raíz del curso con formgrader (herramientas del instructor)
	$(PY) -m grader lab --instructor

test: $(VENV)/.instalado aislamiento  ## todas las pruebas (estructura, nbval, ida y vuelta, errores, nbgrader)
	$(PY) -m ruff check .  # linter (configuración en pyproject.toml)
	$(PY) -m pytest -p no:cacheprovider -n auto --dist worksteal --durations=15 tests  # un proceso por núcleo (el libre roba trabajo al otro); lo que más tarda, en cada ejecución de CI

aislamiento:  ## instala bubblewrap (aísla el código de los alumnos al calificar) si falta y se puede
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -q bubblewrap >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q bubblewrap >/dev/null)); } || \
	  echo "AVISO: falta bubblewrap (apt-get install bubblewrap): sin él se califica sin aislamiento."

bloquear: $(VENV)/.instalado  ## regenera requirements.txt (versiones exactas, todas las plataformas) desde requirements.in
	$(PY) -m grader bloquear
	$(PY) -m grader cabeceras

colab: $(VENV)/.instalado  ## ejecuta cada cuaderno del alumno, resuelto, en un Colab simulado (sin red)
	$(PY) -m grader colab

ultimas: $(VENV)/.instalado  ## ejecuta cada cuaderno con lo último de PyPI (TensorFlow, Keras, NumPy… sin fijar)
	$(call otro_entorno,$(ULTIMAS),)

anteriores: $(VENV)/.instalado  ## ejecuta cada cuaderno con la versión anterior de TensorFlow, Keras y NumPy (grader/mantenimiento/ultimas.py)
	$(call otro_entorno,$(ANTERIORES),--anteriores)

# Un segundo entorno ($(1)) con las dependencias directas sin fijar (salvo lo que fije la opción $(2)) y cada cuaderno ejecutado en él.
define otro_entorno
	test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	$(PY) -m grader ultimas --requisitos $(2) > $(1)/requisitos.txt
	$(1)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -r $(1)/requisitos.txt
	$(1)/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
	PATH=$(CURDIR)/$(1)/bin:$$PATH $(1)/bin/python -m pip list --format=freeze > $(1)/versiones.txt
	PATH=$(CURDIR)/$(1)/bin:$$PATH $(1)/bin/python -m grader ultimas
endef

plataformas: $(VENV)/.instalado  ## comprueba (con PyPI) que requirements.txt se instala en Linux, Windows y macOS
	$(PY) -m grader plataformas

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
	$(PY) -m grader comparar "$(CUADERNO)" $(if $(TAREA),--tarea "$(TAREA)")

autoevaluar: $(VENV)/.instalado  ## pruebas visibles de CUADERNO=ruta.ipynb, con los puntos de cada ejercicio
	@test -n "$(CUADERNO)" || { echo "uso: make autoevaluar CUADERNO=ruta/al/cuaderno.ipynb"; exit 2; }
	$(PY) -m grader autoevaluar "$(CUADERNO)" $(if $(TAREA),--tarea "$(TAREA)")

calificar: $(VENV)/.instalado  ## califica submitted/ (libro gradebook.db + calificaciones.csv)
	$(PY) -m grader calificar --trabajos 2

retroalimentacion: $(VENV)/.instalado  ## HTML de retroalimentación en feedback/
	$(PY) -m grader retroalimentacion

exportar: $(VENV)/.instalado  ## exporta las notas del libro a notas.csv
	$(PY) -m grader exportar

informe: $(VENV)/.instalado  ## informe de la clase (HTML + CSV en informe/) a partir de autograded/
	$(PY) -m grader informe

demo: $(VENV)/.instalado  ## recorrido del instructor con entregas de ejemplo (en demo_salida/)
	$(PY) -m grader demo

sitio: $(VENV)/.instalado  ## sitio web del curso en _sitio/ (cada cuaderno con sus salidas de referencia; sin red)
	$(PY) -m grader sitio

bench: $(VENV)/.instalado  ## mide tiempos: cada cuaderno, una clase sintética (nbgrader en serie contra el lote) e informe de 200 × 8
	$(PY) -m grader.mantenimiento.bench
	$(PY) -m grader.mantenimiento.bench_informe

limpiar:  ## borra el entorno y lo generado por la demo
	rm -rf $(VENV) $(ULTIMAS) $(ANTERIORES) demo_salida
