"""eit:runpipeline into a PostgreSQL/PostGIS schema, on a real throw-away server.

The same demo into a GeoPackage and into a schema gives the same candidates; the project
reads the schema through QGIS's PostgreSQL provider; a rerun keeps statuses, notes and
manual placements; a failed run leaves the schema as it was; bad connections and schemas get
a clear message and write nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)
from qgis_helpers import eit_provider as registered_provider

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
PACKAGE = "eit_synergies"
KEYS = {"candidates": "candidate_id", "groups": "group_id", "actors": "actor_id",
        "supply": "flow_id", "need": "flow_id"}  # fmt: skip


@pytest.fixture(scope="module")
def eit_provider(qgis_processing):
    """The plugin's provider for this module's runs (module-scoped, unlike ``plugin``)."""
    with registered_provider():
        yield


def run(parameters):
    from qgis import processing

    base = {"ACTORS": str(DEMO / "actors.csv"), "FLOWS": str(DEMO / "flows.csv")}
    return processing.run(
        "eit:runpipeline", {**base, **parameters}, context=QgsProcessingContext(),
        feedback=QgsProcessingFeedback(),
    )  # fmt: skip


def database(uri):
    from eit_synergies.layers.postgres import Database

    return Database(uri)


def frame(db, schema, role):
    from eit_synergies.layers.postgres import read_workspace

    return read_workspace(db, schema, [role])[role]


@pytest.fixture(scope="module")
def both_runs(pg_server, eit_provider, tmp_path_factory):
    base = tmp_path_factory.mktemp("pg_pipeline")
    gpkg = run({"OUTPUT_FOLDER": str(base / "gpkg"), "ATLAS": False})
    pg = run({"OUTPUT_FOLDER": str(base / "pg"), "DATABASE": pg_server.uri(), "SCHEMA": "cclnb",
              "ATLAS": False})  # fmt: skip
    return base, gpkg, pg


def test_same_candidates_in_a_geopackage_and_in_a_schema(both_runs, pg_server):
    from eit_synergies.layers.gpkg import read_layer

    base, gpkg_results, pg_results = both_runs
    assert pg_results["CANDIDATES"] == gpkg_results["CANDIDATES"] > 0
    assert pg_results["SCHEMA"] == "cclnb" and pg_results["GEOPACKAGE"] is None
    assert not (base / "pg" / "eit.gpkg").exists()  # the workspace is the schema
    for name in ("eit.qgz", "synthese.html"):
        assert (base / "pg" / name).stat().st_size > 0, name
    db = database(pg_server.uri())
    from eit_synergies.core.workspace import LAYERS

    for role, key in KEYS.items():
        in_pg = frame(db, "cclnb", role).sort_values(key).reset_index(drop=True)
        in_gpkg = read_layer(base / "gpkg" / "eit.gpkg", LAYERS[role])
        in_gpkg = in_gpkg.sort_values(key).reset_index(drop=True)
        assert list(in_pg[key]) == list(in_gpkg[key]), role
        assert set(in_pg.columns) == set(in_gpkg.columns), role
        for column in ("score", "matched_quantity", "distance_km", "quantity_norm"):
            if column in in_gpkg.columns:
                a, b = in_pg[column].astype(float), in_gpkg[column].astype(float)
                assert np.allclose(a, b, rtol=0, atol=1e-9, equal_nan=True), (role, column)
        if hasattr(in_gpkg, "geometry") and "geometry" in in_gpkg.columns:
            assert in_pg.crs.to_epsg() == in_gpkg.crs.to_epsg() == 2154
            assert in_pg.geometry.geom_equals_exact(in_gpkg.geometry, 1e-6).all(), role


def test_the_atlas_and_the_summary_are_written_as_with_a_geopackage(
    pg_server, eit_provider, tmp_path
):
    """A small territory (the demo's first 30 flows: a short atlas) with its atlas."""
    flows = tmp_path / "flux.csv"
    lines = (DEMO / "flows.csv").read_text(encoding="utf-8").splitlines()
    flows.write_text("\n".join(lines[:31]) + "\n", encoding="utf-8")
    pg_server.psql("drop schema if exists petit cascade")
    results = run({"FLOWS": str(flows), "OUTPUT_FOLDER": str(tmp_path / "out"),
                   "DATABASE": pg_server.uri(), "SCHEMA": "petit"})  # fmt: skip
    assert results["CANDIDATES"] > 0
    atlas = Path(results["ATLAS"])
    assert atlas == tmp_path / "out" / "atlas.pdf" and atlas.read_bytes()[:5] == b"%PDF-"
    html = (tmp_path / "out" / "synthese.html").read_text(encoding="utf-8")
    assert str(results["CANDIDATES"]) in html
    count = pg_server.psql("select count(*) from petit.synergies").strip()
    assert int(count) == results["CANDIDATES"]


def test_project_reads_the_schema_through_the_postgres_provider(both_runs):
    base = both_runs[0]
    project = QgsProject()
    assert project.read(str(base / "pg" / "eit.qgz"))
    layers = {layer.name(): layer for layer in project.mapLayers().values()}
    assert len(layers) >= 10
    for layer in layers.values():
        assert isinstance(layer, QgsVectorLayer) and layer.isValid(), layer.name()
        assert layer.providerType() == "postgres", layer.name()
        assert 'table="cclnb".' in layer.source()
    counts = {lyr.name(): lyr.featureCount() for lyr in layers.values()}
    assert max(counts.values()) > 0


def test_yearly_rerun_keeps_statuses_notes_and_placements(both_runs, pg_server, tmp_path):
    from eit_synergies.layers.decision_store import PgDecisionStore

    db = database(pg_server.uri())
    pg_server.psql("drop schema if exists rerun cascade")
    run({"OUTPUT_FOLDER": str(tmp_path / "a"), "DATABASE": pg_server.uri(), "SCHEMA": "rerun",
         "ATLAS": False})  # fmt: skip
    candidates = frame(db, "rerun", "candidates")
    chosen = candidates["candidate_id"].iloc[[0, 3]].tolist()
    store = PgDecisionStore(db, "rerun")
    store.decide(chosen[0], "retained", "Visite du site en mars", author="animatrice")
    store.decide(chosen[1], "rejected", "Trop loin")
    pg_server.psql(
        "update rerun.acteurs set geo_method = 'given', geometry = "
        "ST_Translate(geometry, 250, 0) where actor_id = 'A01'"
    )
    moved = pg_server.psql("select ST_X(geometry) from rerun.acteurs where actor_id = 'A01'")
    results = run({"OUTPUT_FOLDER": str(tmp_path / "a"), "DATABASE": pg_server.uri(),
                   "SCHEMA": "rerun", "ATLAS": False})  # fmt: skip
    assert results["KEPT_CANDIDATES"] == 2
    again = frame(db, "rerun", "candidates").set_index("candidate_id")
    assert again.loc[chosen[0], "status"] == "retained"
    assert again.loc[chosen[0], "notes"] == "Visite du site en mars"
    assert again.loc[chosen[1], "status"] == "rejected"
    actor = pg_server.psql(
        "select geo_method, ST_X(geometry) from rerun.acteurs where actor_id = 'A01'"
    ).strip()
    method, x = actor.split("|")
    assert method == "given" and abs(float(x) - float(moved)) < 0.01
    log = frame(db, "rerun", "decisions")
    assert len(log) == 2 and log["author"].tolist()[0] == "animatrice"  # the log is kept
    assert len(frame(db, "rerun", "runs")) == 2


def test_a_failed_run_leaves_the_schema_as_it_was(both_runs, pg_server, tmp_path, monkeypatch):
    from eit_synergies.layers import pg_sql

    before = pg_server.psql(
        "select count(*), max(written_at) from cclnb.eit_espace; "
        "select md5(string_agg(candidate_id || coalesce(status, ''), ',' order by fid)) "
        "from cclnb.synergies"
    )
    original = pg_sql.marker_table

    def broken(schema, version):  # the last statement of the run's script fails
        return original(schema, version) + ["SELECT 1/0"]

    monkeypatch.setattr(pg_sql, "marker_table", broken)
    with pytest.raises(QgsProcessingException, match="division by zero"):
        run({"OUTPUT_FOLDER": str(tmp_path / "b"), "DATABASE": pg_server.uri(),
             "SCHEMA": "cclnb", "ATLAS": False})  # fmt: skip
    after = pg_server.psql(
        "select count(*), max(written_at) from cclnb.eit_espace; "
        "select md5(string_agg(candidate_id || coalesce(status, ''), ',' order by fid)) "
        "from cclnb.synergies"
    )
    assert after == before


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unreachable", "cannot be reached"),
        ("password", "password"),
        ("no_postgis", "PostGIS"),
        ("foreign_tables", "commandes"),
        ("no_rights", "permission"),
        ("unknown_connection", "QGIS connection"),
    ],
)
def test_bad_database_input_gets_a_clear_message_and_writes_nothing(
    case, expected, pg_server, eit_provider, tmp_path
):
    free_port = sys.modules["eit_pg_server"].free_port  # loaded by the pg_server fixture
    uri, schema = pg_server.uri(), "autre"
    if case == "unreachable":
        uri = f"postgresql://eit_admin:x@127.0.0.1:{free_port()}/eit"
    elif case == "password":
        uri = pg_server.uri(password="faux")
    elif case == "no_postgis":
        pg_server.psql("drop database if exists sansgis", database="postgres")
        pg_server.psql("create database sansgis", database="postgres")
        uri = pg_server.uri(database="sansgis")
    elif case == "foreign_tables":
        pg_server.psql("create schema if not exists compta; "
                       "create table if not exists compta.commandes (id int)")  # fmt: skip
        schema = "compta"
    elif case == "no_rights":
        pg_server.psql(
            "do $$ begin if not exists (select from pg_roles where rolname = 'sansdroit') "
            "then create role sansdroit login password 'pw'; end if; end $$"
        )
        uri = pg_server.uri(user="sansdroit", password="pw")
        schema = "cclnb"
    elif case == "unknown_connection":
        uri = "connexion-inconnue"
    schemas = pg_server.psql("select string_agg(nspname, ',' order by nspname) from pg_namespace")
    with pytest.raises(QgsProcessingException) as raised:
        run({"OUTPUT_FOLDER": str(tmp_path / "out"), "DATABASE": uri, "SCHEMA": schema,
             "ATLAS": False})  # fmt: skip
    message = str(raised.value)
    assert expected.lower() in message.lower(), message
    assert "faux" not in message and "pw'" not in message  # never the password
    assert not (tmp_path / "out" / "eit.qgz").exists()
    after = pg_server.psql("select string_agg(nspname, ',' order by nspname) from pg_namespace")
    assert after == schemas
    if case == "foreign_tables":
        assert pg_server.psql("select count(*) from pg_tables where schemaname = 'compta'") == "1\n"
