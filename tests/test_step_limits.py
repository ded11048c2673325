"""Per-step limits (issue 16): a log with thousands of distinct activities gives maps and a model of
at most MAX_MAP_STEPS steps, and says what was limited (100,000 activities ran for hours before)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from markupsafe import escape

import cspm
from cspm.analysis.drivers.features import FeatureSettings, feature_table, frequent_steps
from cspm.config import Config, ValueClasses
from cspm.mining.discovery import project_variants
from cspm.mining.process_map import MAX_MAP_EDGES, MAX_MAP_STEPS, edge_cut, step_limit_note
from cspm.pipeline import write_discovery
from cspm.render.html import section_html


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> tuple[cspm.TicketLog, pd.DataFrame]:
    """120 activities over 120 tickets (2–6 events each)."""
    rows = []
    for c in range(120):
        for j in range(2 + c % 5):
            rows.append((f"T{c:03d}", f"step {(7 * c + j * j) % 120:03d}", f"2024-01-{1 + c % 28:02d} {8 + j:02d}:00"))
    frame = pd.DataFrame(rows, columns=["case", "activity", "timestamp"])
    path = tmp_path_factory.mktemp("wide") / "wide.csv"
    frame.to_csv(path, index=False)
    return cspm.read(path), frame


def test_a_map_of_a_log_with_many_activities_shows_the_most_frequent(wide: tuple[cspm.TicketLog, pd.DataFrame]) -> None:
    log, frame = wide
    d = cspm.discover(log)
    counts = frame.activity.value_counts()
    assert len(d.activities.table) == frame.activity.nunique() > MAX_MAP_STEPS
    expected = sorted(counts.index, key=lambda a: (-counts[a], a))[:MAX_MAP_STEPS]
    m = d.process_map()
    assert sorted(m.nodes.activity) == sorted(expected)
    assert dict(zip(m.nodes.activity, m.nodes.events, strict=True)) == {a: int(counts[a]) for a in expected}
    # edges among the kept steps, as pandas finds them in the projected log, cut to the most frequent
    kept = frame[frame.activity.isin(expected)]
    pairs = kept.groupby("case").activity.apply(lambda s: list(zip(s.iloc[:-1], s.iloc[1:], strict=True)))
    dfg = pd.Series([p for ps in pairs for p in ps]).value_counts()
    assert len(dfg) > MAX_MAP_EDGES
    top = dfg.iloc[0]
    assert set(zip(m.edges.source, m.edges.target, strict=True)) <= set(dfg.index)
    assert min(m.edges["count"]) >= edge_cut(pd.DataFrame({"count": dfg.values})) * top
    assert len(m.edges) <= MAX_MAP_EDGES


def test_the_model_is_mined_on_the_variants_projected_on_the_kept_steps() -> None:
    variants = {("a", "x", "b"): 3, ("a", "b"): 2, ("x", "y"): 4, ("b", "y", "a"): 1}
    assert project_variants(variants, {"a", "b"}) == {("a", "b"): 5, ("b", "a"): 1}


def test_the_step_limit_is_said() -> None:
    assert step_limit_note(MAX_MAP_STEPS) is None
    assert step_limit_note(100_000) == (
        "The map has 100,000 steps: the maps and the process model show the 60 most frequent (and at most "
        "100 transitions; more cannot be laid out); use --activities (activities= in Python) or filter "
        "the log to choose the steps."
    )


def test_edge_cut_keeps_at_most_the_limit() -> None:
    edges = pd.DataFrame({"count": [50, 40, 40, 30, 20, 10]})
    assert edge_cut(edges, limit=6) == 0.0
    assert edge_cut(edges, limit=3) == 31 / 50  # 50, 40, 40 kept; 30 left out
    assert sum(edges["count"] >= edge_cut(edges, limit=2) * 50) == 1  # a tie at the cut is left out


def test_root_causes_build_step_drivers_only_when_tested_and_for_the_most_frequent(
    wide: tuple[cspm.TicketLog, pd.DataFrame],
) -> None:
    log, frame = wide
    counts = frame.activity.value_counts()
    expected = sorted(counts.index, key=lambda a: (-counts[a], a))[:MAX_MAP_STEPS]
    assert frequent_steps(log) == (tuple(expected), 120)
    # the default scope does not test 'has STEP', so the feature table has none (was one per activity)
    default = feature_table(log, FeatureSettings())
    assert not [d for d in default.drivers if d.startswith("has ")]
    assert "step occurred" not in default.kinds.values()
    # scope='all': the 60 most frequent steps, and the caveat says so
    d = cspm.drivers(log, outcome="lead_time>p90", scope="all", min_support=1, bootstrap=0)
    assert {x for x in d.ranked["driver"] if x.startswith("has ")} == {f"has {a}" for a in expected}
    assert d.caveats[-1] == ("The log has 120 steps: 'has <step>' is tested for the 60 most frequent only; name "
                             "others with candidates= (--driver 'has STEP').")  # fmt: skip
    assert d.caveats[-1] in d.summary()["caveats"]
    # a rarer step named as a candidate is built and tested
    rare = sorted(counts.index, key=lambda a: (-counts[a], a))[-1]
    named = cspm.drivers(log, outcome="lead_time>p90", candidates=[f"has {rare}"], min_support=1, bootstrap=0)
    assert set(named.ranked["driver"]) == {f"has {rare}"}
    assert set(named.ranked["value"]) == {"yes", "no"}
    assert int(named.ranked.set_index("value").loc["yes", "tickets"]) == frame.loc[frame.activity == rare, "case"].nunique()


def test_the_value_stream_section_shows_at_most_the_step_limit_and_names_20_unclassified(
    wide: tuple[cspm.TicketLog, pd.DataFrame],
) -> None:
    log, frame = wide
    cfg = Config(value_classes=ValueClasses(value_adding=["step 005"], waiting=["step 100"]))
    vs = cspm.value_stream(log, cfg)
    assert len(vs.classes) == 120  # every step keeps its class in the result
    assert len(vs.summary()["classes"]) == 120  # (the value stream is not in discover's summary.json)
    ctx = vs.section_context()
    rows = ctx["classes"]["rows"]
    assert len(rows) == MAX_MAP_STEPS
    assert [r[0] for r in rows[:2]] == ["step 005", "step 100"]  # the classified steps first
    assert ctx["classes_note"] == ("120 steps: the first 60 are shown (classified steps first); every step's class is "
                                   "in cspm.value_stream(log).classes.")  # fmt: skip
    unknown = sorted(set(frame.activity) - {"step 005", "step 100"})
    assert vs.assumption().endswith(
        "Not classified, so not counted as value-adding: " + ", ".join(unknown[:20]) + " and 98 more "
        "(set value_classes in the config)."
    )
    assert "and 98 more" in section_html(vs) and str(escape(ctx["classes_note"])) in section_html(vs)


def test_discover_with_the_diagnosis_says_what_was_limited(
    wide: tuple[cspm.TicketLog, pd.DataFrame], tmp_path: pytest.TempPathFactory,
) -> None:
    log, frame = wide
    out = write_discovery(log, tmp_path, diagnosis=True)
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["notes"][0] == step_limit_note(120)
    assert len(summary["activities"]) == 120  # the data keeps every step
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert ("120 steps: the first 60 are shown (classified steps first); every step&#39;s class is in "
            "cspm.value_stream(log).classes.") in html  # fmt: skip
    causes = summary["root_causes"]
    assert causes and all(not r["driver"].startswith("has ") for c in causes for r in c["top"])
    assert out.notes == summary["notes"]
