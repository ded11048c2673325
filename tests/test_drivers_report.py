"""The "Root causes" section of cspm discover: the drivers of the worst bottleneck and of
ping-pong, the same figures as cspm.drivers on those outcomes, each line naming its outcome, only
drivers known early in a ticket's life, and elapsed hours never priced at the hourly rate of work."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import cspm
from cspm.analysis.drivers.features import ATTRIBUTE_KINDS, FeatureSettings, feature_table
from cspm.analysis.drivers.headline import bottleneck_outcome, root_causes
from cspm.pipeline import write_discovery
from cspm.simulate import write_simulated_log
from cspm.simulate.drivers import InjectedDriver

CONFIG = "sample_logs/cspm.example.yaml"


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    path = tmp_path_factory.mktemp("rc") / "r.csv"
    files = write_simulated_log(path, n_tickets=300, seed=8, drivers=[InjectedDriver(factor=5.0)])
    cfg = cspm.load_config(CONFIG)
    log = cspm.read(files.log, config=cfg)
    w = cspm.waiting(log, cfg)
    return files, cfg, log, w, root_causes(log, cfg, waiting=w)


def test_discover_report_has_the_root_causes_of_the_bottleneck_and_ping_pong(sim, tmp_path) -> None:
    _files, cfg, log, w, rc = sim
    assert bottleneck_outcome(w) == "breach:Assign L2"  # the worst-ranked step target on the wait
    assert [a.outcome.spec for a in rc.analyses] == ["breach:Assign L2", "ping_pong"]
    direct = cspm.drivers(log, cfg, outcome="breach:Assign L2", bootstrap=200)
    assert rc.analyses[0].table()[["driver", "value", "q"]].equals(direct.table()[["driver", "value", "q"]])
    out = write_discovery(log, tmp_path / "out", config=cfg)
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert 'id="root-causes"' in html and "wait before Assign L2" in html and "ping-pong" in html
    assert any(f in out.findings() for f in rc.findings())
    assert rc.summary()["outcomes"][0]["outcome"] == "breach:Assign L2"
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    entries = summary["root_causes"]
    assert [e["outcome"] for e in entries] == ["breach:Assign L2", "ping_pong"]
    assert [e["finding"] for e in entries] == rc.findings()
    pp = rc.analyses[1]
    assert (entries[1]["tickets"], entries[1]["outcomes"]) == (pp.totals["tickets"], pp.totals["outcomes"])
    sig = pp.table()[pp.table()["significant"]].head(3)
    assert [(d["driver"], d["value"]) for d in entries[1]["top"]] == list(zip(sig["driver"], sig["value"], strict=True))


def test_root_cause_lines_name_their_outcome_and_population(sim) -> None:
    files, _cfg, _log, _w, rc = sim
    ev = pd.read_csv(files.log)
    moved = ev.groupby("ticket_id")["team"].nunique() > 1  # teams change only by a handoff here
    truth = pd.read_json(files.truth_cases, lines=True).set_index("ticket_id")
    n = int(moved.sum())
    k = int(truth.loc[moved[moved].index, "ping_pong"].sum())
    assert k == int(truth["ping_pong"].sum())  # only tickets handed over can bounce
    breach, pp = rc.findings()
    assert breach.startswith("Root causes of wait before Assign L2 > 1.0 h (business time) — ")
    assert pp.startswith(f"Root causes of ping-pong (back to a team it had left) — {k} of {n} tickets handed "
                         "over at least once: ")  # fmt: skip
    a = rc.analyses[1]
    assert (a.totals["tickets"], a.totals["outcomes"]) == (n, k)
    assert a.findings[0] == (f"ping-pong (back to a team it had left): {k} of {n} tickets ({k / n:.1%}); "
                             "population: tickets handed over at least once.")  # fmt: skip


def test_headline_drivers_are_ticket_attributes_not_consequences(sim) -> None:
    _files, _cfg, log, _w, rc = sim
    kinds = feature_table(log, FeatureSettings(timezone="Europe/Berlin")).kinds
    for a in rc.analyses:
        tested = set(a.table()["driver"])
        assert tested and {kinds[d] for d in tested} <= set(ATTRIBUTE_KINDS), tested
        assert not any(d.startswith("has ") or d in ("variant", "handoffs") or d.endswith("(most)") for d in tested)
    assert "team (first handoff)" in set(rc.analyses[1].table()["driver"])
    # ping-pong is a flag: the lead-time hours are shown but are no evidence of a bounce
    assert (rc.analyses[1].table()["evidence"].isin(["", "rate"])).all()


def test_elapsed_hours_are_priced_only_at_the_waiting_hour_cost(sim) -> None:
    _files, cfg, log, _w, _rc = sim
    assert cfg.costs.hourly_rate == 38 and cfg.costs.waiting_hour_cost == 0
    plain = cspm.drivers(log, cfg, outcome="wait:Assign L2>12h", clock="calendar", bootstrap=0)
    top = plain.table().iloc[0]
    assert (top["driver"], top["value"], bool(top["significant"])) == ("channel", "email", True)
    assert plain.table()["excess_cost"].isna().all()
    assert not any("EUR" in line for line in plain.findings)
    assert ("Excess hours are elapsed time (waiting, lead time), not paid work, so they are not priced at "
            "costs.hourly_rate; set costs.waiting_hour_cost to price an hour a ticket waits.") in plain.caveats
    assert plain.summary()["hour_cost"] is None
    priced_cfg = cfg.model_copy(update={"costs": cfg.costs.model_copy(update={"waiting_hour_cost": 5.0})})
    priced = cspm.drivers(log, priced_cfg, outcome="wait:Assign L2>12h", clock="calendar", bootstrap=0)
    t = priced.table()
    np.testing.assert_allclose(t["excess_cost"], t["excess_h"] * 5.0)
    top = t.iloc[0]
    assert f"(elapsed hours, ≈ EUR {top['excess_cost']:,.0f} at costs.waiting_hour_cost)" in priced.findings[1]
    assert "costs.waiting_hour_cost (EUR 5 per hour a ticket waits)" in " ".join(priced.caveats)
    assert json.loads(json.dumps(priced.summary(), default=str))["hour_cost"] == 5.0
