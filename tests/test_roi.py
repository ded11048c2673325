"""ROI of a measured change (ping-pong halved from a date) and the potential before a change, each
checked against the figures and the costs by hand."""

from __future__ import annotations

import pytest

import cspm
from cspm.analysis.compare import compare, potential, roi
from cspm.config import config_from_dict
from cspm.simulate import write_simulated_log

COSTS = {"cost_per_handoff": 12.0, "cost_per_touch": 4.0, "waiting_hour_cost": 0.5, "investment": 20000.0,
         "running_cost_per_month": 100.0, "currency": "EUR"}  # fmt: skip
CFG = config_from_dict({"calendar": {"timezone": "Europe/Berlin"}, "costs": COSTS})


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("roi") / "roi.parquet"
    files = write_simulated_log(path, n_tickets=500, tickets_per_day=36, seed=12,
                                changes=[{"at": "2024-03-11", "ping_pong_factor": 0.0, "bottleneck_wait_factor": 0.5}])  # fmt: skip
    log = cspm.read(files.log)
    return log, compare(log, CFG, split="2024-03-11")


def test_measured_savings_follow_the_figures(measured) -> None:
    log, c = measured
    r = roi(c, CFG, tickets_per_month=1000)
    t = c.figures.set_index("figure")
    items = r.items.set_index("item")
    dh = t.loc["kpi||handoffs", "a"] - t.loc["kpi||handoffs", "b"]
    assert items.loc["handoffs", "saving_per_ticket"] == pytest.approx(dh * 12.0)
    assert items.loc["waiting", "saving_per_ticket"] == pytest.approx((c.waiting_hours_per_ticket[0] - c.waiting_hours_per_ticket[1]) * 0.5)
    steps = t.loc["kpi||steps", "a"] - t.loc["kpi||steps", "b"]
    assert items.loc[["rework", "other steps"], "saving_per_ticket"].sum() == pytest.approx(steps * 4.0)
    assert r.saving_per_month == pytest.approx(r.saving_per_ticket * 1000)
    assert r.payback_months == pytest.approx(20000 / (r.saving_per_month - 100))
    # no ping-pong after the change: fewer handoffs, and waiting halved at the bottleneck: both save
    assert dh > 0 and items.loc["waiting", "saving_per_ticket"] > 0 and r.payback_months > 0
    s = r.summary()
    assert s["saving_per_year"] == pytest.approx(12 * s["saving_per_month"]) and "cost_per_handoff" in s["method"]
    assert "Return on investment" in r.html_page()


def test_volume_from_the_log_and_potential(measured) -> None:
    log, c = measured
    ev = log.to_pandas()
    first = ev.groupby("case_id").timestamp.min()
    per_month = len(first) / ((first.max() - first.min()).total_seconds() / 86400) * 30.44
    assert roi(c, CFG, log=log).tickets_per_month == pytest.approx(per_month)
    p = potential(log, CFG, tickets_per_month=1000)
    items = p.items.set_index("item")
    # by hand from the per-ticket table of cspm.handoffs (an independent path to the same figures)
    h = cspm.handoffs(log, CFG).per_case
    assert items.loc["ping-pong", "saving_per_ticket"] == pytest.approx(2 * h.bounces.mean() * 12.0)
    assert items.loc["rework", "saving_per_ticket"] == pytest.approx(h.repetitions.mean() * 4.0)
    assert items.loc["extra approval rounds", "per_ticket_a"] == pytest.approx(3 * (h.approval_rounds.fillna(0) - 1).clip(lower=0).mean())
    assert p.saving_per_ticket > 0
    with pytest.raises(cspm.ConfigError, match="tickets_per_month"):
        roi(c, CFG)
