"""Resources written in words (core.lexicon): meaning first, then spelling."""

from __future__ import annotations

import pytest
from eit_synergies.core.catalogue import Catalogue
from eit_synergies.core.lexicon import CONFIDENT, analyse, analyse_levels, fold, stem


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


def test_phrase_levels_negation_and_classes():
    # "de"/"à" qualify the head, "pour"/"du"/"de la" open the complement
    assert analyse_levels("zinc de toiture") == (["zinc", "toiture"], [0, 1])
    assert analyse_levels("compacteur à cartons")[1] == [0, 1]
    assert analyse_levels("sciure pour litière")[1] == [0, 2]
    # coordinated words keep their level ("taille et d'élagage")
    assert analyse_levels("déchets de taille et d'élagage")[1] == [0, 0, 0]
    # "non" and a class letter or figure stay with their word
    assert analyse_levels("métaux non ferreux")[0] == ["metal", "nonferreu"]
    assert analyse_levels("bois classe A")[0][-1] == "classea"
    assert analyse_levels("catégorie 3")[0] == ["classe3"]
    # state qualifiers fold to one word
    assert analyse_levels("soudes usagées")[0] == analyse_levels("soude usée")[0]
    assert analyse_levels("spent caustic")[0][0] == "use"


@pytest.mark.parametrize(
    ("text", "resource"),
    [
        # a state qualifier picks the spent kind over the fresh one, in both languages
        ("soude usée", "CHEM_SPENT_CAUSTIC"),
        ("soude caustique usagée", "CHEM_SPENT_CAUSTIC"),
        ("spent caustic soda", "CHEM_SPENT_CAUSTIC"),
        ("soude caustique", "CHEM_CAUSTIC_SODA"),
        # soiled water is an effluent, not a need for washing water
        ("eaux de lavage sales", "WAT_INDUSTRIAL_EFFLUENT"),
        ("eau de lavage", "WAT_WASHING"),
        # a negation or a class letter changes the resource
        ("métaux non ferreux", "REC_METAL_NONFERROUS"),
        ("métaux ferreux", "REC_METAL_FERROUS"),
        ("bois classe A", "WOOD_WASTE_A"),
        ("bois de classe B", "WOOD_WASTE_B"),
        ("sous-produits animaux catégorie 1", "ORG_ABP_CAT1"),
        ("sous-produits animaux catégorie 3", "ORG_ABP_CAT3"),
        ("déchets non dangereux", "OTHER_WASTE_NH"),
        # shortenings practitioners write
        ("polypro", "REC_PP"),
        ("tubes fluo", "REC_LAMPS"),
        ("électricité de la cogé", "EN_ELEC_CHP"),
        # the head noun first, its qualifier after "de" or "à"
        ("zinc de toiture", "REC_ZINC"),
        ("compacteur à cartons", "EQ_COMPACTOR"),
        # a kind explains its parent's words ("housse" is a film, PEBD a kind of film)
        ("housse PEBD", "REC_LDPE"),
        # a state word is never dropped from a term: new pallets are bought, lost ones given
        ("palettes neuves", "PUR_PALLETS"),
        ("palettes perdues", "WOOD_PALLETS"),
    ],
)
def test_general_rules(lex, text, resource):
    found = lex.match(text)
    assert found.resource == resource, found
    assert found.confidence >= CONFIDENT


@pytest.mark.parametrize(
    ("text", "resource"),
    [
        ("chaleur des compresseurs", "EN_HEAT_MT"),
        ("chaleur de nos fours", "EN_HEAT_HT"),
        ("chaleur des serveurs informatiques", "EN_HEAT_LT"),
        ("chaleur des compresseurs à 45 °C", "EN_HEAT_LT"),  # a figure wins over the source
        ("besoin de chaleur", "EN_HEAT_NEED"),
    ],
)
def test_heat_named_by_its_source(lex, text, resource):
    assert lex.match(text).resource == resource


def test_group_purchase_names_the_goods(lex):
    assert lex.match("achat groupé d'ordinateurs").resource == "PUR_IT"
    assert lex.match("commande groupée de cartons").resource == "PUR_PACKAGING"
    # a purchase alone is a need for the goods, not a group purchase
    assert lex.match("Achat d'engrais").resource == "ORG_FERTILISER"
    # a term cut down to its purchase words names no goods
    found = lex.match("achats communs de produits d'entretien")
    assert found.resource == "PUR_CLEANING_PRODUCTS"


def test_a_word_only_one_resource_uses_points_to_it(lex):
    # "yaourt" appears only in the dairy by-products' terms ("yaourts périmés")
    found = lex.match("yaourts")
    assert found.resource == "ORG_DAIRY" and found.confidence >= CONFIDENT


def test_waste_words_keep_services_away(lex):
    # "plateaux repas" is catering, their leftovers are biowaste
    assert lex.match("restes de plateaux repas").resource != "SRV_CATERING"
    # unless the service is about waste
    assert lex.match("collecte des déchets").resource == "SRV_WASTE_COLLECTION"


def test_state_words_give_way_to_the_material(lex):
    # "invendus" is a state: the product named with it decides
    assert lex.match("yaourts invendus").resource == "ORG_DAIRY"
    assert lex.match("pain invendu").resource == "ORG_BAKERY"
    # alone, or with words the vocabulary does not know (a place), it is unsold food
    assert lex.match("invendus").resource == "ORG_FOOD_WASTE"
    assert lex.match("invendus de l'hypermarché").resource == "ORG_FOOD_WASTE"


def test_short_words_are_not_typos_of_other_words(lex):
    # "trucs" is not "truck": a four-letter word needs to be very close to be a typo
    assert lex.match("trucs divers").resource != "EQ_VEHICLE"
    # unless the text is a mistyped code
    assert lex.match("ORG_GREN_WAST").suggestions[0] == "ORG_GREEN_WASTE"


def test_a_typo_is_one_edit_in_a_short_word(lex):
    assert lex.match("palette casée").resource == "WOOD_PALLETS"
    assert lex.match("ferraile").resource == "REC_METAL_FERROUS"
    # two edits away is another word: "isolants" (insulation) are not "solvants"
    assert lex.match("isolants").resource is None


def test_shared_pooled_common_are_one_word(lex):
    assert analyse_levels("collecte commune")[0] == analyse_levels("collecte mutualisée")[0]
    # "centrale solaire partagée" is a term: "collective" says the same
    assert lex.match("centrale solaire collective").resource == "EQ_SOLAR_PLANT"
    assert lex.match("centrale solaire").resource == "EN_ELEC_PV"


def test_the_head_noun_names_the_thing(lex):
    # "poids lourds" qualifies the tyres: never a confident vehicle
    found = lex.match("pneumatiques de poids lourds")
    assert found.resource != "EQ_VEHICLE" and found.suggestions[0] == "REC_TYRES"
    # a form of waste is named by what follows it
    assert lex.match("boues de bac à graisse").resource == "ORG_GREASE_TRAP"


def test_worn_or_soiled_things_are_not_purchases(lex):
    # a state qualifier is a sign of waste: "EPI usagés" are not a purchase of PPE
    assert lex.match("EPI usagés").resource != "PUR_PPE"
    assert lex.match("gants souillés").resource != "PUR_PPE"
    # unless the service is about waste
    assert lex.match("collecte des huiles usagées").resource == "SRV_WASTE_COLLECTION"


def test_french_tea_is_not_the_english_article():
    assert analyse_levels("feuilles de thé")[0] == ["feuille", "the"]
    assert analyse_levels("the canteen waste")[0][0] == "canteen"
