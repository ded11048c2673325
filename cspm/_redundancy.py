"""Redundant steps and what they cost: ping-pong detours, rework, extra approval rounds.

Each event owns the interval since the event before it in its case (in an activity log that is the
wait for and the work on it), so these intervals partition every ticket's lead time. An event is

* **ping-pong** when it lies on a detour: in a visit between leaving a team and coming back to it,
  or it is the first event of the return visit (the intervals add up to the away time);
* **rework** when it is a repetition or a self-loop (:mod:`cspm.rework`);
* **extra approval** when it lies after the first approval round started and up to the start of
  the last round.

Redundant time = the intervals of events in any of the three (each counted once). Removing them is
the lead-time estimate: ``lead time - redundant time`` per ticket (an upper bound on the saving:
it assumes the remaining steps would not take longer). Redundant steps (the "x% of steps are
redundant" figure) = repetitions, self-loops and the first events of ping-pong returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm._events import activity_names, case_window, epoch_seconds, to_frame
from cspm.errors import InputError
from cspm.handoffs import VISIT, Level, Missing, lead_times, unit_column, visit_events, visits
from cspm.log import CASE, ROW, START, TIMESTAMP
from cspm.pingpong import returns
from cspm.rework import approval_events, repeated_events

if TYPE_CHECKING:
    from cspm.config import Config
    from cspm.log import TicketLog

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
) -> ir.Table:
    """The redundant events only: ``case_id, source_row, interval_s`` and the flags ``pingpong``,
    ``rework``, ``approval``, ``redundant_step`` (each small part is filtered before it is combined)."""
    schema = {"pingpong": False, "rework": False, "approval": False, "redundant_step": False}

    def part(t: ir.Table, **flags: Any) -> ir.Table:
        values = {k: flags.get(k, ibis.literal(v)) for k, v in schema.items()}
        return t.select(CASE, ROW, t.interval_s.cast("int64").name("interval_s"), **values)

    rw = repeated if repeated is not None else repeated_events(events)
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

    per_case: pd.DataFrame  # case_id, events, redundant_events, redundant_s, pingpong_s, rework_s, approval_s, ..., lead_time_s
    span_s: float  # first to last event of the log
    hourly_rate: float
    currency: str
    has_processing: bool

    METHOD = (
        "Each event owns the time since the previous event of its ticket; the time of events on a "
        "ping-pong detour, of repetitions and self-loops, and of extra approval rounds is removed "
        "once per ticket, and the lead time without it is compared with the actual one. This is an "
        "estimate and an upper bound: it assumes the remaining steps would not take longer."
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
        """Hours × hourly rate per month of log; on processing time when the log has start times."""
        basis = "processing" if self.has_processing else "elapsed"
        hours = self.processing_hours() if self.has_processing else self.hours()
        assert hours is not None
        return {
            "basis": basis,
            "currency": self.currency,
            "hourly_rate": self.hourly_rate,
            "months_in_log": round(self.months, 3),
            **{k: round(v * self.hourly_rate / self.months, 2) for k, v in hours.items()},
            "hours_per_month": {k: round(v / self.months, 2) for k, v in hours.items()},
        }

    def lead_time_reduction(self) -> dict[str, Any]:
        """Estimated lead time if the redundant segments were removed (see :attr:`METHOD`)."""
        pc = self.per_case
        after = (pc["lead_time_s"] - pc["redundant_s"]).clip(lower=0)
        med_b, med_a = float(pc["lead_time_s"].median()), float(after.median())
        mean_b, mean_a = float(pc["lead_time_s"].mean()), float(after.mean())
        return {
            "median_before_s": med_b,
            "median_after_s": med_a,
            "mean_before_s": mean_b,
            "mean_after_s": mean_a,
            "mean_reduction_share": round(1 - mean_a / mean_b, 4) if mean_b else None,
            "method": self.METHOD,
        }

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
        return (
            f"<h4>Redundant steps</h4><p>{s['redundant_step_share']:.1%} of events are repetitions, self-loops "
            f"or ping-pong returns. Redundant time: {s['hours']['redundant']} h. Estimated median lead time "
            f"without it: {format_duration(lt['median_after_s'])} (now {format_duration(lt['median_before_s'])}).</p>"
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
) -> Redundancy:
    """Redundant steps and time per ticket, their cost per month and the lead-time estimate."""
    from cspm.config import Config
    from cspm.rework import approval_names as classify

    cfg = config or Config()
    appr, rej, res = names or classify(activity_names(log.events), cfg)
    try:
        col: str | None = unit_column(log, level, column)
    except InputError:
        col = None  # no team/agent column: no ping-pong part
    events = log.events
    t = redundancy_events(events, col, missing, appr, rej, res, visit_table, repeated)
    has_start = START in events.columns
    if has_start:
        proc = events.select(CASE, ROW, processing_s=epoch_seconds(events[TIMESTAMP]) - epoch_seconds(events[START]))
        t = t.left_join(proc, [CASE, ROW]).select(t, proc.processing_s)
        processing = t.processing_s.fill_null(0)
    else:
        processing = t.interval_s * 0  # no start times: processing unknown
    aggs: dict[str, Any] = {"redundant_events": t.redundant_step.sum()}
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
