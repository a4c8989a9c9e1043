"""The workshop dock on either store, with the same tests: a GeoPackage and a schema of a real
throw-away PostgreSQL (``pg_server``). The dock opens the workspace, writes decisions and
notes through the store (undo included), a search rewrites the candidates keeping them; two
docks and a note-taker deciding at once lose nothing, and each dock sees the others'
decisions within seconds (the decision log polled)."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from qgis.core import (
    QgsExpression,
    QgsFeatureRequest,
    QgsProject,
)
from qgis.PyQt.QtCore import Qt
from qgis_helpers import alg, eit_provider, wait_for

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"


@pytest.fixture(scope="module")
def demo_gpkg(qgis_processing, tmp_path_factory):
    """The demo workspace written by eit:runpipeline (provider registered only meanwhile)."""
    base = tmp_path_factory.mktemp("dock_stores")
    with eit_provider():
        alg("runpipeline", {"ACTORS": str(DEMO / "actors.csv"), "FLOWS": str(DEMO / "flows.csv"),
                            "OUTPUT_FOLDER": str(base / "run"), "ATLAS": False})  # fmt: skip
    return base / "run" / "eit.gpkg"


@pytest.fixture(params=["gpkg", "postgres"])
def workspace(request, demo_gpkg, pg_server, tmp_path, qgis_processing):
    """``(kind, open arguments of the dock, a function opening a second writer's store)``
    on a fresh copy of the demo workspace."""
    from eit_synergies.layers.decision_store import open_store

    if request.param == "gpkg":
        path = tmp_path / "eit.gpkg"
        shutil.copy(demo_gpkg, path)
        return "gpkg", (str(path),), lambda: open_store(str(path))
    schema = f"dock_{abs(hash(request.node.name)) % 10**8}"
    pg_server.psql(f"drop schema if exists {schema} cascade")
    with eit_provider():
        alg("copyworkspace", {"DIRECTION": 0, "GEOPACKAGE": str(demo_gpkg),
                              "DATABASE": pg_server.uri(), "SCHEMA": schema})  # fmt: skip
    return "postgres", (pg_server.uri(), schema), lambda: open_store(pg_server.uri(), schema)


@pytest.fixture
def docks(qgis_iface, close_docks):
    """Opens workshop docks on demand; all closed at the end."""
    from eit_synergies.ui.dock import WorkshopDock

    QgsProject.instance().clear()
    made = []

    def make(arguments, author):
        dock = WorkshopDock(qgis_iface)
        dock.author = author
        dock.resize(480, 900)
        dock.show()
        path, *schema = arguments
        assert dock.open_workspace(path, schema=schema[0] if schema else None)
        made.append(dock)
        return dock

    yield make
    close_docks(*made)


def listed_ids(dock, n):
    role = Qt.ItemDataRole.UserRole
    return [dock.table.item(r, 0).data(role) for r in range(min(n, dock.table.rowCount()))]


def row_of(dock, candidate_id):
    for row in range(dock.table.rowCount()):
        if dock.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == candidate_id:
            return row
    return None


def map_status(dock, candidate_id):
    """The status the map's candidates layer reads for a candidate (its provider, unfiltered)."""
    layer = dock.layers["candidates"]
    request = QgsFeatureRequest().setFilterExpression(
        f'"candidate_id" = {QgsExpression.quotedValue(candidate_id)}'
    )
    return [f["status"] for f in layer.dataProvider().getFeatures(request)]


def type_notes(dock, text):
    from qgis.PyQt.QtTest import QTest

    dock.notes.setFocus()
    dock.notes.moveCursor(dock.notes.textCursor().End)
    QTest.keyClicks(dock.notes, text)


def test_the_dock_decides_writes_notes_undoes_and_searches_on_either_store(workspace, docks):
    kind, arguments, second_store = workspace
    dock = docks(arguments, "animatrice")
    assert dock.store.kind == kind
    layer = dock.layers["candidates"]
    assert layer.providerType() == ("ogr" if kind == "gpkg" else "postgres")
    assert layer.dataProvider().featureCount() == len(dock.candidates) > 0
    assert dock.table.rowCount() == min(len(dock.candidates), 200)
    candidate = listed_ids(dock, 1)[0]
    dock.table.selectRow(0)
    dock.status_buttons["retained"].click()
    type_notes(dock, "Qui transporte ?")
    dock.notes_keeper.flush()
    other = second_store()  # another connection reads what the dock wrote
    assert other.state(candidate) == ("retained", "Qui transporte ?")
    assert map_status(dock, candidate) == ["retained"]
    log = other.since(0)
    assert log["candidate_id"].tolist() == [candidate, candidate]
    assert log["status"].tolist() == ["retained", "retained"]
    assert log["previous_status"].tolist() == ["proposed", "retained"]
    assert log["notes"].tolist() == [None, "Qui transporte ?"]
    assert set(log["author"]) == {"animatrice"}
    # undo: the notes typed, then the status (each logged as an undo)
    assert dock.undo()
    assert other.state(candidate) == ("retained", None)
    assert dock.undo()
    assert other.state(candidate) == ("proposed", None)
    assert map_status(dock, candidate) == ["proposed"]
    assert other.since(0)["action"].tolist() == ["set", "set", "undo", "undo"]
    # a search rewrites the candidates table in the store; a decision taken is kept
    dock.set_status("to_explore")
    done = []
    dock.candidatesUpdated.connect(lambda: done.append(1))
    dock.distance_slider.setValue(12)
    assert wait_for(lambda: done and not dock.runner.busy() and not dock.saving(), 60)
    assert other.state(candidate)[0] == "to_explore"
    assert layer.dataProvider().featureCount() == len(dock.candidates) > 0
    limits = {float(f["max_distance_km"]) for f in layer.dataProvider().getFeatures()}
    assert limits == {12.0}  # the store holds the new search's rows, not the old ones


def test_two_docks_and_a_note_taker_at_once_lose_nothing_and_see_each_other(workspace, docks):
    from eit_synergies.layers.project import status_labels

    kind, arguments, second_store = workspace
    first = docks(arguments, "animatrice")
    second = docks(arguments, "secretaire")
    ids = listed_ids(first, 24)
    assert len(ids) == 24 and listed_ids(second, 24) == ids
    mine, theirs, noted = ids[:8], ids[8:16], ids[16:]
    errors = []
    started = threading.Event()

    def note_taker():  # a third writer on its own connection, in its own thread
        store = second_store()
        started.set()
        try:
            for i, cid in enumerate(noted):
                store.decide(cid, "to_explore", f"note {i}", author="preneuse")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    thread = threading.Thread(target=note_taker)
    thread.start()
    assert started.wait(30)
    for i in range(8):  # the two docks, one decision each in turn, while the thread writes
        first.write_decision(mine[i], "retained", f"A {i}")
        second.write_decision(theirs[i], "rejected", f"B {i}")
    thread.join(timeout=120)
    assert not errors, errors
    reader = second_store()
    log = reader.since(0)
    assert len(log) == 24
    assert log["author"].value_counts().to_dict() == {
        "animatrice": 8, "secretaire": 8, "preneuse": 8,
    }  # fmt: skip
    assert set(log["previous_status"]) == {"proposed"}  # each saw the table as it was
    expected = {**{c: ("retained", f"A {i}") for i, c in enumerate(mine)},
                **{c: ("rejected", f"B {i}") for i, c in enumerate(theirs)},
                **{c: ("to_explore", f"note {i}") for i, c in enumerate(noted)}}  # fmt: skip
    for cid, state in expected.items():
        assert reader.state(cid) == state, cid
    # each dock sees the others' decisions within seconds: its list, its frame and its map
    t0 = time.monotonic()

    def seen_by(dock, ids_, status):
        return all(dock._candidate(c)["status"] == status for c in ids_)

    assert wait_for(lambda: seen_by(first, theirs, "rejected") and
                    seen_by(first, noted, "to_explore"), 10)  # fmt: skip
    assert time.monotonic() - t0 < 6
    assert wait_for(lambda: seen_by(second, mine, "retained") and
                    seen_by(second, noted, "to_explore"), 10)  # fmt: skip
    labels = status_labels()
    for cid in theirs:
        assert first.table.item(row_of(first, cid), 3).text() == labels["rejected"]
        assert map_status(first, cid) == ["rejected"]
    first.table.selectRow(row_of(first, noted[3]))
    assert first.notes.toPlainText() == "note 3"
    assert first._candidate(mine[0])["status"] == "retained"  # its own stay
    # the polled rows are what a new search carries: nothing is lost by searching again
    done = []
    first.candidatesUpdated.connect(lambda: done.append(1))
    first.search_now()
    assert wait_for(lambda: done and not first.runner.busy() and not first.saving(), 60)
    for cid, (status, notes) in expected.items():
        assert reader.state(cid) == (status, notes), cid


def test_a_rewrite_that_missed_a_decision_gets_it_back_from_the_log(workspace, docks):
    """A search of this dock rewrote the candidates while someone else decided: the log is the
    reference, the candidate's row gets the decision back when the dock reads the log."""
    kind, arguments, second_store = workspace
    dock = docks(arguments, "animatrice")
    candidate = listed_ids(dock, 1)[0]
    other = second_store()
    other.decide(candidate, "rejected", "Trop loin", author="secretaire")
    stale = dock.candidates.copy()  # the frame of a search that did not know it yet
    dock.write_candidates(stale)
    dock.settle_writes()
    assert other.state(candidate)[0] == "proposed"  # overwritten in the table...
    assert dock.live.poll() is not None  # ...until the dock reads the log
    assert other.state(candidate) == ("rejected", "Trop loin")
    assert dock._candidate(candidate)["status"] == "rejected"
    assert map_status(dock, candidate) == ["rejected"]
    assert len(other.since(0)) == 1  # put back, not decided again


def test_the_dock_opens_the_schema_of_the_project_the_pipeline_wrote(
    pg_server, qgis_processing, qgis_iface, docks, tmp_path
):
    """``eit:runpipeline`` with ``DATABASE``/``SCHEMA`` writes a .qgz whose layers read the
    schema: the dock opened on that project works on the schema, and a project saved with
    the dock brings it back on the schema (its state names no credentials)."""
    from eit_synergies.ui.dock import WorkshopDock

    pg_server.psql("drop schema if exists atelier_qgz cascade")
    with eit_provider():
        alg("runpipeline", {"ACTORS": str(DEMO / "actors.csv"), "FLOWS": str(DEMO / "flows.csv"),
                            "OUTPUT_FOLDER": str(tmp_path / "run"), "DATABASE": pg_server.uri(),
                            "SCHEMA": "atelier_qgz", "ATLAS": False})  # fmt: skip
    project = QgsProject.instance()
    project.clear()
    assert project.read(str(tmp_path / "run" / "eit.qgz"))
    count = len(project.mapLayers())
    dock = WorkshopDock(qgis_iface)
    try:
        assert dock.open_workspace()  # nothing given: the project's workspace
        assert dock.store.kind == "postgres" and dock.store.schema == "atelier_qgz"
        assert len(project.mapLayers()) == count  # the project's own layers, none added
        assert {r: lyr.providerType() for r, lyr in dock.layers.items()}["candidates"] == "postgres"
        assert dock.table.rowCount() > 0
        candidate = listed_ids(dock, 1)[0]
        dock.write_decision(candidate, "retained", "Visite en mars")
        dock.distance_slider.blockSignals(True)
        dock.distance_slider.setValue(17)
        dock.distance_slider.blockSignals(False)
        saved = tmp_path / "atelier.qgz"
        assert project.write(str(saved))
        assert project.readEntry("eit_synergies", "workspace", "")[0] == "postgres:atelier_qgz"
        dock.close_workspace()
        assert project.read(str(saved))  # the dock follows the project (readProject)
        assert dock.store is not None and dock.store.kind == "postgres"
        assert dock.store.schema == "atelier_qgz" and dock.distance_slider.value() == 17
        assert dock._candidate(candidate)["status"] == "retained"
        assert dock._candidate(candidate)["notes"] == "Visite en mars"
    finally:
        dock.cleanup()
        dock.deleteLater()


def test_a_supply_entered_in_the_form_is_written_and_searched_on_either_store(workspace, docks):
    from eit_synergies.layers.workspace_store import open_store

    kind, arguments, _ = workspace
    dock = docks(arguments, "animatrice")
    need = dock.need[dock.need["synergy_type"] == "substitution"].iloc[0]
    actors = dock.actors[dock.actors["actor_id"] != need["actor_id"]]
    actor = actors.iloc[int(actors.geometry.distance(need.geometry).to_numpy().argmin())]
    dialog = dock.flow_form(actor["actor_id"])
    dialog.direction.setCurrentIndex(0)
    dialog.set_resource(need["resource"])
    dialog.quantity.setText("12,5")
    dialog.unit.setCurrentIndex(0)
    done = []
    dock.candidatesUpdated.connect(lambda: done.append(1))
    dialog.try_accept()
    assert dialog.result() == dialog.Accepted, dialog.message.text()
    assert wait_for(lambda: done and not dock.runner.busy() and not dock.saving(), 60)
    new_id = f"{actor['actor_id']}-atelier-1"
    other = open_store(*arguments)  # another reader of the same workspace
    try:
        supply = other.frame("supply").set_index("flow_id")
        assert supply.loc[new_id, "resource"] == need["resource"]
        assert float(supply.loc[new_id, "quantity"]) == 12.5
        assert supply.loc[new_id].geometry.distance(actor.geometry) < 1e-6
        ids = set(other.frame("candidates", with_geometry=False)["candidate_id"])
        assert any(cid.startswith(f"{new_id}>") for cid in ids)
    finally:
        other.close()


def test_the_postgresql_button_offers_the_connections_and_the_territories(
    demo_gpkg, pg_server, qgis_iface, docks, monkeypatch
):
    """*PostgreSQL…*: a saved QGIS connection, then the schemas holding a workspace (not a
    schema of other tables), and the dock opens the one chosen."""
    from eit_synergies.layers.postgres import Database
    from eit_synergies.ui.dock import WorkshopDock
    from qgis.core import QgsProviderRegistry

    with eit_provider():
        pg_server.psql("drop schema if exists choix cascade")
        alg("copyworkspace", {"DIRECTION": 0, "GEOPACKAGE": str(demo_gpkg),
                              "DATABASE": pg_server.uri(), "SCHEMA": "choix"})  # fmt: skip
    pg_server.psql("create schema if not exists compta; "
                   "create table if not exists compta.commandes (id int)")  # fmt: skip
    metadata = QgsProviderRegistry.instance().providerMetadata("postgres")
    connection = metadata.createConnection(
        Database(pg_server.uri()).uri.uri(False), {"saveUsername": True, "savePassword": True}
    )
    metadata.saveConnection(connection, "eit-essai")
    offered = []

    class Choose:  # the user picks the connection, then the territory
        @staticmethod
        def getItem(_parent, _title, label, items, *_args):
            offered.append(list(items))
            wanted = "eit-essai" if len(offered) == 1 else "choix"
            return wanted, wanted in items

    monkeypatch.setattr("eit_synergies.ui.dock_workspace.QInputDialog", Choose)
    QgsProject.instance().clear()
    dock = WorkshopDock(qgis_iface)
    try:
        dock.choose_pg_workspace()
        assert "eit-essai" in offered[0]
        assert len(offered) == 2, dock.status_line.text()
        assert "choix" in offered[1] and "compta" not in offered[1]
        assert dock.store is not None and dock.store.kind == "postgres"
        assert dock.store.schema == "choix" and dock.table.rowCount() > 0
    finally:
        dock.cleanup()
        dock.deleteLater()
        metadata.deleteConnection("eit-essai")
