"""The workshop dock's one interface to a workspace, in a GeoPackage or a PostgreSQL schema.

Both stores read the tables as QGIS layers (unfiltered: the project's layers carry the dock's
filters), write flows and actors through the provider, rewrite the candidates table in one
transaction after a search, and hand the decisions to a :class:`layers.decision_store`
store (status and log row in one transaction; the log polled by id to see the other
people's decisions). :class:`GpkgWorkspace` is ``eit.gpkg``
(:class:`layers.workspace.WorkspaceStore`); :class:`PgWorkspace` a territory's schema,
through QGIS's PostgreSQL provider.
"""

from __future__ import annotations

from qgis.core import QgsDataSourceUri, QgsVectorLayer

from ..core.workspace import LAYERS
from . import pg_sql
from .decision_store import DecisionStore, GpkgDecisionStore, PgDecisionStore
from .workspace import WorkspaceStore
from .workspace import load_workspace as load_gpkg_workspace

#: the start of a PostgreSQL workspace's key (``postgres:<schema>``, no credentials)
PG_PREFIX = "postgres:"


class GpkgWorkspace(WorkspaceStore):
    """``eit.gpkg``: the WAL keeper, tables as OGR layers, decisions through SQLite."""

    kind = "gpkg"
    #: the whole candidates table may be written by a thread of its own (``ui.tasks``)
    background_writes = True

    def __init__(self, gpkg):
        super().__init__(gpkg)
        self.key = self.path  # the layers' SOURCE_PROPERTY
        self.label = self.path
        self._decisions: DecisionStore | None = None

    @property
    def decisions(self) -> DecisionStore:
        if self._decisions is None:
            self._decisions = GpkgDecisionStore(self.path)
        return self._decisions

    def load_layers(self, project, families_frame) -> dict:
        return load_gpkg_workspace(project, self.path, families_frame)

    def close(self) -> None:
        if self._decisions is not None:
            self._decisions.close()
            self._decisions = None
        super().close()


class PgWorkspace(WorkspaceStore):
    """A territory's schema (``eit:runpipeline`` with ``DATABASE`` and ``SCHEMA``)."""

    kind = "postgres"
    background_writes = False  # one SQL call rewrites the table (one transaction)

    def __init__(self, database, schema: str):
        from .postgres import Database

        self.db = database if isinstance(database, Database) else Database(database)
        self.schema = schema
        self.key = PG_PREFIX + schema
        self.label = f"{self.db.label} · {schema}"
        self.path = self.label  # what messages name
        self._layers: dict[str, QgsVectorLayer] = {}
        self._keeper = None
        self._relations: list[str] | None = None
        self._decisions: DecisionStore | None = None

    def tables(self) -> list[str]:
        if self._relations is None:
            self._relations = (
                self.db.relations(self.schema) if pg_sql.valid_name(self.schema) else []
            )
        return self._relations

    @property
    def decisions(self) -> DecisionStore:
        if self._decisions is None:
            self._decisions = PgDecisionStore(self.db, self.schema)
        return self._decisions

    def layer(self, role: str) -> QgsVectorLayer | None:
        layer = self._layers.get(role)
        if layer is None:
            if LAYERS[role] not in self.tables():
                return None
            layer = self.db.layer(self.schema, LAYERS[role])
            if layer is None:
                return None
            self._layers[role] = layer
        return layer

    def replace_rows(self, role: str, frame, is_canceled=None) -> int:
        """Every row of the table replaced by the rows of ``frame`` in one transaction
        (columns the table lacks are left out)."""
        layer = self.layer(role)
        if layer is None:
            raise OSError(f"no table {LAYERS[role]} in {self.label}")
        columns = layer.fields().names()
        srid = layer.crs().postgisSrid() if layer.isSpatial() else None
        statements = pg_sql.replace_rows(self.schema, LAYERS[role], frame, columns, srid)
        self.db.sql(pg_sql.script(statements))
        return len(frame)

    def load_layers(self, project, families_frame) -> dict:
        return load_pg_layers(project, self, families_frame)

    def close(self) -> None:
        self._decisions = None  # nothing held: the provider keeps its own connections
        self._layers.clear()


def _same_database(uri: QgsDataSourceUri, other: QgsDataSourceUri) -> bool:
    return (uri.host(), uri.port() or "5432", uri.database(), uri.service()) == (
        other.host(), other.port() or "5432", other.database(), other.service(),
    )  # fmt: skip


def pg_layers_of(project, schema: str, database=None) -> dict[str, QgsVectorLayer]:
    """role -> layer of ``project`` reading the workspace tables of ``schema`` (in
    ``database``, a :class:`layers.postgres.Database`, when given)."""
    tables = {table: role for role, table in LAYERS.items()}
    found = {}
    for layer in project.mapLayers().values():
        if not isinstance(layer, QgsVectorLayer) or layer.providerType() != "postgres":
            continue
        uri = QgsDataSourceUri(layer.source())
        if uri.schema() != schema or uri.table() not in tables:
            continue
        if database is not None and not _same_database(uri, database.uri):
            continue
        found.setdefault(tables[uri.table()], layer)
    return found


def project_pg_workspace(project) -> tuple[str, str] | None:
    """``(data source, schema)`` of the PostgreSQL workspace whose candidates the project's
    layers read (a project ``eit:runpipeline`` wrote with ``DATABASE``), else None."""
    for layer in project.mapLayers().values():
        if not isinstance(layer, QgsVectorLayer) or layer.providerType() != "postgres":
            continue
        uri = QgsDataSourceUri(layer.source())
        if uri.table() == LAYERS["candidates"] and uri.schema():
            return layer.source(), uri.schema()
    return None


def load_pg_layers(project, store: PgWorkspace, families_frame) -> dict[str, QgsVectorLayer]:
    """The schema's map layers in ``project`` (those not loaded yet added in one group, as
    :func:`layers.workspace.load_workspace` does for a GeoPackage). Returns role -> layer."""
    from .project import layer_names
    from .workspace import add_workshop_layers

    tables = set(store.tables())

    def make_layer(role):
        if LAYERS[role] not in tables:
            return None
        return store.db.layer(store.schema, LAYERS[role], layer_names()[role])

    layers = pg_layers_of(project, store.schema, store.db)
    return add_workshop_layers(project, layers, make_layer, families_frame, store.key)


def open_store(workspace: str, schema: str | None = None) -> WorkspaceStore:
    """The store of a workspace: a GeoPackage path, or a database (libpq URI, QGIS
    connection name or QGIS data source) with its ``schema``."""
    if schema:
        return PgWorkspace(workspace, schema)
    return GpkgWorkspace(workspace)


def pg_workspaces(db) -> list[str]:
    """Schemas of ``db`` (a :class:`layers.postgres.Database`) holding an EIT workspace whose
    candidates the connected role may read."""
    rows = db.sql(
        "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "  # nosec B608
        f"WHERE c.relname = {pg_sql.literal(LAYERS['candidates'])} AND c.relkind = 'r' "
        "AND has_schema_privilege(n.nspname, 'USAGE') "
        "AND has_table_privilege(c.oid, 'SELECT') "
        f"AND EXISTS (SELECT 1 FROM pg_class m WHERE m.relnamespace = n.oid "
        f"AND m.relname = {pg_sql.literal(pg_sql.MARKER)}) ORDER BY 1"
    )
    return [str(r[0]) for r in rows]
