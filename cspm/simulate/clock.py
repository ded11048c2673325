"""Business clock for the simulator: moves a UTC instant along the working hours of a calendar.

Times are integer Unix seconds. The working spans and holidays are those of
:class:`cspm.core.calendar.BusinessCalendar` (the calendar every analysis measures business time
with), so the simulator's waits and the analyses' business durations agree by construction. The
clock keeps the spans with their cumulative business seconds, extended a year at a time on
demand, so that advancing by ``b`` business seconds and measuring business time between two
instants are two binary searches (the simulator calls them once per event).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from cspm.config import Calendar
from cspm.core.calendar import BusinessCalendar

_EXTEND_DAYS = 366


class BusinessClock:
    """Working spans of one calendar from the local date ``first_day`` on."""

    def __init__(self, calendar: Calendar, first_day: date) -> None:
        self.calendar = BusinessCalendar(calendar)
        self.tz = ZoneInfo(calendar.timezone)
        if not any(calendar.hours_by_weekday().values()):
            raise ValueError("the simulation calendar has no working hours on any weekday")
        self.starts: list[int] = []
        self.ends: list[int] = []
        self._cum_start: list[int] = []
        self._cum_end: list[int] = []
        self._next_day = first_day - timedelta(days=1)
        self._extend()

    def _extend(self) -> None:
        """Add the working spans of the next :data:`_EXTEND_DAYS` local days."""
        first = self._next_day
        self._next_day = first + timedelta(days=_EXTEND_DAYS)
        spans = self.calendar.working_spans(first, self._next_day - timedelta(days=1))
        total = self._cum_end[-1] if self._cum_end else 0
        cum_end = list(accumulate((e - s for s, e in spans), initial=total))
        self.starts += [s for s, _ in spans]
        self.ends += [e for _, e in spans]
        self._cum_start += cum_end[:-1]
        self._cum_end += cum_end[1:]
        if not self.starts:
            raise ValueError("the simulation calendar has no working time in a whole year")

    def position(self, t: int) -> int:
        """Business seconds from the clock's origin to ``t`` (constant outside working hours)."""
        while t >= self.ends[-1]:
            self._extend()
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        if t < self.ends[i]:
            return self._cum_start[i] + t - self.starts[i]
        return self._cum_end[i]

    def advance(self, t: int, seconds: int) -> int:
        """The instant ``seconds`` (>= 1) business seconds after ``t``."""
        target = self.position(t) + seconds
        cum_end = self._cum_end
        j = bisect_left(cum_end, target)
        while j == len(cum_end):
            self._extend()
            cum_end = self._cum_end
            j = bisect_left(cum_end, target)
        return self.starts[j] + target - self._cum_start[j]

    def between(self, t1: int, t2: int) -> int:
        """Business seconds between two instants."""
        return self.position(t2) - self.position(t1)
