"""Where the workshop's decisions go: one interface, a GeoPackage and a PostgreSQL store.

A decision sets a candidate's ``status`` and ``notes`` in the candidates table and appends a
row to the ``decisions`` log (with the values it replaced), both in one transaction: two
people deciding at once on the same workspace lose nothing, each decision sees the one
before it (the log's ``previous_status`` chain is unbroken). The log's ``fid`` is its id:
:meth:`DecisionStore.since` returns what was decided after a given id, which a dock polls to
show the other people's decisions within seconds.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from datetime import UTC, datetime

import pandas as pd

from ..core.errors import EitError
from ..core.workspace import LAYERS, STATUSES
from . import pg_sql

LOG_COLUMNS = (
    "log_id", "candidate_id", "status", "notes", "timestamp", "action", "previous_status",
    "previous_notes", "author",
)  # fmt: skip
_NEW_COLUMNS = ("timestamp", "action", "previous_status", "previous_notes", "author")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise EitError("bad_status", f"Unknown status {status}", value=status)


class DecisionStore(ABC):
    """The decisions of one workspace (a GeoPackage, or a PostgreSQL schema)."""

    @abstractmethod
    def decide(self, candidate_id: str, status: str, notes: str = "", author: str = "",
               action: str = "set") -> int:  # fmt: skip
        """Set the candidate's status and notes and log it, in one transaction; the log id.
        ``KeyError`` when the candidate does not exist."""

    @abstractmethod
    def since(self, log_id: int = 0) -> pd.DataFrame:
        """The log rows written after ``log_id`` (columns :data:`LOG_COLUMNS`), oldest first."""

    @abstractmethod
    def state(self, candidate_id: str) -> tuple:
        """``(status, notes)`` of a candidate now."""

    @abstractmethod
    def log(self, candidate_id: str, status: str, notes: str = "", author: str = "",
            action: str = "set") -> int:  # fmt: skip
        """Append a decision on a candidate the table does not hold (the next search
        carries it); the log id."""

    @abstractmethod
    def restate(self, candidate_id: str, status: str, notes) -> bool:
        """Set the candidate's status and notes to what the log says (no log row: the row
        was rewritten by a search that did not know the decision yet); False when the
        candidate does not exist."""

    def entry(self, log_id: int) -> dict:
        """The log row ``log_id`` (column -> value), empty when there is none."""
        rows = self.since(int(log_id) - 1)
        rows = rows[rows["log_id"].astype(int) == int(log_id)]
        return {} if not len(rows) else rows.iloc[0].to_dict()

    def close(self) -> None:  # noqa: B027 - optional
        pass


class GpkgDecisionStore(DecisionStore):
    """Decisions in ``eit.gpkg``, through SQLite (``BEGIN IMMEDIATE``: writers queue)."""

    def __init__(self, path, timeout: float = 30.0):
        self.path = str(path)
        self.db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                  check_same_thread=False)  # fmt: skip
        from .gpkg_rows import _register_functions

        _register_functions(self.db)  # the R-tree triggers call ST_IsEmpty, ST_MinX...
        self.candidates = pg_sql.ident(LAYERS["candidates"])
        self.log_table = pg_sql.ident(LAYERS["decisions"])
        self._ensure_log()

    def _ensure_log(self) -> None:
        columns = [r[1] for r in self.db.execute(f"PRAGMA table_info({self.log_table})")]
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if not columns:
                definitions = ", ".join(f'"{c}" TEXT' for c in pg_sql.DECISION_COLUMNS)
                self.db.execute(
                    f"CREATE TABLE {self.log_table} (fid INTEGER PRIMARY KEY AUTOINCREMENT, "
                    f"{definitions})"
                )
                self.db.execute(
                    "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) "
                    "VALUES (?, 'attributes', ?)",
                    (LAYERS["decisions"], LAYERS["decisions"]),
                )
            else:  # a log written by an earlier version: add the columns it lacks
                for column in _NEW_COLUMNS:
                    if column not in columns:
                        self.db.execute(f'ALTER TABLE {self.log_table} ADD COLUMN "{column}" TEXT')
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def decide(self, candidate_id, status, notes="", author="", action="set") -> int:
        _check_status(status)
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute(
                f"SELECT status, notes FROM {self.candidates} WHERE candidate_id = ? LIMIT 1",  # nosec B608
                (candidate_id,),
            ).fetchone()
            if row is None:
                raise KeyError(candidate_id)
            db.execute(
                f"UPDATE {self.candidates} SET status = ?, notes = ? WHERE candidate_id = ?",  # nosec B608
                (status, notes or None, candidate_id),
            )
            cursor = db.execute(
                f"INSERT INTO {self.log_table} (candidate_id, status, notes, timestamp, action, "  # nosec B608
                "previous_status, previous_notes, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (candidate_id, status, notes or None, _now(), action, row[0], row[1],
                 author or None),
            )  # fmt: skip
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return int(cursor.lastrowid)

    def since(self, log_id=0) -> pd.DataFrame:
        names = ", ".join(f'"{c}"' for c in LOG_COLUMNS[1:])
        query = f"SELECT fid, {names} FROM {self.log_table} WHERE fid > ? ORDER BY fid"  # nosec B608
        rows = self.db.execute(query, (int(log_id),)).fetchall()
        return pd.DataFrame(rows, columns=list(LOG_COLUMNS))

    def state(self, candidate_id) -> tuple:
        row = self.db.execute(
            f"SELECT status, notes FROM {self.candidates} WHERE candidate_id = ? LIMIT 1",  # nosec B608
            (candidate_id,),
        ).fetchone()
        if row is None:
            raise KeyError(candidate_id)
        return row[0], row[1]

    def log(self, candidate_id, status, notes="", author="", action="set") -> int:
        _check_status(status)
        cursor = self.db.execute(
            f"INSERT INTO {self.log_table} (candidate_id, status, notes, timestamp, action, "  # nosec B608
            "author) VALUES (?, ?, ?, ?, ?, ?)",
            (candidate_id, status, notes or None, _now(), action, author or None),
        )
        return int(cursor.lastrowid)

    def restate(self, candidate_id, status, notes) -> bool:
        _check_status(status)
        cursor = self.db.execute(
            f"UPDATE {self.candidates} SET status = ?, notes = ? WHERE candidate_id = ?",  # nosec B608
            (status, notes or None, candidate_id),
        )
        return cursor.rowcount > 0

    def close(self) -> None:
        self.db.close()


class PgDecisionStore(DecisionStore):
    """Decisions in a territory's PostgreSQL schema (one statement: the candidate's row is
    locked, its old values logged and its new ones written together)."""

    def __init__(self, db, schema: str):
        self.db, self.schema = db, schema
        s = pg_sql.ident(schema)
        self.candidates = f"{s}.{pg_sql.ident(LAYERS['candidates'])}"
        self.log_table = f"{s}.{pg_sql.ident(LAYERS['decisions'])}"

    def decide(self, candidate_id, status, notes="", author="", action="set") -> int:
        _check_status(status)
        lit = pg_sql.literal
        cid, note = lit(candidate_id), lit(notes or None)
        rows = self.db.sql(
            f"WITH old AS (SELECT status, notes FROM {self.candidates} WHERE candidate_id = "  # nosec B608
            f"{cid} LIMIT 1 FOR UPDATE), "
            f"upd AS (UPDATE {self.candidates} SET status = {lit(status)}, notes = {note} "
            f"WHERE candidate_id = {cid} AND EXISTS (SELECT 1 FROM old) RETURNING 1) "
            f"INSERT INTO {self.log_table} (candidate_id, status, notes, timestamp, action, "
            "previous_status, previous_notes, author) "
            f"SELECT {cid}, {lit(status)}, {note}, {lit(_now())}, {lit(action)}, old.status, "
            f"old.notes, {lit(author or None)} FROM old RETURNING fid"
        )
        if not rows:
            raise KeyError(candidate_id)
        return int(rows[0][0])

    def since(self, log_id=0) -> pd.DataFrame:
        from .frames import _python_value

        names = ", ".join(pg_sql.ident(c) for c in LOG_COLUMNS[1:])
        rows = self.db.sql(
            f"SELECT fid, {names} FROM {self.log_table} WHERE fid > {int(log_id)} ORDER BY fid"  # nosec B608
        )
        values = [[_python_value(v) for v in row] for row in rows]
        return pd.DataFrame(values, columns=list(LOG_COLUMNS))

    def state(self, candidate_id) -> tuple:
        from .frames import _python_value

        rows = self.db.sql(
            f"SELECT status, notes FROM {self.candidates} WHERE candidate_id = "  # nosec B608
            f"{pg_sql.literal(candidate_id)} LIMIT 1"
        )
        if not rows:
            raise KeyError(candidate_id)
        return _python_value(rows[0][0]), _python_value(rows[0][1])

    def log(self, candidate_id, status, notes="", author="", action="set") -> int:
        _check_status(status)
        lit = pg_sql.literal
        rows = self.db.sql(
            f"INSERT INTO {self.log_table} (candidate_id, status, notes, timestamp, action, "  # nosec B608
            f"author) VALUES ({lit(candidate_id)}, {lit(status)}, {lit(notes or None)}, "
            f"{lit(_now())}, {lit(action)}, {lit(author or None)}) RETURNING fid"
        )
        return int(rows[0][0])

    def restate(self, candidate_id, status, notes) -> bool:
        _check_status(status)
        lit = pg_sql.literal
        rows = self.db.sql(
            f"UPDATE {self.candidates} SET status = {lit(status)}, notes = {lit(notes or None)} "  # nosec B608
            f"WHERE candidate_id = {lit(candidate_id)} RETURNING 1"
        )
        return bool(rows)


def open_store(workspace: str, schema: str | None = None) -> DecisionStore:
    """The store of a workspace: a GeoPackage path, or a database (libpq URI or QGIS
    connection name) with its ``schema``."""
    if schema:
        from .postgres import Database

        return PgDecisionStore(Database(workspace), schema)
    return GpkgDecisionStore(workspace)
