"""Tables written for people stay inert: no text becomes a formula in a spreadsheet."""

from __future__ import annotations

import csv
import zipfile

import numpy as np
import pandas as pd
import pytest
from eit_synergies.core import report
from eit_synergies.core.safe_cells import inert_cells, inert_names, is_formula_like

HOSTILE = [
    '=HYPERLINK("http://x","clic")',
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\tX",
    "\rX",
]
HARMLESS = ["Scierie", "12", "a=b", " =x", "'déjà cité", ""]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_starts_are_recognised(text):
    assert is_formula_like(text)


@pytest.mark.parametrize("value", HARMLESS + [None, -12.5, -3, np.float64(-1.0), True])
def test_other_values_are_not(value):
    assert not is_formula_like(value)


def hostile_frame() -> pd.DataFrame:
    n = len(HOSTILE)
    return pd.DataFrame(
        {
            "name": HOSTILE,
            "label": HOSTILE[::-1],
            "text_number": ["-12"] * n,  # a text field holding "-12": text, so neutralised
            "distance": np.linspace(-2.5, 3.0, n),  # numbers stay numbers, even negative
            "count": np.arange(-3, n - 3, dtype="int64"),
            "ok": ["Scierie des Bertranges"] * n,
            "mixed": [-1.5, "=1+1", None, "plain", 7, "@x"],
        }
    )


def test_csv_mode_prefixes_an_apostrophe_and_leaves_numbers():
    frame = hostile_frame()
    out, risky = inert_cells(frame, "csv")
    assert out["name"].tolist() == ["'" + t for t in HOSTILE]
    assert out["text_number"].tolist() == ["'-12"] * len(HOSTILE)
    assert out["ok"].tolist() == frame["ok"].tolist()
    assert out["mixed"].tolist()[:2] == [-1.5, "'=1+1"] and out["mixed"].iloc[5] == "'@x"
    assert out["distance"].dtype == float and out["count"].dtype == "int64"
    np.testing.assert_array_equal(out["distance"], frame["distance"])
    assert risky[:, 0].all() and not risky[:, 3].any() and not risky[:, 5].any()
    assert frame["name"].tolist() == HOSTILE  # the input is not modified
    assert inert_names(["=x", "nom"]) == ["'=x", "nom"]


def test_xlsx_mode_keeps_values_and_marks_the_cells():
    frame = hostile_frame()
    out, risky = inert_cells(frame, "xlsx")
    assert out["name"].tolist() == HOSTILE
    assert risky.sum() == 3 * len(HOSTILE) + 2
    with pytest.raises(ValueError):
        inert_cells(frame, "html")


def test_write_table_csv_cells_are_inert(tmp_path):
    frame = hostile_frame()
    frame.columns = ["=name", *frame.columns[1:]]
    path = report.write_table(frame, tmp_path / "t.csv", lang="en")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "'=name"
    body = rows[1:]
    assert len(body) == len(HOSTILE)
    for row in body:
        for cell in row[:3] + row[5:6]:  # the text columns
            assert not is_formula_like(cell), row
    assert [r[0] for r in body] == ["'" + t for t in HOSTILE]
    assert [float(r[3]) for r in body] == pytest.approx(list(np.linspace(-2.5, 3.0, 6)))
    assert [r[4] for r in body] == ["-3", "-2", "-1", "0", "1", "2"]  # numbers stay as written
    assert [r[6] for r in body] == ["-1.5", "'=1+1", "", "plain", "7", "'@x"]


def test_write_table_xlsx_has_no_formula_and_keeps_numbers(tmp_path):
    from openpyxl import load_workbook

    frame = hostile_frame()
    frame.columns = ["=name", *frame.columns[1:]]
    path = report.write_table(frame, tmp_path / "t.xlsx", title="=evil")
    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = load_workbook(path).active
    header = [c for c in sheet[1]]
    assert header[0].value == "=name" and header[0].data_type == "s"
    rows = list(sheet.iter_rows(min_row=2))
    assert [r[0].value for r in rows] == HOSTILE
    assert all(r[0].data_type == "s" and r[1].data_type == "s" for r in rows)
    assert all(r[2].value == "-12" and r[2].data_type == "s" for r in rows)
    assert [r[3].value for r in rows] == pytest.approx(list(np.linspace(-2.5, 3.0, 6)))
    assert all(r[3].data_type == "n" for r in rows)
    assert [r[4].value for r in rows] == [-3, -2, -1, 0, 1, 2]
    assert all(r[4].data_type == "n" for r in rows)
    assert rows[0][6].value == -1.5 and rows[0][6].data_type == "n"
    assert rows[1][6].value == "=1+1" and rows[1][6].data_type == "s"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
