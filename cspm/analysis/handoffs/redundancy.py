"""Redundant steps and what they cost: ping-pong detours, rework, extra approval rounds.

Each event owns the interval since the event before it in its case (in an activity log that is the
wait for and the work on it), so these intervals partition every ticket's lead time. An event is

* **ping-pong** when it lies on a detour: in a visit between leaving a team and coming back to it,
  or it is the first event of the return visit (the intervals add up to the away time);
* **rework** when it is a repetition or a self-loop (:mod:`cspm.analysis.handoffs.rework`; repeats of waiting steps
  are not counted);
* **extra approval** when it lies after the first approval round started and up to the start of
  the last round.

Redundant time = the intervals of events in any of the three (each counted once); its **cost** is
processing time × ``costs.hourly_rate``, only when the log has start times (elapsed time includes
waiting, which no agent is paid for). Redundant steps
(the "x% of steps are redundant" figure) = repetitions, self-loops and the first events of
ping-pong returns, as a share of all events.

**Lead-time estimate** (:meth:`Redundancy.lead_time_reduction`): per ticket ``lead time −
redundant time``, but never below ``min(lead time, floor)`` where the floor is the median lead time
of the tickets without any redundant event (and a lead time above zero): removing the waste makes a
ticket at best like the tickets that had none, and a ticket already faster keeps its lead time.
Without such tickets there is no floor and no estimate. It is an estimate and an upper bound on
the saving: it assumes the remaining steps would not take longer.

Per ticket the table (:attr:`Redundancy.per_case_table`) stays on the engine; every figure is an
aggregation of it there.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir
import pandas as pd
from pydantic import Field

from cspm.analysis.handoffs.pingpong import return_table
from cspm.analysis.handoffs.rework import (
    approval_events,
    approval_names,
    repeated_table,
    status_steps,
)
from cspm.analysis.handoffs.visits import (
    VISIT,
    Level,
    Missing,
    lead_time_table,
    unit_column,
    visit_events,
    visit_table,
)
from cspm.config import Config, as_config
from cspm.core.expr import activity_names, case_window, epoch_seconds, to_frame
from cspm.core.log import CASE, ROW, START, SUSPENDED, TIMESTAMP, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.errors import MissingColumnError
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.units import format_duration

__all__ = ["SECONDS_PER_MONTH", "Redundancy", "RedundancySummary", "redundancy", "redundancy_events"]

SECONDS_PER_MONTH = 30.4375 * 86400
KINDS = ("pingpong", "rework", "approval", "redundant")
METHOD = N_(
    "Each event owns the time since the previous event of its ticket; the time of events on a "
    "ping-pong detour, of repetitions and self-loops, and of extra approval rounds is removed "
    "once per ticket, but no ticket is estimated faster than the median lead time of the tickets "
    "without any of them (a ticket already faster keeps its lead time). This is an estimate and "
    "an upper bound on the saving: it assumes the remaining steps would not take longer."
)


class WasteHours(Record):
    """Hours per kind of waste; ``redundant`` is their union (each event counted once)."""

    pingpong: float
    rework: float
    approval: float
    redundant: float


class CostPerMonth(Record):
    """Hours per month of log and, when the log has start times, their cost per month."""

    basis: str = Field(description="'processing' (start times known) or 'elapsed'")
    currency: str
    hourly_rate: float
    months_in_log: float
    pingpong: float | None
    rework: float | None
    approval: float | None
    redundant: float | None
    hours_per_month: WasteHours
    reason: str | None = Field(description="why there is no money figure")


class LeadTimeEstimate(Record):
    """The estimated lead time if the redundant segments were removed (:data:`METHOD`)."""

    median_before_s: float | None
    median_after_s: float | None
    mean_before_s: float | None
    mean_after_s: float | None
    mean_reduction_share: float | None
    floor_s: float | None = Field(description="median lead time of the tickets without redundant events")
    tickets_without_redundancy: int
    method: str
    reason: str | None


class RedundancySummary(Record):
    """Redundant steps, their hours and cost, and the lead-time estimate."""

    events: int
    redundant_steps: int = Field(description="repetitions, self-loops and first events of ping-pong returns")
    redundant_step_share: float | None
    hours: WasteHours
    processing_hours: WasteHours | None
    cost_per_month: CostPerMonth
    lead_time_reduction: LeadTimeEstimate


def pingpong_events(log: TicketLog, column: str, missing: Missing) -> ir.Table:
    """The events on a ping-pong detour: ``case_id, source_row, interval_s, return_event``."""
    vis = visit_table(log, column, missing)
    ret = return_table(log, column, missing).select(CASE, VISIT, "left_visit")
    v = vis.select(CASE, VISIT).left_join(ret, [CASE, VISIT]).select(CASE, VISIT, "left_visit")
    after = ibis.window(group_by=CASE, order_by=VISIT, rows=(1, None))
    v = v.mutate(later_left=v.left_visit.min().over(after))
    v = v.mutate(
        detour=v.later_left.notnull() & (v.later_left < v[VISIT]),
        is_return=v.left_visit.notnull(),
    )
    v = v.filter(v.detour | v.is_return).select(CASE, VISIT, "detour", "is_return")
    events = log.events.semi_join(v.select(CASE).distinct(), CASE)  # only the tickets with a ping-pong
    timed = events.mutate(interval_s=epoch_seconds(events[TIMESTAMP]) - epoch_seconds(events[TIMESTAMP].lag().over(case_window())))
    ev = visit_events(timed, column, missing, keep=("interval_s",))
    ev = ev.mutate(_first=ibis.row_number().over(ibis.window(group_by=[CASE, VISIT], order_by=[TIMESTAMP, ROW])))
    j = ev.join(v, [CASE, VISIT])
    ret_first = j.is_return & (j._first == 0)
    j = j.filter(j.detour | ret_first)
    return j.select(CASE, ROW, "interval_s", return_event=ret_first)


def redundancy_events(
    log: TicketLog,
    column: str | None,
    missing: Missing,
    names: tuple[list[str], list[str], list[str]],
    not_counted: list[str] | tuple[str, ...] = (),
) -> ir.Table:
    """The redundant events only: ``case_id, source_row, interval_s`` and the flags ``pingpong``,
    ``rework``, ``approval``, ``redundant_step`` (each small part is filtered before it is combined).

    ``names``: the (approval, rejection, resubmission) activities; ``column`` None: no ping-pong part.
    """
    schema = {"pingpong": False, "rework": False, "approval": False, "redundant_step": False}

    def part(t: ir.Table, **flags: Any) -> ir.Table:
        values = {k: flags.get(k, ibis.literal(v)) for k, v in schema.items()}
        return t.select(CASE, ROW, t.interval_s.cast("int64").name("interval_s"), **values)

    approval, reject, resub = names
    rw = repeated_table(log, not_counted)
    parts = [part(rw, rework=ibis.literal(True), redundant_step=ibis.literal(True))]
    if approval:
        ap = approval_events(log.events, approval, reject, resub)
        parts.append(part(ap.filter(ap.extra_round), approval=ibis.literal(True)))
    if column is not None:
        pp = pingpong_events(log, column, missing)
        parts.append(part(pp, pingpong=ibis.literal(True), redundant_step=pp.return_event))
    u = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    return u.group_by([CASE, ROW]).aggregate(
        interval_s=u.interval_s.max(),
        **{k: u[k].cast("int64").max() for k in schema},
    )


@dataclass(eq=False)
class Redundancy(Result):
    """Redundant steps, the hours they take, their cost and the lead-time saving if removed."""

    per_case_table: ir.Table  # case_id, events, redundant_events, flagged_events, <kind>_s, <kind>_processing_s, lead_time_s
    span_s: float  # first to last event of the log
    hourly_rate: float
    currency: str
    has_processing: bool

    METHOD: ClassVar[str] = METHOD
    section_id: ClassVar[str] = "redundancy"
    section_title: ClassVar[str] = N_("Redundant steps")
    section_template: ClassVar[str] = "section_handoffs_part.html.j2"

    @cached_property
    def per_case(self) -> pd.DataFrame:
        """Per ticket: events, redundant and flagged events, seconds per kind of waste (elapsed and
        processing) and the lead time (fetched on first use)."""
        df = to_frame(self.per_case_table, [CASE])
        return df.astype({c: "float64" if c.endswith("_s") else "int64" for c in df.columns if c != CASE})

    def table(self) -> pd.DataFrame:
        return self.per_case

    # --- engine aggregations --------------------------------------------------------------
    @cached_property
    def _totals(self) -> dict[str, Any]:
        t = self.per_case_table
        clean = (t.flagged_events == 0) & (t.lead_time_s > 0)
        sums = ["events", "redundant_events", *(f"{k}_s" for k in KINDS), *(f"{k}_processing_s" for k in KINDS)]
        row = t.aggregate(
            tickets=t.count(),
            **{c: t[c].sum() for c in sums},
            lead_median=t.lead_time_s.median(),
            lead_mean=t.lead_time_s.mean(),
            # (not median(where=…): Spark rejects the filtered percentile Ibis compiles it to)
            floor=ibis.ifelse(clean, t.lead_time_s, ibis.null("float64")).median(),
            clean=clean.cast("int64").sum(),
        ).to_pandas().iloc[0]
        return {k: (None if pd.isna(v) else v) for k, v in row.items()}

    @cached_property
    def _after(self) -> dict[str, float | None]:
        floor = self._totals["floor"]
        t = self.per_case_table
        after = ibis.greatest(t.lead_time_s - t.redundant_s, ibis.least(t.lead_time_s, ibis.literal(float(floor))))
        row = t.aggregate(median=after.median(), mean=after.mean()).to_pandas().iloc[0]
        return {k: _f(v) for k, v in row.items()}

    # --- figures --------------------------------------------------------------------------
    @property
    def months(self) -> float:
        return max(self.span_s / SECONDS_PER_MONTH, 1e-9)

    @property
    def redundant_step_share(self) -> float:
        ev = int(self._totals["events"] or 0)
        return int(self._totals["redundant_events"] or 0) / ev if ev else float("nan")

    def _hours(self, suffix: str) -> WasteHours:
        return WasteHours(**{k: round(float(self._totals[f"{k}{suffix}"] or 0.0) / 3600, 2) for k in KINDS})

    def hours(self) -> dict[str, float]:
        """Elapsed hours (waiting + processing) per kind of waste, and their union."""
        return self._hours("_s").model_dump()

    def processing_hours(self) -> dict[str, float] | None:
        """Processing hours per kind of waste (None without start times)."""
        return self._hours("_processing_s").model_dump() if self.has_processing else None

    def _cost(self) -> CostPerMonth:
        hours = self._hours("_processing_s" if self.has_processing else "_s").model_dump()
        money = self.has_processing and self.hourly_rate > 0
        reason = None
        if not self.has_processing:
            reason = N_("the log has no start times, so the working time in these steps is unknown "
                        "(elapsed time includes waiting)")  # fmt: skip
        elif self.hourly_rate <= 0:
            reason = N_("no hourly rate: set costs.hourly_rate in the config")
        return CostPerMonth(
            basis="processing" if self.has_processing else "elapsed",
            currency=self.currency,
            hourly_rate=self.hourly_rate,
            months_in_log=round(self.months, 3),
            **{k: (round(v * self.hourly_rate / self.months, 2) if money else None) for k, v in hours.items()},
            hours_per_month=WasteHours(**{k: round(v / self.months, 2) for k, v in hours.items()}),
            reason=reason,
        )

    def cost_per_month(self) -> dict[str, Any]:
        """Hours per month of log and, when the log has start times, their cost: processing hours ×
        hourly rate per month.

        Without start times only elapsed time is known, which includes the waiting between steps
        (nights, queues, customers): costing it at an agent's hourly rate would overstate the
        saving many times over, so the money figures are ``None`` and ``reason`` says why.
        """
        return self._cost().model_dump()

    def lead_time_floor(self) -> tuple[float | None, int]:
        """(median lead time of the tickets without any redundant event and a lead time above 0,
        their number): the fastest a ticket is estimated to become (``None`` without such tickets)."""
        t = self._totals
        return _f(t["floor"]), int(t["clean"] or 0)

    def _estimate(self) -> LeadTimeEstimate:
        t = self._totals
        med_b, mean_b = _f(t["lead_median"]), _f(t["lead_mean"])
        floor, clean = self.lead_time_floor()
        if floor is None:
            return LeadTimeEstimate(
                median_before_s=med_b, median_after_s=None, mean_before_s=mean_b, mean_after_s=None,
                mean_reduction_share=None, floor_s=None, tickets_without_redundancy=clean, method=METHOD,
                reason=N_("no ticket is free of redundant steps, so there is nothing to bound an estimate by"),
            )  # fmt: skip
        after = self._after
        mean_a = after["mean"]
        return LeadTimeEstimate(
            median_before_s=med_b,
            median_after_s=after["median"],
            mean_before_s=mean_b,
            mean_after_s=mean_a,
            mean_reduction_share=round(1 - mean_a / mean_b, 4) if mean_b and mean_a is not None else None,
            floor_s=floor,
            tickets_without_redundancy=clean,
            method=METHOD,
            reason=None,
        )

    def lead_time_reduction(self) -> dict[str, Any]:
        """Estimated lead time if the redundant segments were removed (module docstring, :attr:`METHOD`).

        ``median_after_s``, ``mean_after_s`` and ``mean_reduction_share`` are ``None`` when no
        ticket is free of redundant events (nothing bounds the estimate; ``reason`` says so).
        """
        return self._estimate().model_dump()

    # --- the result protocol --------------------------------------------------------------
    def _summary(self) -> RedundancySummary:
        return RedundancySummary(
            events=int(self._totals["events"] or 0),
            redundant_steps=int(self._totals["redundant_events"] or 0),
            redundant_step_share=round(self.redundant_step_share, 4),
            hours=self._hours("_s"),
            processing_hours=self._hours("_processing_s") if self.has_processing else None,
            cost_per_month=self._cost(),
            lead_time_reduction=self._estimate(),
        )

    def section_context(self) -> dict[str, Any]:
        s = self._summary()
        lt = s.lead_time_reduction
        if lt.median_after_s is None:
            estimate = _("Lead time without it: not estimated ({reason}).").format(reason=_(lt.reason) if lt.reason else "")
        else:
            estimate = _(
                "Estimated median lead time without it: {after} (now {before}; no ticket below {floor}, the median "
                "of the {tickets} tickets without redundant steps)."
            ).format(after=format_duration(lt.median_after_s), before=format_duration(lt.median_before_s),
                     floor=format_duration(lt.floor_s), tickets=f"{lt.tickets_without_redundancy:,}")  # fmt: skip
        line = _(
            "{share} of events are repetitions, self-loops or ping-pong returns. Redundant time: {hours} h. {estimate}"
        ).format(share=f"{(s.redundant_step_share or 0):.1%}", hours=s.hours.redundant, estimate=estimate)
        return {"lines": [line], "tables": []}

    def __repr__(self) -> str:
        return f"Redundancy(redundant_step_share={self.redundant_step_share:.4f}, hours={self.hours()})"


def _f(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def redundancy(
    log: TicketLog,
    config: Config | None = None,
    level: Level = "team",
    *,
    column: str | None = None,
    missing: Missing = "skip",
    names: tuple[list[str], list[str], list[str]] | None = None,
    not_counted: list[str] | None = None,
) -> Redundancy:
    """Redundant steps and time per ticket, their cost per month and the lead-time estimate.

    ``names``: the (approval, rejection, resubmission) activities (default
    :func:`~cspm.analysis.handoffs.rework.approval_names` of the log); ``not_counted``: steps whose
    repeats are not rework (default :func:`~cspm.analysis.handoffs.rework.status_steps`). A log
    without the team/agent column has no ping-pong part.
    """
    cfg = as_config(config)
    names = names or approval_names(activity_names(log.events), cfg)
    try:
        col: str | None = unit_column(log, level, column)
    except MissingColumnError:
        col = None  # no team/agent column: no ping-pong part
    skip = status_steps(log, cfg) if not_counted is None else list(not_counted)
    events = log.events
    t = redundancy_events(log, col, missing, names, skip)
    has_start = START in events.columns
    if has_start:
        work = epoch_seconds(events[TIMESTAMP]) - epoch_seconds(events[START])
        if SUSPENDED in events.columns:  # suspended time of a paired lifecycle instance is not work
            work = work - events[SUSPENDED].cast("float64").fill_null(0.0)
        proc = events.select(CASE, ROW, processing_s=work)
        t = t.left_join(proc, [CASE, ROW]).select(t, proc.processing_s)
        processing = t.processing_s.fill_null(0)
    else:
        processing = t.interval_s * 0  # no start times: processing unknown
    aggs: dict[str, Any] = {"redundant_events": t.redundant_step.sum(), "flagged_events": t.count()}
    for k in KINDS:
        flag = (t[k] == 1) if k != "redundant" else ibis.literal(True)
        aggs[f"{k}_s"] = ibis.ifelse(flag, t.interval_s, 0).sum()
        aggs[f"{k}_processing_s"] = ibis.ifelse(flag, processing, 0).sum()
    per = t.group_by(CASE).aggregate(**aggs)
    leads = lead_time_table(log)
    per_case = leads.left_join(per, CASE).select(
        leads[CASE],
        leads.events,
        **{c: per[c].cast("float64" if c.endswith("_s") else "int64").fill_null(0) for c in aggs},
        lead_time_s=leads.lead_time_s,
    ).cache()
    span = leads.aggregate(a=epoch_seconds(leads["first"].min()), b=epoch_seconds(leads["last"].max())).to_pandas().iloc[0]
    return Redundancy(
        per_case_table=per_case,
        span_s=float(span["b"] - span["a"]) if not pd.isna(span["a"]) else 0.0,
        hourly_rate=cfg.costs.hourly_rate,
        currency=cfg.costs.currency,
        has_processing=has_start,
    )
