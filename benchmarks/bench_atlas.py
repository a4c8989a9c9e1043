"""Benchmark of the atlas export: a 200-page atlas of synthetic candidates, in public mode.

A synthetic territory (a 40 x 40 km square in Lambert-93 around Nevers, its 16 "communes" a
4 x 4 grid of 10 km squares) with ``--actors`` actors, each with a few supplies and needs drawn
from the plugin's catalogue (one actor in six confidential); candidates from the real
:func:`find_candidates`; ``--pages`` of them kept (the others rejected). The same export at
``--reference`` pages, in the same run, gives the reference: the ratio of the seconds per page
of the big atlas to the small one's shows whether the export stays linear.

Run:  QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_atlas.py [--pages 200]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _support import register_package

ROOT = Path(__file__).resolve().parents[1]
X0, Y0, SIDE = 700_000.0, 6_640_000.0, 40_000.0


def territory(actors: int, seed: int = 7):
    import geopandas as gpd
    import pandas as pd
    from eit_synergies.core.catalogue import Catalogue
    from eit_synergies.core.synergy import find_candidates
    from shapely.geometry import Point, box

    rng = np.random.default_rng(seed)
    catalogue = Catalogue.builtin()
    pairs = catalogue.compatibility_frame
    supply_codes = sorted(set(pairs["supply_resource"]))
    need_codes = sorted(set(pairs["need_resource"]))
    table = catalogue.resources_frame
    families = dict(zip(table["code"], table["family"], strict=True))
    labels = dict(zip(table["code"], table["label_fr"], strict=True))
    categories = ["entreprise", "exploitation_agricole", "ehpad", "collectivite", "insertion"]
    rows = []
    for a in range(actors):
        x, y = X0 + rng.uniform(0, SIDE), Y0 + rng.uniform(0, SIDE)
        secret = a % 6 == 0
        for direction, pool in (("supply", supply_codes), ("need", need_codes)):
            for _ in range(rng.integers(1, 4)):
                code = pool[rng.integers(len(pool))]
                rows.append(
                    {
                        "flow_id": f"F{len(rows):05d}",
                        "actor_id": f"A{a:04d}",
                        "actor_name": f"Acteur {a:04d}",
                        "actor_category": categories[a % len(categories)],
                        "direction": direction,
                        "resource": code,
                        "resource_label": labels.get(code, code),
                        "family": families.get(code, "other_waste"),
                        "synergy_type": "substitution",
                        "quantity_norm": float(rng.lognormal(4, 1.5)),
                        "unit_norm": "t/yr",
                        "months": None,
                        "confidential": secret,
                        "geometry": Point(x, y),
                    }
                )
    flows = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs="EPSG:2154")
    supply = flows[flows["direction"] == "supply"].reset_index(drop=True)
    need = flows[flows["direction"] == "need"].reset_index(drop=True)
    candidates = find_candidates(
        supply, need, pairs, 0, catalogue.max_distance_km(), allocate=True
    ).candidates
    squares = [
        box(X0 + i * 10_000, Y0 + j * 10_000, X0 + (i + 1) * 10_000, Y0 + (j + 1) * 10_000)
        for i in range(4)
        for j in range(4)
    ]
    communes = gpd.GeoDataFrame(
        {
            "code_insee": [f"99{k:03d}" for k in range(16)],
            "nom": [f"Commune {k}" for k in range(16)],
        },
        geometry=squares,
        crs="EPSG:2154",
    )
    return supply, need, candidates, communes, catalogue


def export(pages: int, data, folder: Path) -> tuple[float, int]:
    from eit_synergies.layers.atlas import AtlasInputs, AtlasOptions, export_atlas

    supply, need, candidates, communes, catalogue = data
    candidates = candidates.copy()
    order = candidates.sort_values("score", ascending=False).index
    candidates["status"] = "rejected"
    candidates.loc[order[:pages], "status"] = "proposed"
    inputs = AtlasInputs(
        supply=supply,
        need=need,
        candidates=candidates,
        communes=communes,
        families=catalogue.families_frame,
    )
    pdf = folder / f"atlas-{pages}.pdf"
    options = AtlasOptions(pdf=pdf, coverage="synergies", public=True, title="Atlas de test")
    start = time.perf_counter()
    result = export_atlas(inputs, options)
    seconds = time.perf_counter() - start
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    counted = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert counted == result.pages == pages + 1, (counted, result.pages, pages)
    return seconds, counted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--reference", type=int, default=20)
    parser.add_argument("--actors", type=int, default=160)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    register_package()
    data = territory(args.actors)
    available = int(len(data[2]))
    print(f"synthetic territory: {args.actors} actors, {len(data[0])} supplies, "
          f"{len(data[1])} needs, {available} candidates")  # fmt: skip
    if available < args.pages:
        raise SystemExit(f"only {available} candidates: raise --actors")
    with tempfile.TemporaryDirectory() as folder:
        small_s, small_pages = export(args.reference, data, Path(folder))
        big_s, big_pages = export(args.pages, data, Path(folder))
        size = (Path(folder) / f"atlas-{args.pages}.pdf").stat().st_size / 1e6
    print(
        f"reference: {small_pages} pages in {small_s:.1f} s = {small_pages / small_s:.1f} pages/s"
    )
    print(f"atlas:     {big_pages} pages in {big_s:.1f} s = {big_pages / big_s:.1f} pages/s "
          f"({size:.1f} MB)")  # fmt: skip
    ratio = (big_s / big_pages) / (small_s / small_pages)
    print(f"seconds per page, {args.pages}-page atlas / {args.reference}-page one: {ratio:.2f}")
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
