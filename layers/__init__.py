"""QGIS glue: converts layers and features to data frames and back, styles outputs.

The only place where QGIS objects meet the core's pandas/geopandas frames.
"""
