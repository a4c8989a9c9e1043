"""The workshop dock driven offscreen on the demo workspace (pytest-qgis)."""

from __future__ import annotations

import importlib.util
import shutil
import time
from pathlib import Path

import pytest
from qgis.core import (
    QgsApplication,
    QgsExpression,
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import Qt
from qgis_helpers import wait_for

HERE = Path(__file__).resolve().parent


def _helper():
    spec = importlib.util.spec_from_file_location("eit_dock_workspace", HERE / "dock_workspace.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dock_workspace = _helper()
SECRET = dock_workspace.SECRET_NAME


@pytest.fixture(scope="session")
def template_workspace(tmp_path_factory, qgis_processing):
    """The demo workspace, built once by the plugin's algorithms (provider registered only
    while building, so the plugin tests still see no provider outside their fixture)."""
    from eit_synergies.processing.provider import EitProvider

    registry = QgsApplication.processingRegistry()
    provider = EitProvider()
    assert registry.addProvider(provider)
    try:
        folder = tmp_path_factory.mktemp("template")
        gpkg = dock_workspace.build_demo_workspace(folder)
    finally:
        registry.removeProvider(provider)
    return gpkg


@pytest.fixture
def workspace(template_workspace, tmp_path):
    target = tmp_path / "atelier"
    target.mkdir()
    shutil.copy(template_workspace, target / "eit.gpkg")
    return target / "eit.gpkg"


@pytest.fixture
def dock(qgis_iface, workspace, close_docks):
    from eit_synergies.ui.dock import WorkshopDock

    QgsProject.instance().clear()
    widget = WorkshopDock(qgis_iface)
    widget.resize(480, 900)
    widget.show()
    assert widget.open_workspace(str(workspace))
    yield widget
    close_docks(widget)


def read_table(gpkg, table):
    layer = QgsVectorLayer(f"{gpkg}|layername={table}", table, "ogr")
    assert layer.isValid()
    return list(layer.getFeatures())


def move_slider_and_wait(dock, km):
    done = []
    dock.candidatesUpdated.connect(lambda: done.append(1))
    dock.distance_slider.setValue(km)
    assert wait_for(lambda: done), "the candidate search never finished"
    assert wait_for(lambda: not dock.runner.busy())


# --------------------------------------------------------------------------- opening


def test_open_loads_styled_grouped_layers_once(dock, workspace):
    project = QgsProject.instance()
    group = project.layerTreeRoot().findGroup("EIT workshop")
    assert group is not None
    names = {node.layer().customProperty("eit_synergies/role") for node in group.findLayers()}
    assert {"actors", "supply", "need", "candidates", "groups", "territory"} <= names
    actors = dock.layers["actors"]
    renderer = actors.renderer()
    assert renderer.type() == "categorizedSymbol" and renderer.classAttribute() == "category"
    shapes = {c.value(): c.symbol().symbolLayer(0).shape() for c in renderer.categories()}
    assert shapes["entreprise"] != shapes["exploitation_agricole"] != shapes["collectivite"]
    labels = {c.value(): c.label() for c in renderer.categories()}
    assert labels["ehpad"] == "Care home (EHPAD)"  # the label of the locale (French under QGIS fr)
    text = actors.labeling().settings().format()
    # projector: large, on a white plate (or with a halo)
    assert text.size() >= 12 and (text.background().enabled() or text.buffer().enabled())
    count = len(project.mapLayers())
    assert dock.open_workspace(str(workspace))  # again: nothing loaded twice
    assert len(project.mapLayers()) == count
    assert dock.table.rowCount() == len(read_table(workspace, "synergies")) > 0


def test_the_title_is_the_territory_s_name_never_a_commune_s(dock, workspace):
    import pandas as pd
    from eit_synergies.core.workspace import LAYERS
    from eit_synergies.layers.workspace import write_table
    from qgis.core import QgsWkbTypes

    project = QgsProject.instance()
    # the demo workspace's territory is drawn as one feature named after the EPCI
    assert dock.title.text() == "CC Loire, Nièvre et Bertranges"
    assert project.title() == "CC Loire, Nièvre et Bertranges"
    dock.close_workspace()
    # a territory of communes (the pipeline's) and the run's record of the EPCI's name
    communes = pd.DataFrame({"nom": ["La Chapelle-Montlinard", "La Charité-sur-Loire"]})
    write_table(communes, workspace, LAYERS["territory"], wkb_type=QgsWkbTypes.Type.NoGeometry)
    assert dock.open_workspace(str(workspace))
    assert dock.title.text() == workspace.parent.name  # no commune's name: the folder's
    runs = pd.DataFrame({"run_at": ["2026-03-01T10:00:00", "2026-03-02T10:00:00"],
                         "territory_name": ["CC Ancienne", "CC Les Bertranges"]})  # fmt: skip
    dock.close_workspace()
    write_table(runs, workspace, LAYERS["runs"], wkb_type=QgsWkbTypes.Type.NoGeometry)
    assert dock.open_workspace(str(workspace))
    assert dock.title.text() == "CC Les Bertranges"


def test_a_fresh_workspace_opens_without_a_gdal_error(qgis_iface, tmp_path, capfd):
    """A workspace GDAL has just written (no decisions table, rollback journal): the dock
    creates its decisions table, QGIS turns the file to WAL mode, and the map's read-only
    connections must still read it. They failed with "unable to open database file" (and a
    feature count of 0) once SQLite had removed the WAL's shared memory."""
    import pandas as pd
    from eit_synergies.core.catalogue import Catalogue
    from eit_synergies.core.pipeline import run_pipeline
    from eit_synergies.core.workspace import LAYERS
    from eit_synergies.layers.gpkg import write_layer
    from eit_synergies.ui.dock import WorkshopDock
    from qgis.core import QgsWkbTypes

    demo = HERE.parents[1] / "data" / "demo"
    actors = pd.read_csv(demo / "actors.csv", sep=";", dtype=str)
    flows = pd.read_csv(demo / "flows.csv", sep=";", dtype=str)
    copies = range(7)  # a few hundred actors: the count goes through SQL
    pd.concat(
        actors.assign(identifiant=actors["identifiant"] + f"_{i}",
                      longitude=(actors["longitude"].astype(float) + 0.01 * i).astype(str))
        for i in copies
    ).to_csv(tmp_path / "actors.csv", sep=";", index=False)  # fmt: skip
    pd.concat(
        flows.assign(identifiant=flows["identifiant"] + f"_{i}", acteur=flows["acteur"] + f"_{i}")
        for i in copies
    ).to_csv(tmp_path / "flows.csv", sep=";", index=False)
    result = run_pipeline(str(tmp_path / "actors.csv"), str(tmp_path / "flows.csv"),
                          Catalogue.builtin())  # fmt: skip
    gpkg = tmp_path / "eit.gpkg"
    for role, wkb_type in (
        ("actors", QgsWkbTypes.Type.Point),
        ("supply", QgsWkbTypes.Type.Point),
        ("need", QgsWkbTypes.Type.Point),
        ("candidates", QgsWkbTypes.Type.LineString),
    ):
        write_layer(getattr(result, role), gpkg, LAYERS[role], None, wkb_type)  # fmt: skip
    QgsProject.instance().clear()
    widget = WorkshopDock(qgis_iface)
    try:
        capfd.readouterr()
        assert widget.open_workspace(str(gpkg))
        counts = {role: layer.featureCount() for role, layer in widget.layers.items()}
        errors = capfd.readouterr().err
        assert "unable to open database file" not in errors, errors
        assert counts["actors"] == len(result.actors) > 200
    finally:
        widget.cleanup()
        widget.deleteLater()
        QgsProject.instance().clear()
        QgsApplication.processEvents()


# --------------------------------------------------------------------------- filters


def test_filters_change_the_features_shown(dock, workspace):
    synergies = dock.layers["candidates"]
    total = synergies.featureCount()
    families = [f["family"] for f in read_table(workspace, "synergies")]
    dock.set_checked(dock.family_list, ["organic"])
    assert "organic" in synergies.subsetString()
    assert synergies.featureCount() == families.count("organic") < total
    assert dock.table.rowCount() == families.count("organic")
    supply_families = {f["family"] for f in dock.layers["supply"].getFeatures()}
    assert supply_families == {"organic"}

    actors = dock.layers["actors"]
    dock.set_checked(dock.category_list, ["ehpad"])
    assert actors.featureCount() == 3  # the demo's three care homes
    for feature in synergies.getFeatures():
        assert "ehpad" in (feature["supplier_category"], feature["receiver_category"])

    dock.reset_filters()
    assert synergies.featureCount() == total and actors.featureCount() == 33
    scores = [f["score"] for f in read_table(workspace, "synergies")]
    dock.score_slider.setValue(70)
    assert synergies.featureCount() == sum(s >= 0.7 for s in scores) < total
    assert dock.table.rowCount() == synergies.featureCount()


def test_clicking_a_chart_bar_filters_the_map_on_its_family(dock):
    dock.tabs.setCurrentWidget(dock.charts)  # charts are drawn when shown
    charts = dock.charts
    assert charts.available()
    assert charts.status_families and charts.balance_families
    family = charts.status_families[0]
    charts.familyClicked.emit(family)
    assert dock.selected_families() == [family]
    assert {f["family"] for f in dock.layers["candidates"].getFeatures()} == {family}
    charts.familyClicked.emit(family)  # same bar again: everything back
    assert dock.selected_families() is None
    # the bar under a point of the plot is the family of that row
    plot = charts.status_plot
    plot.resize(400, 300)
    QgsApplication.processEvents()
    view = plot.plotItem.vb
    from qgis.PyQt.QtCore import QPointF

    scene_point = view.mapViewToScene(QPointF(0.5, 1.0))
    assert charts.family_at(plot, scene_point) == charts.status_families[1]


def test_without_pyqtgraph_the_dock_says_so():
    from eit_synergies.ui.charts import FamilyCharts

    charts = FamilyCharts(pyqtgraph_module=None)
    assert not charts.available()
    assert "pyqtgraph" in charts.message.text() and "pip install" in charts.message.text()


def test_charts_count_supply_and_need_by_family(dock):
    dock.tabs.setCurrentWidget(dock.charts)
    balance = dock.charts.last_balance
    supply = [f["family"] for f in dock.layers["supply"].getFeatures()]
    row = balance[balance["family"] == "organic"].iloc[0]
    assert row["supply"] == supply.count("organic")
    dock.charts.measure.setCurrentIndex(1)  # tonnes
    tonnes = dock.charts.last_balance
    assert tonnes["supply"].sum() > balance["supply"].sum()


def test_charts_show_the_local_loop_rate_live_as_decisions_are_taken(dock):
    dock.tabs.setCurrentWidget(dock.charts)
    charts = dock.charts
    today, after = charts.loop_rates["t/yr"]
    assert 0 < today == after < 1  # the demo's destinations are known; nothing retained yet
    assert "%" in charts.loop_label.text()
    outside = {f["flow_id"] for f in dock.layers["supply"].getFeatures() if f["current_outside"]}
    cands = dock.candidates
    public = ~(cands["supply_confidential"].astype(bool) | cands["need_confidential"].astype(bool))
    pick = cands[public & cands["supply_flow"].isin(outside) & (cands["matched_quantity"] > 1)]
    assert len(pick)
    text = charts.loop_label.text()
    biggest = pick.sort_values("matched_quantity", ascending=False).iloc[0]
    dock.write_decision(biggest["candidate_id"], "retained", "")
    QgsApplication.processEvents()
    now_today, now_after = charts.loop_rates["t/yr"]
    assert now_today == today and now_after > after
    assert charts.loop_label.text() != text


# --------------------------------------------------------------------------- slider


def test_distance_slider_reruns_the_search(dock, workspace):
    move_slider_and_wait(dock, 2)
    near = read_table(workspace, "synergies")
    assert near and max(f["distance_km"] for f in near) <= 2
    assert dock.table.rowCount() == len(near)
    move_slider_and_wait(dock, 12)
    far = read_table(workspace, "synergies")
    assert len(far) > len(near)
    assert max(f["distance_km"] for f in far) <= 12
    assert {f["max_distance_km"] for f in far} == {12}
    assert dock.last_round_trip is not None and dock.last_round_trip < 5


def test_slider_moves_are_debounced_and_the_last_one_wins(dock, workspace):
    done = []
    dock.candidatesUpdated.connect(lambda: done.append(dock.distance_km()))
    for km in (3, 4, 5, 6, 7):
        dock.distance_slider.setValue(km)
        QgsApplication.processEvents()
    assert wait_for(lambda: done and not dock.runner.busy())
    assert done == [7]  # one search for the burst of moves
    assert {f["max_distance_km"] for f in read_table(workspace, "synergies")} == {7}


def test_releasing_the_slider_searches_at_once_without_the_debounce(dock, workspace):
    dock.runner.delay_ms = 60_000  # a debounce the test could never wait for
    generation = dock.runner.generation
    done = []
    dock.candidatesUpdated.connect(lambda: done.append(dock.distance_km()))
    slider = dock.distance_slider
    slider.setSliderDown(True)  # the hand holds the handle
    for km in (4, 5, 6):
        slider.setValue(km)
        QgsApplication.processEvents()
    assert dock.runner.timer.isActive() and not dock.runner.tasks  # waiting for the hand
    slider.setSliderDown(False)  # released: emits sliderReleased
    assert not dock.runner.timer.isActive()
    assert dock.runner.generation == generation + 1 and dock.runner.tasks  # started now
    assert wait_for(lambda: done and not dock.runner.busy(), timeout=20)
    assert done == [6]
    assert dock.runner.generation == generation + 1  # exactly one search
    assert {f["max_distance_km"] for f in read_table(workspace, "synergies")} == {6}


def test_a_drag_burst_gives_one_search(dock, workspace):
    generation = dock.runner.generation
    done = []
    dock.candidatesUpdated.connect(lambda: done.append(dock.distance_km()))
    slider = dock.distance_slider
    slider.setSliderDown(True)
    for km in (3, 4, 5, 6, 7, 8):
        slider.setValue(km)
        QgsApplication.processEvents()
    assert not dock.runner.tasks  # no search while the handle moves
    assert wait_for(lambda: done and not dock.runner.busy())  # the hand stops: debounce
    slider.setSliderDown(False)  # nothing left to search: no second run
    QgsApplication.processEvents()
    assert not dock.runner.busy()
    assert done == [8]
    assert dock.runner.generation == generation + 1


def test_keyboard_steps_search_after_a_short_pause_once_per_burst(dock, workspace):
    generation = dock.runner.generation
    done = []
    dock.candidatesUpdated.connect(lambda: done.append(dock.distance_km()))
    dock.distance_slider.setFocus()
    for _ in range(3):
        dock.distance_slider.triggerAction(dock.distance_slider.SliderAction.SliderPageStepAdd)
        QgsApplication.processEvents()
    assert dock.runner.timer.isActive() and not dock.runner.tasks  # the short pause
    assert dock.runner.timer.interval() == dock.runner.step_ms < dock.runner.delay_ms
    assert wait_for(lambda: done and not dock.runner.busy())
    assert done == [dock.distance_slider.value()]  # one search for the burst
    assert dock.runner.generation == generation + 1
    assert {f["max_distance_km"] for f in read_table(workspace, "synergies")} == {
        dock.distance_slider.value()
    }


def test_best_per_flow_reruns_the_search_and_is_saved_with_the_project(dock, workspace):
    done = []
    dock.candidatesUpdated.connect(lambda: done.append(dock.top_k.value()))
    move_slider_and_wait(dock, 20)
    ten = read_table(workspace, "synergies")
    assert dock.top_k.value() == 10  # the default, as eit:runpipeline
    dock.top_k.setValue(1)
    assert wait_for(lambda: done and done[-1] == 1 and not dock.runner.busy())
    best = read_table(workspace, "synergies")
    supplies = {f["supply_flow"] for f in ten}
    needs = {f["need_flow"] for f in ten}
    assert 0 < len(best) <= len(supplies) + len(needs) < len(ten)
    # each line kept is the best of its supply or of its need
    top_score = {}
    for f in ten:  # a flow's best is among its ten best
        for key in ("supply_flow", "need_flow"):
            top_score[f[key]] = max(top_score.get(f[key], 0.0), f["score"])
    assert all(f["score"] in (top_score[f["supply_flow"]], top_score[f["need_flow"]]) for f in best)
    assert {f["supply_flow"] for f in best} == supplies  # no supply loses its best outlet
    assert {f["need_flow"] for f in best} == needs
    qgz = workspace.parent / "atelier.qgz"
    project = QgsProject.instance()
    assert project.write(str(qgz))
    project.clear()
    assert project.read(str(qgz))
    assert dock.top_k.value() == 1


def test_a_running_search_is_cancelled_when_the_slider_moves_again(dock, workspace):
    first = dock.search_now()
    dock.distance_slider.setValue(5)
    dock.runner.start_now()
    assert first.isCanceled() or first.generation < dock.runner.generation
    assert wait_for(lambda: not dock.runner.busy())
    assert {f["max_distance_km"] for f in read_table(workspace, "synergies")} == {5}


# --------------------------------------------------------------------------- large territories


def slow_writes(monkeypatch, seconds=0.4):
    """Every candidates-table write takes ``seconds`` longer (the background one stays busy
    long enough for the test to act meanwhile)."""
    from eit_synergies.layers import gpkg_rows

    real = gpkg_rows.replace_rows

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(gpkg_rows, "replace_rows", slow)


def test_the_map_draws_the_best_lines_first_then_the_whole_table_is_saved(
    dock, workspace, monkeypatch
):
    layer = dock.layers["candidates"]
    dock.map_limit.setValue(10)
    handed, events = [], []

    def start(path, table, frame):
        handed.append(frame)
        events.append("whole table handed")

    monkeypatch.setattr(dock.writer, "start", start)
    canvas = dock.iface.mapCanvas()
    canvas.renderStarting.connect(lambda: events.append("map drawing"))
    canvas.mapCanvasRefreshed.connect(lambda: events.append("map drawn"))
    dock.candidatesUpdated.connect(lambda: events.append("panel updated"))
    move_slider_and_wait(dock, 12)
    assert dock.saving()
    # the whole table waits for the map to be redrawn (it would compete with the drawing)
    assert wait_for(lambda: handed)
    after = events[events.index("panel updated") - 1 :]
    # the panel is updated while the map draws the new lines
    assert after[:4] == ["map drawing", "panel updated", "map drawn", "whole table handed"]
    total = len(dock.candidates)
    assert total > 20
    best = sorted(dock.candidates["score"], reverse=True)[9]
    drawn = list(layer.getFeatures())
    assert 10 <= len(drawn) < total
    assert min(f["score"] for f in drawn) >= best - 1e-9  # the best ones
    # only those were written before the map was redrawn; the rest goes to the writer
    assert sorted(f["candidate_id"] for f in read_table(workspace, "synergies")) == sorted(
        f["candidate_id"] for f in drawn
    )
    assert len(handed) == 1 and len(handed[0]) == total
    assert "10 best on the map" in dock.status_line.text()


def test_the_whole_table_is_saved_in_the_background(dock, workspace):
    layer = dock.layers["candidates"]
    dock.map_limit.setValue(10)
    saved = []
    dock.candidatesSaved.connect(lambda: saved.append(1))
    move_slider_and_wait(dock, 12)
    assert wait_for(lambda: saved and not dock.saving())
    rows = read_table(workspace, "synergies")
    assert sorted(f["candidate_id"] for f in rows) == sorted(dock.candidates["candidate_id"])
    assert {f["max_distance_km"] for f in rows} == {12}
    assert layer.featureCount() < len(rows)  # the map still draws the best only
    # every line is drawn again once the limit allows it
    dock.map_limit.setValue(100_000)
    assert layer.featureCount() == len(rows)


def test_the_list_holds_the_best_candidates_as_a_full_sort_would(dock):
    frame = dock.candidates
    frame.loc[frame.index[:30], "score"] = 0.5  # ties on both sides of the cuts below
    for limit in (1, 7, 25, 40):
        head = dock.visible_candidates(limit)
        full = dock.visible_candidates().iloc[:limit]
        assert list(head["candidate_id"]) == list(full["candidate_id"])
        assert len(head) == limit


def test_a_decision_on_a_line_not_drawn_waits_for_the_whole_table(dock, workspace, monkeypatch):
    dock.map_limit.setValue(10)
    slow_writes(monkeypatch)
    move_slider_and_wait(dock, 12)
    drawn = {f["candidate_id"] for f in dock.layers["candidates"].getFeatures()}
    hidden = next(c for c in dock.candidates["candidate_id"] if c not in drawn)
    assert dock.saving()  # the whole table is still on its way (after the map, or written)
    dock.write_decision(hidden, "to_explore", "hors carte")
    assert not dock.saving()
    rows = {f["candidate_id"]: f for f in read_table(workspace, "synergies")}
    assert len(rows) == len(dock.candidates)
    assert rows[hidden]["status"] == "to_explore" and rows[hidden]["notes"] == "hors carte"
    # a decided line is drawn whatever its score
    shown = {f["candidate_id"] for f in dock.layers["candidates"].getFeatures()}
    assert hidden in shown


def test_a_decision_taken_while_a_search_runs_is_kept(dock, workspace):
    candidate = first_candidate(dock)
    done = []
    dock.candidatesUpdated.connect(lambda: done.append(1))
    dock.search_now()  # the search starts with the decisions known so far...
    dock.write_decision(candidate, "retained", "pendant la recherche")  # ...then one more
    assert wait_for(lambda: done and not dock.runner.busy() and not dock.saving())
    assert dock._candidate(candidate)["status"] == "retained"
    rows = {f["candidate_id"]: f for f in read_table(workspace, "synergies")}
    assert rows[candidate]["status"] == "retained"
    assert rows[candidate]["notes"] == "pendant la recherche"


def test_the_old_candidates_are_deleted_while_the_search_runs(dock, workspace, monkeypatch):
    """The search's thread works while another empties the old table (a transaction left
    open): the map still reads the old rows meanwhile; the new rows then go into the emptied
    table. A search started while the whole table is still on its way leaves it alone."""
    from eit_synergies.core.synergy import candidates as core_candidates

    before = sorted(f["candidate_id"] for f in read_table(workspace, "synergies"))
    real, seen = core_candidates.find_candidates, {}

    def searching(*args, **kwargs):  # in the search's thread: what a reader sees meanwhile
        end = time.monotonic() + 10
        while dock.clearer._made.get("replacement") is None and time.monotonic() < end:
            time.sleep(0.01)  # the other thread empties the table
        seen["emptied"] = dock.clearer._made.get("replacement") is not None
        seen["rows"] = sorted(f["candidate_id"] for f in read_table(workspace, "synergies"))
        return real(*args, **kwargs)

    monkeypatch.setattr("eit_synergies.core.synergy.find_candidates", searching)
    dock.map_limit.setValue(100_000)  # every row written at once
    move_slider_and_wait(dock, 12)
    assert seen["emptied"]
    assert seen["rows"] == before  # the old rows, for the map, until the new ones came
    assert not dock.clearer.ready()
    assert wait_for(lambda: not dock.saving())
    rows = read_table(workspace, "synergies")
    assert sorted(f["candidate_id"] for f in rows) == sorted(dock.candidates["candidate_id"])
    assert {f["max_distance_km"] for f in rows} == {12}
    assert dock.layers["candidates"].featureCount() == len(rows)
    # the whole table still on its way: the next search keeps it (no table emptied)
    monkeypatch.setattr("eit_synergies.core.synergy.find_candidates", real)
    dock.map_limit.setValue(10)
    slow_writes(monkeypatch)
    move_slider_and_wait(dock, 20)
    started = []
    real_start = dock.clearer.start
    monkeypatch.setattr(dock.clearer, "start", lambda *a: started.append(a) or real_start(*a))
    done = []
    dock.candidatesUpdated.connect(lambda: done.append(1))
    dock.distance_slider.blockSignals(True)
    dock.distance_slider.setValue(15)
    dock.distance_slider.blockSignals(False)
    assert dock.saving()
    dock.search_now()
    assert started == []  # the table on its way is left alone
    assert wait_for(lambda: done and not dock.runner.busy() and not dock.saving())
    rows = read_table(workspace, "synergies")
    assert {f["max_distance_km"] for f in rows} == {15}
    assert len(rows) == len(dock.candidates)


def test_a_write_into_the_emptied_table_fails_as_any_write_and_changes_nothing(dock, workspace):
    """Filling the table emptied during a search goes through the store: an SQLite failure
    is the store's usual error naming the file, and the table stays as it was."""
    import pandas as pd
    from eit_synergies.layers.gpkg_rows import Replacement

    before = sorted(f["candidate_id"] for f in read_table(workspace, "synergies"))
    replacement = Replacement(workspace, "synergies")
    replacement.connection.execute('DROP TABLE "synergies"')  # the insert will fail
    with pytest.raises(OSError, match=r"cannot update synergies in .*eit\.gpkg"):
        dock.store.replace_rows("candidates", pd.DataFrame(dock.candidates), prepared=replacement)
    assert not replacement.open
    assert sorted(f["candidate_id"] for f in read_table(workspace, "synergies")) == before


def data_defined(layer, prop, index=0):
    """The expression of a data-defined property of the first category's symbol layer."""
    categories = layer.renderer().categories()  # kept: the symbols live in them
    symbol = categories[0].symbol()
    return symbol.symbolLayer(index).dataDefinedProperties().property(prop).expressionString()


def test_widths_and_sizes_tell_quantities_except_confidential_ones_in_public_mode(dock):
    from qgis.core import QgsSymbolLayer

    checks = (  # layer, symbol layer, quantity field, constant size in public mode
        ("candidates", 1, "matched_quantity", 0.8),  # 0: the casing of decided lines
        ("supply", 0, "quantity_norm", 3),
        ("need", 0, "quantity_norm", 3),
    )
    for role, index, field, constant in checks:
        layer = dock.layers[role]
        prop = QgsSymbolLayer.Property
        size = prop.PropertyStrokeWidth if role == "candidates" else prop.PropertySize
        text = data_defined(layer, size, index)
        for public in (True, False):
            dock.set_public(public)  # the project variable the expressions read
            rows = [
                (confidential(feature, role), feature[field], value)
                for feature, value in expression_values(layer, text)
            ]
            secret = {value for hidden, _, value in rows if hidden}
            assert secret, role
            if public:
                assert secret == {constant}, (role, secret)
            else:
                assert len(secret) > 1, role  # private: confidential quantities show too
            open_rows = sorted((q, v) for hidden, q, v in rows if not hidden and q)
            assert len({v for _, v in open_rows}) > 3, role  # the quantity shows
            if role == "candidates":  # bigger, wider (all lines here are undecided)
                assert all(a[1] <= b[1] for a, b in zip(open_rows, open_rows[1:], strict=False))


# --------------------------------------------------------------------------- decisions


def first_candidate(dock):
    return dock.table.item(0, 0).data(Qt.ItemDataRole.UserRole)


def test_status_and_notes_are_written_at_once_and_logged(dock, workspace):
    candidate = first_candidate(dock)
    dock.table.selectRow(0)
    dock.notes.setPlainText("Qui transporte ? Voir la chambre d'agriculture")
    dock.status_buttons["retained"].click()
    rows = {f["candidate_id"]: f for f in read_table(workspace, "synergies")}
    assert rows[candidate]["status"] == "retained"
    assert rows[candidate]["notes"] == "Qui transporte ? Voir la chambre d'agriculture"
    log = read_table(workspace, "decisions")
    assert [(f["candidate_id"], f["status"]) for f in log] == [(candidate, "retained")]
    assert log[0]["timestamp"] and log[0]["notes"].startswith("Qui transporte")
    # the map shows it at once: the project layer reads the new status
    layer = dock.layers["candidates"]
    shown = [f["status"] for f in layer.getFeatures() if f["candidate_id"] == candidate]
    assert shown == ["retained"]


def notes_in_workspace(workspace, candidate):
    return [f["notes"] for f in read_table(workspace, "synergies")
            if f["candidate_id"] == candidate][0]  # fmt: skip


def type_notes(dock, text):
    """Type ``text`` in the notes field as a facilitator does (key by key)."""
    from qgis.PyQt.QtTest import QTest

    dock.notes.setFocus()
    dock.notes.moveCursor(dock.notes.textCursor().End)
    QTest.keyClicks(dock.notes, text)


def test_notes_are_saved_after_a_pause_in_the_typing(dock, workspace):
    candidate = first_candidate(dock)
    dock.table.selectRow(0)
    dock.status_buttons["to_explore"].click()
    type_notes(dock, "Qui transporte ?")
    assert not notes_in_workspace(workspace, candidate)  # not at each key
    assert wait_for(lambda: notes_in_workspace(workspace, candidate) == "Qui transporte ?", 5)
    type_notes(dock, " Voir la CUMA")
    assert dock.notes.toPlainText() == "Qui transporte ? Voir la CUMA"  # the cursor stayed
    assert wait_for(
        lambda: notes_in_workspace(workspace, candidate) == "Qui transporte ? Voir la CUMA", 5
    )
    log = read_table(workspace, "decisions")
    assert (log[-1]["candidate_id"], log[-1]["status"], log[-1]["notes"]) == (
        candidate,
        "to_explore",
        "Qui transporte ? Voir la CUMA",
    )
    # one typing session is one step of undo, as a status change is
    assert dock.undo()
    assert not notes_in_workspace(workspace, candidate)
    assert dock._candidate(candidate)["status"] == "to_explore"


def test_notes_typed_are_saved_when_the_workspace_closes(dock, workspace):
    candidate = first_candidate(dock)
    dock.table.selectRow(0)
    dock.status_buttons["retained"].click()
    words = "Qui transporte ? Voir la CUMA le 12 mars."
    type_notes(dock, words)
    dock.close_workspace()  # at once, no pause
    assert dock.open_workspace(str(workspace))
    assert dock._candidate(candidate)["notes"] == words
    assert dock._candidate(candidate)["status"] == "retained"
    assert notes_in_workspace(workspace, candidate) == words
    log = read_table(workspace, "decisions")
    assert [f["notes"] for f in log if f["candidate_id"] == candidate][-1] == words


def test_notes_typed_are_saved_when_the_project_closes_or_another_is_read(dock, workspace):
    project = QgsProject.instance()
    qgz = workspace.parent / "atelier.qgz"
    assert project.write(str(qgz))
    candidate = first_candidate(dock)
    dock.table.selectRow(0)
    type_notes(dock, "Chambre d'agriculture ?")
    assert project.read(str(qgz))  # reading a project clears the current one first
    assert notes_in_workspace(workspace, candidate) == "Chambre d'agriculture ?"
    assert dock.store is not None
    dock.select_candidate(candidate)
    assert dock.notes.toPlainText() == "Chambre d'agriculture ?"
    type_notes(dock, " Oui.")
    project.clear()
    assert notes_in_workspace(workspace, candidate) == "Chambre d'agriculture ? Oui."
    log = read_table(workspace, "decisions")
    assert [f["notes"] for f in log] == ["Chambre d'agriculture ?", "Chambre d'agriculture ? Oui."]
    assert {f["status"] for f in log} == {"proposed"}


def test_undo_restores_the_previous_status_and_notes(dock, workspace):
    candidate = first_candidate(dock)
    dock.table.selectRow(0)
    dock.status_buttons["to_explore"].click()
    dock.notes.setPlainText("question")
    dock.status_buttons["rejected"].click()
    assert dock.undo()
    rows = {f["candidate_id"]: f for f in read_table(workspace, "synergies")}
    assert rows[candidate]["status"] == "to_explore"
    assert not rows[candidate]["notes"]
    assert dock.undo()
    rows = {f["candidate_id"]: f for f in read_table(workspace, "synergies")}
    assert rows[candidate]["status"] == "proposed"
    assert not dock.undo() and not dock.undo_button.isEnabled()
    actions = [f["action"] for f in read_table(workspace, "decisions")]
    assert actions == ["set", "set", "undo", "undo"]


def test_ctrl_z_in_the_dock_undoes(dock, workspace):
    from qgis.PyQt.QtTest import QTest

    candidate = first_candidate(dock)
    dock.table.selectRow(0)
    dock.status_buttons["retained"].click()
    dock.table.setFocus()
    QTest.keyClick(dock.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    rows = {f["candidate_id"]: f for f in read_table(workspace, "synergies")}
    assert rows[candidate]["status"] == "proposed"


def test_decisions_are_kept_when_candidates_are_recomputed(dock, workspace):
    candidate = first_candidate(dock)
    dock.table.selectRow(0)
    dock.notes.setPlainText("à revoir avec la mairie")
    dock.status_buttons["retained"].click()
    km = int(max(f["distance_km"] for f in read_table(workspace, "synergies")
                 if f["candidate_id"] == candidate)) + 1  # fmt: skip
    move_slider_and_wait(dock, max(km, 3))
    rows = {f["candidate_id"]: f for f in read_table(workspace, "synergies")}
    assert rows[candidate]["status"] == "retained"
    assert rows[candidate]["notes"] == "à revoir avec la mairie"
    move_slider_and_wait(dock, 0)  # gone out of range? it comes back with its decision
    rows = {f["candidate_id"]: f for f in read_table(workspace, "synergies")}
    assert rows[candidate]["status"] == "retained"


def test_state_and_decisions_survive_closing_and_reopening_the_project(dock, workspace):
    project = QgsProject.instance()
    candidate = first_candidate(dock)
    dock.table.selectRow(0)
    dock.notes.setPlainText("Qui porte le projet ?")
    dock.status_buttons["to_explore"].click()
    dock.set_checked(dock.category_list, ["entreprise", "exploitation_agricole"])
    dock.score_slider.setValue(30)
    dock.public_check.setChecked(False)
    move_slider_and_wait(dock, 9)
    qgz = workspace.parent / "atelier.qgz"
    assert project.write(str(qgz))
    subsets = {r: layer.subsetString() for r, layer in dock.layers.items()}

    project.clear()
    assert dock.store is None and dock.table.rowCount() == 0
    assert project.read(str(qgz))
    assert dock.store is not None and Path(dock.store.path) == workspace.resolve()
    assert dock.distance_slider.value() == 9 and dock.score_slider.value() == 30
    assert dock.selected_categories() == ["entreprise", "exploitation_agricole"]
    assert not dock.public and not dock.public_check.isChecked()
    assert {r: layer.subsetString() for r, layer in dock.layers.items()} == subsets
    assert len(project.mapLayers()) == len(subsets)  # the saved layers, not loaded twice
    row = dock._candidate(candidate)
    assert row["status"] == "to_explore" and row["notes"] == "Qui porte le projet ?"
    rows = {f["candidate_id"]: f for f in read_table(workspace, "synergies")}
    assert rows[candidate]["status"] == "to_explore"


# --------------------------------------------------------------------------- public mode


def expression_values(layer, text):
    """(feature, value) of the expression ``text`` for every feature of ``layer`` (a new
    expression each time: QGIS keeps the value of a project variable it has read)."""
    expression = QgsExpression(text)
    context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    out = []
    for feature in layer.getFeatures():
        context.setFeature(feature)
        value = expression.evaluate(context)
        assert not expression.hasEvalError(), expression.evalErrorString()
        out.append((feature, value))
    return out


def label_texts(layer):
    """(feature, label text) for every feature, evaluating the layer's label expression (for
    the synergy lines: the text their symbol writes at their middle)."""
    if layer.customProperty("eit_synergies/role") == "candidates":
        from qgis.core import QgsSymbolLayer

        categories = layer.renderer().categories()  # kept: the symbols live in them
        symbol = categories[0].symbol()
        along = symbol.symbolLayer(symbol.symbolLayerCount() - 1)
        marker = along.subSymbol()
        texts = {
            marker.symbolLayer(i)
            .dataDefinedProperties().property(QgsSymbolLayer.Property.PropertyCharacter)
            .expressionString()
            for i in range(marker.symbolLayerCount())
        }  # fmt: skip
        assert len(texts) == 1  # the halo and the text say the same
        text = texts.pop()
    else:
        assert layer.labelsEnabled()
        settings = layer.labeling().settings()
        assert settings.isExpression
        text = settings.fieldName
    return [
        (feature, "" if value is None else str(value))
        for feature, value in expression_values(layer, text)
    ]


def confidential(feature, role):
    from eit_synergies.layers.workspace import CONFIDENTIAL_FIELDS

    return any(bool(feature[f]) for f in CONFIDENTIAL_FIELDS[role])


def test_public_mode_hides_confidential_names_and_quantities_on_the_map(dock):
    assert dock.public  # on by default
    seen_confidential = 0
    open_row = next(
        r for r in range(dock.table.rowCount())
        if not confidential(dock._candidate(dock.table.item(r, 0).data(Qt.ItemDataRole.UserRole)),
                            "candidates")
    )  # fmt: skip
    dock.table.selectRow(open_row)
    dock.status_buttons["retained"].click()  # lines the room kept carry their quantity
    from eit_synergies.layers.project import category_labels

    categories = category_labels()
    for role in ("actors", "supply", "need", "candidates", "groups"):
        layer = dock.layers[role]
        shown = 0
        for feature, text in label_texts(layer):
            assert SECRET not in text
            if confidential(feature, role):
                seen_confidential += 1
                # an actor by its type of activity (as in the pipeline's project), nothing
                # for the rest
                expected = categories[feature["category"]] if role == "actors" else ""
                assert text == expected, (role, text)
            else:
                shown += bool(text)
        assert shown > 0, f"no label at all on {role}"
    assert seen_confidential >= 5
    # the same expressions in private mode do show them (the check above can fail)
    dock.set_public(False)
    texts = [t for _, t in label_texts(dock.layers["actors"])]
    assert SECRET in texts
    flows = [t for _, t in label_texts(dock.layers["supply"])]
    assert any(SECRET in t for t in flows)
    # and line widths stop telling confidential quantities in public mode
    dock.set_public(True)
    from qgis.core import QgsSymbolLayer

    renderer = dock.layers["candidates"].renderer()
    categories = renderer.categories()
    symbol = categories[0].symbol()
    line = symbol.symbolLayer(1)
    width = line.dataDefinedProperties().property(QgsSymbolLayer.Property.PropertyStrokeWidth)
    assert "confidential" in width.expressionString()


def test_public_mode_hides_confidential_names_and_quantities_in_the_list(dock):
    role = Qt.ItemDataRole.UserRole
    secret_rows = [
        r for r in range(dock.table.rowCount())
        if dock._candidate(dock.table.item(r, 0).data(role))["supplier_name"] == SECRET
        or dock._candidate(dock.table.item(r, 0).data(role))["receiver_name"] == SECRET
    ]  # fmt: skip
    assert secret_rows
    dock.table.selectRow(secret_rows[0])
    texts = " ".join(dock.list_texts())
    assert SECRET not in texts
    assert "Confidential actor" in texts
    assert dock.table.item(secret_rows[0], 2).text() == "—"
    dock.select_actor(dock_workspace.SECRET_ACTOR)
    assert SECRET not in " ".join(dock.list_texts())
    dock.public_check.setChecked(False)
    assert SECRET in " ".join(dock.list_texts())


# --------------------------------------------------------------------------- map


def test_selecting_an_actor_shows_rings_and_lines_to_its_candidates(dock):
    dock.select_actor("A07")
    assert dock.selected_actor == "A07"
    assert len(dock.marks.bands) == 3  # two rings and the lines
    mine = dock._actor_candidates()
    assert len(mine) > 0
    assert dock.marks.bands[2].numberOfVertices() == 2 * len(mine)
    assert f"{len(mine)} possible synergies" in dock.actor_info.text()
    dock.layers["actors"].removeSelection()
    assert dock.marks.bands == []


def test_marks_are_canvas_items_never_layers_of_the_project(dock, qgis_iface):
    from qgis.core import QgsMapLayer

    project = QgsProject.instance()
    before = set(project.mapLayers())
    dock.table.selectRow(0)
    dock.select_actor("A07")
    assert dock.marks.highlight is not None and dock.marks.bands
    items = qgis_iface.mapCanvas().scene().items()
    assert dock.marks.highlight in items and all(band in items for band in dock.marks.bands)
    assert set(project.mapLayers()) == before
    assert not [layer for layer in project.mapLayers().values()
                if layer.providerType() == "memory"]  # fmt: skip
    assert all(isinstance(layer, QgsMapLayer) for layer in project.mapLayers().values())
    dock.close_workspace()
    assert not [i for i in qgis_iface.mapCanvas().scene().items()
                if i is dock.marks.highlight or i in dock.marks.bands]  # fmt: skip


def test_a_workspace_in_the_temporary_folder_is_pointed_out(dock, workspace, tmp_path):
    from eit_synergies.ui.project_state import in_temporary_folder
    from qgis.PyQt.QtCore import QStandardPaths

    temp = QStandardPaths.standardLocations(QStandardPaths.StandardLocation.TempLocation)[0]
    assert in_temporary_folder(Path(temp) / "processing_x" / "eit.gpkg")
    assert not in_temporary_folder(Path.home() / "Documents" / "atelier" / "eit.gpkg")
    assert in_temporary_folder(workspace)  # pytest's folders are in the temporary folder
    from qgis.core import Qgis

    bar = dock.iface.messageBar()
    bar.clear_messages()
    assert dock.open_workspace(str(workspace))
    assert any(
        str(workspace.parent) in text for text in bar.get_messages(Qgis.MessageLevel.Warning)
    )


def test_selecting_a_candidate_zooms_and_highlights(dock):
    canvas = dock.iface.mapCanvas()
    before = canvas.extent()
    dock.table.selectRow(0)
    assert dock.marks.highlight is not None
    assert canvas.extent() != before
    assert dock.layers["candidates"].selectedFeatureCount() == 1
    assert "score" in dock.detail_title.text()
    assert dock.part_bars["score_distance"].value() > 0
    assert "Documented precedents" in dock.detail_flows.text()  # retours d'expérience


def test_presentation_mode_hides_the_chrome_and_restores_it(dock, qgis_iface):
    from qgis.PyQt.QtWidgets import QToolBar

    window = qgis_iface.mainWindow()
    toolbar = QToolBar("other", window)
    window.addToolBar(toolbar)
    window.show()
    toolbar.show()
    dock.public_check.setChecked(False)
    minimum = dock.minimumWidth()
    dock.presentation_button.setChecked(True)
    assert dock.presentation.active and dock.public  # public by default in presentation
    assert not toolbar.isVisible() and not window.menuBar().isVisible()
    overlay = dock.presentation.overlay
    assert overlay is not None and "Care home (EHPAD)" in overlay.entries
    # the dock keeps what the facilitator needs, in a narrow column
    assert dock.maximumWidth() <= 420 and dock.table.isColumnHidden(2)
    assert not dock.parts_box.isVisibleTo(dock) and dock.notes.isVisibleTo(dock)
    dock._zoom_to_workspace()
    stage = dock.presentation.stage
    assert stage is not None and overlay.pos().x() == stage.legend[0]
    dock.presentation.shortcut.activated.emit()  # Esc
    assert not dock.presentation.active and not dock.presentation_button.isChecked()
    assert toolbar.isVisible() and window.menuBar().isVisible()
    assert dock.maximumWidth() > 10_000 and dock.minimumWidth() == minimum
    assert not dock.table.isColumnHidden(2) and dock.parts_box.isVisibleTo(dock)
    window.removeToolBar(toolbar)
    window.hide()


# --------------------------------------------------------------------------- form


def nearby_need(dock):
    """A need flow, and another actor within 3 km of it that has no flow of its resource."""
    need = dock.need
    actors = dock.actors
    for _, row in need.iterrows():
        if row["synergy_type"] != "substitution" or row.geometry is None:
            continue
        distances = actors.geometry.distance(row.geometry)
        near = actors[(distances < 3000) & (actors["actor_id"] != row["actor_id"])]
        if len(near):
            return row, near.iloc[0]
    raise AssertionError("no need with a neighbour in the demo")


def test_form_adds_a_supply_normalised_by_the_core_and_refreshes_candidates(dock, workspace):
    need, actor = nearby_need(dock)
    dialog = dock.flow_form(actor["actor_id"])
    assert dialog.actor_id() == actor["actor_id"]
    dialog.direction.setCurrentIndex(0)
    dialog.set_resource(need["resource"])
    units = [dialog.unit.itemData(i) for i in range(dialog.unit.count())]
    assert units, "no unit offered for the resource"
    dialog.quantity.setText("12,5")
    dialog.unit.setCurrentIndex(0)
    done = []
    dock.candidatesUpdated.connect(lambda: done.append(1))
    dialog.try_accept()
    assert dialog.result() == dialog.Accepted, dialog.message.text()
    new_id = f"{actor['actor_id']}-atelier-1"
    supply = {f["flow_id"]: f for f in read_table(workspace, "gisements")}
    assert new_id in supply
    flow = supply[new_id]
    assert flow["resource"] == need["resource"] and flow["quantity"] == 12.5
    assert flow["unit_norm"] and flow["quantity_norm"] > 0
    assert flow["actor_name"] == actor["name"]
    assert wait_for(lambda: done and not dock.runner.busy())
    ids = {f["candidate_id"] for f in read_table(workspace, "synergies")}
    assert f"{new_id}>{need['flow_id']}" in ids
    assert dock.layers["supply"].featureCount() == len(supply)


def test_form_refuses_what_the_core_rejects(dock, workspace):
    before = len(read_table(workspace, "besoins"))
    dialog = dock.flow_form("A07")
    dialog.direction.setCurrentIndex(1)
    dialog.set_resource("ORG_GREEN_WASTE")
    dialog.quantity.setText("-4")
    dialog.try_accept()
    assert dialog.result() != dialog.Accepted
    assert "negative" in dialog.message.text().lower() or dialog.message.text()
    assert len(read_table(workspace, "besoins")) == before


def test_form_corrects_an_existing_flow(dock, workspace):
    flow = dock.supply.iloc[0]
    dialog = dock.flow_form(flow["actor_id"])
    index = dialog.existing.findData(flow["flow_id"])
    assert index > 0
    dialog.existing.setCurrentIndex(index)
    assert dialog.resource_code() == flow["resource"]
    dialog.quantity.setText("777")
    dialog.try_accept()
    assert dialog.result() == dialog.Accepted, dialog.message.text()
    rows = [f for f in read_table(workspace, "gisements") if f["flow_id"] == flow["flow_id"]]
    assert len(rows) == 1 and rows[0]["quantity"] == 777
    assert wait_for(lambda: not dock.runner.busy())


def test_a_new_actor_placed_on_the_map_gets_its_flow(dock, workspace):
    from qgis.core import QgsPointXY

    actors_before = len(read_table(workspace, "acteurs"))
    extent = dock.iface.mapCanvas().extent()
    point = QgsPointXY(extent.center())
    dialog = dock.flow_form(None, new_actor_point=point)
    dialog.new_name.setText("Ferme du Test")
    dialog.new_category.setCurrentIndex(dialog.new_category.findData("exploitation_agricole"))
    dialog.direction.setCurrentIndex(1)
    dialog.set_resource("ORG_MANURE")
    dialog.try_accept()
    assert dialog.result() == dialog.Accepted, dialog.message.text()
    actors = read_table(workspace, "acteurs")
    assert len(actors) == actors_before + 1
    new = [a for a in actors if a["name"] == "Ferme du Test"][0]
    assert new["geo_method"] == "given" and new["actor_id"] == "ATELIER-1"
    needs = [f for f in read_table(workspace, "besoins") if f["actor_id"] == "ATELIER-1"]
    assert len(needs) == 1 and needs[0]["resource"] == "ORG_MANURE"
    assert wait_for(lambda: not dock.runner.busy())


# --------------------------------------------------------------------------- plugin


def test_plugin_toolbar_opens_the_dock_and_unload_removes_it(
    recording_iface, qgis_processing, load_plugin, eit_providers, workspace
):
    QgsProject.instance().clear()
    plugin = load_plugin(recording_iface)
    try:
        action = plugin.workshop.action
        assert action.objectName() == "eitSynergiesWorkshop"
        action.trigger()
        dock = plugin.workshop.dock
        assert dock is not None and dock.store is None  # no workspace in this project
        assert dock.open_workspace(str(workspace))
        candidate = first_candidate(dock)
        dock.table.selectRow(0)
        type_notes(dock, "Qui porte le projet ?")
    finally:
        plugin.unload()
    assert notes_in_workspace(workspace, candidate) == "Qui porte le projet ?"
    assert plugin.workshop is None
    assert eit_providers() == []
    # the dock's project connections are gone: saving a project does not call it any more
    QgsProject.instance().clear()
    second = load_plugin(recording_iface)
    second.unload()
