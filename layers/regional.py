"""The region's view of the network: a summary across the territories' schemas, as a table
and as an html page (``reseau_regional.html``). Built from the public-safe views only
(``layers.postgres.regional_summary``): what the region's role may read."""

from __future__ import annotations

import html
from datetime import date

from ..translation import tr

COLUMNS = (
    "actors", "supply_flows", "need_flows", "candidates", "retained", "to_explore", "rejected",
    "decisions",
)  # fmt: skip


def column_labels() -> dict[str, str]:
    return {
        "territory": tr("Territory"),
        "family": tr("Family"),
        "actors": tr("Actors"),
        "supply_flows": tr("Supplies"),
        "need_flows": tr("Needs"),
        "candidates": tr("Synergy candidates"),
        "retained": tr("To pursue"),
        "to_explore": tr("To explore further"),
        "rejected": tr("Set aside"),
        "decisions": tr("Decisions"),
    }


def regional_html(summary, family_labels: dict | None = None, database: str = "") -> str:
    """The regional page: one table per territory (rows: families) and the network's totals.
    Actors are counted per family (an actor active in two families counts in both)."""
    labels = column_labels()
    family_labels = family_labels or {}
    esc = html.escape
    head = "".join(f"<th>{esc(labels[c])}</th>" for c in ("family", *COLUMNS))
    parts = [
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>",
        f"<title>{esc(tr('Regional network'))}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
        "margin-bottom:1.5em}td,th{border:1px solid #bbb;padding:.3em .6em}"
        "td.n{text-align:right}</style></head><body>",
        f"<h1>{esc(tr('Regional network'))}</h1>",
        "<p>"
        + esc(
            tr("{n} territories readable in {database} on {day}. Confidential actors and "
               "flows are masked as in the public atlas.").format(
                n=summary["territory"].nunique() if len(summary) else 0,
                database=database, day=date.today().isoformat(),
            )
        )
        + "</p>",
    ]  # fmt: skip
    if not len(summary):
        parts.append(f"<p>{esc(tr('No territory is readable with this role.'))}</p>")
    totals = summary.groupby("territory")[list(COLUMNS)].sum() if len(summary) else None
    if totals is not None:
        parts.append(f"<h2>{esc(tr('Network totals'))}</h2><table><tr>")
        parts.append(f"<th>{esc(labels['territory'])}</th>")
        parts.append("".join(f"<th>{esc(labels[c])}</th>" for c in COLUMNS[1:]) + "</tr>")
        for territory, row in totals.iterrows():
            cells = "".join(f"<td class='n'>{int(row[c])}</td>" for c in COLUMNS[1:])
            parts.append(f"<tr><td>{esc(str(territory))}</td>{cells}</tr>")
        parts.append("</table>")
    for territory, rows in summary.groupby("territory", sort=True) if len(summary) else []:
        parts.append(f"<h2>{esc(str(territory))}</h2><table><tr>{head}</tr>")
        for _, row in rows.iterrows():
            family = family_labels.get(row["family"], row["family"] or "")
            cells = "".join(f"<td class='n'>{int(row[c])}</td>" for c in COLUMNS)
            parts.append(f"<tr><td>{esc(str(family))}</td>{cells}</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
