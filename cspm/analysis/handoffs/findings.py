"""Plain-language findings and the report-section values of the handoff family.

Both read the parts of an analysis (:class:`HandoffParts`: handoffs, ping-pong, rework, approval
loops, process loops, redundancy) and only their engine-computed figures.
"""

from __future__ import annotations

from typing import Any, Protocol

from cspm.analysis.handoffs.formatting import count, number, pct, rows
from cspm.analysis.handoffs.handoffs import EDGE_COLUMNS, Handoffs
from cspm.analysis.handoffs.pingpong import PingPong
from cspm.analysis.handoffs.redundancy import LeadTimeEstimate, Redundancy
from cspm.analysis.handoffs.rework import (
    ACTIVITY_COLUMNS,
    CYCLE_COLUMNS,
    ApprovalLoops,
    ProcessLoops,
    Rework,
)
from cspm.render.charts import bar_chart_svg
from cspm.render.graphviz import RenderUnavailable
from cspm.units import format_duration

__all__ = ["HandoffParts", "handoff_findings", "lead_time_sentence", "section_context"]


class HandoffParts(Protocol):
    """The parts of a handoff analysis the findings and the section read."""

    @property
    def handoffs(self) -> Handoffs: ...
    @property
    def ping_pong(self) -> PingPong: ...
    @property
    def rework(self) -> Rework: ...
    @property
    def approvals(self) -> ApprovalLoops: ...
    @property
    def loops(self) -> ProcessLoops: ...
    @property
    def redundancy(self) -> Redundancy: ...


def handoff_findings(a: HandoffParts) -> list[str]:
    """The top findings, one sentence each, most important first."""
    out: list[str] = []
    h, pp, rw, ap, lp, rd = a.handoffs, a.ping_pong, a.rework, a.approvals, a.loops, a.redundancy
    unit = h.level
    if h.tickets:
        line = (
            f"A ticket is handed over {h.mean_per_ticket:.{1 if h.mean_per_ticket >= 0.1 else 2}f} times on "
            f"average between {unit}s; "
            f"{pct(h.share_at_least(2))} of tickets are handed over twice or more and "
            f"{pct(h.single_unit_tickets / h.tickets)} stay with a single {unit}."
        )
        busy = h.busiest(1)
        if not busy.empty:
            b = busy.iloc[0]
            line += (
                f" The busiest handoff is {b['from_unit']} → {b['to_unit']} ({number(b['handoffs'])}, median wait "
                f"{format_duration(b['median_wait_s'])})."
            )
        out.append(line)
    s = pp._summary()
    if s.tickets_with_ping_pong:
        line = (
            f"{pct(s.share)} of tickets bounce between {unit}s ({s.direct_tickets} direct A → B → A, "
            f"{s.indirect_tickets} indirect A → B → C → A)"
        )
        if s.top_pair:
            line += f"; {s.top_pair.pair} is the most frequent pair ({number(s.top_pair.bounces)} bounces)"
        line += (
            f"; bounced tickets take a median {format_duration(s.impact.lead_time_median_s)} vs "
            f"{format_duration(s.impact.other_lead_time_median_s)} for the others."
        )
        out.append(line)
    elif h.tickets:
        out.append(f"No ticket comes back to a {unit} it had handed on (no ping-pong).")
    r = rw._summary()
    if r.repetitions or r.self_loops:
        line = (
            f"{pct(r.share_tickets_with_rework)} of tickets contain rework (a step done again after "
            f"other steps: {count(r.repetitions, 'repetition')}); {pct(r.share_tickets_with_self_loops)} "
            f"repeat a step immediately ({count(r.self_loops, 'self-loop')})"
        )
        if r.repeats or r.redos:  # agents known
            line += f"; {number(r.redos)} of these repeats are done by another agent"
        line += "."
        if r.most_repeated:
            m = r.most_repeated[0]
            line += f" Most repeated: {m.activity} ({number(m.repetitions + m.self_loops)})."
        if r.waiting_repeats:
            waits = ", ".join(f"{k} ({number(v)})" for k, v in r.waiting_repeats.items())
            line += f" Repeats of waiting steps are not counted as rework: {waits}."
        out.append(line)
    q = ap._summary()
    if q.tickets_with_approval:
        out.append(
            f"{number(q.tickets_with_approval)} tickets pass approval with {q.approval_steps_per_approval_ticket_mean:.1f} "
            f"approval steps each; {number(q.tickets_with_loops)} go round the approval loop twice or more "
            f"({number(q.extra_rounds)} extra rounds, {number(q.rejection_cycles)} rejection → resubmission cycles)."
        )
    if not lp.cycles.empty:
        c = lp.cycles.iloc[0]
        out.append(
            f"The most common loop in the process is {c['cycle']} ({number(c['tickets'])} tickets, median "
            f"{format_duration(c['median_s'])} per pass)."
        )
    d = rd._summary()
    cost = d.cost_per_month
    line = (
        f"{pct(d.redundant_step_share)} of steps are redundant (repetitions, self-loops, ping-pong returns); "
        f"ping-pong detours, rework and extra approval rounds take {number(d.hours.redundant)} hours of "
        f"elapsed time, waiting included ({number(d.hours.redundant / rd.months)} per month)"
    )
    if cost.redundant is not None:
        line += (
            f"; their processing time ({number(cost.hours_per_month.redundant)} hours per month) costs about "
            f"{number(cost.redundant)} {rd.currency} per month at {rd.hourly_rate:g} {rd.currency}/h"
        )
    elif rd.hourly_rate > 0:
        line += f"; no cost in {rd.currency}: {cost.reason}"
    out.append(line + ". " + lead_time_sentence(d.lead_time_reduction))
    return out


def lead_time_sentence(lt: LeadTimeEstimate | dict[str, Any]) -> str:
    """The lead-time estimate with its method in one sentence (see :mod:`cspm.analysis.handoffs.redundancy`)."""
    lt = LeadTimeEstimate.model_validate(lt)
    before = format_duration(lt.median_before_s)
    if lt.median_after_s is None:
        return f"The lead time saved by removing them is not estimated: {lt.reason}."
    after = lt.median_after_s
    head = (
        f"Removing them would cut the median lead time from {before} to an estimated {format_duration(after)}"
        if lt.median_before_s is not None and after < lt.median_before_s
        else f"Removing them would not shorten the median lead time of {before}"
    )
    return (
        f"{head} (estimate: their time taken out of each ticket, but no ticket below "
        f"{format_duration(lt.floor_s)}, the median lead time of the "
        f"{count(lt.tickets_without_redundancy, 'ticket')} without any)."
    )


PAIR_HEADINGS = {"team": "came back to", "via": "after going to", "bounces": "bounces", "direct": "direct",
                 "indirect": "indirect", "tickets": "tickets"}  # fmt: skip
TEAM_HEADINGS = {"team": "team", "bounces": "bounces", "tickets": "tickets", "median_away_s": "median time away"}


def _network(h: Handoffs) -> tuple[str, str]:
    """(inline SVG of the handover network, why it is missing)."""
    if h.edges.empty:
        return "", ""
    try:
        return h.to_svg(), ""
    except RenderUnavailable as exc:  # no Graphviz at all: the tables carry the same data
        return "", f"network not rendered: {exc}"


def section_context(a: HandoffParts) -> dict[str, Any]:
    """Values for ``section_handoffs.html.j2`` (SVGs generated here with escaped names)."""
    h, rd = a.handoffs, a.redundancy
    dist = h.distribution()
    appr = a.approvals.distribution()
    network_svg, network_error = _network(h)
    red = rd._summary()
    return {
        "level": h.level,
        "findings": handoff_findings(a),
        "network_svg": network_svg,
        "network_error": network_error,
        "handoff_chart_svg": bar_chart_svg(
            [str(int(x)) for x in dist["handoffs"]], [float(x) for x in dist["tickets"]], "Tickets by number of handoffs"
        ),
        "approval_chart_svg": bar_chart_svg(
            [str(int(x)) for x in appr["approval_steps"]], [float(x) for x in appr["tickets"]],
            "Tickets by approval steps",
        ) if len(appr) > 1 else "",  # fmt: skip
        "busiest": rows(h.busiest(8), EDGE_COLUMNS),
        "slowest": rows(h.slowest(8), EDGE_COLUMNS),
        "pairs": rows(a.ping_pong.pairs(), PAIR_HEADINGS),
        "teams": rows(a.ping_pong.teams(), TEAM_HEADINGS),
        "rework": rows(a.rework.per_activity, ACTIVITY_COLUMNS),
        "cycles": rows(a.loops.cycles, CYCLE_COLUMNS),
        "hours": red.hours.model_dump(),
        "hours_per_month": {k: v / rd.months for k, v in red.hours.model_dump().items()},
        "cost": red.cost_per_month.model_dump(),
        "currency": rd.currency,
        "hourly_rate": rd.hourly_rate,
        "lead_time": {
            "sentence": lead_time_sentence(red.lead_time_reduction),
            "estimated": red.lead_time_reduction.median_after_s is not None,
            "mean_reduction": pct(red.lead_time_reduction.mean_reduction_share),
        },
        "method": rd.METHOD,
        "missing_events": h.missing_events,
        "missing_rule": h.missing,
    }
