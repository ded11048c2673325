"""Filtering a log: each function returns a new :class:`~cspm.core.log.TicketLog` over a filtered event
table (an Ibis expression on the same engine). Case-level filters keep or drop whole cases.
:class:`LogFilters` is the set of filters of ``cspm discover``, applied in a fixed order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.config import parse_duration
from cspm.core.log import ACTIVITY, CASE, START, TIMESTAMP, TicketLog
from cspm.errors import InputError, MissingColumnError
from cspm.i18n import gettext as _
from cspm.mining.cases import case_table, variant_keys

__all__ = [
    "LogFilters",
    "filter_activity",
    "filter_attribute",
    "filter_duration",
    "filter_time_window",
    "filter_variants",
]


class _MissingFilterColumn(MissingColumnError, KeyError):
    """A :class:`MissingColumnError` that is also the ``KeyError`` :func:`filter_attribute` raised
    before (kept for one release, so that code catching KeyError still works)."""

    __str__ = Exception.__str__  # the message, not KeyError's repr of it

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
        raise _MissingFilterColumn(column, list(log.events.columns), path=log.source, needed_for=_("the attribute filter"))
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
    keys = variant_keys(log, top=top, coverage=coverage)
    cases = case_table(log)
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
    cases = case_table(log)
    cond = ibis.literal(True)
    if lo is not None:
        cond &= cases.lead_time >= lo
    if hi is not None:
        cond &= cases.lead_time <= hi
    return _keep_cases(log, cases.filter(cond).select(CASE))


@dataclass(frozen=True)
class LogFilters:
    """The filters of ``cspm discover``, applied by :meth:`apply` in this order: time window
    (``since``/``until``, ``window`` mode), attribute values (``where``: (column, values) pairs),
    activities present (``with_activity``) or absent (``without_activity``), lead time
    (``min_duration``/``max_duration``: seconds or text such as '2d'), then the most frequent
    variants (``top_variants``, or those covering ``variant_coverage`` of the cases)."""

    since: str | datetime | None = None
    until: str | datetime | None = None
    window: WindowMode = "intersecting"
    where: Sequence[tuple[str, Sequence[Any]]] = ()
    with_activity: Sequence[str] = ()
    without_activity: Sequence[str] = ()
    min_duration: float | str | timedelta | None = None
    max_duration: float | str | timedelta | None = None
    top_variants: int | None = None
    variant_coverage: float | None = None

    def apply(self, log: TicketLog) -> tuple[TicketLog, list[str]]:
        """The filtered log and what was applied (one line of text per filter, for the summary)."""
        applied: list[str] = []
        if self.since or self.until:
            log = filter_time_window(log, self.since, self.until, mode=self.window)
            applied.append(f"time window [{self.since or '…'}, {self.until or '…'}) ({self.window})")
        for column, values in self.where:
            log = filter_attribute(log, column, values)
            applied.append(f"{column} in {list(values)}")
        if self.with_activity:
            log = filter_activity(log, self.with_activity, contains=True)
            applied.append(f"cases with {list(self.with_activity)}")
        if self.without_activity:
            log = filter_activity(log, self.without_activity, contains=False)
            applied.append(f"cases without {list(self.without_activity)}")
        if self.min_duration or self.max_duration:
            try:
                log = filter_duration(log, min=self.min_duration, max=self.max_duration)
            except ValueError as exc:
                raise InputError(str(exc), expected=_("a duration such as '30min', '4h', '2d'")) from None
            applied.append(f"lead time in [{self.min_duration or '0'}, {self.max_duration or '∞'}]")
        if self.top_variants is not None or self.variant_coverage is not None:
            log = filter_variants(log, top=self.top_variants, coverage=self.variant_coverage)
            applied.append(f"top {self.top_variants} variants" if self.top_variants is not None
                           else f"variants covering {self.variant_coverage:.0%}")  # fmt: skip
        return log, applied
