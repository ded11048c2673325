"""cspm.compare on a simulated log with an injected improvement: the bottleneck's wait halved for the
tickets created from a date on (simulator ground truth), split by that date."""

from __future__ import annotations

import json

import numpy as np
import pytest

import cspm
from cspm.analysis.compare import compare
from cspm.config import config_from_dict
from cspm.simulate import load_ground_truth, write_simulated_log

SPLIT = "2024-03-11"  # a Monday: one whole week on each side
CFG = config_from_dict({
    "calendar": {"timezone": "Europe/Berlin"},  # the simulator's calendar, so business waits are its own
    "targets": {"steps": [{"step": "Assign L2", "max_wait": "4h", "attainment": 0.85, "clock": "business",
                           "name": "L2 assignment wait"}]},
})  # fmt: skip


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("cmp") / "changed.parquet"
    files = write_simulated_log(path, n_tickets=560, tickets_per_day=40, seed=21,
                                changes=[{"at": SPLIT, "bottleneck_wait_factor": 0.5}])  # fmt: skip
    log = cspm.read(files.log)
    return log, load_ground_truth(files.log), compare(log, config=CFG, split=SPLIT)


def test_injected_change_is_in_the_ground_truth(changed) -> None:
    _, truth, _ = changed
    (ch,) = truth.summary["changes"]
    assert ch["bottleneck_wait_factor"] == 0.5 and ch["tickets"] > 200
    assert ch["median_wait_with_business_hours"] == pytest.approx(0.5 * ch["median_wait_without_business_hours"], rel=1e-3)


def test_bottleneck_change_within_5_percent_of_truth_and_significant(changed) -> None:
    _, truth, c = changed
    (ch,) = truth.summary["changes"]
    truth_pct = ch["median_wait_with_business_hours"] / ch["median_wait_without_business_hours"] - 1
    row = c.row("wait|business|Assign L2")
    assert row.change_pct == pytest.approx(truth_pct, rel=0.05)
    assert row.p < 0.01 and row.q < 0.01 and row.significant
    assert row.ci_low < row.change < row.ci_high < 0
    # tickets by their first event: the after side is exactly the tickets the change applied to
    assert c.tickets == {"before": 560 - ch["tickets"], "after": ch["tickets"]}


def test_no_other_step_is_flagged(changed) -> None:
    """Every other step's business wait is unchanged by construction (same draws): none significant."""
    _, _, c = changed
    waits = c.figures[(c.figures.family == "wait") & (c.figures.clock == "business")]
    tested = waits[waits.p.notna()]
    flagged = set(tested[tested.significant].name)
    assert flagged == {"wait before Assign L2"}
    assert len(tested) >= 10


def test_sides_match_an_independent_pandas_split(changed) -> None:
    log, _, c = changed
    ev = log.to_pandas()
    first = ev.groupby("case_id").timestamp.min().dt.tz_convert("Europe/Berlin")
    after = set(first[first >= "2024-03-11"].index)
    ev["prev_ts"] = ev.sort_values(["case_id", "timestamp", "source_row"]).groupby("case_id").timestamp.shift()
    w = ev[ev.activity == "Assign L2"]
    hours = (w.timestamp - w.prev_ts).dt.total_seconds() / 3600
    a, b = hours[~w.case_id.isin(after)], hours[w.case_id.isin(after)]
    row = c.row("wait|calendar|Assign L2")
    assert (row.n_a, row.n_b) == (len(a), len(b))
    assert row.a == pytest.approx(np.median(a)) and row.b == pytest.approx(np.median(b))


def test_target_verdict_and_json(changed, tmp_path) -> None:
    _, _, c = changed
    (verdict,) = c.verdicts()
    t = c.targets.iloc[0]
    assert verdict.startswith(f"L2 assignment wait P85: {t.level_a_h:.1f} h → {t.level_b_h:.1f} h (−")
    assert "target ≤ 4 h (85%)" in verdict
    assert t.attained_b > t.attained_a and t.p_attainment < 0.01
    data = json.loads(c.save(tmp_path / "c.json").read_text())
    assert data["verdicts"] == [verdict] and data["labels"] == ["before", "after"]
    assert any(f["figure"] == "wait|business|Assign L2" and f["significant"] for f in data["figures"])
    html = c.save(tmp_path / "c.html").read_text()
    assert "Verify the improvement" in html and "L2 assignment wait" in html


def test_difference_map(changed, tmp_path) -> None:
    _, _, c = changed
    dot = c.difference_map_dot()
    edge = c.row("edge|business|Escalate to L2 → Assign L2")
    assert edge.significant and edge.change < 0
    line = next(x for x in dot.splitlines() if "-> " in x and f"{edge.a:.1f} h → {edge.b:.1f} h" in x)
    assert 'color="#27ae60"' in line and "penwidth=2" in line  # faster, significant
    node = next(x for x in dot.splitlines() if x.strip().startswith("n") and "Assign L2\\n" in x)
    assert "#27ae60" in node
    assert sum("#c0392b" in x for x in dot.splitlines()) == int(
        ((c.figures.family.isin(["edge", "wait"])) & (c.figures.clock == "business") & c.figures.significant & (c.figures.change > 0)).sum()
    )
    svg = c.save(tmp_path / "map.svg").read_text()
    assert "<svg" in svg and "Assign L2" in svg
    assert "Difference map" in c._repr_html_()


def test_difference_map_marks_appeared_and_vanished_edges() -> None:
    import pandas as pd

    from cspm.analysis.compare.difference_map import difference_dot

    def row(key: str, n_a: int, n_b: int, a: float, b: float, sig: bool) -> dict:
        return {"family": "edge", "clock": "business", "key": key, "n_a": n_a, "n_b": n_b, "a": a, "b": b,
                "change": b - a, "change_pct": (b - a) / a if a == a else float("nan"), "significant": sig}  # fmt: skip

    nan = float("nan")
    f = pd.DataFrame([row('A "x" → B', 0, 9, nan, 2.0, False), row("B → C", 7, 0, 1.0, nan, False), row("A \"x\" → C", 9, 9, 4.0, 1.0, True)])
    dot = difference_dot(f)
    lines = dot.splitlines()
    assert any("style=dashed" in x and "(appeared)" in x for x in lines)
    assert any("style=dotted" in x and "(vanished)" in x for x in lines)
    assert any("style=solid" in x and "#27ae60" in x and "(-75%)" in x for x in lines)
    assert 'A \\"x\\"' in dot  # names escaped by cspm.render.dot
