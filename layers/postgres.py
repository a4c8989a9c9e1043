"""The workspace in a PostgreSQL/PostGIS schema, through QGIS's own PostgreSQL provider.

No Python driver: statements go through the provider's database connection
(``QgsAbstractDatabaseProviderConnection.executeSql``), tables are read as QGIS layers. One
call runs in one transaction (:mod:`layers.pg_sql` builds a run's whole script), so a failed
run leaves the schema as it was. ``DATABASE`` is a libpq URI
(``postgresql://user:[password]@host:port/database``) or the name of a QGIS PostgreSQL
connection. Problems become :class:`core.errors.EitError` codes ``pg_*`` (French messages in
``processing/messages.py``), never showing a password.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from qgis.core import QgsApplication, QgsDataSourceUri, QgsProviderRegistry, QgsVectorLayer
from qgis.PyQt.QtCore import QVariant

from ..core.errors import EitError
from ..core.workspace import LAYERS
from . import pg_sql
from .frames import source_to_frame


def _metadata():
    return QgsProviderRegistry.instance().providerMetadata("postgres")


def is_uri(text: str) -> bool:
    return str(text).strip().lower().startswith(("postgresql://", "postgres://"))


def data_source(database: str) -> QgsDataSourceUri:
    """The QGIS data source of a libpq URI, of a saved QGIS PostgreSQL connection, or of a
    QGIS data source text (a project layer's source)."""
    text = str(database or "").strip()
    if not text:
        raise EitError("pg_no_database", "No database given")
    if is_uri(text):
        parts = urlsplit(text)
        uri = QgsDataSourceUri()
        try:
            port = str(parts.port or 5432)
        except ValueError as error:
            raise EitError("pg_bad_uri", f"Bad port in {redact(text)}", uri=redact(text)) from error
        uri.setConnection(
            parts.hostname or "localhost", port, unquote(parts.path.lstrip("/")) or "postgres",
            unquote(parts.username or ""), unquote(parts.password or ""),
        )  # fmt: skip
        for key, value in parse_qsl(parts.query):
            if key == "sslmode":
                uri.setSslMode(QgsDataSourceUri.decodeSslMode(value))
            else:
                uri.setParam(key, value)
        return uri
    if "dbname=" in text or "service=" in text:  # a QGIS data source (a project layer's)
        source = QgsDataSourceUri(text)
        return QgsDataSourceUri(source.connectionInfo(True))
    metadata = _metadata()
    connections = metadata.connections() if metadata else {}
    if text not in connections:
        raise EitError(
            "pg_unknown_connection", f"No QGIS PostgreSQL connection named {text}",
            name=text, known=sorted(connections) or "-",
        )  # fmt: skip
    return QgsDataSourceUri(connections[text].uri())


def redact(text: str) -> str:
    """A database description without its password."""
    text = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(text))
    return re.sub(r"password='?[^' ]*'?", "password=***", text)


class Database:
    """A PostgreSQL database reached through QGIS's provider."""

    def __init__(self, database: str):
        self.uri = data_source(database)
        self.label = (
            f"{self.uri.username() or '?'}@{self.uri.host() or 'localhost'}:"
            f"{self.uri.port() or 5432}/{self.uri.database()}"
        )
        self.connection = self._guard(lambda: _metadata().createConnection(self.uri.uri(False), {}))

    def _guard(self, call):
        from qgis.core import QgsException, QgsProviderConnectionException

        messages: list[str] = []

        def collect(message, tag, level):
            messages.append(str(message))

        log = QgsApplication.messageLog()
        log.messageReceived.connect(collect)
        try:
            return call()
        except (QgsProviderConnectionException, QgsException) as error:
            raise self.error(str(error), " ".join(messages)) from None
        finally:
            log.messageReceived.disconnect(collect)

    def error(self, text: str, log: str = "") -> EitError:
        """The EitError for a provider's error text (and the connection log's lines)."""
        both = f"{text} {log}"
        where = {"database": self.label, "host": self.uri.host(), "port": self.uri.port()}
        server = re.search(r"ERROR:\s*(.*)", text, re.DOTALL)  # the server's own words
        detail = server.group(1) if server else (log or text)
        detail = redact(re.sub(r"\s+", " ", detail)).strip()[:300]
        checks = (
            ("password authentication failed", "pg_auth"),
            ("no password supplied", "pg_auth"),
            ("does not exist", None),
            ("permission denied", "pg_permission"),
            ("must be owner", "pg_permission"),
            ("could not translate host name", "pg_unreachable"),
            ("connection refused", "pg_unreachable"),
            ("timeout expired", "pg_unreachable"),
            ("could not connect", "pg_unreachable"),
            ("no route to host", "pg_unreachable"),
        )
        lowered = both.lower()
        for needle, code in checks:
            if needle in lowered:
                if code is None:
                    if "database" in lowered and "connection" in lowered:
                        code = "pg_no_database"
                    elif 'type "geometry"' in lowered or "postgis" in lowered:
                        code = "pg_no_postgis"
                    else:
                        continue
                return EitError(code, f"{self.label}: {detail}", detail=detail, **where)
        if "connection failed" in lowered:
            return EitError("pg_unreachable", f"{self.label}: {detail}", detail=detail, **where)
        return EitError("pg_error", f"{self.label}: {detail}", detail=detail, **where)

    def sql(self, text: str) -> list[list]:
        """Run ``text`` (one or more statements, one transaction); rows of the last one."""
        return self._guard(lambda: self.connection.executeSql(text))

    def scalar(self, text: str):
        rows = self.sql(text)
        return rows[0][0] if rows and rows[0] else None

    def check_postgis(self) -> str:
        version = self.scalar("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
        if not version:
            raise EitError(
                "pg_no_postgis", f"{self.label}: the PostGIS extension is not installed",
                database=self.label,
            )  # fmt: skip
        return str(version)

    def relations(self, schema: str) -> list[str]:
        """Tables, views and foreign tables of ``schema`` (empty when it does not exist)."""
        rows = self.sql(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "  # nosec B608
            f"WHERE n.nspname = {pg_sql.literal(schema)} AND c.relkind IN ('r','v','m','f','p') "
            "ORDER BY 1"
        )
        return [str(r[0]) for r in rows]

    def layer_uri(self, schema: str, table: str, geometry: bool = True) -> str:
        uri = QgsDataSourceUri(self.uri.uri(False))
        uri.setDataSource(schema, table, "geometry" if geometry else None, "", "fid")
        return uri.uri(False)

    def layer(self, schema: str, table: str, name: str | None = None, key="fid"):
        """The table (or view) as a QGIS layer through the PostgreSQL provider."""
        uri = QgsDataSourceUri(self.uri.uri(False))
        geometry = self.scalar(
            "SELECT f_geometry_column FROM geometry_columns WHERE "  # nosec B608
            f"f_table_schema = {pg_sql.literal(schema)} AND f_table_name = {pg_sql.literal(table)}"
        )
        uri.setDataSource(schema, table, geometry or None, "", key)
        layer = QgsVectorLayer(uri.uri(False), name or table, "postgres")
        return layer if layer.isValid() else None


def check_schema(db: Database, schema: str, create: bool = True) -> list[str]:
    """The relations of ``schema``; an error when its name is not accepted, or when it holds
    relations that are not a workspace's (nothing is written then)."""
    if not pg_sql.valid_name(schema):
        raise EitError("pg_bad_schema", f"Schema name not accepted: {schema}", schema=schema)
    relations = db.relations(schema)
    foreign = [r for r in relations if r not in pg_sql.OWN_RELATIONS]
    if foreign:
        raise EitError(
            "pg_foreign_tables", f"{schema} holds tables that are not an EIT workspace's",
            schema=schema, tables=foreign[:10],
        )  # fmt: skip
    return relations


def check_owner(db: Database, schema: str) -> None:
    """Writing a workspace (or granting on it) needs to own its tables, or to create a
    schema: a clear error before anything is computed rather than a failed write."""
    s = pg_sql.literal(schema)
    exists = db.scalar(f"SELECT count(*) FROM pg_namespace WHERE nspname = {s}")  # nosec B608
    if not exists:
        if not db.scalar("SELECT has_database_privilege(current_database(), 'CREATE')"):
            raise EitError(
                "pg_permission", f"{db.label}: permission denied to create the schema {schema}",
                database=db.label, detail=f"CREATE SCHEMA {schema}",
            )  # fmt: skip
        return
    foreign = db.scalar(
        "SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c "  # nosec B608
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
        f"{s} AND c.relkind IN ('r','v','p') AND NOT pg_has_role(c.relowner, 'USAGE')"
    )
    if foreign and not isinstance(foreign, QVariant):
        raise EitError(
            "pg_permission", f"{db.label}: permission denied: {schema} belongs to another role",
            database=db.label, detail=f"{schema}: {foreign}",
        )  # fmt: skip


def workspace_script(schema: str, tables: dict, published: dict, keep_log: bool) -> str:
    """The whole schema in one script: ``tables`` role -> frame (``decisions`` kept when
    ``keep_log`` and it exists), ``published`` the public-safe frames, then the views."""
    from ..__about__ import __version__

    statements = [
        "SET LOCAL client_min_messages = warning",
        f"CREATE SCHEMA IF NOT EXISTS {pg_sql.ident(schema)}",
    ]
    for role, frame in tables.items():
        if frame is None or role == "decisions":
            continue
        kind = pg_sql.ROLE_GEOMETRY.get(role)
        statements += pg_sql.create_table(schema, LAYERS[role], frame, kind=kind)
    statements += pg_sql.decisions_table(schema, tables.get("decisions"), keep=keep_log)
    for key, frame in published.items():
        statements += pg_sql.create_table(schema, pg_sql.PUBLISHED[key], frame)
    statements += pg_sql.views(schema)
    statements += pg_sql.marker_table(schema, __version__)
    return pg_sql.script(statements)


def write_workspace(db: Database, schema: str, tables: dict, keep_log=True, families=None) -> None:
    """Write a workspace's frames into ``schema`` in one transaction, with its public-safe
    published tables and views (see :func:`published_frames`)."""
    db.check_postgis()
    check_schema(db, schema)
    check_owner(db, schema)
    published = published_frames(tables, families)
    db.sql(workspace_script(schema, tables, published, keep_log))


def published_frames(tables: dict, families=None) -> dict:
    """What the public atlas would show of the workspace (``layers.atlas.publish``, public
    mode, every status): the only data the views give out."""
    import pandas as pd

    from ..core.report_words import read_naf_divisions
    from ..core.workspace import STATUSES
    from .atlas import NAF_DIVISIONS, REFERENCE_COMMUNES, AtlasInputs, AtlasOptions, publish
    from .atlas_text import ReportText

    supply, need = tables.get("supply"), tables.get("need")
    if supply is None or need is None:
        return {}
    inputs = AtlasInputs(
        supply=supply, need=need, candidates=tables.get("candidates"),
        groups=tables.get("groups"), communes=tables.get("territory"),
        actors=tables.get("actors"), families=families,
        reference=pd.read_csv(REFERENCE_COMMUNES, dtype=str),
        naf_divisions=read_naf_divisions(NAF_DIVISIONS),
    )  # fmt: skip
    options = AtlasOptions(pdf=Path("unused.pdf"), public=True, statuses=STATUSES)
    out = publish(inputs, options, ReportText("fr"))
    return {"flows": out.flows, "candidates": out.candidates, "groups": out.groups}


def read_workspace(db: Database, schema: str, roles=None) -> dict:
    """The workspace frames of ``schema`` by role (what exists of them)."""
    relations = set(db.relations(schema)) if pg_sql.valid_name(schema) else set()
    frames = {}
    for role in roles or LAYERS:
        table = LAYERS[role]
        if table not in relations:
            continue
        layer = db.layer(schema, table)
        if layer is None:
            continue
        frame = source_to_frame(layer)
        if role == "decisions" and "fid" in frame.columns:
            frame = frame.sort_values("fid", kind="stable")
        frames[role] = frame.drop(columns="fid", errors="ignore").reset_index(drop=True)
    return frames


def grant_access(db: Database, schema: str, role: str, access: int) -> None:
    """Grant ``role`` the team's (0) or the region's (1) access to ``schema``."""
    if access not in (0, 1):
        raise EitError("pg_bad_access", f"ACCESS must be 0 or 1, not {access}", value=access)
    relations = check_schema(db, schema)
    if pg_sql.MARKER not in relations:
        raise EitError("pg_no_workspace", f"{schema} holds no EIT workspace", schema=schema)
    if not db.scalar(f"SELECT count(*) FROM pg_roles WHERE rolname = {pg_sql.literal(role)}"):  # nosec B608
        raise EitError("pg_no_role", f"Role {role} does not exist", role=role)
    check_owner(db, schema)
    db.sql(pg_sql.script(pg_sql.grant_statements(schema, role, access)))


def readable_workspaces(db: Database) -> list[str]:
    """Schemas whose ``v_familles`` view the connected role may read."""
    rows = db.sql(
        "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = 'v_familles' AND c.relkind = 'v' "
        "AND has_schema_privilege(n.nspname, 'USAGE') "
        "AND has_table_privilege(c.oid, 'SELECT') ORDER BY 1"
    )
    return [str(r[0]) for r in rows]


REGIONAL_COLUMNS = (
    "territory", "family", "actors", "supply_flows", "need_flows", "candidates", "retained",
    "to_explore", "rejected", "decisions",
)  # fmt: skip


def regional_summary(db: Database):
    """Actors, flows, candidates and decisions by territory and family, across the schemas
    the connected role may read (their views only)."""
    import pandas as pd

    schemas = readable_workspaces(db)
    if not schemas:
        return pd.DataFrame(columns=list(REGIONAL_COLUMNS))
    from .frames import _python_value

    rows = db.sql(pg_sql.regional_query(schemas))
    values = [[_python_value(v) for v in row] for row in rows]
    frame = pd.DataFrame(values, columns=list(REGIONAL_COLUMNS))
    for column in REGIONAL_COLUMNS[2:]:
        frame[column] = pd.to_numeric(frame[column]).fillna(0).astype(int)
    frame["family"] = frame["family"].map(lambda v: None if v is None else str(v))
    return frame
