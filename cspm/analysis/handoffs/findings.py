"""Plain-language findings, charts and the report section of :class:`cspm.analysis.handoffs.handoffs.HandoffAnalysis`."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cspm.units import format_duration

if TYPE_CHECKING:
    from cspm.analysis.handoffs.handoffs import HandoffAnalysis

TEMPLATES = Path(__file__).resolve().parents[2] / "render" / "templates"


def _pct(x: float | None) -> str:
    if x is None or pd.isna(x):
        return "–"
    return f"{x:.0%}" if x >= 0.1 or x == 0 else f"{x:.1%}"


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _count(x: int, noun: str) -> str:
    return f"{_n(x)} {noun}{'' if x == 1 else 's'}"


def handoff_findings(a: HandoffAnalysis) -> list[str]:
    """The top findings, one sentence each, most important first."""
    out: list[str] = []
    h, pp, rw, ap, lp, rd = a.handoffs, a.ping_pong, a.rework, a.approvals, a.loops, a.redundancy
    unit = h.level
    if h.tickets:
        line = (
            f"A ticket is handed over {h.mean_per_ticket:.{1 if h.mean_per_ticket >= 0.1 else 2}f} times on "
            f"average between {unit}s; "
            f"{_pct(h.share_at_least(2))} of tickets are handed over twice or more and "
            f"{_pct(h.single_unit_tickets / h.tickets)} stay with a single {unit}."
        )
        busy = h.busiest(1)
        if not busy.empty:
            b = busy.iloc[0]
            line += (
                f" The busiest handoff is {b['from_unit']} → {b['to_unit']} ({_n(b['handoffs'])}, median wait "
                f"{format_duration(b['median_wait_s'])})."
            )
        out.append(line)
    s = pp.summary()
    if s["tickets_with_ping_pong"]:
        imp = s["impact"]
        line = (
            f"{_pct(s['share'])} of tickets bounce between {unit}s ({s['direct_tickets']} direct A → B → A, "
            f"{s['indirect_tickets']} indirect A → B → C → A)"
        )
        if s["top_pair"]:
            line += f"; {s['top_pair']['pair']} is the most frequent pair ({_n(s['top_pair']['bounces'])} bounces)"
        line += (
            f"; bounced tickets take a median {format_duration(imp['lead_time_median_s'])} vs "
            f"{format_duration(imp['other_lead_time_median_s'])} for the others."
        )
        out.append(line)
    elif h.tickets:
        out.append(f"No ticket comes back to a {unit} it had handed on (no ping-pong).")
    r = rw.summary()
    if r["repetitions"] or r["self_loops"]:
        line = (
            f"{_pct(r['share_tickets_with_rework'])} of tickets contain rework (a step done again after "
            f"other steps: {_count(r['repetitions'], 'repetition')}); {_pct(r['share_tickets_with_self_loops'])} "
            f"repeat a step immediately ({_count(r['self_loops'], 'self-loop')})"
        )
        if r["repeats"] or r["redos"]:  # agents known
            line += f"; {_n(r['redos'])} of these repeats are done by another agent"
        line += "."
        if r["most_repeated"]:
            m = r["most_repeated"][0]
            line += f" Most repeated: {m['activity']} ({_n(m['repetitions'] + m['self_loops'])})."
        if r["waiting_repeats"]:
            waits = ", ".join(f"{k} ({_n(v)})" for k, v in r["waiting_repeats"].items())
            line += f" Repeats of waiting steps are not counted as rework: {waits}."
        out.append(line)
    q = ap.summary()
    if q["tickets_with_approval"]:
        line = (
            f"{_n(q['tickets_with_approval'])} tickets pass approval with {q['approval_steps_per_approval_ticket_mean']:.1f} "
            f"approval steps each; {_n(q['tickets_with_loops'])} go round the approval loop twice or more "
            f"({_n(q['extra_rounds'])} extra rounds, {_n(q['rejection_cycles'])} rejection → resubmission cycles)."
        )
        out.append(line)
    if not lp.cycles.empty:
        c = lp.cycles.iloc[0]
        out.append(
            f"The most common loop in the process is {c['cycle']} ({_n(c['tickets'])} tickets, median "
            f"{format_duration(c['median_s'])} per pass)."
        )
    d = rd.summary()
    cost = d["cost_per_month"]
    line = (
        f"{_pct(d['redundant_step_share'])} of steps are redundant (repetitions, self-loops, ping-pong returns); "
        f"ping-pong detours, rework and extra approval rounds take {_n(d['hours']['redundant'])} hours of "
        f"elapsed time, waiting included ({_n(d['hours']['redundant'] / rd.months)} per month)"
    )
    if cost["redundant"] is not None:
        line += (
            f"; their processing time ({_n(cost['hours_per_month']['redundant'])} hours per month) costs about "
            f"{_n(cost['redundant'])} {rd.currency} per month at {rd.hourly_rate:g} {rd.currency}/h"
        )
    elif rd.hourly_rate > 0:
        line += f"; no cost in {rd.currency}: {cost['reason']}"
    out.append(line + ". " + lead_time_sentence(rd.lead_time_reduction()))
    return out


def lead_time_sentence(lt: dict[str, Any]) -> str:
    """The lead-time estimate with its method in one sentence (see :mod:`cspm.analysis.handoffs.redundancy`)."""
    before = format_duration(lt["median_before_s"])
    if lt["median_after_s"] is None:
        return f"The lead time saved by removing them is not estimated: {lt['reason']}."
    after = lt["median_after_s"]
    head = (
        f"Removing them would cut the median lead time from {before} to an estimated {format_duration(after)}"
        if after < lt["median_before_s"]
        else f"Removing them would not shorten the median lead time of {before}"
    )
    return (
        f"{head} (estimate: their time taken out of each ticket, but no ticket below "
        f"{format_duration(lt['floor_s'])}, the median lead time of the "
        f"{_count(lt['tickets_without_redundancy'], 'ticket')} without any)."
    )


# ----------------------------------------------------------------------------------- charts
def bar_chart_svg(labels: list[str], values: list[float], title: str, width: int = 420) -> str:
    """A small horizontal bar chart as SVG; every label is XML-escaped."""
    bar_h, gap, left = 16, 4, 130
    height = 24 + len(labels) * (bar_h + gap)
    top = max(values, default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}" font-family="Helvetica, Arial, sans-serif" font-size="11">',
        f'<text x="0" y="12" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 20 + i * (bar_h + gap)
        w = (width - left - 60) * value / top
        parts.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{html.escape(str(label))[:40]}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#4a6fa5"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 12}">{html.escape(_n(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _rows(df: pd.DataFrame, columns: dict[str, str], n: int = 10) -> list[dict[str, Any]]:
    """Rows for the template: ``columns`` maps source column → heading; durations formatted."""
    rows = []
    for rec in df.head(n).to_dict("records"):
        row = {}
        for col, head in columns.items():
            v = rec.get(col)
            if col.endswith("_s"):
                v = format_duration(v)
            elif isinstance(v, float) and not pd.isna(v) and v.is_integer():
                v = _n(v)
            row[head] = v
        rows.append(row)
    return rows


def section_context(a: HandoffAnalysis) -> dict[str, Any]:
    """Values for ``section_handoffs.html.j2`` (SVGs generated here with escaped names)."""
    h = a.handoffs
    dist = h.distribution()
    appr = a.approvals.distribution()
    from cspm.render.graphviz import RenderUnavailable

    try:
        network_svg = h.to_svg() if not h.edges.empty else ""
    except RenderUnavailable as exc:  # no Graphviz at all: the tables carry the same data
        network_svg = ""
        network_error = f"network not rendered: {exc}"
    else:
        network_error = ""
    red = a.redundancy.summary()
    return {
        "section_id": a.section_id,
        "title": a.section_title,
        "level": h.level,
        "findings": a.findings(),
        "network_svg": network_svg,
        "network_error": network_error,
        "handoff_chart_svg": bar_chart_svg(
            [str(int(x)) for x in dist["handoffs"]], [float(x) for x in dist["tickets"]], "Tickets by number of handoffs"
        ),
        "approval_chart_svg": bar_chart_svg(
            [str(int(x)) for x in appr["approval_steps"]], [float(x) for x in appr["tickets"]],
            "Tickets by approval steps",
        ) if len(appr) > 1 else "",  # fmt: skip
        "busiest": _rows(h.busiest(8), {"from_unit": "from", "to_unit": "to", "handoffs": "handoffs", "median_wait_s": "median wait"}),
        "slowest": _rows(h.slowest(8), {"from_unit": "from", "to_unit": "to", "handoffs": "handoffs", "median_wait_s": "median wait"}),
        "pairs": _rows(a.ping_pong.pairs(), {"team": "came back to", "via": "after going to", "bounces": "bounces", "direct": "direct", "indirect": "indirect", "tickets": "tickets"}),
        "teams": _rows(a.ping_pong.teams(), {"team": "team", "bounces": "bounces", "tickets": "tickets", "median_away_s": "median time away"}),
        "rework": _rows(a.rework.per_activity, {"activity": "activity", "repetitions": "repetitions", "self_loops": "self-loops", "repeats": "repeats (same agent)", "redos": "redos (other agent)", "tickets": "tickets"}),
        "cycles": _rows(a.loops.cycles, {"cycle": "loop", "tickets": "tickets", "traversals": "passes", "median_s": "median per pass"}),
        "hours": red["hours"],
        "hours_per_month": {k: v / a.redundancy.months for k, v in red["hours"].items()},
        "cost": red["cost_per_month"],
        "currency": a.redundancy.currency,
        "hourly_rate": a.redundancy.hourly_rate,
        "lead_time": {
            "sentence": lead_time_sentence(red["lead_time_reduction"]),
            "estimated": red["lead_time_reduction"]["median_after_s"] is not None,
            "mean_reduction": _pct(red["lead_time_reduction"]["mean_reduction_share"]),
        },
        "method": a.redundancy.METHOD,
        "missing_events": h.missing_events,
        "missing_rule": h.missing,
    }


def render_section(a: HandoffAnalysis) -> str:
    """Render the section template (autoescape on)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    return env.get_template(a.section_template).render(**a.section_context())
