"""Benchmark: the whole job (``core.pipeline.run_pipeline``) end to end, stage by stage.

Two territories, each run in its own subprocess (so that peak memory is its own):

1. the demo territory (``data/demo/actors.csv`` and ``flows.csv``: 33 actors, 126 flows), run
   twice in the same process (cold: first call after the imports; warm: second call);
2. a synthetic territory (default 5,000 actors and 50,000 flows) spread over a 100 x 100 km
   square centred on La Charité-sur-Loire (WGS84 coordinates, half Nièvre, half Cher). Actors
   sit around the real communes of the Nièvre (``data/reference/communes_58_cclnb.csv``,
   weighted by population) and a few Cher towns, plus a rural background; every actor has
   coordinates (offline geocoding: ``geo_method = given``). Each actor has an archetype
   (sawmill, food industry, foundry, builder, garage, landscaper, shop, farm, nursing home,
   hospital, local authority, integration workshop, association, laboratory, CUMA) whose
   flows it draws: catalogue codes and LER codes written as in waste registers (``20 02 01``,
   ``13 02 05*``, ``150101``), French units (``t/an``, ``kg/semaine``, ``m3/mois``, ``MWh``,
   ``h/an``, ``unités``, ``m²``...), decimal commas and thousands spaces, seasons (``3-10``,
   ``10-4``), some empty quantities, and about 0.1 % of faulty rows. The files are written as
   a French spreadsheet export: ``;``, actors in Latin-1, flows in UTF-8.

Prints the seconds of each stage of ``run_pipeline`` (its ``timings``: read actors, read
flows, geocode, build flows, candidates + allocation, mutualisation groups, figures), the
one-off set-up (imports, catalogue, unit registry: paid once per QGIS session), the peak
resident memory, the counts, and a reference measured in the same run: a plain
``pandas.read_csv`` of the synthetic flows file (its own subprocess).

    .venv/bin/python benchmarks/bench_pipeline.py [--actors 5000 --flows 50000]
    .venv/bin/python benchmarks/bench_pipeline.py --profile   # + cProfile of the slowest stage
    .venv/bin/python benchmarks/bench_pipeline.py --region    # eit:runpipeline vs its floors

``--region`` runs ``eit:runpipeline`` through ``qgis_process`` with its defaults on 5,000
actors / 50,000 flows over 220 x 220 km and prints its ratios (wall and CPU) to two floors
measured in the same run (:func:`floor_pairs`): the pairs of compatible resources within
their default distance, which is what the pipeline searches, and the same-resource pairs.
``--repeat N`` (default 2) rounds of start, compatible floor and run, one after the other;
the ratios compare the best of each (and every round's own ratios are printed).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _support import peak_memory_mb, register_package

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
COMMUNES = ROOT / "data" / "reference" / "communes_58_cclnb.csv"

LON0, LAT0 = 3.0157, 47.1769  # La Charité-sur-Loire
HALF_KM = 50.0
KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON = 111.32 * np.cos(np.radians(LAT0))

#: Cher towns in the square (not in the Nièvre reference table): name, postcode, lon, lat, pop
CHER_TOWNS = [
    ("Bourges", "18000", 2.3987, 47.0810, 64000),
    ("Saint-Germain-du-Puy", "18390", 2.4800, 47.1000, 5000),
    ("Aubigny-sur-Nère", "18700", 2.4397, 47.4878, 5600),
    ("Sancerre", "18300", 2.8386, 47.3316, 1400),
    ("Saint-Satur", "18300", 2.8622, 47.3414, 1500),
    ("Sancoins", "18600", 2.9219, 46.8333, 3000),
    ("La Guerche-sur-l'Aubois", "18150", 2.9497, 46.9506, 3200),
    ("Jouet-sur-l'Aubois", "18320", 2.9890, 47.0450, 1500),
    ("Baugy", "18800", 2.7283, 47.0817, 1600),
]

SUPPLY_WORDS = ["gisement"] * 6 + ["sortant", "Gisement", "offre"]
NEED_WORDS = ["besoin"] * 6 + ["entrant", "Besoin", "demande"]

#: unit spellings by dimension: (unit, weight, typical quantity in that unit)
UNITS = {
    "mass": [("t/an", 8, 30), ("t", 2, 20), ("kg/semaine", 2, 150), ("t/mois", 1, 3)],
    "mass_by_volume": [("t/an", 3, 30), ("m3/an", 4, 120), ("m3/mois", 1, 10)],
    "energy": [("MWh/an", 6, 300), ("MWh", 2, 150), ("kWh/an", 2, 80_000), ("GJ/an", 1, 900)],
    "volume": [("m3/an", 6, 800), ("m3/mois", 2, 60), ("L/j", 1, 900)],
    "time": [("h/an", 6, 150), ("h/mois", 2, 15), ("heures", 1, 100), ("h/semaine", 1, 5)],
    "count": [("unités/an", 4, 40), ("unités", 3, 10), ("u", 1, 5)],
    "area": [("m2", 4, 200), ("m²", 2, 300)],
}

# Flow templates: (code as written, direction s/n/b (both), unit kind, weight, seasons)
_COMMON = [  # what almost every organisation says in an interview
    ("SRV_WASTE_COLLECTION", "n", "count", 2, ""),
    ("PUR_ENERGY", "n", "energy", 2, ""),
    ("PUR_CONSUMABLES", "n", "count", 1, ""),
    ("PUR_OFFICE_SUPPLIES", "n", "count", 1, ""),
    ("PUR_PPE", "n", "count", 1, ""),
    ("SRV_TRAINING", "n", "time", 1, ""),
    ("SRV_SECURITY", "n", "time", 1, ""),
    ("SRV_CLEANING", "n", "time", 1, ""),
    ("SRV_MAINTENANCE", "b", "time", 1, ""),
    ("SKL_SHARED_EMPLOYEE", "b", "time", 1, ""),
    ("SKL_HSE_ADVISOR", "n", "time", 1, ""),
    ("SRV_MOBILITY", "n", "count", 1, ""),
    ("EQ_MEETING_ROOM", "b", "time", 1, ""),
    ("SPC_STORAGE", "b", "area", 1, ""),
    ("15 01 01", "s", "mass", 3, ""),
    ("150102", "s", "mass", 2, ""),
    ("20 03 01", "s", "mass", 2, ""),
    ("EN_HEAT_NEED", "n", "energy", 2, "heat"),
]
ARCHETYPES = {
    # name: (category, NAF, weight, rural share, own templates)
    "scierie": (
        "entreprise",
        "16.10A",
        3,
        0.5,
        [
            ("WOOD_SAWDUST", "s", "mass_by_volume", 4, ""),
            ("03 01 05", "s", "mass_by_volume", 2, ""),
            ("WOOD_BARK", "s", "mass_by_volume", 3, ""),
            ("WOOD_OFFCUTS", "s", "mass", 3, ""),
            ("WOOD_CHIPS", "s", "mass_by_volume", 2, ""),
            ("WOOD_SHAVINGS", "s", "mass_by_volume", 1, ""),
            ("EN_BIOMASS_FUEL", "n", "mass", 1, ""),
            ("EQ_FORKLIFT", "b", "time", 1, ""),
        ],
    ),
    "menuiserie": (
        "entreprise",
        "16.23Z",
        4,
        0.2,
        [
            ("WOOD_SHAVINGS", "s", "mass_by_volume", 3, ""),
            ("WOOD_OFFCUTS", "s", "mass", 3, ""),
            ("17 02 01", "s", "mass", 1, ""),
            ("15 01 03", "s", "mass", 2, ""),
            ("WOOD_PALLETS", "b", "mass", 2, ""),
            ("EQ_SHREDDER", "n", "time", 1, ""),
        ],
    ),
    "agroalimentaire": (
        "entreprise",
        "10.71C",
        4,
        0.3,
        [
            ("02 02 03", "s", "mass", 2, ""),
            ("02 06 01", "s", "mass", 2, ""),
            ("ORG_FOOD_WASTE", "s", "mass", 2, ""),
            ("ORG_WHEY", "s", "mass", 1, ""),
            ("ORG_SPENT_GRAIN", "s", "mass", 1, ""),
            ("EN_HEAT_LT", "s", "energy", 3, ""),
            ("EN_COLD", "n", "energy", 1, "summer"),
            ("WAT_PROCESS", "n", "volume", 2, ""),
            ("WAT_INDUSTRIAL_EFFLUENT", "s", "volume", 1, ""),
            ("02 02 04", "s", "mass", 1, ""),
            ("PUR_PACKAGING", "n", "mass", 2, ""),
            ("EQ_COLD_ROOM", "b", "area", 2, ""),
        ],
    ),
    "fonderie": (
        "entreprise",
        "24.51Z",
        2,
        0.2,
        [
            ("EN_HEAT_HT", "s", "energy", 3, ""),
            ("EN_HEAT_MT", "s", "energy", 2, ""),
            ("12 01 01", "s", "mass", 2, ""),
            ("10 09 03", "s", "mass", 2, ""),
            ("MIN_FOUNDRY_SAND", "s", "mass", 2, ""),
            ("WAT_COOLING", "s", "volume", 2, ""),
            ("13 02 05*", "s", "mass", 1, ""),
            ("MIN_LIME", "n", "mass", 1, ""),
            ("EN_STEAM", "n", "energy", 1, ""),
        ],
    ),
    "btp": (
        "entreprise",
        "43.12A",
        5,
        0.3,
        [
            ("17 01 07", "s", "mass", 3, ""),
            ("17 05 04", "b", "mass", 3, ""),
            ("MIN_AGGREGATES", "n", "mass", 3, ""),
            ("MIN_ASPHALT", "s", "mass", 1, ""),
            ("17 02 01", "s", "mass", 1, ""),
            ("MIN_GYPSUM", "s", "mass", 1, ""),
            ("EQ_AERIAL_PLATFORM", "b", "time", 2, ""),
            ("EQ_VEHICLE", "b", "time", 1, ""),
            ("EQ_WASHING_AREA", "n", "time", 1, ""),
        ],
    ),
    "garage": (
        "entreprise",
        "45.20A",
        5,
        0.2,
        [
            ("13 02 08*", "s", "mass", 3, ""),
            ("16 01 03", "s", "mass", 2, ""),
            ("REC_BATTERIES", "s", "mass", 1, ""),
            ("REC_METAL_FERROUS", "s", "mass", 1, ""),
            ("EQ_WASHING_AREA", "b", "time", 2, ""),
            ("SRV_LOGISTICS", "b", "time", 2, ""),
            ("PUR_FUEL", "n", "volume", 2, ""),
        ],
    ),
    "paysagiste": (
        "entreprise",
        "81.30Z",
        4,
        0.3,
        [
            ("20 02 01", "s", "mass_by_volume", 5, "green"),
            ("ORG_GREEN_WASTE", "s", "mass_by_volume", 3, "green"),
            ("EQ_SHREDDER", "n", "time", 3, "green"),
            ("ORG_MULCH", "n", "mass_by_volume", 2, ""),
            ("ORG_COMPOST", "n", "mass", 1, ""),
            ("SRV_GREEN_SPACES", "s", "time", 2, "green"),
        ],
    ),
    "commerce": (
        "entreprise",
        "47.11D",
        10,
        0.1,
        [
            ("REC_PAPER_CARDBOARD", "s", "mass", 4, ""),
            ("REC_PLASTIC_FILM", "s", "mass", 2, ""),
            ("02 03 04", "s", "mass", 1, ""),
            ("20 01 25", "s", "mass", 1, ""),
            ("EQ_COMPACTOR", "b", "time", 2, ""),
            ("SPC_PARKING", "b", "count", 1, ""),
            ("SRV_LOGISTICS", "n", "time", 1, ""),
        ],
    ),
    "plasturgie": (
        "entreprise",
        "22.29A",
        2,
        0.2,
        [
            ("REC_PLASTIC", "b", "mass", 3, ""),
            ("07 02 13", "s", "mass", 1, ""),
            ("CHEM_SOLVENT", "s", "mass", 1, ""),
            ("EN_HEAT_MT", "s", "energy", 1, ""),
            ("WAT_COOLING", "b", "volume", 1, ""),
            ("PUR_PACKAGING", "n", "mass", 1, ""),
        ],
    ),
    "bureau": (
        "entreprise",
        "70.22Z",
        8,
        0.05,
        [
            ("20 01 01", "s", "mass", 2, ""),
            ("20 01 36", "s", "mass", 1, ""),
            ("SRV_IT", "n", "time", 2, ""),
            ("SRV_CHILDCARE", "n", "count", 1, ""),
            ("SPC_OFFICE", "b", "area", 1, ""),
            ("SRV_CATERING", "n", "count", 1, ""),
        ],
    ),
    "exploitation": (
        "exploitation_agricole",
        "01.50Z",
        16,
        0.95,
        [
            ("02 01 06", "s", "mass_by_volume", 4, ""),
            ("ORG_SLURRY", "s", "mass_by_volume", 2, "winter"),
            ("ORG_STRAW", "b", "mass", 3, "summer"),
            ("ORG_CROP_RESIDUES", "s", "mass", 2, "summer"),
            ("ORG_SOIL_AMENDMENT", "n", "mass", 4, "spring"),
            ("ORG_COMPOST", "n", "mass", 2, "spring"),
            ("AGR_BEDDING", "n", "mass", 3, "winter"),
            ("ORG_ANIMAL_FEED", "n", "mass", 2, ""),
            ("02 01 04", "s", "mass", 1, ""),
            ("EQ_AGRI_MACHINERY", "n", "time", 3, "summer"),
            ("SKL_SEASONAL_WORKERS", "n", "time", 2, "summer"),
            ("WAT_IRRIGATION", "n", "volume", 1, "summer"),
            ("ORG_DIGESTER_FEEDSTOCK", "n", "mass", 1, ""),
            ("EN_BIOGAS", "s", "energy", 1, ""),
            ("EN_HEAT_NEED", "n", "energy", 1, "heat"),
        ],
    ),
    "ehpad": (
        "ehpad",
        "87.10A",
        3,
        0.2,
        [
            ("20 01 08", "s", "mass", 4, ""),
            ("ORG_USED_COOKING_OIL", "s", "mass", 1, ""),
            ("EN_HEAT_NEED", "n", "energy", 3, "heat"),
            ("SRV_LAUNDRY", "n", "mass", 2, ""),
            ("SRV_CATERING", "n", "count", 1, ""),
            ("18 01 03*", "s", "mass", 1, ""),
        ],
    ),
    "hopital": (
        "hopital",
        "86.10Z",
        1,
        0.0,
        [
            ("20 01 08", "s", "mass", 3, ""),
            ("EN_HEAT_NEED", "n", "energy", 3, "heat"),
            ("SRV_LAUNDRY", "b", "mass", 2, ""),
            ("18 01 03*", "s", "mass", 2, ""),
            ("EN_COLD", "n", "energy", 1, ""),
            ("SRV_CHILDCARE", "n", "count", 1, ""),
        ],
    ),
    "collectivite": (
        "collectivite",
        "84.11Z",
        6,
        0.3,
        [
            ("20 02 01", "s", "mass_by_volume", 4, "green"),
            ("19 08 05", "s", "mass", 1, ""),
            ("WAT_TREATED_WASTEWATER", "s", "volume", 1, ""),
            ("EN_HEAT_NEED", "n", "energy", 3, "heat"),
            ("ORG_MULCH", "n", "mass_by_volume", 2, ""),
            ("MIN_AGGREGATES", "n", "mass", 1, ""),
            ("PUR_DEICING_SALT", "n", "mass", 2, "winter"),
            ("EQ_SHREDDER", "b", "time", 2, "green"),
            ("SPC_LAND", "s", "area", 1, ""),
            ("ORG_BIOWASTE", "s", "mass", 2, "school"),
            ("SRV_GREEN_SPACES", "n", "time", 1, "green"),
        ],
    ),
    "insertion": (
        "insertion",
        "88.99B",
        2,
        0.2,
        [
            ("SRV_GREEN_SPACES", "s", "time", 2, "green"),
            ("SRV_CLEANING", "s", "time", 1, ""),
            ("SKL_SHARED_EMPLOYEE", "s", "time", 2, ""),
            ("WOOD_PALLETS", "n", "mass", 2, ""),
            ("REC_TEXTILE", "b", "mass", 1, ""),
            ("EQ_VEHICLE", "n", "time", 1, ""),
        ],
    ),
    "association": (
        "association",
        "94.99Z",
        6,
        0.3,
        [
            ("REC_TEXTILE", "b", "mass", 2, ""),
            ("EQ_MEETING_ROOM", "n", "time", 2, ""),
            ("SRV_MOBILITY", "n", "count", 1, ""),
            ("SPC_STORAGE", "n", "area", 1, ""),
        ],
    ),
    "laboratoire": (
        "laboratoire",
        "71.20B",
        1,
        0.1,
        [
            ("CHEM_LAB", "s", "mass", 2, ""),
            ("EQ_LAB", "b", "time", 2, ""),
            ("SKL_SKILLS", "s", "time", 1, ""),
            ("16 05 06*", "s", "mass", 1, ""),
        ],
    ),
    "cuma": (
        "cuma",
        "01.61Z",
        2,
        0.7,
        [
            ("EQ_AGRI_MACHINERY", "s", "time", 4, "summer"),
            ("EQ_SHREDDER", "s", "time", 3, "green"),
            ("EQ_WASHING_AREA", "s", "time", 1, ""),
            ("SKL_SHARED_EMPLOYEE", "s", "time", 1, ""),
        ],
    ),
}
SEASONS = {
    "": ["", "", "", "", "", "", "toute l'année", "1-12"],
    "heat": ["10-4", "10-4", "11-3", "octobre-avril", ""],
    "green": ["3-10", "3-11", "4-10", "mars-octobre", ""],
    "summer": ["6-9", "7-8", "5-9", "juillet-août"],
    "winter": ["11-3", "12-2", "10-3", ""],
    "spring": ["2-4", "2-5,9-10", "3-4", ""],
    "school": ["9-6", "9-7", ""],
}
LABELS = ["", "", "", "selon production", "estimation entretien", "quantité à confirmer"]
STREETS = ["Rue de la Gare", "Route de Nevers", "Zone artisanale", "Rue du Commerce", "Le Bourg"]
BAD = [  # column, faulty value (about 0.1 % of the rows)
    ("ressource", "ORG_GREN_WASTE"),
    ("unite", "palettes"),
    ("quantite", "beaucoup"),
    ("acteur", "ACT99999"),
    ("sens", "peut-être"),
    ("mois", "printemps"),
]


# --------------------------------------------------------------------------- generation


def _towns(half_km: float = HALF_KM) -> pd.DataFrame:
    """Nièvre communes of the square (reference table) and the Cher towns: x/y km, weight."""
    ref = pd.read_csv(COMMUNES, dtype=str)
    towns = pd.DataFrame(
        {
            "commune": ref["nom"],
            "code_postal": ref["codes_postaux"].str.split("|").str[0].str.split(",").str[0],
            "code_insee": ref["code_insee"],
            "lon": ref["centroide_lon"].astype(float),
            "lat": ref["centroide_lat"].astype(float),
            "population": ref["population"].astype(float),
        }
    )
    cher = pd.DataFrame(CHER_TOWNS, columns=["commune", "code_postal", "lon", "lat", "population"])
    cher["code_insee"] = ""  # left empty: an actor without INSEE code is common
    towns = pd.concat([towns, cher], ignore_index=True)
    towns["x"] = (towns["lon"] - LON0) * KM_PER_DEG_LON
    towns["y"] = (towns["lat"] - LAT0) * KM_PER_DEG_LAT
    inside = (towns["x"].abs() < half_km) & (towns["y"].abs() < half_km)
    return towns.loc[inside].reset_index(drop=True)


def _french_number(values: np.ndarray, rng) -> np.ndarray:
    """Numbers as a French spreadsheet writes them: ``12,5``, ``2 600``, ``850``."""
    out = np.empty(len(values), dtype=object)
    big = values >= 1000
    out[big] = [f"{v:,.0f}".replace(",", " ") for v in values[big]]
    small = ~big
    text = np.array([f"{v:.1f}" for v in values[small]], dtype=object)
    text = np.array([t[:-2] if t.endswith(".0") else t for t in text], dtype=object)
    out[small] = [t.replace(".", ",") for t in text]
    plain = big & (rng.random(len(values)) < 0.3)  # some without the thousands space
    out[plain] = [f"{v:.0f}" for v in values[plain]]
    return out


def generate(
    folder: Path, n_actors: int, n_flows: int, seed: int = 58, half_km: float = HALF_KM
) -> tuple[Path, Path]:
    """Write ``acteurs.csv`` and ``flux.csv`` of the synthetic territory into ``folder``
    (a square of ``2 x half_km`` km around La Charité-sur-Loire)."""
    HALF_KM = half_km  # noqa: N806 - the square of this call
    rng = np.random.default_rng(seed)
    towns = _towns(half_km)
    names = list(ARCHETYPES)
    weights = np.array([ARCHETYPES[a][2] for a in names], dtype=float)
    archetype = rng.choice(len(names), n_actors, p=weights / weights.sum())
    rural_share = np.array([ARCHETYPES[a][3] for a in names])[archetype]
    rural = rng.random(n_actors) < rural_share
    # places: around a town (weighted by population) or anywhere in the square
    town_w = towns["population"].to_numpy() ** 0.8
    town = rng.choice(len(towns), n_actors, p=town_w / town_w.sum())
    spread = 0.6 + 0.25 * np.log10(towns["population"].to_numpy())[town]  # km
    x = towns["x"].to_numpy()[town] + rng.normal(0, 1, n_actors) * spread
    y = towns["y"].to_numpy()[town] + rng.normal(0, 1, n_actors) * spread
    x[rural] = rng.uniform(-HALF_KM, HALF_KM, rural.sum())
    y[rural] = rng.uniform(-HALF_KM, HALF_KM, rural.sum())
    x, y = np.clip(x, -HALF_KM, HALF_KM), np.clip(y, -HALF_KM, HALF_KM)
    # commune written: the nearest town (the one the actor was placed around, or the rural one)
    nearest = np.argmin(
        (towns["x"].to_numpy()[None, :] - x[:, None]) ** 2
        + (towns["y"].to_numpy()[None, :] - y[:, None]) ** 2,
        axis=1,
    )
    ids = np.array([f"ACT{i:05d}" for i in range(n_actors)], dtype=object)
    lon = np.round(LON0 + x / KM_PER_DEG_LON, 5)
    lat = np.round(LAT0 + y / KM_PER_DEG_LAT, 5)
    label = np.array(names, dtype=object)[archetype]
    actors = pd.DataFrame(
        {
            "identifiant": ids,
            "nom": [f"{a.capitalize()} {i} (fictif)" for i, a in enumerate(label)],
            "catégorie": np.array([ARCHETYPES[a][0] for a in names], dtype=object)[archetype],
            "siret": [f"000{v:011d}" for v in rng.integers(0, 10**11, n_actors)],
            "naf": np.array([ARCHETYPES[a][1] for a in names], dtype=object)[archetype],
            "adresse": [
                f"{n} {s}"
                for n, s in zip(
                    rng.integers(1, 120, n_actors), rng.choice(STREETS, n_actors), strict=True
                )
            ],
            "code_postal": towns["code_postal"].to_numpy()[nearest],
            "commune": towns["commune"].to_numpy()[nearest],
            "code_insee": towns["code_insee"].to_numpy()[nearest],
            "longitude": [f"{v:.5f}".replace(".", ",") for v in lon],
            "latitude": [f"{v:.5f}".replace(".", ",") for v in lat],
            "confidentiel": rng.choice(
                ["non", "non", "non", "", "oui"], n_actors, p=[0.3] * 3 + [0.06, 0.04]
            ),
        }
    )
    actors_path = folder / "acteurs.csv"
    actors.to_csv(actors_path, sep=";", index=False, encoding="latin-1")

    # flows: an actor (busier actors say more), then one of its archetype's templates
    activity = rng.gamma(2.0, 1.0, n_actors)
    owner = rng.choice(n_actors, n_flows, p=activity / activity.sum())
    code = np.empty(n_flows, dtype=object)
    sens = np.empty(n_flows, dtype=object)
    unit = np.empty(n_flows, dtype=object)
    qty = np.empty(n_flows, dtype=float)
    months = np.empty(n_flows, dtype=object)
    for a, name in enumerate(names):
        rows = np.flatnonzero(archetype[owner] == a)
        if not len(rows):
            continue
        templates = ARCHETYPES[name][4] + _COMMON
        t_w = np.array([t[3] for t in templates], dtype=float)
        pick = rng.choice(len(templates), len(rows), p=t_w / t_w.sum())
        for k, (t_code, t_dir, kind, _, season) in enumerate(templates):
            sel = rows[pick == k]
            if not len(sel):
                continue
            code[sel] = t_code
            side = {"s": 0.0, "n": 1.0, "b": 0.5}[t_dir]
            is_need = rng.random(len(sel)) < side
            sens[sel] = np.where(
                is_need, rng.choice(NEED_WORDS, len(sel)), rng.choice(SUPPLY_WORDS, len(sel))
            )
            u_names = [u[0] for u in UNITS[kind]]
            u_w = np.array([u[1] for u in UNITS[kind]], dtype=float)
            u_pick = rng.choice(len(u_names), len(sel), p=u_w / u_w.sum())
            unit[sel] = np.array(u_names, dtype=object)[u_pick]
            typical = np.array([u[2] for u in UNITS[kind]], dtype=float)[u_pick]
            qty[sel] = typical * rng.lognormal(0.0, 1.0, len(sel))
            months[sel] = rng.choice(SEASONS[season], len(sel))
    quantity = _french_number(qty, rng)
    quantity[rng.random(n_flows) < 0.08] = ""  # "we need a shredder": no figure yet
    flows = pd.DataFrame(
        {
            "identifiant": [f"F{i:06d}" for i in range(n_flows)],
            "acteur": ids[owner],
            "sens": sens,
            "ressource": code,
            "libelle": rng.choice(LABELS, n_flows),
            "quantite": quantity,
            "unite": unit,
            "annee": rng.choice(["2024", "2024", "2024", "2023", ""], n_flows),
            "mois": months,
            "confidentiel": rng.choice(["non", "", "oui"], n_flows, p=[0.7, 0.28, 0.02]),
            "commentaire": rng.choice(
                ["", "", "", "", "entretien du 12/03", "à vérifier"], n_flows
            ),
        }
    )
    bad = rng.choice(n_flows, max(1, n_flows // 1000), replace=False)
    for k, position in enumerate(bad):
        column, value = BAD[k % len(BAD)]
        flows.iat[position, flows.columns.get_loc(column)] = value
    flows_path = folder / "flux.csv"
    flows.to_csv(flows_path, sep=";", index=False, encoding="utf-8")
    return actors_path, flows_path


# --------------------------------------------------------------------------- measuring


#: end of each stage on run_pipeline's progress scale (see core/pipeline.py)
PROGRESS_ENDS = {
    "read": 0.05,
    "geocode": 0.3,
    "build_flows": 0.45,
    "candidates": 0.8,
    "groups": 0.95,
    "end": 1.0,
}


class _MemoryProgress:
    """A progress object that notes the memory high-water mark at each report."""

    def __init__(self):
        self.marks: list[tuple[float, float]] = []

    def report(self, fraction: float) -> None:
        self.marks.append((fraction, peak_memory_mb()))

    def is_canceled(self) -> bool:
        return False

    def log(self, message: str) -> None:
        pass

    def by_stage(self) -> dict[str, float]:
        """High-water mark (MB) reached by the end of each stage (as far as reports show)."""
        out = {}
        for stage, end in PROGRESS_ENDS.items():
            seen = [mb for fraction, mb in self.marks if fraction <= end + 1e-9]
            out[stage] = max(seen) if seen else float("nan")
        return out


def _child(mode: str, actors: str, flows: str, profile: bool) -> None:
    """One measurement, printed as JSON (runs in its own process)."""
    out: dict = {}
    if mode == "plain":
        start = time.perf_counter()
        frame = pd.read_csv(flows, sep=";")
        out.update(seconds=time.perf_counter() - start, rows=len(frame))
    else:
        start = time.perf_counter()  # one-off set-up, paid once per QGIS session
        register_package()
        from eit_synergies.core.catalogue import Catalogue
        from eit_synergies.core.pipeline import STAGES, run_pipeline
        from eit_synergies.core.units import registry

        catalogue = Catalogue.builtin()
        registry()
        out["setup"] = time.perf_counter() - start
        runs = 2 if mode == "demo" else 1
        for run in range(runs):
            timings: dict = {}
            memory = _MemoryProgress()
            start = time.perf_counter()
            result = run_pipeline(actors, flows, catalogue, progress=memory, timings=timings)
            total = time.perf_counter() - start
            out[f"run{run}"] = {
                "timings": {s: timings[s] for s in STAGES},
                "total": total,
                "memory": memory.by_stage(),
            }
        kinds = pd.concat([result.supply, result.need])["synergy_type"].value_counts()
        out.update(
            counts=result.counts,
            synergy_types=kinds.to_dict(),
            geo=result.actors["geo_method"].value_counts().to_dict(),
            reasons=result.rejected["reason_code"].value_counts().to_dict()
            if len(result.rejected)
            else {},
        )
        if profile:
            out["profile"] = _profile(run_pipeline, actors, flows, catalogue, out["run0"])
    out["maxrss_mb"] = peak_memory_mb()
    print(json.dumps(out, default=str))


def _profile(run_pipeline, actors, flows, catalogue, first_run) -> str:
    """cProfile of one more run: the functions with the most cumulative and own time."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    run_pipeline(actors, flows, catalogue)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(15)
    return text.getvalue()


def _measure(mode: str, actors: Path, flows: Path, profile: bool = False) -> dict:
    command = [sys.executable, __file__, "--child", mode, str(actors), str(flows)]
    if profile:
        command.append("--profile")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{mode} run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


STAGE_LABELS = {
    "read_actors": "read actors",
    "read_flows": "read flows",
    "geocode": "geocode",
    "build_flows": "build flows (+ geometry)",
    "candidates": "candidates + allocation",
    "groups": "mutualisation groups",
    "figures": "figures",
}


# --------------------------------------------------------------------------- region


def _resource_pairs(codes_s: set, codes_n: set, compatible: bool, km: dict) -> list:
    """(supply resource, need resource, limit in metres) searched by the floor: the same
    resource on both sides, plus (``compatible``) the catalogue's compatibility pairs with a
    factor > 0, as ``core.synergy.candidates.compatibility_pairs`` builds them. A pair's limit
    is its supply resource's default distance, else its need resource's, else 20 km."""
    pairs = {(r, r) for r in codes_s & codes_n}
    if compatible:
        table = pd.read_csv(ROOT / "core" / "data" / "compatibility.csv",
                            usecols=["supply_resource", "need_resource", "factor"])  # fmt: skip
        table = table[pd.to_numeric(table["factor"], errors="coerce") > 0]
        pairs |= {
            (a, b)
            for a, b in zip(
                table["supply_resource"].str.strip(),
                table["need_resource"].str.strip(),
                strict=True,
            )  # fmt: skip
            if a in codes_s and b in codes_n
        }
    return [(a, b, 1000.0 * float(km.get(a, km.get(b, 20.0)))) for a, b in sorted(pairs)]


def floor_pairs(actors: str, flows: str, out: str, compatible: bool = False) -> dict:
    """The plain floor of a region run: both tables read by pandas, every pair of a supply
    and a need of the same material resource (``compatible``: of every compatible pair of
    material resources of the catalogue, as the pipeline searches) within that pair's default
    distance found with a cKDTree (same actor excluded), written as lines with a dozen fields
    by pyogrio."""
    import geopandas as gpd
    import pyproj
    import shapely
    from scipy.spatial import cKDTree

    start, cpu = time.perf_counter(), time.process_time()
    act = pd.read_csv(actors, sep=";", encoding="latin-1", dtype=str)
    flo = pd.read_csv(flows, sep=";", encoding="utf-8", dtype=str)
    data = ROOT / "core" / "data"
    res = pd.read_csv(data / "resources.csv", usecols=["code", "synergy_type", "max_distance_km"])
    ler = pd.read_csv(data / "ler.csv", usecols=["ler_code", "resource"], dtype=str)
    code = flo["ressource"].fillna("").str.replace(r"[\s*]", "", regex=True)
    code = code.map(dict(zip(ler["ler_code"], ler["resource"], strict=True))).fillna(code)
    km = dict(zip(res["code"], res["max_distance_km"], strict=True))
    material = set(res.loc[res["synergy_type"] == "substitution", "code"])
    lon = act["longitude"].str.replace(",", ".").astype(float)
    lat = act["latitude"].str.replace(",", ".").astype(float)
    x, y = pyproj.Transformer.from_crs(4326, 2154, always_xy=True).transform(lon, lat)
    where = pd.DataFrame({"x": x, "y": y}, index=act["identifiant"])
    sens = flo["sens"].fillna("").str.lower()
    ok = code.isin(material) & flo["acteur"].isin(where.index)
    is_s = ok & sens.isin([w.lower() for w in SUPPLY_WORDS])
    is_n = ok & sens.isin([w.lower() for w in NEED_WORDS])
    xy = where.loc[flo["acteur"].where(ok, where.index[0])].to_numpy()
    rows_s, rows_n, dist = [], [], []
    trees: dict = {}

    def tree(side, mask, resource):
        if (side, resource) not in trees:
            rows = np.flatnonzero(mask & (code == resource))
            trees[side, resource] = (rows, cKDTree(xy[rows]))
        return trees[side, resource]

    pairs = _resource_pairs(set(code[is_s]), set(code[is_n]), compatible, km)
    for supply_resource, need_resource, limit_m in pairs:
        a, tree_a = tree("s", is_s, supply_resource)
        b, tree_b = tree("n", is_n, need_resource)
        m = tree_a.sparse_distance_matrix(tree_b, limit_m, output_type="ndarray")
        si, ni = a[m["i"]], b[m["j"]]
        keep = flo["acteur"].to_numpy()[si] != flo["acteur"].to_numpy()[ni]
        rows_s.append(si[keep])
        rows_n.append(ni[keep])
        dist.append(m["v"][keep])
    si, ni, d = np.concatenate(rows_s), np.concatenate(rows_n), np.concatenate(dist)
    fid = flo["identifiant"].to_numpy()
    lines = gpd.GeoDataFrame(
        {
            "candidate_id": pd.Series(fid[si]).str.cat(pd.Series(fid[ni]), sep=">").to_numpy(),
            "supply_flow": fid[si],
            "need_flow": fid[ni],
            "supplier_id": flo["acteur"].to_numpy()[si],
            "receiver_id": flo["acteur"].to_numpy()[ni],
            "supply_resource": code.to_numpy()[si],
            "need_resource": code.to_numpy()[ni],
            "distance_km": d / 1000.0,
            "supply_quantity": flo["quantite"].to_numpy()[si],
            "need_quantity": flo["quantite"].to_numpy()[ni],
            "supply_unit": flo["unite"].to_numpy()[si],
            "need_unit": flo["unite"].to_numpy()[ni],
        },
        geometry=shapely.linestrings(np.stack([xy[si], xy[ni]], axis=1)),
        crs=2154,
    )
    lines.to_file(out, layer="pairs", engine="pyogrio")
    return {
        "seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
        "pairs": len(lines), "resource_pairs": len(pairs),
        "materials": int(code[ok].nunique()),
        "supply": int(is_s.sum()), "need": int(is_n.sum()), "maxrss_mb": peak_memory_mb(),
    }  # fmt: skip


def _floor(actors: Path, flows: Path, out: Path, compatible: bool) -> dict:
    command = [sys.executable, __file__, "--floor", str(actors), str(flows), str(out)]
    done = subprocess.run(command + (["--compatible"] if compatible else []),
                          capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def region(args) -> bool:
    """``eit:runpipeline`` through the real ``qgis_process`` with its defaults on a region,
    net of ``qgis_process``'s start (the same command on a 20-actor territory), against two
    floors, each in its own process (:func:`floor_pairs`): the pairs of the same resource, and
    the pairs of compatible resources that the pipeline's search covers.

    ``--repeat`` rounds, each measuring the start, the compatible floor and the run one after
    the other: on a machine shared with other work a measure varies by 10 to 30 % from one
    moment to the next, and the best of each (as ``timeit`` reports) is the least disturbed;
    every round's own ratios are printed too."""
    import re
    import sqlite3

    from _support import qgis_process, run_measured

    side = 2 * args.region_half_km
    ok = True
    rounds = []
    with tempfile.TemporaryDirectory(prefix="eit_bench_region_") as tmp:
        folder = Path(tmp)
        command, env = qgis_process(folder / "home")
        (folder / "big").mkdir()
        (folder / "tiny").mkdir()
        actors, flows = generate(folder / "big", args.actors, args.flows, args.seed,
                                 args.region_half_km)  # fmt: skip
        tiny = generate(folder / "tiny", 20, 100, args.seed, args.region_half_km)
        same = _floor(actors, flows, folder / "floor_same.gpkg", compatible=False)

        def run(pair, out):
            shutil.rmtree(out, ignore_errors=True)
            done = run_measured([*command, "run", "eit:runpipeline", "--",
                                 f"ACTORS={pair[0]}", f"FLOWS={pair[1]}",
                                 f"OUTPUT_FOLDER={out}"], env)  # fmt: skip
            if done["returncode"]:
                raise SystemExit(f"qgis_process failed:\n{done['stdout']}\n{done['stderr']}")
            return done

        for _ in range(max(args.repeat, 1)):
            start = run(tiny, folder / "out_tiny")
            floor = _floor(actors, flows, folder / "floor_compatible.gpkg", compatible=True)
            done = run((actors, flows), folder / "out")
            rounds.append((start, floor, done))
        out = folder / "out"
        files = {name: (out / name).exists() for name in ("eit.gpkg", "eit.qgz", "atlas.pdf")}
        sizes = {name: (out / name).stat().st_size / 1e6 for name, there in files.items() if there}
        with sqlite3.connect(out / "eit.gpkg") as db:
            tables = [r[0] for r in db.execute("SELECT table_name FROM gpkg_contents")]
            counts = {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    print(f"\nregion: {args.actors:,} actors, {args.flows:,} flow rows over {side:g} x {side:g} km "
          f"({side * side:,.0f} km², the size of Bourgogne-Franche-Comté), "
          f"{same['materials']} material resources, each pair's default distance")  # fmt: skip
    floors = [("same resource", same)] + [("compatible resources", f) for _, f, _ in rounds]
    for label, f in floors:
        print(f"  floor, {label} (pandas read, kd-tree pairs of {f['resource_pairs']} resource "
              f"pairs within their distance, {f['supply']:,} supplies x {f['need']:,} needs, "
              f"pyogrio write of lines with 12 fields): {f['pairs']:,} pairs in "
              f"{f['seconds']:.1f} s (CPU {f['cpu']:.1f} s), peak {f['maxrss_mb']:.0f} MB"
              )  # fmt: skip
    nets, cpus, peaks = [], [], []
    for i, (start, floor, done) in enumerate(rounds, 1):
        net, net_cpu = done["seconds"] - start["seconds"], done["cpu"] - start["cpu"]
        nets.append(net)
        cpus.append(net_cpu)
        peaks.append(done["peak_mb"])
        stages = re.search(r"stage timings: (.*)", done["stdout"])
        print(f"  round {i}: eit:runpipeline with its defaults (TOP_K=10, allocation, workspace, "
              f"project, atlas): {done['seconds']:.1f} s, net of the start "
              f"({start['seconds']:.1f} s) {net:.1f} s; CPU net {net_cpu:.1f} s; peak "
              f"{done['peak_mb']:.0f} MB; ratios to this round's compatible floor: wall "
              f"{net / floor['seconds']:.2f}, CPU {net_cpu / floor['cpu']:.2f}")  # fmt: skip
        print("    its " + (stages.group(1).strip() if stages else "stage timings: not in the log"))
    print("  written: " + ", ".join(f"{n} {mb:.1f} MB" for n, mb in sizes.items())
          + "; rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))  # fmt: skip
    best_floor = min(f["seconds"] for _, f, _ in rounds)
    best_floor_cpu = min(f["cpu"] for _, f, _ in rounds)
    print(f"  best of {len(rounds)}: the run {min(nets):.1f} s net (CPU {min(cpus):.1f} s), the "
          f"compatible floor {best_floor:.1f} s (CPU {best_floor_cpu:.1f} s)")  # fmt: skip
    print(f"  ratio to the same-resource floor: wall {min(nets) / same['seconds']:.1f}x, "
          f"CPU {min(cpus) / same['cpu']:.1f}x (for information: a narrower search than the "
          f"pipeline's)")  # fmt: skip
    for label, value, target in (
        ("ratio net / compatible floor (wall, best of each)", min(nets) / best_floor, 5.0),
        ("ratio net / compatible floor (CPU, best of each)", min(cpus) / best_floor_cpu, 5.0),
        ("peak memory (GB, largest round)", max(peaks) / 1024, 2.0),
    ):
        passed = value <= target if "ratio" in label else value < target
        ok &= passed
        sign = "<=" if "ratio" in label else "<"
        print(f"  {label}: {value:.2f} (target {sign} {target:g}) {'OK' if passed else 'MISSED'}")
    ok &= all(files.values())
    return ok


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--region",
        action="store_true",
        help="eit:runpipeline through qgis_process on a region, vs its floor",
    )
    parser.add_argument("--region-half-km", type=float, default=110.0)
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="rounds of --region (start, floor, run), the best of each kept",
    )
    parser.add_argument("--floor", nargs=3, metavar=("ACTORS", "FLOWS", "OUT"), help="internal")
    parser.add_argument("--compatible", action="store_true", help="internal (with --floor)")
    parser.add_argument("--actors", type=int, default=5000, help="synthetic actors")
    parser.add_argument("--flows", type=int, default=50_000, help="synthetic flow rows")
    parser.add_argument("--seed", type=int, default=58)
    parser.add_argument("--profile", action="store_true", help="cProfile the synthetic run")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "ACTORS", "FLOWS"), help="internal")
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child, profile=args.profile)
        return
    if args.floor:
        print(json.dumps(floor_pairs(*args.floor, compatible=args.compatible)))
        return
    if args.region:
        ok = region(args)
        print("all targets met" if ok else "some targets missed (see above)")
        return

    demo = _measure("demo", DEMO / "actors.csv", DEMO / "flows.csv")
    with tempfile.TemporaryDirectory(prefix="eit_bench_pipeline_") as tmp:
        start = time.perf_counter()
        actors, flows = generate(Path(tmp), args.actors, args.flows, args.seed)
        size = flows.stat().st_size / 1e6
        print(
            f"synthetic territory: {args.actors:,} actors, {args.flows:,} flow rows "
            f"({size:.1f} MB), 100 x 100 km around La Charité-sur-Loire, generated in "
            f"{time.perf_counter() - start:.1f} s"
        )
        plain = _measure("plain", actors, flows)
        synth = _measure("synthetic", actors, flows, args.profile)

    header = f"{'stage (seconds)':<28}{'demo cold':>11}{'demo warm':>11}{'synthetic':>11}"
    print(header)
    print("-" * len(header))
    cold, warm, big = demo["run0"], demo["run1"], synth["run0"]
    for stage, label in STAGE_LABELS.items():
        print(
            f"{label:<28}{cold['timings'][stage]:>11.3f}{warm['timings'][stage]:>11.3f}"
            f"{big['timings'][stage]:>11.3f}"
        )
    totals = (cold["total"], warm["total"], big["total"])
    print(f"{'total run_pipeline':<28}" + "".join(f"{t:>11.3f}" for t in totals))
    print(
        f"{'one-off set-up (not above)':<28}{demo['setup']:>11.3f}{'':>11}{synth['setup']:>11.3f}"
    )
    print(f"{'peak memory (MB)':<28}{demo['maxrss_mb']:>11.0f}{'':>11}{synth['maxrss_mb']:>11.0f}")
    marks = big["memory"]
    print(
        "synthetic: memory high-water mark (MB) at the end of each stage: "
        + ", ".join(f"{stage} {mb:.0f}" for stage, mb in marks.items())
    )
    for name, run in (("demo", demo), ("synthetic", synth)):
        c = run["counts"]
        print(
            f"{name}: {c['actors']:,} actors ({run['geo']}); {c['rows_read']:,} flow rows = "
            f"{c['rows_used']:,} used ({c['supply']:,} supply, {c['need']:,} need; "
            f"{run['synergy_types']}) + {c['rows_rejected']:,} rejected {run['reasons']}; "
            f"{c['candidates']:,} candidates, {c['groups']:,} groups, {c['unplaced']:,} unplaced"
        )
    read = big["timings"]["read_flows"]
    print(
        f"reference: pandas.read_csv of the synthetic flows: {plain['seconds']:.3f} s "
        f"({plain['rows']:,} rows, peak {plain['maxrss_mb']:.0f} MB); read_flows "
        f"{read:.3f} s = {read / plain['seconds']:.1f}x; whole run_pipeline "
        f"{big['total']:.2f} s = {big['total'] / plain['seconds']:.0f}x"
    )
    slow = [s for s, v in big["timings"].items() if v > 60]
    print(
        "stages over a minute: "
        + (", ".join(slow) if slow else "none")
        + f" (slowest: {max(big['timings'], key=big['timings'].get)})"
    )
    if "profile" in synth:
        print(synth["profile"])


if __name__ == "__main__":
    main()
