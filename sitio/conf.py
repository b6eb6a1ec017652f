"""Configuración de Sphinx del sitio del curso (``python -m grader sitio``; ver ``grader/mantenimiento/sitio.py``).

Las páginas no se escriben aquí: ``grader/mantenimiento/sitio.py`` las genera (inicio desde el README, un cuaderno por
página, glosario desde ``sitio/glosario.yml``) en una carpeta temporal y construye con esta configuración.
Nada se descarga al ver el sitio: MathJax va dentro (``sphinx-mathjax-offline``) y la búsqueda es la de Sphinx.
"""
project = "Curso de redes neuronales"
author = "Curso de redes neuronales"
copyright = "los autores del curso"
language = "es"

extensions = ["myst_nb", "sphinx-mathjax-offline"]
# Los cuadernos no se ejecutan: las salidas son las de referencia (grader/mantenimiento/sitio.py elige cuáles se ven).
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # sin require.js ni widgets de una CDN (los controles interactivos no se muestran)
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "html_image"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type", "misc.highlighting_failure"]

html_theme = "sphinx_book_theme"
html_title = "Redes neuronales"
html_static_path = ["_static"]
html_css_files = ["sitio.css"]
html_show_sourcelink = False
html_copy_source = False
html_show_sphinx = False
html_last_updated_fmt = None
html_use_index = False  # sin página de índice alfabético (vacía: el curso no define entradas)
html_domain_indices = False
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "search_bar_text": "Buscar en el curso…",
    "show_navbar_depth": 1,
}
nb_code_prompt_show = "Mostrar el código"
nb_code_prompt_hide = "Ocultar el código"
