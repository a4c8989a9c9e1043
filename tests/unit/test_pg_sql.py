"""SQL text of a workspace in PostgreSQL (``layers.pg_sql``): literals, tables, geometries,
grants. Run on a real server in ``tests/qgis/test_postgres_*.py``."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from eit_synergies.layers import pg_sql


def test_literals_are_quoted_and_missing_values_are_null():
    assert pg_sql.literal("l'usine") == "'l''usine'"
    assert pg_sql.literal("a\x00b") == "'ab'"
    assert pg_sql.literal(None) == pg_sql.literal(float("nan")) == pg_sql.literal(pd.NaT) == "NULL"
    assert pg_sql.literal(np.int64(7)) == "7"
    assert pg_sql.literal(np.True_) == "true" and pg_sql.literal(False) == "false"
    assert float(pg_sql.literal(0.1 + 0.2)) == 0.1 + 0.2  # full precision
    assert pg_sql.literal(float("inf")) == "NULL"
    assert pg_sql.ident('a"b') == '"a""b"'


def test_schema_and_role_names():
    assert pg_sql.valid_name("cc_loire_2025")
    for bad in ("", "Majuscule", "1abc", "a-b", "a;drop", "x" * 64):
        assert not pg_sql.valid_name(bad), bad


def test_create_table_writes_every_row_with_its_geometry():
    polygon = shapely.box(0, 0, 10, 10)
    multi = shapely.MultiPolygon([shapely.box(20, 0, 30, 10), shapely.box(40, 0, 50, 10)])
    frame = gpd.GeoDataFrame(
        {"group_id": ["g1", "g2", "g3"], "n": [2, 3, 4], "share": [0.5, np.nan, 1.0],
         "ok": [True, False, True], "fid": [9, 9, 9]},
        geometry=[polygon, multi, None], crs="EPSG:2154",
    )  # fmt: skip
    statements = pg_sql.create_table("terr", "mutualisations", frame, batch=2)
    create = statements[1]
    assert "fid bigserial PRIMARY KEY" in create and '"fid" ' not in create
    assert '"n" bigint' in create and '"share" double precision' in create
    assert '"ok" boolean' in create and "geometry geometry(MultiPolygon, 2154)" in create
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert len(inserts) == 2  # batches of two rows
    hexes = re.findall(r"'([0-9A-F]+)'::geometry", " ".join(inserts))
    geoms = [shapely.from_wkb(bytes.fromhex(h)) for h in hexes]
    assert [g.geom_type for g in geoms] == ["MultiPolygon", "MultiPolygon"]
    assert geoms[0].equals(shapely.MultiPolygon([polygon])) and geoms[1].equals(multi)
    assert all(shapely.get_srid(g) == 2154 for g in geoms)
    assert "NULL" in inserts[1]  # the missing geometry and the NaN share


def test_an_empty_table_is_created_without_rows():
    frame = pd.DataFrame({"reason": pd.Series(dtype=str)})
    statements = pg_sql.create_table("terr", "lignes_rejetees", frame)
    assert len(statements) == 2 and not any(s.startswith("INSERT") for s in statements)


def test_region_grants_are_views_only():
    team = " ".join(pg_sql.grant_statements("terr", "equipe", 0))
    region = pg_sql.grant_statements("terr", "region", 1)
    assert "ALL TABLES" in team and "INSERT" in team
    grants = [s for s in region if s.startswith("GRANT SELECT")]
    assert len(grants) == len(pg_sql.VIEWS)
    assert all(any(f'"{v}"' in s for v in pg_sql.VIEWS) for s in grants)
    assert not any("ALL TABLES" in s for s in region if s.startswith("GRANT"))


def test_views_read_only_published_tables_and_live_statuses():
    text = " ".join(pg_sql.views("terr"))
    base = set(re.findall(r'"terr"\."([a-z_]+)"', text))
    assert base <= set(pg_sql.PUBLISHED.values()) | {"synergies", "decisions"} | set(pg_sql.VIEWS)
    # from the live tables, only the status and the notes of unmasked rows are read
    assert "CASE WHEN p.masked THEN NULL ELSE l.notes END" in text
    assert "l.name" not in text and "quantity_norm" not in text
