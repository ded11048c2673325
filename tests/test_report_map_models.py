"""The process models drawn in the report: the mined BPMN as an SVG (every task, every gateway of
``model.bpmn``), and the to-be model with the deviations drawn on it when one is given."""

from __future__ import annotations

from pathlib import Path

import lxml.etree
import lxml.html
import pytest

import cspm
from cspm.pipeline import build_report

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"
BPMN_NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@pytest.fixture(scope="module")
def sample():
    log = cspm.read(SAMPLES / "tickets_en.csv", config=SAMPLES / "cspm.example.yaml")
    d = cspm.discover(log)
    return log, d, d.model(noise=0.2)


def svg_classes(section) -> list[str]:
    return [g.get("class") or "" for g in section.xpath(".//*[local-name()='g']")]


def test_mined_bpmn_is_drawn_in_the_report(sample, tmp_path):
    log, d, model = sample
    html = build_report(log, discovery=d, model=model).render()
    section = lxml.html.fromstring(html).get_element_by_id("model")
    texts = " ".join(t.text_content() for t in section.xpath(".//*[local-name()='svg']//*[local-name()='text']"))
    # independent: the BPMN file pm4py writes
    xml = lxml.etree.parse(str(model.save_bpmn(tmp_path / "model.bpmn")))
    tasks = [t.get("name") for t in xml.iter(f"{BPMN_NS}task")]
    assert len(tasks) >= 10
    for name in tasks:
        assert name in texts, name
    classes = svg_classes(section)
    for kind, tag in (("task", "task"), ("exclusive", "exclusiveGateway"), ("parallel", "parallelGateway"),
                      ("start", "startEvent"), ("end", "endEvent")):  # fmt: skip
        assert sum(f"bpmn-{kind}" in c for c in classes) == sum(1 for _ in xml.iter(f"{BPMN_NS}{tag}")), kind
    edges = sum(c.split()[0] == "edge" for c in classes if c)
    assert edges == sum(1 for _ in xml.iter(f"{BPMN_NS}sequenceFlow"))
    assert f"{len(tasks)} tasks" in section.text_content()


def test_to_be_model_with_its_deviations_is_drawn(sample):
    log, d, _ = sample
    steps = [t.get("name") for t in lxml.etree.parse(str(SAMPLES / "to_be.bpmn")).iter(f"{BPMN_NS}task")]
    assert len(steps) >= 5
    result = cspm.conformance(log, model=SAMPLES / "to_be.bpmn")
    html = build_report(log, [result], discovery=d).render()
    section = lxml.html.fromstring(html).get_element_by_id("conformance")
    svg = section.xpath(".//*[local-name()='svg']")
    assert len(svg) == 1
    texts = " ".join(t.text_content() for t in svg[0].xpath(".//*[local-name()='text']"))
    for step in steps:
        assert step in texts, step
    skipped = result.skipped
    assert len(skipped) >= 1 and len(result.unexpected) >= 1
    top = skipped.iloc[0]
    assert f"skipped by {int(top.tickets):,} tickets" in texts
    first = result.unexpected.iloc[0]
    assert f"+ {first.step}" in texts and f"unexpected in {int(first.tickets):,} tickets" in texts
