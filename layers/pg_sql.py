"""SQL text for a workspace in a PostgreSQL/PostGIS schema (Qt-free).

A run writes the whole schema with one SQL script sent in one call: PostgreSQL runs the
statements of one call in one transaction, so a failure anywhere leaves the schema as it was.
Tables have the GeoPackage's names and fields (``core.workspace.LAYERS``), an ``fid`` primary
key (as in a GeoPackage) and a PostGIS ``geometry`` column; values are written as SQL
literals (geometries as hexadecimal EWKB).
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd

from ..core.workspace import LAYERS

#: columns of the decisions log (an append-only table: ``fid`` is the log id)
DECISION_COLUMNS = (
    "candidate_id", "status", "notes", "changed_at", "timestamp", "action", "previous_status",
    "previous_notes", "author",
)  # fmt: skip
#: a table whose presence marks a schema as an EIT workspace (one row: version, written at)
MARKER = "eit_espace"
#: public-safe copies of the published frames (names, quantities, positions masked by
#: ``core.report`` exactly as in the public atlas), read by the views only
PUBLISHED = {
    "flows": "publie_flux",
    "candidates": "publie_synergies",
    "groups": "publie_mutualisations",
}
#: the views a region may read: every one is public-safe
VIEWS = ("v_acteurs", "v_flux", "v_synergies", "v_mutualisations", "v_decisions", "v_familles")
#: every relation a workspace schema may hold
OWN_RELATIONS = frozenset(LAYERS.values()) | set(PUBLISHED.values()) | set(VIEWS) | {MARKER}

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def valid_name(name: str) -> bool:
    """A schema or role name as the plugin accepts it: lower case, digits, underscores."""
    return bool(_NAME.match(str(name or "")))


def literal(value) -> str:
    """An SQL literal (standard conforming strings); NaN, NaT and None are NULL."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "NULL"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value)) if math.isfinite(value) else "NULL"
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return "'" + value.isoformat() + "'"
    if isinstance(value, (list, tuple, set)):
        value = ", ".join(str(v) for v in value)
    return "'" + str(value).replace("\x00", "").replace("'", "''") + "'"


def column_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "bigint"
    if pd.api.types.is_float_dtype(series):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "timestamp"
    values = series.dropna()
    if len(values) and all(isinstance(v, (bool, np.bool_)) for v in values):
        return "boolean"
    return "text"


def geometry_kind(frame) -> str | None:
    """The PostGIS type of a frame's geometry column (None for a plain table)."""
    if "geometry" not in frame.columns or not hasattr(frame, "geometry"):
        return None
    kinds = set(frame.geometry.geom_type.dropna())
    for kind in ("Point", "LineString", "Polygon"):
        if kinds <= {kind}:
            return kind
        if kinds <= {kind, f"Multi{kind}"}:
            return f"Multi{kind}"
    return "Geometry"


def _srid(frame) -> int:
    crs = getattr(frame, "crs", None)
    epsg = crs.to_epsg() if crs is not None else None
    return int(epsg or 2154)


def _geometries(frame, kind: str) -> list[str]:
    import shapely

    geoms = frame.geometry.to_numpy()
    if kind.startswith("Multi"):
        single = shapely.get_type_id(geoms) == {"Point": 0, "LineString": 1, "Polygon": 3}[kind[5:]]
        collect = {"Point": shapely.multipoints, "LineString": shapely.multilinestrings,
                   "Polygon": shapely.multipolygons}[kind[5:]]  # fmt: skip
        geoms = np.array(
            [collect([g]) if s else g for g, s in zip(geoms, single, strict=True)], dtype=object
        )
    srid = _srid(frame)
    geoms = shapely.set_srid(geoms, srid)
    hexes = shapely.to_wkb(geoms, hex=True, output_dimension=2, include_srid=True)
    return [literal(h) + "::geometry" if h is not None else "NULL" for h in hexes]


#: geometry type of the workspace's spatial tables, as the pipeline writes them in eit.gpkg
ROLE_GEOMETRY = {
    "actors": "Point", "supply": "Point", "need": "Point", "candidates": "LineString",
    "groups": "MultiPolygon",
}  # fmt: skip


def create_table(schema: str, table: str, frame, batch: int = 500, kind=None) -> list[str]:
    """``DROP``, ``CREATE`` and ``INSERT`` statements writing ``frame`` as ``schema.table``
    (``kind``: the PostGIS geometry type, else the frame's)."""
    kind = geometry_kind(frame) and (kind or geometry_kind(frame))
    columns = [c for c in frame.columns if c != "geometry" and str(c).lower() != "fid"]
    target = f"{ident(schema)}.{ident(table)}"
    definitions = ["fid bigserial PRIMARY KEY"]
    definitions += [f"{ident(c)} {column_type(frame[c])}" for c in columns]
    if kind:
        definitions.append(f"geometry geometry({kind}, {_srid(frame)})")
    statements = [
        f"DROP TABLE IF EXISTS {target} CASCADE",
        f"CREATE TABLE {target} ({', '.join(definitions)})",
    ]
    if not len(frame):
        return statements
    values = [[literal(v) for v in frame[c].to_numpy(dtype=object)] for c in columns]
    if kind:
        values.append(_geometries(frame, kind))
    names = [ident(c) for c in columns] + (["geometry"] if kind else [])
    rows = list(zip(*values, strict=True))
    for start in range(0, len(rows), batch):
        part = ", ".join("(" + ", ".join(row) + ")" for row in rows[start : start + batch])
        statements.append(f"INSERT INTO {target} ({', '.join(names)}) VALUES {part}")  # nosec B608
    if kind:
        statements.append(f"CREATE INDEX ON {target} USING gist (geometry)")
    return statements


def replace_rows(schema: str, table: str, frame, columns, srid=None, batch: int = 500) -> list[str]:
    """``DELETE`` and ``INSERT`` statements replacing the rows of ``schema.table`` by those of
    ``frame`` (its ``columns`` only, the table's; ``geometry`` as EWKB of ``srid``), to run as
    one script (one transaction)."""
    import shapely

    target = f"{ident(schema)}.{ident(table)}"
    statements = [f"DELETE FROM {target}"]  # nosec B608
    names = [c for c in frame.columns if c in set(columns) and c not in ("fid", "geometry")]
    values = [[literal(v) for v in frame[c].to_numpy(dtype=object)] for c in names]
    if srid is not None and "geometry" in frame.columns:
        geoms = shapely.set_srid(frame["geometry"].to_numpy(), int(srid))
        hexes = shapely.to_wkb(geoms, hex=True, output_dimension=2, include_srid=True)
        values.append([literal(h) + "::geometry" if h is not None else "NULL" for h in hexes])
        names.append("geometry")
    rows = list(zip(*values, strict=True))
    head = f"INSERT INTO {target} ({', '.join(ident(c) for c in names)}) VALUES "  # nosec B608
    for start in range(0, len(rows), batch):
        statements.append(
            head + ", ".join("(" + ", ".join(row) + ")" for row in rows[start : start + batch])
        )
    return statements


def decisions_table(schema: str, frame=None, keep: bool = True) -> list[str]:
    """The decisions log: kept as it is when ``keep`` and it exists (its ``fid`` is the log
    id other writers poll from), else created (with the rows of ``frame``)."""
    target = f"{ident(schema)}.{ident(LAYERS['decisions'])}"
    columns = list(DECISION_COLUMNS)
    if frame is not None:
        columns += [c for c in frame.columns if c not in columns and c not in ("fid", "geometry")]
    definitions = ", ".join(["fid bigserial PRIMARY KEY"] + [f"{ident(c)} text" for c in columns])
    statements = [] if keep else [f"DROP TABLE IF EXISTS {target} CASCADE"]
    statements.append(f"CREATE TABLE IF NOT EXISTS {target} ({definitions})")
    if not keep and frame is not None and len(frame):
        names = [c for c in columns if c in frame.columns]
        rows = zip(*[frame[c].to_numpy(dtype=object) for c in names], strict=True)
        text = ", ".join(
            "(" + ", ".join(literal(None if _missing(v) else str(v)) for v in row) + ")"
            for row in rows
        )
        statements.append(
            f"INSERT INTO {target} ({', '.join(ident(c) for c in names)}) VALUES {text}"  # nosec B608
        )
    return statements


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def marker_table(schema: str, version: str) -> list[str]:
    target = f"{ident(schema)}.{ident(MARKER)}"
    return [
        f"DROP TABLE IF EXISTS {target}",
        f"CREATE TABLE {target} (version text, written_at timestamptz DEFAULT now())",
        f"INSERT INTO {target} (version) VALUES ({literal(version)})",  # nosec B608
    ]


def script(statements: list[str]) -> str:
    return ";\n".join(statements) + ";"


def views(schema: str) -> list[str]:
    """The public-safe views of a territory's schema. They read the published tables
    (``core.report``'s masking, as in the public atlas) and, for what is not confidential, the
    live statuses and notes: a masked row shows its actor's category instead of a name, a size
    class instead of a quantity, its commune instead of its position, no id and no notes."""
    s = ident(schema)
    flux, cands, groups = (f"{s}.{ident(PUBLISHED[k])}" for k in ("flows", "candidates", "groups"))
    live = f"{s}.{ident(LAYERS['candidates'])}"
    log = f"{s}.{ident(LAYERS['decisions'])}"
    masked_id = "CASE WHEN {t}.masked THEN 'anon-' || {t}.fid ELSE {t}.{c} END"
    barrier = "WITH (security_barrier)"
    out = [f"DROP VIEW IF EXISTS {s}.{ident(v)} CASCADE" for v in reversed(VIEWS)]
    out.append(
        f"CREATE VIEW {s}.v_flux {barrier} AS SELECT f.fid, "
        + masked_id.format(t="f", c="flow_id") + " AS flow_id, f.actor_key, f.actor_display, "
        "f.category_display, f.commune, f.direction, f.resource, f.resource_label, f.family, "
        "f.synergy_type, f.months_text, f.quantity_value, f.unit_norm, f.quantity_text, "
        f"f.confidential, f.masked, f.geometry FROM {flux} f"
    )  # fmt: skip
    out.append(
        f"CREATE VIEW {s}.v_acteurs {barrier} AS SELECT DISTINCT ON (f.actor_key) f.actor_key, "  # nosec B608
        "f.actor_display, f.category_display, f.commune, f.masked, f.geometry "
        f"FROM {flux} f ORDER BY f.actor_key, f.fid"
    )
    out.append(
        f"CREATE VIEW {s}.v_synergies {barrier} AS SELECT p.fid, "
        + masked_id.format(t="p", c="candidate_id") + " AS candidate_id, "
        "coalesce(l.status, p.status) AS status, p.family, p.supplier_key, p.supplier_display, "
        "p.supplier_commune, p.receiver_key, p.receiver_display, p.receiver_commune, "
        "p.supply_resource_label, p.need_resource_label, p.distance_method, p.distance_value, "
        "p.distance_text, p.matched_value, p.matched_text, p.unit_norm, p.coverage_text, "
        "p.score_value, CASE WHEN p.masked THEN NULL ELSE l.notes END AS notes, p.masked, "
        f"p.geometry FROM {cands} p LEFT JOIN {live} l ON l.candidate_id = p.candidate_id"
    )  # fmt: skip
    out.append(
        f"CREATE VIEW {s}.v_mutualisations {barrier} AS SELECT g.fid, g.group_id, "  # nosec B608
        "g.resource_label, g.family, g.n_actors, g.member_names, g.provider_names, "
        "g.quantity_text, g.quantity_value, g.unit_norm, g.status_label, g.notes_text, "
        f"g.masked, g.geometry FROM {groups} g"
    )
    out.append(
        f"CREATE VIEW {s}.v_decisions {barrier} AS SELECT d.fid AS log_id, "  # nosec B608
        "CASE WHEN p.fid IS NULL THEN NULL WHEN p.masked THEN 'anon-' || p.fid "
        "ELSE d.candidate_id END AS candidate_id, p.family, d.status, d.action, "
        "coalesce(d.timestamp, d.changed_at) AS decided_at, "
        "CASE WHEN coalesce(p.masked, true) THEN NULL ELSE d.notes END AS notes "
        f"FROM {log} d LEFT JOIN {cands} p ON p.candidate_id = d.candidate_id"
    )  # fmt: skip
    out.append(
        f"CREATE VIEW {s}.v_familles AS "  # nosec B608
        f"WITH fl AS (SELECT family, count(DISTINCT actor_key) AS actors, "
        "count(*) FILTER (WHERE direction = 'supply') AS supply_flows, "
        "count(*) FILTER (WHERE direction = 'need') AS need_flows "
        f"FROM {s}.v_flux GROUP BY family), "
        "ca AS (SELECT family, count(*) AS candidates, "
        "count(*) FILTER (WHERE status = 'retained') AS retained, "
        "count(*) FILTER (WHERE status = 'to_explore') AS to_explore, "
        "count(*) FILTER (WHERE status = 'rejected') AS rejected "
        f"FROM {s}.v_synergies GROUP BY family), "
        f"de AS (SELECT family, count(*) AS decisions FROM {s}.v_decisions GROUP BY family) "
        "SELECT coalesce(fl.family, ca.family, de.family) AS family, "
        "coalesce(fl.actors, 0) AS actors, coalesce(fl.supply_flows, 0) AS supply_flows, "
        "coalesce(fl.need_flows, 0) AS need_flows, coalesce(ca.candidates, 0) AS candidates, "
        "coalesce(ca.retained, 0) AS retained, coalesce(ca.to_explore, 0) AS to_explore, "
        "coalesce(ca.rejected, 0) AS rejected, coalesce(de.decisions, 0) AS decisions "
        "FROM fl FULL JOIN ca ON ca.family = fl.family "
        "FULL JOIN de ON de.family = coalesce(fl.family, ca.family)"
    )  # fmt: skip
    return out


def grant_statements(schema: str, role: str, access: int) -> list[str]:
    """Privileges of ``role`` on a territory's schema: 0 the team (read and write every table,
    its sequences, the views), 1 the region (the schema's views only, read only). Whatever
    the role had before on the schema is revoked first."""
    s, r = ident(schema), ident(role)
    out = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
        f"REVOKE ALL ON SCHEMA {s} FROM {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
    ]
    if access == 0:
        out += [
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        ]
    else:
        out += [f"GRANT SELECT ON {s}.{ident(v)} TO {r}" for v in VIEWS]
    return out


def regional_query(schemas: list[str]) -> str:
    """One row per territory and family, across the given schemas' ``v_familles`` views."""
    parts = [f"SELECT {literal(s)} AS territory, v.* FROM {ident(s)}.v_familles v" for s in schemas]  # nosec B608
    return " UNION ALL ".join(parts) + " ORDER BY territory, family"
