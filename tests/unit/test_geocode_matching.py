"""Typo-tolerant matching of the offline geocoder (core/geocode/ban_match.py, fuzzy.py).

A small BAN file is written here with what makes a real département hard: the same street
names in several communes, a postcode shared by two communes, a commune nouvelle whose
addresses carry their former commune's name, streets that differ by one or two letters.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from eit_synergies.core.geocode import ban_index
from eit_synergies.core.geocode.ban_index import INDEX_VERSION, BanIndex, default_index_path
from eit_synergies.core.geocode.ban_match import read_query
from eit_synergies.core.geocode.fuzzy import (
    deletions,
    name_similarity,
    street_score,
    typing_distance,
    word_similarity,
)

HEADER = (
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;"
    "code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;"
    "nom_ld;libelle_acheminement;nom_afnor;source_position;source_nom_voie;"
    "certification_commune;cad_parcelles"
).split(";")
#: (INSEE, name, postcode, former commune code, former commune name, lon, lat, streets)
COMMUNES = [
    (
        "58117",
        "Fourchambault",
        "58600",
        "",
        "",
        3.08,
        47.02,
        ["Route du Cimetière", "Rue des Lices", "Rue Jean Jaurès", "Place de la Mairie"],
    ),
    (
        "58121",
        "Garchizy",
        "58600",
        "",
        "",
        3.10,
        47.05,
        ["Route du Cimetière", "Rue Pierre Brossolette", "Chemin de la Forêt"],
    ),
    (
        "58086",
        "Cosne-Cours-sur-Loire",
        "58200",
        "",
        "",
        2.93,
        47.41,
        ["Rue Bernard de Ventadour", "Rue Jean Jaurès", "Avenue du Général de Gaulle"],
    ),
    (
        "58204",
        "Saint-Pierre-le-Moûtier",
        "58240",
        "",
        "",
        3.11,
        46.79,
        ["Rue des Écoles", "Route de Nevers", "Le Moulin Neuf"],
    ),
    (
        "58041",
        "Vignol-sur-Yonne",
        "58190",
        "58041",
        "Vignol",
        3.67,
        47.37,
        ["Rue de l'Église", "Chemin des Vignes"],
    ),
    (
        "58041",
        "Vignol-sur-Yonne",
        "58190",
        "58150",
        "Saint-Hilaire-en-Morvan",
        3.70,
        47.33,
        ["Rue de l'Église", "Route des Bois"],
    ),
]


def _write_ban(path: Path) -> dict:
    """Write the file; return ``{(commune or former commune, street): [(n, lon, lat)]}``."""
    truth: dict = {}
    rows = []
    for insee, name, pc, old_code, old_name, lon0, lat0, streets in COMMUNES:
        for k, street in enumerate(streets):
            pts = []
            for n in range(1, 21):
                lon = lon0 + 0.004 * k + 0.0002 * n
                lat = lat0 + 0.003 * k + (0.0001 if n % 2 else -0.0001)
                pts.append((n, lon, lat))
                rows.append(
                    [f"{insee}_{k}_{n}", "", n, "", street, pc, insee, name, old_code, old_name]
                    + ["", "", f"{lon:.6f}", f"{lat:.6f}", "entrée", "", "", "", "", "", "", ""]
                    + [""]
                )
            truth[(old_name or name, street)] = pts
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(HEADER)
        w.writerows(rows)
    return truth


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("ban") / "adresses-58.csv"
    truth = _write_ban(path)
    return BanIndex.from_file(path), truth, path


def _at(truth, place, street, number):
    n, lon, lat = truth[(place, street)][number - 1]
    assert n == number
    return lon, lat


def _check(res, truth, place, street, number):
    assert res.precision == "housenumber", res
    assert (res.lon, res.lat) == pytest.approx(_at(truth, place, street, number), abs=1e-6)


# --------------------------------------------------------------------------- the commune


def test_commune_from_a_typo_d_name_without_postcode(built):
    index, truth, _ = built
    # The cases of the issue: a doubled letter, "sut" for "sur", no postcode, one line.
    _check(
        index.geocode("10 Route du Cimetière Fourchambaullt"),
        truth,
        "Fourchambault",
        "Route du Cimetière",
        10,
    )
    _check(
        index.geocode("2 Rue Bernard de Ventadour Cosne-Cours-sut-Loire"),
        truth,
        "Cosne-Cours-sur-Loire",
        "Rue Bernard de Ventadour",
        2,
    )
    # Hyphens missing, "St", "s/", in a commune column.
    res = index.geocode("3 rue des ecoles", city="St Pierre le Moutier")
    _check(res, truth, "Saint-Pierre-le-Moûtier", "Rue des Écoles", 3)
    res = index.geocode("4 rue jean jaures", city="Cosne Cours s/ Loire")
    _check(res, truth, "Cosne-Cours-sur-Loire", "Rue Jean Jaurès", 4)
    # The same street in two communes of one postcode: the typo'd name still decides.
    res = index.geocode("10 route du cimetiere", "58600", "Garchisy")
    _check(res, truth, "Garchizy", "Route du Cimetière", 10)


def test_former_commune_name_picks_its_street(built):
    index, truth, _ = built
    # "Rue de l'Église" exists in both former communes of Vignol-sur-Yonne.
    res = index.geocode("5 rue de l'eglise", None, "Saint-Hilaire-en-Morvan")
    _check(res, truth, "Saint-Hilaire-en-Morvan", "Rue de l'Église", 5)
    assert res.label == "5 Rue de l'Église 58190 Vignol-sur-Yonne"
    res = index.geocode("5 rue de l'eglise st hilaire en morvan")
    _check(res, truth, "Saint-Hilaire-en-Morvan", "Rue de l'Église", 5)
    # With the new commune's name only, it is ambiguous: placed at the commune for review.
    res = index.geocode("5 rue de l'eglise", None, "Vignol-sur-Yonne")
    assert res.precision == "municipality" and res.label == "Vignol-sur-Yonne"
    # A street of a single former commune is found under the new name.
    res = index.geocode("7 route des bois vignol sur yonne")
    _check(res, truth, "Saint-Hilaire-en-Morvan", "Route des Bois", 7)


def test_no_commune_street_search_needs_a_clear_winner(built):
    index, truth, _ = built
    # A street that exists in one commune of the file only.
    res = index.geocode("6 Rue Bernard de Ventadour")
    _check(res, truth, "Cosne-Cours-sur-Loire", "Rue Bernard de Ventadour", 6)
    assert "commune not identified" in res.reason
    # With a typo in the street too.
    res = index.geocode("6 rue pierre brosolette")
    _check(res, truth, "Garchizy", "Rue Pierre Brossolette", 6)
    # A street in two communes, nothing to tell which: left unmatched, with the candidates.
    res = index.geocode("10 Route du Cimetière")
    assert res.status == "unmatched" and math.isnan(res.lon)
    assert "street found in 2 communes (Fourchambault, Garchizy)" in res.reason
    # A commune name too mangled to be recognised first, but close to one holding the street.
    res = index.geocode("8 rue jean jaures cosnne cour loir")
    _check(res, truth, "Cosne-Cours-sur-Loire", "Rue Jean Jaurès", 8)


# --------------------------------------------------------------------------- the query


@pytest.mark.parametrize(
    "address",
    [
        "10 route du cimetiere, 58600 fourchambault",
        "10 route du cimetiere fourchambault 58600",
        "Fourchambault 58600 10 route du cimetière",
        "FOURCHAMBAULT, 10 RTE DU CIMETIERE",
        "10 rte cimetiere - fourchambault",
    ],
)
def test_one_line_in_any_order(built, address):
    index, truth, _ = built
    _check(index.geocode(address), truth, "Fourchambault", "Route du Cimetière", 10)


def test_structured_columns_each_noisy(built):
    index, truth, _ = built
    res = index.geocode("10, rte du cimetiére", "58600", "FOURCHAMBAUT")
    _check(res, truth, "Fourchambault", "Route du Cimetière", 10)
    # A commune column holding "postcode name", an address column holding the commune too.
    res = index.geocode("10 route du cimetiere fourchambault", None, "58600 Fourchambault")
    _check(res, truth, "Fourchambault", "Route du Cimetière", 10)
    res = index.geocode("10 route du cimetiere", None, None, "58117")
    _check(res, truth, "Fourchambault", "Route du Cimetière", 10)


def test_read_query_cuts_the_parts_anywhere():
    q = read_query("Cosne-Cours-sur-Loire 58200 12 bis rue du 8 mai 1945")
    assert (q.number, q.rep, q.postcode) == (12, "bis", "58200")
    assert q.head == ["cosne", "cours", "sur", "loire"]
    assert q.words == ["rue", "du", "8", "mai", "1945"]
    q = read_query("rue du 8 mai 1945, 58200 Cosne")
    assert q.number is None and q.postcode == "58200"
    assert q.words[:5] == ["rue", "du", "8", "mai", "1945"]
    q = read_query("10 route du cimetiere", postcode=58600.0, city="Fourchambault")
    assert (q.number, q.postcode, q.city, q.words) == (
        10,
        "58600",
        "fourchambault",
        ["route", "du", "cimetiere"],
    )


# --------------------------------------------------------------------------- the street


def test_typo_tolerant_streets(built):
    index, truth, _ = built
    cases = [
        ("Chemin de la Frlêt", "58600", "Garchizy", "Garchizy", "Chemin de la Forêt"),
        ("ch de la foret", "", "Garchizy", "Garchizy", "Chemin de la Forêt"),
        ("Rue Jaurès Jean", "58200", "", "Cosne-Cours-sur-Loire", "Rue Jean Jaurès"),
        (
            "av du gal de gaulle",
            "58200",
            "",
            "Cosne-Cours-sur-Loire",
            "Avenue du Général de Gaulle",
        ),
        ("avenue de gaulle", "", "Cosne", "Cosne-Cours-sur-Loire", "Avenue du Général de Gaulle"),
        (
            "Rue Bernnard de Ventadoure",
            "",
            "Cosne",
            "Cosne-Cours-sur-Loire",
            "Rue Bernard de Ventadour",
        ),
        ("Pl. de la Mairei", "58600", "Fourchambault", "Fourchambault", "Place de la Mairie"),
        ("rue des licse", "58600", "Fourchambault", "Fourchambault", "Rue des Lices"),
        ("rue pierrebrossolette", "58600", "Garchizy", "Garchizy", "Rue Pierre Brossolette"),
        (
            "av du general degaulle",
            "58200",
            "",
            "Cosne-Cours-sur-Loire",
            "Avenue du Général de Gaulle",
        ),
    ]
    for street, pc, city, place, expected in cases:
        res = index.geocode(f"9 {street}", pc, city)
        _check(res, truth, place, expected, 9)


def test_absent_streets_are_refused(built):
    index, _truth, _ = built
    for street in (
        "Rue des Lilas",  # two letters from "Rue des Lices"
        "Impasse Jean Jaurès",  # another type of road
        "Rue du Stade",
        "Route de Garchizy",  # the name of a commune, not a street of Fourchambault
        "Place de la Mairie Annexe",
        "Rue Pierre Brossolette",  # a street of Garchizy, same postcode
    ):
        res = index.geocode(f"3 {street}", "58600", "Fourchambault")
        assert res.precision == "municipality", (street, res)
        assert res.label == "Fourchambault"
        assert "not found" in res.reason and res.reason.endswith("placed at the commune")
        assert res.score < 0.6


def test_lieu_dit_without_type(built):
    index, truth, _ = built
    res = index.geocode("4 le moulin neuf st pierre le moutier")
    _check(res, truth, "Saint-Pierre-le-Moûtier", "Le Moulin Neuf", 4)
    res = index.geocode("Moulin Neuf", "58240", "Saint-Pierre-le-Moûtier")
    assert (res.precision, res.status) == ("locality", "approximate")


def test_word_similarity_counts_slips_as_a_typist_makes_them():
    assert word_similarity("cimetiere", "cimetiere") == 1.0
    assert word_similarity("fourchambaullt", "fourchambault") > 0.95  # a doubled letter
    assert word_similarity("frlet", "foret") > 0  # two slips in five letters, first kept
    assert word_similarity("plce", "place") > 0.8  # a letter dropped
    assert word_similarity("pont", "port") == 0.0  # r and n are far apart: another word
    assert word_similarity("lilas", "lices") == 0.0
    assert word_similarity("rue", "route") == 0.0  # two street types are never one typo
    assert typing_distance("gaer", "gare") == 1.0  # two letters swapped
    assert typing_distance("canak", "canal") == 1.0  # the next key
    assert typing_distance("canax", "canal") == 1.5  # a key far away


def test_street_score_needs_the_name_not_only_the_type():
    def score(q, s, qt, st):
        return street_score(q.split(), qt, s.split(), st)

    assert score("rue gare", "rue gare", [True, False], [True, False]) == 1.0
    assert score("rue moulin", "rue gare", [True, False], [True, False]) == 0.0
    # Words in another order, a missing first name.
    assert (
        score("rue jaures jean", "rue jean jaures", [True, False, False], [True] + [False] * 2)
        == 1.0
    )
    assert (
        score("avenue gaulle", "avenue charles gaulle", [True, False], [True, False, False]) > 0.78
    )
    # Another road type, or a word too many, is not the same street.
    assert (
        score("impasse jean jaures", "rue jean jaures", [True, False, False], [True] + [False] * 2)
        < 0.78
    )
    assert score("rue four chaux", "rue four", [True, False, False], [True, False]) < 0.78


def test_names_and_deletions():
    assert name_similarity("cosne cours sut loire", "cosne cours sur loire") > 90
    assert name_similarity("fourchambaullt", "fourchambault") >= 98
    assert name_similarity("garchizy", "fourchambault") < 50
    assert "foret" in deletions("forett", 1) and "frt" in deletions("foret", 2)


# --------------------------------------------------------------------------- the cache


def test_an_index_cached_by_another_version_is_rebuilt(built, monkeypatch):
    _index, _truth, path = built
    cache = default_index_path(path)
    assert cache.is_file()
    with np.load(cache, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "meta"}
        meta = json.loads(str(data["meta"]))
    assert meta["version"] == INDEX_VERSION
    meta["version"] = INDEX_VERSION - 1
    np.savez(cache.open("wb"), meta=np.array(json.dumps(meta)), **arrays)
    rebuilt = BanIndex.from_file(path)
    assert rebuilt.built
    reloaded = BanIndex.from_file(path)
    assert not reloaded.built
    # A cache of the right version that lacks an array is rebuilt, not fatal.
    with np.load(cache, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k not in ("meta", "s_words")}
        meta = json.loads(str(data["meta"]))
    np.savez(cache.open("wb"), meta=np.array(json.dumps(meta)), **arrays)
    assert BanIndex.from_file(path).built
    assert not BanIndex.from_file(path).built
    # Another version of the code reading this cache would rebuild it in turn.
    monkeypatch.setattr(ban_index, "INDEX_VERSION", INDEX_VERSION + 1)
    assert BanIndex.from_file(path).built


def test_abbreviated_month_in_a_date_street():
    from eit_synergies.core.geocode.normalize import normalize_street

    assert normalize_street("Rue du 19 Mar 1962") == "rue du 19 mars 1962"
    assert normalize_street("Av. du Mar. Leclerc") == "avenue du marechal leclerc"
