"""Row-level recovery in a CSV file: one broken row never blocks the others.

:func:`cut` scans the raw bytes once, vectorised (in blocks, so a large file is never held
several times), finds the records (a line, or several when a quoted value holds line breaks)
that cannot be rows of the table under its header, and cuts them out of the bytes that
pandas' C parser then reads at full speed:

- ``too_many_fields`` / ``too_few_fields``: not as many fields as the header (extra trailing
  delimiters with nothing after them, and missing fields under empty header names, are
  tolerated);
- ``bad_encoding_row``: bytes the file's encoding cannot read (a UTF-8 file with one line
  pasted from a Latin-1 one);
- ``cell_too_long``: a value of more than :data:`MAX_CELL` characters.

The scan knows the records only when every double quote opens or closes a value. When a quote
sits inside a value (``3" tube``: pandas reads it as a plain character), :func:`read_rows`
reads the file with Python's ``csv`` module instead, row by row, with the same rules and
``unclosed_quote`` (a double quote opened and never closed would swallow the rest of the
file: that row is set aside and the reading goes on at the next line).

The rows set aside come back as :class:`ReadRejects` (spreadsheet row numbers, code, English
reason, an excerpt of the line), which the flow model adds to its rejected table: rows read =
rows used + rows rejected. A file whose every data row has the wrong number of fields is not a
table under this header (``bad_csv_row``), nor is one whose header holds more than
:data:`MAX_COLUMNS` fields (``too_many_columns``) or a value longer than :data:`MAX_CELL`
(``not_a_table``): those are errors at once.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import EitError

#: longest value accepted in a cell, in characters
MAX_CELL = 10_000
#: most columns accepted in a table
MAX_COLUMNS = 10_000
#: bytes scanned at a time
BLOCK = 1 << 23
#: characters of a rejected line kept in the rejected table
EXCERPT = 200
_UNREADABLE = re.compile("[\udc80-\udcff]")  # bytes kept by the "surrogateescape" decoding


@dataclass
class ReadRejects:
    """Rows set aside while reading a file (kept in the frame's ``attrs["read_rejected"]``).

    Copying returns the same object: pandas deep-copies ``attrs`` on every operation.
    """

    rows: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    excerpts: list[str] = field(default_factory=list)

    def add(self, row: int, code: str, reason: str, excerpt: str, field_name: str = "") -> None:
        self.rows.append(int(row))
        self.codes.append(code)
        self.reasons.append(reason)
        self.fields.append(field_name)
        self.excerpts.append(excerpt)

    def __len__(self) -> int:
        return len(self.rows)

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self


# --------------------------------------------------------------------------- fast check


@dataclass
class Cut:
    """The bytes pandas reads: the records that cannot be rows cut out (see :func:`cut`)."""

    data: bytes
    head: int  # records before the header (blank lines)
    rows: np.ndarray | None  # spreadsheet row of each record after the header (None: as read)
    rejects: ReadRejects


def cut(raw: bytes, sep: str, encoding: str, file: str, damaged: bool = False) -> Cut | None:
    """Find, vectorised over the raw bytes, the records that cannot be rows of the table
    under its header (field count, unreadable bytes when ``damaged``, a value longer than
    :data:`MAX_CELL`) and cut them out. None when a double quote sits inside a value: the
    records are then only certain row by row (:func:`read_rows`)."""
    scanned = _scan(raw, ord(sep))
    if scanned is None:
        return None
    ends, seps_to_end, total = scanned
    size = len(raw)
    if not len(ends) or ends[-1] != size - 1:
        ends = np.append(ends, size)
        seps_to_end = np.append(seps_to_end, total)
    starts = np.empty(len(ends), dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts  # a CR before the LF counted
    fields = np.diff(seps_to_end, prepend=0) + 1
    rejects = ReadRejects()
    head = next(
        (int(i) for i in np.flatnonzero(lengths > 0) if raw[starts[i] : ends[i]].strip()), None
    )
    if head is None:
        return Cut(raw, 0, None, rejects)
    expected = int(fields[head])
    names = _split(raw[starts[head] : ends[head]], sep, encoding)
    _header(names, file)  # too many columns, a column name too long: errors
    named = [i for i, name in enumerate(names) if name.strip()]
    minimum = min(named[-1] + 1, expected) if named else expected
    problems: dict[int, tuple[str, str, str]] = {}
    trims: dict[int, int] = {}
    data = fields[head + 1 :]
    structural = 0
    for i in np.flatnonzero((data < minimum) | (data > expected)) + head + 1:
        i = int(i)
        record = raw[starts[i] : ends[i]]
        if not record.strip():
            continue  # a blank line
        found = int(fields[i])
        if found > expected:
            at = -1
            for _ in range(expected):
                at = record.index(sep.encode(), at + 1)
            if not record[at:].replace(sep.encode(), b"").strip():
                trims[i] = int(starts[i]) + at  # trailing delimiters with nothing after them
                continue
        problems[i] = _field_count_problem(found, expected, sep)
        structural += 1
    if structural:
        blank = np.count_nonzero(lengths[head + 1 :] <= 1)  # empty, or a lone CR
        if len(lengths) - head - 1 - blank <= structural:
            first = min(problems)
            _no_row_fits(file, first + 1, int(fields[first]), expected, sep)
    if damaged:
        positions = np.asarray(bad_utf8_positions(raw), dtype=np.int64)
        for i in np.unique(np.searchsorted(ends, positions)):
            i = int(i)
            if i > head and i not in problems:
                byte = raw[positions[np.searchsorted(positions, starts[i])]]
                problems[i] = ("bad_encoding_row", f"byte 0x{byte:02x} cannot be read", "")
    for i in np.flatnonzero(lengths > MAX_CELL):
        i = int(i)
        if i > head and i not in problems:
            longest, position = _longest_value(raw, int(starts[i]), int(ends[i]), sep, encoding)
            if longest > MAX_CELL:
                name = names[position] if position < len(names) else ""
                reason = f"a value of {longest} characters (at most {MAX_CELL})"
                problems[i] = ("cell_too_long", reason, name)
    if not problems and not trims:
        return Cut(raw, head, None, rejects)
    pieces, cursor = [], 0
    for i in sorted(set(problems) | set(trims)):
        pieces.append(raw[cursor : starts[i]])
        if i in trims:
            pieces.append(raw[starts[i] : trims[i]] + b"\n")
        else:
            code, reason, name = problems[i]
            excerpt = _excerpt([raw[starts[i] : ends[i]].decode(encoding, "replace")], sep)
            rejects.add(i + 1, code, reason, excerpt, name)
        cursor = min(int(ends[i]) + 1, size)
    pieces.append(raw[cursor:])
    kept = np.delete(np.arange(len(ends), dtype=np.int64), sorted(problems))
    return Cut(b"".join(pieces), head, kept[kept > head] + 1, rejects)


def all_rows_fit(raw: bytes, sep: str) -> bool:
    """True when pandas may read ``raw`` as it is (nothing to cut, quotes where a CSV reader
    expects them)."""
    try:
        found = cut(raw, sep, "utf-8", "table")
    except EitError:
        return False
    return found is not None and found.rows is None


def _field_count_problem(found: int, expected: int, sep: str) -> tuple[str, str, str]:
    reason = f"{found} fields where the header has {expected}"
    if found > expected:
        return (
            "too_many_fields",
            reason + f": a value holds the delimiter {sep!r} without quotes",
            "",
        )
    return "too_few_fields", reason, ""


def _no_row_fits(file: str, row: int, found: int, expected: int, sep: str):
    raise EitError(
        "bad_csv_row",
        f"{file}: row {row}: {found} fields where the header has {expected}; no row fits "
        f"the header: check the delimiter {sep!r} and the header line",
        file=file,
        row=row,
        expected_fields=expected,
        found_fields=found,
        delimiter=sep,
    )


def bad_utf8_positions(raw: bytes) -> list[int]:
    """Byte positions where strict UTF-8 decoding fails (one per bad sequence)."""
    positions = []
    view = memoryview(raw)
    offset = 0
    while offset < len(raw):
        try:
            codecs.utf_8_decode(view[offset:], "strict", True)
            break
        except UnicodeDecodeError as error:
            positions.append(offset + error.start)
            offset += error.end
    return positions


def _split(line: bytes, sep: str, encoding: str) -> list[str]:
    """The values of one record (a CSV reader's reading)."""
    text = line.decode(encoding, errors="replace").rstrip("\r")
    old_limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        return next(csv.reader([text], delimiter=sep), [""])
    except csv.Error:
        return text.split(sep)
    finally:
        csv.field_size_limit(old_limit)


def _longest_value(raw: bytes, start: int, end: int, sep: str, encoding: str) -> tuple[int, int]:
    """(length in characters, position) of the longest value of the record ``raw[start:end]``."""
    record = np.frombuffer(raw, dtype=np.uint8, count=end - start, offset=start)
    if not (record == 34).any():
        bounds = np.concatenate(([-1], np.flatnonzero(record == ord(sep)), [len(record)]))
        widths = np.diff(bounds) - 1
        position = int(np.argmax(widths))
        if widths[position] <= MAX_CELL:
            return int(widths[position]), position  # bytes: at least as many as characters
        if widths[position] > 4 * MAX_CELL:
            return int(widths[position]), position  # more bytes than any 10,000 characters
    values = _split(raw[start:end], sep, encoding)
    lengths = [len(v) for v in values]
    position = int(np.argmax(lengths))
    return lengths[position], position


def _scan(raw: bytes, sep: int):
    """``(record ends, separators up to each end, separators in all)`` outside quotes, or
    None when a double quote sits inside a value (pandas then reads it as a plain
    character: only the row-by-row reader knows the records).

    A record ends at a line feed, or at a carriage return not followed by a line feed.
    """
    view = np.frombuffer(raw, dtype=np.uint8)
    has_quotes = b'"' in raw
    ends, counts = [], []
    parity = 0
    carry = 0
    for start in range(0, len(view), BLOCK):
        block = view[start : start + BLOCK]
        stop = start + len(block)
        lf = block == 10
        cr = block == 13
        if cr.any():
            following = np.zeros_like(cr)
            following[:-1] = lf[1:]
            following[-1] = stop < len(view) and view[stop] == 10
            lf |= cr & ~following
        is_sep = block == sep
        if has_quotes:
            quote = block == 34
            inside = np.bitwise_xor.accumulate(quote.view(np.uint8)) ^ parity
            parity = int(inside[-1])
            if not _quotes_fit(view, np.flatnonzero(quote) + start, inside[quote], sep):
                return None
            outside = inside == 0
            lf &= outside
            is_sep &= outside
        where = np.flatnonzero(lf)
        separators = np.flatnonzero(is_sep)
        ends.append(where + start)
        counts.append(np.searchsorted(separators, where) + carry)  # separators before each end
        carry += len(separators)
    if parity:
        return None  # a quote never closed
    empty = np.zeros(0, np.int64)
    if not ends:
        return empty, empty, 0
    return np.concatenate(ends), np.concatenate(counts), carry


def _quotes_fit(view: np.ndarray, positions: np.ndarray, opening: np.ndarray, sep: int) -> bool:
    """Opening quotes follow a delimiter, a line end or another quote; closing ones precede
    one of them."""
    if not len(positions):
        return True
    bounds = np.array([sep, 10, 13, 34], dtype=np.uint8)
    opens = positions[opening.astype(bool)]
    closes = positions[~opening.astype(bool)]
    before = opens[opens > 0] - 1
    after = closes[closes < len(view) - 1] + 1
    return bool(np.isin(view[before], bounds).all() and np.isin(view[after], bounds).all())


# --------------------------------------------------------------------------- row by row


def read_rows(
    text: str, sep: str, file: str, damaged: bool = True
) -> tuple[pd.DataFrame, np.ndarray, ReadRejects]:
    """``(frame, rows, rejects)``: the table of ``text`` read row by row, its spreadsheet row
    numbers, and the records set aside. ``text`` was decoded with ``surrogateescape``, so
    unreadable bytes show as lone surrogates (looked for when ``damaged``). Values are text,
    NaN when empty (as pandas reads them)."""
    old_limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)  # long values are measured here, not refused by csv
    try:
        return _rows(_records(text, sep), sep, file, damaged)
    except csv.Error as error:
        raise EitError(
            "not_a_table", f"{file}: not a table: {error}", file=file, detail=str(error)
        ) from None
    finally:
        csv.field_size_limit(old_limit)


def _records(text: str, sep: str):
    """``(row number, fields, line)`` of each record. A record whose double quote never
    closes (it would swallow the rest of the file) comes as ``(row, None, its first line)``
    and the reading starts again on the next line."""
    lines = io.StringIO(text, newline="").readlines()
    last_line_closed = bool(lines) and lines[-1].rstrip("\r\n").endswith('"')
    start, number = 0, 0
    while start < len(lines):
        reader = csv.reader(itertools.islice(lines, start, None), delimiter=sep)
        held, consumed = None, 0
        for record in reader:
            number += 1
            if held is not None:
                yield held
            held = (number, record, start + consumed)
            consumed = reader.line_num
        if held is None:
            return
        row, record, begin = held
        tail = record[-1] if record else ""
        if (
            consumed + start - begin > 1
            and ("\n" in tail or "\r" in tail)
            and not (last_line_closed)
        ):
            yield row, None, lines[begin]
            start = begin + 1
            continue
        yield held
        return


def _rows(records, sep: str, file: str, damaged: bool):
    rejects = ReadRejects()
    header = None
    rows, numbers = [], []
    fits = 0
    first_bad = None
    for number, record, line in records:
        if record is None:
            reason = "a double quote opened in this row is never closed"
            rejects.add(number, "unclosed_quote", reason, _excerpt([line], sep))
            continue
        if header is None:
            if not any(v.strip() for v in record):
                continue
            header = _header(record, file)
            expected = len(header)
            named = [i for i, v in enumerate(record) if v.strip()]
            minimum = named[-1] + 1
            continue
        found = len(record)
        if found == expected and not damaged and sum(map(len, record)) <= MAX_CELL:
            rows.append(record)  # the usual row: nothing more to look at
            numbers.append(number)
            fits += 1
            continue
        if not record:
            rows.append([""] * expected)  # a blank line: pandas' reading keeps it too
            numbers.append(number)
            continue
        if found > expected and not any(v.strip() for v in record[expected:]):
            record, found = record[:expected], expected
        problem = None
        if found > expected or (found < minimum and any(v.strip() for v in record)):
            problem = _field_count_problem(found, expected, sep)
            first_bad = first_bad or (number, found)
        else:
            fits += 1
            unreadable = damaged and _UNREADABLE.search(sep.join(record))
            if unreadable:
                byte = ord(unreadable.group()) - 0xDC00
                problem = ("bad_encoding_row", f"byte 0x{byte:02x} cannot be read", "")
            elif sum(map(len, record)) > MAX_CELL:
                longest = max(range(found), key=lambda k: len(record[k]))
                if len(record[longest]) > MAX_CELL:
                    reason = f"a value of {len(record[longest])} characters (at most {MAX_CELL})"
                    problem = ("cell_too_long", reason, header[longest])
        if problem:
            rejects.add(number, problem[0], problem[1], _excerpt(record, sep), problem[2])
            continue
        if found < expected:
            record = record + [""] * (expected - found)
        rows.append(record)
        numbers.append(number)
    if header is None:
        raise EitError("empty_file", f"{file}: the file is empty", file=file, columns=[])
    if first_bad is not None and not fits:
        _no_row_fits(file, first_bad[0], first_bad[1], expected, sep)
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    del rows
    if not len(frame):
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in header})
    frame = frame.mask(frame == "")  # empty values as NaN, as pandas reads them
    return frame, np.asarray(numbers, dtype=np.int64), rejects


def _header(record: list[str], file: str) -> list[str]:
    """Column names as pandas makes them: ``Unnamed: i`` for an empty one, ``.1``, ``.2``
    after a repeated one."""
    if len(record) > MAX_COLUMNS:
        raise EitError(
            "too_many_columns",
            f"{file}: {len(record)} columns; a table has at most {MAX_COLUMNS}",
            file=file,
            columns=len(record),
            limit=MAX_COLUMNS,
        )
    longest = max(len(v) for v in record)
    if longest > MAX_CELL:
        raise EitError(
            "not_a_table",
            f"{file}: not a table: a column name of {longest} characters",
            file=file,
            detail=f"a column name of {longest} characters",
        )
    names, seen = [], {}
    for i, name in enumerate(record):
        name = _UNREADABLE.sub("\ufffd", name) if name != "" else f"Unnamed: {i}"
        base = name
        while name in seen:
            seen[base] += 1
            name = f"{base}.{seen[base]}"
        seen[name] = 0
        names.append(name)
    return names


def _excerpt(record: list[str], sep: str) -> str:
    parts, size = [], 0
    for value in record:
        parts.append(value[: EXCERPT - size + 1])
        size += len(parts[-1]) + 1
        if size > EXCERPT:
            break
    text = _UNREADABLE.sub("\ufffd", sep.join(parts)).replace("\r", " ").replace("\n", " ")
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "…"


def rejected_frame(rejects: ReadRejects, file: str, columns) -> pd.DataFrame:
    """The rejected table's rows (``columns``: its field names) for the records set aside."""
    data = {
        "source": [file] * len(rejects),
        "row": np.asarray(rejects.rows, dtype=np.int64),
        "field": rejects.fields,
        "value": rejects.excerpts,
        "reason_code": rejects.codes,
        "reason": rejects.reasons,
        "suggestions": [""] * len(rejects),
        "other_reasons": [""] * len(rejects),
        "values": ["{}"] * len(rejects),
    }
    return pd.DataFrame({c: data.get(c, [""] * len(rejects)) for c in columns})


__all__ = [
    "MAX_CELL",
    "MAX_COLUMNS",
    "ReadRejects",
    "all_rows_fit",
    "read_rows",
    "rejected_frame",
]
