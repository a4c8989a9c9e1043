"""Benchmark: reading + validating + normalising a large flows table.

Generates a flows CSV (French export: ``;`` delimiter, decimal commas, LER codes with spaces,
French units, a few bad rows) and its actors CSV in a temporary folder, then times, each in
its own subprocess (so peak memory is measured separately):

(a) the reference: a plain ``pandas.read_csv`` of the flows file;
(b) ours: ``read_actors`` + ``read_flows`` + ``build_flows`` with the built-in catalogue.
    The one-off set-up (imports of the plugin and pint, loading the catalogue, building the
    unit registry: paid once per QGIS session, like the import of pandas in (a)) is timed
    apart and printed too.

Prints rows/s of both, the ratio (target: ours within 3x of the plain read) and the peak
resident memory of each process (target: ours under 2 GB).

    .venv/bin/python benchmarks/bench_flows.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _support import peak_memory_mb, register_package

PLUGIN_DIR = Path(__file__).resolve().parents[1]

# (code as written, unit choices) — codes of the built-in catalogue and LER codes with spaces
RESOURCES = [
    ("ORG_GREEN_WASTE", ["t/an", "t", "m3/mois", "kg/semaine", "tonnes", ""]),
    ("20 02 01", ["t/an", "m3", "t"]),
    ("WOOD_CHIPS", ["t", "map", "m3/an", "t/an"]),
    ("MIN_GYPSUM", ["t", "kg/mois", "t/an"]),
    ("17 08 02", ["t/an", "t"]),
    ("EN_HEAT_LT", ["MWh", "kWh/an", "GJ", "MWh/mois", "mwh"]),
    ("WAT_PROCESS", ["m3/an", "L/j", "m3/mois", "litres"]),
    ("SRV_MAINTENANCE", ["h/an", "heures", "h/mois"]),
    ("EQ_SHREDDER", ["h/an", "heures", ""]),
    ("EQ_WEIGHBRIDGE", ["unité", "u", ""]),
    ("SPC_STORAGE", ["m2", "m²", "ha"]),
]
DIRECTIONS = ["gisement", "besoin", "Sortant", "Entrant", "offre", "demande"]
MONTHS = ["", "", "3-10", "11-2", "toute l'année", "1,2,3", "avril-septembre"]
BAD = [  # column, bad value
    ("Ressource", "XYZ_UNKNOWN"),
    ("Unité", "zorglub"),
    ("Quantité", "-12,5"),
    ("Quantité", "beaucoup"),
    ("Acteur", "NOPE"),
    ("Sens", "peut-être"),
]


def generate(folder: Path, rows: int, actors: int = 5000, seed: int = 1) -> tuple[Path, Path]:
    """Write ``acteurs.csv`` and ``flux.csv`` (``rows`` rows, ~0.1% bad) into ``folder``."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"ACT{i:05d}" for i in range(actors)], dtype=object)
    actor_frame = pd.DataFrame(
        {
            "Identifiant": ids,
            "Nom": [f"Entreprise {i}" for i in range(actors)],
            "Catégorie": rng.choice(["industrie", "agriculture", "collectivité"], actors),
            "Longitude": np.round(rng.uniform(2.9, 3.4, actors), 5).astype(str),
            "Latitude": np.round(rng.uniform(46.9, 47.3, actors), 5).astype(str),
            "Confidentiel": rng.choice(["non", "oui", ""], actors, p=[0.8, 0.1, 0.1]),
        }
    )
    actor_frame["Longitude"] = actor_frame["Longitude"].str.replace(".", ",", regex=False)
    actor_frame["Latitude"] = actor_frame["Latitude"].str.replace(".", ",", regex=False)
    actors_path = folder / "acteurs.csv"
    actor_frame.to_csv(actors_path, sep=";", index=False)

    res_index = rng.integers(0, len(RESOURCES), rows)
    codes = np.array([code for code, _ in RESOURCES], dtype=object)[res_index]
    unit_pick = rng.integers(0, 1000, rows)
    unit_tables = [np.array(units, dtype=object) for _, units in RESOURCES]
    units = np.empty(rows, dtype=object)
    for i, table in enumerate(unit_tables):
        mask = res_index == i
        units[mask] = table[unit_pick[mask] % len(table)]
    quantity = np.round(rng.gamma(2.0, 40.0, rows), 2).astype(str)
    frame = pd.DataFrame(
        {
            "Acteur": ids[rng.integers(0, actors, rows)],
            "Sens": rng.choice(DIRECTIONS, rows),
            "Ressource": codes,
            "Libellé": rng.choice(["palettes", "déchets verts", "chaleur fatale", "", "eau"], rows),
            "Quantité": pd.Series(quantity).str.replace(".", ",", regex=False),
            "Unité": units,
            "Mois": rng.choice(MONTHS, rows),
            "Année": rng.choice(["2023", "2024", ""], rows),
            "Commentaire": rng.choice(["", "", "estimation", "à confirmer"], rows),
        }
    )
    bad_rows = rng.choice(rows, max(1, rows // 1000), replace=False)
    for k, position in enumerate(bad_rows):
        column, value = BAD[k % len(BAD)]
        frame.iat[position, frame.columns.get_loc(column)] = value
    flows_path = folder / "flux.csv"
    frame.to_csv(flows_path, sep=";", index=False)
    return actors_path, flows_path


def _child(mode: str, flows: str, actors: str) -> None:
    """Run one measurement and print it as JSON (runs in its own process)."""
    if mode == "plain":
        start = time.perf_counter()
        frame = pd.read_csv(flows, sep=";")
        seconds = time.perf_counter() - start
        out = {"rows": len(frame)}
    else:
        start = time.perf_counter()  # one-off set-up, paid once per QGIS session
        register_package()
        from eit_synergies.core.catalogue import Catalogue
        from eit_synergies.core.flows import build_flows, read_actors, read_flows
        from eit_synergies.core.units import registry

        catalogue = Catalogue.builtin()
        registry()
        setup = time.perf_counter() - start

        start = time.perf_counter()
        actor_table = read_actors(actors)
        frame = read_flows(flows)
        read = time.perf_counter() - start
        result = build_flows(actor_table, frame, catalogue)
        seconds = time.perf_counter() - start
        out = dict(result.counts)
        out.update(setup=setup, read=read)
        out["rows"] = result.counts["rows_read"]
        out["reasons"] = result.rejected["reason_code"].value_counts().to_dict()
    out["seconds"] = seconds
    out["maxrss_mb"] = peak_memory_mb()
    print(json.dumps(out))


def _measure(mode: str, flows: Path, actors: Path) -> dict:
    command = [sys.executable, __file__, "--child", mode, str(flows), str(actors)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{mode} run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="flow rows to generate")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best is kept")
    parser.add_argument(
        "--child", nargs=3, metavar=("MODE", "FLOWS", "ACTORS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="eit_bench_flows_") as tmp:
        start = time.perf_counter()
        actors, flows = generate(Path(tmp), args.rows)
        size = flows.stat().st_size / 1e6
        print(
            f"generated {args.rows:,} flow rows ({size:.0f} MB) in "
            f"{time.perf_counter() - start:.1f} s"
        )
        runs = {"plain": [], "ours": []}
        for _ in range(max(1, args.repeat)):
            for mode in runs:
                runs[mode].append(_measure(mode, flows, actors))
    plain = min(runs["plain"], key=lambda r: r["seconds"])
    ours = min(runs["ours"], key=lambda r: r["seconds"])
    ratio = ours["seconds"] / plain["seconds"]
    print(
        f"(a) pandas.read_csv      : {plain['seconds']:6.2f} s  "
        f"{plain['rows'] / plain['seconds']:>12,.0f} rows/s  peak {plain['maxrss_mb']:,.0f} MB"
    )
    print(
        f"(b) read+validate+normal.: {ours['seconds']:6.2f} s  "
        f"{ours['rows'] / ours['seconds']:>12,.0f} rows/s  peak {ours['maxrss_mb']:,.0f} MB"
        f"  (read {ours['read']:.2f} s + validate/normalise {ours['seconds'] - ours['read']:.2f} s)"
    )
    print(
        f"    one-off set-up, not in (b): {ours['setup']:.2f} s (plugin and pint imports, "
        f"catalogue, unit registry); ratio with it: "
        f"{(ours['seconds'] + ours['setup']) / plain['seconds']:.2f}x"
    )
    print(
        f"ratio ours/plain: {ratio:.2f}x (target <= 3x: {'met' if ratio <= 3 else 'MISSED'}); "
        f"peak memory {'under' if ours['maxrss_mb'] < 2048 else 'OVER'} 2 GB"
    )
    print(
        f"rows read {ours['rows_read']:,} = used {ours['rows_used']:,} "
        f"+ rejected {ours['rows_rejected']:,}; reasons: {ours['reasons']}"
    )


if __name__ == "__main__":
    main()
