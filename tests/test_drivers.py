"""Root causes (cspm.drivers): exact figures on hand-made logs against scipy/pandas, the decision
tree's rule on a log whose rule is known, the JSON/report views."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cspm
from cspm.analysis.drivers import OutcomeError, drivers

T0 = pd.Timestamp("2024-03-04 08:00", tz="UTC")


def _log(cases: list[dict]) -> cspm.TicketLog:
    """Create → Assign (after ``wait`` hours) → Close (1 h later), with case attributes."""
    rows = []
    for c in cases:
        t = T0 + pd.Timedelta(hours=c["start"])
        attrs = {k: v for k, v in c.items() if k not in ("id", "start", "wait")}
        for act, at in (("Create", t), ("Assign", t + pd.Timedelta(hours=c["wait"])),
                        ("Close", t + pd.Timedelta(hours=c["wait"] + 1))):  # fmt: skip
            rows.append({"case": c["id"], "activity": act, "time": at, **attrs})
    return cspm.read(pd.DataFrame(rows), case_id="case", activity="activity", timestamp="time")


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg by hand."""
    n = len(p)
    order = np.argsort(p)
    q = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(q[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1)
    return out


@pytest.fixture(scope="module")
def channel_log() -> tuple[cspm.TicketLog, pd.DataFrame]:
    rng = np.random.default_rng(5)
    channels = np.array(["email", "phone", "web"])[rng.integers(0, 3, 90)]
    base = np.round(rng.lognormal(np.log(3), 0.8, 90) * 4) / 4  # quarter hours: ties
    wait = np.where(channels == "email", base * 2.5, base)
    cases = [{"id": f"C{i:03d}", "start": i * 5.0, "wait": float(w), "channel": ch}
             for i, (w, ch) in enumerate(zip(wait, channels, strict=True))]  # fmt: skip
    return _log(cases), pd.DataFrame({"channel": channels, "wait": wait})


def test_rates_lifts_and_p_values_equal_scipy(channel_log) -> None:
    log, truth = channel_log
    r = drivers(log, outcome="wait:Assign>4h", candidates=["channel"], min_support=1)
    t = r.table().set_index("value")
    assert set(t.index) == {"email", "phone", "web"} and set(t["driver"]) == {"channel"}
    truth["y"] = truth["wait"] > 4
    p_rate, p_hours = [], []
    for value in ("email", "phone", "web"):
        a, b = truth[truth.channel == value], truth[truth.channel != value]
        row = t.loc[value]
        assert row["tickets"] == len(a) and row["outcomes"] == a.y.sum()
        assert row["rate"] == pytest.approx(a.y.mean(), abs=1e-12)
        assert row["rate_rest"] == pytest.approx(b.y.mean(), abs=1e-12)
        assert row["lift"] == pytest.approx(a.y.mean() / b.y.mean(), rel=1e-12)
        table = np.array([[a.y.sum(), (~a.y).sum()], [b.y.sum(), (~b.y).sum()]])
        expected = stats.contingency.expected_freq(table)
        p = stats.fisher_exact(table).pvalue if expected.min() < 5 else stats.chi2_contingency(table).pvalue
        assert row["p_rate"] == pytest.approx(p, rel=1e-9)
        mw = stats.mannwhitneyu(a.wait, b.wait, alternative="two-sided", method="asymptotic").pvalue
        assert row["p_hours"] == pytest.approx(mw, rel=1e-9)
        assert row["median_h"] == pytest.approx(a.wait.median(), abs=1e-9)
        assert row["median_rest_h"] == pytest.approx(b.wait.median(), abs=1e-9)
        assert row["excess_h"] == pytest.approx(len(a) * (a.wait.mean() - b.wait.mean()), rel=1e-9)
        assert row["excess_tickets"] == pytest.approx(a.y.sum() - len(a) * b.y.mean(), rel=1e-9)
        assert row["median_diff_lo_h"] <= row["median_diff_h"] <= row["median_diff_hi_h"]
        p_rate.append(p)
        p_hours.append(mw)
    q = dict(zip(("email", "phone", "web"), _bh(np.array(p_rate)), strict=True))
    qh = dict(zip(("email", "phone", "web"), _bh(np.array(p_hours)), strict=True))
    for value in q:
        assert t.loc[value, "q"] == pytest.approx(q[value], rel=1e-9)
        assert t.loc[value, "q_hours"] == pytest.approx(qh[value], rel=1e-9)
    assert r.table().iloc[0]["value"] == "email" and bool(r.table().iloc[0]["significant"])
    assert r.summary()["tickets"] == 90 and r.summary()["outcomes"] == int(truth.y.sum())


def test_example_tickets_are_the_longest_waits_with_the_value(channel_log) -> None:
    """The drill-down examples of each value: the tickets with that value and the outcome, the
    longest wait first (ties by id), as pandas picks them; three per value, one engine query."""
    log, truth = channel_log
    r = drivers(log, outcome="wait:Assign>4h", candidates=["channel"], min_support=1)
    got = dict(zip(r.table()["value"], r.table()["examples"], strict=True))
    t = truth.assign(id=[f"C{i:03d}" for i in range(len(truth))])
    for value in ("email", "phone", "web"):
        hit = t[(t["channel"] == value) & (t["wait"] > 4)].sort_values(["wait", "id"], ascending=[False, True])
        assert got[value] == list(hit["id"][:3]), value


def test_tree_finds_the_known_rule() -> None:
    cases = []
    for i in range(200):
        ch, pr = ("email", "phone")[i % 2], ("P1", "P3")[(i // 2) % 2]
        wait = 10.0 if (ch == "email" and pr == "P3") else 1.0 + (i % 7) / 10
        cases.append({"id": f"K{i:03d}", "start": i * 3.0, "wait": wait, "channel": ch, "priority": pr})
    r = drivers(_log(cases), outcome="wait:Assign>4h", candidates=["channel", "priority"], min_leaf=20)
    rules = r.tree.rules
    assert rules, r.findings
    top = rules[0]
    assert set(top.conditions) == {("channel", "=", "email"), ("priority", "=", "P3")}
    assert (top.tickets, top.outcomes, top.rate) == (50, 50, 1.0)
    assert top.text(r.tree.overall_rate) == "channel = email and priority = P3 → 100% vs 25% overall, 50 tickets"
    assert r.tree.cv_accuracy == 1.0 and r.tree.baseline_accuracy == 0.75
    assert any("channel = email and priority = P3" in f for f in r.findings)


def test_confounding_is_named_and_results_serialise(tmp_path) -> None:
    cases = []
    for i in range(160):
        email = i % 4 == 0
        cases.append({"id": f"Q{i:03d}", "start": i * 2.0, "wait": 8.0 if email else 1.0 + (i % 5) / 10,
                      "channel": "email" if email else "phone", "team": "Night" if email else "Day"})  # fmt: skip
    r = drivers(_log(cases), outcome="wait:Assign>4h", candidates=["channel", "team"])
    assert any("confounding" in c and "channel = email" in c and "team = Night" in c for c in r.caveats)
    assert any("not proof of cause" in c for c in r.caveats)
    data = json.loads(r.save(tmp_path / "d.json").read_text("utf-8"))
    assert data["outcome"] == "wait:Assign>4h" and data["top"][0]["tickets"] == 40
    html = r._repr_html_()
    assert "Root causes" in html and "channel = email" in html and "<svg" in html
    assert len(pd.read_csv(r.save(tmp_path / "d.csv"))) == len(r.table())


def test_bad_outcomes_name_what_was_expected(channel_log) -> None:
    log, _ = channel_log
    with pytest.raises(OutcomeError, match="not an outcome"):
        drivers(log, outcome="slow")
    with pytest.raises(OutcomeError, match="no step 'Nope'"):
        drivers(log, outcome="wait:Nope>1h")
    with pytest.raises(OutcomeError, match="no step target"):
        drivers(log, outcome="breach:Assign")
    with pytest.raises(OutcomeError, match="not a duration"):
        drivers(log, outcome="wait:Assign>soon")


def test_cli_drivers_json_and_errors(channel_log, tmp_path, capsys, monkeypatch) -> None:
    from typer.testing import CliRunner

    from cspm.cli import app, main

    log, truth = channel_log
    path = tmp_path / "log.csv"
    df = log.to_pandas()[["case_id", "activity", "timestamp", "channel"]]
    df.to_csv(path, index=False)
    run = CliRunner().invoke(app, ["drivers", str(path), "--outcome", "wait:Assign>4h", "--driver", "channel",
                                   "--min-support", "1", "--format", "json"])  # fmt: skip
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    assert data["tickets"] == 90 and data["outcomes"] == int((truth["wait"] > 4).sum())
    assert data["top"][0]["value"] == "email" and data["scope"] == "candidates"
    run = CliRunner().invoke(app, ["drivers", str(path), "--outcome", "wait:Assign>4h", "--min-support", "1",
                                   "--format", "json"])  # fmt: skip
    assert run.exit_code == 0 and json.loads(run.output)["scope"] == "attributes"
    assert not any(r["driver"].startswith("has ") for r in json.loads(run.output)["top"])
    run = CliRunner().invoke(app, ["drivers", str(path), "--outcome", "wait:Assign>4h", "--min-support", "1",
                                   "--all-drivers", "--format", "json"])  # fmt: skip
    assert run.exit_code == 0 and json.loads(run.output)["scope"] == "all"
    monkeypatch.setattr("sys.argv", ["cspm", "drivers", str(path), "--outcome", "wait:Nope>1h"])
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "no step 'Nope'" in err and "Traceback" not in err


def test_segments_side_by_side_match_pandas(channel_log) -> None:
    log, truth = channel_log
    seg = cspm.analysis.drivers.segments(log, segment="channel", min_support=1)
    lead = truth["wait"] + 1.0  # Create → Assign → Close
    p90 = lead.quantile(0.9)
    t = seg.table()
    rows = t[t["outcome"] == "lead_time>p90"].set_index("segment")
    assert set(rows.index) == {"email", "phone", "web"}
    for value in rows.index:
        a = truth.channel == value
        assert rows.loc[value, "tickets"] == a.sum()
        assert rows.loc[value, "rate"] == pytest.approx((lead[a] > p90).mean(), abs=1e-12)
        assert rows.loc[value, "median_h"] == pytest.approx(lead[a].median(), abs=1e-9)
    assert any(n.startswith("reopen left out") for n in seg.notes)  # no reopen step in this log
    wide = seg.side_by_side()
    assert list(wide.columns) == ["email", "phone", "web"] and wide.index[0].startswith("lead time > P90")
    assert wide.loc[wide.index[0], "email"].endswith("*")  # email tickets are significantly slower
    assert seg.summary()["segments"] == ["email", "phone", "web"]


def test_expression_and_nonconformance_outcomes(tmp_path) -> None:
    rows = []
    for i in range(60):
        t = T0 + pd.Timedelta(hours=3 * i)
        ch = ("a", "b", "c")[i % 3]
        steps = ["Create", "Close"] if ch == "b" and i % 2 else ["Create", "Assign", "Close"]  # b skips Assign
        for j, act in enumerate(steps):
            rows.append({"case": f"E{i:02d}", "activity": act, "time": t + pd.Timedelta(hours=j * (1 + i % 4)), "channel": ch})
    df = pd.DataFrame(rows)
    log = cspm.read(df, case_id="case", activity="activity", timestamp="time")
    lead = df.groupby("case").time.agg(lambda s: (s.max() - s.min()).total_seconds() / 3600)
    ch = df.groupby("case").channel.first()
    r = drivers(log, outcome="expr:lead_time_h > 4 and events = 3", candidates=["channel"], min_support=1)
    n_events = df.groupby("case").size()
    y = (lead > 4) & (n_events == 3)
    t = r.table().set_index("value")
    for value in ("a", "b", "c"):
        assert t.loc[value, "outcomes"] == y[ch == value].sum() and t.loc[value, "tickets"] == (ch == value).sum()
    spec = tmp_path / "to_be.yaml"
    spec.write_text("name: t\nsteps: [Create, Assign, Close]\n", encoding="utf-8")
    nc = drivers(log, outcome="nonconformance", model=spec, candidates=["channel"], min_support=1).table().set_index("value")
    skipped = df.groupby("case").activity.agg(lambda s: "Assign" not in set(s))
    for value in ("a", "b", "c"):
        assert nc.loc[value, "outcomes"] == skipped[ch == value].sum()
    assert nc.index[0] == "b" and nc.loc["b", "rate"] == pytest.approx(0.5)
    with pytest.raises(OutcomeError, match="needs the to-be model"):
        drivers(log, outcome="nonconformance")
    with pytest.raises(OutcomeError, match="not a boolean SQL expression"):
        drivers(log, outcome="expr:nope > 1")


def test_milestone_outcome_counts_the_missed_target(channel_log) -> None:
    from cspm.config import config_from_dict

    log, truth = channel_log
    cfg = config_from_dict({"targets": {"milestones": [
        {"name": "closed in 5 h", "start": "case start", "end": "Close", "within": "5h"}]}})  # fmt: skip
    r = drivers(log, cfg, outcome="milestone:closed in 5 h", candidates=["channel"], min_support=1)
    t = r.table().set_index("value")
    lead = truth["wait"] + 1.0
    for value in ("email", "phone", "web"):
        a = truth.channel == value
        assert t.loc[value, "outcomes"] == (lead[a] > 5).sum() and t.loc[value, "median_h"] == pytest.approx(lead[a].median())
    with pytest.raises(OutcomeError, match="no milestone target named 'x'"):
        drivers(log, cfg, outcome="milestone:x")
