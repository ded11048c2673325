"""Discovery summaries: exact figures on a hand-made log, and equality with pm4py on Helpdesk."""

from __future__ import annotations

import pandas as pd
import pytest

import cspm
from cspm.mining.discovery import activity_stats, directly_follows, discover, variants

H = 3600.0


def _log(rows: list[tuple[str, str, str]]) -> cspm.TicketLog:
    df = pd.DataFrame(rows, columns=["ticket", "step", "time"])
    return cspm.read(df, case_id="ticket", activity="step", timestamp="time")


@pytest.fixture(scope="module")
def small() -> cspm.TicketLog:
    return _log(
        [
            ("c1", "A", "2024-03-04 08:00:00"), ("c1", "B", "2024-03-04 09:00:00"), ("c1", "C", "2024-03-04 11:00:00"),
            ("c2", "A", "2024-03-04 08:00:00"), ("c2", "C", "2024-03-04 08:30:00"),
            ("c3", "A", "2024-03-05 08:00:00"), ("c3", "B", "2024-03-05 10:00:00"),
            ("c3", "B", "2024-03-05 10:10:00"), ("c3", "C", "2024-03-05 12:50:00"),
            ("c4", "C", "2024-03-06 11:00:00"), ("c4", "B", "2024-03-06 09:00:00"), ("c4", "A", "2024-03-06 08:00:00"),
        ]
    )  # fmt: skip


def test_directly_follows_exact(small):
    dfg = directly_follows(small)
    assert dfg.counts() == {("A", "B"): 3, ("B", "C"): 3, ("A", "C"): 1, ("B", "B"): 1}
    e = dfg.edges.set_index(["source", "target"])
    ab = e.loc[("A", "B")]
    assert (ab["cases"], ab.wait_median, ab.wait_mean, ab.wait_min, ab.wait_max, ab.wait_total) == (
        3, H, 4800.0, H, 2 * H, 4 * H,
    )
    assert ab.wait_p90 == pytest.approx(pd.Series([H, 2 * H, H]).quantile(0.9))
    assert e.loc[("B", "C")].wait_median == 2 * H and e.loc[("B", "C")].wait_max == 2 * H + 40 * 60
    assert e.loc[("B", "B")].wait_median == 600.0
    assert dfg.start_activities == {"A": 4} and dfg.end_activities == {"C": 4}
    assert list(dfg.slowest(1)[["source", "target"]].iloc[0]) == ["B", "C"]
    assert list(dfg.slowest(1, min_count=2)[["source", "target"]].iloc[0]) == ["B", "C"]
    assert list(dfg.slowest(1, by="max", min_count=5)[["source", "target"]].iloc[0]) == ["B", "C"]


def test_variants_exact(small):
    v = variants(small)
    assert v.counts() == {("A", "B", "C"): 2, ("A", "B", "B", "C"): 1, ("A", "C"): 1}
    t = v.table
    assert list(t.activities) == [("A", "B", "C"), ("A", "B", "B", "C"), ("A", "C")]
    assert list(t["share"]) == [0.5, 0.25, 0.25] and list(t.cumulative_share) == [0.5, 0.75, 1.0]
    assert list(t.lead_time_median) == [3 * H, 4 * H + 50 * 60, 0.5 * H]
    assert list(t.length) == [3, 4, 2]


def test_activity_stats_exact(small):
    a = activity_stats(small).table.set_index("activity")
    assert a.loc["B"][["events", "cases", "starts", "ends"]].tolist() == [4, 3, 0, 0]
    assert a.loc["A", "share"] == pytest.approx(4 / 12)
    # waits before B: 1 h (c1), 2 h (c3), 10 min (c3, self-loop), 1 h (c4)
    assert a.loc["B", "wait_before_median"] == H
    assert pd.isna(a.loc["A", "wait_before_median"]) and a.loc["A", "starts"] == 4
    assert pd.isna(a.loc["C", "wait_after_median"]) and a.loc["A", "wait_after_median"] == H


def test_ties_follow_source_row_order():
    log = _log([("x", "P", "2024-01-01 10:00"), ("x", "R", "2024-01-01 10:00"), ("x", "Q", "2024-01-01 10:00")])
    assert variants(log).counts() == {("P", "R", "Q"): 1}
    assert directly_follows(log).counts() == {("P", "R"): 1, ("R", "Q"): 1}


def test_start_timestamps_give_wait_to_next_start():
    df = pd.DataFrame(
        {
            "ticket": ["t", "t", "t"],
            "step": ["A", "B", "C"],
            "start": ["2024-01-01 08:00", "2024-01-01 09:30", "2024-01-01 10:00"],
            "end": ["2024-01-01 09:00", "2024-01-01 11:00", "2024-01-01 10:30"],
        }
    )
    log = cspm.read(df, case_id="ticket", activity="step", timestamp="end", start_timestamp="start")
    d = discover(log)
    # A ends 09:00, B starts 09:30 → 30 min; C starts (10:00) before B ends (11:00) → 0 (never negative)
    # order is by completion: A 09:00, C 10:30, B 11:00
    assert d.dfg.waits() == {("A", "C"): 3600.0, ("C", "B"): 0.0}
    acts = d.activities.table.set_index("activity")
    assert acts.loc["B", "duration_median"] == 1.5 * H
    assert d.lead_time["median"] == 3 * H  # 08:00 (first start) → 11:00 (last completion)


def test_subsecond_lead_time_and_edge_wait():
    """a at 00:00:00.000, b at 00:00:01.500: 1.5 s, not 2.0 s (the fraction counted once)."""
    log = _log([("x", "a", "2024-01-01 00:00:00.000"), ("x", "b", "2024-01-01 00:00:01.500"),
                ("y", "a", "2024-01-01 00:00:00.000"), ("y", "b", "2024-01-01 00:00:59.999")])  # fmt: skip
    d = discover(log)
    assert d.lead_time["min"] == 1.5 and d.lead_time["max"] == pytest.approx(59.999, abs=1e-6)
    e = d.dfg.edges.set_index(["source", "target"]).loc[("a", "b")]
    assert e.wait_min == 1.5 and e.wait_max == pytest.approx(59.999, abs=1e-6)
    assert e.wait_total == pytest.approx(61.499, abs=1e-6)
    acts = d.activities.table.set_index("activity")
    assert acts.loc["b", "wait_before_median"] == pytest.approx((1.5 + 59.999) / 2, abs=1e-6)
    lead = d.cases_.to_pandas().set_index("case_id")["lead_time"].to_dict()
    assert lead["x"] == 1.5 and lead["y"] == pytest.approx(59.999, abs=1e-6)


def test_model_accepts_only_the_supported_miners(small):
    from cspm.errors import CspmError

    d = discover(small)
    with pytest.raises(CspmError, match=r"unknown process-model miner 'heuristic'; the supported miners are "
                                         r"'inductive', 'heuristics'"):  # fmt: skip
        d.model(miner="heuristic")  # type: ignore[arg-type]
    with pytest.raises(CspmError, match="'Inductive'"):
        d.model(miner="Inductive")  # type: ignore[arg-type]
    assert d.model(miner="heuristics").summary()["miner"] == "heuristics"


def test_discovery_overview_and_summary(small):
    d = discover(small)
    ov = d.overview()
    assert (ov["events"], ov["cases"], ov["activities"], ov["variants"], ov["edges"]) == (12, 4, 3, 3, 4)
    assert ov["top_variant_share"] == 0.5
    assert ov["median_lead_time_seconds"] == 3 * H
    s = d.summary()
    assert s["variants"]["top"][0]["activities"] == ["A", "B", "C"]
    assert s["slowest_transitions"][0]["source"] == "B"
    assert "<table>" in d._repr_html_()


# --- Helpdesk against pm4py ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def helpdesk_pm4py_df(helpdesk_log):
    df = helpdesk_log.to_pandas()[["case_id", "activity", "timestamp"]]
    return df.rename(columns={"case_id": "case:concept:name", "activity": "concept:name", "timestamp": "time:timestamp"})


@pytest.fixture(scope="module")
def helpdesk_discovery(helpdesk_log):
    return discover(helpdesk_log)


def test_helpdesk_dfg_equals_pm4py(helpdesk_discovery, helpdesk_pm4py_df):
    import pm4py

    dfg, starts, ends = pm4py.discover_dfg(helpdesk_pm4py_df)
    d = helpdesk_discovery
    assert d.dfg.counts() == {k: int(v) for k, v in dfg.items()}
    assert d.dfg.start_activities == starts and d.dfg.end_activities == ends
    perf, _, _ = pm4py.discover_performance_dfg(helpdesk_pm4py_df)
    mine = d.dfg.edges.set_index(["source", "target"])
    assert set(perf) == set(mine.index)
    for edge, stats in perf.items():
        for theirs, ours in [("median", "wait_median"), ("mean", "wait_mean"), ("min", "wait_min"),
                             ("max", "wait_max"), ("sum", "wait_total")]:  # fmt: skip
            assert mine.loc[edge, ours] == pytest.approx(stats[theirs], rel=1e-9), (edge, theirs)


def test_helpdesk_variants_equal_pm4py(helpdesk_discovery, helpdesk_pm4py_df):
    import pm4py

    theirs = pm4py.get_variants(helpdesk_pm4py_df)
    assert helpdesk_discovery.variants.counts() == {k: int(v) for k, v in theirs.items()}
    assert len(helpdesk_discovery.variants) == 226
    assert helpdesk_discovery.cases == 4580 and helpdesk_discovery.events == 21348


def test_helpdesk_activity_and_lead_time_against_pandas(helpdesk_discovery, helpdesk_log):
    df = helpdesk_log.to_pandas()
    counts = df.activity.value_counts().to_dict()
    assert helpdesk_discovery.activities.counts() == counts
    span = df.groupby("case_id").timestamp.agg(["min", "max"])
    lead = (span["max"] - span["min"]).dt.total_seconds()
    assert helpdesk_discovery.lead_time["median"] == pytest.approx(lead.median())
    assert helpdesk_discovery.lead_time["p90"] == pytest.approx(lead.quantile(0.9))
    seq = df.groupby("case_id").activity.agg(tuple)
    top = helpdesk_discovery.variants.table.iloc[0]
    members = seq[seq == top.activities].index
    assert top.lead_time_median == pytest.approx(lead.loc[members].median())


def test_helpdesk_inductive_tree_equals_pm4py(helpdesk_discovery, helpdesk_pm4py_df):
    import pm4py

    model = helpdesk_discovery.model(noise=0.2)
    assert str(model.tree) == str(pm4py.discover_process_tree_inductive(helpdesk_pm4py_df, noise_threshold=0.2))
    assert model.summary()["visible_transitions"] == 14


def test_start_complete_waits_equal_pm4py_on_simulated_log():
    """With start times pm4py's performance DFG measures previous completion → next start: so do we."""
    import pm4py

    from cspm.simulate import SimulationSettings, simulate

    df, truth = simulate(SimulationSettings(n_tickets=300, seed=3, lifecycle="start_complete"))
    log = cspm.read(df)
    assert log.has_start
    d = discover(log)
    ev = log.to_pandas()[["case_id", "activity", "timestamp", "start_timestamp"]].rename(
        columns={"case_id": "case:concept:name", "activity": "concept:name", "timestamp": "time:timestamp"}
    )
    perf, _, _ = pm4py.discover_performance_dfg(ev)
    mine = d.dfg.edges.set_index(["source", "target"])
    assert set(perf) == set(mine.index)
    for edge, stats in perf.items():
        assert mine.loc[edge, "wait_median"] == pytest.approx(stats["median"], abs=1e-6), edge
        assert mine.loc[edge, "wait_mean"] == pytest.approx(stats["mean"], rel=1e-9), edge
    assert d.cases == truth.summary["n_cases"] == 300
    # processing time per activity = completion − start, as in the log
    ev["work"] = (ev["time:timestamp"] - ev["start_timestamp"]).dt.total_seconds()
    expected = ev.groupby("concept:name").work.median()
    acts = d.activities.table.set_index("activity")
    for name, value in expected.items():
        assert acts.loc[name, "duration_median"] == pytest.approx(value), name


def test_heuristics_model_on_helpdesk(helpdesk_discovery, tmp_path):
    model = helpdesk_discovery.model(miner="heuristics")
    s = model.summary()
    assert s["miner"] == "heuristics" and s["visible_transitions"] == 14 and s["process_tree"] is None
    from cspm.mining.pm4py import read_bpmn, read_pnml

    bpmn = read_bpmn(model.save_bpmn(tmp_path / "h.bpmn"))
    assert {n.get_name() for n in bpmn.get_nodes()} >= {"Assign seriousness", "Closed"}
    net, im, fm = read_pnml(model.save_pnml(tmp_path / "h.pnml"))
    assert len(net.transitions) == s["transitions"]


# --- the result model, the records and the derived tables ------------------------------------------
def test_discovery_summary_is_a_typed_record(small):
    from cspm.mining.records import ActivityRecord, DiscoverySummary, EdgeRecord, VariantRecord

    rec = discover(small)._summary()
    assert isinstance(rec, DiscoverySummary)
    assert (rec.overview.events, rec.overview.cases, rec.overview.variants) == (12, 4, 3)
    assert rec.lead_time_seconds.median == 3 * H and rec.events_per_case.max == 4
    assert all(isinstance(a, ActivityRecord) for a in rec.activities)
    assert [(a.activity, a.events, a.starts, a.ends) for a in rec.activities] == [("A", 4, 4, 0), ("B", 4, 0, 0), ("C", 4, 0, 4)]
    assert [(e.source, e.target) for e in rec.slowest_transitions][0] == ("B", "C")
    assert isinstance(rec.slowest_transitions[0], EdgeRecord)
    assert isinstance(rec.variants.top[0], VariantRecord) and rec.variants.top[0].activities == ["A", "B", "C"]
    # without start times an activity has no duration: the keys are left out, as before
    assert "duration_median" not in discover(small).summary()["activities"][0]


def test_activity_durations_are_in_the_record_with_start_times():
    df = pd.DataFrame({"ticket": ["t", "t"], "step": ["A", "B"], "start": ["2024-01-01 08:00", "2024-01-01 09:30"],
                       "end": ["2024-01-01 09:00", "2024-01-01 11:00"]})  # fmt: skip
    log = cspm.read(df, case_id="ticket", activity="step", timestamp="end", start_timestamp="start")
    acts = {a["activity"]: a for a in discover(log).summary()["activities"]}
    assert acts["B"]["duration_median"] == 1.5 * H and acts["A"]["duration_mean"] == H


def test_discover_builds_the_step_and_case_tables_once_per_log():
    """Discovery, maps, the variant and duration filters and the variants share one step table and
    one case table per log (``log.derived``)."""
    from cspm.mining.cases import Cases, case_table
    from cspm.mining.filters import filter_duration, filter_variants
    from cspm.mining.process_map import process_map

    log = _log([("c1", "A", "2024-03-04 08:00"), ("c1", "B", "2024-03-04 09:00"), ("c1", "C", "2024-03-04 11:00"),
                ("c2", "A", "2024-03-04 08:00"), ("c2", "B", "2024-03-04 08:30"), ("c2", "C", "2024-03-04 09:30"),
                ("c3", "A", "2024-03-05 08:00"), ("c3", "C", "2024-03-05 10:00")])  # fmt: skip
    d = discover(log)
    once = {"steps": 1, "case_table": 1, "activity_table": 1, "edge_table": 1}
    assert dict(log.derived.builds) == once
    d.process_map("performance", activities=0.8)
    process_map(log)
    directly_follows(log), activity_stats(log), variants(log), Cases.compute(log)
    top = filter_variants(log, top=1)
    filter_duration(log, min="1h")
    assert dict(log.derived.builds) == once
    assert case_table(log) is case_table(log)
    assert top.count_cases() == 2  # the two cases of A → B → C; a filtered log has its own tables
    assert dict(top.derived.builds) == {}


def test_case_table_of_an_event_table_is_deprecated(small):
    from cspm.mining.cases import case_table

    with pytest.warns(DeprecationWarning, match="pass the TicketLog"):
        old = case_table(small.events).order_by("case_id").to_pandas()
    pd.testing.assert_frame_equal(old, case_table(small).order_by("case_id").to_pandas())


def test_heuristics_model_takes_plain_counts_and_equals_pm4py(small):
    """The adapter gets plain dicts (no cspm result types); the net equals pm4py's own Heuristics
    Miner on the same events."""
    import pm4py

    from cspm.mining.pm4py import heuristics_model

    d = discover(small)
    ours = heuristics_model(d.dfg.counts(), d.activities.counts(), d.dfg.start_activities, d.dfg.end_activities)
    assert ours.summary() == d.model(miner="heuristics").summary()
    df = small.to_pandas()[["case_id", "activity", "timestamp"]].rename(
        columns={"case_id": "case:concept:name", "activity": "concept:name", "timestamp": "time:timestamp"})
    net, _, _ = pm4py.discover_petri_net_heuristics(df)
    s = ours.summary()
    assert (s["places"], s["transitions"], s["arcs"]) == (len(net.places), len(net.transitions), len(net.arcs))
    assert s["visible_transitions"] == 3
