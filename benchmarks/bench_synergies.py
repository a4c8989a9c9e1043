"""Benchmark of the synergy engine against a bare cKDTree reference, in the same run.

A synthetic region the size of Bourgogne-Franche-Comté (a 220 x 220 km square in Lambert-93
around x = 800 km, y = 6,700 km; 48,400 km²): actors placed uniformly, each flow at its actor's
place, resources drawn uniformly among ``--resources`` codes, a compatibility table of
``--pairs`` random pairs, and per-resource default distances spread evenly over 5-50 km.

Steps (each heavy one in a fresh process, so that its peak memory, ``ru_maxrss``, is its own):

1. pair search at full size: the engine's :func:`search_pairs` (shared trees, exact re-check,
   same-actor exclusion) against a bare reference (one ``cKDTree`` per side and resource pair,
   ``sparse_distance_matrix``, same-actor pairs removed); identical pair sets asserted;
2. the whole :func:`find_candidates` (frame, LineStrings, scores, impacts) against the same
   reference, at ``--full-supply`` x ``--full-need`` flows, identical pair sets asserted;
3. optimal allocation over ``--alloc`` candidates taken from a find_candidates output;
4. the whole candidate search on a territory like the demo (30 actors, 120 flows, the plugin's
   real catalogue and compatibility table).

Run:  .venv/bin/python benchmarks/bench_synergies.py [--supply N --need N] [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

import numpy as np
from _support import register_package

ROOT = Path(__file__).resolve().parents[1]
X_MIN, Y_MIN, SIDE = 690_000.0, 6_590_000.0, 220_000.0  # centre (800 km, 6,700 km)
TARGETS = {"ratio": 2.0, "memory_gb": 2.0, "allocation_s": 5.0, "small_s": 0.3}


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # kB on Linux


def region(n_supply: int, n_need: int, n_res: int, n_pairs: int, seed: int) -> dict:
    """Synthetic flows (numpy arrays), compatibility pairs and default distances."""
    rng = np.random.default_rng(seed)
    n_actors = max(2, (n_supply + n_need) // 4)
    actor_xy = np.column_stack(
        [X_MIN + rng.uniform(0, SIDE, n_actors), Y_MIN + rng.uniform(0, SIDE, n_actors)]
    )
    s_actor = rng.integers(0, n_actors, n_supply)
    n_actor = rng.integers(0, n_actors, n_need)
    defaults = rng.permutation(np.linspace(5.0, 50.0, n_res))
    pairs = set()
    while len(pairs) < n_pairs:
        a, b = (int(v) for v in rng.integers(0, n_res, 2))
        if a != b:
            pairs.add((a, b))
    pairs = sorted(pairs)
    return {
        "s_xy": actor_xy[s_actor],
        "n_xy": actor_xy[n_actor],
        "s_actor": s_actor,
        "n_actor": n_actor,
        "s_res": rng.integers(0, n_res, n_supply),
        "n_res": rng.integers(0, n_res, n_need),
        "s_qty": np.round(rng.lognormal(3.0, 1.2, n_supply), 1),
        "n_qty": np.round(rng.lognormal(3.0, 1.2, n_need), 1),
        "pairs": pairs,
        "factors": np.round(rng.uniform(0.2, 1.0, len(pairs)), 2),
        "defaults_km": defaults,
        "resources": n_res,
    }


def all_pairs(data: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resource pairs (identity first, then the table) and the supply resource's limit (m)."""
    n_res = data["resources"]
    ps = np.r_[np.arange(n_res), [a for a, _ in data["pairs"]]].astype(np.int64)
    pn = np.r_[np.arange(n_res), [b for _, b in data["pairs"]]].astype(np.int64)
    return ps, pn, data["defaults_km"][ps] * 1000.0


def frames(data: dict):
    """Supply and need GeoDataFrames with the contract's fields, and the compatibility table."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    def layer(prefix, xy, actor, res, qty, direction):
        n = len(xy)
        table = pd.DataFrame(
            {
                "flow_id": np.char.add(prefix, np.arange(n).astype(str)).astype(object),
                "actor_id": np.char.add("A", actor.astype(str)).astype(object),
                "actor_name": np.char.add("Acteur ", actor.astype(str)).astype(object),
                "actor_category": "entreprise",
                "direction": direction,
                "resource": np.char.add("R", res.astype(str)).astype(object),
                "resource_label": None,
                "family": "synthetic",
                "synergy_type": "substitution",
                "quantity": qty,
                "unit": "t",
                "quantity_norm": qty,
                "unit_norm": "t/yr",
                "months": "",
                "confidential": False,
            }
        )
        return gpd.GeoDataFrame(table, geometry=shapely.points(xy), crs="EPSG:2154")

    supply = layer("S", data["s_xy"], data["s_actor"], data["s_res"], data["s_qty"], "supply")
    need = layer("N", data["n_xy"], data["n_actor"], data["n_res"], data["n_qty"], "need")
    compat = pd.DataFrame(
        {
            "supply_resource": [f"R{a}" for a, _ in data["pairs"]],
            "need_resource": [f"R{b}" for _, b in data["pairs"]],
            "factor": data["factors"],
            "explanation_fr": "synthétique",
            "source": "benchmark",
        }
    )
    defaults = {f"R{k}": float(v) for k, v in enumerate(data["defaults_km"])}
    return supply, need, compat, defaults


def digest(si: np.ndarray, ni: np.ndarray, n_need: int) -> tuple[int, str]:
    codes = np.sort(si.astype(np.int64) * n_need + ni.astype(np.int64))
    return len(codes), hashlib.sha1(codes.tobytes()).hexdigest()


def best_of(run, repeats: int):
    """Best wall time of ``run()`` over ``repeats`` calls, and the last call's result.

    The previous result is dropped before each new call, so the memory peak is one call's.
    """
    best, result = float("inf"), None
    for _ in range(repeats):
        result = None
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def reference(data: dict, repeats: int = 1) -> dict:
    """The bare reference: a fresh cKDTree per side and resource pair, nothing else."""
    from scipy.spatial import cKDTree

    ps, pn, limit = all_pairs(data)

    def run():
        out_s, out_n = [], []
        for a, b, lim in zip(ps, pn, limit, strict=True):
            ia = np.flatnonzero(data["s_res"] == a)
            ib = np.flatnonzero(data["n_res"] == b)
            if not len(ia) or not len(ib):
                continue
            m = cKDTree(data["s_xy"][ia]).sparse_distance_matrix(
                cKDTree(data["n_xy"][ib]), lim, output_type="ndarray"
            )
            si, ni = ia[m["i"]], ib[m["j"]]
            keep = data["s_actor"][si] != data["n_actor"][ni]
            out_s.append(si[keep])
            out_n.append(ni[keep])
        return np.concatenate(out_s), np.concatenate(out_n)

    seconds, (si, ni) = best_of(run, repeats)
    peak = peak_rss_gb()
    count, sha = digest(si, ni, len(data["n_xy"]))
    return {"seconds": seconds, "count": count, "sha": sha, "peak_gb": peak}


def engine_search(data: dict, repeats: int = 1) -> dict:
    """The engine's pair search alone (what find_candidates runs before building its output)."""
    register_package()
    from eit_synergies.core.synergy import search_pairs

    ps, pn, limit = all_pairs(data)

    def run():
        return search_pairs(
            data["s_xy"], data["s_res"], data["s_actor"], data["n_xy"], data["n_res"],
            data["n_actor"], ps, pn, limit,
        )  # fmt: skip

    seconds, found = best_of(run, repeats)
    peak = peak_rss_gb()
    count, sha = digest(found["si"], found["ni"], len(data["n_xy"]))
    return {"seconds": seconds, "count": count, "sha": sha, "peak_gb": peak}


def engine_full(data: dict, repeats: int = 1, allocate_rows: int = 0) -> dict:
    """The whole find_candidates; optionally times the allocation of ``allocate_rows`` rows."""
    register_package()
    from eit_synergies.core.synergy import allocate, find_candidates

    supply, need, compat, defaults = frames(data)
    base = peak_rss_gb()

    def run():
        return find_candidates(supply, need, compat, 0, defaults, max_candidates=None)

    seconds, res = best_of(run, repeats)
    peak = peak_rss_gb()
    c = res.candidates
    si = c["supply_flow"].str.slice(1).astype(np.int64).to_numpy()
    ni = c["need_flow"].str.slice(1).astype(np.int64).to_numpy()
    count, sha = digest(si, ni, len(need))
    out = {"seconds": seconds, "count": count, "sha": sha, "peak_gb": peak, "base_gb": base}
    if allocate_rows:
        # every candidate of the first supplies: their needs compete as in the full layer
        order = np.argsort(si, kind="stable")[:allocate_rows]
        rows = c.iloc[np.sort(order)]
        start = time.perf_counter()
        alloc = allocate(rows)
        out["alloc_seconds"] = time.perf_counter() - start
        out["alloc_rows"] = len(rows)
        out["alloc_log"] = alloc.log
    return out


def guarded(data: dict) -> dict:
    """find_candidates with its default ``max_candidates``: how fast it refuses."""
    register_package()
    from eit_synergies.core.errors import EitError
    from eit_synergies.core.synergy import find_candidates

    supply, need, compat, defaults = frames(data)
    start = time.perf_counter()
    try:
        res = find_candidates(supply, need, compat, 0, defaults)
        outcome = f"{len(res.candidates)} candidates"
    except EitError as exc:
        outcome = f"EitError {exc.code}: {exc}"
    return {"seconds": time.perf_counter() - start, "outcome": outcome, "peak_gb": peak_rss_gb()}


def small_territory(repeats: int = 7) -> dict:
    """30 actors, 120 flows over ~25 x 25 km with the plugin's catalogue (like the demo)."""
    register_package()
    import geopandas as gpd
    import pandas as pd
    import shapely
    from eit_synergies.core.synergy import find_candidates

    rng = np.random.default_rng(58)
    catalogue = pd.read_csv(ROOT / "core" / "data" / "resources.csv")
    catalogue = catalogue[catalogue["synergy_type"] == "substitution"]
    compat = pd.read_csv(ROOT / "core" / "data" / "compatibility.csv")
    defaults = dict(zip(catalogue["code"], catalogue["max_distance_km"], strict=True))
    codes = catalogue["code"].to_numpy()
    actors = np.column_stack(
        [725_000 + rng.uniform(0, 25_000, 30), 6_660_000 + rng.uniform(0, 25_000, 30)]
    )

    def layer(prefix, n):
        actor = rng.integers(0, 30, n)
        res = rng.choice(codes[:60], n)
        table = pd.DataFrame(
            {
                "flow_id": [f"{prefix}{k}" for k in range(n)],
                "actor_id": [f"A{a}" for a in actor],
                "actor_name": [f"Acteur {a}" for a in actor],
                "resource": res,
                "family": catalogue.set_index("code").loc[res, "family"].to_numpy(),
                "quantity_norm": np.round(rng.lognormal(3, 1, n), 1),
                "unit_norm": "t/yr",
                "months": rng.choice(["", "3-10", "11-2", "1,2,6"], n),
                "synergy_type": "substitution",
            }
        )
        return gpd.GeoDataFrame(table, geometry=shapely.points(actors[actor]), crs=2154)

    supply, need = layer("S", 60), layer("N", 60)
    times, n = [], 0
    for allocate_flag in [False] * repeats + [True] * repeats:
        start = time.perf_counter()
        res = find_candidates(supply, need, compat, 0, defaults, allocate=allocate_flag)
        times.append((allocate_flag, time.perf_counter() - start))
        n = len(res.candidates)
    plain = [t for a, t in times if not a]
    alloc = [t for a, t in times if a]
    return {"first": plain[0], "best": min(plain[1:]), "median": float(np.median(plain[1:])),
            "alloc_median": float(np.median(alloc)), "candidates": n}  # fmt: skip


def in_process(func, *args):
    """Run ``func(*args)`` in a fresh spawned process (its own memory peak) and return its dict."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(func, args)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--supply", type=int, default=100_000)
    parser.add_argument("--need", type=int, default=100_000)
    parser.add_argument("--full-supply", type=int, default=20_000)
    parser.add_argument("--full-need", type=int, default=20_000)
    parser.add_argument("--resources", type=int, default=40)
    parser.add_argument("--pairs", type=int, default=80)
    parser.add_argument("--alloc", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeats", type=int, default=3, help="best of N timings (both sides)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for development")
    args = parser.parse_args(argv)
    if args.quick:
        args.supply = args.need = 10_000
        args.full_supply = args.full_need = 5_000
    ok = True

    def check(label, value, target, unit=""):
        nonlocal ok
        passed = value <= target
        ok &= passed
        verdict = "OK" if passed else "MISSED"
        print(f"  {label}: {value:.3f}{unit} (target <= {target}{unit}) {verdict}")

    big = region(args.supply, args.need, args.resources, args.pairs, args.seed)
    print(
        f"Region 220 x 220 km, {args.supply:,} supply / {args.need:,} need flows, "
        f"{args.resources} resources, {args.pairs} compatibility pairs (+ identity), "
        "default distances 5-50 km"
    )
    print("\n1. Pair search at full size (engine search_pairs vs bare cKDTree reference)")
    ref = in_process(reference, big, args.repeats)
    eng = in_process(engine_search, big, args.repeats)
    assert (eng["count"], eng["sha"]) == (ref["count"], ref["sha"]), "pair sets differ"
    print(f"  identical pair sets: {eng['count']:,} pairs (sha1 {eng['sha'][:12]})")
    print(f"  reference {ref['seconds']:.2f} s, engine {eng['seconds']:.2f} s")
    check("ratio engine / reference", eng["seconds"] / ref["seconds"], TARGETS["ratio"], "x")
    check("engine peak memory", eng["peak_gb"], TARGETS["memory_gb"], " GB")
    est = eng["count"] * 700 / 1024**3
    print(
        f"  as a candidate layer: ~{est:.1f} GB (~700 B per row: 40 fields + LineString); "
        "find_candidates with its default guard (max_candidates=2,000,000):"
    )
    g = in_process(guarded, big)
    print(f"  {g['outcome']} after {g['seconds']:.2f} s, peak {g['peak_gb']:.2f} GB")

    print(
        f"\n2. Whole find_candidates at {args.full_supply:,} x {args.full_need:,} flows "
        "(same region, same rules)"
    )
    mid = region(args.full_supply, args.full_need, args.resources, args.pairs, args.seed)
    ref2 = in_process(reference, mid, args.repeats)
    full = in_process(engine_full, mid, args.repeats, args.alloc)
    assert (full["count"], full["sha"]) == (ref2["count"], ref2["sha"]), "pair sets differ"
    print(f"  identical pair sets: {full['count']:,} candidates")
    print(f"  reference {ref2['seconds']:.2f} s, find_candidates {full['seconds']:.2f} s")
    per = 1e6 * full["seconds"] / max(full["count"], 1)
    print(f"  whole output built at {per:.2f} µs per candidate (the reference builds none)")
    check("ratio find_candidates / reference", full["seconds"] / ref2["seconds"],
          TARGETS["ratio"], "x")  # fmt: skip
    check("find_candidates peak memory", full["peak_gb"], TARGETS["memory_gb"], " GB")
    print(f"  (of which {full['base_gb']:.2f} GB for the process and its input layers)")

    print(f"\n3. Allocation of {full['alloc_rows']:,} candidates (all those of the first supply "
          "flows of step 2)")  # fmt: skip
    check("allocation time", full["alloc_seconds"], TARGETS["allocation_s"], " s")
    for line in full["alloc_log"]:
        print("   ", line)

    print("\n4. Small territory (30 actors, 120 flows, real catalogue)")
    small = in_process(small_territory)
    print(f"  {small['candidates']} candidates; first call {small['first']:.3f} s, "
          f"best {small['best']:.3f} s, with allocation {small['alloc_median']:.3f} s")  # fmt: skip
    check("whole search (median)", small["median"], TARGETS["small_s"], " s")
    print("\nall targets met" if ok else "\nsome targets missed (see above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
