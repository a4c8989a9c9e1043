"""``synthese.html``: the key figures of a run and its top candidates, in the QGIS locale."""

from __future__ import annotations

import html
from datetime import date

from ..translation import qgis_locale, tr


def report_language() -> str:
    """The summary's language: the QGIS locale's when the report texts exist in it."""
    return "fr" if qgis_locale() == "fr" else "en"


def _number(value, digits=0) -> str:
    from ..core.report import format_number

    return format_number(value, digits, report_language()) or "–"


def public_view(candidates, public: bool):
    """Candidates as the summary shows them: a confidential side shows its category instead
    of its name, and the quantity becomes a size class (the atlas's rules, core/report.py)."""
    from ..core.report import category_label, format_quantity, size_class, status_label

    lang = report_language()
    rows = []
    for _, row in candidates.iterrows():
        masked = {}
        for side, prefix in (("supply", "supplier"), ("need", "receiver")):
            hidden = public and bool(row.get(f"{side}_confidential"))
            category = row.get(f"{prefix}_category")
            name = (
                category_label(category, lang, public=True) if hidden else row.get(f"{prefix}_name")
            )
            masked[prefix] = str(name or "")
            masked[f"{side}_hidden"] = hidden
        amount, unit = row.get("matched_quantity"), row.get("unit_norm")
        hidden_quantity = masked["supply_hidden"] or masked["need_hidden"]
        masked.update(
            resource=f"{row.get('supply_resource_label')} → {row.get('need_resource_label')}",
            distance=_number(row.get("distance_km"), 1),
            quantity=size_class(amount, unit, lang)
            if hidden_quantity
            else format_quantity(amount, unit, lang),
            score=_number(row.get("score"), 2),
            status=status_label(row.get("status"), lang),
        )
        rows.append(masked)
    return rows


def summary_html(figures, previous, candidates, groups, counts, public=True, top=15) -> str:
    """The page, self-contained (no external file)."""
    esc = html.escape
    title = tr("EIT Synergies — summary of the run")
    lines = [
        "<!DOCTYPE html>",
        '<html lang="fr"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:'DejaVu Sans',sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:4px 8px;text-align:left}th{background:#eef3ea}.num{text-align:right}"
        "h1{color:#1b7837}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p>{esc(tr('Date of the run: {date}').format(date=date.today().isoformat()))}</p>",
    ]
    if public:
        lines.append(
            f"<p><em>{esc(tr('Public version: confidential flows appear without name or quantity.'))}</em></p>"  # noqa: E501
        )
    rows = [
        (tr("Actors"), "actors", 0),
        (tr("Supplies"), "supply_flows", 0),
        (tr("Needs"), "need_flows", 0),
        (tr("Tonnes per year offered"), "supply_t", 0),
        (tr("MWh per year offered"), "supply_mwh", 0),
        (tr("Synergy candidates"), "candidates", 0),
        (tr("Tonnes per year in candidates"), "candidates_t", 0),
        (tr("MWh per year in candidates"), "candidates_mwh", 0),
        (tr("Candidates to pursue"), "status_retained", 0),
        (tr("Tonnes per year diverted by retained synergies"), "retained_t", 0),
        (tr("Mutualisation groups"), "groups", 0),
    ]
    header = f"<tr><th>{esc(tr('Figure'))}</th><th>{esc(tr('This run'))}</th>"
    if previous:
        header += f"<th>{esc(tr('Previous run'))}</th>"
    lines += [f"<h2>{esc(tr('Key figures'))}</h2>", "<table>", header + "</tr>"]
    for label, key, digits in rows:
        cells = f"<td>{esc(label)}</td><td class='num'>{_number(figures.get(key), digits)}</td>"
        if previous:
            cells += f"<td class='num'>{_number(previous.get(key), digits)}</td>"
        lines.append(f"<tr>{cells}</tr>")
    lines.append("</table>")
    lines.append(
        "<p>"
        + esc(
            tr("Rows read: {read}, used: {used}, rejected: {rejected}.").format(
                read=counts.get("rows_read", 0),
                used=counts.get("rows_used", 0),
                rejected=counts.get("rows_rejected", 0),
            )
        )
        + "</p>"
    )
    lines += [
        f"<h2>{esc(tr('Best synergy candidates'))}</h2>",
        "<table><tr>"
        + "".join(
            f"<th>{esc(h)}</th>"
            for h in (
                tr("Supplier"),
                tr("Receiver"),
                tr("Resources"),
                tr("Distance (km)"),
                tr("Quantity per year"),
                tr("Score"),
                tr("Status"),
            )
        )  # fmt: skip
        + "</tr>",
    ]
    best = candidates.sort_values("score", ascending=False).head(top)
    for row in public_view(best, public):
        lines.append(
            "<tr>"
            + "".join(
                f"<td>{esc(str(row[k]))}</td>"
                for k in ("supplier", "receiver", "resource", "distance", "quantity", "score")
            )
            + f"<td>{esc(row['status'])}</td></tr>"
        )
    lines.append("</table>")
    lines.append(f"<h2>{esc(tr('Mutualisation groups'))}</h2><ul>")
    for _, group in groups.iterrows():
        lines.append(
            "<li>"
            + esc(
                tr("{resource}: {n} actors within {km} km").format(
                    resource=group.get("resource_label"),
                    n=group.get("n_actors"),
                    km=_number(group.get("max_pair_km"), 1),
                )
            )
            + "</li>"
        )
    lines += ["</ul>", "</body></html>"]
    return "\n".join(lines)
