"""Business calendars: working hours per weekday, holidays, time zone (with DST), per-team calendars.

Business time runs on the engine. :meth:`BusinessCalendar.frame` builds a small table with one row
per **UTC day** (day number = Unix seconds // 86400) over a span of dates: the cumulative business
seconds at the start of that UTC day and the working spans inside it as Unix seconds (the local
working hours of each local day, converted to UTC with the zone's DST rules, split at UTC midnight).
:meth:`BusinessCalendar.position` joins an Ibis table to that table on the integer day number (an
equi-join that runs the same on DuckDB and Spark and needs no time-zone functions on the engine) and
computes the **business position** of an instant::

    position(t) = cum_at_day_start + Σ_k max(0, min(t, span_end_k) − span_start_k)

so the business duration between two instants is ``position(t2) − position(t1)``: no Python per
event. Positions are seconds as float64, exact to the millisecond like every duration of cspm
(:func:`cspm.core.expr.epoch_seconds`); the working spans themselves are whole seconds.

Holidays are the explicit ``holidays`` dates plus the public holidays of ``country`` (and
``subdivision``) from the ``holidays`` library; a holiday has no working hours. With ``teams``, each
team has its own calendar; rows are matched to a team's calendar by a team column, others use the
main calendar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.config import Calendar, working_span
from cspm.core.expr import epoch_seconds, small_table

DAY = 86400
DEFAULT_KEY = ""  # calendar key of the main calendar in the frame's ``calendar`` column
_EPOCH = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))

__all__ = ["DAY", "DEFAULT_KEY", "BusinessCalendar", "small_table", "timestamp_span"]


@dataclass(frozen=True)
class BusinessCalendar:
    """A business calendar from :class:`cspm.config.Calendar` (default: Mon–Fri 08:00–18:00 UTC)."""

    config: Calendar = field(default_factory=Calendar)

    # ------------------------------------------------------------------------------ local days
    @property
    def timezone(self) -> str:
        return self.config.timezone

    @cached_property
    def _hours(self) -> dict[int, list[tuple[Any, Any]]]:
        return self.config.hours_by_weekday()

    def holidays(self, first: date, last: date) -> dict[date, str]:
        """Holidays between two local dates (inclusive): date → name."""
        out: dict[date, str] = {}
        if self.config.country:
            import holidays as _holidays

            country = _holidays.country_holidays(
                self.config.country, subdiv=self.config.subdivision, years=range(first.year, last.year + 1)
            )
            out.update({d: str(n) for d, n in country.items() if first <= d <= last})
        for d in self.config.holidays:
            if first <= d <= last:
                out[d] = "holiday (configured)"
        return dict(sorted(out.items()))

    def working_spans(self, first: date, last: date) -> list[tuple[int, int]]:
        """Working spans (Unix seconds, UTC) of the local days ``first`` … ``last``."""
        tz = ZoneInfo(self.timezone)
        closed = self.holidays(first, last)
        spans = []
        day = first
        while day <= last:
            if day not in closed:
                for a, b in self._hours[day.weekday()]:
                    s, e = working_span(day, a, b, tz)
                    if e > s:
                        spans.append((s, e))
            day += timedelta(days=1)
        return spans

    def frame(self, first: date, last: date, key: str = DEFAULT_KEY) -> pd.DataFrame:
        """The per-UTC-day calendar table for UTC dates ``first`` … ``last`` (inclusive).

        Columns: ``calendar`` (key), ``day`` (Unix day number), ``day_start`` (UTC timestamp),
        ``cum`` (business seconds from the table's start to the day's start), ``business``
        (business seconds in the day), ``s0``/``e0``, ``s1``/``e1``, … (working spans in Unix
        seconds; unused slots are empty spans at the day's start).
        """
        d0 = (first - date(1970, 1, 1)).days
        d1 = (last - date(1970, 1, 1)).days
        # local days that can overlap the UTC days (UTC offsets are within ±14 h)
        spans = self.working_spans(first - timedelta(days=1), last + timedelta(days=1))
        per_day: dict[int, list[tuple[int, int]]] = {d: [] for d in range(d0, d1 + 1)}
        for s, e in spans:
            for d in range(s // DAY, (e - 1) // DAY + 1):
                if d in per_day:
                    per_day[d].append((max(s, d * DAY), min(e, (d + 1) * DAY)))
        width = max([len(v) for v in per_day.values()] + [1])
        rows = []
        cum = 0
        for d in range(d0, d1 + 1):
            day_spans = sorted(per_day[d])
            business = sum(e - s for s, e in day_spans)
            row: dict[str, Any] = {"calendar": key, "day": d, "cum": cum, "business": business}
            padded = day_spans + [(d * DAY, d * DAY)] * (width - len(day_spans))
            for k, (s, e) in enumerate(padded):
                row[f"s{k}"] = s
                row[f"e{k}"] = e
            rows.append(row)
            cum += business
        out = pd.DataFrame(rows)
        out.insert(2, "day_start", pd.to_datetime(out["day"] * DAY, unit="s", utc=True))
        return out

    def frames(self, first: date, last: date) -> pd.DataFrame:
        """:meth:`frame` of the main calendar and of every team calendar, stacked (key = team)."""
        parts = [self.frame(first, last)]
        for team, cal in self.config.teams.items():
            parts.append(BusinessCalendar(cal).frame(first, last, key=team))
        width = max(sum(c.startswith("s") and c[1:].isdigit() for c in p.columns) for p in parts)
        for p in parts:
            have = sum(c.startswith("s") and c[1:].isdigit() for c in p.columns)
            for k in range(have, width):
                p[f"s{k}"] = p["day"] * DAY
                p[f"e{k}"] = p["day"] * DAY
        return pd.concat(parts, ignore_index=True)

    # ------------------------------------------------------------------------------ engine
    def position(
        self,
        table: ir.Table,
        columns: dict[str, str],
        *,
        span: tuple[date, date],
        team: str | None = None,
    ) -> ir.Table:
        """Add business positions (float64 business seconds, exact to the ms) of timestamp columns.

        ``columns`` maps output column → timestamp column; ``span`` the UTC dates the timestamps
        fall in (inclusive); ``team`` an optional column choosing a team calendar. Null timestamps
        give null positions. Subtract two positions for a business duration.
        """
        frame = self.frames(span[0] - timedelta(days=1), span[1] + timedelta(days=1)).drop(columns="day_start")
        cal = small_table(table, frame)
        width = sum(c.startswith("s") and c[1:].isdigit() for c in cal.columns)
        teams = list(self.config.teams)
        if team is not None and teams:
            key = ibis.cases((table[team].isin(teams), table[team]), else_=ibis.literal(DEFAULT_KEY))
        else:
            key = ibis.literal(DEFAULT_KEY)
        base = table.mutate(_cspm_cal=key)
        for out, col in columns.items():
            t = f"_cspm_t_{out}"
            base = base.mutate(**{t: epoch_seconds(base[col])})
            base = base.mutate(_cspm_day=(base[t] // DAY).cast("int64"))
            right = cal.select(
                _cspm_rcal=cal.calendar, _cspm_rday=cal.day, _cspm_cum=cal.cum,
                **{f"_cspm_s{k}": cal[f"s{k}"] for k in range(width)},
                **{f"_cspm_e{k}": cal[f"e{k}"] for k in range(width)},
            )  # fmt: skip
            joined = base.left_join(
                right, [base._cspm_day == right._cspm_rday, base._cspm_cal == right._cspm_rcal]
            )
            tt = joined[t]
            pos = joined._cspm_cum
            for k in range(width):
                s, e = joined[f"_cspm_s{k}"], joined[f"_cspm_e{k}"]
                pos = pos + ibis.greatest(ibis.literal(0.0, "float64"), ibis.least(tt, e) - s)
            joined = joined.mutate(**{out: pos.cast("float64")})
            base = joined.drop(
                t, "_cspm_day", "_cspm_rday", "_cspm_rcal", "_cspm_cum",
                *[f"_cspm_s{k}" for k in range(width)], *[f"_cspm_e{k}" for k in range(width)],
            )  # fmt: skip
        return base.drop("_cspm_cal")

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Business seconds of the main calendar between two aware instants (for small checks),
        exact to the millisecond like :meth:`position`."""
        s, e = _unix_seconds(start), _unix_seconds(end)
        if e < s:
            return -self.business_seconds(end, start)
        first = datetime.fromtimestamp(s, ZoneInfo("UTC")).date() - timedelta(days=1)
        last = datetime.fromtimestamp(e, ZoneInfo("UTC")).date() + timedelta(days=1)
        return float(sum(max(0.0, min(e, b) - max(s, a)) for a, b in self.working_spans(first, last)))


def _unix_seconds(instant: datetime) -> float:
    """Unix seconds of an aware instant, truncated to the millisecond (as the engine's)."""
    return (instant - _EPOCH) // timedelta(milliseconds=1) / 1000.0


def timestamp_span(table: ir.Table, *columns: str) -> tuple[date, date] | None:
    """The UTC dates of the earliest and latest value of timestamp columns (None when empty)."""
    aggs = {}
    for c in columns:
        aggs[f"lo_{c}"] = table[c].min()
        aggs[f"hi_{c}"] = table[c].max()
    row = table.aggregate(**aggs).to_pandas().iloc[0]
    lows = [pd.Timestamp(row[f"lo_{c}"]) for c in columns if pd.notna(row[f"lo_{c}"])]
    highs = [pd.Timestamp(row[f"hi_{c}"]) for c in columns if pd.notna(row[f"hi_{c}"])]
    if not lows:
        return None

    def utc_date(ts: pd.Timestamp) -> date:
        return (ts.tz_convert("UTC") if ts.tzinfo else ts).date()

    return utc_date(min(lows)), utc_date(max(highs))
