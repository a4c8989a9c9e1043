"""The regional network on a real PostgreSQL: copy GeoPackage ↔ schema, the decision stores
(same tests on both), two writers at once, access enforced by the database for each role
(real logins), and the region's summary."""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
)
from qgis_helpers import alg
from qgis_helpers import eit_provider as registered_provider

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
ROLES = {"equipe_a": "pw-equipe", "region": "pw-region", "intrus": "pw-intrus"}


@pytest.fixture(scope="module")
def eit_provider(qgis_processing):
    with registered_provider():
        yield


def database(uri):
    from eit_synergies.layers.postgres import Database

    return Database(uri)


def copy_to_schema(pg_server, gpkg, schema):
    return alg("copyworkspace", {"DIRECTION": 0, "GEOPACKAGE": str(gpkg),
                                 "DATABASE": pg_server.uri(), "SCHEMA": schema})  # fmt: skip


@pytest.fixture(scope="module")
def network(pg_server, eit_provider, tmp_path_factory):
    """The demo workspace as a GeoPackage, copied into two territories' schemas, and the
    roles of a team, the region and an outsider (created as an administrator would)."""
    base = tmp_path_factory.mktemp("network")
    alg("runpipeline", {"ACTORS": str(DEMO / "actors.csv"), "FLOWS": str(DEMO / "flows.csv"),
                        "OUTPUT_FOLDER": str(base / "run"), "ATLAS": False})  # fmt: skip
    gpkg = base / "run" / "eit.gpkg"
    for schema in ("terr_a", "terr_b"):
        pg_server.psql(f"drop schema if exists {schema} cascade")
        copy_to_schema(pg_server, gpkg, schema)
    for role, password in ROLES.items():
        pg_server.psql(
            f"do $$ begin if not exists (select from pg_roles where rolname = '{role}') then "
            f"create role {role} login password '{password}'; end if; end $$"
        )
    alg("grantaccess", {"DATABASE": pg_server.uri(), "SCHEMA": "terr_a", "ROLE": "equipe_a",
                        "ACCESS": 0})  # fmt: skip
    for schema in ("terr_a", "terr_b"):
        alg("grantaccess", {"DATABASE": pg_server.uri(), "SCHEMA": schema, "ROLE": "region",
                            "ACCESS": 1})  # fmt: skip
    return base, gpkg


def as_role(pg_server, role):
    return database(pg_server.uri(user=role, password=ROLES[role]))


def base_tables(pg_server, schema):
    return pg_server.psql(
        f"select tablename from pg_tables where schemaname = '{schema}' order by 1"
    ).split()


def views(pg_server, schema):
    return pg_server.psql(
        f"select viewname from pg_views where schemaname = '{schema}' order by 1"
    ).split()


# --------------------------------------------------------------------------- copy


def test_copy_geopackage_to_schema_and_back_keeps_the_workspace(network, pg_server, tmp_path):
    from eit_synergies.core.workspace import LAYERS
    from eit_synergies.layers.gpkg import read_layer

    base, gpkg = network
    back = tmp_path / "retour.gpkg"
    result = alg("copyworkspace", {"DIRECTION": 1, "DATABASE": pg_server.uri(),
                                   "SCHEMA": "terr_b", "OUTPUT": str(back)})  # fmt: skip
    assert result["TABLES"] >= 10
    for role, key in (("candidates", "candidate_id"), ("actors", "actor_id"),
                      ("supply", "flow_id"), ("groups", "group_id")):  # fmt: skip
        before = read_layer(gpkg, LAYERS[role]).sort_values(key).reset_index(drop=True)
        after = read_layer(back, LAYERS[role]).sort_values(key).reset_index(drop=True)
        assert after[key].tolist() == before[key].tolist(), role
        assert set(after.columns) == set(before.columns), role
        assert after.geometry.geom_equals_exact(before.geometry, 1e-6).all(), role
    assert set(base_tables(pg_server, "terr_b")) >= {LAYERS[r] for r in ("actors", "decisions")}


# --------------------------------------------------------------------------- decision stores


@pytest.fixture(params=["gpkg", "postgres"])
def store_factory(request, network, pg_server, tmp_path):
    """A fresh workspace in each kind of store, and a function opening a store on it (each
    call: its own connection, as a second person's QGIS would have)."""
    from eit_synergies.layers.decision_store import open_store

    base, gpkg = network
    if request.param == "gpkg":
        path = tmp_path / "eit.gpkg"
        shutil.copy(gpkg, path)
        return lambda: open_store(str(path))
    schema = f"store_{abs(hash(request.node.name)) % 10**8}"
    pg_server.psql(f"drop schema if exists {schema} cascade")
    copy_to_schema(pg_server, gpkg, schema)
    return lambda: open_store(pg_server.uri(), schema)


def candidate_ids(store_factory, n):
    store = store_factory()
    if hasattr(store, "db") and hasattr(store.db, "execute"):  # SQLite
        rows = store.db.execute(f"select candidate_id from synergies limit {n}").fetchall()
    else:
        rows = store.db.sql(f"select candidate_id from {store.candidates} limit {n}")
    return [str(r[0]) for r in rows]


def test_a_decision_sets_status_and_notes_and_logs_the_previous_values(store_factory):
    store = store_factory()
    cid = candidate_ids(store_factory, 1)[0]
    before = store.state(cid)
    first = store.decide(cid, "retained", "Visite en mars", author="animatrice")
    second = store.decide(cid, "to_explore", "Attendre le devis")
    assert second > first
    assert store.state(cid) == ("to_explore", "Attendre le devis")
    log = store.since(first - 1)
    assert log["log_id"].tolist() == [first, second]
    assert log["previous_status"].tolist() == [before[0], "retained"]
    assert log["previous_notes"].tolist()[1] == "Visite en mars"
    assert log["author"].tolist()[0] == "animatrice"
    with pytest.raises(KeyError):
        store.decide("n'existe pas", "retained")
    assert store.since(second).empty


def test_another_writer_sees_the_decisions_by_polling(store_factory):
    facilitator, note_taker = store_factory(), store_factory()
    seen = note_taker.since(0)
    last = int(seen["log_id"].max()) if len(seen) else 0
    cid = candidate_ids(store_factory, 1)[0]
    log_id = facilitator.decide(cid, "retained", "Accord de principe")
    news = note_taker.since(last)
    assert news["log_id"].tolist() == [log_id]
    assert news["candidate_id"].tolist() == [cid]
    assert note_taker.state(cid) == ("retained", "Accord de principe")


def test_two_writers_deciding_at_once_lose_nothing(store_factory):
    """Two people (two connections, two threads) decide 40 times each on the same five
    candidates: every decision is logged, each one saw the one before it, and each
    candidate's status is its last decision's."""
    ids = candidate_ids(store_factory, 5)
    start = store_factory().since(0)
    first_id = int(start["log_id"].max()) if len(start) else 0
    barrier = threading.Barrier(2)
    errors = []
    statuses = ("retained", "to_explore", "rejected", "proposed")

    def work(name):
        store = store_factory()
        try:
            barrier.wait()
            for i in range(40):
                cid = ids[i % len(ids)]
                store.decide(cid, statuses[i % 4], f"{name} {i}", author=name)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in ("animatrice", "secretaire")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    store = store_factory()
    log = store.since(first_id)
    assert len(log) == 80
    assert (log["author"].value_counts() == 40).all()
    authors = log["author"].tolist()
    assert any(a != b for a, b in zip(authors, authors[1:], strict=False))
    for cid, rows in log.groupby("candidate_id"):
        rows = rows.sort_values("log_id")
        # each decision replaced the one logged just before it: none was overwritten unseen
        assert rows["previous_status"].tolist()[1:] == rows["status"].tolist()[:-1], cid
        assert rows["previous_notes"].tolist()[1:] == rows["notes"].tolist()[:-1], cid
        last = rows.iloc[-1]
        assert store.state(cid) == (last["status"], last["notes"])


# --------------------------------------------------------------------------- access


def test_the_team_reads_and_writes_its_schema_only(network, pg_server):
    from eit_synergies.core.errors import EitError
    from eit_synergies.layers.decision_store import PgDecisionStore

    team = as_role(pg_server, "equipe_a")
    for table in base_tables(pg_server, "terr_a"):
        team.sql(f"select count(*) from terr_a.{table}")
    cid = str(team.scalar("select candidate_id from terr_a.synergies limit 1"))
    log_id = PgDecisionStore(team, "terr_a").decide(cid, "retained", "Equipe", author="equipe_a")
    assert log_id > 0
    assert str(pg_server.psql(f"select status from terr_a.synergies where candidate_id = '{cid}'")
               ).strip() == "retained"  # fmt: skip
    for relation in base_tables(pg_server, "terr_b") + views(pg_server, "terr_b"):
        with pytest.raises(EitError) as raised:
            team.sql(f"select 1 from terr_b.{relation} limit 1")
        assert raised.value.code == "pg_permission", relation


def test_the_region_reads_only_the_views(network, pg_server):
    from eit_synergies.core.errors import EitError
    from eit_synergies.layers.pg_sql import VIEWS

    region = as_role(pg_server, "region")
    for schema in ("terr_a", "terr_b"):
        assert sorted(views(pg_server, schema)) == sorted(VIEWS)
        for view in VIEWS:
            assert region.scalar(f"select count(*) from {schema}.{view}") is not None
        tables = base_tables(pg_server, schema)
        assert len(tables) >= 12
        for table in tables:
            with pytest.raises(EitError) as raised:
                region.sql(f"select * from {schema}.{table} limit 1")
            assert raised.value.code == "pg_permission", table
            assert "permission denied" in str(raised.value)
        before = pg_server.psql(
            f"select count(*) from {schema}.synergies where status = 'rejected'"
        )
        with pytest.raises(EitError):
            region.sql(f"update {schema}.v_synergies set status = 'rejected'")
        with pytest.raises(EitError) as raised:
            region.sql(f"insert into {schema}.decisions (candidate_id) values ('x')")
        assert raised.value.code == "pg_permission"
        after = pg_server.psql(f"select count(*) from {schema}.synergies where status = 'rejected'")
        assert after == before


def test_a_role_with_no_grant_reads_nothing(network, pg_server):
    from eit_synergies.core.errors import EitError

    outsider = as_role(pg_server, "intrus")
    for schema in ("terr_a", "terr_b"):
        for relation in base_tables(pg_server, schema) + views(pg_server, schema):
            with pytest.raises(EitError) as raised:
                outsider.sql(f"select 1 from {schema}.{relation} limit 1")
            assert raised.value.code == "pg_permission", relation


def test_every_view_masks_confidential_actors_and_flows(network, pg_server):
    """What the region reads holds no confidential name, id, quantity, position or note."""
    from eit_synergies.core.report_words import format_quantity, size_class
    from eit_synergies.layers.frames import _python_value
    from eit_synergies.layers.pg_sql import VIEWS

    admin = database(pg_server.uri())
    secret_actors = admin.sql(
        "select actor_id, name from terr_a.acteurs where coalesce(confidential, true)"
    )
    assert secret_actors
    secret_flows = admin.sql(
        "select flow_id, quantity_norm, ST_X(geometry), ST_Y(geometry) from ("
        "select * from terr_a.gisements union all select * from terr_a.besoins) f "
        "where confidential"
    )
    assert secret_flows
    region = as_role(pg_server, "region")
    texts = []
    for view in VIEWS:
        rows = region.sql(f"select to_jsonb(v)::text from terr_a.{view} v")
        texts += [str(r[0]) for r in rows]
    everything = "\n".join(texts)
    for actor_id, name in secret_actors:
        assert f'"{name}"' not in everything, name
        assert f'"{actor_id}"' not in everything, actor_id
    for flow_id, *_ in secret_flows:
        assert f'"{flow_id}"' not in everything, flow_id
    masked = region.sql(
        "select quantity_value, quantity_text, ST_X(geometry), ST_Y(geometry), actor_display "
        "from terr_a.v_flux where masked"
    )
    assert len(masked) == len(secret_flows)
    positions = {(round(x, 3), round(y, 3)) for _, _, x, y in secret_flows}
    units = dict(admin.sql(
        "select flow_id, unit_norm from terr_a.gisements union all "
        "select flow_id, unit_norm from terr_a.besoins"
    ))  # fmt: skip
    classes = {size_class(q, units[f]) for f, q, *_ in secret_flows}  # the atlas's classes
    exact = {format_quantity(q, units[f]) for f, q, *_ in secret_flows}
    for quantity, text, x, y, display in masked:
        assert _python_value(quantity) is None
        assert str(text) in classes and str(text) not in exact
        assert (round(x, 3), round(y, 3)) not in positions  # the commune, not the address
        assert str(display) not in {str(n) for _, n in secret_actors}
    notes = region.sql("select count(*) from terr_a.v_synergies where masked and notes is not null")
    assert notes[0][0] == 0


def test_region_summary_across_the_schemas_it_may_read(network, pg_server, tmp_path):
    from eit_synergies.layers.gpkg import read_layer

    page = tmp_path / "reseau.html"
    result = alg("regionalsummary", {"DATABASE": pg_server.uri(user="region",
                                     password=ROLES["region"]), "OUTPUT": "memory:",
                                     "OUTPUT_HTML": str(page)})  # fmt: skip
    assert result["TERRITORIES"] == 2
    layer = result["OUTPUT"]
    layer = layer if not isinstance(layer, str) else QgsProcessingContext().getMapLayer(layer)
    rows = pd.DataFrame([f.attributes() for f in layer.getFeatures()],
                        columns=layer.fields().names())  # fmt: skip
    assert set(rows["territory"]) == {"terr_a", "terr_b"}
    candidates = read_layer(network[1], "synergies")
    for schema in ("terr_a", "terr_b"):
        mine = rows[rows["territory"] == schema]
        assert mine["candidates"].sum() == len(candidates)
        by_family = candidates.groupby("family").size()
        got = mine.set_index("family")["candidates"]
        assert all(got.get(f, 0) == n for f, n in by_family.items())
    decided = int(pg_server.psql("select count(*) from terr_a.decisions"))
    assert rows[rows["territory"] == "terr_a"]["decisions"].sum() == decided
    html = page.read_text(encoding="utf-8")
    assert "terr_a" in html and "terr_b" in html
    for (name,) in database(pg_server.uri()).sql(
        "select name from terr_a.acteurs where confidential"
    ):
        assert str(name) not in html
    nothing = alg("regionalsummary", {"DATABASE": pg_server.uri(user="intrus",
                                      password=ROLES["intrus"]), "OUTPUT": "memory:"})  # fmt: skip
    assert nothing["TERRITORIES"] == 0


def test_grant_errors_name_what_to_fix(network, pg_server):
    for parameters, expected in (
        ({"ROLE": "personne", "SCHEMA": "terr_a"}, "personne"),
        ({"ROLE": "region", "SCHEMA": "inexistant"}, "inexistant"),
    ):
        with pytest.raises(QgsProcessingException, match=expected):
            alg("grantaccess", {"DATABASE": pg_server.uri(), "ACCESS": 1, **parameters})
    with pytest.raises(QgsProcessingException, match="permission"):
        alg("grantaccess", {"DATABASE": pg_server.uri(user="region", password=ROLES["region"]),
                            "SCHEMA": "terr_a", "ROLE": "intrus", "ACCESS": 0})  # fmt: skip
    assert "eit_pg_server" in sys.modules
