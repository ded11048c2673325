"""The one result model: every result type of cspm honours the same contract.

For each result type (built on one small log whose names hold markup, quotes, backslashes, an
ampersand and Chinese): ``summary()`` is valid JSON, ``to_pandas()`` is a copy, ``_repr_html_()``
(the notebook) and the report page render the same section through the one Jinja environment with
every name escaped, and ``save()`` writes each suffix of the one rule.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import cspm
from cspm.analysis.drivers import segments
from cspm.analysis.drivers.headline import root_causes
from cspm.config import config_from_dict
from cspm.core.result import Result
from cspm.render.html import section_html
from cspm.render.report import Report

SCRIPT = "<script>alert(1)</script>"
CREATE, ASSIGN, APPROVE, FIX, CLOSE = "Create & log", 'Assign "L2"', f"审批 {SCRIPT}", "C:\\fix\\", "Close"
TEAM_A, TEAM_B = 'R&D "2nd"', "二线 <b>Ops</b>"

# (case, activity, minutes from 09:00, team, agent)
ROWS = [
    ("t1", CREATE, 0, TEAM_A, "ann"), ("t1", ASSIGN, 30, TEAM_B, "bo"), ("t1", FIX, 90, TEAM_A, "ann"),
    ("t1", APPROVE, 120, TEAM_B, "bo"), ("t1", CLOSE, 150, TEAM_A, "ann"),
    ("t2", CREATE, 10, TEAM_A, "ann"), ("t2", FIX, 70, TEAM_A, "cy"), ("t2", CLOSE, 100, TEAM_A, "cy"),
    ("t3", CREATE, 20, TEAM_A, "cy"), ("t3", ASSIGN, 50, TEAM_B, "bo"), ("t3", APPROVE, 80, TEAM_B, "bo"),
    ("t3", APPROVE, 95, TEAM_B, "bo"), ("t3", FIX, 130, TEAM_A, "ann"), ("t3", CLOSE, 160, TEAM_A, "ann"),
]  # fmt: skip


@pytest.fixture(scope="module")
def log() -> cspm.TicketLog:
    df = pd.DataFrame(ROWS, columns=["case", "act", "minute", "team", "agent"])
    df["ts"] = pd.Timestamp("2024-03-04 09:00", tz="UTC") + pd.to_timedelta(df.pop("minute"), unit="min")
    return cspm.read(df, case_id="case", activity="act", timestamp="ts", team="team", agent="agent")


@pytest.fixture(scope="module")
def results(log) -> dict[str, Result]:
    cfg = config_from_dict({
        "targets": {"steps": [{"step": ASSIGN, "max_wait": "10min"}]},
        "rules": [{"rule": "at_most", "activity": APPROVE}],
    })  # fmt: skip
    model = {"name": "to-be", "steps": [CREATE, {"step": ASSIGN, "optional": True}, FIX, CLOSE]}
    d = cspm.discover(log)
    h = cspm.handoffs(log, cfg)
    conf = cspm.conformance(log, cfg, model=model)
    out: dict[str, Result] = {
        "discovery": d, "activities": d.activities, "directly_follows": d.dfg, "variants": d.variants,
        "cases": d.cases_, "process_map": d.process_map("performance"), "process_model": d.model(),
        "quality": log.quality, "waiting": cspm.waiting(log, cfg), "value_stream": cspm.value_stream(log, cfg),
        "kpis": cspm.kpis(log, cfg), "service_desk": cspm.service_desk(log, cfg),
        "trends": cspm.trends(log, cfg), "handoff_analysis": h, "handoffs": h.handoffs, "ping_pong": h.ping_pong,
        "rework": h.rework, "approvals": h.approvals, "loops": h.loops, "redundancy": h.redundancy,
        "conformance": conf, "reference_model": conf.model, "rules": conf.rules,
    }  # fmt: skip
    out["drivers"] = cspm.drivers(log, cfg, outcome=f"wait:{ASSIGN}>10min", min_support=1)
    out["root_causes"] = root_causes(log, cfg, waiting=out["waiting"])
    out["segments"] = segments(log, cfg, segment="agent", min_support=1)
    comparison = cspm.compare(log, cfg, group=f"team={TEAM_B}")
    out |= {"comparison": comparison, "monitor": cspm.monitor(log, cfg),
            "roi": cspm.roi(comparison, cfg, tickets_per_month=100)}  # fmt: skip
    return out


# the results whose section shows the step named like a script
SHOW_APPROVAL_STEP = {
    "activities", "directly_follows", "variants", "process_map", "process_model", "waiting", "value_stream",
    "handoff_analysis", "rework", "approvals", "loops", "conformance", "rules", "comparison",
}  # fmt: skip
# the results whose section shows the team named with markup
SHOW_TEAM = {"handoff_analysis", "handoffs", "ping_pong"}


def _all_result_types() -> set[type]:
    found, todo = set(), [Result]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return {t for t in found if not getattr(t, "__abstractmethods__", None)}


RESULTS = [
    "discovery", "activities", "directly_follows", "variants", "cases", "process_map", "process_model",
    "quality", "waiting", "value_stream", "kpis", "service_desk", "trends", "handoff_analysis", "handoffs", "ping_pong", "rework",
    "approvals", "loops", "redundancy", "conformance", "reference_model", "rules",
    "drivers", "root_causes", "segments",
    "comparison", "monitor", "roi",
]  # fmt: skip


def test_every_result_type_is_covered(results):
    assert {type(r) for r in results.values()} == _all_result_types()
    assert all(isinstance(r, Result) for r in results.values())


@pytest.mark.parametrize("name", RESULTS)
def test_summary_is_valid_json(results, name):
    summary = results[name].summary()
    text = json.dumps(summary, allow_nan=False, ensure_ascii=False)  # NaN/inf would fail here
    assert json.loads(text) == summary


@pytest.mark.parametrize("name", RESULTS)
def test_to_pandas_is_a_copy(results, name):
    r = results[name]
    before = r.to_pandas()
    assert isinstance(before, pd.DataFrame) and len(before.columns) > 0
    mutated = r.to_pandas()
    assert mutated is not before
    mutated[mutated.columns[-1]] = "changed"
    mutated.drop(columns=mutated.columns[0], index=mutated.index[:1], inplace=True)
    pd.testing.assert_frame_equal(r.to_pandas(), before)


@pytest.mark.parametrize("name", RESULTS)
def test_notebook_and_report_render_the_same_escaped_section(results, name):
    r = results[name]
    fragment = r._repr_html_()
    section = section_html(r)
    page = Report(title="t", sections=[r]).render()
    assert f'id="{r.section_id}"' in fragment
    assert section in fragment and section.strip() in page  # the same template, the same environment
    for html_text in (fragment, page):
        assert SCRIPT not in html_text and "<b>Ops</b>" not in html_text
    if name in SHOW_APPROVAL_STEP:  # the step's name is drawn as written, escaped
        assert "审批 &lt;script&gt;alert(1)&lt;/script&gt;" in fragment
    if name in SHOW_TEAM:
        assert "二线 &lt;b&gt;Ops&lt;/b&gt;" in fragment


@pytest.mark.parametrize("name", RESULTS)
@pytest.mark.parametrize("suffix", [".html", ".json", ".csv", ".parquet", ".xlsx"])
def test_save_follows_the_one_suffix_rule(results, name, suffix, tmp_path):
    r = results[name]
    path = r.save(tmp_path / f"{name}{suffix}")
    assert path.is_file() and path.stat().st_size > 0
    rows = len(r.to_pandas())
    if suffix == ".html":
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>") and f'id="{r.section_id}"' in text and SCRIPT not in text
    elif suffix == ".json":
        assert json.loads(path.read_text(encoding="utf-8")) == r.summary()
    elif suffix == ".csv":
        assert len(pd.read_csv(path)) == rows
    elif suffix == ".parquet":
        assert len(pd.read_parquet(path)) == rows
    else:  # the workbook: the result's sheets (the main table, or figure rows for overview and KPIs)
        frame = r.workbook_sheets()[0].frame
        assert len(pd.read_excel(path)) == len(frame)
        assert len(frame) > 0 or rows == 0  # empty only when the result's table is (root causes of a tiny log)


@pytest.mark.parametrize("name", RESULTS)
def test_unknown_suffix_is_a_clear_error(results, name, tmp_path):
    with pytest.raises(cspm.CspmError, match=r"cannot save a \w+ as '\.txt'"):
        results[name].save(tmp_path / "x.txt")
