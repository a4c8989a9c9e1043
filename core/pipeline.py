"""The main job on two tables, Qt-free: geocode → supply/need → candidates → groups → figures.

The QGIS glue (``processing/alg_runpipeline.py``) reads the previous workspace, calls
:func:`run_pipeline`, then writes the GeoPackage, the QGIS project, the atlas and the
summary. Everything here works on frames, so it is tested without QGIS.
"""

from __future__ import annotations

import functools
import hashlib
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .catalogue import Catalogue
from .flows import build_flows, read_actors, read_flows
from .geocode.pipeline import as_points, geocode_actors
from .precedents import precedent_pairs
from .progress import NullProgress, SubProgress, check_canceled
from .synergy import find_candidates, find_mutualisation_groups
from .workspace import (
    CarryOver,
    carry_over_decisions,
    carry_over_placements,
    diff_flows,
    key_figures,
)

METRIC_CRS = "EPSG:2154"

#: keys of the ``timings`` dict filled by :func:`run_pipeline`, in the order the stages run
STAGES = (
    "read_actors",
    "read_flows",
    "geocode",
    "build_flows",
    "candidates",
    "groups",
    "figures",
)


@dataclass
class PipelineOptions:
    method: int = 0  # geocoding METHOD of eit:geocodeactors
    ban_file: str | None = None
    sirene_file: str | None = None
    max_distance_km: float = 0.0  # 0 = each resource's default
    top_k: int = 10  # best candidates kept per supply and per need; 0 = every pair
    allocate: bool = True
    group_distance_km: float = 10.0
    min_actors: int = 2
    actor_fields: dict | None = None
    flow_fields: dict | None = None
    facilities: object = None  # named facilities table (path or frame) for origins/destinations


@dataclass
class PipelineResult:
    actors: gpd.GeoDataFrame
    supply: gpd.GeoDataFrame
    need: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    groups: gpd.GeoDataFrame
    rejected: pd.DataFrame
    unplaced: pd.DataFrame
    figures: dict
    counts: dict
    reports: dict[str, CarryOver] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)


def file_checksum(path) -> str | None:
    """SHA-256 of a file (None for a frame or a missing file): the run record's input trace."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except (TypeError, OSError):
        return None


def _place(actors_frame, previous_actors, options, progress, log):
    frame, kept = carry_over_placements(previous_actors, actors_frame)
    if kept:
        log.append(f"actors: {kept} manual placement(s) of the previous run kept")
    placed = geocode_actors(
        frame,
        method=options.method,
        ban_file=options.ban_file,
        sirene_file=options.sirene_file,
        progress=progress,
    )
    actors = as_points(placed)
    status = placed["geo_status"].value_counts().to_dict()
    log.append(
        "actors: "
        + ", ".join(f"{k} {v}" for k, v in sorted(status.items()))
        + f"; {int(placed['geo_review'].sum())} flagged for review"
    )
    return actors


def _places(result, actors, flows, options, territory, log):
    """Supply and need with their current places resolved, and the unusable values."""
    from .places import place_flows

    supply, need, unusable, lines = place_flows(
        result, actors, flows.attrs.get("columns", {}), options.facilities, territory
    )
    log.extend(lines)
    return supply.to_crs(METRIC_CRS), need.to_crs(METRIC_CRS), unusable


def _metabolism_figures(supply, need, candidates, log) -> dict:
    """Loop rates and avoided transport for the run record, the summary and year on year."""
    from .metabolism import loop_rate_figures, territory_metabolism
    from .synergy.impacts import avoided_totals

    figures = loop_rate_figures(territory_metabolism(supply, need, candidates))
    for status, total in avoided_totals(candidates).items():
        figures[f"{status}_tkm_avoided"] = total["tkm"]
        figures[f"{status}_co2_avoided_t"] = total["co2_t"]
        if total["n"]:
            log.append(
                f"{status} candidates with a current origin or destination: {total['n']}, "
                f"{total['tkm']:.0f} t.km and {total['co2_t']:.2f} t CO2e avoided per year"
            )
    for key, unit in (("t", "t/yr"), ("mwh", "MWh/yr")):
        before, after = figures.get(f"loop_rate_{key}"), figures.get(f"loop_rate_{key}_after")
        if before is not None:
            log.append(
                f"local loop rate [{unit}]: {before:.1%} today, {after:.1%} after the retained "
                "synergies"
            )
    return figures


@contextmanager
def _timed(timings: dict | None, stage: str):
    """Add the seconds spent in the block to ``timings[stage]`` (nothing when ``None``)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def run_pipeline(
    actors_source,
    flows_source,
    catalogue: Catalogue | None = None,
    options: PipelineOptions | None = None,
    previous: dict | None = None,
    progress=None,
    *,
    timings: dict | None = None,
    territory=None,
) -> PipelineResult:
    """Run the whole job; ``previous`` holds the previous run's frames by workspace role
    (``actors``, ``supply``, ``need``, ``candidates``, ``groups``) for the yearly update.

    ``timings``: a dict filled with the seconds spent in each stage (keys: :data:`STAGES`).
    ``territory``: the territory's communes (polygons), deciding which current origins and
    destinations lie outside (:mod:`core.places`).
    """
    options = options or PipelineOptions()
    catalogue = catalogue or Catalogue.builtin()
    previous = previous or {}
    progress = progress or NullProgress()
    log: list[str] = []

    with _timed(timings, "read_actors"):
        actor_table = read_actors(actors_source, options.actor_fields)
    with _timed(timings, "read_flows"):
        flows = read_flows(flows_source, options.flow_fields)
    check_canceled(progress)
    progress.report(0.05)

    with _timed(timings, "geocode"):
        actors = _place(
            actor_table.frame,
            previous.get("actors"),
            options,
            SubProgress(progress, 0.05, 0.3),
            log,
        )
    check_canceled(progress)
    with _timed(timings, "build_flows"):
        result = build_flows(actor_table, flows, catalogue, SubProgress(progress, 0.3, 0.45))
        log.append(result.summary())
        log.extend(actor_table.notes + result.notes)
        supply, need, unusable = _places(result, actors, flows, options, territory, log)
    check_canceled(progress)

    with _timed(timings, "candidates"):
        search = find_candidates(
            supply,
            need,
            catalogue.compatibility_frame,
            options.max_distance_km,
            catalogue.max_distance_km(),
            allocate=options.allocate,
            precedents=functools.partial(precedent_pairs, catalogue),
            progress=SubProgress(progress, 0.45, 0.8),
            top_k=options.top_k,
        )
        log.extend(search.log)
        candidates, cand_report = carry_over_decisions(
            previous.get("candidates"), search.candidates
        )
    check_canceled(progress)

    with _timed(timings, "groups"):
        groups = find_mutualisation_groups(
            need,
            supply,
            max_distance_km=options.group_distance_km,
            min_actors=options.min_actors,
            progress=SubProgress(progress, 0.8, 0.95),
            default_distances=catalogue.max_distance_km(),
        )
        log.extend(groups.attrs.get("log", []))
        groups, group_report = carry_over_decisions(
            previous.get("groups"), groups, key="group_id", compare=("combined_quantity",)
        )
        groups.attrs.clear()

    with _timed(timings, "figures"):
        previous_flows = (
            pd.concat(
                [f for f in (previous.get("supply"), previous.get("need")) if f is not None]
                or [None]
            )
            if any(previous.get(k) is not None for k in ("supply", "need"))
            else None
        )
        flow_report = diff_flows(previous_flows, pd.concat([supply, need], ignore_index=True))
        reports = {"candidates": cand_report, "groups": group_report, "flows": flow_report}
        if previous:
            log.extend(report.summary(name) for name, report in reports.items())

        rejected = result.rejected.copy()
        if len(actor_table.rejected):
            rejected = pd.concat([actor_table.rejected, rejected], ignore_index=True)
        if len(unusable):
            rejected["row_kept"] = False
            rejected = pd.concat([rejected, unusable], ignore_index=True)
        unplaced = search.unplaced if search.unplaced is not None else pd.DataFrame()
        actors_out = actors.to_crs(METRIC_CRS)
        figures = key_figures(supply, need, candidates, groups, actors_out)
        figures.update(_metabolism_figures(supply, need, candidates, log))
        counts = dict(result.counts)
        counts.update(
            actors=len(actors_out),
            candidates=len(candidates),
            groups=len(groups),
            unplaced=len(unplaced),
        )
    progress.report(1.0)
    for line in log:
        progress.log(line)
    return PipelineResult(
        actors_out, supply, need, candidates, groups, rejected, unplaced, figures, counts,
        reports, log,
    )  # fmt: skip


def run_record(
    result: PipelineResult, inputs: dict, parameters: dict, territory_name: str | None = None
) -> pd.DataFrame:
    """One row for the ``executions`` table: date, the territory's name (what the dock, the
    project and the atlas cover show), inputs' checksums, parameters, counts."""
    import json

    row = {
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "territory_name": territory_name or "",
        "inputs": json.dumps(
            {k: {"path": str(v), "sha256": file_checksum(v)} for k, v in inputs.items()},
            ensure_ascii=False,
        ),
        "parameters": json.dumps(parameters, ensure_ascii=False, default=str),
        "counts": json.dumps(result.counts, default=int),
        "figures": json.dumps(result.figures, ensure_ascii=False, default=float),
    }
    return pd.DataFrame([row])


def previous_figures(runs: pd.DataFrame | None) -> dict | None:
    """The figures of the latest earlier run (for year-on-year comparison)."""
    import json

    if runs is None or not len(runs) or "figures" not in runs:
        return None
    last = runs.sort_values("run_at").iloc[-1]
    try:
        return json.loads(last["figures"])
    except (TypeError, ValueError):
        return None


__all__ = [
    "PipelineOptions",
    "PipelineResult",
    "Path",
    "STAGES",
    "file_checksum",
    "previous_figures",
    "run_pipeline",
    "run_record",
]
