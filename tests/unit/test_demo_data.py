"""The embedded demo territory (data/demo): fictitious actors and flows on the real CCLNB."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from eit_synergies.core.catalogue import Catalogue
from pyproj import Transformer
from shapely.geometry import Point, shape

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
NAF = ROOT / "tests" / "data" / "demo" / "naf_rev2_sous_classes.csv"

CATEGORIES = {
    "entreprise",
    "exploitation_agricole",
    "ehpad",
    "hopital",
    "insertion",
    "collectivite",
    "association",
    "laboratoire",
    "cuma",
}
EXPECTED_COUNTS = {
    "entreprise": 15,
    "exploitation_agricole": 6,
    "ehpad": 3,
    "hopital": 2,
    "insertion": 2,
    "cuma": 1,
    "laboratoire": 1,
}
SUPPLY, NEED = {"gisement", "sortant"}, {"besoin", "entrant"}
UNITS = {"t/an", "m3/an", "MWh/an", "kg/semaine", "m3/mois", "tonnes", "h/an", "unités", "m2"}
WASTE_HEAT = {"EN_HEAT_LT", "EN_HEAT_MT", "EN_HEAT_HT", "EN_STEAM"}


def read_csv(name: str) -> list[dict]:
    with open(DEMO / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def luhn_valid(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        digit = int(ch) * (2 if i % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


@pytest.fixture(scope="module")
def actors() -> dict[str, dict]:
    rows = read_csv("actors.csv")
    assert len({r["identifiant"] for r in rows}) == len(rows), "duplicate actor ids"
    return {r["identifiant"]: r for r in rows}


@pytest.fixture(scope="module")
def flows(actors) -> list[dict]:
    """Flow rows, each with the resolved ``code``, ``side`` and its ``actor`` row."""
    cat = Catalogue.builtin()
    rows = read_csv("flows.csv")
    for row in rows:
        row["code"] = cat.resolve(row["ressource"]).resource.code
        row["side"] = "supply" if row["sens"] in SUPPLY else "need"
        row["actor"] = actors[row["acteur"]]
    return rows


@pytest.fixture(scope="module")
def communes() -> dict[str, dict]:
    data = json.loads((DEMO / "communes.geojson").read_text(encoding="utf-8"))
    return {
        f["properties"]["code_insee"]: {**f["properties"], "shape": shape(f["geometry"])}
        for f in data["features"]
    }


def actors_with(flows, code, side, category=None) -> set[str]:
    codes = {code} if isinstance(code, str) else set(code)
    return {
        f["acteur"]
        for f in flows
        if f["code"] in codes
        and f["side"] == side
        and (category is None or f["actor"]["categorie"] == category)
    }


# ----------------------------------------------------------------- geography


def test_communes_are_the_32_of_the_cclnb(communes):
    assert len(communes) == 32
    assert "58059" in communes and communes["58059"]["nom"] == "La Charité-sur-Loire"
    assert "18049" in communes  # La Chapelle-Montlinard, in the Cher, member of the CC
    perimeter = json.loads((DEMO / "perimetre.geojson").read_text(encoding="utf-8"))
    outline = shape(perimeter["features"][0]["geometry"])
    assert perimeter["features"][0]["properties"]["epci_siren"] == "200068088"
    for commune in communes.values():
        assert outline.buffer(1e-3).contains(commune["shape"].representative_point())


def test_actor_communes_are_cclnb_communes_with_their_postcode(actors, communes):
    for actor in actors.values():
        commune = communes[actor["code_insee"]]
        assert actor["commune"] == commune["nom"]
        assert actor["code_postal"] in commune["codes_postaux"].split(";")


def test_actors_with_coordinates_lie_in_their_commune(actors, communes):
    placed = [a for a in actors.values() if a["longitude"]]
    assert len(placed) >= 0.8 * len(actors)
    assert len(placed) < len(actors), "a few actors must be left for commune placement"
    for actor in placed:
        point = Point(float(actor["longitude"]), float(actor["latitude"]))
        assert communes[actor["code_insee"]]["shape"].contains(point), actor["identifiant"]


# ----------------------------------------------------------------- actors


def test_about_thirty_actors_with_the_expected_categories(actors):
    counts = Counter(a["categorie"] for a in actors.values())
    assert 28 <= len(actors) <= 36
    assert set(counts) <= CATEGORIES
    for category, expected in EXPECTED_COUNTS.items():
        assert counts[category] == expected, category
    assert counts["collectivite"] >= 2  # the forestry office and the waste syndicate at least


def test_names_say_fictitious(actors):
    assert all(a["nom"].endswith(" (fictif)") for a in actors.values())


def test_sirets_are_fictitious_and_fail_the_luhn_check(actors):
    for actor in actors.values():
        siret = actor["siret"]
        assert re.fullmatch(r"000\d{11}", siret), siret
        assert not luhn_valid(siret), siret
        assert not luhn_valid(siret[:9]), siret  # the SIREN part fails too
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")  # the check works


def test_naf_codes_are_real(actors):
    with open(NAF, encoding="utf-8", newline="") as fh:
        codes = {row["code_naf"] for row in csv.DictReader(fh)}
    assert all(a["naf"] in codes for a in actors.values())


def test_some_actors_are_confidential(actors):
    flags = Counter(a["confidentiel"] for a in actors.values())
    assert set(flags) <= {"oui", "non"}
    assert 2 <= flags["oui"] <= 4


# ----------------------------------------------------------------- flows


def test_about_120_flows_with_unique_ids(flows):
    assert 100 <= len(flows) <= 140
    assert len({f["identifiant"] for f in flows}) == len(flows)


def test_every_flow_actor_exists(flows, actors):
    assert {f["acteur"] for f in flows} <= set(actors)


def test_every_resource_resolves_and_both_kinds_of_code_are_used(flows):
    # resolution itself happens in the fixture: an unknown code raises there
    written = [f["ressource"] for f in flows]
    assert any(re.fullmatch(r"\d{2} \d{2} \d{2}", w) for w in written)
    assert any(w.endswith("*") for w in written)
    assert any(re.fullmatch(r"\d{6}", w) for w in written)
    assert sum(w[:1].isalpha() for w in written) > len(written) / 2


def test_flow_fields_use_french_conventions(flows):
    assert {f["sens"] for f in flows} == SUPPLY | NEED
    assert {f["unite"] for f in flows} <= UNITS
    quantities = [f["quantite"] for f in flows]
    for text in quantities:
        assert float(text.replace(" ", "").replace(",", ".")) > 0, text
    assert any("," in q for q in quantities)
    assert "3-10" in {f["mois"] for f in flows}
    assert {f["confidentiel"] for f in flows} <= {"oui", "non"}
    assert sum(f["confidentiel"] == "oui" for f in flows) >= 2


def test_volume_counted_materials_are_given_in_m3(flows):
    cat = Catalogue.builtin()
    in_m3 = {f["code"] for f in flows if f["unite"].startswith("m3")}
    assert {"ORG_GREEN_WASTE", "WOOD_CHIPS"} <= in_m3
    assert all(cat.get(code).density_t_per_m3 for code in in_m3 if code[:3] != "WAT")


# ----------------------------------------------------------------- synergy tracks


def test_green_waste_track(flows):
    landscapers = {
        f["acteur"]
        for f in flows
        if f["code"] == "ORG_GREEN_WASTE"
        and f["side"] == "supply"
        and f["actor"]["naf"] == "81.30Z"
    }
    assert len(landscapers) >= 2
    assert actors_with(flows, "ORG_GREEN_WASTE", "supply", "collectivite")
    assert len(actors_with(flows, "ORG_SOIL_AMENDMENT", "need", "exploitation_agricole")) >= 2
    assert actors_with(flows, "ORG_COMPOST", "need") or actors_with(
        flows, "ORG_GREEN_WASTE", "need"
    )
    seasonal = [f for f in flows if f["code"] == "ORG_GREEN_WASTE" and f["side"] == "supply"]
    assert any(f["mois"] == "3-10" for f in seasonal)


def test_biowaste_and_glycerine_to_the_farm_digester(flows):
    digester = actors_with(flows, "ORG_DIGESTER_FEEDSTOCK", "need", "exploitation_agricole")
    assert len(digester) == 1
    assert len(actors_with(flows, "ORG_BIOWASTE", "supply", "ehpad")) >= 2
    assert len(actors_with(flows, "ORG_BIOWASTE", "supply", "hopital")) >= 1
    assert actors_with(flows, "ORG_BIOWASTE", "supply", "collectivite")  # school canteens
    assert actors_with(flows, "ORG_GLYCERINE", "supply", "entreprise")
    assert digester & actors_with(flows, "EN_HEAT_NEED", "need")  # digester preheating


def test_waste_heat_track(flows):
    assert len(actors_with(flows, WASTE_HEAT, "supply", "entreprise")) >= 2
    heated = actors_with(flows, "EN_HEAT_NEED", "need")
    assert heated & (
        actors_with(flows, "EN_HEAT_NEED", "need", "hopital")
        | actors_with(flows, "EN_HEAT_NEED", "need", "collectivite")
    )


def test_mutualisation_tracks(flows):
    assert actors_with(flows, "EQ_SHREDDER", "supply", "cuma")
    assert len(actors_with(flows, "EQ_SHREDDER", "need")) >= 3
    assert len(actors_with(flows, "SRV_WASTE_COLLECTION", "need", "entreprise")) >= 3
    assert len(actors_with(flows, "PUR_ENERGY", "need")) >= 3
    assert len(actors_with(flows, "PUR_CONSUMABLES", "need")) >= 3


def test_wood_by_product_track(flows):
    wood = {"WOOD_SAWDUST", "WOOD_BARK", "WOOD_CHIPS"}
    suppliers = {f["code"] for f in flows if f["code"] in wood and f["side"] == "supply"}
    assert suppliers == wood
    assert len(actors_with(flows, "AGR_BEDDING", "need", "exploitation_agricole")) >= 2
    assert len(actors_with(flows, "EN_BIOMASS_FUEL", "need")) >= 2


def test_key_tracks_are_within_the_default_distances(flows, communes):
    """Supplier and receiver of each key track are within both resources' default distance."""
    cat = Catalogue.builtin()
    km = cat.max_distance_km()
    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)

    def position(actor):
        if actor["longitude"]:
            lon, lat = float(actor["longitude"]), float(actor["latitude"])
        else:
            point = communes[actor["code_insee"]]["shape"].representative_point()
            lon, lat = point.x, point.y
        return to_l93.transform(lon, lat)

    def reachable(supply_code, need_code):
        pairs = []
        for s in (f for f in flows if f["code"] == supply_code and f["side"] == "supply"):
            for n in (f for f in flows if f["code"] == need_code and f["side"] == "need"):
                (x1, y1), (x2, y2) = position(s["actor"]), position(n["actor"])
                dist = ((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5 / 1000
                if dist <= min(km[supply_code], km[need_code]):
                    pairs.append((s["acteur"], n["acteur"]))
        return pairs

    assert len(reachable("ORG_BIOWASTE", "ORG_DIGESTER_FEEDSTOCK")) >= 4
    assert reachable("ORG_GLYCERINE", "ORG_DIGESTER_FEEDSTOCK")
    assert len(reachable("ORG_GREEN_WASTE", "ORG_SOIL_AMENDMENT")) >= 3
    heat = reachable("EN_HEAT_HT", "EN_HEAT_NEED") + reachable("EN_HEAT_MT", "EN_HEAT_NEED")
    assert len({supplier for supplier, _ in heat}) >= 2
    assert len(heat) >= 3
    assert len(reachable("EQ_SHREDDER", "EQ_SHREDDER")) >= 3
