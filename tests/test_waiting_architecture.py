"""Waiting, value stream and KPIs in the one architecture (issue 10): one step-interval table per log
and key shared by the three analyses (and by one ``cspm discover``), typed records, the Result
contract, the public API ``cspm.waiting`` / ``cspm.value_stream`` / ``cspm.kpis`` and the deprecated
old names."""

from __future__ import annotations

import inspect
import json
import typing
import warnings
from pathlib import Path

import pandas as pd
import pydantic
import pytest
from typer.testing import CliRunner

import cspm
from cspm.analysis.intervals import activities, sla_pause_activities, step_intervals
from cspm.analysis.kpis import KpiFigures, KpiSummary, ServiceKPIs
from cspm.analysis.value_stream import ValueStream, ValueStreamOverall, ValueStreamSummary
from cspm.analysis.waiting import WaitingAnalysis, WaitingSummary
from cspm.cli import app
from cspm.config import config_from_dict
from cspm.core.calendar import BusinessCalendar
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.errors import OutputError
from cspm.pipeline import write_discovery

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"

# 2024-03-04 is a Monday; UTC; default calendar (every hour counts)
ROWS = [
    ("A", "Ticket created", "2024-03-04 09:00", "P1"),
    ("A", "First response", "2024-03-04 09:30", "P1"),
    ("A", "Pending customer", "2024-03-04 10:00", "P1"),
    ("A", "Resolve ticket", "2024-03-04 12:00", "P1"),
    ("A", "Close ticket", "2024-03-04 13:00", "P1"),
    ("B", "Ticket created", "2024-03-04 10:00", "P2"),
    ("B", "First response", "2024-03-04 12:00", "P2"),
    ("B", "Resolve ticket", "2024-03-04 15:00", "P2"),
    ("B", "Close ticket", "2024-03-04 16:00", "P2"),
]
CFG = {
    "targets": {
        "steps": [{"step": "First response", "max_wait": "1h", "attainment": "50%", "segment": {"category": "P2"}},
                  {"step": "Resolve ticket", "max_wait": "1h", "attainment": "50%"}],
        "milestones": [{"name": "resolution", "start": "case start", "end": "Resolve ticket", "within": "4h"}],
    },
}  # fmt: skip


def _log() -> cspm.TicketLog:
    df = pd.DataFrame(ROWS, columns=["case", "act", "ts", "category"])
    return cspm.read(df, case_id="case", activity="act", timestamp="ts")


def _three(log: cspm.TicketLog, config=None) -> tuple[WaitingAnalysis, ValueStream, ServiceKPIs]:
    cfg = config_from_dict(CFG) if config is None else config
    return cspm.waiting(log, cfg), cspm.value_stream(log, cfg), cspm.kpis(log, cfg)


# --- one step-interval table per log and key -------------------------------------------------------
def test_waiting_value_stream_and_kpis_build_the_step_intervals_once():
    log = _log()
    w, v, k = _three(log)
    assert log.derived.builds["step_intervals"] == 1
    # the activity list and the SLA-pause steps are queried once as well
    assert log.derived.builds["activities"] == 1 and log.derived.builds["sla_pause"] == 1
    assert w.sla_pause == ["Pending customer"]
    # waiting kept the segment column; the value stream and the KPIs reuse that wider table
    assert "category" in w.intervals.columns
    # the shared table gives the figures of a log of their own (each analysis first on a fresh log)
    assert cspm.value_stream(_log(), config_from_dict(CFG)).overall == v.overall
    assert cspm.kpis(_log(), config_from_dict(CFG)).figures == k.figures
    # by hand: A's queue waits 0.5 h (first response), B's 2 h; the wait before A's resolve is paused
    fr = w.step_table().set_index("step").loc["First response"]
    assert (fr["n"], fr["total_h"]) == (2, 2.5)
    assert w.step_table().set_index("step").loc["Resolve ticket", ["n", "n_paused", "paused_total_h"]].tolist() == [1, 1, 2.0]
    assert w.targets.set_index("name").loc["First response (wait)", ["n", "segment"]].tolist() == [1, "category=P2"]


def test_a_milestone_measured_by_waiting_and_by_the_kpis_is_built_once():
    """The waiting target "resolution" and the KPI resolution time are both case start → Resolve
    ticket: one materialised milestone table serves both, and each keeps its own figure."""
    log = _log()
    w, _, k = _three(log)
    kinds = {kind: n for kind, n in log.derived.builds.items() if kind.startswith("milestone_cases")}
    assert kinds["milestone_cases case start → Resolve ticket"] == 1
    assert set(kinds.values()) == {1}
    # by hand: A 09:00 → 12:00 (3 h, of which 2 h pending the customer), B 10:00 → 15:00 (5 h)
    assert k.figures.resolution_median_h == 4.0
    row = w.targets.set_index("name").loc["resolution"]
    assert (row["n"], row["attained"], row["breaching_cases"], row["excess_h"]) == (2, 0.5, 1, 1.0)  # B: 5 h > 4 h
    cspm.kpis(log, config_from_dict(CFG))  # asked again: reused
    assert log.derived.builds["milestone_cases case start → Resolve ticket"] == 1


def test_step_intervals_keep_columns_as_a_union_and_one_table_per_key():
    log = _log()
    cal = BusinessCalendar()
    narrow = step_intervals(log, "complete", cal, ["Pending customer"], keep=[])
    assert "category" not in narrow.columns
    assert step_intervals(log, "complete", cal, ["Pending customer"], keep=[]) is narrow
    wide = step_intervals(log, "complete", cal, ["Pending customer"], keep=["category"])
    assert log.derived.builds["step_intervals"] == 2 and "category" in wide.columns
    # the wider table serves every later request of the same key, narrow or wide
    assert step_intervals(log, "complete", cal, ["Pending customer"], keep=[]) is wide
    assert step_intervals(log, "complete", cal, ["Pending customer"], keep=["category", "no such column"]) is wide
    # another time semantics, SLA-pause set or calendar is another table
    step_intervals(log, "status", cal, ["Pending customer"], keep=[])
    step_intervals(log, "complete", cal, [], keep=[])
    berlin = BusinessCalendar(config_from_dict({"calendar": {"timezone": "Europe/Berlin"}}).calendar)
    step_intervals(log, "complete", berlin, ["Pending customer"], keep=[])
    assert log.derived.builds["step_intervals"] == 5
    # keep=None: every source column (here the role columns and category)
    full = step_intervals(log, "complete", cal, ["Pending customer"])
    assert full is wide and set(log.events.columns) <= set(full.columns)
    assert log.derived.builds["step_intervals"] == 5


def test_activity_list_and_sla_pause_are_cached_copies():
    log = _log()
    names = activities(log)
    names.append("changed by the caller")
    assert activities(log) == ["Close ticket", "First response", "Pending customer", "Resolve ticket", "Ticket created"]
    assert sla_pause_activities(log, None) == ["Pending customer"]
    configured = config_from_dict({"value_classes": {"sla_pause": ["close ticket"]}})
    assert sla_pause_activities(log, configured) == ["Close ticket"]
    assert log.derived.builds["activities"] == 1 and log.derived.builds["sla_pause"] == 2


def test_discover_with_the_example_config_builds_each_table_once(tmp_path):
    cfg = cspm.load_config(SAMPLES / "cspm.example.yaml")
    log = cspm.read(SAMPLES / "tickets_en.csv", config=cfg)
    out = write_discovery(log, tmp_path / "out", config=cfg)
    assert [s.section_id for s in out.sections][:3] == ["waiting", "value_stream", "kpis"]
    assert log.derived.builds["step_intervals"] == 1
    assert log.derived.builds["activities"] == 1 and log.derived.builds["sla_pause"] == 1


# --- typed records ---------------------------------------------------------------------------------
def test_kpi_figures_and_value_stream_overall_are_typed_records():
    log = _log()
    _, v, k = _three(log)
    assert isinstance(k.figures, KpiFigures) and isinstance(v.overall, ValueStreamOverall)
    hints = typing.get_type_hints(KpiFigures)
    assert hints["cases"] is int and hints["fcr_rate"] == float | None
    assert typing.get_type_hints(ValueStreamOverall)["flow_efficiency"] == float | None
    for model in (KpiFigures, ValueStreamOverall):
        assert all(f.description for f in model.model_fields.values()), model  # every figure is defined
    # the dict view the old code and the notebooks use
    assert k.figures["cases"] == k.figures.cases == 2
    assert v.overall["flow_efficiency"] == v.overall.flow_efficiency == v.flow_efficiency
    assert "fcr_rate" in k.figures and "median_flow_efficiency" not in v.overall
    assert k.figures.get("nothing", "–") == "–"
    with pytest.raises(KeyError):
        k.figures["nothing"]
    assert list(k.figures.keys())[:2] == ["cases", "first_response_median_h"]
    assert dict(k.figures.items()) == k.figures.model_dump()
    with pytest.raises(pydantic.ValidationError):
        k.figures.cases = 3  # records are frozen: a result's figures do not change
    # by hand: lead times A 4 h, B 6 h; value-adding (keyword "resol") only B's 3 h before its
    # resolve: A's 2 h before it follow Pending customer, waiting like Pending customer's own 0.5 h
    assert v.overall.total_lead_h == 10.0 and v.overall.hours["value_adding"] == 3.0
    assert v.overall.hours["waiting"] == 2.5 and v.overall.flow_efficiency == 0.3
    assert k.figures.resolution_median_h == 4.0  # A 3 h, B 5 h


def test_summaries_validate_as_their_records():
    w, v, k = _three(_log())
    for result, model in ((w, WaitingSummary), (v, ValueStreamSummary), (k, KpiSummary)):
        record = result._summary()
        assert isinstance(record, model) and isinstance(record, Record)
        assert model.model_validate(result.summary()) == record  # the JSON data is the record's
    s = w.summary()
    assert s["ranking"][0]["name"] == "Resolve ticket (wait)" and s["ranking"][0]["rank"] == 1
    assert s["targets"][2]["not_reached"] == 0 and isinstance(s["targets"][2]["not_reached"], int)


# --- the Result contract ---------------------------------------------------------------------------
@pytest.mark.parametrize("index", [0, 1, 2], ids=["waiting", "value_stream", "kpis"])
def test_result_contract(index, tmp_path):
    result = _three(_log())[index]
    assert isinstance(result, Result)
    data = result.summary()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    table = result.to_pandas()
    before = result.table().copy()
    for col in table.columns:
        table[col] = "changed"
    table.drop(table.index[:1], inplace=True)
    pd.testing.assert_frame_equal(result.table(), before)
    html = result._repr_html_()
    assert f'id="{result.section_id}"' in html and result.section_title in html
    for suffix in (".html", ".json", ".csv", ".parquet", ".xlsx"):
        path = result.save(tmp_path / f"out{suffix}")
        assert path.stat().st_size > 0
    assert json.loads((tmp_path / "out.json").read_text("utf-8")) == data
    assert len(pd.read_csv(tmp_path / "out.csv")) == len(result.table())
    assert result.section_id in (tmp_path / "out.html").read_text("utf-8")
    with pytest.raises(OutputError, match=r"\.txt"):
        result.save(tmp_path / "out.txt")


NAMES = ['<script>alert("x")</script>', 'A & B "quoted" \\ back', "二线受理"]


def test_names_are_escaped_in_the_notebook_and_in_the_report():
    rows = []
    for i, day in enumerate((4, 5, 6)):
        t0 = pd.Timestamp(f"2024-03-0{day} 09:00")
        rows += [(f"T{i}", name, t0 + pd.Timedelta(hours=j)) for j, name in enumerate(NAMES)]
    log = cspm.read(pd.DataFrame(rows, columns=["case", "act", "ts"]), case_id="case", activity="act", timestamp="ts")
    cfg = config_from_dict({"targets": {"steps": [{"step": NAMES[1], "max_wait": "10min"}]},
                            "kpis": {"fcr_breakers": [NAMES[0]], "first_response": [NAMES[1]],
                                     "resolution": [NAMES[2]]}})  # fmt: skip
    results = _three(log, cfg)
    report = cspm.build_report(log, list(results)).render()
    for page in [r._repr_html_() for r in results] + [report]:
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
        assert "A &amp; B &#34;quoted&#34; \\ back" in page
        assert "二线受理" in page


# --- the public API --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["waiting", "value_stream", "kpis"])
def test_one_api_shape(name):
    fn = getattr(cspm, name)
    assert callable(fn) and fn.__module__ == f"cspm.analysis.{name}"
    params = inspect.signature(fn).parameters
    assert list(params)[:2] == ["log", "config"]
    assert params["config"].default is None
    assert params["clock"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["semantics"].kind is inspect.Parameter.KEYWORD_ONLY
    hints = typing.get_type_hints(fn)
    assert hints["clock"] == typing.Literal["calendar", "business"] | None
    assert hints["semantics"] == typing.Literal["complete", "status", "start_complete"] | None


def test_config_as_path_and_clock_semantics_keywords(tmp_path):
    import yaml

    path = tmp_path / "cspm.yaml"
    path.write_text(yaml.safe_dump(CFG), "utf-8")
    log = _log()
    assert cspm.kpis(log, path).figures == cspm.kpis(log, config_from_dict(CFG)).figures
    assert cspm.waiting(log, str(path)).targets.equals(cspm.waiting(log, config_from_dict(CFG)).targets)
    status = cspm.waiting(log, semantics="status")
    # as status changes: "Ticket created" was held 0.5 h (A) and 2 h (B)
    assert status.semantics == "status"
    assert status.step_table().set_index("step").loc["Ticket created", "total_h"] == 2.5
    assert cspm.value_stream(log, clock="business").clock == "business"
    with pytest.raises(ValueError, match="clock must be 'calendar' or 'business'"):
        cspm.kpis(log, clock="bussiness")  # type: ignore[arg-type]
    with pytest.raises(cspm.ConfigError, match="time_semantics"):
        cspm.value_stream(log, semantics="statuses")  # type: ignore[arg-type]


def test_new_names_do_not_warn():
    log = _log()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _three(log)
    here = Path(__file__).resolve()
    ours = [str(w.message) for w in caught
            if Path(w.filename).resolve().is_relative_to(ROOT / "cspm") or Path(w.filename).resolve() == here]  # fmt: skip
    assert ours == []


@pytest.mark.parametrize(("old", "new"), [
    ("analyse_waiting", "waiting"), ("analyse_value_stream", "value_stream"), ("service_kpis", "kpis"),
])  # fmt: skip
def test_old_names_are_deprecated_aliases(old, new):
    log = _log()
    cfg = config_from_dict(CFG)
    with pytest.warns(DeprecationWarning, match=f"cspm.{old} is deprecated; use cspm.{new}"):
        got = getattr(cspm, old)(log, cfg)
    assert got.summary() == getattr(cspm, new)(log, cfg).summary()


@pytest.mark.parametrize("name", ["waiting", "value_stream", "analyse_waiting", "analyse_value_stream"])
def test_time_semantics_keyword_is_deprecated(name):
    log = _log()
    with pytest.warns(DeprecationWarning, match="time_semantics= is deprecated; use semantics="):
        got = getattr(cspm, name)(log, time_semantics="status")
    assert got.semantics == "status"
    with pytest.raises(ValueError, match="disagree"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        getattr(cspm, name)(log, semantics="complete", time_semantics="status")


def test_cli_bottlenecks_semantics_option(tmp_path):
    csv = tmp_path / "log.csv"
    df = pd.DataFrame(ROWS, columns=["case_id", "activity", "timestamp", "category"])
    df.to_csv(csv, index=False)
    r = CliRunner().invoke(app, ["bottlenecks", str(csv), "--semantics", "status", "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["semantics"] == "status" and data["ranking_basis"] == "total waiting"
    # time in status by hand: First response A 0.5 h + B 3 h; Ticket created 0.5 h + 2 h; Resolve
    # ticket 1 h + 1 h; Pending customer's 2 h are SLA-paused, not queue time (so not ranked)
    totals = {row["step"]: row["total_h"] for row in data["ranking"]}
    assert totals == {"First response": 3.5, "Ticket created": 2.5, "Resolve ticket": 2.0}
    assert data["sla_pause"] == ["Pending customer"]
