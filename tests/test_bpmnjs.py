"""Real modelling tools open cspm's BPMN: bpmn-js (the bpmn.io viewer) imports the mined
``model.bpmn`` and ``sample_logs/to_be.bpmn`` inside headless Chromium without warnings and draws
every task of the file.

bpmn-js comes from the npm registry: ``npm install --prefix build/npm bpmn-js@18`` (`.ci/run` does
it; ``CSPM_BPMNJS`` may name another ``bpmn-viewer.production.min.js``). Without it the test skips
with ``BPMNJS-SKIPPED`` and `.ci/run` fails.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
from test_report_browser import (
    chromium,  # noqa: F401 - the fixture
    run_chromium,
)

import cspm

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"
VIEWER = Path(os.environ.get("CSPM_BPMNJS")
              or ROOT / "build" / "npm" / "node_modules" / "bpmn-js" / "dist" / "bpmn-viewer.production.min.js")  # fmt: skip
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="{viewer}"></script></head>
<body><div id="canvas" style="width:1600px;height:1000px"></div><pre id="out">pending</pre>
<script>
var xml = {xml};
var viewer = new BpmnJS({{ container: "#canvas" }});
function report(value) {{ document.getElementById("out").textContent = JSON.stringify(value); }}
viewer.importXML(xml).then(function (result) {{
  var registry = viewer.get("elementRegistry");
  var tasks = registry.filter(function (e) {{ return e.type === "bpmn:Task"; }}).map(function (e) {{
    var gfx = registry.getGraphics(e);
    return {{ id: e.id, name: e.businessObject.name || "",
             shape: !!(gfx && gfx.querySelector(".djs-visual rect")),
             text: gfx ? gfx.querySelector(".djs-visual").textContent : "",
             width: e.width, height: e.height }};
  }});
  report({{ warnings: result.warnings.map(function (w) {{ return w.message; }}), tasks: tasks,
           flows: registry.filter(function (e) {{ return e.type === "bpmn:SequenceFlow"; }}).length }});
}}).catch(function (err) {{ report({{ error: String(err), warnings: (err.warnings || []).map(function (w) {{ return w.message; }}) }}); }});
</script></body></html>
"""


@pytest.fixture(scope="module")
def viewer() -> Path:
    if not VIEWER.is_file():
        pytest.skip(f"BPMNJS-SKIPPED: bpmn-js not found at {VIEWER} (npm install --prefix build/npm bpmn-js@18)")
    return VIEWER


def tasks_in_file(path: Path) -> dict[str, str]:
    """Task id → name, read from the BPMN file itself."""
    tree = lxml.etree.parse(str(path))
    return {t.get("id"): t.get("name") or "" for t in tree.iter(f"{{{BPMN_NS}}}task")}


def open_in_bpmnjs(exe: str, viewer: Path, bpmn: Path, tmp: Path, *, quiet: bool = True) -> dict:
    page = tmp / f"{bpmn.stem}.html"
    xml = bpmn.read_text(encoding="utf-8")
    page.write_text(PAGE.format(viewer=viewer.as_uri(), xml=json.dumps(xml).replace("</", "<\\/")), encoding="utf-8")
    dom, console = run_chromium(exe, tmp, page.as_uri(), "--dump-dom", "--allow-file-access-from-files")
    if quiet:
        assert console == [], console
    out = lxml.html.fromstring(dom).get_element_by_id("out").text_content()
    assert out != "pending", "bpmn-js did not finish the import"
    return json.loads(out)


def check_opens(exe: str, viewer: Path, bpmn: Path, tmp: Path) -> dict:
    expected = tasks_in_file(bpmn)
    assert expected, "the file has tasks"
    result = open_in_bpmnjs(exe, viewer, bpmn, tmp)
    assert "error" not in result, result
    assert result["warnings"] == []
    drawn = {t["id"]: t for t in result["tasks"]}
    assert set(drawn) == set(expected)  # every task of the file is an element of the diagram …
    for task_id, name in expected.items():
        t = drawn[task_id]
        assert t["shape"] and t["width"] > 0 and t["height"] > 0, t  # … drawn as a shape …
        assert t["name"] == name and "".join(name.split()) in "".join(t["text"].split()), t  # … with its name
    return result


def test_bpmnjs_reports_a_broken_file(chromium, viewer, tmp_path):  # noqa: F811
    """Control: the harness sees bpmn-js's import warnings (a flow pointing to a missing task)."""
    bad = tmp_path / "bad.bpmn"
    good = (SAMPLES / "to_be.bpmn").read_text(encoding="utf-8")
    flow = next(lxml.etree.parse(str(SAMPLES / "to_be.bpmn")).iter(f"{{{BPMN_NS}}}sequenceFlow"))
    bad.write_text(good.replace(f'targetRef="{flow.get("targetRef")}"', 'targetRef="missing_task"', 1), encoding="utf-8")
    result = open_in_bpmnjs(chromium, viewer, bad, tmp_path, quiet=False)
    assert any("missing_task" in w or "targetRef" in w or "target" in w.lower() for w in result["warnings"]), result


def test_to_be_model_opens_in_bpmnjs(chromium, viewer, tmp_path):  # noqa: F811
    check_opens(chromium, viewer, SAMPLES / "to_be.bpmn", tmp_path)


def test_mined_model_opens_in_bpmnjs(chromium, viewer, tmp_path):  # noqa: F811
    log = cspm.read(SAMPLES / "tickets_en.csv", config=SAMPLES / "cspm.example.yaml")
    model = cspm.discover(log).model(noise=0.2)
    path = model.save_bpmn(tmp_path / "model.bpmn")
    result = check_opens(chromium, viewer, path, tmp_path)
    labels = {t["name"] for t in result["tasks"]}
    assert labels == {t.label for t in model.net.transitions if t.label is not None}  # the Petri net's steps
    assert len(labels) >= 10
    assert result["flows"] == sum(1 for _ in lxml.etree.parse(str(path)).iter(f"{{{BPMN_NS}}}sequenceFlow"))
