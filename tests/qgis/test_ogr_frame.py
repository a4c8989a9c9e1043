"""A plain GeoPackage layer read by pyogrio gives the frame the feature loop gives."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from eit_synergies.layers.frames import ogr_frame, source_to_frame
from qgis.core import QgsCoordinateReferenceSystem, QgsVectorLayer


def _same(a, b) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    return a == b or (isinstance(a, float) and np.isclose(a, b))


def _gpkg(tmp_path):
    path = tmp_path / "flows.gpkg"
    frame = gpd.GeoDataFrame(
        {
            "flow_id": ["F1", "F2", "F'3", "F4"],
            "label": ["palettes", None, "l'huile", "bois"],
            "quantity": [1.5, np.nan, 3.0, 4.25],
            "count": pd.array([1, None, 3, 4], dtype="Int64"),
            "confidential": [True, False, True, False],
        },
        geometry=shapely.points([3.0, 3.1, 3.2, 3.3], [47.0, 47.1, 47.2, 47.3]),
        crs="EPSG:4326",
    )
    frame.to_file(path, layer="gisements", driver="GPKG")
    return path


def test_a_gpkg_layer_with_a_subset_reads_the_same_as_the_feature_loop(tmp_path):
    path = _gpkg(tmp_path)
    layer = QgsVectorLayer(f"{path}|layername=gisements|subset=\"flow_id\" <> 'F2'", "g", "ogr")
    assert layer.isValid() and layer.featureCount() == 3
    target = QgsCoordinateReferenceSystem("EPSG:2154")
    fast = ogr_frame(layer, target)
    slow = source_to_frame(layer, with_geometry=True, target_crs=target)
    assert fast is not None
    assert list(fast.columns) == list(slow.columns)
    assert fast.crs.to_epsg() == 2154 == slow.crs.to_epsg()
    for column in slow.columns:
        if column == slow.geometry.name:
            continue
        pairs = zip(fast[column].tolist(), slow[column].tolist(), strict=True)
        assert all(_same(a, b) for a, b in pairs), column
    assert fast["label"].tolist()[1] == "l'huile"
    distances = shapely.distance(fast.geometry.to_numpy(), slow.geometry.to_numpy())
    assert np.all(distances < 0.01)


def test_no_fast_read_for_what_is_not_a_plain_ogr_table(tmp_path):
    memory = QgsVectorLayer("Point?crs=EPSG:2154&field=flow_id:string", "m", "memory")
    assert ogr_frame(memory) is None
    layer = QgsVectorLayer(f"{_gpkg(tmp_path)}|layername=gisements", "g", "ogr")
    assert ogr_frame(layer) is not None
    layer.startEditing()
    assert ogr_frame(layer) is None  # edits not saved: only QGIS knows them
    layer.rollBack()
