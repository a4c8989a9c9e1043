"""The whole job on the demo territory, Qt-free, and its yearly rerun."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from eit_synergies.core.errors import Canceled
from eit_synergies.core.pipeline import (
    STAGES,
    PipelineOptions,
    previous_figures,
    run_pipeline,
    run_record,
)
from eit_synergies.core.progress import RecordingProgress

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


@pytest.fixture(scope="module")
def first_run():
    return run_pipeline(DEMO / "actors.csv", DEMO / "flows.csv")


def test_every_stage_produces_its_output(first_run):
    r = first_run
    assert len(r.actors) == 33
    assert r.actors.crs.to_epsg() == 2154
    assert r.counts["rows_read"] == r.counts["rows_used"] + r.counts["rows_rejected"]
    assert len(r.supply) + len(r.need) == r.counts["rows_used"]
    assert len(r.candidates) > 50 and len(r.groups) > 3
    assert set(r.candidates["status"]) == {"proposed"}
    assert r.figures["candidates"] == len(r.candidates)
    assert r.figures["supply_t"] > 0 and r.figures["supply_mwh"] > 0
    # allocation ran: matched quantities never exceed what each supply offers
    matched = r.candidates.groupby("supply_flow")["matched_quantity"].sum()
    offered = r.supply.set_index("flow_id")["quantity_norm"]
    assert (matched <= offered.reindex(matched.index).fillna(float("inf")) + 1e-6).all()


def test_rerun_keeps_decisions_and_reports_changes(first_run, tmp_path):
    previous = {
        "actors": first_run.actors.assign(
            lon=first_run.actors.to_crs(4326).geometry.x,
            lat=first_run.actors.to_crs(4326).geometry.y,
        ),
        "supply": first_run.supply,
        "need": first_run.need,
        "candidates": first_run.candidates.copy(),
        "groups": first_run.groups.copy(),
    }
    cands = previous["candidates"]
    retained_id = cands["candidate_id"].iloc[0]
    cands.loc[cands.index[0], ["status", "notes"]] = ["retained", "Réunion en mars"]
    # a facilitator moved the sawmill A01 by hand in QGIS (geo_method = given)
    actors = previous["actors"]
    moved = actors["actor_id"] == "A01"
    actors.loc[moved, ["geo_method", "lon", "lat"]] = ["given", 3.05, 47.2]
    # a year later: one flow's quantity changed, one flow added
    flows = tmp_path / "flux.csv"
    text = (DEMO / "flows.csv").read_text(encoding="utf-8")
    shutil.copy(DEMO / "actors.csv", tmp_path / "acteurs.csv")
    lines = text.splitlines()
    fields = [
        "FL999",
        "A22",
        "gisement",
        "ORG_BIOWASTE",
        "Biodéchets nouveaux",
        "5",
        "t/an",
        "2025",
    ]
    lines.append(";".join(fields + [""] * (lines[0].count(";") + 1 - len(fields))))
    flows.write_text("\n".join(lines) + "\n", encoding="utf-8")
    second = run_pipeline(tmp_path / "acteurs.csv", flows, previous=previous)
    by_id = second.candidates.set_index("candidate_id")
    assert by_id.loc[retained_id, "status"] == "retained"
    assert by_id.loc[retained_id, "notes"] == "Réunion en mars"
    assert second.reports["candidates"].kept == 1
    assert "FL999" in second.reports["flows"].new
    assert any(c.startswith("FL999>") for c in second.reports["candidates"].new)
    a01 = second.actors.to_crs(4326).set_index("actor_id").loc["A01"]
    assert a01["geo_method"] == "given"
    assert a01.geometry.x == pytest.approx(3.05) and a01.geometry.y == pytest.approx(47.2)
    record = run_record(second, {"actors": tmp_path / "acteurs.csv"}, {"PUBLIC": True})
    assert len(record["inputs"][0]) > 10 and "sha256" in record["inputs"][0]
    assert previous_figures(record)["candidates"] == len(second.candidates)


def test_cancel_stops_the_run():
    with pytest.raises(Canceled):
        run_pipeline(
            DEMO / "actors.csv", DEMO / "flows.csv", progress=RecordingProgress(cancel_after=1)
        )


def test_options_change_the_search(first_run):
    tight = run_pipeline(
        DEMO / "actors.csv", DEMO / "flows.csv", options=PipelineOptions(max_distance_km=2)
    )
    assert len(tight.candidates) < len(first_run.candidates)
    assert tight.candidates["distance_km"].max() <= 2


def test_timings_are_filled_for_every_stage(first_run):
    timings = {}
    timed = run_pipeline(DEMO / "actors.csv", DEMO / "flows.csv", timings=timings)
    assert list(timings) == list(STAGES)
    assert all(isinstance(v, float) and v >= 0 for v in timings.values())
    assert sum(timings.values()) > 0
    # timing changes nothing in the result
    assert timed.counts == first_run.counts
    assert (
        timed.candidates["candidate_id"].tolist() == first_run.candidates["candidate_id"].tolist()
    )
    assert timed.groups["group_id"].tolist() == first_run.groups["group_id"].tolist()


def test_a_malformed_line_goes_to_the_rejected_table_and_the_run_goes_on(first_run, tmp_path):
    lines = (DEMO / "flows.csv").read_text(encoding="utf-8").splitlines()
    broken = lines[5] + ";une valeur de trop"
    lines[5] = broken  # row 6
    flows = tmp_path / "flux.csv"
    flows.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = run_pipeline(DEMO / "actors.csv", flows)
    assert run.counts["rows_read"] == first_run.counts["rows_read"]
    assert run.counts["rows_read"] == run.counts["rows_used"] + run.counts["rows_rejected"]
    assert run.counts["rows_rejected"] == first_run.counts["rows_rejected"] + 1
    row = run.rejected[run.rejected["row"] == 6].iloc[0]
    assert row["reason_code"] == "too_many_fields" and row["source"] == "flux.csv"
    assert row["value"] == broken
    assert len(run.candidates) > 50
