"""The handoff family's API and architecture (issue 10): ``cspm.handoffs`` and its deprecated
alias, ``ticket_ids`` vs ``tickets``, the missing-column error, typed summary records, the result
protocol of every part, figures computed without per-ticket frames, derived tables built once per
log, and names that render literally in the network, the charts and the section."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET

import markupsafe
import pandas as pd
import pytest
from pydantic import BaseModel
from test_handoffs import ROWS, tiny_frame

import cspm
from cspm.analysis.handoffs.analysis import HandoffAnalysisSummary, analyse_handoffs
from cspm.analysis.handoffs.handoffs import HandoffsSummary, handoffs
from cspm.analysis.handoffs.pingpong import PingPongSummary, ping_pong
from cspm.analysis.handoffs.redundancy import RedundancySummary
from cspm.analysis.handoffs.rework import (
    ApprovalSummary,
    ProcessLoopsSummary,
    ReworkSummary,
    rework,
)
from cspm.core.result import Result
from cspm.errors import MissingColumnError, OutputError
from cspm.pipeline import build_report
from cspm.render.charts import bar_chart_svg
from cspm.render.network import network_dot


@pytest.fixture()
def tiny() -> cspm.TicketLog:
    return cspm.read(tiny_frame(), team="team", agent="agent")


@pytest.fixture(scope="module")
def analysis() -> cspm.HandoffAnalysis:
    return cspm.handoffs(cspm.read(tiny_frame(), team="team", agent="agent"), level="team")


def _parts(a: cspm.HandoffAnalysis) -> dict[str, Result]:
    return {"analysis": a, "handoffs": a.handoffs, "ping_pong": a.ping_pong, "rework": a.rework,
            "approvals": a.approvals, "loops": a.loops, "redundancy": a.redundancy}  # fmt: skip


# ---------------------------------------------------------------------------- the public API
def test_handoffs_takes_config_path_and_keyword_options(tiny, tmp_path):
    cfg = tmp_path / "cspm.yaml"
    cfg.write_text("costs:\n  hourly_rate: 10\n  currency: CNY\n", encoding="utf-8")
    a = cspm.handoffs(tiny, cfg, level="agent", missing="break", max_cycle_length=2)
    assert (a.redundancy.hourly_rate, a.redundancy.currency) == (10, "CNY")
    assert a.summary()["handoffs"]["handoffs"] == 10 and a.handoffs.missing == "break"
    assert a.loops.max_length == 2 and set(a.loops.cycles["length"]) == {1, 2}
    with pytest.raises(TypeError):
        cspm.handoffs(tiny, None, "agent")  # level is keyword-only


def test_analyse_handoffs_is_a_deprecated_alias(tiny):
    with pytest.warns(DeprecationWarning, match="cspm.handoffs"):
        old = analyse_handoffs(tiny, None, "agent")
    assert old.summary() == cspm.handoffs(tiny, level="agent").summary()
    assert cspm.analyse_handoffs is analyse_handoffs


def test_ticket_ids_and_the_deprecated_tickets(tiny):
    a = cspm.handoffs(tiny)
    assert a.ping_pong.ticket_ids() == {"c1", "c2"} and a.ping_pong.ticket_ids("direct") == {"c1"}
    assert a.rework.ticket_ids("self_loops") == {"c1", "c2"}
    assert a.approvals.ticket_ids(2) == {"c3"} and a.approvals.ticket_ids(1) == {"c2", "c3"}
    for ids, call in (
        ({"c2"}, lambda: a.ping_pong.tickets("indirect")),
        ({"c1", "c2", "c3"}, lambda: a.rework.tickets()),
        ({"c3"}, lambda: a.approvals.tickets()),
    ):
        with pytest.warns(DeprecationWarning, match="ticket_ids"):
            assert call() == ids
    # "tickets" is a number everywhere
    assert a.handoffs.tickets == 3 and a.summary()["ping_pong"]["impact"]["tickets"] == 2


def test_missing_column_is_a_missing_column_error_naming_the_option():
    log = cspm.read(tiny_frame().drop(columns=["team"]), agent="agent")
    with pytest.raises(MissingColumnError) as err:
        cspm.handoffs(log)
    text = str(err.value)
    assert err.value.column == "team" and "agent" in err.value.columns and "activity" in err.value.columns
    assert "no team column" in text and "--team-column" in text and "columns.team" in text
    with pytest.raises(MissingColumnError, match="'queue'.*pass column="):
        handoffs(log, column="queue")
    # the agent level still works, and redundancy without the column has no ping-pong part
    assert cspm.handoffs(log, level="agent").handoffs.total == 10


# ---------------------------------------------------------------------------- typed records
def test_summaries_are_typed_records(analysis):
    expected = {"analysis": HandoffAnalysisSummary, "handoffs": HandoffsSummary, "ping_pong": PingPongSummary,
                "rework": ReworkSummary, "approvals": ApprovalSummary, "loops": ProcessLoopsSummary,
                "redundancy": RedundancySummary}  # fmt: skip
    for name, part in _parts(analysis).items():
        record = part._summary()
        assert type(record) is expected[name] and isinstance(record, BaseModel)
        # the JSON summary is the record's data and validates back into the same record
        assert expected[name].model_validate(part.summary()) == record
    s = analysis.summary()
    assert s["handoffs"]["busiest_handoff"] == {"from": "A", "to": "B", "handoffs": 2}
    assert s["redundancy"]["hours"] == {"pingpong": 11.0, "rework": 7.0, "approval": 3.0, "redundant": 15.0}
    assert "from" in json.dumps(HandoffAnalysisSummary.model_json_schema(mode="serialization"))


# ---------------------------------------------------------------------------- the result protocol
@pytest.mark.parametrize("name", ["analysis", "handoffs", "ping_pong", "rework", "approvals", "loops", "redundancy"])
def test_result_protocol_of_every_part(analysis, name, tmp_path):
    part = _parts(analysis)[name]
    assert isinstance(part, Result)
    json.dumps(part.summary(), allow_nan=False)
    copy = part.to_pandas()
    before = part.to_pandas()
    copy.iloc[:, 0] = "changed"
    pd.testing.assert_frame_equal(part.to_pandas(), before)
    fragment = part._repr_html_()
    assert fragment.startswith("<section") and f'id="{part.section_id}"' in fragment
    for suffix in (".html", ".json", ".csv", ".parquet", ".xlsx"):
        path = part.save(tmp_path / f"out{suffix}")
        assert path.stat().st_size > 0
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8")) == part.summary()
    assert len(pd.read_csv(tmp_path / "out.csv")) == len(before)
    with pytest.raises(OutputError, match="'.txt'"):
        part.save(tmp_path / "out.txt")


def test_handoffs_save_the_network(analysis, tmp_path):
    assert analysis.handoffs.save(tmp_path / "n.svg").read_text(encoding="utf-8").startswith("<svg")
    assert analysis.handoffs.save(tmp_path / "n.dot").read_text(encoding="utf-8").startswith("digraph handover {")


def test_per_ticket_table_of_the_bundle_joins_the_parts(analysis):
    df = analysis.to_pandas().set_index("case_id")
    assert df.loc["c1", ["handoffs", "bounces", "repetitions", "approval_rounds", "redundant_events"]].tolist() == [3, 1, 1, 0, 3]
    assert df.loc["c3", ["handoffs", "bounces", "repetitions", "approval_rounds", "redundant_events"]].tolist() == [0, 0, 1, 2, 1]


# ---------------------------------------------------------------------------- on the engine
def test_figures_are_computed_without_per_ticket_frames(tiny):
    a = cspm.handoffs(tiny, level="agent")
    a.summary(), a.findings(), a.section_context(), a._repr_html_()
    for part in _parts(a).values():
        part.summary(), part._repr_html_()
        assert "per_case" not in vars(part), type(part).__name__  # never fetched for a figure
    assert "returns" not in vars(a.ping_pong)
    assert a.handoffs.per_case_table.__class__.__name__ == "Table"  # an Ibis table
    assert a.handoffs.per_case["handoffs"].tolist() == [5, 3, 2]  # fetched when asked


def test_derived_tables_are_built_once_per_log_and_key(tiny):
    # the activity list and SLA-pause steps (shared with the waiting family) are derived once too, and
    # the process loops' DFG is the edge frame on the step table (shared with discovery and the maps)
    once = {"activities": 1, "sla_pause": 1, "lead_times": 1, "repeated_events": 1, "steps": 1, "edge_table": 1}
    cspm.handoffs(tiny)
    assert dict(tiny.derived.builds) == {**once, "visits": 1, "returns": 1}
    ping_pong(tiny), rework(tiny), cspm.handoffs(tiny)  # the same keys: reused
    assert dict(tiny.derived.builds) == {**once, "visits": 1, "returns": 1}
    cspm.handoffs(tiny, level="agent")  # another column: its own visits and returns
    assert dict(tiny.derived.builds) == {**once, "visits": 2, "returns": 2}
    filtered = tiny.with_events(tiny.events.filter(tiny.events.case_id != "c3"))
    assert cspm.handoffs(filtered).handoffs.tickets == 2 and tiny.derived.builds["lead_times"] == 1


# ---------------------------------------------------------------------------- names render literally
NAMES = ['<script>alert(1)</script>', 'R&D "2nd" line', "C:\\queue\\", "bell\x07team", "二线支持"]


def _svg_texts(svg: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_network_dot_escapes_every_name():
    import networkx as nx

    g = nx.DiGraph()
    for a, b in zip(NAMES, NAMES[1:], strict=False):
        g.add_edge(a, b, count=1, median_wait_s=60.0)
    dot = network_dot(g, title="R&D")
    labels = re.findall(r'^  n\d+ \[label="((?:[^"\\]|\\.)*)"\];$', dot, flags=re.M)
    # & spelled &amp; (Graphviz reads entities), quotes and backslashes escaped, control characters
    # dropped; < and > stay (Graphviz XML-escapes them in the SVG)
    assert sorted(labels) == sorted(
        ["<script>alert(1)</script>", 'R&amp;D \\"2nd\\" line', "C:\\\\queue\\\\", "bellteam", "二线支持"]
    )
    assert 'label="R&amp;D"' in dot and "\x07" not in dot


def test_names_render_literally_in_network_section_and_report(tmp_path):
    teams = {"A": NAMES[0], "B": NAMES[1], "C": NAMES[2], "D": NAMES[3]}
    rows = [(c, a, t, teams.get(team) if team else team, ag) for c, a, t, team, ag in ROWS]
    rows += [("c4", "Create", 60, NAMES[4], "e1"), ("c4", "Close", 61, NAMES[0], "e1")]
    log = cspm.read(tiny_frame(rows), team="team", agent="agent")
    a = cspm.handoffs(log)
    texts = _svg_texts(a.handoffs.to_svg())
    for name in (NAMES[0], NAMES[1], NAMES[2], "bellteam", NAMES[4]):
        assert name in texts, name  # drawn literally (Graphviz XML-escapes what render.dot escaped)
    notebook = a._repr_html_()
    report = build_report(log, [a], tmp_path / "r.html").render()
    for page in (notebook, report):
        assert "<script>alert(1)" not in page
        for name in (NAMES[0], NAMES[1], NAMES[2], NAMES[4]):
            assert str(markupsafe.escape(name)) in page, name


def test_bar_chart_cuts_labels_before_escaping():
    # a label cut after escaping left half an entity ('&am') and the SVG was not well-formed
    svg = bar_chart_svg(["x" + "&" * 50, "<b>"], [3.0, 1234.0], 'Tickets & "steps"')
    root = ET.fromstring(svg)
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ['Tickets & "steps"', "x" + "&" * 39, "3", "<b>", "1,234"]
