"""Engine parity of the one epoch conversion: sub-second durations are the same on DuckDB and Spark.

Ibis compiles ``epoch_seconds()`` to DuckDB's ``epoch()`` (keeps the fraction) and to Spark's
``unix_timestamp()`` (drops it); :func:`cspm.core.expr.epoch_seconds` must give the millisecond value
on both. Each case is two events a → b (team T1 → T2) whose interval is worked out by hand:

p  00:00:00.000 → 00:00:01.500            1.5 s
q  00:00:00.000 → 00:00:00.001            0.001 s
r  00:00:00.000 → 00:00:59.999            59.999 s
s  2023-12-31 23:59:59.999 → 00:00:00.001  0.002 s (across midnight and the new year)
t  1969-12-31 23:59:59.500 → 1970-01-01 00:00:00.250  0.75 s (across the epoch itself)
"""

from __future__ import annotations

import pandas as pd
import pytest

import cspm
from cspm.analysis.handoffs.handoffs import handoffs
from cspm.analysis.waiting import waiting
from cspm.config import config_from_dict
from cspm.core.expr import epoch_seconds
from cspm.mining.discovery import discover

pytestmark = pytest.mark.spark

CASES = {
    "p": ("2024-01-01 00:00:00.000", "2024-01-01 00:00:01.500", 1.5),
    "q": ("2024-01-01 00:00:00.000", "2024-01-01 00:00:00.001", 0.001),
    "r": ("2024-01-01 00:00:00.000", "2024-01-01 00:00:59.999", 59.999),
    "s": ("2023-12-31 23:59:59.999", "2024-01-01 00:00:00.001", 0.002),
    "t": ("1969-12-31 23:59:59.500", "1970-01-01 00:00:00.250", 0.75),
}
EPOCH = {  # Unix seconds of each timestamp, by hand
    "2024-01-01 00:00:00.000": 1704067200.0,
    "2024-01-01 00:00:01.500": 1704067201.5,
    "2024-01-01 00:00:00.001": 1704067200.001,
    "2024-01-01 00:00:59.999": 1704067259.999,
    "2023-12-31 23:59:59.999": 1704067199.999,
    "1969-12-31 23:59:59.500": -0.5,
    "1970-01-01 00:00:00.250": 0.25,
}
AROUND_THE_CLOCK = config_from_dict({"calendar": {"working_hours": {"mon-sun": "00:00-24:00"}}})


@pytest.fixture(scope="module")
def logs(spark) -> dict[str, cspm.TicketLog]:
    from cspm.core.engine import to_spark

    rows = []
    for case, (a, b, _) in CASES.items():
        rows += [(case, "a", a, "T1"), (case, "b", b, "T2")]
    df = pd.DataFrame(rows, columns=["ticket", "step", "time", "team"])
    log = cspm.read(df, case_id="ticket", activity="step", timestamp="time", team="team")
    return {"duckdb": log, "spark": to_spark(log, spark)}


def _expected() -> dict[str, float]:
    return {case: want for case, (_, _, want) in CASES.items()}


def _close(got: dict[str, float], want: dict[str, float]) -> None:
    assert set(got) == set(want)
    for k, v in want.items():  # float64 epoch seconds resolve 2.4e-7 s in 2024
        assert got[k] == pytest.approx(v, abs=1e-6), (k, got[k], v)


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_epoch_seconds_to_the_millisecond(logs, engine):
    t = logs[engine].events
    got = t.select(s=epoch_seconds(t.timestamp), row=t.source_row).to_pandas()
    got = got.sort_values("row")
    stamps = [s for a, b, _ in CASES.values() for s in (a, b)]
    assert got["s"].tolist() == pytest.approx([EPOCH[s] for s in stamps], abs=1e-6)


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_lead_time_and_edge_wait(logs, engine):
    d = discover(logs[engine])
    lead = d.cases_.to_pandas().set_index("case_id")["lead_time"].to_dict()
    _close(lead, _expected())
    e = d.dfg.edges.set_index(["source", "target"]).loc[("a", "b")]
    assert e.wait_min == pytest.approx(0.001, abs=1e-6) and e.wait_max == pytest.approx(59.999, abs=1e-6)
    assert e.wait_median == 0.75  # of 0.001, 0.002, 0.75, 1.5, 59.999
    assert e.wait_total == pytest.approx(sum(_expected().values()), abs=1e-6)


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_handoff_waits(logs, engine):
    h = handoffs(logs[engine], "team")
    _close(dict(zip(h.per_case.case_id, h.per_case.handoff_wait_s, strict=True)), _expected())
    assert h.overall_median_wait_s == 0.75


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_waiting_intervals_calendar_and_business(logs, engine):
    w = waiting(logs[engine], AROUND_THE_CLOCK)
    iv = w.intervals.filter(w.intervals.activity == "b").to_pandas()
    _close(dict(zip(iv.case_id, iv.wait_s, strict=True)), _expected())
    _close(dict(zip(iv.case_id, iv.wait_bs, strict=True)), _expected())


def test_same_figures_on_both_engines(logs):
    a, b = (waiting(logs[e], AROUND_THE_CLOCK).step_table("business") for e in ("duckdb", "spark"))
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=False, rtol=1e-12)
    da, db = (discover(logs[e]).dfg.edges for e in ("duckdb", "spark"))
    pd.testing.assert_frame_equal(da, db, check_dtype=False, check_exact=False, rtol=1e-12)
