"""The workspace written on a thread of its own, and the frames the atlas gets meanwhile.

``layers.gpkg.stored_frame`` must give what reading the written table back gives (the atlas of
``eit:runpipeline`` is drawn from it while the file is being written);
``layers.workspace_writer.WorkspaceWriter`` must write what the sequential writing wrote, hand
its errors and cancels to the caller, and never outlive a caller that failed.
"""

from __future__ import annotations

import threading
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from eit_synergies.core.errors import Canceled
from eit_synergies.layers.frames import ogr_frame
from eit_synergies.layers.gpkg import stored_frame, write_layer
from eit_synergies.layers.workspace_writer import WorkspaceWriter
from geopandas.testing import assert_geodataframe_equal
from qgis.core import QgsVectorLayer, QgsWkbTypes

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
POINT = QgsWkbTypes.Type.Point


def read_back(path, table, subset=""):
    uri = f"{path}|layername={table}" + (f"|subset={subset}" if subset else "")
    layer = QgsVectorLayer(uri, table, "ogr")
    assert layer.isValid(), uri
    return ogr_frame(layer)


def every_kind_of_column(n=6):
    """One column of each kind a flow table can hold, nulls included."""
    rng = np.random.default_rng(7)
    return gpd.GeoDataFrame(
        {
            "flag": rng.integers(0, 2, n).astype(bool),
            "flag_or_null": pd.array([True, None, False, True, None, False], dtype="boolean"),
            "flag_object": np.array([True, None, False, True, False, None], dtype=object),
            "count": rng.integers(0, 100, n),
            "count_or_null": pd.array([1, None, 3, 4, None, 6], dtype="Int64"),
            "small": np.arange(n, dtype=np.uint8),
            "quantity": [1.5, np.nan, 2.0, np.inf, -3.25, 0.0],
            "single": np.array([1.5, 2, np.nan, 4, 5, 6], dtype=np.float32),
            "label": ["palettes", None, np.nan, "l'huile", "", "bois"],
            "mixed": ["x", 1.0, 3, True, None, "y"],
            "listed": [["a", "b"], None, "c", ("d",), [], "e"],
            "no_value": [None] * n,
            "no_number": [np.nan] * n,
            "text_dtype": pd.array(["a", None, "c", "d", None, "f"], dtype="string"),
            "category": pd.Categorical(["a", "b", None, "a", "b", "a"]),
            "when": pd.to_datetime(["2024-01-02 10:00", None, "2024-03-04 00:00"] * 2),
        },
        geometry=[
            shapely.Point(0, 0),
            None,
            shapely.Point(1, 1),
            shapely.Point(2, 2),
            shapely.Point(),
            shapely.Point(3, 3),
        ],  # fmt: skip
        crs="EPSG:2154",
    )


def test_every_kind_of_column_is_what_reading_the_table_back_gives(tmp_path):
    frame = every_kind_of_column()
    path = tmp_path / "kinds.gpkg"
    write_layer(frame, path, "t", None, POINT)
    assert_geodataframe_equal(stored_frame(frame, POINT), read_back(path, "t"))
    # a subset of rows (given out of order) is the table read with a subset string; the
    # columns keep the whole table's types even where the kept rows are all null
    assert_geodataframe_equal(
        stored_frame(frame, POINT, rows=[5, 1, 3]), read_back(path, "t", '"fid" IN (2, 4, 6)')
    )


def test_polygons_go_multi_in_a_multi_table(tmp_path):
    squares = [shapely.box(i, 0, i + 1, 1) for i in range(3)]
    frame = gpd.GeoDataFrame(
        {"group_id": ["G1", "G2", "G3"]},
        geometry=[squares[0], shapely.MultiPolygon(squares[1:]), squares[2]],
        crs="EPSG:2154",
    )
    multi = QgsWkbTypes.Type.MultiPolygon
    write_layer(frame, tmp_path / "g.gpkg", "groups", None, multi)
    stored = stored_frame(frame, multi)
    assert set(stored.geom_type) == {"MultiPolygon"}
    assert_geodataframe_equal(stored, read_back(tmp_path / "g.gpkg", "groups"))


@pytest.fixture(scope="module")
def demo_run():
    from eit_synergies.core.pipeline import PipelineOptions, run_pipeline

    return run_pipeline(
        DEMO / "actors.csv",
        DEMO / "flows.csv",
        options=PipelineOptions(facilities=str(DEMO / "sites.csv")),
    )


def test_the_demo_run_s_tables_are_what_the_workspace_reads_back(demo_run, tmp_path):
    path = tmp_path / "eit.gpkg"
    kinds = {
        "supply": POINT,
        "need": POINT,
        "candidates": QgsWkbTypes.Type.LineString,
        "groups": QgsWkbTypes.Type.MultiPolygon,
    }
    assert "current_outside" in demo_run.supply  # a boolean with nulls in the real tables
    for role, kind in kinds.items():
        frame = getattr(demo_run, role)
        assert len(frame), role
        write_layer(frame, path, role, None, kind)
        assert_geodataframe_equal(stored_frame(frame, kind), read_back(path, role))


def writing(frames):
    return [(name, frame, POINT) for name, frame in frames.items()]


def test_the_thread_writes_what_the_sequential_writing_wrote(demo_run, tmp_path):
    frames = {"gisements": demo_run.supply, "besoins": demo_run.need}
    for name, frame in frames.items():
        write_layer(frame, tmp_path / "sequential.gpkg", name, None, POINT)
    with WorkspaceWriter(tmp_path / "threaded.gpkg", writing(frames)) as writer:
        writer.start()
        writer.start()  # once only
        writer.wait()
    assert writer.written == list(frames) and writer.seconds > 0
    for name in frames:
        assert_geodataframe_equal(
            read_back(tmp_path / "threaded.gpkg", name),
            read_back(tmp_path / "sequential.gpkg", name),
        )


def test_a_failed_write_is_raised_to_the_caller(demo_run, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    writer = WorkspaceWriter(blocked / "eit.gpkg", writing({"gisements": demo_run.supply}))
    with pytest.raises(Exception, match="not-a-folder"), writer:
        writer.wait()  # starts it when it was not started
    assert writer.written == []


def test_a_cancel_stops_the_writing_and_is_raised(demo_run, tmp_path):
    path = tmp_path / "eit.gpkg"
    frames = {"gisements": demo_run.supply, "besoins": demo_run.need}
    writer = None
    # the run is canceled once the first table is written
    writer = WorkspaceWriter(path, writing(frames), lambda: bool(writer.written))
    with pytest.raises(Canceled), writer:
        writer.wait()
    assert writer.written == ["gisements"]
    assert len(read_back(path, "gisements")) == len(demo_run.supply)
    assert not QgsVectorLayer(f"{path}|layername=besoins", "b", "ogr").isValid()


def test_the_thread_never_outlives_a_caller_that_failed(tmp_path):
    big = every_kind_of_column().sample(60_000, replace=True, random_state=1)
    frames = {f"t{i}": big for i in range(4)}
    writer = WorkspaceWriter(tmp_path / "eit.gpkg", writing(frames))
    with pytest.raises(RuntimeError, match="the atlas failed"), writer:
        writer.start()
        raise RuntimeError("the atlas failed")
    # stopped at once: no thread left, the tables not reached never written
    assert not any(t.name == "eit-workspace" for t in threading.enumerate())
    assert len(writer.written) < len(frames)


def test_the_atlas_calls_for_the_writing_once_its_pages_are_laid_out(demo_run, tmp_path):
    """eit:runpipeline starts its workspace's thread from this call: once, when QGIS starts
    drawing (the PDF not yet written)."""
    from eit_synergies.layers.atlas import AtlasOptions
    from eit_synergies.processing.alg_exportatlas import standard_inputs, write_atlas
    from qgis.core import QgsProcessingFeedback

    pdf = tmp_path / "atlas.pdf"
    calls = []
    inputs = standard_inputs(
        supply=stored_frame(demo_run.supply, POINT),
        need=stored_frame(demo_run.need, POINT),
        candidates=stored_frame(demo_run.candidates, QgsWkbTypes.Type.LineString, rows=range(5)),
    )
    options = AtlasOptions(pdf=pdf, before_drawing=lambda: calls.append(pdf.exists()))
    result = write_atlas(inputs, options, QgsProcessingFeedback())
    assert calls == [False]
    assert result.pages == 6 and pdf.stat().st_size > 0
