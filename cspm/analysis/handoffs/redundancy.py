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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.analysis.handoffs.handoffs import (
    VISIT,
    Level,
    Missing,
    lead_times,
    unit_column,
    visit_events,
    visits,
)
from cspm.analysis.handoffs.pingpong import returns
from cspm.analysis.handoffs.rework import approval_events, repeated_events, status_steps
from cspm.core.expr import activity_names, case_window, epoch_seconds, to_frame
from cspm.core.log import CASE, ROW, START, SUSPENDED, TIMESTAMP
from cspm.errors import InputError

if TYPE_CHECKING:
    from cspm.config import Config
    from cspm.core.log import TicketLog

SECONDS_PER_MONTH = 30.4375 * 86400


def pingpong_events(
    events: ir.Table, column: str, missing: Missing, visit_table: ir.Table | None = None
) -> ir.Table:
    """The events on a ping-pong detour: ``case_id, source_row, interval_s, return_event``."""
    vis = visit_table if visit_table is not None else visits(events, column, missing)
    ret = returns(vis).select(CASE, VISIT, "left_visit")
    v = vis.select(CASE, VISIT).left_join(ret, [CASE, VISIT]).select(CASE, VISIT, "left_visit")
    after = ibis.window(group_by=CASE, order_by=VISIT, rows=(1, None))
    v = v.mutate(later_left=v.left_visit.min().over(after))
    v = v.mutate(
        detour=v.later_left.notnull() & (v.later_left < v[VISIT]),
        is_return=v.left_visit.notnull(),
    )
    v = v.filter(v.detour | v.is_return).select(CASE, VISIT, "detour", "is_return")
    events = events.semi_join(v.select(CASE).distinct(), CASE)  # only the tickets with a ping-pong
    timed = events.mutate(interval_s=epoch_seconds(events[TIMESTAMP]) - epoch_seconds(events[TIMESTAMP].lag().over(case_window())))
    ev = visit_events(timed, column, missing, keep=("interval_s",))
    ev = ev.mutate(_first=ibis.row_number().over(ibis.window(group_by=[CASE, VISIT], order_by=[TIMESTAMP, ROW])))
    j = ev.join(v, [CASE, VISIT])
    ret_first = j.is_return & (j._first == 0)
    j = j.filter(j.detour | ret_first)
    return j.select(CASE, ROW, "interval_s", return_event=ret_first)


def redundancy_events(
    events: ir.Table,
    column: str | None,
    missing: Missing,
    approval: list[str],
    reject: list[str],
    resub: list[str],
    visit_table: ir.Table | None = None,
    repeated: ir.Table | None = None,
    not_counted: list[str] | tuple[str, ...] = (),
) -> ir.Table:
    """The redundant events only: ``case_id, source_row, interval_s`` and the flags ``pingpong``,
    ``rework``, ``approval``, ``redundant_step`` (each small part is filtered before it is combined)."""
    schema = {"pingpong": False, "rework": False, "approval": False, "redundant_step": False}

    def part(t: ir.Table, **flags: Any) -> ir.Table:
        values = {k: flags.get(k, ibis.literal(v)) for k, v in schema.items()}
        return t.select(CASE, ROW, t.interval_s.cast("int64").name("interval_s"), **values)

    rw = repeated if repeated is not None else repeated_events(events, not_counted)
    parts = [part(rw, rework=ibis.literal(True), redundant_step=ibis.literal(True))]
    if approval:
        ap = approval_events(events, approval, reject, resub)
        parts.append(part(ap.filter(ap.extra_round), approval=ibis.literal(True)))
    if column is not None:
        pp = pingpong_events(events, column, missing, visit_table)
        parts.append(part(pp, pingpong=ibis.literal(True), redundant_step=pp.return_event))
    u = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    return u.group_by([CASE, ROW]).aggregate(
        interval_s=u.interval_s.max(),
        **{k: u[k].cast("int64").max() for k in schema},
    )


@dataclass
class Redundancy:
    """Redundant steps, the hours they take, their cost and the lead-time saving if removed."""

    per_case: pd.DataFrame  # case_id, events, redundant_events, flagged_events, redundant_s, pingpong_s, rework_s, approval_s, ..., lead_time_s
    span_s: float  # first to last event of the log
    hourly_rate: float
    currency: str
    has_processing: bool

    METHOD = (
        "Each event owns the time since the previous event of its ticket; the time of events on a "
        "ping-pong detour, of repetitions and self-loops, and of extra approval rounds is removed "
        "once per ticket, but no ticket is estimated faster than the median lead time of the tickets "
        "without any of them (a ticket already faster keeps its lead time). This is an estimate and "
        "an upper bound on the saving: it assumes the remaining steps would not take longer."
    )

    @property
    def months(self) -> float:
        return max(self.span_s / SECONDS_PER_MONTH, 1e-9)

    @property
    def redundant_step_share(self) -> float:
        ev = self.per_case["events"].sum()
        return float(self.per_case["redundant_events"].sum() / ev) if ev else float("nan")

    def hours(self) -> dict[str, float]:
        """Elapsed hours (waiting + processing) per kind of waste, and their union."""
        pc = self.per_case
        return {k: round(float(pc[f"{k}_s"].sum()) / 3600, 2) for k in ("pingpong", "rework", "approval", "redundant")}

    def processing_hours(self) -> dict[str, float] | None:
        if not self.has_processing:
            return None
        pc = self.per_case
        return {k: round(float(pc[f"{k}_processing_s"].sum()) / 3600, 2) for k in ("pingpong", "rework", "approval", "redundant")}

    def cost_per_month(self) -> dict[str, Any]:
        """Hours per month of log and, when the log has start times, their cost: processing hours ×
        hourly rate per month.

        Without start times only elapsed time is known, which includes the waiting between steps
        (nights, queues, customers): costing it at an agent's hourly rate would overstate the
        saving many times over, so the money figures are ``None`` and ``reason`` says why.
        """
        basis = "processing" if self.has_processing else "elapsed"
        hours = self.processing_hours() if self.has_processing else self.hours()
        assert hours is not None
        money = self.has_processing and self.hourly_rate > 0
        reason = None
        if not self.has_processing:
            reason = ("the log has no start times, so the working time in these steps is unknown "
                      "(elapsed time includes waiting)")  # fmt: skip
        elif self.hourly_rate <= 0:
            reason = "no hourly rate: set costs.hourly_rate in the config"
        return {
            "basis": basis,
            "currency": self.currency,
            "hourly_rate": self.hourly_rate,
            "months_in_log": round(self.months, 3),
            **{k: (round(v * self.hourly_rate / self.months, 2) if money else None) for k, v in hours.items()},
            "hours_per_month": {k: round(v / self.months, 2) for k, v in hours.items()},
            "reason": reason,
        }

    def lead_time_floor(self) -> tuple[float | None, int]:
        """(median lead time of the tickets without any redundant event and a lead time above 0,
        their number): the fastest a ticket is estimated to become (``None`` without such tickets)."""
        pc = self.per_case
        clean = pc.loc[(pc["flagged_events"] == 0) & (pc["lead_time_s"] > 0), "lead_time_s"]
        return (float(clean.median()) if len(clean) else None), int(len(clean))

    def lead_time_reduction(self) -> dict[str, Any]:
        """Estimated lead time if the redundant segments were removed (module docstring, :attr:`METHOD`).

        ``median_after_s``, ``mean_after_s`` and ``mean_reduction_share`` are ``None`` when no
        ticket is free of redundant events (nothing bounds the estimate; ``reason`` says so).
        """
        pc = self.per_case
        lead = pc["lead_time_s"].astype(float)
        med_b = float(lead.median()) if len(lead) else None
        mean_b = float(lead.mean()) if len(lead) else None
        floor, clean = self.lead_time_floor()
        out: dict[str, Any] = {
            "median_before_s": med_b,
            "median_after_s": None,
            "mean_before_s": mean_b,
            "mean_after_s": None,
            "mean_reduction_share": None,
            "floor_s": floor,
            "tickets_without_redundancy": clean,
            "method": self.METHOD,
            "reason": None,
        }
        if floor is None:
            out["reason"] = "no ticket is free of redundant steps, so there is nothing to bound an estimate by"
            return out
        after = (lead - pc["redundant_s"]).clip(lower=lead.clip(upper=floor))
        mean_a = float(after.mean())
        out.update(
            median_after_s=float(after.median()),
            mean_after_s=mean_a,
            mean_reduction_share=round(1 - mean_a / mean_b, 4) if mean_b else None,
        )
        return out

    def to_pandas(self) -> pd.DataFrame:
        return self.per_case

    def summary(self) -> dict[str, Any]:
        return {
            "events": int(self.per_case["events"].sum()),
            "redundant_steps": int(self.per_case["redundant_events"].sum()),
            "redundant_step_share": round(self.redundant_step_share, 4),
            "hours": self.hours(),
            "processing_hours": self.processing_hours(),
            "cost_per_month": self.cost_per_month(),
            "lead_time_reduction": self.lead_time_reduction(),
        }

    def __repr__(self) -> str:
        return f"Redundancy(redundant_step_share={self.redundant_step_share:.4f}, hours={self.hours()})"

    def _repr_html_(self) -> str:
        from cspm.units import format_duration

        s = self.summary()
        lt = s["lead_time_reduction"]
        if lt["median_after_s"] is None:
            estimate = f"Lead time without it: not estimated ({lt['reason']})."
        else:
            estimate = (
                f"Estimated median lead time without it: {format_duration(lt['median_after_s'])} (now "
                f"{format_duration(lt['median_before_s'])}; no ticket below {format_duration(lt['floor_s'])}, "
                f"the median of the {lt['tickets_without_redundancy']:,} tickets without redundant steps)."
            )
        return (
            f"<h4>Redundant steps</h4><p>{s['redundant_step_share']:.1%} of events are repetitions, self-loops "
            f"or ping-pong returns. Redundant time: {s['hours']['redundant']} h. {estimate}</p>"
        )


def redundancy(
    log: TicketLog,
    config: Config | None = None,
    level: Level = "team",
    *,
    column: str | None = None,
    missing: Missing = "skip",
    names: tuple[list[str], list[str], list[str]] | None = None,
    visit_table: ir.Table | None = None,
    lead_table: ir.Table | None = None,
    repeated: ir.Table | None = None,
    not_counted: list[str] | None = None,
) -> Redundancy:
    """Redundant steps and time per ticket, their cost per month and the lead-time estimate.

    ``not_counted``: steps whose repeats are not rework (default :func:`cspm.analysis.handoffs.rework.status_steps`);
    ``repeated`` must have been computed with the same list.
    """
    from cspm.analysis.handoffs.rework import approval_names as classify
    from cspm.config import Config

    cfg = config or Config()
    appr, rej, res = names or classify(activity_names(log.events), cfg)
    try:
        col: str | None = unit_column(log, level, column)
    except InputError:
        col = None  # no team/agent column: no ping-pong part
    events = log.events
    if not_counted is not None:
        skip = list(not_counted)
    else:  # only needed to find the repeats here
        skip = status_steps(log, cfg) if repeated is None else []
    t = redundancy_events(events, col, missing, appr, rej, res, visit_table, repeated, skip)
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
    for k in ("pingpong", "rework", "approval", "redundant"):
        flag = (t[k] == 1) if k != "redundant" else ibis.literal(True)
        aggs[f"{k}_s"] = ibis.ifelse(flag, t.interval_s, 0).sum()
        aggs[f"{k}_processing_s"] = ibis.ifelse(flag, processing, 0).sum()
    per = t.group_by(CASE).aggregate(**aggs)
    leads = lead_table if lead_table is not None else lead_times(events)
    counts = events.group_by(CASE).aggregate(events=events.count())
    base = leads.join(counts, CASE).select(CASE, "events", "lead_time_s")
    joined = base.left_join(per, CASE).select(base[CASE], base.events, *[per[c] for c in aggs], base.lead_time_s)
    df = to_frame(joined, [CASE])
    for c in df.columns:
        if c != CASE:
            df[c] = df[c].fillna(0).astype("float64" if c.endswith("_s") else "int64")
    span = events.aggregate(a=epoch_seconds(events[TIMESTAMP].min()), b=epoch_seconds(events[TIMESTAMP].max())).to_pandas().iloc[0]
    return Redundancy(
        per_case=df,
        span_s=float(span["b"] - span["a"]) if not pd.isna(span["a"]) else 0.0,
        hourly_rate=cfg.costs.hourly_rate,
        currency=cfg.costs.currency,
        has_processing=has_start,
    )
