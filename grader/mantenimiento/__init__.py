"""Mantener el curso: cabeceras y cierres generados, fuentes, publicación, banco de errores típicos,
bloqueo de dependencias, entornos de lo último y lo anterior, Colab simulado, sitio web, banco de medidas y demo.
"""
