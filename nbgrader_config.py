# nbgrader lee este archivo al trabajar desde la raíz del repositorio.
# La configuración real vive en un solo sitio: grader/nbgrader_config.py.
load_subconfig("grader/nbgrader_config.py")  # noqa: F821
