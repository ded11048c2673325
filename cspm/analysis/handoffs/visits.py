"""Visits: the engine expressions the handoff family shares (and the derived tables built from them).

Every expression orders a case's events by ``(timestamp, source_row)``.

* The **unit column** is the column handoffs are counted on: ``team``, ``agent`` or any column.
* A **visit** is a run of consecutive events of a case with the same unit value. Events with no
  value are either **skipped** (``missing="skip"``: A, –, A is one visit of A) or **break** the
  run (``missing="break"``: they form visits of their own labelled :data:`NO_VALUE`, so A, –, A is
  three visits).
* The **lead time** of a case runs from its first to its last event.

:func:`visit_table` and :func:`lead_time_table` are the derived tables of a log (built once per
log and key through ``log.derived`` and materialised on the engine); handoffs, ping-pong, rework and
redundancy all read them.
"""

from __future__ import annotations

from typing import Literal, get_args

import ibis
import ibis.expr.types as ir

from cspm.core.expr import as_int, case_window, clean_text, epoch_seconds
from cspm.core.log import ACTIVITY, AGENT, CASE, ROW, TEAM, TIMESTAMP, TicketLog
from cspm.errors import InputError, MissingColumnError
from cspm.i18n import gettext as _

__all__ = [
    "NO_VALUE",
    "UNIT",
    "VISIT",
    "Level",
    "Missing",
    "lead_time_table",
    "lead_times",
    "missing_values",
    "unit_column",
    "visit_events",
    "visit_table",
    "visits",
]

Level = Literal["team", "agent"]
Missing = Literal["skip", "break"]
NO_VALUE = "(none)"
"""Label of the visits formed by events without a team/agent value when ``missing="break"``."""

UNIT = "unit"
VISIT = "visit"


def unit_column(log: TicketLog, level: Level = "team", column: str | None = None) -> str:
    """The column handoffs are counted on: ``column`` if given, else ``team`` or ``agent``.

    Raises :class:`~cspm.errors.MissingColumnError` when the log has no such column.
    """
    if level not in get_args(Level):
        raise InputError(_("unknown handoff level {level!r}.").format(level=level), expected=_("'team' or 'agent'"))
    name = column or (TEAM if level == "team" else AGENT)
    if name not in log.events.columns:
        if column:
            what, how = _("column {name!r}").format(name=name), _("pass column= the name of a column of the log")
        else:
            flag = "--team-column" if level == "team" else "--agent"
            what = _("{level} column").format(level=_(level))
            how = _("name the column holding the {level} of each event when reading the log ({flag}, "
                    "cspm.read(..., {key}=...) or columns.{key} in the config), or pass column=...").format(
                level=_(level), flag=flag, key=level)
        raise MissingColumnError(
            name,
            [c for c in log.events.columns if c != ROW],
            path=log.source,
            needed_for=_("counting handoffs at {level} level").format(level=_(level)) if not column else _("counting handoffs"),
            hint=_("The log has no {what} for handoffs: {how}.").format(what=what, how=how),
        )
    return name


def _check_missing(missing: Missing) -> None:
    if missing not in get_args(Missing):
        raise InputError(_("unknown missing-value rule {missing!r}.").format(missing=missing), expected=_("'skip' or 'break'"))


def _units(events: ir.Table, column: str, missing: Missing, keep: tuple[str, ...] = ()) -> ir.Table:
    _check_missing(missing)
    t = events.select(CASE, ACTIVITY, TIMESTAMP, ROW, *keep, **{UNIT: clean_text(events[column])})
    if missing == "skip":
        return t.filter(t[UNIT].notnull())
    return t.mutate(**{UNIT: t[UNIT].fill_null(NO_VALUE)})


def visit_events(
    events: ir.Table, column: str, missing: Missing = "skip", keep: tuple[str, ...] = ()
) -> ir.Table:
    """Events numbered by visit: ``case_id, source_row, timestamp, activity, unit, visit`` (1-based)
    plus the columns named in ``keep``."""
    t = _units(events, column, missing, keep)
    prev = t[UNIT].lag().over(case_window())
    t = t.mutate(_new=ibis.ifelse(prev.isnull() | (prev != t[UNIT]), 1, 0))
    cum = ibis.cumulative_window(group_by=CASE, order_by=[TIMESTAMP, ROW])
    return t.mutate(**{VISIT: t._new.sum().over(cum)}).drop("_new")


def visits(events: ir.Table, column: str, missing: Missing = "skip") -> ir.Table:
    """One row per visit: ``case_id, visit, unit, start, end, events`` plus the neighbouring visits.

    ``prev_unit``/``prev_end`` describe the visit before (the handoff into this one), ``next_unit``
    the visit after. Computed from the first and last event of each run (one ordered pass over the
    events, then windows over the few boundary rows).
    """
    t = _units(events, column, missing)
    w = case_window()
    t = t.mutate(_prev=t[UNIT].lag().over(w), _next=t[UNIT].lead().over(w), _pos=ibis.row_number().over(w))
    first = t._prev.isnull() | (t._prev != t[UNIT])
    last = t._next.isnull() | (t._next != t[UNIT])
    b = t.filter(first | last).mutate(_first=first, _last=last)
    wb = ibis.window(group_by=CASE, order_by="_pos")
    b = b.mutate(
        end=ibis.ifelse(b._last, b[TIMESTAMP], b[TIMESTAMP].lead().over(wb)),
        _end_pos=ibis.ifelse(b._last, b._pos, b._pos.lead().over(wb)),
    )
    v = b.filter(b._first)
    v = v.select(
        CASE,
        **{VISIT: ibis.row_number().over(wb) + 1},
        **{UNIT: v[UNIT]},
        start=v[TIMESTAMP],
        end=v.end,
        events=v._end_pos - v._pos + 1,
    )
    wv = ibis.window(group_by=CASE, order_by=VISIT)
    return v.mutate(
        prev_unit=v[UNIT].lag().over(wv),
        prev_end=v.end.lag().over(wv),
        next_unit=v[UNIT].lead().over(wv),
    )


def lead_times(events: ir.Table) -> ir.Table:
    """Per case: ``first`` and ``last`` event time, the number of ``events`` and the lead time in
    seconds (``lead_time_s``)."""
    g = events.group_by(CASE).aggregate(
        first=events[TIMESTAMP].min(), last=events[TIMESTAMP].max(), events=events.count()
    )
    return g.mutate(lead_time_s=epoch_seconds(g["last"]) - epoch_seconds(g["first"]))


def missing_values(events: ir.Table, column: str) -> dict[str, int]:
    """Events and cases without a value in ``column``."""
    miss = clean_text(events[column]).isnull()
    row = events.aggregate(
        events=miss.sum(), cases=events[CASE].nunique(where=miss)
    ).to_pandas().iloc[0]
    return {"events": as_int(row["events"]), "cases": as_int(row["cases"])}


# ------------------------------------------------------------------------------ derived tables
def visit_table(log: TicketLog, column: str, missing: Missing = "skip") -> ir.Table:
    """The visits of ``log`` on ``column`` (:func:`visits`), built once per log, column and rule."""
    _check_missing(missing)
    return log.derived.get("visits", (column, missing), lambda: visits(log.events, column, missing).cache())


def lead_time_table(log: TicketLog) -> ir.Table:
    """The lead time of every case of ``log`` (:func:`lead_times`), built once per log."""
    return log.derived.get("lead_times", (), lambda: lead_times(log.events).cache())
