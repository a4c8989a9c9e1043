"""Address normalisation and parsing (core/geocode/normalize.py)."""

from __future__ import annotations

import pytest
from eit_synergies.core.geocode.normalize import (
    commune_key,
    is_locality_name,
    normalize_insee,
    normalize_postcode,
    normalize_street,
    normalize_text,
    parse_address,
    same_repetition,
    split_street,
    street_key,
    strip_accents,
)


def test_text_is_lowercase_ascii_without_punctuation():
    assert strip_accents("Église Œuvre à Noël") == "Eglise OEuvre a Noel"
    assert normalize_text("  Place de l'Église,  N°3 ") == "place de l eglise n 3"
    assert normalize_text(None) == ""
    assert normalize_text(float("nan")) == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Av. du Gal de Gaulle", "avenue du general de gaulle"),
        ("ave Foch", "avenue foch"),
        ("BD Victor Hugo", "boulevard victor hugo"),
        ("boul. Carnot", "boulevard carnot"),
        ("pl. de la Mairie", "place de la mairie"),
        ("rte de St-Privat", "route de saint privat"),
        ("chem. des Cancous", "chemin des cancous"),
        ("ch des Vignes", "chemin des vignes"),
        ("imp. Durieux", "impasse durieux"),
        ("all. des Étangs", "allee des etangs"),
        ("r. du Bac", "rue du bac"),
        ("fg Saint-Jacques", "faubourg saint jacques"),
        ("fbg du Pont", "faubourg du pont"),
        ("sq. Ste-Claire", "square sainte claire"),
        ("ZA des Grands Champs", "zone d activite des grands champs"),
        ("Z.I. du Port", "zone industrielle du port"),
        ("lieu dit Les Granges", "lieudit les granges"),
        ("Lieu-dit Le Sirieix", "lieudit le sirieix"),
        ("LD la Croix", "lieudit la croix"),
    ],
)
def test_abbreviations_are_expanded(raw, expected):
    assert normalize_street(raw) == expected


def test_street_type_and_core():
    assert split_street("rue de la gare") == ("rue", "gare")
    assert split_street("zone d activite des granges") == ("zone d activite", "granges")
    assert split_street("le sirieix") == ("", "sirieix")
    assert split_street("grande rue") == ("grande rue", "grande rue")
    assert street_key("Rue de la Porte Basse") == street_key("r. porte basse")


def test_lieu_dit_names_are_localities():
    assert is_locality_name(normalize_street("Le Sirieix"))
    assert is_locality_name(normalize_street("Lieu-dit les Granges"))
    assert not is_locality_name(normalize_street("Rue du Sirieix"))
    assert not is_locality_name(normalize_street("Grande Rue"))
    assert not is_locality_name(normalize_street("Lotissement le Mas"))


def test_commune_key_and_codes():
    assert commune_key("La Charité-sur-Loire") == "charite sur loire"
    assert commune_key("St Martin d'Heuille") == "saint martin heuille"
    assert normalize_postcode(58400.0) == "58400"
    assert normalize_postcode(" 1 000 ") == "01000"
    assert normalize_postcode("abc") == ""
    assert normalize_insee(1053) == "01053"
    assert normalize_insee("2a004") == "2A004"
    assert normalize_insee("58 059") == ""


def test_repetition_letters_match_latin_words():
    assert same_repetition("b", "bis")
    assert same_repetition("ter", "t")
    assert not same_repetition("bis", "ter")
    assert same_repetition("", "")


@pytest.mark.parametrize(
    ("text", "number", "rep", "street", "postcode", "commune"),
    [
        (
            "12 bis, av. du Gal de Gaulle 19400 Argentat",
            12,
            "bis",
            "avenue du general de gaulle",
            "19400",
            "argentat",
        ),
        ("12B rue X, 19400 ARGENTAT", 12, "b", "rue x", "19400", "argentat"),
        ("n° 5 rte de St-Privat", 5, "", "route de saint privat", "", ""),
        ("3 Place de l'Église, Allassac", 3, "", "place de l eglise", "", "allassac"),
        ("12 rue X, Argentat 19400", 12, "", "rue x", "19400", "argentat"),
        (
            "Rue du 19 Mars 1962 19240 Allassac",
            None,
            "",
            "rue du 19 mars 1962",
            "19240",
            "allassac",
        ),
        ("12-14 rue des Écoles", 12, "", "rue des ecoles", "", ""),
        ("10234 route de Paris", 10234, "", "route de paris", "", ""),
        (
            "ZI des Grands Champs, BP 12, 58400 La Charité-sur-Loire CEDEX",
            None,
            "",
            "zone industrielle des grands champs",
            "58400",
            "charite sur loire",
        ),
        ("Lieu-dit Le Sirieix 19400 Argentat", None, "", "lieudit le sirieix", "19400", "argentat"),
    ],
)
def test_parse_free_text(text, number, rep, street, postcode, commune):
    p = parse_address(text)
    assert (p.number, p.rep, p.street, p.postcode, p.commune) == (
        number,
        rep,
        street,
        postcode,
        commune,
    )


def test_parse_with_separate_columns_and_split_city():
    p = parse_address("7 ter rue des Prés Hivert Allassac", postcode=19240.0, commune="Allassac")
    assert (p.number, p.rep, p.street, p.postcode, p.commune) == (
        7,
        "ter",
        "rue des pres hivert",
        "19240",
        "allassac",
    )
    # A commune column holding "postcode name" is split.
    p = parse_address("7 rue des Prés", commune="19240 Allassac")
    assert (p.postcode, p.commune) == ("19240", "allassac")
    # A farm addressed by its lieu-dit keeps every part for the matcher.
    p = parse_address("Ferme du Sirieix, lieu dit le Sirieix")
    assert p.segments == ("ferme du sirieix", "lieudit le sirieix")
    assert p.street == "lieudit le sirieix"
    assert parse_address(None).segments == ()
