"""A corpus of hostile input files: each gives a clear error (a code with a French message)
or rejected rows, never a traceback, a hang or a memory blow-up.

The files are generated here (nothing big is committed). Each is read in a process of its
own (``_hostile_read.py``: the flow model's reading, as ``eit:buildflowlayers`` does it),
under an address-space limit where the platform has one, with a timeout, and its peak
resident memory is checked.
"""

from __future__ import annotations

import ast
import json
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("_hostile_read.py")
TIMEOUT_S = 120  # generous for a shared 2-core machine; a hang never ends
ADDRESS_SPACE = 3 << 30  # hard stop: a blow-up dies here instead of swapping
PEAK_MB = 1500  # what a case may really use (the 100 MB cell included)

FLOWS_HEADER = "identifiant;acteur;sens;ressource;libelle;quantite;unite"
GOOD_ROW = "F1;A1;gisement;WOOD_CHIPS;Plaquettes;12;t/an"


def _limit():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def read(path: Path, mode: str = "flows") -> dict:
    """The runner's JSON answer, after checking it ended in time, cleanly and small."""
    limit = _limit if sys.platform.startswith("linux") else None
    done = subprocess.run(
        [sys.executable, str(RUNNER), str(path), mode],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        preexec_fn=limit,  # noqa: PLW1509 - nothing else runs threads in the child yet
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["peak_mb"] < PEAK_MB, out["peak_mb"]
    return out


def translated_codes() -> set[str]:
    """The codes ``processing/messages.py`` has a (translated) message for."""
    tree = ast.parse((ROOT / "processing" / "messages.py").read_text(encoding="utf-8"))
    codes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in (
            "error_templates",
            "rejection_reasons",
        ):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Dict):
                    codes |= {k.value for k in inner.keys if isinstance(k, ast.Constant)}
    return codes


def error_of(path: Path, mode: str = "flows") -> dict:
    out = read(path, mode)
    assert out["result"] == "error", out
    assert out["code"] in translated_codes(), out["code"]
    assert path.name in out["message"]
    return out


def rows_of(path: Path, mode: str = "flows") -> dict:
    out = read(path, mode)
    assert out["result"] == "ok", out
    assert set(out["codes"]) <= translated_codes()
    if mode == "flows":
        assert out["rows_read"] == out["rows_used"] + out["rows_rejected"]
    return out


# --------------------------------------------------------------------------- text files


def test_random_bytes(tmp_path):
    data = random.Random(16).randbytes(1 << 20)
    path = tmp_path / "flux.csv"
    path.write_bytes(data)
    assert error_of(path)["code"] == "bad_encoding"
    (tmp_path / "flux.xlsx").write_bytes(data)
    assert error_of(tmp_path / "flux.xlsx")["code"] == "unreadable_file"
    (tmp_path / "flux.ods").write_bytes(data)
    assert error_of(tmp_path / "flux.ods")["code"] == "unreadable_file"


def test_random_bytes_without_nul(tmp_path):
    data = bytes(b or 1 for b in random.Random(17).randbytes(1 << 16))
    path = tmp_path / "flux.csv"
    path.write_bytes(data)
    assert error_of(path)["code"] in ("bad_encoding", "missing_column", "bad_csv_row")


def test_empty_file_and_header_only(tmp_path):
    (tmp_path / "vide.csv").write_bytes(b"")
    assert error_of(tmp_path / "vide.csv")["code"] == "empty_file"
    (tmp_path / "blancs.csv").write_bytes(b"\r\n\n  \n")
    assert error_of(tmp_path / "blancs.csv")["code"] == "empty_file"
    (tmp_path / "entete.csv").write_text(FLOWS_HEADER + "\n", encoding="utf-8")
    assert error_of(tmp_path / "entete.csv")["code"] == "empty_file"


@pytest.mark.parametrize(
    "header",
    [
        "Akteur;Richtung;Ressource;Menge;Einheit",  # German
        "actor_codigo;sentido;recurso;cantidad;unidad",  # Spanish
    ],
)
def test_header_in_another_language_names_the_required_columns(tmp_path, header):
    path = tmp_path / "flux.csv"
    path.write_text(header + "\nA1;x;y;1;t\n", encoding="utf-8")
    out = error_of(path)
    assert out["code"] == "missing_column"
    for accepted in ("acteur", "sens"):  # what the user must name them
        assert accepted in out["message"]


def test_a_100_mb_cell_sets_its_row_aside(tmp_path):
    path = tmp_path / "flux.csv"
    with open(path, "wb") as handle:
        handle.write((FLOWS_HEADER + "\n" + GOOD_ROW + "\nF2;A2;besoin;WOOD_CHIPS;").encode())
        chunk = b"x" * (1 << 20)
        for _ in range(100):
            handle.write(chunk)
        handle.write(b";3;t\nF3;A3;besoin;WOOD_CHIPS;Bois;4;t\n")
    out = rows_of(path)
    assert out["rows_read"] == 3 and out["rows_used"] == 2
    assert out["codes"] == ["cell_too_long"] and out["rows"] == [3]
    assert out["fields"] == ["libelle"]


def test_a_100_mb_header_is_not_a_table(tmp_path):
    path = tmp_path / "flux.csv"
    path.write_bytes(b"acteur;" + b"y" * (100 << 20) + b"\nA1;x\n")
    assert error_of(path)["code"] == "not_a_table"


def test_200_000_columns(tmp_path):
    path = tmp_path / "flux.csv"
    header = ";".join(f"c{i}" for i in range(200_000))
    path.write_text(header + "\n" + ";".join("1" * 200_000) + "\n", encoding="utf-8")
    out = error_of(path)
    assert out["code"] == "too_many_columns"


def test_mixed_line_endings(tmp_path):
    rows = [
        "F1;A1;gisement;WOOD_CHIPS;Plaquettes;12;t/an",
        "F2;A2;besoin;WOOD_CHIPS;Bois;4;t",
        'F3;A3;besoin;WOOD_CHIPS;"Bois\r\nsec";5;t',
        "F4;A1;besoin;NOPE;Bois;5;t",
    ]
    text = FLOWS_HEADER + "\r\n" + rows[0] + "\n" + rows[1] + "\r" + rows[2] + "\r\n" + rows[3]
    path = tmp_path / "flux.csv"
    path.write_bytes(text.encode("utf-8"))
    out = rows_of(path)
    assert out["rows_read"] == 4 and out["rows_used"] == 3
    assert out["codes"] == ["unknown_resource"] and out["rows"] == [5]


def test_utf16_file(tmp_path):
    text = FLOWS_HEADER + "\n" + GOOD_ROW.replace("Plaquettes", "Plaquettes forestières") + "\n"
    path = tmp_path / "flux.csv"
    path.write_bytes(text.encode("utf-16"))  # with its byte-order mark
    out = rows_of(path)
    assert out["rows_used"] == 1 and out["rows_rejected"] == 0
    path.write_bytes(text.encode("utf-16-le"))  # no byte-order mark: refused clearly
    assert error_of(path)["code"] == "bad_encoding"


def test_broken_rows_are_set_aside_and_the_others_used(tmp_path):
    lines = [
        FLOWS_HEADER,
        GOOD_ROW.replace("Plaquettes", "Plaquettes forestières séchées"),  # row 2
        "F2;A2;besoin;WOOD_CHIPS;Bois; 12,5;t;extra",  # 3: one field too many
        "F3;A3;besoin",  # 4: too few
        "F4;A2;besoin;WOOD_CHIPS;Bois d'œuvre;4;t;;",  # 5: trailing delimiters, kept
        "F5;A1;besoin;WOOD_CHIPS;" + "z" * 10_001 + ";1;t",  # 6: a value too long
        'F6;A1;besoin;WOOD_CHIPS;3" tube;1;t',  # 7: a quote inside a value, kept
    ]
    data = "\n".join(lines).encode("utf-8")
    data += "\nF7;A2;besoin;WOOD_CHIPS;Forêt;2;t\n".encode("cp1252")  # 8: unreadable byte
    data += "F8;A3;gisement;WOOD_CHIPS;Élagage;3;t\n".encode()  # 9
    path = tmp_path / "flux.csv"
    path.write_bytes(data)
    out = rows_of(path)
    assert out["rows_read"] == 8 and out["rows_used"] == 4  # rows 2, 5, 7 and 9
    assert list(zip(out["rows"], out["codes"], strict=True)) == [
        (3, "too_many_fields"),
        (4, "too_few_fields"),
        (6, "cell_too_long"),
        (8, "bad_encoding_row"),
    ]


def test_an_unclosed_quote_sets_one_row_aside(tmp_path):
    lines = [
        FLOWS_HEADER,
        GOOD_ROW,
        'F2;A2;besoin;WOOD_CHIPS;"Bois;4;t',
        "F3;A3;besoin;WOOD_CHIPS;x;4;t",
    ]
    path = tmp_path / "flux.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = rows_of(path)
    assert out["rows_read"] == 3 and out["rows_used"] == 2
    assert out["codes"] == ["unclosed_quote"] and out["rows"] == [3]


def test_actors_table_rows_set_aside(tmp_path):
    path = tmp_path / "acteurs.csv"
    path.write_text("id;nom\nA1;a\nA2;b;c\nA3;d\n", encoding="utf-8")
    out = rows_of(path, "actors")
    assert out["rows_used"] == 2 and out["codes"] == ["too_many_fields"] and out["rows"] == [3]


# --------------------------------------------------------------------------- workbooks

LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def _with_bomb(source: Path, target: Path, member: str, marker: str, bomb="&lol9;") -> Path:
    """A copy of the ZIP package ``source`` whose ``member`` declares the billion laughs
    and uses them (``bomb``) in place of the text ``marker``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == member:
                text = data.decode("utf-8")
                assert marker in text
                head, sep, rest = text.partition("?>")
                text = head + sep + LAUGHS + rest if sep else LAUGHS + text
                data = text.replace(marker, bomb).encode("utf-8")
            new.writestr(info, data)
    return target


def test_openpyxl_parses_with_defusedxml():
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


def test_xlsx_billion_laughs_is_refused(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["acteur", "sens", "ressource"])
    sheet.append(["A1", "gisement", "MARKER_TEXT"])
    book.save(tmp_path / "vrai.xlsx")
    assert rows_of(tmp_path / "vrai.xlsx")["rows_read"] == 1  # the genuine one is read
    for member, marker, bomb in (
        ("xl/worksheets/sheet1.xml", "MARKER_TEXT", "&lol9;"),
        ("xl/workbook.xml", 'name="Sheet"', 'name="&lol9;"'),
    ):
        target = _with_bomb(tmp_path / "vrai.xlsx", tmp_path / "bombe.xlsx", member, marker, bomb)
        out = error_of(target)
        assert out["code"] == "unsafe_file" and member in out["message"]


def test_ods_billion_laughs_is_refused(tmp_path):
    source = tmp_path / "vrai.ods"
    pd.DataFrame({"acteur": ["A1"], "sens": ["gisement"], "ressource": ["MARKER_TEXT"]}).to_excel(
        source, engine="odf", index=False
    )
    assert rows_of(source)["rows_read"] == 1
    target = _with_bomb(source, tmp_path / "bombe.ods", "content.xml", "MARKER_TEXT")
    out = error_of(target)
    assert out["code"] == "unsafe_file" and "content.xml" in out["message"]


def test_xlsx_that_is_a_zip_of_something_else(tmp_path):
    path = tmp_path / "flux.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "rien à voir")
        archive.writestr("photo.xml", "<not xml")
    assert error_of(path)["code"] == "unreadable_file"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "rien à voir")
    assert error_of(path)["code"] == "unreadable_file"


def test_workbook_zip_bomb_is_refused_before_unpacking(tmp_path):
    path = tmp_path / "flux.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 24)
            for _ in range(80):  # 1.3 GB of zeros, a few MB packed
                member.write(block)
    assert path.stat().st_size < 10 << 20
    out = error_of(path)
    assert out["code"] == "unreadable_file" and "unpack" in out["message"]


# --------------------------------------------------------------------------- GeoPackage


def test_geopackage_layer_names_with_quotes(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    path = tmp_path / "couches.gpkg"
    names = ['flux "2024"', "l'acteur", 'x"; DROP TABLE gpkg_contents; --']
    for k, name in enumerate(names):
        frame = gpd.GeoDataFrame({"nom": [f"n{k}"]}, geometry=[Point(3, 47)], crs=4326)
        frame.to_file(path, layer=name, driver="GPKG")
    out = read(path, "layers")
    assert out["result"] == "ok", out
    assert out["layers"] == {name: [f"n{k}"] for k, name in enumerate(names)}
