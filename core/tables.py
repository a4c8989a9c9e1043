"""Reading the user's tables: CSV, XLSX/ODS, GeoPackage or any OGR file, or a DataFrame.

:func:`read_table` returns the rows as the user wrote them (text files are read as strings),
plus a ``row`` column: the row number a spreadsheet shows (header = row 1, first data row = 2;
for an OGR layer, the feature id; for a DataFrame, its own ``row`` column when it has one).
Fully empty rows are skipped (they are not data).

:func:`load_table` also finds the columns the model needs (:data:`ACTOR_FIELDS`,
:data:`FLOW_FIELDS`) whatever their case, accents, spaces, underscores or hyphens, in French or
English, and adds them under their canonical name next to the untouched original columns.

:func:`to_number` and :func:`to_bool` convert text columns in vectorised steps (decimal comma,
spaces as thousands separators, ``oui``/``non``...).
"""

from __future__ import annotations

import codecs
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .csv_rows import MAX_CELL, MAX_COLUMNS, ReadRejects, cut, read_rows
from .errors import EitError
from .safe_files import check_package

#: canonical actor field -> accepted column names, preferred first
ACTOR_FIELDS: dict[str, tuple[str, ...]] = {
    "actor_id": ("id", "identifiant", "actor_id", "id_acteur", "identifiant_acteur", "code_acteur"),
    "name": ("nom", "name", "raison_sociale", "nom_acteur", "actor_name", "denomination"),
    "category": ("categorie", "category", "type", "type_acteur", "actor_category"),
    "siret": ("siret",),
    "naf": ("naf", "code_naf", "ape", "code_ape"),
    "address": ("adresse", "address"),
    "postcode": ("code_postal", "postcode", "cp", "postal_code", "zip", "zipcode"),
    "city": ("commune", "city", "ville", "nom_commune"),
    "insee": ("code_insee", "insee", "code_commune", "insee_code"),
    "longitude": ("longitude", "lon", "lng", "long", "x"),
    "latitude": ("latitude", "lat", "y"),
    "confidential": ("confidentiel", "confidential", "confidentialite", "confidentiality"),
}

#: canonical flow field -> accepted column names, preferred first
FLOW_FIELDS: dict[str, tuple[str, ...]] = {
    "flow_id": ("id", "identifiant", "flow_id", "id_flux", "identifiant_flux"),
    "actor_id": ("acteur", "actor_id", "actor", "id_acteur", "identifiant_acteur", "code_acteur"),
    "direction": ("sens", "direction", "sens_flux", "type_flux"),
    "resource": ("ressource", "resource", "code", "code_ressource", "resource_code"),
    "label": ("libelle", "label", "designation", "description"),
    "quantity": ("quantite", "quantity", "qte", "qty"),
    "unit": ("unite", "unit"),
    "year": ("annee", "year"),
    "months": ("mois", "months", "month", "periode", "period", "saison", "season"),
    "confidential": ("confidentiel", "confidential", "confidentialite", "confidentiality"),
    "comment": ("commentaire", "comment", "remarque", "notes", "note"),
    "origin": ("provenance", "origin", "origine", "lieu_origine"),
    "destination": ("destination", "exutoire", "lieu_destination"),
    "current_distance_km": (
        "distance_actuelle_km",
        "current_distance_km",
        "distance_actuelle",
        "current_distance",
    ),
}

ACTOR_REQUIRED = ("actor_id",)
FLOW_REQUIRED = ("actor_id", "direction", "resource")

#: the row-number column every table carries
ROW = "row"
#: ``attrs`` key of the rows set aside while reading (:class:`core.csv_rows.ReadRejects`)
READ_REJECTED = "read_rejected"

_TRUE = {"oui", "o", "yes", "y", "true", "vrai", "1", "x", "t", "v", "1.0"}
_FALSE = {"non", "n", "no", "false", "faux", "0", "f", "0.0", ""}
_EXCEL = {".xlsx", ".xlsm", ".xls"}
_ODS = {".ods"}
_TEXT = {".csv", ".txt", ".tsv", ".tab", ""}

#: sheet names looked for in a workbook when no sheet is given (else the first sheet is read)
SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "actors": ("acteurs", "actors", "acteur", "actor"),
    "flows": ("flux", "flows", "flow"),
}


def normalise_key(text) -> str:
    """``"Code_Postal "`` -> ``"codepostal"``: lower case, no accents, only letters and digits."""
    text = unicodedata.normalize("NFKD", str(text)).casefold()
    return "".join(ch for ch in text if ch.isalnum() and not unicodedata.combining(ch))


def _key_forms(name) -> list[str]:
    """Comparison forms of a column name: as is, then without a ``(...)`` or ``[...]`` part."""
    forms = [normalise_key(name)]
    stripped = re.sub(r"[(\[].*?[)\]]", " ", str(name))
    if stripped != str(name):
        forms.append(normalise_key(stripped))
    return [_singular(f) for f in forms if f]


def _singular(key: str) -> str:
    return key[:-1] if len(key) > 3 and key.endswith("s") else key


def source_name(source, name: str | None = None) -> str:
    """The file name shown to users for ``source``."""
    if name:
        return str(name)
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    if isinstance(source, pd.DataFrame):
        return str(source.attrs.get("source", "table"))
    return "table"


# --------------------------------------------------------------------------- reading


def read_table(
    source,
    *,
    layer=None,
    keep_geometry: bool = False,
    name: str | None = None,
    sheets: Sequence[str] = (),
) -> pd.DataFrame:
    """Read ``source`` (path or DataFrame) as it is, plus the ``row`` column.

    ``layer``: the sheet of a workbook (name, matched without regard to case, accents or
    spaces, or 0-based position) or the layer of a GeoPackage (default: the first).
    ``sheets``: with no ``layer``, the workbook's first sheet named one of these (compared
    the same way) is read instead of the first sheet.
    ``keep_geometry``: keep the geometry of a vector file (a GeoDataFrame is returned).
    Raises ``EitError`` ``empty_file``, ``bad_encoding``, ``bad_csv_row``, ``unreadable_file``,
    ``missing_layer`` (with ``layers``: the workbook's sheets).
    """
    file = source_name(source, name)
    if isinstance(source, pd.DataFrame):
        frame = _from_frame(source, keep_geometry)
    else:
        path = Path(source)
        if not path.exists():
            raise EitError("file_not_found", f"{file}: file not found", file=file, path=str(path))
        kind = _file_kind(path)
        if kind == "text":
            frame = _read_csv(path, file)
        elif kind == "excel":
            frame = _read_spreadsheet(path, file, layer, "openpyxl", sheets)
        elif kind == "ods":
            frame = _read_spreadsheet(path, file, layer, "odf", sheets)
        else:
            frame = _read_vector(path, file, layer, keep_geometry)
    if len(frame) == 0:
        raise EitError(
            "empty_file",
            f"{file}: no data rows",
            file=file,
            columns=[str(c) for c in frame.columns if c != ROW],
        )
    frame.attrs["source"] = file
    return frame


def _file_kind(path: Path) -> str:
    """'text', 'excel', 'ods' or 'vector', from the content first, then the extension."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    suffix = path.suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        if suffix in _ODS or b"opendocument.spreadsheet" in head:
            return "ods"
        if suffix in _EXCEL or suffix in _TEXT:
            return "excel"
        return "vector"  # zipped shapefile or similar: let OGR try
    if head.startswith(b"SQLite format 3"):
        return "vector"
    if suffix in _EXCEL:
        return "excel"
    if suffix in _ODS:
        return "ods"
    if suffix in _TEXT:
        return "text"
    return "vector"


def _from_frame(source: pd.DataFrame, keep_geometry: bool) -> pd.DataFrame:
    frame = source.copy(deep=False)
    geometry_name = getattr(source, "_geometry_column_name", None)
    if geometry_name is not None and geometry_name in frame.columns and not keep_geometry:
        frame = pd.DataFrame(frame.drop(columns=[geometry_name]))
    if ROW in frame.columns:
        rows = pd.to_numeric(frame[ROW], errors="coerce")
        if rows.notna().all():
            frame[ROW] = rows.astype("int64").to_numpy()
            return frame.reset_index(drop=True)
        frame = frame.rename(columns={ROW: "row_original"})
    frame = frame.reset_index(drop=True)
    frame[ROW] = np.arange(2, len(frame) + 2, dtype="int64")
    return frame


def detect_encoding(raw: bytes, file: str) -> str:
    """``utf-8-sig``, ``utf-16``, ``utf-8`` or ``cp1252`` (Windows Latin-1), else ``bad_encoding``.

    See :func:`choose_encoding`, which also tells a UTF-8 file with a few unreadable lines.
    """
    return choose_encoding(raw, file)[0]


def choose_encoding(raw: bytes, file: str) -> tuple[str, bool]:
    """``(encoding, damaged)``: ``utf-8-sig``, ``utf-16``, ``utf-8`` or ``cp1252``.

    UTF-8 is tried strictly first; cp1252 is the fallback (it reads any Latin-1 text) unless
    the file holds more valid UTF-8 accents than unreadable bytes: it is then a UTF-8 file
    with a few damaged lines (``damaged``: those rows are set aside while reading). A file
    with NUL bytes and no byte-order mark (UTF-16/32 without BOM, or a binary file) is
    refused, as is one that is neither (``bad_encoding``).
    """
    if raw.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", False
    else:
        encoding = "utf-8"
    if b"\x00" in raw:
        position = raw.index(b"\x00")
        raise EitError(
            "bad_encoding",
            f"{file}: NUL byte at byte {position}: not a text file, or UTF-16/UTF-32 without "
            "byte-order mark; save it as CSV UTF-8",
            file=file,
            tried=["utf-8", "cp1252"],
            position=position,
        )
    try:
        _check_decodes(raw, encoding)
        return encoding, False
    except UnicodeDecodeError as error:
        first = error
    if _mostly_utf8(raw):
        return encoding, True
    try:
        _check_decodes(raw, "cp1252")
        return "cp1252", False
    except UnicodeDecodeError:
        position = first.start
        raise EitError(
            "bad_encoding",
            f"{file}: byte 0x{raw[position]:02x} at byte {position} is neither UTF-8 nor "
            "Windows Latin-1 (cp1252); save the file as CSV UTF-8",
            file=file,
            tried=["utf-8", "cp1252"],
            position=position,
        ) from None


def _mostly_utf8(raw: bytes) -> bool:
    """More valid UTF-8 non-ASCII characters than unreadable sequences."""
    text = raw.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    return non_ascii - bad > bad


def _check_decodes(raw: bytes, encoding: str, chunk: int = 1 << 20) -> None:
    """Decode ``raw`` in chunks (so a large file is never held twice); raise on a bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    for start in range(0, len(raw), chunk):
        try:
            decoder.decode(raw[start : start + chunk], final=start + chunk >= len(raw))
        except UnicodeDecodeError as error:
            raise UnicodeDecodeError(
                error.encoding, raw, start + error.start, start + error.end, error.reason
            ) from None
    if not raw:
        decoder.decode(b"", final=True)


def sniff_delimiter(header: str) -> str:
    """The delimiter of a CSV header line: the most frequent of ``; , tab |`` outside quotes."""
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {sep: unquoted.count(sep) for sep in (";", "\t", ",", "|")}
    best = max(counts, key=lambda sep: counts[sep])  # ties: first in the order above
    return best if counts[best] else ","


def _read_csv(path: Path, file: str) -> pd.DataFrame:
    raw = path.read_bytes()
    encoding, damaged = choose_encoding(raw, file)
    if encoding == "utf-16":
        try:
            raw = raw.decode("utf-16").encode("utf-8")
        except UnicodeError as error:
            raise EitError(
                "bad_encoding", f"{file}: not UTF-16 text ({error})", file=file, tried=["utf-16"]
            ) from None
        encoding = "utf-8"
    text_start = raw[:65536].decode(encoding, errors="replace").lstrip("\ufeff")
    stripped = text_start.lstrip("\r\n")
    if not stripped.strip():
        raise EitError("empty_file", f"{file}: the file is empty", file=file, columns=[])
    header = stripped.splitlines()[0]
    sep = sniff_delimiter(header)
    if header.count(sep) >= MAX_COLUMNS:
        raise EitError(
            "too_many_columns",
            f"{file}: more than {MAX_COLUMNS} columns",
            file=file,
            columns=header.count(sep) + 1,
            limit=MAX_COLUMNS,
        )
    found = cut(raw, sep, encoding, file, damaged)  # broken records cut out, vectorised
    if found is not None:
        try:
            frame = pd.read_csv(
                io.BytesIO(found.data),
                sep=sep,
                dtype=object,  # every value stays the text read (no inference; faster than str)
                encoding=encoding,
                encoding_errors="replace",  # a header with an unreadable byte
                skip_blank_lines=False,
                skiprows=found.head,
                keep_default_na=False,
                na_values=[""],
            )
        except pd.errors.EmptyDataError:
            raise EitError(
                "empty_file", f"{file}: the file is empty", file=file, columns=[]
            ) from None
        except pd.errors.ParserError:
            frame = None  # records the scan did not foresee: read row by row below
        rows = found.rows
        if rows is None and frame is not None:
            rows = np.arange(found.head + 2, len(frame) + found.head + 2, dtype="int64")
        if frame is not None and len(rows) == len(frame):
            del raw, found.data
            frame[ROW] = rows
            frame = _drop_blank_rows(frame)
            if len(found.rejects):
                frame.attrs[READ_REJECTED] = found.rejects
            return frame
    text = raw.decode(encoding, errors="surrogateescape")
    del raw
    frame, rows, rejects = read_rows(text.lstrip("\ufeff"), sep, file, damaged)
    del text
    frame[ROW] = rows
    frame = _drop_blank_rows(frame)
    if len(rejects):
        frame.attrs[READ_REJECTED] = rejects
    return frame


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    data_columns = [c for c in frame.columns if c != ROW]
    if not data_columns:
        return frame
    candidates = np.flatnonzero(frame[data_columns[0]].isna().to_numpy())
    if len(candidates):
        blank = frame.iloc[candidates][data_columns].isna().all(axis=1).to_numpy()
        if blank.any():
            keep = np.ones(len(frame), dtype=bool)
            keep[candidates[blank]] = False
            frame = frame.loc[keep].reset_index(drop=True)
    return frame


def pick_sheet(names: Sequence[str], sheet=None, preferred: Sequence[str] = ()):
    """The sheet of ``names`` to read: ``sheet`` (exact name, else the same name without regard
    to case, accents or spaces; or a 0-based position), else the first sheet named one of
    ``preferred``, else the first sheet (0). ``None`` when ``sheet`` is not there."""
    names = [str(n) for n in names]
    if sheet is None:
        keys = [normalise_key(n) for n in names]
        for wanted in preferred:
            if normalise_key(wanted) in keys:
                return names[keys.index(normalise_key(wanted))]
        return 0
    if isinstance(sheet, (int, np.integer)) and not isinstance(sheet, bool):
        return int(sheet) if 0 <= sheet < len(names) else None
    if str(sheet) in names:
        return str(sheet)
    target = normalise_key(sheet)
    return next((n for n in names if target and normalise_key(n) == target), None)


def _read_spreadsheet(path: Path, file: str, sheet, engine: str, preferred=()) -> pd.DataFrame:
    if zipfile.is_zipfile(path) or path.suffix.lower() in (".xlsx", ".xlsm", ".ods"):
        check_package(path, file)  # XML entity bombs, zip bombs: refused before parsing
    try:
        with pd.ExcelFile(path, engine=engine) as book:
            names = [str(n) for n in book.sheet_names]
            chosen = pick_sheet(names, sheet, preferred)
            if chosen is None:
                raise EitError(
                    "missing_layer",
                    f"{file}: no sheet {sheet!r}; sheets: {', '.join(names)}",
                    file=file,
                    layer=sheet,
                    layers=names,
                )
            frame = book.parse(chosen, dtype=str)
    except EitError:
        raise
    except Exception as error:  # openpyxl/odfpy/zipfile raise many types on a damaged file
        raise EitError(
            "unreadable_file", f"{file}: cannot read the workbook: {error}", file=file
        ) from None
    frame[ROW] = np.arange(2, len(frame) + 2, dtype="int64")
    return _set_aside_long_values(_drop_blank_rows(frame), file)


def _set_aside_long_values(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Rows holding a value longer than :data:`MAX_CELL` characters go to the read rejects."""
    too_long = np.zeros(len(frame), dtype=bool)
    where = {}
    for column in frame.columns:
        if column == ROW or not pd.api.types.is_object_dtype(frame[column]):
            continue
        lengths = frame[column].str.len().to_numpy(dtype=float, na_value=0)
        hit = lengths > MAX_CELL
        for i in np.flatnonzero(hit & ~too_long):
            where[i] = (str(column), int(lengths[i]))
        too_long |= hit
    if not too_long.any():
        return frame
    rejects = ReadRejects()
    rows = frame[ROW].to_numpy()
    for i in sorted(where):
        column, length = where[i]
        text = str(frame.iloc[i][column])[:200] + "…"
        reason = f"a value of {length} characters (at most {MAX_CELL})"
        rejects.add(rows[i], "cell_too_long", reason, text, column)
    frame = frame.loc[~too_long].reset_index(drop=True)
    frame.attrs[READ_REJECTED] = rejects
    return frame


def _read_vector(path: Path, file: str, layer, keep_geometry: bool) -> pd.DataFrame:
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(
            path, layer=layer, read_geometry=keep_geometry, fid_as_index=True
        )
    except Exception as error:  # pyogrio raises several DataSourceError/DataLayerError types
        raise EitError("unreadable_file", f"{file}: cannot read: {error}", file=file) from None
    if ROW in frame.columns:
        frame = frame.rename(columns={ROW: "row_original"})
    frame[ROW] = np.asarray(frame.index, dtype="int64")
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------- columns


def match_columns(
    columns: Sequence,
    spec: Mapping[str, Sequence[str]],
    fields: Mapping[str, str] | None = None,
    required: Sequence[str] = (),
    file: str = "table",
) -> dict[str, str]:
    """Canonical field -> column of ``columns``, for the fields of ``spec`` found.

    ``fields`` overrides the guess: ``{"actor_id": "Code entreprise"}`` (the key may be the
    canonical name or any accepted name; an empty value is ignored). A missing required field
    raises ``EitError("missing_column", missing=[...], expected=[...], found=[...])``.
    """
    columns = [c for c in columns if c != ROW]
    found = [str(c) for c in columns]
    mapping: dict[str, str] = {}
    for key, column in (fields or {}).items():
        if column is None or str(column).strip() == "":
            continue
        field = _field_of(key, spec)
        if field is None:
            raise EitError(
                "unknown_field",
                f"{file}: no field {key!r}; fields are {', '.join(spec)}",
                file=file,
                field=key,
                expected=list(spec),
            )
        chosen = _find_column(str(column), columns)
        if chosen is None:
            raise EitError(
                "missing_column",
                f"{file}: column {column!r} given for {field} not found; columns found: "
                f"{', '.join(found)}",
                file=file,
                missing=[field],
                expected=[str(column)],
                found=found,
            )
        mapping[field] = chosen
    used = set(mapping.values())
    keyed = [(c, _key_forms(c)) for c in columns]
    for field, synonyms in spec.items():
        if field in mapping:
            continue
        for synonym in synonyms:
            target = _singular(normalise_key(synonym))
            hit = next((c for c, forms in keyed if c not in used and target in forms), None)
            if hit is not None:
                mapping[field] = hit
                used.add(hit)
                break
    missing = [f for f in required if f not in mapping]
    if missing:
        expected = [name for f in missing for name in spec[f]]
        raise EitError(
            "missing_column",
            f"{file}: missing column(s) {', '.join(missing)}; accepted names: "
            f"{', '.join(expected)}; columns found: {', '.join(found)}",
            file=file,
            missing=missing,
            expected=expected,
            found=found,
        )
    return mapping


def _field_of(key: str, spec: Mapping[str, Sequence[str]]) -> str | None:
    if key in spec:
        return key
    target = _singular(normalise_key(key))
    for field, synonyms in spec.items():
        if target == _singular(normalise_key(field)) or any(
            target == _singular(normalise_key(s)) for s in synonyms
        ):
            return field
    return None


def _find_column(name: str, columns: Sequence):
    if name in columns:
        return name
    target = _key_forms(name)[0] if _key_forms(name) else ""
    return next((c for c in columns if target and target in _key_forms(c)), None)


def load_table(
    source,
    spec: Mapping[str, Sequence[str]],
    fields: Mapping[str, str] | None = None,
    required: Sequence[str] = (),
    *,
    layer=None,
    keep_geometry: bool = False,
    name: str | None = None,
    kind: str = "table",
) -> pd.DataFrame:
    """:func:`read_table` + :func:`match_columns`: canonical columns added next to the originals.

    The frame's ``attrs`` hold ``source`` (file name), ``columns`` (canonical -> original),
    ``original_columns`` and ``kind``. An original column whose name is another field's
    canonical name is renamed ``<name>_original``. Without ``layer``, a workbook is read at
    its sheet named after ``kind`` (:data:`SHEET_NAMES`: ``Acteurs``, ``Flux``...) if it has
    one, else at its first sheet.
    """
    frame = read_table(
        source,
        layer=layer,
        keep_geometry=keep_geometry,
        name=name,
        sheets=SHEET_NAMES.get(kind, ()),
    )
    file = frame.attrs["source"]
    mapping = match_columns(list(frame.columns), spec, fields, required, file)
    geometry_name = getattr(frame, "_geometry_column_name", None)
    renames = {
        c: f"{c}_original" for c in frame.columns if c in spec and mapping.get(c) != c and c != ROW
    }
    if renames:
        frame = frame.rename(columns=renames)
        mapping = {f: renames.get(c, c) for f, c in mapping.items()}
    originals = [str(c) for c in frame.columns if c != ROW and c != geometry_name]
    for field, column in mapping.items():
        if field != column:
            frame[field] = frame[column]
    frame.attrs.update(source=file, columns=dict(mapping), original_columns=originals, kind=kind)
    return frame


# --------------------------------------------------------------------------- conversions


@dataclass(frozen=True)
class Coded:
    """A column as integer codes into distinct cleaned values (``-1`` = empty).

    Large columns repeat few values: work on ``uniques`` once, then index with ``codes``.
    """

    codes: np.ndarray
    uniques: np.ndarray

    def values(self) -> np.ndarray:
        """The per-row values (object array, ``None`` where empty)."""
        return take(self.uniques, self.codes)

    @property
    def missing(self) -> np.ndarray:
        return self.codes < 0

    def sort_codes(self) -> np.ndarray:
        """Codes that sort like the values (as text), independent of row order; empty = -1."""
        order = np.argsort(np.array([str(v) for v in self.uniques], dtype=object), kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return take(rank, self.codes, missing=-1)


def take(values: np.ndarray, codes: np.ndarray, missing=None) -> np.ndarray:
    """``values[codes]`` with ``missing`` where a code is -1."""
    values = np.asarray(values)
    dtype = object if missing is None else values.dtype
    return np.append(values, np.array([missing], dtype=dtype))[codes]


def encode(series, clean=None, length: int = 0) -> Coded:
    """Factorise ``series`` once, clean its distinct values (default: strip; empty -> missing)."""
    clean = clean or _clean_one
    if series is None:
        return Coded(np.full(length, -1, dtype=np.int64), np.array([], dtype=object))
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    cleaned = pd.Series([clean(v) for v in uniques], dtype=object)
    merged, distinct = pd.factorize(cleaned, use_na_sentinel=True)
    return Coded(
        take(merged.astype(np.int64), codes, missing=-1), np.asarray(distinct, dtype=object)
    )


def clean_text(series: pd.Series | None, length: int | None = None) -> pd.Series:
    """Text with surrounding spaces removed; empty or missing -> ``None`` (object dtype)."""
    coded = encode(series, length=length or 0)
    index = series.index if series is not None else None
    return pd.Series(coded.values(), index=index, dtype=object)


def _clean_one(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _clean_id(value):
    text = _clean_one(value)
    if text is None:
        return None
    return re.sub(r"^(-?\d+)\.0+$", r"\1", text)


def encode_id(series, length: int = 0) -> Coded:
    """:func:`encode` for identifiers: ``" A12 "`` -> ``"A12"``, ``12.0``/``"12.0"`` -> ``"12"``."""
    return encode(series, _clean_id, length)


def to_number(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(float values, bad mask). Empty -> NaN and not bad; text that is no number -> bad.

    Accepts a decimal comma, spaces (also non-breaking) as thousands separators, and
    ``1.234,5`` / ``1,234.5`` (the last separator is the decimal one). Vectorised.
    """
    if pd.api.types.is_bool_dtype(series):
        series = series.astype(float)
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(values) & ~np.isnan(values)
        return np.where(bad, np.nan, values), bad
    return coded_number(encode(series))


def coded_number(coded: Coded) -> tuple[np.ndarray, np.ndarray]:
    """:func:`to_number` of an encoded text column: each distinct text is parsed once."""
    u_values, u_bad = _parse_numbers(coded.uniques)
    return take(u_values, coded.codes, missing=np.nan), take(u_bad, coded.codes, missing=False)


def _parse_numbers(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    text = pd.Series(values, dtype=object)
    missing = text.isna().to_numpy()
    if pd.api.types.infer_dtype(text, skipna=True) not in ("string", "empty"):
        text = text.where(missing, text.astype(str))
    if missing.all():
        return np.full(len(text), np.nan), np.zeros(len(text), dtype=bool)
    sample = "".join(text.to_numpy(dtype=object)[~missing][:1000])
    dotted = _comma_to_dot(text, missing) if "," in sample else text
    numbers = pd.to_numeric(dotted, errors="coerce").to_numpy(dtype=float)
    failed = np.flatnonzero(~np.isfinite(numbers) & ~missing)
    if len(failed):
        subset = text.iloc[failed]
        numbers[failed] = pd.to_numeric(_fix_separators(subset), errors="coerce").to_numpy(
            dtype=float
        )
        missing[failed[subset.str.strip().eq("").to_numpy()]] = True
    finite = np.isfinite(numbers)
    return np.where(finite, numbers, np.nan), ~finite & ~missing


def _comma_to_dot(text: pd.Series, missing: np.ndarray) -> pd.Series:
    """Decimal commas to dots, fast: one join/replace/split instead of a replace per value."""
    values = np.where(missing, "", text.to_numpy(dtype=object))
    joined = "\x1f".join(values)
    parts = joined.replace(",", ".").split("\x1f")
    if len(parts) != len(values):  # a value holds the separator: the slow way
        return text.str.replace(",", ".", regex=False)
    return pd.Series(parts, index=text.index, dtype=object)


def _fix_separators(strings: pd.Series) -> pd.Series:
    s = strings.str.replace(r"[\s\u00a0\u202f']", "", regex=True)
    comma_last = s.str.rfind(",") > s.str.rfind(".")
    both = s.str.contains(",", regex=False) & s.str.contains(".", regex=False)
    s = s.where(~(both & comma_last), s.str.replace(".", "", regex=False))
    s = s.where(~(both & ~comma_last), s.str.replace(",", "", regex=False))
    return s.str.replace(",", ".", regex=False)


def to_bool(series: pd.Series | None, length: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(bool values, unrecognised mask) from oui/non/yes/no/true/false/vrai/faux/1/0/x.

    Empty -> False. An unrecognised value gives True (the safe side for confidentiality)
    and is flagged in the mask.
    """
    if series is None:
        return np.zeros(length, dtype=bool), np.zeros(length, dtype=bool)
    coded = encode(series)
    keys = [normalise_key(v) for v in coded.uniques]
    known = np.array([k in _TRUE or k in _FALSE for k in keys], dtype=bool)
    values = np.array([k not in _FALSE for k in keys], dtype=bool)
    return take(values, coded.codes, missing=False), ~take(known, coded.codes, missing=True)


def normalise_id(series: pd.Series) -> pd.Series:
    """Identifiers as clean text: ``" A12 "`` -> ``"A12"``, ``12.0`` / ``"12.0"`` -> ``"12"``."""
    return pd.Series(encode_id(series).values(), index=series.index, dtype=object)
