"""Working hours that end at 24:00 last to midnight, in the business calendar and the simulator's clock.

Hand computations (Europe/Berlin): an ordinary day worked 00:00-24:00 has 24 h = 86,400 s; the day
DST starts (Sun 31 March 2024, 02:00 → 03:00) 23 h = 82,800 s; the day it ends (Sun 27 October
2024, 03:00 → 02:00) 25 h = 90,000 s. Storing 24:00 as 23:59 lost 60 s a day.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from cspm.config import Calendar, config_from_dict
from cspm.core.calendar import BusinessCalendar
from cspm.errors import ConfigError
from cspm.simulate.clock import BusinessClock

BERLIN = ZoneInfo("Europe/Berlin")
AROUND_THE_CLOCK = Calendar(timezone="Europe/Berlin", working_hours={"mon-sun": "00:00-24:00"})


def _unix(*args: int) -> int:
    return int(datetime(*args, tzinfo=BERLIN).timestamp())


def test_24_00_is_parsed_as_the_end_of_the_day():
    cfg = config_from_dict({"calendar": {"working_hours": {"mon-fri": "00:00-24:00", "sat": ["08:00-12:00", "20:00-24:00"]}}})
    hours = cfg.calendar.hours_by_weekday()
    assert hours[0] == [(time(0), time(0))]  # an end of 00:00 is the next midnight
    assert hours[5] == [(time(8), time(12)), (time(20), time(0))]
    with pytest.raises(ConfigError, match=r"calendar\.working_hours.*'08:00-00:00' end before they start"):
        config_from_dict({"calendar": {"working_hours": {"mon": "08:00-00:00"}}})


@pytest.mark.parametrize(
    ("day", "seconds"),
    [(date(2024, 3, 4), 86_400), (date(2024, 3, 31), 82_800), (date(2024, 10, 27), 90_000)],
)
def test_business_calendar_day_around_the_clock(day, seconds):
    cal = BusinessCalendar(AROUND_THE_CLOCK)
    spans = cal.working_spans(day, day)
    assert spans == [(_unix(day.year, day.month, day.day), _unix(day.year, day.month, day.day) + seconds)]
    # every second of the UTC day is working time too (the local spans join at local midnight)
    assert cal.frame(day, day)["business"].tolist() == [86_400]


def test_business_seconds_over_a_week_around_the_clock():
    cal = BusinessCalendar(AROUND_THE_CLOCK)
    # Mon 4 March 00:00 → Mon 11 March 00:00: 7 × 24 h, no minute lost at any midnight
    assert cal.business_seconds(datetime(2024, 3, 4, tzinfo=BERLIN), datetime(2024, 3, 11, tzinfo=BERLIN)) == 7 * 86_400
    # an evening shift 20:00-24:00: Mon 23:00 → Tue 21:00 is 1 h (Mon) + 1 h (Tue)
    evening = BusinessCalendar(Calendar(timezone="Europe/Berlin", working_hours={"mon-fri": "20:00-24:00"}))
    assert evening.business_seconds(datetime(2024, 3, 4, 23, tzinfo=BERLIN), datetime(2024, 3, 5, 21, tzinfo=BERLIN)) == 7200


def test_simulator_clock_around_the_clock():
    clock = BusinessClock(AROUND_THE_CLOCK, date(2024, 3, 4))
    mon = _unix(2024, 3, 4)
    # Mon 00:00 → Mon 11 March 00:00 (7 days) is 604,800 business seconds
    assert clock.between(mon, _unix(2024, 3, 11)) == 7 * 86_400
    # one business day after Mon 12:00 is Tue 12:00; one business hour after Mon 23:30 is Tue 00:30
    assert clock.advance(_unix(2024, 3, 4, 12), 86_400) == _unix(2024, 3, 5, 12)
    assert clock.advance(_unix(2024, 3, 4, 23, 30), 3600) == _unix(2024, 3, 5, 0, 30)
    # across the DST start: Sat 30 March 12:00 + 24 business hours = Sun 31 March 13:00 (a 23-hour day)
    assert clock.advance(_unix(2024, 3, 30, 12), 86_400) == _unix(2024, 3, 31, 13)
