"""``synthese.html``: the key figures of a run and its top candidates, in the QGIS locale."""

from __future__ import annotations

import html
from datetime import date

from ..translation import qgis_locale, tr


def report_language() -> str:
    """The summary's language: the QGIS locale's when the report texts exist in it."""
    return "fr" if qgis_locale() == "fr" else "en"


def _number(value, digits=0) -> str:
    from ..core.report_words import format_number

    return format_number(value, digits, report_language()) or "–"


def public_view(candidates, public: bool):
    """Candidates as the summary shows them: a confidential side shows its category instead
    of its name, and the quantity becomes a size class (the atlas's rules, core/report.py)."""
    from ..core.report_words import category_label, format_quantity, size_class, status_label

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


def _percent(value) -> str:
    if value is None or value != value:
        return "–"
    return _number(100.0 * float(value), 0) + " %"


def _cell(figures, key, digits) -> str:
    return _percent(figures.get(key)) if digits == "%" else _number(figures.get(key), digits)


def avoided_lines(candidates, public: bool) -> list[tuple[str, dict]]:
    """(label, totals) of the transport avoided by the synergies to pursue and to explore;
    in public mode the candidates with a confidential side are left out."""
    from ..core.synergy.impacts import avoided_totals

    frame = candidates
    if public and len(frame):
        hidden = _confidential(frame, ("supply_confidential", "need_confidential"))
        frame = frame[[not h for h in hidden]]
    totals = avoided_totals(frame)
    return [
        (tr("Synergies to pursue"), totals.get("retained", {})),
        (tr("Synergies to explore"), totals.get("to_explore", {})),
    ]


def _confidential(frame, columns) -> list[bool]:
    hidden = [False] * len(frame)
    for column in columns:
        if column in frame:
            flags = frame[column].astype(object).to_numpy()
            hidden = [
                h or f is None or f != f or bool(f) for h, f in zip(hidden, flags, strict=True)
            ]
    return hidden


def public_figures(figures, supply, need, candidates) -> dict:
    """The run's figures with the quantities of confidential flows, and of candidates with a
    confidential side, left out (the counts stay): a total shown next to the public diagram
    must not tell, by difference, a confidential quantity."""
    from ..core.metabolism import loop_rate_figures, territory_metabolism
    from ..core.workspace import key_figures

    def shown(frame, columns):
        if frame is None or not len(frame):
            return frame
        return frame[[not h for h in _confidential(frame, columns)]]

    public = key_figures(
        shown(supply, ("confidential",)), shown(need, ("confidential",)),
        shown(candidates, ("supply_confidential", "need_confidential")),
    )  # fmt: skip
    out = dict(figures)
    for key in ("supply_t", "need_t", "supply_mwh", "need_mwh", "candidates_t",
                "candidates_mwh", "retained_t", "retained_mwh", "retained_co2_kg"):  # fmt: skip
        out[key] = public[key]
    out.update(loop_rate_figures(territory_metabolism(supply, need, candidates, public=True)))
    return out


def metabolism_section(supply, need, candidates, public: bool, families=None) -> list[str]:
    """The metabolism's table and diagrams (inline SVG)."""
    from ..core.metabolism import UNITS, territory_metabolism
    from .metabolism_view import metabolism_svg, metabolism_texts

    esc = html.escape
    meta = territory_metabolism(supply, need, candidates, public=public)
    texts = metabolism_texts()
    lines = [
        f"<h2>{esc(tr('Metabolism of the territory'))}</h2>",
        "<p>"
        + esc(
            tr(
                "What enters from outside, circulates in the territory and leaves it, by the "
                "current origins and destinations of the flows, today and once the synergies "
                "to pursue are in place. Local loop rate: share of the supplies used in the "
                "territory."
            )
        )
        + "</p>",
    ]
    if public and meta["masked_flows"]:
        lines.append(
            "<p><em>"
            + esc(
                tr("{n} confidential flows are left out of these figures.").format(
                    n=meta["masked_flows"]
                )
            )
            + "</em></p>"
        )
    rows = (
        ("outside_in", "entering"),
        ("inside_in", "inside_inputs"),
        ("unknown_in", "unknown_inputs"),
        ("inside_out", "used_inside"),
        ("outside_out", "leaving"),
        ("unknown_out", "unknown_outputs"),
    )
    for unit in UNITS:
        totals = meta["totals"][unit]
        if not any(v[0] or v[1] for v in totals.values()):
            continue
        unit_text = tr("t/yr") if unit == "t/yr" else tr("MWh/yr")
        lines += [
            "<table>",
            f"<tr><th>{esc(unit_text)}</th><th>{esc(texts['title_before'])}</th>"
            f"<th>{esc(texts['title_after'])}</th></tr>",
        ]
        for text_key, key in rows:
            before, after = totals[key]
            lines.append(
                f"<tr><td>{esc(texts[text_key])}</td><td class='num'>{_number(before)}</td>"
                f"<td class='num'>{_number(after)}</td></tr>"
            )
        before, after = meta["loop_rate"][unit]
        lines.append(
            f"<tr><th>{esc(tr('Local loop rate'))}</th><th class='num'>{_percent(before)}</th>"
            f"<th class='num'>{_percent(after)}</th></tr></table>"
        )
        lines.append(
            "<div class='sankey'>"
            + metabolism_svg(meta, unit, families, number=lambda v: _number(v))
            + "</div>"
        )
    return lines


def summary_html(
    figures, previous, candidates, groups, counts, public=True, top=15, supply=None, need=None,
    families=None,
) -> str:  # fmt: skip
    """The page, self-contained (no external file); with ``supply`` and ``need``, the
    territory's metabolism before and after the synergies to pursue (and, in public mode, the
    run's quantities without the confidential flows, as the diagram shows them)."""
    esc = html.escape
    if public and supply is not None and need is not None:
        figures = public_figures(figures, supply, need, candidates)
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
        (tr("Local loop rate of tonnes, today"), "loop_rate_t", "%"),
        (tr("Local loop rate of tonnes after the synergies to pursue"), "loop_rate_t_after", "%"),
        (tr("Local loop rate of MWh, today"), "loop_rate_mwh", "%"),
        (tr("Local loop rate of MWh after the synergies to pursue"), "loop_rate_mwh_after", "%"),
    ]
    header = f"<tr><th>{esc(tr('Figure'))}</th><th>{esc(tr('This run'))}</th>"
    if previous:
        header += f"<th>{esc(tr('Previous run'))}</th>"
    lines += [f"<h2>{esc(tr('Key figures'))}</h2>", "<table>", header + "</tr>"]
    for label, key, digits in rows:
        cells = f"<td>{esc(label)}</td><td class='num'>{_cell(figures, key, digits)}</td>"
        if previous:
            cells += f"<td class='num'>{_cell(previous, key, digits)}</td>"
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
        f"<h2>{esc(tr('Transport avoided against today'))}</h2>",
        "<p>"
        + esc(
            tr(
                "Tonne-kilometres and CO2 of road transport avoided per year by the synergies "
                "whose supply's current destination or need's current origin is known "
                "(negative: the synergy is farther than today)."
            )
        )
        + ("*" if public else "")
        + "</p>",
        "<table><tr>"
        + "".join(
            f"<th>{esc(h)}</th>"
            for h in (tr("Synergies"), tr("Number"), tr("t·km avoided"), tr("t CO2e avoided"))
        )
        + "</tr>",
    ]
    for label, total in avoided_lines(candidates, public):
        lines.append(
            f"<tr><td>{esc(label)}</td><td class='num'>{_number(total.get('n'))}</td>"
            f"<td class='num'>{_number(total.get('tkm'))}</td>"
            f"<td class='num'>{_number(total.get('co2_t'), 2)}</td></tr>"
        )
    lines.append("</table>")
    if public:
        lines.append(
            f"<p><small>* {esc(tr('Synergies with a confidential side are left out.'))}"
            "</small></p>"
        )
    if supply is not None and need is not None:
        lines += metabolism_section(supply, need, candidates, public, families)
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
