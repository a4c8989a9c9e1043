"""Resources written in words (core.lexicon): meaning first, then spelling."""

from __future__ import annotations

import pytest
from eit_synergies.core.catalogue import Catalogue
from eit_synergies.core.lexicon import CONFIDENT, analyse, fold, stem


@pytest.fixture(scope="module")
def lex():
    return Catalogue.builtin().lexicon


def test_folding_and_plurals():
    assert fold("Bœufs ÉLAGUÉS, d'été") == "boeufs elagues d ete"
    assert stem("métaux") == stem("métal") or stem(fold("métaux")) == "metal"
    assert stem("eaux") == "eau" and stem("palettes") == "palette"
    tokens, head = analyse("sciure pour litière des volailles")
    assert tokens[0] == "sciure" and head == [True, False, False]


@pytest.mark.parametrize(
    ("text", "resource"),
    [
        ("boues de STEP", "ORG_SEWAGE_SLUDGE"),
        ("DEEE", "REC_WEEE"),
        ("EPI", "PUR_PPE"),
        ("CSR", "EN_SRF"),
        ("DIB", "OTHER_WASTE_MIXED"),
        ("DAE", "OTHER_WASTE_MIXED"),
        ("DASRI", "OTHER_WASTE_HEALTHCARE"),
        ("bois de palettes", "WOOD_PALLETS"),  # issue 13: not ORG_BIOWASTE
        ("copeaux de métal", "REC_METAL_TURNINGS"),  # not wood shavings
        ("fioul", "EN_FUEL_OIL"),  # not foundry sand
        ("engrais", "ORG_FERTILISER"),
        ("coproduits laitiers", "ORG_DAIRY"),  # not slag
        ("PALETTES CASSEES", "WOOD_PALLETS"),  # case and accents
        ("pneus usagés", "REC_TYRES"),
        ("spent grain", "ORG_SPENT_GRAIN"),
    ],
)
def test_practitioners_words_resolve(lex, text, resource):
    found = lex.match(text)
    assert found.resource == resource, found
    assert found.confidence >= CONFIDENT


@pytest.mark.parametrize(
    ("text", "resource"),
    [
        ("chaleur fatale à 45 °C", "EN_HEAT_LT"),
        ("chaleur fatale 90°C", "EN_HEAT_MT"),
        ("waste heat at 300 °C", "EN_HEAT_HT"),
        ("vapeur 15 bar", "EN_STEAM_HP"),
        ("vapeur 3 bar", "EN_STEAM_LP"),
    ],
)
def test_temperature_and_pressure_pick_the_band(lex, text, resource):
    assert lex.match(text).resource == resource


def test_direction_picks_the_side(lex):
    assert lex.match("froid", direction="supply").resource == "EN_COLD"
    assert lex.match("froid", direction="need").resource == "EN_COLD_NEED"
    assert lex.match("besoin de froid").resource == "EN_COLD_NEED"
    assert lex.match("chaleur", direction="need").resource == "EN_HEAT_NEED"


def test_two_materials_in_one_label_are_unsure(lex):
    found = lex.match("cartons et plastiques")
    assert found.resource is None and found.confidence < CONFIDENT
    assert {"REC_CARDBOARD", "REC_PLASTIC"} <= set(found.suggestions)
    assert len(found.suggestions) == 3


def test_gibberish_gets_three_suggestions_and_no_resource(lex):
    found = lex.match("xqzt blorp")
    assert found.resource is None and len(found.suggestions) == 3


def test_every_synonym_points_to_a_catalogue_resource(lex):
    cat = Catalogue.builtin()
    assert all(term.resource in cat for term in lex.terms)
    assert len(lex.terms) > 2000
