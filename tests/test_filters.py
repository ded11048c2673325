"""Filters: exact case sets on a hand-made log."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

import cspm
from cspm.mining.filters import (
    filter_activity,
    filter_attribute,
    filter_duration,
    filter_time_window,
    filter_variants,
)


@pytest.fixture(scope="module")
def log() -> cspm.TicketLog:
    rows = [
        # case, activity, time, channel
        ("t1", "Open", "2024-03-01 09:00", "phone"), ("t1", "Solve", "2024-03-01 10:00", "phone"),
        ("t2", "Open", "2024-03-02 09:00", "email"), ("t2", "Solve", "2024-03-04 09:00", "phone"),
        ("t3", "Open", "2024-03-03 09:00", "email"), ("t3", "Escalate", "2024-03-03 12:00", "email"),
        ("t3", "Solve", "2024-03-06 09:00", "email"),
        ("t4", "Open", "2024-03-05 09:00", "chat"), ("t4", "Solve", "2024-03-05 09:30", "chat"),
        ("t5", "Open", "2024-03-07 09:00", "chat"), ("t5", "Solve", "2024-03-07 11:00", "chat"),
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=["ticket", "activity", "time", "channel"])
    return cspm.read(df, case_id="ticket", activity="activity", timestamp="time")


def cases(log: cspm.TicketLog) -> set[str]:
    return set(log.events.case_id.to_pandas())


def test_time_window_modes(log):
    assert cases(filter_time_window(log, "2024-03-02", "2024-03-05", mode="starting")) == {"t2", "t3"}
    assert cases(filter_time_window(log, "2024-03-02", "2024-03-05", mode="ending")) == {"t2"}
    assert cases(filter_time_window(log, "2024-03-02", "2024-03-05", mode="contained")) == {"t2"}
    assert cases(filter_time_window(log, "2024-03-04", "2024-03-05", mode="intersecting")) == {"t2", "t3"}
    trimmed = filter_time_window(log, "2024-03-03 10:00", None, mode="trim")
    assert trimmed.count_events() == 7 and cases(trimmed) == {"t2", "t3", "t4", "t5"}
    with pytest.raises(ValueError):
        filter_time_window(log, "2024-03-01", mode="sideways")  # type: ignore[arg-type]


def test_attribute_case_and_event_level(log):
    assert cases(filter_attribute(log, "channel", "phone")) == {"t1", "t2"}
    assert cases(filter_attribute(log, "channel", ["phone", "chat"], keep=False)) == {"t3"}
    ev = filter_attribute(log, "channel", "email", level="event")
    assert ev.count_events() == 4 and cases(ev) == {"t2", "t3"}
    with pytest.raises(KeyError, match="no column 'colour'"):
        filter_attribute(log, "colour", "red")


def test_activity_presence(log):
    assert cases(filter_activity(log, "Escalate")) == {"t3"}
    assert cases(filter_activity(log, ["Escalate"], contains=False)) == {"t1", "t2", "t4", "t5"}
    # whole cases are kept, not only the matching events
    assert filter_activity(log, "Escalate").count_events() == 3


def test_variants_top_and_coverage(log):
    # variants: Open→Solve (4 cases, 80 %), Open→Escalate→Solve (1 case, 20 %)
    assert cases(filter_variants(log, top=1)) == {"t1", "t2", "t4", "t5"}
    assert cases(filter_variants(log, coverage=0.8)) == {"t1", "t2", "t4", "t5"}
    assert cases(filter_variants(log, coverage=0.81)) == {"t1", "t2", "t3", "t4", "t5"}
    with pytest.raises(ValueError):
        filter_variants(log)


def test_duration_range(log):
    # lead times: t1 1 h, t2 2 d, t3 3 d, t4 30 min, t5 2 h
    assert cases(filter_duration(log, min="1h", max="2h")) == {"t1", "t5"}
    assert cases(filter_duration(log, min=timedelta(days=2))) == {"t2", "t3"}
    assert cases(filter_duration(log, max=1800)) == {"t4"}


def test_filters_compose_and_keep_engine(log):
    out = filter_duration(filter_attribute(log, "channel", "chat"), max="1h")
    assert cases(out) == {"t4"} and out.engine == "duckdb"


def test_missing_column_is_a_missing_column_error(log):
    from cspm.errors import MissingColumnError

    with pytest.raises(MissingColumnError, match="no column 'colour'") as err:
        filter_attribute(log, "colour", ["red"])
    assert "'channel'" in str(err.value) and err.value.column == "colour"
    assert isinstance(err.value, KeyError)  # what it raised before, for one release


def test_log_filters_apply_in_a_fixed_order_and_say_what_they_did(log):
    from cspm.mining.filters import LogFilters

    kept, applied = LogFilters(
        since="2024-03-02", until="2024-03-07", window="starting", where=[("channel", ["email", "chat"])],
        without_activity=["Escalate"], min_duration="1h",
    ).apply(log)  # fmt: skip
    # starting in [03-02, 03-07): t2, t3, t4; with an email/chat event: all three; without Escalate: t2, t4;
    # lead time >= 1 h: t2 (2 d), not t4 (30 min)
    assert cases(kept) == {"t2"}
    assert applied == [
        "time window [2024-03-02, 2024-03-07) (starting)", "channel in ['email', 'chat']",
        "cases without ['Escalate']", "lead time in [1h, ∞]",
    ]  # fmt: skip
    assert LogFilters().apply(log) == (log, [])
    with pytest.raises(cspm.InputError, match="duration"):
        LogFilters(max_duration="soon").apply(log)
