"""Plain-language findings and the report-section values of the handoff family.

Both read the parts of an analysis (:class:`HandoffParts`: handoffs, ping-pong, rework, approval
loops, process loops, redundancy) and only their engine-computed figures.
"""

from __future__ import annotations

from typing import Any, Protocol

from cspm.analysis.handoffs.formatting import number, pct, rows
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
from cspm.core.expr import example_cases
from cspm.i18n import N_, ngettext, sentence_gap
from cspm.i18n import gettext as _
from cspm.render.charts import bar_chart_svg
from cspm.render.formats import fmt_number
from cspm.render.graphviz import RenderUnavailable
from cspm.units import format_duration

__all__ = ["EXAMPLE_LABELS", "HandoffParts", "finding_examples", "handoff_findings", "lead_time_sentence", "section_context"]


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
    unit, units = _(h.level), _(_UNITS[h.level]) if h.level in _UNITS else f"{h.level}s"
    if h.tickets:
        line = _(
            "A ticket is handed over {mean} times on average between {units}; {share_twice} of tickets are "
            "handed over twice or more and {share_single} stay with a single {unit}."
        ).format(mean=fmt_number(h.mean_per_ticket, 1 if h.mean_per_ticket >= 0.1 else 2), units=units,
                 share_twice=pct(h.share_at_least(2)), share_single=pct(h.single_unit_tickets / h.tickets),
                 unit=unit)  # fmt: skip
        busy = h.busiest(1)
        if not busy.empty:
            b = busy.iloc[0]
            line += sentence_gap() + _("The busiest handoff is {source} → {target} ({handoffs}, median wait {wait}).").format(
                source=b["from_unit"], target=b["to_unit"], handoffs=number(b["handoffs"]),
                wait=format_duration(b["median_wait_s"]))  # fmt: skip
        out.append(line)
    s = pp._summary()
    if s.tickets_with_ping_pong:
        line = _(
            "{share} of tickets bounce between {units} ({direct} direct A → B → A, {indirect} indirect A → B → C → A)"
        ).format(share=pct(s.share), units=units, direct=s.direct_tickets, indirect=s.indirect_tickets)
        if s.top_pair:
            line += _("; {pair} is the most frequent pair ({bounces} bounces)").format(
                pair=s.top_pair.pair, bounces=number(s.top_pair.bounces))
        line += _("; bounced tickets take a median {bounced} vs {others} for the others.").format(
            bounced=format_duration(s.impact.lead_time_median_s),
            others=format_duration(s.impact.other_lead_time_median_s))  # fmt: skip
        out.append(line)
    elif h.tickets:
        out.append(_("No ticket comes back to a {unit} it had handed on (no ping-pong).").format(unit=unit))
    r = rw._summary()
    if r.repetitions or r.self_loops:
        line = _(
            "{share} of tickets contain rework (a step done again after other steps: {repetitions}); "
            "{share_self} repeat a step immediately ({self_loops})"
        ).format(share=pct(r.share_tickets_with_rework),
                 repetitions=ngettext("{n} repetition", "{n} repetitions", r.repetitions).format(n=number(r.repetitions)),
                 share_self=pct(r.share_tickets_with_self_loops),
                 self_loops=ngettext("{n} self-loop", "{n} self-loops", r.self_loops).format(n=number(r.self_loops)))  # fmt: skip
        if r.repeats or r.redos:  # agents known
            line += _("; {redos} of these repeats are done by another agent").format(redos=number(r.redos))
        line += "."
        if r.most_repeated:
            m = r.most_repeated[0]
            line += sentence_gap() + _("Most repeated: {activity} ({n}).").format(activity=m.activity, n=number(m.repetitions + m.self_loops))
        if r.waiting_repeats:
            waits = ", ".join(f"{k} ({number(v)})" for k, v in r.waiting_repeats.items())
            line += sentence_gap() + _("Repeats of waiting steps are not counted as rework: {steps}.").format(steps=waits)
        out.append(line)
    q = ap._summary()
    if q.tickets_with_approval:
        out.append(_(
            "{tickets} tickets pass approval with {steps} approval steps each; {looping} go round the approval "
            "loop twice or more ({extra} extra rounds, {cycles} rejection → resubmission cycles)."
        ).format(tickets=number(q.tickets_with_approval), steps=fmt_number(q.approval_steps_per_approval_ticket_mean),
                 looping=number(q.tickets_with_loops), extra=number(q.extra_rounds),
                 cycles=number(q.rejection_cycles)))  # fmt: skip
    if not lp.cycles.empty:
        c = lp.cycles.iloc[0]
        out.append(_("The most common loop in the process is {loop} ({tickets} tickets, median {median} per pass).").format(
            loop=c["cycle"], tickets=number(c["tickets"]), median=format_duration(c["median_s"])))
    d = rd._summary()
    cost = d.cost_per_month
    line = _(
        "{share} of steps are redundant (repetitions, self-loops, ping-pong returns); ping-pong detours, rework "
        "and extra approval rounds take {hours} hours of elapsed time, waiting included ({per_month} per month)"
    ).format(share=pct(d.redundant_step_share), hours=number(d.hours.redundant),
             per_month=number(d.hours.redundant / rd.months))  # fmt: skip
    if cost.redundant is not None:
        line += _(
            "; their processing time ({hours} hours per month) costs about {cost} {currency} per month at "
            "{rate:g} {currency}/h"
        ).format(hours=number(cost.hours_per_month.redundant), cost=number(cost.redundant), currency=rd.currency,
                 rate=rd.hourly_rate)  # fmt: skip
    elif rd.hourly_rate > 0:
        line += _("; no cost in {currency}: {reason}").format(currency=rd.currency, reason=_(cost.reason))
    out.append(_("{finding}.").format(finding=line) + sentence_gap() + lead_time_sentence(d.lead_time_reduction))
    return out


def lead_time_sentence(lt: LeadTimeEstimate | dict[str, Any]) -> str:
    """The lead-time estimate with its method in one sentence (see :mod:`cspm.analysis.handoffs.redundancy`)."""
    lt = LeadTimeEstimate.model_validate(lt)
    before = format_duration(lt.median_before_s)
    if lt.median_after_s is None:
        return _("The lead time saved by removing them is not estimated: {reason}.").format(reason=_(lt.reason) if lt.reason else "")
    after = lt.median_after_s
    head = (
        _("Removing them would cut the median lead time from {before} to an estimated {after}").format(
            before=before, after=format_duration(after))
        if lt.median_before_s is not None and after < lt.median_before_s
        else _("Removing them would not shorten the median lead time of {before}").format(before=before)
    )  # fmt: skip
    n = lt.tickets_without_redundancy
    return _(
        "{head} (estimate: their time taken out of each ticket, but no ticket below {floor}, the median lead "
        "time of the {tickets} without any)."
    ).format(head=head, floor=format_duration(lt.floor_s),
             tickets=ngettext("{n} ticket", "{n} tickets", n).format(n=number(n)))  # fmt: skip


PAIR_HEADINGS = {"team": N_("came back to"), "via": N_("after going to"), "bounces": N_("bounces"), "direct": N_("direct"),
                 "indirect": N_("indirect"), "tickets": N_("tickets"), "examples": N_("example tickets")}  # fmt: skip
TEAM_HEADINGS = {"team": N_("team"), "bounces": N_("bounces"), "tickets": N_("tickets"), "median_away_s": N_("median time away")}
_UNITS = {"team": N_("teams"), "agent": N_("agents")}  # the plural of a handoff level in sentences


def _network(h: Handoffs) -> tuple[str, str]:
    """(inline SVG of the handover network, why it is missing)."""
    if h.edges.empty:
        return "", ""
    try:
        return h.to_svg(), ""
    except RenderUnavailable as exc:  # no Graphviz at all: the tables carry the same data
        return "", _("network not rendered: {reason}").format(reason=exc)


EXAMPLE_LABELS = {"handoffs": N_("most handoffs"), "ping_pong": N_("most ping-pong bounces"),
                  "rework": N_("most rework (repetitions and self-loops)"),
                  "approvals": N_("most approval rounds"), "redundancy": N_("most redundant time")}  # fmt: skip


def finding_examples(a: HandoffParts, n: int = 5) -> dict[str, list[str]]:
    """Per finding up to ``n`` tickets behind it, on the engine (the most of it first, ties by id;
    only tickets that have it): handoffs, ping-pong bounces, rework (repetitions + self-loops),
    approval rounds beyond the first, redundant time."""
    t = a.handoffs.per_case_table
    out = {"handoffs": example_cases(t.filter(t.handoffs > 0), t.handoffs, n)}
    pp = a.ping_pong.per_case_table
    out["ping_pong"] = example_cases(pp.filter(pp.bounces > 0), pp.bounces, n)
    rw = a.rework.per_case_table
    work = rw.repetitions + rw.self_loops
    out["rework"] = example_cases(rw.filter(work > 0), work, n)
    ap = a.approvals.per_case_table
    out["approvals"] = example_cases(ap.filter(ap.approval_rounds > 1), ap.approval_rounds, n)
    rd = a.redundancy.per_case_table
    out["redundancy"] = example_cases(rd.filter(rd.redundant_s > 0), rd.redundant_s, n)
    return out


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
        "examples": [(_(EXAMPLE_LABELS[k]), ", ".join(v)) for k, v in finding_examples(a).items() if v],
        "network_svg": network_svg,
        "network_error": network_error,
        "handoff_chart_svg": bar_chart_svg(
            [str(int(x)) for x in dist["handoffs"]], [float(x) for x in dist["tickets"]], _("Tickets by number of handoffs")
        ),
        "approval_chart_svg": bar_chart_svg(
            [str(int(x)) for x in appr["approval_steps"]], [float(x) for x in appr["tickets"]],
            _("Tickets by approval steps"),
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
        "method": _(rd.METHOD),
        "missing_events": h.missing_events,
        "missing_rule": h.missing,
    }
