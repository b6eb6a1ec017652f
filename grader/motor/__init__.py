"""El motor de calificación: cajas de bubblewrap, kernels clonados de una madre, límites aplicados,
calificación de una entrega y del lote (con sus ejecutores: en proceso, local o Dask).
"""
