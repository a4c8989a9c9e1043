"""What the algorithms tell the user in the log, in the QGIS locale.

The core logs technical lines in English (kept as debug detail); these summaries are written
from its structured results, through ``tr()``.
"""

from __future__ import annotations

from ..translation import tr


def candidates_summary(candidates, unplaced=None, totals=None, families=None) -> list[str]:
    """``families``: the catalogue's families frame, for their names in the QGIS locale."""
    from ..core.report_words import format_number, unit_label
    from ..layers.styles import family_labels
    from ..layers.summary import report_language

    lang = report_language()

    names = (
        {code: label for code, (label, _) in family_labels(families).items()}
        if (families is not None)
        else {}
    )
    lines = [tr("{n} synergy candidates within the distance limit.").format(n=len(candidates))]
    if len(candidates):
        by_family = candidates["family"].value_counts()
        lines.append(
            tr("By family: {families}.").format(
                families=", ".join(
                    f"{names.get(family, family)} {count}" for family, count in by_family.items()
                )
            )
        )
    for unit, total in (totals or {}).items():
        lines.append(
            tr(
                "Optimal allocation: {quantity} {unit} exchanged by {allocated} of {n} "
                "candidates."
            ).format(
                quantity=format_number(total.get("quantity", 0), 0, lang),
                unit=unit_label(unit, lang),
                allocated=total.get("allocated", 0),
                n=total.get("candidates", 0),
            )
        )
    if unplaced is not None and len(unplaced):
        lines.append(tr("{n} flows have no position and were not matched.").format(n=len(unplaced)))
    return lines


def groups_summary(groups, min_actors) -> list[str]:
    return [
        tr("{n} mutualisation groups of at least {min} actors.").format(
            n=len(groups), min=min_actors
        )
    ]


def placement_summary(actors) -> list[str]:
    methods = actors["geo_method"].astype(str).value_counts().to_dict()
    review = int(actors["geo_review"].astype(bool).sum()) if "geo_review" in actors else 0
    return [
        tr(
            "Actors: {n} ({given} from their coordinates, {commune} at their commune, {other} "
            "from an address); {review} to review."
        ).format(
            n=len(actors),
            given=methods.get("given", 0),
            commune=methods.get("commune", 0),
            other=len(actors) - methods.get("given", 0) - methods.get("commune", 0),
            review=review,
        )
    ]


def carry_over_summary(reports) -> list[str]:
    flows = reports["flows"]
    cands = reports["candidates"]
    return [
        tr(
            "Update of the previous run: flows {new} new, {changed} changed, {gone} gone; "
            "candidates {cnew} new, {cgone} gone; {kept} decisions kept."
        ).format(
            new=len(flows.new),
            changed=len(flows.changed),
            gone=len(flows.gone),
            cnew=len(cands.new),
            cgone=len(cands.gone),
            kept=cands.kept + reports["groups"].kept,
        )
    ]


def metabolism_summary(figures, candidates, previous=None) -> list[str]:
    """Loop rates (and the previous run's, year on year) and the transport avoided by the
    synergies to pursue and to explore."""
    from ..core.report_words import format_number
    from ..core.synergy.impacts import avoided_totals
    from ..layers.summary import report_language

    lang = report_language()
    lines = []
    for key, unit in (("t", tr("tonnes")), ("mwh", tr("MWh"))):
        before = figures.get(f"loop_rate_{key}")
        after = figures.get(f"loop_rate_{key}_after")
        if before is None or before != before:
            continue
        lines.append(
            tr("Local loop rate of {unit}: {before} % today, {after} % after the synergies to "
               "pursue.").format(
                unit=unit,
                before=format_number(100 * before, 0, lang),
                after=format_number(100 * (after if after is not None else before), 0, lang),
            )
        )  # fmt: skip
        earlier = (previous or {}).get(f"loop_rate_{key}")
        if earlier is not None and earlier == earlier:
            lines.append(
                tr(
                    "Local loop rate of {unit} at the previous run: {before} % (now {now} %)."
                ).format(
                    unit=unit,
                    before=format_number(100 * earlier, 0, lang),
                    now=format_number(100 * before, 0, lang),
                )
            )
    names = {"retained": tr("Synergies to pursue"), "to_explore": tr("Synergies to explore")}
    for status, total in avoided_totals(candidates).items():
        if total["n"]:
            lines.append(
                tr("{what}: {tkm} t·km and {co2} t CO2e of transport avoided per year against "
                   "today ({n} with a known current origin or destination).").format(
                    what=names[status],
                    tkm=format_number(total["tkm"], 0, lang),
                    co2=format_number(total["co2_t"], 2, lang),
                    n=total["n"],
                )
            )  # fmt: skip
    return lines
