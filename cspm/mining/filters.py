"""Filtering a log: each function returns a new :class:`~cspm.core.log.TicketLog` over a filtered event
table (an Ibis expression on the same engine). Case-level filters keep or drop whole cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.config import parse_duration
from cspm.core.log import ACTIVITY, CASE, START, TIMESTAMP, TicketLog
from cspm.mining.discovery import case_table, variant_keys

__all__ = [
    "filter_activity",
    "filter_attribute",
    "filter_duration",
    "filter_time_window",
    "filter_variants",
]

WindowMode = Literal["intersecting", "starting", "ending", "contained", "trim"]


def _keep_cases(log: TicketLog, cases: ir.Table) -> TicketLog:
    """Events of the cases listed in ``cases`` (a table with a ``case_id`` column)."""
    ids = cases.select(_keep_id=cases[CASE]).distinct()
    ev = log.events
    return log.with_events(ev.semi_join(ids, ev[CASE] == ids._keep_id))


def _drop_cases(log: TicketLog, cases: ir.Table) -> TicketLog:
    ids = cases.select(_drop_id=cases[CASE]).distinct()
    ev = log.events
    return log.with_events(ev.anti_join(ids, ev[CASE] == ids._drop_id))


def _utc(value: str | datetime | pd.Timestamp | None, tz: str) -> Any:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_localize(tz) if ts.tzinfo is None else ts
    return ibis.literal(ts.tz_convert("UTC").to_pydatetime(), type="timestamp('UTC')")


def filter_time_window(
    log: TicketLog,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    *,
    mode: WindowMode = "intersecting",
) -> TicketLog:
    """Cases (or events, with ``mode='trim'``) in the window ``[start, end)``.

    Modes: ``starting`` (the case starts in the window), ``ending`` (ends in it), ``contained``
    (starts and ends in it), ``intersecting`` (has time in it), ``trim`` (only the events in it).
    Naive times are in the log's time zone.
    """
    lo, hi = _utc(start, log.timezone), _utc(end, log.timezone)
    ev = log.events
    if mode == "trim":
        cond = ibis.literal(True)
        if lo is not None:
            cond &= ev[TIMESTAMP] >= lo
        if hi is not None:
            cond &= ev[TIMESTAMP] < hi
        return log.with_events(ev.filter(cond))
    first = ev[START].coalesce(ev[TIMESTAMP]) if START in ev.columns else ev[TIMESTAMP]
    spans = ev.group_by(CASE).aggregate(_first=first.min(), _last=ev[TIMESTAMP].max())

    def inside(col: ir.TimestampValue) -> ir.BooleanValue:
        cond = ibis.literal(True)
        if lo is not None:
            cond &= col >= lo
        if hi is not None:
            cond &= col < hi
        return cond

    if mode == "starting":
        cond = inside(spans._first)
    elif mode == "ending":
        cond = inside(spans._last)
    elif mode == "contained":
        cond = inside(spans._first) & inside(spans._last)
    elif mode == "intersecting":
        cond = ibis.literal(True)
        if lo is not None:
            cond &= spans._last >= lo
        if hi is not None:
            cond &= spans._first < hi
    else:
        raise ValueError(f"mode must be intersecting, starting, ending, contained or trim; got {mode!r}")
    return _keep_cases(log, spans.filter(cond))


def filter_attribute(
    log: TicketLog,
    column: str,
    values: Iterable[Any] | Any,
    *,
    level: Literal["case", "event"] = "case",
    keep: bool = True,
) -> TicketLog:
    """Cases with at least one event whose ``column`` is in ``values`` (``level='event'``: those
    events only); ``keep=False`` removes them instead."""
    if column not in log.events.columns:
        raise KeyError(f"the log has no column {column!r}; columns: {', '.join(log.events.columns)}")
    vals = [values] if isinstance(values, str | int | float) else list(values)
    ev = log.events
    hit = ev[column].isin(vals)
    if level == "event":
        return log.with_events(ev.filter(hit if keep else ~hit.fill_null(False)))
    cases = ev.filter(hit)
    return _keep_cases(log, cases) if keep else _drop_cases(log, cases)


def filter_activity(log: TicketLog, activities: Iterable[str] | str, *, contains: bool = True) -> TicketLog:
    """Cases containing (``contains=True``) or not containing any of ``activities``."""
    return filter_attribute(log, ACTIVITY, activities, level="case", keep=contains)


def filter_variants(log: TicketLog, *, top: int | None = None, coverage: float | None = None) -> TicketLog:
    """Cases of the ``top`` most frequent variants, or of the most frequent variants that together
    cover ``coverage`` (0–1) of the cases (the variant crossing the share is included)."""
    if top is None and coverage is None:
        raise ValueError("give top (number of variants) or coverage (share of cases)")
    if coverage is not None and not 0.0 < coverage <= 1.0:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}")
    keys = variant_keys(log.events, top=top, coverage=coverage)
    cases = case_table(log.events)
    chosen = cases.semi_join(keys, cases.variant_key == keys.variant_key).select(CASE)
    return _keep_cases(log, chosen)


def _seconds(value: float | int | str | timedelta | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return parse_duration(value).total_seconds()


def filter_duration(
    log: TicketLog,
    min: float | str | timedelta | None = None,  # noqa: A002
    max: float | str | timedelta | None = None,  # noqa: A002
) -> TicketLog:
    """Cases whose lead time is within ``[min, max]`` (seconds, a timedelta or text like '2d')."""
    lo, hi = _seconds(min), _seconds(max)
    cases = case_table(log.events)
    cond = ibis.literal(True)
    if lo is not None:
        cond &= cases.lead_time >= lo
    if hi is not None:
        cond &= cases.lead_time <= hi
    return _keep_cases(log, cases.filter(cond).select(CASE))
