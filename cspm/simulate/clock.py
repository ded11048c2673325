"""Business clock for the simulator: moves a UTC instant along the working hours of a calendar.

Times are integer Unix seconds. The clock keeps the working intervals (UTC) of the calendar with
their cumulative business seconds, extended a year at a time on demand, so that advancing by ``b``
business seconds and measuring business time between two instants are two binary searches.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from cspm.config import working_span

if TYPE_CHECKING:
    from cspm.config import Calendar

_EXTEND_DAYS = 366


class BusinessClock:
    """Working intervals of one calendar, starting at ``first_day`` (local date)."""

    def __init__(self, calendar: Calendar, first_day: date) -> None:
        self.calendar = calendar
        self.tz = ZoneInfo(calendar.timezone)
        self._hours = calendar.hours_by_weekday()
        if not any(self._hours.values()):
            raise ValueError("the simulation calendar has no working hours on any weekday")
        self._fixed_holidays = set(calendar.holidays)
        self._country_holidays: object | None = None
        if calendar.country:
            import holidays

            self._country_holidays = holidays.country_holidays(
                calendar.country, subdiv=calendar.subdivision
            )
        self.starts: list[int] = []
        self.ends: list[int] = []
        self._cum_start: list[int] = []
        self._cum_end: list[int] = []
        self._next_day = first_day - timedelta(days=1)
        self._extend()

    def is_holiday(self, day: date) -> bool:
        """True for a configured holiday date or a public holiday of the calendar's country."""
        if day in self._fixed_holidays:
            return True
        return self._country_holidays is not None and day in self._country_holidays  # type: ignore[operator]

    def _extend(self) -> None:
        tz = self.tz
        total = self._cum_end[-1] if self._cum_end else 0
        day = self._next_day
        for _ in range(_EXTEND_DAYS):
            spans = self._hours[day.weekday()]
            if spans and not self.is_holiday(day):
                for a, b in spans:
                    s, e = working_span(day, a, b, tz)
                    if e <= s:
                        continue
                    self.starts.append(s)
                    self.ends.append(e)
                    self._cum_start.append(total)
                    total += e - s
                    self._cum_end.append(total)
            day += timedelta(days=1)
        self._next_day = day
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
