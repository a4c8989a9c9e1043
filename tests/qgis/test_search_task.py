"""The dock's search task: flows detached and placed once, results handed back without copies,
the same candidates as the core's own search (pytest-qgis)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from qgis.core import QgsApplication
from qgis_helpers import wait_for
from shapely.geometry import Point

X0, Y0 = 780_000.0, 6_680_000.0


def flows(rng, n, prefix, resources):
    frame = pd.DataFrame(
        {
            "flow_id": [f"{prefix}{i:03d}" for i in range(n)],
            "actor_id": [f"A{a}" for a in rng.integers(0, n // 3, n)],
            "actor_name": [f"Acteur {a}" for a in rng.integers(0, 50, n)],
            "actor_category": "entreprise",
            "resource": rng.choice(resources, n),
            "resource_label": None,
            "family": "organique",
            "synergy_type": "substitution",
            "quantity_norm": rng.choice([np.nan, 1.0, 5.0, 20.0], n),
            "unit_norm": "t/yr",
            "months": rng.choice(["", "1-6", "4-9"], n),
            "confidential": rng.random(n) < 0.2,
        }
    )
    xs = X0 + rng.integers(0, 40, n) * 250.0
    ys = Y0 + rng.integers(0, 40, n) * 250.0
    return gpd.GeoDataFrame(
        frame, geometry=[Point(x, y) for x, y in zip(xs, ys, strict=True)], crs="EPSG:2154"
    )


def test_a_frame_is_detached_once_and_attached_as_it_was():
    from eit_synergies.ui.tasks import attach, detach

    rng = np.random.default_rng(1)
    supply = flows(rng, 40, "S", ["R1", "R2"])
    parts = detach(supply)
    assert detach(supply) is parts  # the same frame: the same parts, not a new copy
    other = supply.copy()
    assert detach(other) is not parts  # another frame (a flow was written): new parts
    back = attach(parts)
    assert back.crs == supply.crs
    assert list(back.columns) == list(supply.columns)
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.drop(columns="geometry")), pd.DataFrame(supply.drop(columns="geometry"))
    )
    assert back.geometry.geom_equals(supply.geometry).all()
    # the parts are read, never changed: the dock's frame stays as it was
    supply.loc[supply.index[0], "actor_name"] = "changé après coup"
    assert parts[0].loc[0, "actor_name"] != "changé après coup"


def test_the_task_finds_what_the_core_finds_and_places_the_flows_once():
    from eit_synergies.core.catalogue import Catalogue
    from eit_synergies.core.synergy import find_candidates
    from eit_synergies.ui import tasks

    rng = np.random.default_rng(2)
    supply = flows(rng, 120, "S", ["R1", "R2"])
    need = flows(rng, 110, "N", ["R1", "R2"])
    catalogue = Catalogue.builtin()
    supply_parts, need_parts = tasks.detach(supply), tasks.detach(need)
    previous = pd.DataFrame({"candidate_id": [], "status": [], "notes": []})
    results = []
    for km in (2, 4, 2):
        task = tasks.CandidateSearchTask(
            supply_parts, need_parts, catalogue, km, previous, results.append, len(results),
            top_k=3,
        )  # fmt: skip
        before = len(results)
        QgsApplication.taskManager().addTask(task)
        assert wait_for(lambda n=before: len(results) > n)
        assert task.error is None and task.exception is None
        found = tasks.attach(task.result)
        expected = find_candidates(
            supply, need, catalogue.compatibility_frame, km, catalogue.max_distance_km(),
            top_k=3,
        ).candidates  # fmt: skip
        assert len(found) == len(expected) > 0
        pd.testing.assert_frame_equal(
            pd.DataFrame(found.drop(columns="geometry")).reset_index(drop=True),
            pd.DataFrame(expected.drop(columns="geometry")).reset_index(drop=True),
        )
        assert found.crs == expected.crs
    placed = [p for kept, name, p in tasks._PLACED if kept is supply_parts and name == "supply"]
    assert len(placed) == 1  # placed once for the three searches
    assert tasks.prepared_flows(supply_parts, "supply") is placed[0]
    # the dock's runner lets go of them when it stops (the plugin unloads)
    runner = tasks.SearchRunner(lambda: None, lambda task: None)
    runner.stop()
    assert not tasks._PLACED
    assert tasks.detach(supply) is not supply_parts


def test_the_collector_waits_until_the_dock_has_taken_a_search():
    """Python's cycle collector is paused from the start of a search until its result is
    taken (ui/gc_pause.py), and runs again after, whatever the outcome; pauses nest, end
    once each, from any thread; a collector the host turned off stays off."""
    import gc
    import threading

    from eit_synergies.core.catalogue import Catalogue
    from eit_synergies.ui import gc_pause, tasks

    assert gc.isenabled()
    first, second = gc_pause.Pause(), gc_pause.Pause()
    assert not gc.isenabled() and gc_pause.paused()
    ender = threading.Thread(target=first.end)
    ender.start()
    ender.join()
    first.end()  # a second end of the same pause counts for nothing
    assert not gc.isenabled()
    second.end()
    assert gc.isenabled() and not gc_pause.paused()
    gc.disable()
    try:
        with gc_pause.Pause():
            assert gc_pause.paused()
        assert not gc.isenabled()
    finally:
        gc.enable()

    rng = np.random.default_rng(3)
    supply_parts = tasks.detach(flows(rng, 80, "S", ["R1", "R2"]))
    need_parts = tasks.detach(flows(rng, 80, "N", ["R1", "R2"]))
    catalogue = Catalogue.builtin()
    seen = []

    def taken(task):
        seen.append((task, gc.isenabled(), gc_pause.paused()))

    for km in (3, -1):  # a search, a search that fails (a negative distance)
        task = tasks.CandidateSearchTask(
            supply_parts, need_parts, catalogue, km, None, taken, km, top_k=3
        )
        QgsApplication.taskManager().addTask(task)
        assert wait_for(lambda t=task: seen and seen[-1][0] is t)
        assert seen[-1][1:] == (False, True)  # paused while the dock takes the result
        assert (task.result is not None) == (km > 0)
        assert (task.error is not None) == (km < 0)
        assert gc.isenabled() and not gc_pause.paused()  # and no longer once taken
    # a task canceled on its way, and the runner's tasks when the dock stops
    runner = tasks.SearchRunner(
        lambda: {"supply": supply_parts, "need": need_parts, "catalogue": catalogue,
                 "max_distance_km": 3, "previous": None, "top_k": 3},
        lambda task: seen.append((task, gc.isenabled(), gc_pause.paused())),
    )  # fmt: skip
    runner.start_now()
    newest = runner.start_now()  # cancels the first one
    assert wait_for(lambda: seen[-1][0] is newest)
    assert runner.canceled == 1
    assert wait_for(lambda: gc.isenabled() and not gc_pause.paused())
    runner.start_now()
    runner.stop()
    assert gc.isenabled() and not gc_pause.paused()
