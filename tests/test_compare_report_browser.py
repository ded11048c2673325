"""The comparison, monitoring and ROI sections in headless Chromium: no console messages, the
difference map and the trend charts drawn, the verdicts and alerts shown (a standalone page each
and all three in one report)."""

from __future__ import annotations

import lxml.html
import pytest
from test_report_browser import chromium_binary, run_chromium

import cspm
from cspm.config import config_from_dict
from cspm.render.report import Report
from cspm.simulate import write_simulated_log

pytestmark = pytest.mark.browser

CFG = config_from_dict({
    "calendar": {"timezone": "Europe/Berlin"},
    "targets": {"steps": [{"step": "Assign L2", "max_wait": "4h", "attainment": 0.85, "clock": "business",
                           "name": "L2 <assignment> wait"}]},
    "costs": {"cost_per_handoff": 8, "cost_per_touch": 5, "investment": 10000},
})  # fmt: skip


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = chromium_binary()
    if exe is None:
        pytest.skip("BROWSER-SKIPPED: chromium is not installed (apt-get install chromium)")
    return exe


def test_verification_sections_in_chromium(chromium, tmp_path) -> None:
    path = write_simulated_log(tmp_path / "v.parquet", n_tickets=300, tickets_per_day=30, seed=3,
                               changes=[{"at": "2024-03-09", "team": "Billing", "bottleneck_wait_factor": 0.3}]).log  # fmt: skip
    log = cspm.read(path)
    c = cspm.compare(log, CFG, split="2024-03-09", group="team=Billing")
    m = cspm.monitor(log, CFG)
    r = cspm.roi(c, CFG, log=log)
    page = tmp_path / "report.html"
    page.write_text(Report(title="Verify", sections=[c, m, r]).render(), encoding="utf-8")
    standalone = c.save(tmp_path / "comparison.html")
    docs = []
    for target in (page, standalone):
        dom, console = run_chromium(chromium, tmp_path, target.as_uri(), "--dump-dom")
        assert console == [], console
        doc = lxml.html.fromstring(dom)
        section = doc.get_element_by_id("comparison")
        assert section.xpath(".//div[@class='map']//*[local-name()='svg']")  # the difference map
        assert "L2 <assignment> wait" in section.text_content()  # escaped, shown as written
        assert "Difference-in-differences" in section.text_content()
        docs.append(doc)
    doc = docs[0]
    charts = doc.get_element_by_id("monitor").xpath(".//div[@class='chart']/*[local-name()='svg']")
    assert len(charts) == len(m.charts()) >= 5
    assert "payback" in doc.get_element_by_id("roi").text_content()
