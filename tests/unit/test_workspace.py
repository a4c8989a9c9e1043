"""Yearly updates: decisions and manual placements carried over, changes reported."""

from __future__ import annotations

import pandas as pd
from eit_synergies.core.workspace import (
    carry_over_decisions,
    carry_over_placements,
    diff_flows,
    key_figures,
)


def candidates(rows):
    return pd.DataFrame(rows, columns=["candidate_id", "status", "notes", "matched_quantity"])


def test_statuses_and_notes_survive_for_candidates_that_still_exist():
    previous = candidates(
        [
            ("S1>N1", "retained", "Contacter le GAEC", 10.0),
            ("S2>N1", "rejected", "", 5.0),
            ("S3>N2", "proposed", "", 1.0),
            ("S9>N9", "to_explore", "disparu", 1.0),
        ]
    )
    current = candidates(
        [
            ("S1>N1", "proposed", None, 12.0),  # quantity changed
            ("S2>N1", "proposed", None, 5.0),
            ("S3>N2", "proposed", None, 1.0),
            ("S4>N2", "proposed", None, 3.0),  # new
        ]
    )
    merged, report = carry_over_decisions(previous, current)
    by_id = merged.set_index("candidate_id")
    assert by_id.loc["S1>N1", "status"] == "retained"
    assert by_id.loc["S1>N1", "notes"] == "Contacter le GAEC"
    assert by_id.loc["S2>N1", "status"] == "rejected"
    assert by_id.loc["S3>N2", "status"] == "proposed"
    assert by_id.loc["S4>N2", "status"] == "proposed"
    assert by_id.loc["S1>N1", "matched_quantity"] == 12.0  # new figures, old decision
    assert report.kept == 2
    assert report.new == ["S4>N2"]
    assert report.gone == ["S9>N9"]
    assert report.changed == ["S1>N1"]


def test_carrying_without_a_copy_gives_the_same_and_leaves_current_as_it_was():
    previous = candidates([("S1>N1", "retained", "Contacter", 10.0)])
    current = candidates([("S1>N1", "proposed", None, 12.0), ("S4>N2", "proposed", None, 3.0)])
    before = current.copy()
    copied, copied_report = carry_over_decisions(previous, current)
    shared, shared_report = carry_over_decisions(previous, current, copy=False)
    pd.testing.assert_frame_equal(shared, copied)
    assert vars(shared_report) == vars(copied_report)
    assert shared.loc[0, "status"] == "retained"
    pd.testing.assert_frame_equal(current, before)  # the decisions went to a new column


def test_first_run_has_everything_new():
    current = candidates([("A>B", "proposed", None, 1.0)])
    merged, report = carry_over_decisions(None, current)
    assert merged.equals(current)
    assert report.new == ["A>B"] and report.kept == 0


def test_manual_placements_are_kept():
    previous = pd.DataFrame(
        {
            "actor_id": ["A1", "A2", "A3"],
            "geo_method": ["given", "ban_file", "given"],
            "lon": [3.01, 3.02, None],
            "lat": [47.1, 47.2, None],
        }
    )
    actors = pd.DataFrame({"actor_id": ["A1", "A2", "A4"], "name": ["x", "y", "z"]})
    out, count = carry_over_placements(previous, actors)
    assert count == 1
    row = out.set_index("actor_id").loc["A1"]
    assert (row["longitude"], row["latitude"], row["geo_method"]) == (3.01, 47.1, "given")
    assert pd.isna(out.set_index("actor_id").loc["A2", "longitude"])


def test_diff_flows():
    previous = pd.DataFrame(
        {"flow_id": ["F1", "F2", "F3"], "resource": ["A", "B", "C"], "quantity_norm": [1, 2, 3]}
    )
    current = pd.DataFrame(
        {"flow_id": ["F1", "F2", "F4"], "resource": ["A", "B", "D"], "quantity_norm": [1, 5, 1]}
    )
    report = diff_flows(previous, current)
    assert (report.new, report.gone, report.changed, report.kept) == (["F4"], ["F3"], ["F2"], 1)


def test_key_figures():
    supply = pd.DataFrame(
        {"actor_id": ["A", "B"], "family": ["organic", "energy"],
         "quantity_norm": [10.0, 100.0], "unit_norm": ["t/yr", "MWh/yr"]}
    )  # fmt: skip
    need = pd.DataFrame(
        {"actor_id": ["C"], "family": ["organic"], "quantity_norm": [4.0], "unit_norm": ["t/yr"]}
    )
    cands = pd.DataFrame(
        {"status": ["retained", "proposed"], "matched_quantity": [4.0, 50.0],
         "unit_norm": ["t/yr", "MWh/yr"], "co2_transport_kg": [1.5, 3.0]}
    )  # fmt: skip
    figures = key_figures(supply, need, cands)
    assert figures["actors"] == 3
    assert figures["supply_t"] == 10.0 and figures["supply_mwh"] == 100.0
    assert figures["retained_t"] == 4.0 and figures["retained_mwh"] == 0.0
    assert figures["retained_co2_kg"] == 1.5
    assert figures["status_retained"] == 1 and figures["status_proposed"] == 1
    assert figures["flows_by_family"]["organic"] == {"supply": 1, "need": 1}
