"""Replace every row of a GeoPackage table at once, straight through SQLite.

The workshop dock rewrites its candidates table after each search (tens of thousands of
rows on a large territory). Through the QGIS provider that costs a ``QgsFeature`` per row
and a truncate that walks the spatial index row by row: about 1.7 s for 20,000 rows. Here
the rows go in one ``executemany`` inside one transaction, with the geometry encoded as
GeoPackage binary by shapely: a crash leaves the table as it was before (SQLite rolls the
transaction back), never half written.

The GeoPackage's R-tree triggers call ``ST_IsEmpty``/``ST_MinX``... that only GDAL and
SpatiaLite define; this module registers them on its own connection, reading the envelope
that every blob it writes carries in its header.

No Qt here: the module is used from the dock and tested without QGIS.
"""

from __future__ import annotations

import itertools
import math
import sqlite3
import struct
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from ..core.errors import Canceled

#: GeoPackage binary header: magic, version 0, flags (little endian, envelope [minx, maxx,
#: miny, maxy]), then srs_id and the envelope
_HEADER = struct.Struct("<2sBBi4d")
_EMPTY_HEADER = struct.Struct("<2sBBi")
_FLAGS_ENVELOPE_XY = 0b0000_0011
_HEADER_DTYPE = np.dtype(
    [("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4"),
     ("envelope", "<f8", (4,))]
)  # fmt: skip
_FLAG_EMPTY = 0b0001_0000


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def geometry_blobs(geometries, srs_id: int) -> list[bytes | None]:
    """GeoPackage binary (header with envelope + little-endian WKB) of each geometry; the
    headers are made in one numpy array."""
    import shapely

    geometries = np.asarray(geometries, dtype=object)
    wkbs = shapely.to_wkb(geometries, output_dimension=2, byte_order=1).tolist()
    bounds = shapely.bounds(geometries)
    empty = shapely.is_empty(geometries) | shapely.is_missing(geometries)
    header = np.zeros(len(geometries), dtype=_HEADER_DTYPE)
    header["magic"] = b"GP"
    header["flags"] = _FLAGS_ENVELOPE_XY
    header["srs_id"] = srs_id
    header["envelope"] = bounds[:, [0, 2, 1, 3]]  # minx, maxx, miny, maxy
    raw = header.tobytes()
    size = _HEADER.size
    blobs: list[bytes | None] = [
        raw[i * size : (i + 1) * size] + wkb if wkb is not None else None
        for i, wkb in enumerate(wkbs)
    ]
    for i in np.flatnonzero(empty & ~shapely.is_missing(geometries)).tolist():
        blobs[i] = _EMPTY_HEADER.pack(b"GP", 0, _FLAG_EMPTY | 1, srs_id) + wkbs[i]
    return blobs


def _envelope(blob):
    """``(minx, maxx, miny, maxy)`` of a GeoPackage blob, or None (empty or unreadable)."""
    if blob is None or len(blob) < 8 or blob[:2] != b"GP":
        return None
    flags = blob[3]
    if flags & _FLAG_EMPTY:
        return None
    order = "<" if flags & 1 else ">"
    kind = (flags >> 1) & 0b111
    if kind >= 1:
        return struct.unpack_from(order + "4d", blob, 8)
    # no envelope in the header: read the WKB
    import shapely

    geometry = shapely.from_wkb(bytes(blob[8:]))
    if geometry is None or geometry.is_empty:
        return None
    minx, miny, maxx, maxy = geometry.bounds
    return minx, maxx, miny, maxy


def _register_functions(connection: sqlite3.Connection) -> None:
    """The spatial functions the GeoPackage R-tree triggers call."""

    def part(index):
        def function(blob):
            envelope = _envelope(blob)
            return None if envelope is None else envelope[index]

        return function

    connection.create_function("ST_IsEmpty", 1, lambda b: int(_envelope(b) is None),
                               deterministic=True)  # fmt: skip
    for index, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        connection.create_function(name, 1, part(index), deterministic=True)


def _is_null(value) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


def _convert(value, declared: str):
    if _is_null(value):
        return None
    if declared in _INTEGER_TYPES or declared == "BOOLEAN":
        return int(value)
    if declared in _REAL_TYPES:
        return float(value)
    if declared in ("DATETIME", "DATE"):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(x) for x in value)
    return str(value)


_REAL_TYPES = ("REAL", "FLOAT", "DOUBLE")
_INTEGER_TYPES = ("INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT")


def column_values(series: pd.Series, declared: str) -> list:
    """Python values of a column for SQLite type ``declared``. SQLite stores a NaN as NULL, so
    numbers and plain text go as they are; anything else is converted value by value."""
    declared = (declared or "TEXT").upper()
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if declared in _REAL_TYPES and kind in ("floating", "integer", "mixed-integer-float",
                                            "empty"):  # fmt: skip
        return series.to_numpy(dtype=float).tolist()
    if declared in _INTEGER_TYPES and kind == "integer" and series.dtype != object:
        return series.to_numpy().tolist()
    if declared == "BOOLEAN" and series.dtype == bool:
        return series.to_numpy().astype(np.int8).tolist()
    if declared not in _REAL_TYPES + _INTEGER_TYPES + ("BOOLEAN", "DATETIME", "DATE") and (
        kind in ("string", "empty")
    ):
        if series.dtype == object:  # NaN and None both go in as NULL
            return series.to_numpy(dtype=object).tolist()
        return series.to_numpy(dtype=object, na_value=None).tolist()  # pd.NA is no SQLite value
    return [_convert(v, declared) for v in series.to_numpy(dtype=object).tolist()]


#: page cache of a rewrite (KiB)
CACHE_KIB = 512 * 1024
#: rows per ``executemany``: between two, a cancel request is honoured (rollback)
CHUNK = 5000
#: SQLite steps between two questions "canceled?" inside a statement
PROGRESS_STEPS = 2000


def replace_rows(
    path, table: str, frame, timeout_s: float = 30.0, is_canceled=None, *, wal: bool = True
) -> int:
    """Replace every row of ``table`` in the GeoPackage ``path`` by the rows of ``frame``, in
    one transaction; columns the table lacks are left out, columns the frame lacks are null.
    Returns the number of rows written. Raises ``sqlite3.Error`` (nothing changed) when the
    file cannot be written, ``core.errors.Canceled`` (nothing changed) when ``is_canceled()`` became
    true on the way.

    Row by row, the table's triggers (spatial index, GDAL's feature count) would cost more
    than the rows themselves: inside the transaction they are dropped, the table and its
    R-tree emptied and filled in bulk (fids 1..n, envelopes from shapely), the feature count
    set, and the triggers made again from their own SQL.

    ``wal``: turn the file to WAL mode first, as QGIS does when it edits (the dock); False
    keeps the file's mode and a fully synced commit (a file written once, then moved).
    """
    return Replacement(path, table, timeout_s, wal=wal).fill(frame, is_canceled)


class Replacement:
    """The rows of ``table`` deleted in a transaction left open (:func:`replace_rows` in two
    steps): :meth:`fill` writes the new rows and commits, :meth:`rollback` gives up (the table
    as it was). The workshop dock empties its candidates table while the search runs, in a
    thread of its own, and fills it when the search ends. Until then, readers (the map, in
    WAL mode) see the old rows and other writers wait (``timeout_s``).

    Made in one thread, it may be filled or rolled back in another (one at a time).
    """

    def __init__(self, path, table: str, timeout_s: float = 30.0, *, wal: bool = True):
        self.table = table
        self.path = str(path)
        self.connection = sqlite3.connect(
            self.path, timeout=timeout_s, isolation_level=None, check_same_thread=False
        )
        try:
            self._begin(wal)
            try:
                self.schema = _clear(self.connection, table)
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
        except BaseException:
            self.connection.close()
            self.connection = None
            raise

    def _begin(self, wal: bool) -> None:
        connection = self.connection
        _register_functions(connection)
        try:  # as QGIS does when it edits a GeoPackage: readers (the map) never wait
            wal = wal and connection.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
        except sqlite3.OperationalError:
            wal = False  # another connection holds a lock: keep the file's mode
        if wal:
            # no flush to disk at each commit: in WAL mode the file cannot be corrupted
            # this way, at worst a power cut loses these rows (derived data, searched
            # again), and the next commit of QGIS (a decision, written as fully synced as
            # ever by QGIS's own connection) flushes them too
            connection.execute("PRAGMA synchronous = NORMAL")
        # room for the transaction's pages (up to 512 MiB, taken as needed): past SQLite's
        # 2 MiB default, every spill of pages to the file waits for a flush of the journal
        connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        # Debian builds SQLite with secure_delete on: emptying the old table would write
        # every freed page as zeros (0.8 s for 160,000 candidates, in the map's path). FAST
        # still zeroes the freed rows inside the pages it writes anyway, and leaves whole
        # freed pages as they are (the file already holds the same data in its tables)
        connection.execute("PRAGMA secure_delete = FAST")
        connection.execute("BEGIN IMMEDIATE")

    @property
    def open(self) -> bool:
        return self.connection is not None

    def fill(self, frame, is_canceled=None) -> int:
        """Write the rows of ``frame`` and commit; returns their number. On any error, the
        transaction is rolled back and the error raised; ``Canceled`` when ``is_canceled()``
        (asked between chunks of rows and inside SQLite's statements, from whatever thread
        sets it) became true."""
        if self.connection is None:
            raise sqlite3.OperationalError(f"the replacement of {self.table} is closed")
        canceled = is_canceled or (lambda: False)
        # asked inside SQLite too, every PROGRESS_STEPS steps of a statement: a cancel stops
        # a long executemany at once, not at the end of its chunk
        self.connection.set_progress_handler(lambda: 1 if canceled() else 0, PROGRESS_STEPS)
        try:
            n = _fill(self.connection, self.table, self.schema, frame, canceled)
            self.connection.execute("COMMIT")
        except BaseException as error:
            self.rollback()
            if isinstance(error, sqlite3.OperationalError) and canceled():
                raise Canceled(self.table) from error  # the statement stopped by the cancel
            raise
        self._close()
        return n

    def rollback(self) -> None:
        """Give up: the table as it was (nothing when already closed)."""
        if self.connection is None:
            return
        try:
            self.connection.execute("ROLLBACK")
        except sqlite3.OperationalError:
            pass  # a statement stopped by the cancel has rolled the transaction back
        finally:
            self._close()

    def _close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.close()


def _clear(connection, table: str) -> dict:
    """Inside the open transaction: the table's triggers dropped, its rows deleted, its
    R-tree made again empty. Returns what :func:`_fill` needs of the table's schema."""
    columns = connection.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    if not columns:
        raise sqlite3.OperationalError(f"no table {table}")
    geometry_row = connection.execute(
        "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
    ).fetchone()
    geometry_column, srs_id = geometry_row if geometry_row else (None, 0)
    triggers = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
        "AND sql IS NOT NULL",
        (table,),
    ).fetchall()
    for name, _sql in triggers:
        connection.execute(f"DROP TRIGGER {_quote(name)}")
    # identifiers cannot be bound as parameters: they are quoted (_quote), and come from the
    # GeoPackage's own schema; every value below is bound
    connection.execute(f"DELETE FROM {_quote(table)}")  # nosec B608
    rtree = f"rtree_{table}_{geometry_column}" if geometry_column else None
    has_rtree = bool(
        rtree is not None
        and connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (rtree,)
        ).fetchone()
    )
    if has_rtree:  # emptied row by row, an R-tree is slow: made again, empty
        rtree_sql = connection.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (rtree,)
        ).fetchone()[0]
        connection.execute(f"DROP TABLE {_quote(rtree)}")
        connection.execute(rtree_sql)
    return {
        "columns": columns, "geometry_column": geometry_column, "srs_id": srs_id,
        "triggers": triggers, "rtree": rtree if has_rtree else None,
    }  # fmt: skip


def _fill(connection, table: str, schema: dict, frame, is_canceled) -> int:
    """Inside the open transaction :func:`_clear` began: the rows of ``frame`` written, the
    R-tree filled, the feature count and extent set, the triggers made again."""
    columns, geometry_column = schema["columns"], schema["geometry_column"]
    srs_id, rtree = schema["srs_id"], schema["rtree"]
    geometry = None  # object array of shapely geometries, in the table's CRS
    if geometry_column and "geometry" in frame.columns:
        series = frame["geometry"]
        if getattr(frame, "crs", None) is not None and srs_id:
            epsg = frame.crs.to_epsg()
            if epsg is not None and epsg != srs_id:
                series = frame.geometry.to_crs(epsg=srs_id)
        geometry = np.asarray(series.to_numpy(), dtype=object)
    n = len(frame)
    pk_name = next((c[1] for c in columns if c[5]), None)
    names = [pk_name] if pk_name else []
    values = [list(range(1, n + 1))] if pk_name else []
    blobs = None
    for _cid, name, declared, _notnull, _default, pk in columns:
        if pk:
            continue
        if name == geometry_column:
            if geometry is None:
                continue
            blobs = geometry_blobs(geometry, srs_id)
            names.append(name)
            values.append(blobs)
        elif name in frame.columns:
            names.append(name)
            values.append(column_values(frame[name], declared))
    if n:
        insert = (f"INSERT INTO {_quote(table)} ({', '.join(_quote(c) for c in names)}) "  # nosec B608
                  f"VALUES ({', '.join('?' for _ in names)})")  # fmt: skip
        rows = zip(*values, strict=True)
        for _start in range(0, n, CHUNK):
            if is_canceled():
                raise Canceled(table)
            connection.executemany(insert, itertools.islice(rows, CHUNK))
        if rtree is not None and blobs is not None and pk_name:
            import shapely

            bounds = shapely.bounds(geometry)
            keep = ~(shapely.is_empty(geometry) | shapely.is_missing(geometry))
            fids = np.arange(1, n + 1)[keep]
            minx, miny, maxx, maxy = (bounds[keep, i].tolist() for i in range(4))
            entries = zip(fids.tolist(), minx, maxx, miny, maxy, strict=True)
            for _start in range(0, len(fids), CHUNK):
                if is_canceled():
                    raise Canceled(table)
                connection.executemany(
                    f"INSERT INTO {_quote(rtree)} VALUES (?, ?, ?, ?, ?)",  # nosec B608
                    itertools.islice(entries, CHUNK),
                )
    if connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_ogr_contents'"
    ).fetchone():
        connection.execute(
            "UPDATE gpkg_ogr_contents SET feature_count = ? WHERE lower(table_name) = lower(?)",
            (n, table),
        )
    if is_canceled():
        raise Canceled(table)
    for _name, sql in schema["triggers"]:
        connection.execute(sql)
    _update_contents(connection, table, geometry)
    return n


def _update_contents(connection, table: str, geometry) -> None:
    """The table's extent and last change in ``gpkg_contents`` (what GDAL reads for the layer
    extent)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    bounds = None
    if geometry is not None and len(geometry):
        import shapely

        total = shapely.total_bounds(geometry)
        if np.isfinite(total).all():
            bounds = tuple(float(v) for v in total)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        connection.execute(
            "UPDATE gpkg_contents SET last_change = ?, min_x = ?, min_y = ?, max_x = ?, "
            "max_y = ? WHERE table_name = ?",
            (stamp, minx, miny, maxx, maxy, table),
        )
    else:
        connection.execute(
            "UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (stamp, table)
        )
