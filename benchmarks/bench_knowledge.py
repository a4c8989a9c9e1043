"""Recall of documented industrial-symbiosis exchanges: does the knowledge find them?

Run: ``.venv/bin/python benchmarks/bench_knowledge.py [exchanges.csv]`` (default
``benchmarks/data/knowledge_exchanges.csv``: documented exchanges of Kalundborg, Dunkerque,
Roussillon, Fos, Bazancourt-Pomacle, Paris, Mené, Lacq, Kwinana, Gladstone, Guigang, Styria,
Norrköping, Rotterdam, Ulsan, Wissington and NISP types in the Humber, with references).

Each exchange is encoded the way its partners would fill the template: the supplier declares
its output (a LER code, a catalogue code or words), the receiver declares what it uses today
("gaz naturel", "gypse naturel", "aliment pour porcs"), each with a quantity and unit. The
actors sit at their park's coordinates (a few hundred metres apart). The real flow building
(``core.flows.build_flows``) and candidate search (``core.synergy.find_candidates``) run at
300 km, so only the knowledge (resources, words, compatibilities) is tested. Printed:

- rows rejected by the flow building (a declaration not understood);
- found: the supplier's flow has a candidate towards the receiver's flow (target >= 90 %);
- top 3: the true supplier is among the need's three best sources by score (target >= 80 %);
- with a precedent: found exchanges whose candidate carries at least one documented case;
- as reference measured in the same run, the share found with identity pairs only (a need
  matched only by the very resource it declares), then the exchanges missed, for review.
"""

from __future__ import annotations

import csv
import functools
import math
import sys
import tempfile
import time
from pathlib import Path

from _support import ROOT, register_package

DEFAULT = ROOT / "benchmarks" / "data" / "knowledge_exchanges.csv"


def encode(exchanges: list[dict], folder: Path) -> tuple[Path, Path, list[tuple]]:
    """actors.csv and flows.csv as partners declare them; the (supplier, receiver) flow id
    pairs of the documented exchanges."""
    actors, flows, truth = {}, {}, []
    for k, ex in enumerate(exchanges):
        for role in ("supplier", "receiver"):
            key = (ex["park"], ex[role])
            if key not in actors:
                n = len(actors)
                # a few hundred metres apart around the park
                lon = float(ex["lon"]) + 0.004 * math.cos(n)
                lat = float(ex["lat"]) + 0.003 * math.sin(n)
                actors[key] = (f"A{n + 1:03d}", ex[role], lon, lat)
        s_actor = actors[(ex["park"], ex["supplier"])][0]
        n_actor = actors[(ex["park"], ex["receiver"])][0]
        s_key = (s_actor, "gisement", ex["supplier_declares"])
        n_key = (n_actor, "besoin", ex["receiver_declares"])
        for key, qty, unit in (
            (s_key, ex["supply_quantity"], ex["supply_unit"]),
            (n_key, ex["need_quantity"], ex["need_unit"]),
        ):
            if key not in flows:
                flows[key] = (f"F{len(flows) + 1:03d}", qty, unit)
        truth.append((k, flows[s_key][0], flows[n_key][0]))
    actor_path, flow_path = folder / "acteurs.csv", folder / "flux.csv"
    with open(actor_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["identifiant", "nom", "categorie", "longitude", "latitude"])
        for actor_id, name, lon, lat in actors.values():
            w.writerow([actor_id, name, "industrie", f"{lon:.5f}", f"{lat:.5f}"])
    with open(flow_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["identifiant", "acteur", "sens", "ressource", "quantite", "unite"])
        for (actor_id, direction, text), (flow_id, qty, unit) in flows.items():
            w.writerow([flow_id, actor_id, direction, text, qty, unit])
    return actor_path, flow_path, truth


def measure(exchanges, catalogue, folder: Path, identity_only: bool = False) -> dict:
    import geopandas as gpd
    from eit_synergies.core.flows import attach_geometry, build_flows, read_actors, read_flows
    from eit_synergies.core.precedents import precedent_pairs
    from eit_synergies.core.synergy import find_candidates

    actor_path, flow_path, truth = encode(exchanges, folder)
    actors = read_actors(actor_path)
    result = build_flows(actors, read_flows(flow_path), catalogue)
    frame = actors.frame
    points = gpd.GeoDataFrame(
        {"actor_id": frame["actor_id"]},
        geometry=gpd.points_from_xy(frame["longitude"], frame["latitude"]),
        crs="EPSG:4326",
    )
    supply = attach_geometry(result.supply, points)
    need = attach_geometry(result.need, points)
    pairs = catalogue.compatibility_frame
    candidates = find_candidates(
        supply,
        need,
        pairs.iloc[0:0] if identity_only else pairs,
        300,
        catalogue.max_distance_km(),
        metric_crs="EPSG:3857",
        precedents=functools.partial(precedent_pairs, catalogue),
    ).candidates
    by_pair = {
        (s, n): (rank, count)
        for s, n, rank, count in zip(
            candidates["supply_flow"],
            candidates["need_flow"],
            candidates["need_rank"],
            candidates["precedent_count"],
            strict=True,
        )
    }
    found, top3, with_precedent, missed = 0, 0, 0, []
    for k, s_flow, n_flow in truth:
        hit = by_pair.get((s_flow, n_flow))
        if hit is None:
            missed.append(exchanges[k])
            continue
        found += 1
        top3 += hit[0] <= 3
        with_precedent += hit[1] > 0
    return {
        "exchanges": len(truth),
        "rejected": len(result.rejected),
        "rejected_rows": result.rejected,
        "found": found,
        "top3": top3,
        "with_precedent": with_precedent,
        "missed": missed,
        "parks": len({ex["park"] for ex in exchanges}),
    }


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else DEFAULT
    register_package()
    from eit_synergies.core.catalogue import Catalogue

    with open(path, encoding="utf-8", newline="") as fh:
        exchanges = list(csv.DictReader(fh, delimiter=";"))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = measure(exchanges, Catalogue.builtin(), Path(tmp))
    elapsed = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        ref = measure(exchanges, Catalogue.builtin(), Path(tmp), identity_only=True)
    n = out["exchanges"]
    print(f"documented exchanges: {n} from {out['parks']} parks or territories ({path.name})")
    print(f"flow rows rejected: {out['rejected']}")
    print(f"found at 300 km: {out['found'] / n:6.1%}  target >= 90 %")
    print(f"true source in the need's top 3: {out['top3'] / n:6.1%}  target >= 80 %")
    print(f"found with a documented precedent: {out['with_precedent'] / max(out['found'], 1):6.1%}")
    print(
        f"reference, identity pairs only: found {ref['found'] / n:6.1%}, "
        f"top 3 {ref['top3'] / n:6.1%} (ratio found/reference: "
        f"{out['found'] / max(ref['found'], 1):.1f})"
    )
    print(f"time: {elapsed:.1f} s")
    for row in out["rejected_rows"].itertuples():
        print(f"  rejected: {row.value!r} ({row.reason_code}; suggestions {row.suggestions})")
    for ex in out["missed"]:
        print(f"  missed: {ex['park']}: {ex['supplier_declares']!r} -> {ex['receiver_declares']!r}")


if __name__ == "__main__":
    main()
