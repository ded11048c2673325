"""The report in headless Chromium: no console messages, the maps' SVG and node labels present.

Needs Debian's `chromium` (`apt-get install chromium`); `.ci/run` installs it. A screenshot of the
report is saved to ci-artifacts/report.png.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pandas as pd
import pytest

import cspm
from cspm.pipeline import build_report

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "ci-artifacts"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
CONSOLE = re.compile(r":CONSOLE[:(]\d*\)?\]?\s*(\".*)$")


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = chromium_binary()
    if exe is None:
        pytest.skip("BROWSER-SKIPPED: chromium is not installed (apt-get install chromium)")
    return exe


def run_chromium(exe: str, tmp: Path, url: str, *extra: str) -> tuple[str, list[str]]:
    """(stdout, console messages) of one headless Chromium run."""
    cmd = [exe, *FLAGS, f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr", "--v=0",
           "--virtual-time-budget=5000", *extra, url]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [m.group(1) for line in proc.stderr.splitlines() if (m := CONSOLE.search(line))]
    return proc.stdout, console


def test_console_messages_are_detected(chromium, tmp_path):
    """Control: the harness sees console errors and uncaught exceptions."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>'
                    '<script>console.error("boom"); missingFunction();</script></body></html>')  # fmt: skip
    _, console = run_chromium(chromium, tmp_path, page.as_uri(), "--dump-dom")
    assert any("boom" in m for m in console)
    assert any("missingFunction" in m for m in console)


def check_report(exe: str, tmp: Path, report: Path, labels: list[str], screenshot: Path | None = None) -> None:
    dom, console = run_chromium(exe, tmp, report.as_uri(), "--dump-dom")
    assert console == [], console
    doc = lxml.html.fromstring(dom)
    # the report's script ran to its end
    assert doc.getroottree().getroot().get("data-maps-ready") == "true"
    maps = doc.get_element_by_id("maps")
    views = maps.xpath(".//div[@class='map-view']")
    svgs = maps.xpath(".//*[local-name()='svg']")
    assert len(svgs) == len(views) >= 2  # each measure at each activity level of the explorer
    shown = [v for v in views if v.get("hidden") is None]
    assert len(shown) == 1 and shown[0].get("data-view") == "performance"
    svgs = shown[0].xpath(".//*[local-name()='svg']")
    canvas = shown[0].xpath(".//div[@class='map-canvas']")[0]
    assert "scale(" in (canvas.get("style") or "")  # fitted to the viewport by the script
    texts = {t.text_content() for t in svgs[0].xpath(".//*[local-name()='text']")}
    nodes = svgs[0].xpath(".//*[local-name()='g'][contains(@class, 'node')]")
    assert len(nodes) == len(labels) + 2  # activities plus start and end
    for label in labels:
        assert label in texts, label
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        run_chromium(exe, tmp, report.as_uri(), f"--screenshot={screenshot}", "--window-size=1280,1400")
        assert screenshot.stat().st_size > 10_000


def test_helpdesk_report_in_chromium(chromium, helpdesk_log, tmp_path):
    report = build_report(helpdesk_log, path=tmp_path / "report.html")
    labels = sorted(report.sections[1].levels[0].base.nodes.activity)  # type: ignore[attr-defined]
    assert len(labels) == 14
    check_report(chromium, tmp_path, tmp_path / "report.html", labels, ARTIFACTS / "report.png")


def test_report_with_hostile_names_in_chromium(chromium, tmp_path):
    names = ['Say "hi"', "back\\slash", "<script>alert(1)</script>", "处理工单", "R&D &lt; 50%"]
    rows = []
    for c in range(4):
        seq = names[:4] if c % 2 else [names[0], names[3], names[4], names[2]]
        rows += [(f"c{c}", a, f"2024-01-0{c + 1} {10 + i}:00:00") for i, a in enumerate(seq)]
    log = cspm.read(pd.DataFrame(rows, columns=["case", "act", "ts"]), case_id="case", activity="act", timestamp="ts")
    build_report(log, path=tmp_path / "report.html")
    check_report(chromium, tmp_path, tmp_path / "report.html", names)
