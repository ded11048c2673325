"""Every discovery result is a `cspm.core.result.Result`: summary() is JSON, to_pandas() a copy,
_repr_html_() the report's own section template, save() one suffix rule — checked on each type with
names that need escaping everywhere (HTML, DOT, CSV)."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pandas as pd
import pytest

import cspm
from cspm.core.result import Result
from cspm.errors import OutputError
from cspm.mining.cases import Cases
from cspm.mining.discovery import discover
from cspm.mining.process_map import MapSection
from cspm.render.graphviz import Rendered
from cspm.render.html import section_html
from cspm.render.report import Report

WEIRD = ['Say "hi"', "back\\slash", "<script>alert(1)</script>", "处理工单", "R&D &lt; 50%"]
TABLES = (".csv", ".parquet", ".xlsx")


@pytest.fixture(scope="module")
def weird_log() -> cspm.TicketLog:
    rows = []
    for c in range(6):
        seq = [WEIRD[0], WEIRD[1], WEIRD[2], WEIRD[3]] if c % 2 else [WEIRD[0], WEIRD[3], WEIRD[4], WEIRD[2]]
        rows += [(f"c{c}", a, f"2024-01-0{c + 1} {10 + i}:00:00") for i, a in enumerate(seq)]
    return cspm.read(pd.DataFrame(rows, columns=["case", "act", "ts"]), case_id="case", activity="act", timestamp="ts")


@pytest.fixture(scope="module")
def results(weird_log) -> dict[str, Result]:
    d = discover(weird_log)
    return {
        "discovery": d,
        "directly_follows": d.dfg,
        "activities": d.activities,
        "variants": d.variants,
        "cases": d.cases_,
        "process_map": d.process_map("performance").highlight(steps=[WEIRD[2]]),
        "process_model": d.model(noise=0.0),
    }


KINDS = ["discovery", "directly_follows", "activities", "variants", "cases", "process_map", "process_model"]


@pytest.mark.parametrize("kind", KINDS)
def test_summary_is_json(results, kind):
    r = results[kind]
    assert isinstance(r, Result)
    text = json.dumps(r.summary(), allow_nan=False, ensure_ascii=False)
    assert json.loads(text) == r.summary()


@pytest.mark.parametrize("kind", KINDS)
def test_to_pandas_is_a_copy(results, kind):
    r = results[kind]
    before = r.to_pandas()
    assert len(before) > 0
    changed = r.to_pandas()
    changed.drop(index=changed.index[0], inplace=True)
    changed.rename(columns={changed.columns[0]: "renamed"}, inplace=True)
    changed["added"] = 1
    pd.testing.assert_frame_equal(r.to_pandas(), before)


@pytest.mark.parametrize("kind", KINDS)
def test_repr_html_is_the_report_section_with_names_escaped(results, kind):
    r = results[kind]
    html = r._repr_html_()
    assert "<script>alert" not in html
    doc = lxml.html.fromstring(f"<div>{html}</div>")
    assert doc.xpath(f"//section[@id='{r.section_id}']")
    # the same fragment is what the report page holds
    page = Report(title="t", sections=[r]).render()
    assert section_html(r) in page


@pytest.mark.parametrize("kind", KINDS)
def test_save_follows_one_suffix_rule(results, kind, tmp_path):
    r = results[kind]
    for suffix in (".html", ".json", *TABLES):
        path = Path(r.save(tmp_path / f"out{suffix}"))
        assert path == tmp_path / f"out{suffix}" and path.stat().st_size > 0, suffix
    assert json.loads((tmp_path / "out.json").read_text("utf-8")) == r.summary()
    shown = pd.read_csv(tmp_path / "out.csv")
    assert len(shown) == len(r.to_pandas())
    assert len(pd.read_parquet(tmp_path / "out.parquet")) == len(shown)
    assert len(pd.read_excel(tmp_path / "out.xlsx")) == len(r.workbook_sheets()[0].frame)  # the overview: figure rows
    page = (tmp_path / "out.html").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script>alert" not in page
    with pytest.raises(OutputError, match=r"cannot save a \w+ as '\.txt'.*Expected one of \.html, \.json"):
        r.save(tmp_path / "out.txt")


def test_values_of_the_saved_tables(results, tmp_path):
    """What the files hold, on the weird log: 6 cases, 2 variants of 3 cases each, every edge 1 h."""
    edges = pd.read_csv(results["directly_follows"].save(tmp_path / "edges.csv"))
    assert int(edges["count"].sum()) == 6 * 3 and set(edges.wait_median) == {3600.0}
    assert set(edges.source) | set(edges.target) == set(WEIRD)
    variants = pd.read_csv(results["variants"].save(tmp_path / "variants.csv"))
    assert list(variants["count"]) == [3, 3]
    assert {tuple(json.loads(a)) for a in variants.activities} == {
        (WEIRD[0], WEIRD[1], WEIRD[2], WEIRD[3]), (WEIRD[0], WEIRD[3], WEIRD[4], WEIRD[2])}  # fmt: skip
    assert pd.read_parquet(results["variants"].save(tmp_path / "v.parquet")).activities[0].count(" → ") == 3
    cases = pd.read_csv(results["cases"].save(tmp_path / "cases.csv"))
    assert list(cases.case_id) == [f"c{i}" for i in range(6)] and set(cases.lead_time) == {3 * 3600.0}
    # Excel has no time zones: UTC wall times (used to fail on the zoned start/end columns)
    excel = pd.read_excel(results["cases"].save(tmp_path / "cases.xlsx"))
    assert excel["start (UTC)"][0] == pd.Timestamp("2024-01-01 10:00")
    assert excel["end (UTC)"][5] == pd.Timestamp("2024-01-06 13:00") and set(excel["lead time (h)"]) == {3.0}
    overview = results["discovery"].to_pandas()
    assert overview[["events", "cases", "activities", "variants", "edges"]].iloc[0].tolist() == [24, 6, 5, 2, 6]
    model = results["process_model"].to_pandas()
    assert set(model.label.dropna()) == set(WEIRD) and model.visible.sum() == 5


def test_map_saves_svg_and_dot_and_says_how(results, tmp_path):
    m = results["process_map"]
    svg = m.save(tmp_path / "map.svg")
    assert isinstance(svg, Rendered) and svg.kind == "svg" and svg.path == tmp_path / "map.svg"
    assert svg.exists() and "<svg" in svg.read_text("utf-8")  # a Rendered stands for its path
    dot = m.save(tmp_path / "map.dot")
    assert dot.kind == "dot" and Path(dot).read_text("utf-8") == m.to_dot()
    as_json = m.save(tmp_path / "map.json")
    assert as_json.kind == "json" and json.loads(Path(as_json).read_text("utf-8"))["highlighted_steps"] == [WEIRD[2]]
    with pytest.raises(OutputError, match=r"\.svg, \.dot"):
        m.save(tmp_path / "map.png")


def test_model_saves_bpmn_and_pnml(results, tmp_path):
    from cspm.mining.pm4py import read_bpmn, read_pnml

    model = results["process_model"]
    bpmn = read_bpmn(model.save(tmp_path / "m.bpmn"))
    assert {n.get_name() for n in bpmn.get_nodes()} >= set(WEIRD)
    net, _, _ = read_pnml(model.save(tmp_path / "m.pnml"))
    assert len(net.transitions) == model.summary()["transitions"] == len(model.to_pandas())


def test_notebook_view_of_a_discovery_is_overview_and_lead_time(results):
    html = results["discovery"]._repr_html_()
    doc = lxml.html.fromstring(f"<div>{html}</div>")
    assert [s.get("id") for s in doc.xpath("//section")] == ["overview", "lead_time"]
    assert "3.0 h" in doc.get_element_by_id("lead_time").text_content()


def test_a_map_alone_has_no_tabs_and_the_maps_section_has_one_per_map(results):
    m = results["process_map"]
    alone = lxml.html.fromstring(m._repr_html_())
    assert not alone.xpath("//button[@data-view]") and len(alone.xpath("//*[local-name()='svg']")) == 1
    both = lxml.html.fromstring(section_html(MapSection([m, m.with_measure("frequency")])))
    assert [b.get("data-view") for b in both.xpath("//button[@data-view]")] == ["performance", "frequency"]


def test_cases_keep_the_per_case_table_on_the_engine(results):
    c = results["cases"]
    assert isinstance(c, Cases) and not isinstance(c.per_case, pd.DataFrame)
    assert len(c.to_pandas(limit=2)) == 2 and c.cases == 6
