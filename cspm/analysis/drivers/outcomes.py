"""Outcomes: which tickets count as "bad" for a driver analysis, and the hours each one carries.

An outcome is written as text (the CLI's ``--outcome``, ``cspm.drivers(outcome=...)``):

=========================  =====================================================================
``breach:STEP``            the wait before STEP exceeds its configured step target (``max_wait``,
                           the target's clock and segment)
``wait:STEP>4h``           the wait before STEP exceeds a threshold
``lead_time>30d``          the lead time exceeds a value, or a percentile (``lead_time>p90``)
``milestone:NAME``         the configured milestone target NAME missed (among tickets reaching it)
``ping_pong``              the ticket bounced back to a team it had left (direct or indirect),
                           among the tickets handed over at least once (only they can bounce)
``reopen``                 reopened after resolution (among resolved tickets)
``rework``                 an activity repeated (repetition or self-loop)
``not_fcr``                resolved, but not at first contact (among resolved tickets)
``nonconformance``         the ticket's variant does not conform to the to-be model (``model=``)
``expr:SQL``               any boolean SQL expression over the ticket table (``lead_time_h``,
                           ``events`` and the drivers as columns, e.g. ``expr:events > 8``)
=========================  =====================================================================

A wait is measured as in :func:`cspm.waiting` (the interval before the step; for start/complete logs
the queue wait to its start; SLA-paused waits left out). Each outcome gives, per ticket of its
**population** (the tickets for which it is defined: those reaching the step or milestone, resolved
tickets for reopen and FCR, tickets handed over for ping-pong, otherwise all), ``y`` (the outcome happened) and ``value_h``, the hours
at stake: the ticket's waits before the step, its milestone time, or its lead time. Only when the
outcome is a threshold on those hours (waits, lead time, milestones: ``by_hours``) do more hours
count as evidence for a driver; for ping-pong, reopen, rework, FCR, non-conformance and ``expr:`` the
hours are the lead time, shown but not evidence of the outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from cspm.analysis.conformance.check import conformance
from cspm.analysis.handoffs.pingpong import return_table
from cspm.analysis.handoffs.rework import rework
from cspm.analysis.handoffs.visits import VISIT, visit_table
from cspm.analysis.intervals import (
    Semantics,
    activities,
    milestone_cases,
    resolve_semantics,
    segment_filter,
    sla_pause_activities,
    step_intervals,
)
from cspm.analysis.kpis import kpis
from cspm.config import Clock, Config, parse_duration
from cspm.core.calendar import BusinessCalendar
from cspm.core.log import ACTIVITY, AGENT, CASE, TEAM, TicketLog
from cspm.errors import CspmError
from cspm.i18n import gettext as _
from cspm.mining.cases import case_table
from cspm.units import format_duration

__all__ = ["HEADLINE_OUTCOMES", "Outcome", "OutcomeError", "outcome"]

HEADLINE_OUTCOMES = ("ping_pong", "reopen", "rework", "not_fcr")
_FORMS = (
    "breach:STEP, wait:STEP>4h, lead_time>30d, lead_time>p90, milestone:NAME, ping_pong, reopen, "
    "rework, not_fcr, nonconformance (with a model) or expr:SQL"
)


class OutcomeError(CspmError):
    """An outcome that cannot be measured on this log (names the outcome and what was expected)."""

    def __init__(self, spec: str, problem: str) -> None:
        self.spec = spec
        super().__init__(f"outcome {spec!r}: {problem}")


@dataclass(frozen=True)
class Outcome:
    """One outcome measured per ticket: ``table`` (``case_id, y, value_h``, on the engine) over the
    outcome's population, with plain-language names."""

    spec: str
    label: str  # e.g. "wait before Assign L2 > 1 h"
    measure: str  # what value_h is, e.g. "wait before Assign L2 (business hours)"
    population: str  # which tickets are measured
    table: ir.Table
    threshold_h: float | None = None
    by_hours: bool = True  # the outcome is a threshold on value_h: more hours is evidence for it


def outcome(
    log: TicketLog,
    cfg: Config,
    spec: str,
    *,
    clock: Clock | None = None,
    semantics: Semantics | None = None,
    model: Any = None,
    tickets: ir.Table | None = None,
) -> Outcome:
    """The outcome ``spec`` (see the module docstring) on ``log``; ``model`` the to-be model of
    ``nonconformance``, ``tickets`` the ticket table of ``expr:`` (the feature table)."""
    text = spec.strip()
    if text == "nonconformance":
        return _nonconformance(log, cfg, text, model)
    m = re.fullmatch(r"expr\s*:\s*(.+)", text)
    if m:
        return _expression(log, text, m.group(1), tickets)
    m = re.fullmatch(r"(breach|wait)\s*:\s*(.+?)(?:\s*>\s*([^>]+))?", text)
    if m:
        return _wait(log, cfg, text, m.group(1), m.group(2).strip(), m.group(3), clock, semantics)
    m = re.fullmatch(r"lead_?time\s*>\s*(.+)", text)
    if m:
        return _lead_time(log, cfg, text, m.group(1).strip(), clock, semantics)
    m = re.fullmatch(r"milestone\s*:\s*(.+)", text)
    if m:
        return _milestone(log, cfg, text, m.group(1).strip(), clock, semantics)
    if text in HEADLINE_OUTCOMES:
        return _flag(log, cfg, text)
    raise OutcomeError(spec, f"not an outcome; expected one of {_FORMS}")


def _calendar(log: TicketLog, cfg: Config, semantics: Semantics | None) -> tuple[BusinessCalendar, ir.Table, Semantics]:
    sem = resolve_semantics(log, cfg, semantics)
    calendar = BusinessCalendar(cfg.calendar)
    return calendar, step_intervals(log, sem, calendar, sla_pause_activities(log, cfg), keep=[]), sem


def _hours(clock: str) -> str:
    return _("business hours") if clock == "business" else _("hours")


def _wait(
    log: TicketLog, cfg: Config, spec: str, kind: str, step: str, limit: str | None,
    clock: Clock | None, semantics: Semantics | None,
) -> Outcome:  # fmt: skip
    if step not in activities(log):
        raise OutcomeError(spec, f"the log has no step {step!r}; steps: {', '.join(activities(log))}")
    segment: dict[str, str] = {}
    if kind == "breach":
        if limit is not None:
            raise OutcomeError(spec, "breach: takes the configured target; write wait:STEP>4h for a threshold")
        target = next((t for t in cfg.targets.steps if t.step == step and t.max_wait is not None), None)
        if target is None:
            raise OutcomeError(spec, f"no step target with max_wait for {step!r} in the config (targets.steps)")
        threshold_s, ck, segment = target.max_wait.total_seconds(), clock or target.clock, dict(target.segment)
    else:
        if limit is None:
            raise OutcomeError(spec, "give a threshold, e.g. wait:STEP>4h")
        threshold_s, ck = _duration(spec, limit), clock or "calendar"
    calendar, iv, sem = _calendar(log, cfg, semantics)
    suf = "bs" if ck == "business" else "s"
    col, paused = (f"wait_{suf}", "paused") if sem == "start_complete" else (f"before_{suf}", "before_paused")
    sel = iv.filter((iv[ACTIVITY] == step) & iv[col].notnull() & ~iv[paused] & segment_filter(iv, segment, spec))
    per = sel.group_by(CASE).aggregate(_max=sel[col].max(), _sum=sel[col].sum())
    table = per.select(CASE, y=per._max > threshold_s, value_h=per._sum.cast("float64") / 3600.0)
    seg = "".join(f", {k} = {v}" for k, v in segment.items())
    return Outcome(
        spec=spec,
        label=(_("wait before {step} > {duration} (business time)") if ck == "business"
               else _("wait before {step} > {duration}")).format(step=step, duration=format_duration(threshold_s)),
        measure=_("wait before {step} ({hours})").format(step=step, hours=_hours(ck)),
        population=_("tickets with a measured wait before {step}").format(step=step) + seg,
        table=table,
        threshold_h=threshold_s / 3600.0,
    )


def _duration(spec: str, text: str) -> float:
    try:
        return parse_duration(text).total_seconds()
    except ValueError as e:
        raise OutcomeError(spec, str(e)) from None


def _lead_times(log: TicketLog, cfg: Config, clock: str, semantics: Semantics | None) -> ir.Table:
    """``case_id, value_h``: lead time in calendar hours (case table) or business hours."""
    if clock == "business":
        calendar, iv, _sem = _calendar(log, cfg, semantics)
        m = milestone_cases(log, iv, calendar, "case start", "case end")
        return m.select(CASE, value_h=m.dur_bs.cast("float64") / 3600.0)
    c = case_table(log)
    return c.select(CASE, value_h=c.lead_time.cast("float64") / 3600.0)


def _lead_time(
    log: TicketLog, cfg: Config, spec: str, limit: str, clock: Clock | None, semantics: Semantics | None
) -> Outcome:
    ck = clock or "calendar"
    lt = _lead_times(log, cfg, ck, semantics)
    p = re.fullmatch(r"[pP](\d+(?:\.\d+)?)", limit)
    if p:
        q = float(p.group(1)) / 100.0
        if not 0 < q < 1:
            raise OutcomeError(spec, "a percentile is between p1 and p99")
        threshold_h = float(lt.aggregate(q=lt.value_h.quantile(q)).to_pandas().iloc[0]["q"])
        label = _("lead time > P{p} ({duration})").format(p=p.group(1), duration=format_duration(threshold_h * 3600))
    else:
        threshold_h = _duration(spec, limit) / 3600.0
        label = _("lead time > {duration}").format(duration=format_duration(threshold_h * 3600))
    return Outcome(
        spec=spec,
        label=_("{outcome} (business time)").format(outcome=label) if ck == "business" else label,
        measure=_("lead time ({hours})").format(hours=_hours(ck)),
        population=_("all tickets"),
        table=lt.select(CASE, y=lt.value_h > threshold_h, value_h=lt.value_h),
        threshold_h=threshold_h,
    )


def _milestone(
    log: TicketLog, cfg: Config, spec: str, name: str, clock: Clock | None, semantics: Semantics | None
) -> Outcome:
    ms = next((m for m in cfg.targets.milestones if m.name == name), None)
    if ms is None:
        names = ", ".join(repr(m.name) for m in cfg.targets.milestones) or "none configured"
        raise OutcomeError(spec, f"no milestone target named {name!r} (targets.milestones: {names})")
    ck = clock or ms.clock
    suf = "bs" if ck == "business" else "s"
    calendar, iv, _sem = _calendar(log, cfg, semantics)
    m = milestone_cases(log, iv, calendar, ms.start, ms.end, segment=ms.segment, key=spec)
    m = m.filter(m.t_b.notnull())
    v = m[f"dur_{suf}"] - m[f"paused_{suf}"] if ms.exclude_sla_pause else m[f"dur_{suf}"]
    within = ms.within.total_seconds()
    return Outcome(
        spec=spec,
        label=_("milestone '{name}' missed ({start} → {end} > {duration})").format(
            name=name, start=ms.start, end=ms.end, duration=format_duration(within)),
        measure=f"{ms.start} → {ms.end} ({_hours(ck)})",
        population=_("tickets reaching {step}").format(step=ms.end),
        table=m.select(CASE, y=v > within, value_h=v.cast("float64") / 3600.0),
        threshold_h=within / 3600.0,
    )


def _flag(log: TicketLog, cfg: Config, spec: str) -> Outcome:
    lt = _lead_times(log, cfg, "calendar", None)
    population = _("all tickets")
    if spec == "ping_pong":
        if not (log.has_team or log.has_agent):
            raise OutcomeError(spec, "the log has no team or agent column to see a ticket bounce between")
        who = TEAM if log.has_team else AGENT
        table = log.derived.get("driver_ping_pong", who, lambda: _ping_pong(log, who, lt))
        return Outcome(spec=spec, label=_("ping-pong (back to a team it had left)"), measure=_("lead time (hours)"),
                       population=_("tickets handed over at least once"), table=table, by_hours=False)  # fmt: skip
    elif spec == "rework":
        per = rework(log, cfg).per_case_table
        flags, label = per.select(CASE, y=(per.repetitions + per.self_loops) > 0), _("rework (an activity repeated)")
    else:
        k = kpis(log, cfg)
        if spec == "reopen" and not (k.activities.reopen and k.activities.resolution):
            raise OutcomeError(spec, "no reopen or resolution step found; set kpis.reopen and kpis.resolution")
        if spec == "not_fcr" and not k.activities.resolution:
            raise OutcomeError(spec, "no resolution step found; set kpis.resolution")
        per = k.per_case.filter(k.per_case.resolved)
        population = _("resolved tickets")
        if spec == "reopen":
            flags, label = per.select(CASE, y=per.reopened.fill_null(False)), _("reopened after resolution")
        else:
            flags, label = per.select(CASE, y=~per.fcr), _("not resolved at first contact")
    j = flags.join(lt, CASE)
    return Outcome(spec=spec, label=label, measure=_("lead time (hours)"), population=population,
                   table=j.select(CASE, y=j.y.fill_null(False), value_h=j.value_h), by_hours=False)  # fmt: skip


def _ping_pong(log: TicketLog, who: str, lead_times: ir.Table) -> ir.Table:
    """``case_id, y, value_h`` of the tickets with a second visit (handed over at least once): y = a
    return to a team (agent) visited before; materialised once per log (a shallow plan for Spark)."""
    v = visit_table(log, who)
    moved = v.filter(v[VISIT] == 2).select(CASE)
    ret = return_table(log, who)
    back = ret.select(CASE).distinct().mutate(_back=ibis.literal(True))
    t = moved.left_join(back, CASE).select(moved[CASE], y=back._back.notnull())
    j = t.join(lead_times, CASE)
    return j.select(CASE, "y", "value_h").cache()


def _nonconformance(log: TicketLog, cfg: Config, spec: str, model: Any) -> Outcome:
    if model is None:
        raise OutcomeError(spec, "needs the to-be model (model=..., --model to_be.bpmn)")
    c = conformance(log, cfg, model=model, deviations=False, precision=False).cases
    return Outcome(spec=spec, label=_("not conforming to the to-be model"), measure=_("lead time (hours)"),
                   population=_("all tickets"),
                   table=c.select(CASE, y=~c.conforms, value_h=c.lead_time.cast("float64") / 3600.0),
                   by_hours=False)  # fmt: skip


def _expression(log: TicketLog, spec: str, sql: str, tickets: ir.Table | None) -> Outcome:
    """``expr:SQL``: the expression over the ticket table, on the engine's SQL dialect."""
    c = case_table(log).select(CASE, "events", lead_time_h=case_table(log).lead_time.cast("float64") / 3600.0)
    t = c if tickets is None else c.join(tickets, CASE)
    try:
        y = t.alias("tickets").sql(f"SELECT case_id, CAST(({sql}) AS BOOLEAN) AS y FROM tickets")
        table = y.join(c, CASE).select(CASE, y=y.y.fill_null(False), value_h=c.lead_time_h)
        table.limit(1).to_pyarrow()  # parse and type-check now, not in the middle of the ranking
    except Exception as e:  # noqa: BLE001  (the engine's parser names the problem)
        cols = ", ".join(repr(x) for x in t.columns)
        raise OutcomeError(spec, f"not a boolean SQL expression over the ticket table ({e}); columns: {cols}") from None
    return Outcome(spec=spec, label=sql.strip(), measure=_("lead time (hours)"), population=_("all tickets"), table=table,
                   by_hours=False)
