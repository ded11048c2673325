"""The step-interval table: one row per event with its wait / time in status / processing interval.

Definitions per time semantics (events of a case ordered by ``(timestamp, source_row)``):

* ``complete``: the wait of an event is ``timestamp − previous timestamp`` (the wait plus the work
  for that event; the first event of a case has none). Its edge is (previous activity, activity).
* ``start_complete``: processing = ``timestamp − start_timestamp − suspended_seconds`` (suspended
  time of a paired lifecycle instance, when the log has it); wait = ``start_timestamp −
  previous completion`` (clipped at 0 where work overlaps). Edge as for ``complete``.
* ``status``: an event is a status change; its "wait" is the **time in that status**,
  ``next timestamp − timestamp`` (the last status of a case has none). Edge (status, next status).

Every row also has the interval *before* the event (``before_*``: previous timestamp → timestamp)
and *after* it (``after_*``: timestamp → next timestamp), whatever the semantics, in calendar and
business seconds. An interval is **SLA-paused** when it is time in an SLA-clock-stop state: for
``status`` when the status is one of them, otherwise when the previous event is one of them (the
wait after "Pending customer" is the customer's, not the queue's).
"""

from __future__ import annotations

import re
import warnings
from datetime import date
from typing import Literal, get_args

import ibis
import ibis.expr.types as ir

from cspm.config import Clock, Config
from cspm.core.calendar import BusinessCalendar, timestamp_span
from cspm.core.expr import activity_names, epoch_seconds
from cspm.core.log import (
    ACTIVITY,
    AGENT,
    CASE,
    OPTIONAL_ROLES,
    ROW,
    START,
    SUSPENDED,
    TEAM,
    TIMESTAMP,
    TicketLog,
)
from cspm.errors import ConfigError
from cspm.i18n import gettext as _

__all__ = [
    "CASE_END", "CASE_START", "DEFAULT_SLA_PAUSE", "SEMANTICS", "Clock", "Semantics", "activities",
    "check_clock", "milestone_cases", "resolve_semantics", "segment_filter", "semantics_argument",
    "sla_pause_activities", "step_intervals",
]  # fmt: skip

Semantics = Literal["complete", "status", "start_complete"]
SEMANTICS: tuple[Semantics, ...] = get_args(Semantics)

# Default SLA-clock-stop states, matched case-insensitively against activity / status names.
DEFAULT_SLA_PAUSE = re.compile(
    r"pending[\s_-]*(customer|caller|user|requester)|^pending$|wait(ing)?[\s_-]*(-\s*)?(for|on)?[\s_-]*"
    r"(user|customer|caller|requester)|awaiting[\s_-]*(caller|customer|user|requester)"
    r"|on[\s_-]*hold|等待客户|等待用户|待客户|客户确认中",
    re.IGNORECASE,
)


def resolve_semantics(log: TicketLog, config: Config | None, semantics: str | None) -> Semantics:
    """Explicit argument, else the config's ``time_semantics``, else start/complete when the log has
    start times, else ``complete``."""
    value = semantics or (config.time_semantics if config is not None else None)
    if value is None:
        value = "start_complete" if log.has_start else "complete"
    if value not in SEMANTICS:
        raise ConfigError(None, [("time_semantics", value, _("expected complete, status or start_complete"))])
    if value == "start_complete" and not log.has_start:
        raise ConfigError(
            None, [("time_semantics", value, _("the log has no start timestamp column; use complete or status"))]
        )
    return value  # type: ignore[return-value]


def semantics_argument(semantics: Semantics | None, time_semantics: str | None) -> Semantics | None:
    """``semantics``, or the value of the deprecated keyword ``time_semantics`` (with a
    DeprecationWarning at the caller of the analysis)."""
    if time_semantics is None:
        return semantics
    warnings.warn("the keyword time_semantics= is deprecated; use semantics=", DeprecationWarning, stacklevel=3)
    if semantics is not None and semantics != time_semantics:
        raise ValueError(f"semantics={semantics!r} and time_semantics={time_semantics!r} disagree; give semantics only")
    return time_semantics  # type: ignore[return-value]


def check_clock(clock: str | None) -> None:
    """A clock argument is ``None``, ``'calendar'`` or ``'business'``."""
    if clock is not None and clock not in get_args(Clock):
        raise ValueError(f"clock must be 'calendar' or 'business', not {clock!r}")


def activities(log: TicketLog) -> list[str]:
    """Distinct activities (small; queried once per log)."""
    return list(log.derived.get("activities", None, lambda: tuple(activity_names(log.events))))


def sla_pause_activities(log: TicketLog, config: Config | None) -> list[str]:
    """The SLA-clock-stop activities of the log: the config's list (case-insensitive) or the defaults."""
    configured = tuple(config.value_classes.sla_pause) if config is not None else ()
    return list(log.derived.get("sla_pause", configured, lambda: tuple(_sla_pause(activities(log), configured))))


def _sla_pause(names: list[str], configured: tuple[str, ...]) -> list[str]:
    if configured:
        wanted = {c.casefold() for c in configured}
        return [a for a in names if a.casefold() in wanted]
    return [a for a in names if DEFAULT_SLA_PAUSE.search(a)]


# columns every interval table keeps (``keep`` adds others)
_ROLE_COLUMNS = (CASE, ACTIVITY, TIMESTAMP, ROW, START, TEAM, AGENT, *OPTIONAL_ROLES)


def step_intervals(
    log: TicketLog,
    semantics: Semantics,
    calendar: BusinessCalendar,
    pause: list[str],
    *,
    keep: list[str] | None = None,
) -> ir.Table:
    """The interval table (see the module docstring), seconds as float64 (exact to the millisecond).

    Columns added to the events: ``prev_activity``, ``next_activity``, ``edge_from``, ``edge_to``,
    ``paused`` (of the wait), ``before_paused``, ``after_paused``, ``before_s``/``before_bs``, ``after_s``/``after_bs``, ``wait_s``/``wait_bs``,
    ``proc_s``/``proc_bs`` (null unless start_complete), business positions ``pos``, ``prev_pos``,
    ``next_pos`` (and ``start_pos`` for start_complete), ``order_in_case`` (0-based place of the event
    in its ticket, by time then source row), ``prev_team`` / ``prev_agent`` (of the previous event,
    when the log has the role). ``_s`` = calendar, ``_bs`` = business.
    Besides these, the table has the role columns and the source columns named in ``keep``
    (``None``: every source column).

    Built and materialised on the engine once per log and key (semantics, calendar, SLA-pause
    steps) through ``log.derived``, and shared by every analysis of the log: the table keeps the
    union of the ``keep`` columns asked for so far, so a request for columns it has reuses it and
    one for a column it lacks rebuilds it with the union.
    """
    ev = log.events
    wanted = ev.columns if keep is None else keep
    extra = frozenset(c for c in wanted if c in ev.columns and c not in _ROLE_COLUMNS)
    base = (semantics, calendar.config.model_dump_json(), tuple(sorted(set(pause))))
    seen: list[frozenset[str]] = []

    def collect(key: tuple) -> bool:  # the keep columns of every table of this key built so far
        if key[:3] == base:
            seen.append(key[3])
        return False

    log.derived.find("step_intervals", collect)
    # each build keeps every column asked for so far, so the union names the widest table built
    # when it has all of ``extra`` (reused), else the table to build
    union = extra.union(*seen)
    return log.derived.get(
        "step_intervals", (*base, union), lambda: _build_intervals(log, semantics, calendar, pause, sorted(union))
    )


def _build_intervals(
    log: TicketLog, semantics: Semantics, calendar: BusinessCalendar, pause: list[str], keep: list[str]
) -> ir.Table:
    """The interval table of :func:`step_intervals` with the role columns and ``keep``, materialised."""
    ev = log.events
    ts_cols = [TIMESTAMP, START] if semantics == "start_complete" else [TIMESTAMP]
    span = timestamp_span(ev, *ts_cols)
    team = TEAM if log.has_team else None
    if span is None:  # empty log: positions are never used
        span = (date(1970, 1, 1), date(1970, 1, 1))
    team_calendars = bool(calendar.config.teams) and team is not None
    cols = {"pos": TIMESTAMP, **({"start_pos": START} if semantics == "start_complete" else {})}
    if not team_calendars:
        # one calendar: the neighbours' positions are the lag/lead of the event's own, taken in the
        # one window pass below (a second pass after the calendar join would sort the events again)
        ev = calendar.position(ev, cols, span=span, team=None)
    w = ibis.window(group_by=ev[CASE], order_by=[ev[TIMESTAMP], ev[ROW]])
    neighbours = {
        "prev_activity": ev[ACTIVITY].lag().over(w),
        "next_activity": ev[ACTIVITY].lead().over(w),
        "prev_ts": ev[TIMESTAMP].lag().over(w),
        "next_ts": ev[TIMESTAMP].lead().over(w),
        "order_in_case": ibis.row_number().over(w),
        **{f"prev_{role}": ev[role].lag().over(w) for role in (TEAM, AGENT) if role in ev.columns},
    }
    if team_calendars:
        # the neighbours' timestamps are placed on this event's team calendar
        t = ev.mutate(**neighbours)
        positions = {"pos": TIMESTAMP, "prev_pos": "prev_ts", "next_pos": "next_ts", **cols}
        t = calendar.position(t, positions, span=span, team=team)
    else:
        t = ev.mutate(**neighbours, prev_pos=ev.pos.lag().over(w), next_pos=ev.pos.lead().over(w))
        positions = {**cols, "prev_pos": "", "next_pos": ""}
    ev = log.events
    sec, prev_sec, next_sec = epoch_seconds(t[TIMESTAMP]), epoch_seconds(t.prev_ts), epoch_seconds(t.next_ts)
    t = t.mutate(
        before_s=sec - prev_sec,
        before_bs=t.pos - t.prev_pos,
        after_s=next_sec - sec,
        after_bs=t.next_pos - t.pos,
    )

    def is_pause(col: ir.StringValue) -> ir.BooleanValue:
        return col.isin(list(pause)).fill_null(False) if pause else ibis.literal(False)

    null_s = ibis.null("float64")
    t = t.mutate(before_paused=is_pause(t.prev_activity), after_paused=is_pause(t[ACTIVITY]))
    if semantics == "status":
        t = t.mutate(
            edge_from=t[ACTIVITY], edge_to=t.next_activity,
            paused=is_pause(t[ACTIVITY]),
            wait_s=t.after_s, wait_bs=t.after_bs, proc_s=null_s, proc_bs=null_s,
        )  # fmt: skip
    elif semantics == "complete":
        t = t.mutate(
            edge_from=t.prev_activity, edge_to=t[ACTIVITY],
            paused=is_pause(t.prev_activity),
            wait_s=t.before_s, wait_bs=t.before_bs, proc_s=null_s, proc_bs=null_s,
        )  # fmt: skip
    else:
        start_sec = epoch_seconds(t[START])
        # suspended time (suspend → resume of a paired instance) is not work; on the business clock it
        # is removed in proportion to the business share of the instance's calendar span
        susp = t[SUSPENDED].cast("float64").fill_null(0.0) if SUSPENDED in t.columns else ibis.literal(0.0)
        span_s = sec - start_sec
        share = ibis.cases((span_s > 0, (span_s - susp) / span_s), else_=ibis.literal(1.0))
        t = t.mutate(
            edge_from=t.prev_activity, edge_to=t[ACTIVITY],
            paused=is_pause(t.prev_activity),
            wait_s=_clip0(start_sec - prev_sec),
            wait_bs=_clip0(t.start_pos - t.prev_pos),
            proc_s=_clip0(span_s - susp),
            proc_bs=_clip0((t.pos - t.start_pos) * share),
        )  # fmt: skip
    base = [c for c in dict.fromkeys([*_ROLE_COLUMNS, *keep]) if c in ev.columns]
    rest = [c for c in t.columns if c not in ev.columns and c not in neighbours and c not in positions]
    t = t.select(*base, *neighbours, *positions, *rest)
    # materialised once: every figure of every analysis aggregates this table
    return t.cache()


def _clip0(x: ir.FloatingValue) -> ir.FloatingValue:
    """max(0, x), null stays null (greatest() skips nulls on DuckDB and Spark)."""
    return ibis.cases((x.isnull(), ibis.null("float64")), (x < 0, ibis.literal(0.0, "float64")), else_=x)


CASE_START = "case start"
CASE_END = "case end"


def segment_filter(table: ir.Table, segment: dict[str, str], key: str) -> ir.BooleanValue:
    """Rows whose columns equal the segment's values (as text); ConfigError names a missing column."""
    cond = ibis.literal(True)
    for col, value in segment.items():
        if col not in table.columns:
            raise ConfigError(
                None, [(f"{key}.segment.{col}", value, _("the log has no column {col!r}; columns: {names}").format(col=col, names=', '.join(table.columns)))]
            )
        cond = cond & (table[col].cast("string") == str(value))
    return cond


def milestone_cases(
    log: TicketLog,
    intervals: ir.Table,
    calendar: BusinessCalendar,
    start: str | list[str],
    end: str | list[str],
    *,
    segment: dict[str, str] | None = None,
    key: str = "targets.milestones",
) -> ir.Table:
    """One row per case (in the segment): first ``start`` → first ``end`` at or after it.

    ``start`` / ``end`` may be a list of activities (the first of any of them counts).
    ``start`` may be ``'case start'`` (first event), ``end`` ``'case end'`` (last event). Columns:
    ``case_id``, ``t_a``, ``t_b`` (null when not reached), ``dur_s``/``dur_bs`` (calendar /
    business seconds), ``paused_s``/``paused_bs`` (SLA-paused time between them).

    Materialised once per log and milestone (``log.derived``, kind ``milestone_cases START → END
    [SEGMENT]``, keyed by the calendar and the interval table): the waiting targets and the service
    KPIs that measure the same milestone share the table.
    """
    starts = (start,) if isinstance(start, str) else tuple(start)
    ends = (end,) if isinstance(end, str) else tuple(end)
    slot = (tuple(sorted((segment or {}).items())), calendar.config.model_dump_json(), intervals.op())
    where = ", ".join(f"{k}={v}" for k, v in slot[0])
    kind = f"milestone_cases {' | '.join(starts)} → {' | '.join(ends)}" + (f" [{where}]" if where else "")
    return log.derived.get(
        kind, slot, lambda: _milestone_cases(log, intervals, calendar, list(starts), list(ends), segment, key).cache()
    )


def _case_bounds(table: ir.Table) -> ir.Table:
    """Per case: the first and last timestamp (``case_first``, ``case_last``) and, on an interval
    table, their business positions (``pos_first``, ``pos_last``)."""
    pos = {"pos_first": table.pos.min(), "pos_last": table.pos.max()} if "pos" in table.columns else {}
    return table.group_by(CASE).aggregate(case_first=table[TIMESTAMP].min(), case_last=table[TIMESTAMP].max(), **pos)


def _milestone_cases(
    log: TicketLog,
    intervals: ir.Table,
    calendar: BusinessCalendar,
    starts: list[str],
    ends: list[str],
    segment: dict[str, str] | None,
    key: str,
) -> ir.Table:
    """The table of :func:`milestone_cases`, as an expression.

    Without team calendars the interval table's ``pos`` is the main calendar's position of every
    event's timestamp: the positions of ``t_a`` / ``t_b`` are taken from it (the position is
    non-decreasing in time, so the first event's position is the smallest) instead of being joined
    with the calendar again."""
    ev = log.events
    reuse = "pos" in intervals.columns and not (calendar.config.teams and log.has_team)
    src = intervals if reuse else ev
    cases = _case_bounds(src)
    if segment:
        cond = segment_filter(ev, segment, key)
        members = ev.group_by(CASE).aggregate(_cspm_in=cond.any())
        members = members.filter(members._cspm_in).select(CASE)
        cases = cases.semi_join(members, CASE)
    if len(starts) == 1 and starts[0].strip().casefold() == CASE_START:
        a = cases.select(CASE, t_a=cases.case_first, **({"pos_a": cases.pos_first} if reuse else {}))
    else:
        sel = src.filter(src[ACTIVITY].isin(starts))
        a = sel.group_by(CASE).aggregate(t_a=sel[TIMESTAMP].min(), **({"pos_a": sel.pos.min()} if reuse else {}))
    if len(ends) == 1 and ends[0].strip().casefold() == CASE_END:
        b = cases.select(CASE, t_b=cases.case_last, **({"pos_b": cases.pos_last} if reuse else {}))
    else:
        j = src.filter(src[ACTIVITY].isin(ends)).select(CASE, TIMESTAMP, *(["pos"] if reuse else []))
        j = j.join(a.select(CASE, "t_a"), CASE)
        j = j.filter(j[TIMESTAMP] >= j.t_a)
        b = j.group_by(CASE).aggregate(t_b=j[TIMESTAMP].min(), **({"pos_b": j.pos.min()} if reuse else {}))
    extra_a, extra_b = (["pos_a"], ["pos_b"]) if reuse else ([], [])
    out = cases.select(CASE).left_join(a, CASE).select(CASE, "t_a", *extra_a)
    out = out.left_join(b, CASE).select(CASE, "t_a", *extra_a, "t_b", *extra_b)
    out = out.mutate(t_b=ibis.cases((out.t_a.notnull(), out.t_b), else_=ibis.null("timestamp")).cast(out.t_a.type()))
    if reuse:
        out = out.mutate(pos_b=ibis.cases((out.t_a.notnull(), out.pos_b), else_=ibis.null("float64")).cast("float64"))
    else:
        span = timestamp_span(intervals, TIMESTAMP)  # the materialised table: a cheap query
        if span is not None:
            out = calendar.position(out, {"pos_a": "t_a", "pos_b": "t_b"}, span=span)
        else:
            out = out.mutate(pos_a=ibis.null("float64"), pos_b=ibis.null("float64"))
    out = out.mutate(dur_s=epoch_seconds(out.t_b) - epoch_seconds(out.t_a), dur_bs=out.pos_b - out.pos_a)
    # materialised (one row per case): the paused-time join below reads it a second time, which
    # would otherwise repeat the joins and both calendar positions in the same query
    out = out.select(CASE, "t_a", "t_b", "dur_s", "dur_bs").cache()
    iv = intervals.filter(intervals.before_paused).select(CASE, "prev_ts", TIMESTAMP, "before_s", "before_bs")
    win = iv.join(out.select(CASE, "t_a", "t_b").filter(lambda r: r.t_b.notnull()), CASE)
    win = win.filter((win.prev_ts >= win.t_a) & (win[TIMESTAMP] <= win.t_b))
    paused = win.group_by(CASE).aggregate(paused_s=win.before_s.sum(), paused_bs=win.before_bs.sum())
    out = out.left_join(paused, CASE).select(
        CASE, "t_a", "t_b", "dur_s", "dur_bs", "paused_s", "paused_bs"
    )
    zero = ibis.literal(0.0, "float64")
    return out.mutate(
        paused_s=ibis.cases((out.t_b.notnull(), out.paused_s.fill_null(zero)), else_=ibis.null("float64")).cast("float64"),
        paused_bs=ibis.cases((out.t_b.notnull(), out.paused_bs.fill_null(zero)), else_=ibis.null("float64")).cast("float64"),
    )
