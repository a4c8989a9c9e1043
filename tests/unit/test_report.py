"""Report figures and public-mode masking (core/report.py)."""

from __future__ import annotations

import datetime as dt
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from eit_synergies.core import report, report_places, report_words
from eit_synergies.core.errors import EitError
from shapely.geometry import LineString, Point, box

NB = "\u00a0"
SECRET = "Zorglub Confidentiel SARL"
SECRET_QTY = 98765.0
# two communes side by side (Lambert-93), 10 km x 10 km each
WEST = box(700_000, 6_650_000, 710_000, 6_660_000)
EAST = box(710_000, 6_650_000, 720_000, 6_660_000)


def communes():
    return gpd.GeoDataFrame(
        {"code_insee": ["58001", "58002"], "nom": ["Ouestville", "Estbourg"]},
        geometry=[WEST, EAST],
        crs="EPSG:2154",
    )


def flows():
    """Two public actors and a confidential one (with two flows), in the two communes."""
    rows = [
        ("F1", "A1", "Scierie Publique", "entreprise", "supply", "WOOD_BARK", "wood", 540.0,
         "t/yr", "1-12", False, 702_000, 6_652_000),
        ("F2", "A2", "Pépinière Ouverte", "entreprise", "need", "WOOD_BARK", "wood", 18.0,
         "t/yr", "3-10", False, 717_000, 6_657_000),
        ("F3", "A3", SECRET, "entreprise", "supply", "WOOD_BARK", "wood", SECRET_QTY,
         "t/yr", None, True, 713_500, 6_651_250),
        ("F4", "A3", SECRET, "entreprise", "supply", "EN_HEAT_HT", "energy", 4200.0,
         "MWh/yr", None, True, 713_500, 6_651_250),
    ]  # fmt: skip
    columns = [
        "flow_id", "actor_id", "actor_name", "actor_category", "direction", "resource",
        "family", "quantity_norm", "unit_norm", "months", "confidential", "x", "y",
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    table["resource_label"] = table["resource"].map(
        {"WOOD_BARK": "Écorces", "EN_HEAT_HT": "Chaleur fatale"}
    )
    table["label"] = ["Écorces de la scierie", "Paillage", "Écorces du projet Zorglub", "Four"]
    table["synergy_type"] = "substitution"
    geometry = [Point(x, y) for x, y in zip(table.pop("x"), table.pop("y"), strict=True)]
    return gpd.GeoDataFrame(table, geometry=geometry, crs="EPSG:2154")


def candidates(published=None):
    rows = [
        ("F1>F2", "F1", "F2", "A1", "Scierie Publique", "A2", "Pépinière Ouverte", False, False,
         15.3, 18.0, 1.0, 0.94, "retained", "Vérifier la qualité"),
        ("F3>F2", "F3", "F2", "A3", SECRET, "A2", "Pépinière Ouverte", True, False,
         3.71, 18.0, 0.2345, 0.8765, "proposed", f"Appeler {SECRET} pour {SECRET_QTY:.0f} t"),
    ]  # fmt: skip
    columns = [
        "candidate_id", "supply_flow", "need_flow", "supplier_id", "supplier_name",
        "receiver_id", "receiver_name", "supply_confidential", "need_confidential",
        "distance_km", "matched_quantity", "coverage", "score", "status", "notes",
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    table["family"] = "wood"
    table["unit_norm"] = "t/yr"
    table["explanation_fr"] = "même ressource"
    table["distance_method"] = "euclidean"
    for part, value in (("score_compat", 1.0), ("score_distance", 0.6321), ("score_season", 1.0)):
        table[part] = value
    table["score_coverage"] = table["coverage"]
    table["diverted_t"] = table["matched_quantity"]
    table["transport_tkm"] = table["matched_quantity"] * table["distance_km"]
    table["co2_transport_kg"] = table["transport_tkm"] * 0.105
    table["avoided_co2_kg"] = [0.0, 123456.0]
    lines = [LineString([(702_000, 6_652_000), (717_000, 6_657_000)])] * 2
    return gpd.GeoDataFrame(table, geometry=lines, crs="EPSG:2154")


def publish(public=True):
    frame = flows()
    places = report_places.locate_communes(frame.geometry, communes())
    return report.publish_flows(
        frame,
        public=public,
        places=places,
        naf=pd.Series(["16.10A", "01.30Z", "10.41A", "10.41A"]),
        naf_divisions={"10": "Industries alimentaires", "16": "Travail du bois"},
    )


def text_of(frame) -> str:
    return " ".join(
        str(v) for v in frame.drop(columns="geometry", errors="ignore").to_numpy().ravel()
    )


# --------------------------------------------------------------------------- formatting


def test_numbers_in_french_and_english():
    assert report_words.format_number(1234.5) == f"1{NB}234"
    assert report_words.format_number(12.34) == "12,3"
    assert report_words.format_number(0.066) == "0,07"
    assert report_words.format_number(1234.5, lang="en") == "1,234"
    assert report_words.format_number(float("nan")) == ""
    assert report_words.format_quantity(65.0, "t/yr") == f"65{NB}t/an"
    assert report_words.format_quantity(None, "t/yr") == "non renseignée"
    assert report_words.format_share(0.853) == f"85{NB}%"
    assert report_words.format_share(0.853, "en") == "85%"
    with pytest.raises(EitError):
        report_words.format_number(1, lang="de")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, f"<{NB}10{NB}t/an"),
        (9.99, f"<{NB}10{NB}t/an"),
        (10.0, f"10{NB}–{NB}100{NB}t/an"),
        (999.0, f"100{NB}–{NB}1{NB}000{NB}t/an"),
        (1000.0, f"≥{NB}1{NB}000{NB}t/an"),
        (SECRET_QTY, f"≥{NB}1{NB}000{NB}t/an"),
        (float("nan"), "non renseignée"),
        (-3.0, "non renseignée"),
    ],
)
def test_size_classes(value, expected):
    assert report_words.size_class(value, "t/yr") == expected


def test_other_classes_and_labels():
    assert report_words.size_class(250.0, "MWh/yr", "en") == f"100–1,000{NB}MWh/yr"
    assert report_words.distance_class(3.7) == f"2{NB}–{NB}5{NB}km"
    assert report_words.distance_class(0.4) == f"<{NB}2{NB}km"
    assert report_words.share_class(0.2345) == f"<{NB}25{NB}%"
    assert report_words.share_class(1.0) == f"≥{NB}75{NB}%"
    assert report_words.months_display("3-10") == "mars – oct."
    assert report_words.months_display("2-5,9-10", "en") == "Feb – May, Sep – Oct"
    assert report_words.months_display(None) == "toute l'année"
    assert report_words.status_label("to_explore") == "À explorer"
    assert report_words.direction_label("need", "en") == "Need"
    assert report_words.date_text(dt.date(2026, 3, 1)) == "1er mars 2026"
    assert report_words.date_text(dt.date(2026, 11, 28), "en") == "28 November 2026"


def test_category_and_anonymous_names():
    assert report_words.category_label("Hôpital") == "Établissement de santé"
    assert report_words.category_label("exploitation agricole", "en") == "Farm"
    assert report_words.category_label("Boulangerie Dupont et fils") == "Boulangerie Dupont et fils"
    # a free-text category could name the actor: public names never repeat it
    assert report_words.category_label("Boulangerie Dupont et fils", public=True) == "Acteur"
    divisions = {"01": "Culture et production animale, chasse et services annexes"}
    assert (
        report_words.anonymous_name("exploitation_agricole", "01.50Z", divisions)
        == "Exploitation agricole (culture et production animale)"
    )
    assert report_words.anonymous_name("entreprise", None, divisions) == "Entreprise"


# --------------------------------------------------------------------------- places


def test_communes_by_code_polygon_nearest_and_grid():
    points = gpd.GeoSeries(
        [Point(702_000, 6_652_000), Point(713_500, 6_651_250), Point(760_000, 6_700_000),
         Point(900_000, 6_500_000), None],
        crs="EPSG:2154",
    )  # fmt: skip
    reference = pd.DataFrame(
        {
            "code_insee": ["58999"],
            "nom": ["Lointaine"],
            # a commune centre near the third point, in WGS84
            "centroide_lon": [
                gpd.GeoSeries([Point(761_000, 6_701_000)], crs=2154).to_crs(4326).x[0]
            ],
            "centroide_lat": [
                gpd.GeoSeries([Point(761_000, 6_701_000)], crs=2154).to_crs(4326).y[0]
            ],
        }
    )
    insee = pd.Series(["58002", None, None, None, None])  # the first point says it is in Estbourg
    places = report_places.locate_communes(points, communes(), reference, insee)
    assert places["method"].tolist() == ["insee", "polygon", "nearest", "grid", "none"]
    assert places["commune"].tolist()[:3] == ["Estbourg", "Estbourg", "Lointaine"]
    assert (places.loc[0, "x"], places.loc[0, "y"]) == pytest.approx((715_000, 6_655_000))
    assert (places.loc[1, "x"], places.loc[1, "y"]) == pytest.approx((715_000, 6_655_000))
    assert (places.loc[2, "x"], places.loc[2, "y"]) == pytest.approx((761_000, 6_701_000), abs=1)
    # last resort: the centre of the 5 km cell, never the point itself
    assert (places.loc[3, "x"], places.loc[3, "y"]) == (902_500.0, 6_502_500.0)
    assert math.isnan(places.loc[4, "x"])


# --------------------------------------------------------------------------- flows


def test_public_flows_hide_names_quantities_and_addresses():
    published = publish(public=True)
    masked = published[published["masked"]]
    assert masked["flow_id"].tolist() == ["F3", "F4"]
    assert SECRET not in text_of(published)
    assert "Zorglub" not in text_of(published)  # the flow's own label is not published
    assert "98765" not in text_of(published).replace(NB, "")
    assert masked["actor_id"].isna().all()
    assert masked["quantity_value"].isna().all()
    assert masked["quantity_text"].tolist() == [
        f"≥{NB}1{NB}000{NB}t/an",
        f"≥{NB}1{NB}000{NB}MWh/an",
    ]
    assert set(masked["actor_display"]) == {"Entreprise (industries alimentaires)"}
    # one anonymous key for the actor's two flows
    assert masked["actor_key"].nunique() == 1 and masked["actor_key"].iloc[0].startswith("anon-")
    # placed at the centre of Estbourg, not at the address
    for point in masked.geometry:
        assert (point.x, point.y) == pytest.approx((715_000, 6_655_000))
    public_rows = published[~published["masked"]]
    assert public_rows["actor_display"].tolist() == ["Scierie Publique", "Pépinière Ouverte"]
    assert public_rows["quantity_text"].tolist() == [f"540{NB}t/an", f"18{NB}t/an"]
    assert public_rows.geometry.iloc[0].equals(Point(702_000, 6_652_000))
    assert public_rows["commune"].tolist() == ["Ouestville", "Estbourg"]


def test_non_public_flows_show_everything():
    published = publish(public=False)
    assert not published["masked"].any()
    assert published["confidential"].tolist() == [False, False, True, True]
    assert SECRET in text_of(published)
    assert published.loc[2, "quantity_value"] == SECRET_QTY
    assert published.geometry.iloc[2].equals(Point(713_500, 6_651_250))


def test_two_anonymous_actors_of_the_same_kind_in_a_commune_are_numbered():
    frame = flows()
    frame.loc[3, "actor_id"] = "A4"  # another confidential company at the same place
    places = report_places.locate_communes(frame.geometry, communes())
    published = report.publish_flows(frame, public=True, places=places)
    masked = published[published["masked"]]
    assert masked["actor_key"].nunique() == 2
    assert sorted(masked["actor_display"]) == [f"Entreprise n°{NB}1", f"Entreprise n°{NB}2"]


# --------------------------------------------------------------------------- candidates


def test_public_candidates_mask_the_confidential_one_only():
    published_flows = publish(public=True)
    cands = report.publish_candidates(candidates(), published_flows, public=True)
    public, secret = cands.iloc[0], cands.iloc[1]
    assert not public["masked"] and secret["masked"]
    assert public["supplier_display"] == "Scierie Publique"
    assert public["distance_text"] == f"15,3{NB}km"
    assert public["notes_text"] == "Vérifier la qualité"
    assert secret["supplier_display"] == "Entreprise (industries alimentaires)"
    assert secret["receiver_display"] == "Pépinière Ouverte"  # the public side keeps its name
    assert secret["distance_text"] == f"2{NB}–{NB}5{NB}km" and math.isnan(secret["distance_value"])
    assert secret["coverage_text"] == f"<{NB}25{NB}%"
    assert secret["matched_text"] == f"10{NB}–{NB}100{NB}t/an"
    assert secret["score_value"] == pytest.approx(0.9) and secret["score_text"] == "0,9"
    assert secret["score_distance"] == pytest.approx(0.6)
    assert secret["notes_text"] is None and secret["notes_withheld"]
    assert secret["avoided_co2_text"] == f"100{NB}–{NB}1{NB}000{NB}t CO₂e/an"
    assert SECRET not in text_of(cands) and "98765" not in text_of(cands).replace(NB, "")
    # the line starts at the commune centre, not at the address
    assert shapely.get_coordinates(secret.geometry)[0] == pytest.approx([715_000, 6_655_000])


def test_candidates_must_name_published_flows():
    with pytest.raises(EitError) as error:
        report.publish_candidates(candidates(), publish().iloc[:2], public=True)
    assert error.value.code == "unknown_flow"


def test_flows_rebuilt_from_candidates_keep_their_flag():
    supply, need = report.flows_from_candidates(candidates(), known_flow_ids=["F1", "F2"])
    assert supply["flow_id"].tolist() == ["F3"] and supply["confidential"].tolist() == [True]
    assert supply["actor_name"].tolist() == [SECRET]
    assert len(need) == 0
    assert supply.geometry.iloc[0].equals(Point(702_000, 6_652_000))


def test_report_order_puts_retained_first():
    published = report.publish_candidates(candidates(), publish(False), public=False)
    published.loc[0, "status"] = "proposed"
    published.loc[1, "status"] = "retained"
    assert report.order_candidates(published)["candidate_id"].tolist() == ["F3>F2", "F1>F2"]


# --------------------------------------------------------------------------- groups


def test_groups_rebuilt_from_published_positions():
    published_flows = publish(public=True)
    groups = gpd.GeoDataFrame(
        {
            "group_id": ["g1"],
            "resource": ["WOOD_BARK"],
            "resource_label": ["Écorces"],
            "family": ["wood"],
            "n_actors": [2],
            "members": ["A2,A3"],
            "member_names": [f"Pépinière Ouverte; {SECRET}"],
            "need_flows": ["F2,F3"],
            "combined_quantity": [SECRET_QTY + 18],
            "unit_norm": ["t/yr"],
            "providers": ["A1"],
            "status": ["proposed"],
            "notes": [f"voir {SECRET}"],
            "confidential": [True],
        },
        geometry=[Point(713_500, 6_651_250).buffer(500)],
        crs="EPSG:2154",
    )
    need = published_flows  # F3 is a supply here, but what matters is its published row
    out = report.publish_groups(groups, need, published_flows, public=True)
    row = out.iloc[0]
    assert SECRET not in text_of(out)
    assert row["member_names"] == "Entreprise (industries alimentaires); Pépinière Ouverte"
    assert row["provider_names"] == "Scierie Publique"
    assert row["quantity_text"] == f"≥{NB}1{NB}000{NB}t/an" and math.isnan(row["quantity_value"])
    assert row["notes_text"] is None
    # the polygon surrounds the published positions (the commune centre), not the address
    assert row.geometry.contains(Point(715_000, 6_655_000))
    assert not row.geometry.contains(Point(713_500, 6_651_250))
    everything = publish(public=False)
    kept = report.publish_groups(groups, everything, everything, public=False).iloc[0]
    assert SECRET in kept["member_names"] and kept["quantity_value"] == SECRET_QTY + 18


def test_each_public_group_is_the_hull_of_its_own_members_places():
    published_flows = publish(public=True)
    base = {
        "resource": "WOOD_BARK", "resource_label": "Écorces", "family": "wood", "n_actors": 2,
        "members": "", "member_names": "", "combined_quantity": 10.0, "unit_norm": "t/yr",
        "providers": "", "status": "proposed", "notes": None, "confidential": False,
    }  # fmt: skip
    members = {"g1": "F1,F2,F3", "g2": "F2", "g3": "F3,F9", "g4": "F9"}
    groups = gpd.GeoDataFrame(
        [{**base, "group_id": g, "need_flows": f} for g, f in members.items()],
        geometry=[Point(0, 0).buffer(10)] * len(members),
        crs="EPSG:2154",
    )
    out = report.publish_groups(groups, published_flows, published_flows, public=True)
    place = dict(zip(published_flows["flow_id"], published_flows.geometry, strict=True))
    for group, flows in members.items():
        points = [place[f] for f in flows.split(",") if f in place]
        got = out.loc[out["group_id"] == group].geometry.iloc[0]
        if points:
            want = shapely.buffer(shapely.convex_hull(shapely.MultiPoint(points)), 500.0)
            assert got.equals(want), group
        else:  # no published place: the group's own outline (not masked here)
            assert got.equals(Point(0, 0).buffer(10)), group


# --------------------------------------------------------------------------- figures


def test_summary_and_family_totals_leave_masked_quantities_out():
    published = publish(public=True)
    cands = report.publish_candidates(candidates(), published, public=True)
    summary = report.summary_figures(published, cands, actors=3)
    assert summary["actors"] == 3
    assert (summary["supply"], summary["need"]) == (3, 1)
    assert summary["supply_t"] == 540.0  # the confidential 98 765 t are not summed
    assert summary["supply_mwh"] == 0.0
    assert summary["matched_t"] == 18.0
    assert summary["masked_flows"] == 2 and summary["masked_candidates"] == 1
    assert summary["statuses"] == {"retained": 1, "to_explore": 0, "proposed": 1, "rejected": 0}
    families = summary["families"].set_index("family")
    assert families.loc["wood", "supply"] == 2 and families.loc["energy", "supply"] == 1
    totals = report.family_totals(published).set_index("resource")
    assert totals.loc["WOOD_BARK", "supply_total"] == 540.0
    assert totals.loc["WOOD_BARK", "masked_supply"] == 1
    assert totals.loc["WOOD_BARK", "n_supply"] == 2
    assert math.isnan(totals.loc["EN_HEAT_HT", "supply_total"])
    everything = report.family_totals(publish(public=False)).set_index("resource")
    assert everything.loc["WOOD_BARK", "supply_total"] == 540.0 + SECRET_QTY


def test_synergy_table_csv_and_xlsx(tmp_path):
    published = report.publish_candidates(candidates(), publish(True), public=True)
    table = report.synergy_table(published, {"wood": "Bois"})
    assert table["family_label"].tolist() == ["Bois", "Bois"]
    assert table["candidate_id"].tolist() == ["F1>F2", "F3>F2"]
    csv = report.write_table(table, tmp_path / "s.csv", {"family_label": "Famille"}, "Atlas")
    text = csv.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].split(";")[2] == "Famille"
    assert "15,3" in text and SECRET not in text and "98765" not in text.replace(NB, "")
    xlsx = report.write_table(table, tmp_path / "s.xlsx", None, "Atlas public")
    from openpyxl import load_workbook

    book = load_workbook(xlsx)
    sheet = book.active
    assert book.properties.title == "Atlas public"
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "F3>F2" in values and 15.3 in values
    assert not any(SECRET in str(v) for v in values)
    assert not any("98765" in str(v).replace(NB, "") for v in values)
    assert sheet.freeze_panes == "A2"


def test_masked_values_are_nan_not_zero():
    published = report.publish_candidates(candidates(), publish(True), public=True)
    assert np.isnan(published.loc[1, "matched_value"])
    assert published.loc[0, "avoided_co2_text"] == "—"  # a structural zero says so


def test_per_distinct_computes_once_per_distinct_row_and_keeps_types_apart():
    calls = []

    def label(value, unit):
        calls.append((value, unit))
        return f"{value} {unit}"

    out = report.per_distinct(label, [1.0, 2.0, 1.0, 1.0], ["t", "t", "t", "kg"])
    assert list(out) == ["1.0 t", "2.0 t", "1.0 t", "1.0 kg"]
    assert len(calls) == 3
    # unhashable values are computed row by row
    assert list(report.per_distinct(len, [[1, 2], [3]])) == [2, 1]
    # 1, 1.0 and True are equal keys, but their texts differ
    texts = report._text_values(pd.Series([1, 1.0, True, None, float("nan"), "x"], dtype=object))
    assert list(texts) == ["1", "1.0", "True", None, None, "x"]


def test_the_class_of_one_value_is_the_class_index_of_a_column():
    values = [0, 5, 10, 99.9, 100, 1e3, 1e6, -1, None, float("nan"), pd.NA, "12", "x", True]
    for bounds in (report_words.SIZE_BOUNDS, report_words.DISTANCE_BOUNDS):
        column = report_words.class_index(values, bounds)
        assert [report_words._class_of(v, bounds) for v in values] == list(column)
    assert report_words.size_class(None, "t/an") == report_words.NOT_GIVEN["fr"]
