"""Benchmark: origins and destinations, the metabolism and its diagram on a large territory.

A synthetic territory of ``--flows`` flows (one actor for ten flows, half supplies, half
needs, random points over a 60 km square, a third of the flows with a current place among
200 distinct ones: actor ids, 'lon lat', INSEE codes of the reference communes) and
``--candidates`` candidates, 5 % of them retained. Times, median over ``--repeat`` runs:

- the reference: ``core.workspace.family_balance`` (what the dock's Charts tab already
  computes on each refresh) on the same frames;
- ``core.places.resolve_places`` on the supplies and needs (the pipeline's extra step);
- ``core.metabolism.territory_metabolism`` (what the Charts tab adds on each refresh, and
  the reports once);
- ``core.metabolism.sankey_svg`` (the reports, once per run).

Prints each time and its ratio to the reference. Run:
``.venv/bin/python benchmarks/bench_metabolism.py [--flows 10000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd
from _support import register_package


def synthetic(n_flows: int, n_candidates: int, seed: int = 7):
    import geopandas as gpd
    from eit_synergies.core.geocode.communes import CommuneTable
    from shapely.geometry import box

    rng = np.random.default_rng(seed)
    n_actors = max(n_flows // 10, 2)
    ax = 700_000 + rng.uniform(0, 60_000, n_actors)
    ay = 6_650_000 + rng.uniform(0, 60_000, n_actors)
    actor = rng.integers(0, n_actors, n_flows)
    insee = CommuneTable.from_file().insee[:100]
    places = [f"A{i}" for i in range(50)] + insee[:100]
    places += [f"{3 + rng.uniform(0, 1):.4f} {46.8 + rng.uniform(0, 0.8):.4f}" for _ in range(50)]
    has_place = rng.random(n_flows) < 0.33
    place = np.where(has_place, np.array(places, dtype=object)[rng.integers(0, 200, n_flows)], None)
    families = np.array(["organic", "wood", "minerals", "energy", "water"], dtype=object)
    units = np.where(rng.random(n_flows) < 0.8, "t/yr", "MWh/yr")
    frame = pd.DataFrame(
        {
            "flow_id": [f"F{i}" for i in range(n_flows)],
            "actor_id": [f"A{a}" for a in actor],
            "direction": np.where(np.arange(n_flows) % 2 == 0, "supply", "need"),
            "family": families[rng.integers(0, len(families), n_flows)],
            "resource": "ORG_GREEN_WASTE",
            "quantity_norm": rng.uniform(1, 500, n_flows),
            "unit_norm": units,
            "confidential": rng.random(n_flows) < 0.05,
            "current_place": place,
            "current_distance_km": np.nan,
            "row": np.arange(2, n_flows + 2),
        }
    )
    flows = gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(ax[actor], ay[actor]), crs="EPSG:2154"
    )
    actors = gpd.GeoDataFrame(
        {"actor_id": [f"A{i}" for i in range(n_actors)]},
        geometry=gpd.points_from_xy(ax, ay),
        crs="EPSG:2154",
    )
    territory = gpd.GeoDataFrame(
        geometry=[box(700_000, 6_650_000, 760_000, 6_710_000)], crs="EPSG:2154"
    )
    supply = flows[flows["direction"] == "supply"].reset_index(drop=True)
    need = flows[flows["direction"] == "need"].reset_index(drop=True)
    si = rng.integers(0, len(supply), n_candidates)
    ni = rng.integers(0, len(need), n_candidates)
    candidates = pd.DataFrame(
        {
            "supply_flow": supply["flow_id"].to_numpy()[si],
            "need_flow": need["flow_id"].to_numpy()[ni],
            "matched_quantity": rng.uniform(1, 50, n_candidates),
            "unit_norm": supply["unit_norm"].to_numpy()[si],
            "family": supply["family"].to_numpy()[si],
            "status": np.where(rng.random(n_candidates) < 0.05, "retained", "proposed"),
            "supply_confidential": supply["confidential"].to_numpy()[si],
            "need_confidential": need["confidential"].to_numpy()[ni],
        }
    )
    return supply, need, candidates, actors, territory


def timed(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=10_000)
    parser.add_argument("--candidates", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    register_package()
    from eit_synergies.core.metabolism import sankey_svg, territory_metabolism
    from eit_synergies.core.places import Gazetteer, resolve_places
    from eit_synergies.core.workspace import family_balance

    supply, need, candidates, actors, territory = synthetic(args.flows, args.candidates)
    reference, _ = timed(lambda: family_balance(supply, need, "tonnes", True), args.repeat)
    gazetteer = Gazetteer(actors)

    def places():
        return [resolve_places(side, gazetteer, territory)[0] for side in (supply, need)]

    t_places, (placed_supply, placed_need) = timed(places, args.repeat)
    t_meta, meta = timed(
        lambda: territory_metabolism(placed_supply, placed_need, candidates, public=True),
        args.repeat,
    )
    texts = {
        k: k
        for k in (
            "title_before title_after outside_in inside_in unknown_in inside_out outside_out "
            "unknown_out empty"
        ).split()
    }
    texts["loop_rate"] = "loop rate {rate}"
    t_svg, svg = timed(lambda: sankey_svg(meta, "t/yr", texts), args.repeat)
    before, after = meta["loop_rate"]["t/yr"]
    print(
        f"{args.flows} flows, {args.candidates} candidates "
        f"({int((candidates['status'] == 'retained').sum())} retained), median of {args.repeat}"
    )
    print(f"reference  family_balance (dock chart)   {reference * 1000:8.1f} ms")
    for name, value in (
        ("resolve_places (supply + need)", t_places),
        ("territory_metabolism (public)", t_meta),
        ("sankey_svg", t_svg),
    ):
        print(f"           {name:<30} {value * 1000:8.1f} ms  ({value / reference:5.1f}x)")
    print(f"loop rate t/yr: {before:.3f} today, {after:.3f} after; SVG {len(svg)} characters")


if __name__ == "__main__":
    main()
