"""Bulk replacement of a GeoPackage table's rows (``layers.gpkg_rows``), checked with GDAL
(pyogrio) and SQLite on real GeoPackages that GDAL wrote, spatial index and triggers
included."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from eit_synergies.core.errors import Canceled
from eit_synergies.layers import gpkg_rows


def lines(n: int, offset: float = 0.0, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x = 700_000 + rng.uniform(0, 50_000, n) + offset
    y = 6_650_000 + rng.uniform(0, 50_000, n)
    geometry = [
        shapely.LineString([(a, b), (a + 500, b + 800)]) for a, b in zip(x, y, strict=False)
    ]
    return gpd.GeoDataFrame(
        {
            "candidate_id": [f"C{i:05d}" for i in range(n)],
            "score": rng.uniform(0, 1, n).round(4),
            "matched_quantity": np.where(np.arange(n) % 7 == 0, np.nan, rng.uniform(1, 900, n)),
            "status": np.where(np.arange(n) % 5 == 0, "retained", "proposed"),
            "notes": [None if i % 3 else f"note {i}" for i in range(n)],
            "supply_confidential": np.arange(n) % 4 == 0,
            "supply_rank": np.arange(n) % 9 + 1,
        },
        geometry=geometry,
        crs="EPSG:2154",
    )


@pytest.fixture
def gpkg(tmp_path):
    path = tmp_path / "eit.gpkg"
    pyogrio.write_dataframe(lines(300, seed=1), path, layer="synergies", driver="GPKG")
    return path


def triggers(path) -> dict:
    with sqlite3.connect(path) as connection:
        return dict(
            connection.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'synergies'"
            ).fetchall()
        )


def test_rows_are_replaced_and_read_back_by_gdal(gpkg):
    before = triggers(gpkg)
    assert any(name.startswith("rtree_") for name in before)  # GDAL made the spatial index
    frame = lines(1200, seed=2)
    assert gpkg_rows.replace_rows(gpkg, "synergies", frame) == 1200

    back = pyogrio.read_dataframe(gpkg, layer="synergies")
    assert len(back) == 1200
    assert list(back["candidate_id"]) == list(frame["candidate_id"])
    assert np.allclose(back["score"], frame["score"])
    # NaN is written as NULL, booleans and integers keep their values
    assert back["matched_quantity"].isna().tolist() == frame["matched_quantity"].isna().tolist()
    assert back["notes"].isna().tolist() == frame["notes"].isna().tolist()
    flags = back["supply_confidential"].astype(bool).tolist()
    assert flags == frame["supply_confidential"].tolist()
    assert back["supply_rank"].tolist() == frame["supply_rank"].tolist()
    assert back.geometry.geom_equals_exact(frame.geometry, 1e-6).all()
    # the triggers are back as they were, and GDAL's feature count is right
    assert triggers(gpkg) == before
    assert pyogrio.read_info(gpkg, layer="synergies")["features"] == 1200
    with sqlite3.connect(gpkg) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        index_rows = connection.execute("SELECT count(*) FROM rtree_synergies_geom").fetchone()
        assert index_rows[0] == 1200
        # gpkg_contents holds the new extent
        extent = connection.execute(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'synergies'"
        ).fetchone()
    assert np.allclose(extent, frame.total_bounds)


def test_the_spatial_index_answers_for_the_new_rows(gpkg):
    frame = lines(800, offset=200_000, seed=3)  # far from the rows GDAL wrote
    gpkg_rows.replace_rows(gpkg, "synergies", frame)
    box = (900_000, 6_650_000, 925_000, 6_700_000)
    expected = set(frame[frame.intersects(shapely.box(*box))]["candidate_id"])
    assert expected  # the box holds some lines, not all
    assert len(expected) < len(frame)
    found = pyogrio.read_dataframe(gpkg, layer="synergies", bbox=box)
    assert set(found["candidate_id"]) == expected


def test_gdal_still_writes_through_the_restored_triggers(gpkg):
    gpkg_rows.replace_rows(gpkg, "synergies", lines(50, seed=4))
    extra = lines(10, offset=400_000, seed=5)
    extra["candidate_id"] = [f"X{i}" for i in range(10)]
    pyogrio.write_dataframe(extra, gpkg, layer="synergies", driver="GPKG", append=True)
    box = (1_090_000, 6_640_000, 1_160_000, 6_710_000)
    found = pyogrio.read_dataframe(gpkg, layer="synergies", bbox=box)
    assert set(found["candidate_id"]) == set(extra["candidate_id"])
    assert pyogrio.read_info(gpkg, layer="synergies")["features"] == 60


def test_columns_missing_on_either_side(gpkg):
    frame = lines(20, seed=6).drop(columns=["notes"])
    frame["not_in_the_table"] = "x"
    gpkg_rows.replace_rows(gpkg, "synergies", frame)
    back = pyogrio.read_dataframe(gpkg, layer="synergies")
    assert "not_in_the_table" not in back.columns
    assert back["notes"].isna().all()
    assert len(back) == 20


def test_a_frame_in_another_crs_is_reprojected(gpkg):
    frame = lines(30, seed=7)
    gpkg_rows.replace_rows(gpkg, "synergies", frame.to_crs("EPSG:4326"))
    back = pyogrio.read_dataframe(gpkg, layer="synergies")
    assert back.geometry.geom_equals_exact(frame.geometry, 0.01).all()


def test_an_empty_frame_empties_the_table(gpkg):
    assert gpkg_rows.replace_rows(gpkg, "synergies", lines(0)) == 0
    assert pyogrio.read_info(gpkg, layer="synergies")["features"] == 0
    with sqlite3.connect(gpkg) as connection:
        assert connection.execute("SELECT count(*) FROM rtree_synergies_geom").fetchone()[0] == 0


def test_a_canceled_write_leaves_the_table_as_it_was(gpkg, monkeypatch):
    before = pyogrio.read_dataframe(gpkg, layer="synergies")
    monkeypatch.setattr(gpkg_rows, "CHUNK", 100)
    calls = []

    def is_canceled():  # asked before each chunk: stop after two chunks are written
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Canceled):
        gpkg_rows.replace_rows(gpkg, "synergies", lines(1000, seed=8), is_canceled=is_canceled)
    after = pyogrio.read_dataframe(gpkg, layer="synergies")
    assert list(after["candidate_id"]) == list(before["candidate_id"])
    assert triggers(gpkg)  # nothing of the half-done work is left
    with sqlite3.connect(gpkg) as connection:
        assert connection.execute("SELECT count(*) FROM rtree_synergies_geom").fetchone()[0] == 300


def test_a_missing_table_is_an_error_and_changes_nothing(gpkg):
    with pytest.raises(sqlite3.OperationalError, match="no table nowhere"):
        gpkg_rows.replace_rows(gpkg, "nowhere", lines(5))
    assert pyogrio.read_info(gpkg, layer="synergies")["features"] == 300


def test_values_are_converted_by_column_type():
    assert gpkg_rows.column_values(pd.Series([1.5, np.nan]), "REAL")[0] == 1.5
    assert gpkg_rows.column_values(pd.Series([["a", "b"], None]), "TEXT") == ["a, b", None]
    assert gpkg_rows.column_values(pd.Series([True, None], dtype=object), "BOOLEAN") == [1, None]
    assert gpkg_rows.column_values(pd.Series([3, 4]), "INTEGER") == [3, 4]
    assert gpkg_rows.column_values(pd.Series([np.int64(3), None], dtype=object), "MEDIUMINT") == [
        3,
        None,
    ]


def test_blobs_carry_the_envelope_the_index_triggers_read():
    geometries = [shapely.LineString([(1, 2), (3, 5)]), shapely.LineString(), None]
    blobs = gpkg_rows.geometry_blobs(geometries, 2154)
    assert gpkg_rows._envelope(blobs[0]) == (1.0, 3.0, 2.0, 5.0)
    assert gpkg_rows._envelope(blobs[1]) is None  # empty: flagged in the header
    assert blobs[2] is None


def test_a_table_emptied_in_one_thread_is_filled_in_another_and_read_meanwhile(gpkg):
    """The dock empties the table while its search runs (a thread of its own) and fills it
    when the search ends: meanwhile a reader (the map) still reads the old rows; once filled,
    the table holds the new ones, spatial index and triggers included."""
    import threading

    before = pyogrio.read_dataframe(gpkg, layer="synergies")
    made = {}
    thread = threading.Thread(
        target=lambda: made.update(rep=gpkg_rows.Replacement(gpkg, "synergies"))
    )
    thread.start()
    thread.join()
    replacement = made["rep"]
    assert replacement.open
    with sqlite3.connect(gpkg) as reader:  # WAL: the old rows until the commit
        assert reader.execute("SELECT count(*) FROM synergies").fetchone()[0] == len(before)
    new = lines(40, offset=3_000.0, seed=4)
    assert replacement.fill(new) == 40
    assert not replacement.open
    after = pyogrio.read_dataframe(gpkg, layer="synergies")
    assert list(after["candidate_id"]) == list(new["candidate_id"])
    assert triggers(gpkg)
    with sqlite3.connect(gpkg) as connection:
        assert connection.execute("SELECT count(*) FROM rtree_synergies_geom").fetchone()[0] == 40


def test_a_replacement_given_up_or_canceled_leaves_the_table_as_it_was(gpkg, monkeypatch):
    before = pyogrio.read_dataframe(gpkg, layer="synergies")
    replacement = gpkg_rows.Replacement(gpkg, "synergies")
    replacement.rollback()
    assert not replacement.open
    replacement.rollback()  # twice: nothing
    with pytest.raises(sqlite3.OperationalError, match="closed"):
        replacement.fill(lines(3))
    # canceled from another thread while a statement writes (as the dock stops an outdated
    # save): the statement itself stops, Canceled, nothing changed, the file free again
    import threading

    monkeypatch.setattr(gpkg_rows, "CHUNK", 100_000)  # the rows in one executemany
    replacement = gpkg_rows.Replacement(gpkg, "synergies")
    writing, cancel = threading.Event(), threading.Event()
    outcome = {"asked": 0}

    def fill():
        def is_canceled():
            outcome["asked"] += 1
            if outcome["asked"] == 2:  # the first question inside the statement
                writing.set()
                cancel.wait(10)  # the write is still under way when the cancel comes
            return cancel.is_set()

        try:
            outcome["rows"] = replacement.fill(lines(2000, seed=9), is_canceled=is_canceled)
        except Canceled as error:
            outcome["canceled"] = error

    thread = threading.Thread(target=fill)
    thread.start()
    assert writing.wait(10)
    cancel.set()
    thread.join(30)
    assert "canceled" in outcome and "rows" not in outcome
    # stopped inside SQLite's statement, not at the next question between chunks
    assert isinstance(outcome["canceled"].__cause__, sqlite3.OperationalError)
    assert not replacement.open
    after = pyogrio.read_dataframe(gpkg, layer="synergies")
    assert list(after["candidate_id"]) == list(before["candidate_id"])
    assert triggers(gpkg)
    assert gpkg_rows.replace_rows(gpkg, "synergies", lines(7, seed=2), timeout_s=1.0) == 7
