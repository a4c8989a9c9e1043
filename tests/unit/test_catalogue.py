"""The resource catalogue: built-in tables, LER resolution, compatibilities, user tables."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from eit_synergies.core.catalogue import (
    DIMENSION_UNITS,
    Catalogue,
    Compatibility,
    Resource,
)
from eit_synergies.core.errors import EitError

DATA = Path(__file__).resolve().parents[1] / "data" / "catalogue"
OFFICIAL = DATA / "ler_liste_officielle.csv"  # copy of the official list, not of core/data

FAMILIES = {
    "organic",
    "wood",
    "energy",
    "water",
    "mineral",
    "recyclable",
    "chemical",
    "other_waste",
    "service",
    "equipment",
    "purchase",
    "skills",
    "space",
}
REQUIRED_CODES = """
ORG_GREEN_WASTE ORG_BIOWASTE ORG_FOOD_WASTE ORG_MANURE ORG_SLURRY ORG_SEWAGE_SLUDGE
ORG_GLYCERINE ORG_DIGESTATE ORG_COMPOST ORG_SOIL_AMENDMENT ORG_DIGESTER_FEEDSTOCK WOOD_SAWDUST
WOOD_CHIPS WOOD_BARK WOOD_PALLETS WOOD_OFFCUTS EN_HEAT_LT EN_HEAT_MT EN_HEAT_HT EN_STEAM
EN_BIOGAS EN_HEAT_NEED WAT_PROCESS WAT_COOLING WAT_TREATED_WASTEWATER WAT_RAINWATER
MIN_INERT_RUBBLE MIN_GYPSUM MIN_ASH REC_PAPER_CARDBOARD REC_PLASTIC REC_METAL_FERROUS
REC_METAL_NONFERROUS REC_GLASS REC_TEXTILE CHEM_SOLVENT CHEM_USED_OIL SRV_WASTE_COLLECTION
SRV_MAINTENANCE SRV_SECURITY SRV_CLEANING SRV_CATERING SRV_TRAINING SRV_LOGISTICS EQ_SHREDDER
EQ_FORKLIFT EQ_COLD_ROOM EQ_WEIGHBRIDGE EQ_VEHICLE EQ_MEETING_ROOM PUR_ENERGY PUR_CONSUMABLES
PUR_PACKAGING SKL_SHARED_EMPLOYEE SKL_SKILLS SPC_STORAGE SPC_LAND OTHER_WASTE_NH OTHER_WASTE_H
EN_BIOMASS_FUEL AGR_BEDDING MIN_AGGREGATES
""".split()
# materials people count by volume (skips, trailers, tanks): each needs a bulk density
VOLUME_COUNTED = """
ORG_GREEN_WASTE ORG_BIOWASTE ORG_MANURE ORG_SLURRY ORG_SEWAGE_SLUDGE ORG_DIGESTATE ORG_COMPOST
ORG_GLYCERINE ORG_WHEY ORG_MULCH WOOD_SAWDUST WOOD_SHAVINGS WOOD_CHIPS WOOD_BARK WOOD_OFFCUTS
EN_BIOMASS_FUEL MIN_INERT_RUBBLE MIN_EXCAVATED_SOIL MIN_AGGREGATES WAT_PROCESS WAT_COOLING
WAT_TREATED_WASTEWATER WAT_RAINWATER
""".split()


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return Catalogue.builtin()


@pytest.fixture(scope="module")
def official() -> list[dict]:
    with open(OFFICIAL, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# ----------------------------------------------------------------- built-in tables


def test_builtin_is_cached(cat):
    assert Catalogue.builtin() is cat


def test_at_least_80_resources_covering_every_family(cat):
    frame = cat.resources_frame
    assert len(frame) >= 80 and len(cat) == len(frame)
    assert set(frame["family"]) == FAMILIES
    assert set(cat.families_frame["code"]) == FAMILIES
    assert frame["code"].is_unique


def test_required_codes_exist(cat):
    missing = [code for code in REQUIRED_CODES if code not in cat]
    assert not missing


def test_resource_fields_are_consistent(cat):
    families = cat.families_frame.set_index("code")
    for res in cat.resources.values():
        assert isinstance(res, Resource)
        assert res.code == res.code.upper() and res.code.isascii()
        assert res.synergy_type in ("substitution", "mutualisation")
        assert res.synergy_type == families.loc[res.family, "synergy_type"]
        assert res.default_unit == DIMENSION_UNITS[res.dimension]
        assert res.max_distance_km > 0
        assert res.distance_source.strip(), res.code
        assert res.label_fr.strip() and res.label_en.strip()
        if res.density_t_per_m3 is not None:
            assert 0 < res.density_t_per_m3 < 3, res.code
            assert res.density_source.strip(), res.code


def test_mutualisation_families_are_the_pooling_ones(cat):
    frame = cat.resources_frame
    pooled = set(frame.loc[frame["synergy_type"] == "mutualisation", "family"])
    assert pooled == {"service", "equipment", "purchase", "skills", "space"}


def test_volume_counted_materials_have_a_density(cat):
    missing = [c for c in VOLUME_COUNTED if cat.get(c).density_t_per_m3 is None]
    assert not missing


def test_family_colours_are_distinct_hex(cat):
    colours = cat.families_frame["colour"]
    assert colours.str.fullmatch(r"#[0-9A-Fa-f]{6}").all()
    assert colours.str.upper().is_unique


def test_distances_follow_the_cited_orders_of_magnitude(cat):
    km = cat.max_distance_km()
    assert km["REC_PLASTIC"] == pytest.approx(33)  # NISP median, Jensen et al. 2011
    assert "Jensen" in cat.get("REC_PLASTIC").distance_source
    assert km["ORG_DIGESTER_FEEDSTOCK"] == pytest.approx(15)
    assert km["EN_HEAT_LT"] < km["EN_HEAT_MT"] < km["EN_HEAT_HT"] <= 10
    assert max(km[c] for c in km if c.startswith(("EQ_", "SPC_"))) <= 20


# ----------------------------------------------------------------- LER codes


def test_every_official_ler_code_resolves(cat, official):
    assert len(official) == 842
    for rec in official:
        found = cat.resolve(rec["code"])
        assert found.ler_code == rec["code"]
        assert found.resource.code in cat


def test_hazardous_flags_match_the_star_of_the_official_list(cat, official):
    for rec in official:
        starred = rec["code_affiche"].strip().endswith("*")
        assert cat.resolve(rec["code"]).hazardous is starred, rec["code"]
    assert sum(r["code_affiche"].endswith("*") for r in official) == 408


def test_ler_frame_matches_the_official_list(cat, official):
    ler = cat.ler_frame.set_index("ler_code")
    assert len(ler) == 842 and ler.index.is_unique
    for rec in official:
        assert ler.loc[rec["code"], "label_fr"] == rec["libelle_fr"].strip()
        assert ler.loc[rec["code"], "chapter"] == rec["chapitre"]
    assert set(ler["mapping"].str.split(":").str[0]) <= {"specific", "rule"}


@pytest.mark.parametrize(
    "spellings",
    [
        ("020103", "02 01 03", "02 01 03*", "02.01.03"),
        ("200201", "20 02 01", "20 02 01*", "20.02.01"),
        ("160601", "16 06 01", "16 06 01*", "16.06.01"),
    ],
)
def test_spellings_of_a_ler_code_resolve_identically(cat, spellings):
    found = [cat.resolve(s) for s in spellings]
    assert len({(f.resource.code, f.ler_code, f.hazardous) for f in found}) == 1
    assert [f.text for f in found] == list(spellings)


@pytest.mark.parametrize(
    ("text", "resource", "hazardous"),
    [
        ("200201", "ORG_GREEN_WASTE", False),
        ("200108", "ORG_BIOWASTE", False),
        ("030105", "WOOD_SAWDUST", False),
        ("030101", "WOOD_BARK", False),
        ("150103", "WOOD_PALLETS", False),
        ("020106", "ORG_MANURE", False),
        ("190805", "ORG_SEWAGE_SLUDGE", False),
        ("190606", "ORG_DIGESTATE", False),
        ("170107", "MIN_INERT_RUBBLE", False),
        ("170802", "MIN_PLASTERBOARD", False),
        ("100101", "MIN_BOTTOM_ASH", False),
        ("150101", "REC_PAPER_CARDBOARD", False),
        ("130205", "CHEM_ENGINE_OIL", True),
        ("140603", "CHEM_SOLVENT_NONHALO", True),
        ("170106", "OTHER_WASTE_H", True),
        ("200301", "OTHER_WASTE_NH", False),
        ("180103", "OTHER_WASTE_HEALTHCARE", True),
    ],
)
def test_specific_codes_go_to_specific_resources(cat, text, resource, hazardous):
    found = cat.resolve(text)
    assert (found.resource.code, found.hazardous) == (resource, hazardous)


def test_hazardous_codes_never_land_on_clean_material_resources(cat):
    ler = cat.ler_frame
    hazardous = ler.loc[ler["hazardous"], "resource"]
    families = hazardous.map(lambda code: cat.get(code).family)
    clean = {"organic", "mineral", "water", "energy"}
    assert not families.isin(clean).any(), hazardous[families.isin(clean)].unique()


def test_spreadsheet_mangled_and_labelled_ler_codes(cat):
    assert cat.resolve(20103).ler_code == "020103"  # leading zero lost
    assert cat.resolve("200201.0").ler_code == "200201"
    assert cat.resolve(200201.0).ler_code == "200201"
    assert cat.resolve("20 02 01 - déchets verts").resource.code == "ORG_GREEN_WASTE"


def test_unknown_ler_like_code_suggests_ler_codes(cat):
    with pytest.raises(EitError) as info:
        cat.resolve("99 01 01")
    assert info.value.code == "unknown_resource"
    assert len(info.value.data["suggestions"]) == 3
    assert all(len(s) == 6 and s.isdigit() for s in info.value.data["suggestions"])


# ----------------------------------------------------------------- codes and suggestions


def test_catalogue_codes_resolve_case_insensitively(cat):
    for text in ("ORG_GREEN_WASTE", " org_green_waste ", "Org-Green-Waste", "org green waste"):
        found = cat.resolve(text)
        assert (found.resource.code, found.ler_code, found.hazardous) == (
            "ORG_GREEN_WASTE",
            None,
            False,
        )


def test_unknown_code_gives_three_suggestions(cat):
    with pytest.raises(EitError) as info:
        cat.resolve("ORG_GREN_WAST")  # shaped like a code: never read as words
    err = info.value
    assert err.code == "unknown_resource"
    assert err.data["text"] == "ORG_GREN_WAST"
    assert len(err.data["suggestions"]) == 3
    assert err.data["suggestions"][0] == "ORG_GREEN_WASTE"


def test_mistyped_words_resolve_from_text_with_a_confidence(cat):
    found = cat.resolve("GREEN WAST")
    assert found.resource.code == "ORG_GREEN_WASTE" and found.from_text
    assert 0.7 <= found.confidence < 1


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("dechets verts", "ORG_GREEN_WASTE"),
        ("sciure", "WOOD_SAWDUST"),
        ("broyeur", "EQ_SHREDDER"),
        ("fumier", "ORG_MANURE"),
        ("cardboard", "REC_CARDBOARD"),
    ],
)
def test_suggestions_use_french_and_english_labels(cat, text, first):
    assert cat.suggest(text)[0] == first
    assert len(cat.suggest(text, limit=5)) == 5


def test_get_raises_eit_error_not_key_error(cat):
    assert cat.get("wood_chips").code == "WOOD_CHIPS"
    with pytest.raises(EitError) as info:
        cat.get("WOOD_CHIPZ")
    assert info.value.code == "unknown_resource"
    assert info.value.data["suggestions"][0] == "WOOD_CHIPS"


def test_empty_text_is_a_missing_resource(cat):
    for empty in ("", "   ", None, float("nan")):
        with pytest.raises(EitError) as info:
            cat.resolve(empty)
        assert info.value.code == "missing_resource"


def test_resolve_many_matches_resolve_row_by_row(cat):
    texts = pd.Series(
        ["20 02 01", "ORG_MANURE", None, "nope", "16 06 01*", "20 02 01", "", "org_manure"],
        index=[10, 11, 12, 13, 14, 15, 16, 17],
    )
    out = cat.resolve_many(texts)
    assert list(out.index) == list(texts.index)
    assert list(out.columns) == [
        "resource",
        "ler_code",
        "hazardous",
        "error_code",
        "suggestions",
        "from_text",
        "confidence",
    ]
    assert out["resource"].tolist() == [
        "ORG_GREEN_WASTE",
        "ORG_MANURE",
        None,
        None,
        "REC_LEAD_BATTERIES",
        "ORG_GREEN_WASTE",
        None,
        "ORG_MANURE",
    ]
    assert out["ler_code"].tolist() == [
        "200201",
        None,
        None,
        None,
        "160601",
        "200201",
        None,
        None,
    ]
    assert out["hazardous"].tolist() == [False, False, False, False, True, False, False, False]
    assert out["error_code"].tolist() == [
        None,
        None,
        "missing_resource",
        "unknown_resource",
        None,
        None,
        "missing_resource",
        None,
    ]
    assert list(out.loc[13, "suggestions"]) == cat.suggest("nope")
    assert out.loc[10, "suggestions"] == ()


def test_resolve_many_resolves_each_distinct_value_once(cat, monkeypatch):
    calls = []
    original = Catalogue.resolve

    def counting(self, text):
        calls.append(text)
        return original(self, text)

    monkeypatch.setattr(Catalogue, "resolve", counting)
    texts = pd.Series(["20 02 01", "ORG_MANURE", "20 02 01"] * 1000)
    out = cat.resolve_many(texts)
    assert len(out) == 3000 and out["resource"].notna().all()
    assert sorted(calls) == ["20 02 01", "ORG_MANURE"]


# ----------------------------------------------------------------- compatibility


def test_at_least_100_non_identity_pairs_with_valid_ends(cat):
    frame = cat.compatibility_frame
    assert (frame["supply_resource"] != frame["need_resource"]).all()
    assert len(frame) >= 100
    assert frame["supply_resource"].isin(cat.resources_frame["code"]).all()
    assert frame["need_resource"].isin(cat.resources_frame["code"]).all()
    assert frame["factor"].between(0, 1).all()
    assert not frame.duplicated(["supply_resource", "need_resource"]).any()
    for column in ("explanation_fr", "explanation_en", "source"):
        assert frame[column].str.strip().str.len().gt(0).all(), column


@pytest.mark.parametrize(
    ("supply", "need"),
    [
        ("ORG_GREEN_WASTE", "ORG_SOIL_AMENDMENT"),
        ("ORG_GREEN_WASTE", "ORG_COMPOST"),
        ("ORG_GREEN_WASTE", "ORG_DIGESTER_FEEDSTOCK"),
        ("ORG_BIOWASTE", "ORG_DIGESTER_FEEDSTOCK"),
        ("ORG_FOOD_WASTE", "ORG_DIGESTER_FEEDSTOCK"),
        ("ORG_GLYCERINE", "ORG_DIGESTER_FEEDSTOCK"),
        ("ORG_MANURE", "ORG_DIGESTER_FEEDSTOCK"),
        ("ORG_SLURRY", "ORG_DIGESTER_FEEDSTOCK"),
        ("ORG_WHEY", "ORG_DIGESTER_FEEDSTOCK"),
        ("ORG_SPENT_GRAIN", "ORG_DIGESTER_FEEDSTOCK"),
        ("ORG_DIGESTATE", "ORG_SOIL_AMENDMENT"),
        ("ORG_COMPOST", "ORG_SOIL_AMENDMENT"),
        ("EN_HEAT_HT", "EN_HEAT_MT"),
        ("EN_HEAT_MT", "EN_HEAT_LT"),
        ("EN_HEAT_HT", "EN_HEAT_NEED"),
        ("EN_HEAT_MT", "EN_HEAT_NEED"),
        ("EN_STEAM", "EN_HEAT_NEED"),
        ("WOOD_CHIPS", "EN_BIOMASS_FUEL"),
        ("WOOD_SAWDUST", "EN_BIOMASS_FUEL"),
        ("WOOD_BARK", "EN_BIOMASS_FUEL"),
        ("WOOD_OFFCUTS", "EN_BIOMASS_FUEL"),
        ("WOOD_SAWDUST", "AGR_BEDDING"),
        ("WOOD_CHIPS", "AGR_BEDDING"),
        ("WOOD_SAWDUST", "WOOD_PELLETS"),
        ("MIN_ASH", "ORG_SOIL_AMENDMENT"),
        ("MIN_ASH", "MIN_CEMENT_RAW"),
        ("MIN_GYPSUM", "MIN_CEMENT_RAW"),
        ("MIN_INERT_RUBBLE", "MIN_AGGREGATES"),
        ("WAT_TREATED_WASTEWATER", "WAT_PROCESS"),
        ("WAT_RAINWATER", "WAT_PROCESS"),
        ("WAT_COOLING", "EN_HEAT_LT"),
        ("REC_PAPER_CARDBOARD", "PUR_PACKAGING"),
    ],
)
def test_symbiosis_practice_pairs_exist(cat, supply, need):
    pair = cat.compatibility(supply, need)
    assert isinstance(pair, Compatibility) and 0 < pair.factor <= 1
    assert pair.source.strip()


def test_heat_cascade_only_goes_down(cat):
    assert cat.compatibility("EN_HEAT_LT", "EN_HEAT_HT") is None
    assert cat.compatibility("EN_HEAT_LT", "EN_HEAT_MT") is None
    assert cat.compatibility("EN_HEAT_MT", "EN_HEAT_HT") is None


def test_identity_is_implicit_with_factor_one(cat):
    pair = cat.compatibility("org_manure", "ORG_MANURE")
    assert (pair.supply, pair.need, pair.factor) == ("ORG_MANURE", "ORG_MANURE", 1.0)
    needs = cat.compatible_needs("ORG_GREEN_WASTE")
    assert needs["ORG_GREEN_WASTE"].factor == 1.0
    assert {"ORG_SOIL_AMENDMENT", "ORG_COMPOST", "ORG_DIGESTER_FEEDSTOCK"} <= set(needs)
    assert cat.compatibility("ORG_MANURE", "EQ_FORKLIFT") is None
    assert cat.compatible_needs("SPC_PARKING") == {
        "SPC_PARKING": pair.__class__(
            "SPC_PARKING", "SPC_PARKING", 1.0, "Même ressource", "Same resource", "identity"
        )
    }


def test_cross_dimension_pairs_are_fuels_or_known(cat):
    """Substitution pairs across dimensions are fuels with a calorific value (a mass fuel for
    an energy need), heat carried by water, or a short known list."""
    frame = cat.compatibility_frame
    res = cat.resources
    known = {
        ("WAT_INDUSTRIAL_EFFLUENT", "ORG_DIGESTER_FEEDSTOCK"),
        ("EN_CHARCOAL", "ORG_SOIL_AMENDMENT"),
        ("EN_COKE_OVEN_GAS", "CHEM_HYDROGEN"),
        ("ORG_ABP_CAT1", "EN_COAL"),
        ("REC_TYRES", "EN_COAL"),
        ("ORG_VEG_OIL_RESIDUES", "EN_BIOFUEL_LIQUID"),
    }
    for s, n in zip(frame["supply_resource"], frame["need_resource"], strict=True):
        a, b = res[s], res[n]
        if a.dimension == b.dimension or a.synergy_type == "mutualisation":
            continue
        fuel = {a.dimension, b.dimension} == {"mass", "energy"} and (
            a.lhv_mwh_per_t or b.lhv_mwh_per_t
        )
        heat_in_water = s.startswith("WAT_") and n.startswith("EN_HEAT")
        assert fuel or heat_in_water or (s, n) in known, (s, n)
    assert not cat.same_dimension("WAT_COOLING", "EN_HEAT_LT")
    assert cat.same_dimension("ORG_GREEN_WASTE", "ORG_SOIL_AMENDMENT")


# ----------------------------------------------------------------- user tables


def test_load_without_tables_is_the_builtin(cat):
    assert Catalogue.load() is cat


def test_user_resources_extend_and_override(tmp_path, cat):
    path = tmp_path / "mes_ressources.csv"
    path.write_text(
        "code;libelle_fr;label_en;famille;dimension;distance_max_km;densite\n"
        "ORG_HOP_RESIDUES;Résidus de houblon;Hop residues;organic;mass;25;0,35\n"
        "ORG_GREEN_WASTE;;;;;40;\n",
        encoding="utf-8",
    )
    user = Catalogue.load(resources=path)
    assert len(user) == len(cat) + 1
    hops = user.get("org_hop_residues")
    assert (hops.family, hops.synergy_type, hops.default_unit) == ("organic", "substitution", "t")
    assert hops.max_distance_km == 25 and hops.density_t_per_m3 == pytest.approx(0.35)
    assert "mes_ressources.csv" in hops.distance_source
    green = user.get("ORG_GREEN_WASTE")
    assert green.max_distance_km == 40
    assert green.label_fr == cat.get("ORG_GREEN_WASTE").label_fr  # empty cells keep built-in
    assert green.density_t_per_m3 == cat.get("ORG_GREEN_WASTE").density_t_per_m3
    assert "mes_ressources.csv" in green.distance_source
    assert cat.get("ORG_GREEN_WASTE").max_distance_km == 15  # built-in untouched
    assert user.resolve("20 02 01").resource.max_distance_km == 40


def test_user_compatibility_extends_and_overrides(cat):
    resources = pd.DataFrame(
        {
            "code": ["ORG_HOP_RESIDUES"],
            "label_en": ["Hop residues"],
            "family": ["organic"],
            "dimension": ["mass"],
            "max_distance_km": [25],
        }
    )
    pairs = pd.DataFrame(
        {
            "supply": ["ORG_HOP_RESIDUES", "ORG_GREEN_WASTE", "20 02 01"],
            "need": ["ORG_DIGESTER_FEEDSTOCK", "ORG_SOIL_AMENDMENT", "AGR_BEDDING"],
            "factor": ["0,7", 0.2, 0.1],
        }
    )
    user = Catalogue.load(resources=resources, compatibility=pairs)
    assert user.compatibility("ORG_HOP_RESIDUES", "ORG_DIGESTER_FEEDSTOCK").factor == 0.7
    assert user.compatibility("ORG_GREEN_WASTE", "ORG_SOIL_AMENDMENT").factor == 0.2
    assert user.compatibility("ORG_GREEN_WASTE", "AGR_BEDDING").factor == 0.1
    assert cat.compatibility("ORG_GREEN_WASTE", "ORG_SOIL_AMENDMENT").factor == 0.6
    assert len(user.compatibility_frame) == len(cat.compatibility_frame) + 2
    assert user.get("ORG_HOP_RESIDUES").label_fr == "Hop residues"


def test_user_tables_from_xlsx(tmp_path):
    path = tmp_path / "resources.xlsx"
    pd.DataFrame(
        {
            "code": ["SRV_BEEKEEPING"],
            "label_fr": ["Apiculture"],
            "family": ["service"],
            "dimension": ["time"],
            "max_distance_km": [12],
        }
    ).to_excel(path, index=False)
    user = Catalogue.load(resources=path)
    res = user.get("SRV_BEEKEEPING")
    assert (res.synergy_type, res.default_unit, res.max_distance_km) == ("mutualisation", "h", 12)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("ORG_NEW;Nouveau;organic;mass;-3", "max_distance_km"),
        ("ORG_NEW;Nouveau;organics;mass;10", "family"),
        ("ORG_NEW;Nouveau;organic;weight;10", "dimension"),
        ("ORG_NEW;Nouveau;organic;mass;", "max_distance_km"),
        ("ORG_NEW;Nouveau;organic;mass;dix", "max_distance_km"),
        ("1ORG;Nouveau;organic;mass;10", "code"),
        ("ORG_NEW;;organic;mass;10", "label_fr"),
        ("ORG_NEW;Nouveau;organic;mass;10;de trop", "too_many_fields"),  # a broken line
    ],
)
def test_bad_user_resources_name_file_row_and_field(tmp_path, line, field):
    path = tmp_path / "bad.csv"
    path.write_text(
        "code;label_fr;family;dimension;max_distance_km\n"
        "ORG_OK;Bien;organic;mass;5\n" + line + "\n",
        encoding="utf-8",
    )
    with pytest.raises(EitError) as info:
        Catalogue.load(resources=path)
    err = info.value
    assert err.code == "invalid_catalogue_table"
    assert (err.data["file"], err.data["row"], err.data["field"]) == ("bad.csv", 3, field)
    assert "bad.csv" in str(err) and "row 3" in str(err)


def test_bad_user_compatibility_names_file_row_and_field(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text(
        "supply_resource,need_resource,factor\n"
        "ORG_MANURE,ORG_SOIL_AMENDMENT,0.5\n"
        "ORG_MANURE,AGR_BEDING,0.5\n"
        "ORG_MANURE,ORG_COMPOST,1.5\n",
        encoding="utf-8",
    )
    with pytest.raises(EitError) as info:
        Catalogue.load(compatibility=path)
    err = info.value
    assert (err.data["file"], err.data["row"], err.data["field"]) == (
        "pairs.csv",
        3,
        "need_resource",
    )
    assert "AGR_BEDDING" in err.data["reason"]
    assert [(p["row"], p["field"]) for p in err.data["problems"]] == [
        (3, "need_resource"),
        (4, "factor"),
    ]


def test_duplicate_and_identity_rows_are_refused(tmp_path):
    dup = pd.DataFrame(
        {
            "code": ["X_A", "x_a"],
            "label_fr": ["a", "b"],
            "family": ["other_waste"] * 2,
            "dimension": ["mass"] * 2,
            "max_distance_km": [1, 1],
        }
    )
    with pytest.raises(EitError) as info:
        Catalogue.load(resources=dup)
    assert info.value.data["row"] == 3 and info.value.data["field"] == "code"
    ident = pd.DataFrame({"supply": ["ORG_MANURE"], "need": ["02 01 06"], "factor": [1]})
    with pytest.raises(EitError) as info:
        Catalogue.load(compatibility=ident)
    assert info.value.data["field"] == "need_resource"


def test_missing_code_column_is_a_missing_column_error(tmp_path):
    path = tmp_path / "nocode.csv"
    path.write_text("label_fr;family\nTruc;organic\n", encoding="utf-8")
    with pytest.raises(EitError) as info:
        Catalogue.load(resources=path)
    assert info.value.code == "missing_column"
    assert info.value.data["file"] == "nocode.csv"


def test_user_families_extend_and_override(cat):
    families = pd.DataFrame(
        {
            "famille": ["biomaterials", "wood"],
            "libelle_fr": ["Biomatériaux", ""],
            "label_en": ["Bio-based materials", ""],
            "couleur": ["#117733", "#654321"],
            "synergy_type": ["substitution", ""],
        }
    )
    resources = pd.DataFrame(
        {
            "code": ["BIO_HEMP_SHIVES"],
            "label_fr": ["Chènevotte"],
            "family": ["biomaterials"],
            "dimension": ["mass"],
            "max_distance_km": [40],
        }
    )
    user = Catalogue.load(resources=resources, families=families)
    frame = user.families_frame.set_index("code")
    assert frame.loc["biomaterials", "colour"] == "#117733"
    assert frame.loc["wood", "colour"] == "#654321"
    assert (
        frame.loc["wood", "label_fr"]
        == cat.families_frame.set_index("code").loc["wood", "label_fr"]
    )
    assert len(frame) == len(cat.families_frame) + 1
    assert user.get("BIO_HEMP_SHIVES").synergy_type == "substitution"
    with pytest.raises(EitError) as info:  # the built-in catalogue does not know the family
        Catalogue.load(resources=resources)
    assert info.value.data["field"] == "family"


def test_bad_user_family_names_row_and_field():
    families = pd.DataFrame(
        {
            "code": ["textiles2"],
            "label_fr": ["Textiles"],
            "colour": ["red"],
            "synergy_type": ["substitution"],
        }
    )
    with pytest.raises(EitError) as info:
        Catalogue.load(families=families)
    assert (info.value.data["row"], info.value.data["field"]) == (2, "colour")


# ----------------------------------------------------------------- knowledge (issue 13)

CATCH_ALL = DATA / "ler_catch_all.csv"  # reviewed list: codes without a reuse route


def test_catalogue_is_broad_enough_for_real_symbioses(cat):
    assert len(cat) >= 250
    for code in (
        "EN_REFINERY_GAS EN_BLAST_FURNACE_GAS EN_COKE_OVEN_GAS CHEM_SULPHUR CHEM_HYDROGEN "
        "CHEM_SPENT_CATALYST ORG_FERMENTATION_BIOMASS ORG_SPENT_YEAST MIN_FGD_GYPSUM "
        "MIN_FLY_ASH MIN_BOTTOM_ASH REC_CULLET REC_ALUMINIUM REC_PET ORG_POMACE ORG_BRAN "
        "ORG_ABP_CAT3 WOOD_WASTE_A WAT_DEMINERALISED EN_STEAM_LP EN_ELEC_NEED"
    ).split():
        assert code in cat, code


def test_every_code_of_the_ler_has_a_mapping_source(cat):
    ler = cat.ler_frame
    assert ler["mapping_source"].str.strip().str.len().gt(20).all()


def test_catch_all_codes_are_exactly_the_reviewed_list(cat):
    with open(CATCH_ALL, encoding="utf-8", newline="") as fh:
        reviewed = {row["ler_code"]: row for row in csv.DictReader(fh)}
    ler = cat.ler_frame
    caught = ler[ler["resource"].isin(["OTHER_WASTE_NH", "OTHER_WASTE_H"])]
    assert set(caught["ler_code"]) == set(reviewed)
    assert all(row["reason"].strip() for row in reviewed.values())
    assert len(caught) < len(ler) / 2


@pytest.mark.parametrize(
    ("ler_code", "resource"),
    [
        ("070512", "ORG_SLUDGE_CHEMICAL"),  # pharmaceutical effluent sludge
        ("070514", "ORG_FERMENTATION_BIOMASS"),
        ("050116", "CHEM_SULPHUR"),  # sulphur from petroleum desulphurisation
        ("100105", "MIN_FGD_GYPSUM"),
        ("100102", "MIN_FLY_ASH"),
        ("160803", "CHEM_SPENT_CATALYST"),
        ("030305", "ORG_SLUDGE_PAPER"),
        ("020204", "ORG_SLUDGE_FOOD"),
    ],
)
def test_codes_with_reuse_routes_leave_the_catch_all(cat, ler_code, resource):
    assert cat.resolve(ler_code).resource.code == resource


def test_hierarchy_derives_pairs_and_explicit_pairs_win(cat):
    # a kind of a resource serves the resource itself and inherits its needs
    assert cat.compatibility("REC_ALUMINIUM", "REC_METAL_NONFERROUS").factor == pytest.approx(0.9)
    fgd = cat.compatibility("MIN_FGD_GYPSUM", "MIN_CEMENT_RAW")
    assert fgd is not None and "inherited from MIN_GYPSUM" in fgd.source
    assert cat.lineage("REC_LDPE") == ["REC_LDPE", "REC_PLASTIC_FILM", "REC_PLASTIC"]
    explicit = cat.explicit_compatibility_frame
    assert len(explicit) < len(cat.compatibility_frame)
    for rec in explicit.to_dict("records"):
        pair = cat.compatibility(rec["supply_resource"], rec["need_resource"])
        assert pair.factor == pytest.approx(rec["factor"]) and pair.source == rec["source"]


def test_user_resource_with_unknown_parent_is_rejected():
    table = pd.DataFrame(
        [
            {
                "code": "X_NEW",
                "label_fr": "Nouveau",
                "family": "organic",
                "dimension": "mass",
                "max_distance_km": 10,
                "parent": "NOT_A_CODE",
            }
        ]
    )
    with pytest.raises(EitError) as info:
        Catalogue.load(resources=table)
    assert info.value.data["field"] == "parent"


def test_at_least_500_explicit_pairs_each_with_its_source(cat):
    explicit = cat.explicit_compatibility_frame
    assert len(explicit) >= 500
    assert explicit["source"].str.strip().str.len().gt(10).all()
    assert not explicit.duplicated(["supply_resource", "need_resource"]).any()


@pytest.mark.parametrize(
    ("supply", "need"),
    [
        ("EN_REFINERY_GAS", "EN_NATURAL_GAS"),  # Kalundborg: Statoil gas to Gyproc
        ("MIN_FGD_GYPSUM", "MIN_GYPSUM"),  # Asnæs gypsum to Gyproc
        ("ORG_SPENT_YEAST", "ORG_ANIMAL_FEED"),  # Novo Nordisk yeast to pig farms
        ("WAT_TREATED_INDUSTRIAL", "WAT_PROCESS"),  # treated effluent as process water
        ("MIN_BF_SLAG", "MIN_CEMENT_RAW"),  # blast-furnace slag to cement
        ("CHEM_SULPHUR", "CHEM_RAW_MATERIAL"),
    ],
)
def test_documented_exchanges_are_compatible(cat, supply, need):
    assert cat.compatibility(supply, need).factor >= 0.5
