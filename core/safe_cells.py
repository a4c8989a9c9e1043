"""Cells a spreadsheet opens stay inert: text is written as text, never as a formula.

Names, labels and notes come from questionnaires filled by third parties. A spreadsheet
runs a CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some programs, a tab
or a carriage return) as a formula; openpyxl writes any string starting with ``=`` as a
formula. :func:`inert_cells` neutralises such text the way OWASP recommends ("CSV
injection"), and every writer of tables meant for people goes through it:

- ``"csv"``: a leading apostrophe (``'=HYPERLINK(...)``), which spreadsheets show as text;
- ``"xlsx"``: the text is kept as it is and the cells to be written with the string type
  are returned (openpyxl: ``cell.data_type = "s"`` after the value is assigned).

Only text is touched: numbers, booleans and empty cells stay what they are, so a numeric
column stays numeric, while a text ``"-12"`` in a text column is neutralised like any other
text starting with ``-``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: first characters that make a spreadsheet read a cell as a formula (OWASP)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    """True for a text that a spreadsheet could take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def inert_cells(frame: pd.DataFrame, mode: str = "csv") -> tuple[pd.DataFrame, np.ndarray]:
    """``(frame, risky)``: the table to write, and where its formula-like texts are.

    ``mode="csv"``: formula-like texts get a leading apostrophe (a copy of ``frame`` is
    returned). ``mode="xlsx"``: the values are unchanged; the caller writes the cells where
    ``risky`` (rows x columns, bool) is true with the string cell type. Column names are
    not data: see :func:`inert_names`.
    """
    if mode not in ("csv", "xlsx"):
        raise ValueError(f"mode must be 'csv' or 'xlsx', not {mode!r}")
    risky = np.zeros(frame.shape, dtype=bool)
    out = frame.copy(deep=False) if mode == "csv" else frame
    for j in range(frame.shape[1]):
        column = frame.iloc[:, j]
        if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
            continue  # numbers, booleans and dates are never formulas
        mask = np.fromiter((is_formula_like(v) for v in column.to_numpy()), bool, len(column))
        if not mask.any():
            continue
        risky[:, j] = mask
        if mode == "csv":
            values = column.to_numpy(dtype=object).copy()
            values[mask] = ["'" + v for v in values[mask]]
            out.isetitem(j, values)
    return out, risky


def inert_names(names) -> list[str]:
    """Column names for a CSV header row, by the same rule (an XLSX header row is written
    with :func:`is_formula_like` deciding the string cells)."""
    return ["'" + str(n) if is_formula_like(str(n)) else str(n) for n in names]


__all__ = ["FORMULA_STARTS", "inert_cells", "inert_names", "is_formula_like"]
