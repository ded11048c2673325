"""``cspm monitor`` on a simulated log with a change in week 3: the level steps down in the chart,
the alert flips, and the per-period figures equal an independent pandas computation."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import cspm
from cspm.analysis.compare import monitor
from cspm.analysis.compare.monitor import period_starts
from cspm.cli import app
from cspm.simulate import write_simulated_log

CONFIG = """calendar: {timezone: Europe/Berlin}
targets:
  steps:
    - {step: Assign L2, max_wait: 8h, attainment: 0.5, clock: calendar, name: L2 assignment wait}
monitor: {every: week, alert_periods: 1}
"""
WEEKS = ["2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("mon")
    f = write_simulated_log(d / "weeks.parquet", n_tickets=480, tickets_per_day=18, seed=8,
                            changes=[{"at": "2024-03-18", "bottleneck_wait_factor": 0.25}])  # fmt: skip
    (d / "cspm.yaml").write_text(CONFIG)
    return d, f.log


@pytest.fixture(scope="module")
def full(files):
    d, log = files
    return cspm.read(log), monitor(cspm.read(log), d / "cspm.yaml")


def _pandas_weeks(log: cspm.TicketLog) -> pd.DataFrame:
    ev = log.to_pandas().sort_values(["case_id", "timestamp", "source_row"])
    first = ev.groupby("case_id").timestamp.agg(["min", "max"])
    local = first["min"].dt.tz_convert("Europe/Berlin")
    first["week"] = (local.dt.normalize() - pd.to_timedelta(local.dt.weekday, unit="D")).dt.strftime("%Y-%m-%d")
    ev["prev"] = ev.groupby("case_id").timestamp.shift()
    w = ev[ev.activity == "Assign L2"].join(first.week, on="case_id")
    w["h"] = (w.timestamp - w.prev).dt.total_seconds() / 3600
    lead = ((first["max"] - first["min"]).dt.total_seconds() / 3600).groupby(first.week).median()
    att = w.groupby("week").h.apply(lambda h: (h <= 8).mean())
    level = w.groupby("week").h.median()
    return pd.DataFrame({"tickets": first.groupby("week").size(), "lead_h": lead, "attained": att, "level_h": level})


def test_periods() -> None:
    assert period_starts(pd.Timestamp("2024-03-06").date(), pd.Timestamp("2024-03-25").date(), "week")[0].isoformat() == "2024-03-04"
    months = period_starts(pd.Timestamp("2024-01-31").date(), pd.Timestamp("2024-03-01").date(), "month")
    assert [m.isoformat() for m in months] == ["2024-01-01", "2024-02-01", "2024-03-01"]


def test_per_period_figures_equal_pandas(full) -> None:
    log, m = full
    assert m.periods[:4] == WEEKS
    ref = _pandas_weeks(log)
    lead = m.figures[m.figures.figure == "lead_time|calendar|"].set_index("period")
    tg = m.targets.set_index("period")
    for week in WEEKS:
        assert lead.loc[week, "n"] == ref.loc[week, "tickets"]
        assert lead.loc[week, "value"] == pytest.approx(ref.loc[week, "lead_h"], abs=1 / 3600)
        assert tg.loc[week, "attained"] == pytest.approx(ref.loc[week, "attained"])
        assert tg.loc[week, "level_h"] == pytest.approx(ref.loc[week, "level_h"], abs=1 / 3600)


def test_step_and_alert_flip(full, files) -> None:
    _, m = full
    tg = m.targets.set_index("period")
    # the level steps down at week 3 (wait × 0.25 from 18 March): breached before, met after
    assert list(tg.loc[WEEKS, "meets"]) == [False, False, True, True]
    assert list(tg.loc[WEEKS, "alert"]) == [True, True, False, False]
    assert tg.loc["2024-03-18", "level_h"] < 0.5 * tg.loc["2024-03-11", "level_h"]
    assert not m.alert
    trend = m.trends.set_index("figure").loc["lead_time|calendar|"]
    assert trend.slope < 0 and trend.periods == len(m.periods)
    charts = m.charts()
    assert charts[0].startswith("<svg") and "L2 assignment wait" in charts[0]


def test_cli_alert_exit_code(files, tmp_path) -> None:
    """The same simulation stopped before the change (230 tickets, two weeks): the last week breaches
    the target, so ``cspm monitor`` raises the alert and exits with 1 (the full log: no alert, above)."""
    d, _ = files
    early = write_simulated_log(tmp_path / "early.parquet", n_tickets=230, tickets_per_day=18, seed=8).log
    res = CliRunner().invoke(app, ["monitor", str(early), "--config", str(d / "cspm.yaml"), "--format", "json",
                                   "-o", str(tmp_path / "m.html")])  # fmt: skip
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    assert data["alert"] is True and data["periods"] == WEEKS[:2]
    (alert,) = data["alerts"]
    assert alert["target"] == "L2 assignment wait" and alert["periods"] == ["2024-03-11"] and alert["attained"][0] < 0.5
    assert "Alerts (1)" in (tmp_path / "m.html").read_text()
