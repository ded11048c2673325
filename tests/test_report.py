"""The HTML report: self-contained, every name escaped, sections pluggable."""

from __future__ import annotations

import json
from dataclasses import dataclass

import lxml.html
import pandas as pd
import pytest

import cspm
from cspm.pipeline import build_report
from cspm.render.report import ReportSection

WEIRD = ['Say "hi"', "back\\slash", "<script>alert(1)</script>", "处理工单", "R&D &lt; 50%"]


@pytest.fixture(scope="module")
def weird_log() -> cspm.TicketLog:
    rows = []
    for c in range(6):
        seq = [WEIRD[0], WEIRD[1], WEIRD[2], WEIRD[3]] if c % 2 else [WEIRD[0], WEIRD[3], WEIRD[4], WEIRD[2]]
        rows += [(f"c{c}", a, f"2024-01-0{c + 1} {10 + i}:00:00") for i, a in enumerate(seq)]
    return cspm.read(pd.DataFrame(rows, columns=["case", "act", "ts"]), case_id="case", activity="act", timestamp="ts")


@dataclass
class ExtraSection:
    section_id: str = "extra"
    section_title: str = "Extra <b>section</b>"
    section_template: str = "section_quality.html.j2"

    def section_context(self) -> dict:
        return {"figures": [("breaches of <target>", "3")], "warnings": ["late & slow"]}


@pytest.fixture(scope="module")
def weird_html(weird_log, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("report") / "report.html"
    build_report(weird_log, sections=[ExtraSection()], path=path)
    return path.read_text(encoding="utf-8")


def test_names_are_escaped_everywhere(weird_html):
    # the only script elements are the report's own and the map explorer's data (JSON, not run)
    assert weird_html.count("<script") == 2
    assert "<script>alert(1)" not in weird_html
    doc = lxml.html.fromstring(weird_html)
    scripts = doc.xpath("//script")
    assert len(scripts) == 2 and [s.get("type") for s in scripts] == ["application/json", None]
    data = json.loads(scripts[0].text_content())
    names = {item["name"] for item in data["levels"][0]["items"].values() if item["kind"] == "step"}
    assert names == set(WEIRD)  # the data carries every name exactly
    text = doc.text_content()
    for name in WEIRD:
        assert name in text, name  # shown exactly as written (after the browser's unescaping)
    # in the map SVG too
    svg_texts = [t.text_content() for t in doc.xpath("//*[local-name()='svg']//*[local-name()='text']")]
    for name in WEIRD:
        assert any(name in t for t in svg_texts), name
    variants = doc.get_element_by_id("variants").text_content()
    assert "<script>alert(1)</script>" in variants and "处理工单" in variants


def test_self_contained(weird_html):
    doc = lxml.html.fromstring(weird_html)
    assert not doc.xpath("//link[@rel='stylesheet'] | //script[@src] | //img[@src] | //iframe")
    for el in doc.xpath("//*[@href]"):
        href = el.get("href")
        assert href.startswith(("#", "data:")), href
    assert doc.xpath("//style")


def test_sections_and_extra_section(weird_html):
    doc = lxml.html.fromstring(weird_html)
    ids = [s.get("id") for s in doc.xpath("//section")]
    assert ids == ["overview", "maps", "variants", "transitions", "quality", "extra"]
    nav = [a.text_content().strip() for a in doc.xpath("//nav/a")]
    assert nav[-1] == "Extra <b>section</b>"  # escaped, shown literally
    extra = doc.get_element_by_id("extra").text_content()
    assert "breaches of <target>" in extra and "late & slow" in extra
    maps = doc.get_element_by_id("maps")
    assert [b.get("data-stat") for b in maps.xpath(".//button[@data-measure]")] == \
        ["median", "mean", "p90", "total", "frequency"]
    views = maps.xpath(".//div[@class='map-view']")
    assert len(maps.xpath(".//*[local-name()='svg']")) == len(views) >= 2
    assert {v.get("data-view") for v in views} == {"performance", "frequency"}


def test_section_protocol_checks(weird_log):
    assert isinstance(ExtraSection(), ReportSection)
    with pytest.raises(TypeError, match="not a report section"):
        build_report(weird_log, sections=[object()])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="distinct section_id"):
        build_report(weird_log, sections=[ExtraSection(section_id="maps")]).render()


def test_report_figures_on_helpdesk(helpdesk_log, tmp_path):
    html = build_report(helpdesk_log, path=tmp_path / "r.html").render()
    doc = lxml.html.fromstring(html)
    overview = doc.get_element_by_id("overview").text_content()
    assert "4,580" in overview and "21,348" in overview and "226" in overview and "51.7%" in overview
    assert "40 d" in overview  # median lead time 3,443,836 s
    rows = doc.get_element_by_id("transitions").xpath(".//tbody/tr")
    assert [c.text_content() for c in rows[0].xpath("td")][:2] == ["Resolve ticket", "Closed"]
    assert "rows kept" in doc.get_element_by_id("quality").text_content()
