"""Processing provider ``eit`` and its algorithms (QGIS glue over ``core``).

Inside this package never write ``import processing``: the name is QGIS's own package.
Use relative imports for ours and ``from qgis import processing`` for QGIS's.
"""
