"""Root causes on simulated logs: an injected driver is recovered (ranks first, q < 0.01, lift within
10% of the simulator's truth); without one, nothing passes q < 0.05 beyond the expected rate."""

from __future__ import annotations

import json

import pytest

import cspm
from cspm.analysis.drivers import drivers
from cspm.simulate import write_simulated_log
from cspm.simulate.drivers import InjectedDriver

CONFIG = "sample_logs/cspm.example.yaml"
ATTRIBUTES = ["channel", "priority", "category", "customer_id", "amount"]  # drawn independently of waits


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    path = tmp_path_factory.mktemp("drv") / "d.csv"
    files = write_simulated_log(path, n_tickets=2500, seed=11, drivers=[InjectedDriver(factor=3.0)])
    truth = json.loads(files.truth.read_text("utf-8"))["drivers"][0]
    return cspm.read(files.log, config=CONFIG), truth


def test_injected_driver_ranks_first_with_its_true_lift(injected) -> None:
    log, truth = injected
    assert truth["column"] == "channel" and truth["value"] == "email" and truth["tickets_affected"] > 100
    r = drivers(log, CONFIG, outcome="wait:Assign L2>12h", clock="calendar")
    top = r.table().iloc[0]
    assert (top["driver"], top["value"]) == ("channel", "email")
    assert top["q"] < 0.01 and bool(top["significant"])
    expected = truth["expected_rate_above"]["12h"]
    true_lift = expected["with_driver"] / expected["without"]
    assert top["lift"] == pytest.approx(true_lift, rel=0.10)
    assert top["tickets"] == truth["tickets_affected"]
    assert "channel = email" in r.findings[1]


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_no_injected_driver_nothing_significant(tmp_path, seed) -> None:
    files = write_simulated_log(tmp_path / "n.csv", n_tickets=1200, seed=seed)
    log = cspm.read(files.log, config=CONFIG)
    r = drivers(log, CONFIG, outcome="wait:Assign L2>12h", candidates=ATTRIBUTES, bootstrap=0)
    assert len(r.table()) >= 10  # channel, priority, category, amount bins, customers (other)
    # under the null, Benjamini–Hochberg at 5% makes any discovery a < 5% event per log
    assert (r.table()["q"] < 0.05).sum() == 0, r.table().head()
