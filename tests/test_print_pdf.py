"""Printing the report to PDF from a browser gives clean pages: headless Chromium ``--print-to-pdf``,
then the pages are read back with pypdf.

Checked: A4 pages and a bounded page count; the process map starts a page and is on one page with
every step's label inside the page (not cut); the mined BPMN is on one page; no control (sliders,
buttons, search box) is printed. A control prints the same report without its print stylesheet and
sees the map cut, so the check can fail.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pypdf
import pytest
from test_report_browser import FLAGS, chromium  # noqa: F401 - the fixture

import cspm
from cspm.pipeline import build_report

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"
A4 = (595.0, 842.0)  # points


def print_to_pdf(exe: str, html: Path, pdf: Path) -> None:
    cmd = [exe, *FLAGS, f"--user-data-dir={pdf.parent / 'profile'}", "--no-pdf-header-footer",
           "--virtual-time-budget=5000", f"--print-to-pdf={pdf}", html.as_uri()]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0 and pdf.is_file(), proc.stderr[-2000:]


def pages(pdf: Path) -> list[tuple[tuple[float, float], list[tuple[str, float, float]]]]:
    """Per page: its size and its text pieces with their positions (points)."""
    out = []
    for page in pypdf.PdfReader(str(pdf)).pages:
        pieces: list[tuple[str, float, float]] = []

        def visit(text, cm, tm, _font, _size, pieces=pieces):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                pieces.append((text, x, y))

        page.extract_text(visitor_text=visit)
        out.append(((float(page.mediabox.width), float(page.mediabox.height)), pieces))
    return out


def page_text(page) -> str:
    return re.sub(r"\s+", " ", " ".join(t for t, _, _ in page[1]))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("print")
    log = cspm.read(SAMPLES / "tickets_en.csv", config=SAMPLES / "cspm.example.yaml")
    d = cspm.discover(log)
    model = d.model()
    build_report(log, discovery=d, model=model, path=tmp / "report.html")
    steps = sorted(d.activities.table.activity)
    tasks = sorted({t.label for t in model.net.transitions if t.label is not None})
    return tmp, steps, tasks


def drawn(step: str, text: str) -> bool:
    """Whether ``text`` has the map's label of ``step`` ('<step> wait …', or '… case start')."""
    return re.search(re.escape(step) + r" (wait|case start)", text) is not None


def map_pages(printed, steps: list[str]) -> list[int]:
    """The pages that show a step label of the map."""
    return sorted({i for i, p in enumerate(printed) for step in steps if drawn(step, page_text(p))})


def test_printed_report_has_clean_pages(chromium, report):  # noqa: F811
    tmp, steps, tasks = report
    pdf = tmp / "report.pdf"
    print_to_pdf(chromium, tmp / "report.html", pdf)
    printed = pages(pdf)
    assert 4 <= len(printed) <= 12, len(printed)
    for size, _ in printed:
        assert abs(size[0] - A4[0]) < 2 and abs(size[1] - A4[1]) < 2, size
    # the map: its own page, every step's label on it, inside the page
    on = map_pages(printed, steps)
    assert len(on) == 1, on
    page = printed[on[0]]
    text = page_text(page)
    assert text.startswith("Process maps"), text[:80]
    for step in steps:
        assert drawn(step, text), step
    (w, h), pieces = page
    for t, x, y in pieces:
        assert -1 <= x <= w and -1 <= y <= h, (t, x, y)
    # the mined BPMN: every task name on the one page of the model section
    model_page = next(i for i, p in enumerate(printed) if "Process model (inductive" in page_text(p))
    model_text = page_text(printed[model_page]).replace(" ", "")
    assert all(t.replace(" ", "") in model_text for t in tasks)
    # no controls in print
    everything = " ".join(page_text(p) for p in printed)
    assert "Find a step" not in everything and "Median wait Mean wait" not in everything


def test_control_without_print_stylesheet_cuts_the_map(chromium, report):  # noqa: F811
    """Control: without the print stylesheet (and the script that fits the map to the screen) the
    printed map is clipped or split."""
    tmp, steps, _ = report
    html = (tmp / "report.html").read_text(encoding="utf-8")
    start = html.index("@media print {")
    end = html.index("\n}\n", start) + 3
    html = html[:start] + html[end:]
    start = html.index("<script>\n(function")
    end = html.index("</script>", start) + len("</script>")
    bare = tmp / "bare.html"
    bare.write_text(html[:start] + html[end:], encoding="utf-8")
    pdf = tmp / "bare.pdf"
    print_to_pdf(chromium, bare, pdf)
    printed = pages(pdf)
    on = map_pages(printed, steps)
    text = " ".join(page_text(printed[i]) for i in on)
    missing = [s for s in steps if not drawn(s, text)]
    assert len(on) > 1 or missing, "without the print stylesheet the map is cut or clipped"
    assert len(missing) >= 3, missing
