"""The explorable process map of the report, driven in headless Chromium.

A copy of the report gets a small driver script that moves the activity and path sliders through
every position, switches the measure, clicks a transition, types in the search box and exports the
charts; it writes what the page shows into the page, which ``--dump-dom`` returns. The figures are
checked against the library (``discovery.process_map(measure, activities=a, paths=p)``) and against
an independent pandas computation of the slowest tickets through a transition.
"""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pandas as pd
import pytest
from test_report_browser import (
    chromium,  # noqa: F401 - the fixture
    run_chromium,
)

import cspm
from cspm.pipeline import build_report, map_explorer
from cspm.render.explorer import edge_key, node_key
from cspm.units import format_duration

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"

DRIVER = """
<script>
document.addEventListener("DOMContentLoaded", function () { setTimeout(drive, 0); });
function fire(el, type) { el.dispatchEvent(new Event(type, { bubbles: true })); }
function drive() {
  var sec = document.getElementById("maps");
  var data = JSON.parse(document.getElementById("maps-data").textContent);
  var act = sec.querySelector(".map-activities"), pth = sec.querySelector(".map-paths");
  var out = { initial: sec.getAttribute("data-shown"), grid: [] };
  function shown() { return sec.querySelector(".map-view:not([hidden])"); }
  function keys(view, sel, prefix) {
    var found = [];
    view.querySelectorAll(sel).forEach(function (g) {
      if (g.classList.contains("cspm-hidden")) { return; }
      g.classList.forEach(function (c) { if (c.indexOf(prefix) === 0) { found.push(c.slice(prefix.length)); } });
    });
    return found.sort();
  }
  for (var i = 0; i <= Number(act.max); i++) {
    act.value = String(i); fire(act, "input");
    for (var j = 0; j <= Number(pth.max); j++) {
      pth.value = String(j); fire(pth, "input");
      var v = shown(), status = sec.querySelector(".map-status");
      out.grid.push({ act: i, path: j, views: sec.querySelectorAll(".map-view:not([hidden])").length,
        measure: v.getAttribute("data-view"), level: Number(v.getAttribute("data-level")),
        nodes: keys(v, "g.cspm-node", "cspm-k-"), edges: keys(v, "g.cspm-edge", "cspm-k-"),
        starts: keys(v, "g.cspm-start-edge", "cspm-s-"), ends: keys(v, "g.cspm-end-edge", "cspm-t-"),
        status: [Number(status.getAttribute("data-steps")), Number(status.getAttribute("data-transitions"))] });
    }
  }
  act.value = act.max; fire(act, "input"); pth.value = pth.max; fire(pth, "input");
  // the measure switch: the label of one transition under each statistic, then frequency
  var edge = shown().querySelector("g.cspm-edge:not(.cspm-hidden)");
  var ek = Array.prototype.find.call(edge.classList, function (c) { return c.indexOf("cspm-k-") === 0; }).slice(7);
  out.edge = ek; out.labels = {};
  sec.querySelectorAll(".map-tabs button[data-stat]").forEach(function (b) {
    b.click();
    var g = shown().querySelector("g.cspm-k-" + ek);
    out.labels[b.getAttribute("data-stat")] = { view: shown().getAttribute("data-view"), text: g.querySelector("text").textContent,
      legend: sec.querySelector(".legend-stat").textContent, selected: b.getAttribute("aria-selected") };
  });
  sec.querySelector(".map-tabs button[data-stat='median']").click();
  // click a transition: the details panel
  shown().querySelector("g.cspm-k-" + ek + " path").dispatchEvent(new MouseEvent("click", { bubbles: true }));
  var panel = sec.querySelector(".map-details");
  out.details = { hidden: panel.hidden, title: panel.querySelector("h3").textContent,
    rows: Array.prototype.map.call(panel.querySelectorAll("tr"), function (tr) { return [tr.cells[0].textContent, tr.cells[1].textContent]; }),
    sample: Array.prototype.map.call(panel.querySelectorAll("li"), function (li) { return li.textContent; }) };
  // hover a step: the tooltip; click it: its figures with target and breach
  var node = shown().querySelector("g.cspm-k-" + STEP_KEY);
  node.querySelector("text").dispatchEvent(new MouseEvent("mouseover", { bubbles: true, clientX: 100, clientY: 100 }));
  var tip = sec.querySelector(".map-tip");
  out.tip = { hidden: tip.hidden, text: tip.textContent };
  node.querySelector("text").dispatchEvent(new MouseEvent("click", { bubbles: true }));
  out.step = { title: panel.querySelector("h3").textContent,
    rows: Array.prototype.map.call(panel.querySelectorAll("tr"), function (tr) { return [tr.cells[0].textContent, tr.cells[1].textContent]; }),
    sample: panel.querySelectorAll("li").length };
  // search for a step
  var search = sec.querySelector(".map-search");
  search.value = "ASSIGN"; fire(search, "input");
  out.search = { hits: Number(sec.querySelector(".map-search-result").getAttribute("data-hits")),
    matched: keys(shown(), "g.cspm-node.cspm-match", "cspm-k-") };
  // export: every chart has its buttons; the map exports as SVG and PNG
  out.chartButtons = document.querySelectorAll(".chart-export button").length;
  out.charts = document.querySelectorAll(".cspm-chart svg, figure.network svg, figure.chart svg").length;
  var svg = shown().querySelector("svg");
  Promise.all([cspmExportChart(svg, "svg").then(function (b) { return b.text(); }),
               cspmExportChart(svg, "png").then(function (b) { return b.arrayBuffer().then(function (a) { return [b.type, a.byteLength, Array.from(new Uint8Array(a.slice(0, 4)))]; }); })])
    .then(function (r) { out.svg = r[0].slice(0, 200); out.svgHasNodes = (r[0].match(/cspm-node/g) || []).length; out.png = r[1]; finish(); },
          function (e) { out.exportError = String(e); finish(); });
  function finish() {
    var pre = document.createElement("pre"); pre.id = "test-results"; pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
}
</script>
"""


@pytest.fixture(scope="module")
def sample():
    log = cspm.read(SAMPLES / "tickets_en.csv", config=SAMPLES / "cspm.example.yaml")
    cfg = cspm.load_config(SAMPLES / "cspm.example.yaml")
    w = cspm.waiting(log, cfg)
    return log, w, cspm.discover(log)


@pytest.fixture(scope="module")
def driven(sample, chromium, tmp_path_factory):  # noqa: F811
    log, w, d = sample
    tmp = tmp_path_factory.mktemp("map")
    steps, edges = w.breaching_steps(), w.breaching_edges()
    explorer = map_explorer(log, w, highlight_steps=steps, highlight_edges=edges)
    build_report(log, [w], tmp / "report.html", discovery=d, maps=explorer, model=d.model())
    html = (tmp / "report.html").read_text(encoding="utf-8")
    driver = DRIVER.replace("STEP_KEY", json.dumps(node_key("Assign L2")))
    (tmp / "driven.html").write_text(html.replace("</body>", driver + "</body>"), encoding="utf-8")
    dom, console = run_chromium(chromium, tmp, (tmp / "driven.html").as_uri(), "--dump-dom")
    assert console == [], console
    results = lxml.html.fromstring(dom).get_element_by_id("test-results").text_content()
    return explorer, steps, edges, json.loads(results), html


def test_sliders_show_the_library_simplification_at_every_level(sample, driven):
    log, w, d = sample
    explorer, steps, edges, out, _ = driven
    shares, paths = [lv.share for lv in explorer.levels], list(explorer.paths)
    assert len(shares) >= 5 and len(paths) >= 5  # the sample log has 17 steps: several distinct levels
    assert len(out["grid"]) == len(shares) * len(paths)
    seen = set()
    for cell in out["grid"]:
        a, p = len(shares) - 1 - cell["act"], len(paths) - 1 - cell["path"]  # right = more
        m = d.process_map("performance", activities=shares[a], paths=paths[p], highlight_steps=steps, highlight_edges=edges)
        assert cell["views"] == 1 and cell["measure"] == "performance" and cell["level"] == a
        assert cell["nodes"] == sorted(node_key(x) for x in m.nodes.activity), (shares[a], paths[p])
        assert cell["edges"] == sorted(edge_key(s, t) for s, t in zip(m.edges.source, m.edges.target, strict=True))
        assert cell["starts"] == sorted(node_key(x) for x, n in zip(m.nodes.activity, m.nodes.starts, strict=True) if n)
        assert cell["ends"] == sorted(node_key(x) for x, n in zip(m.nodes.activity, m.nodes.ends, strict=True) if n)
        assert cell["status"] == [len(m.nodes), len(m.edges)]
        seen.add((len(m.nodes), len(m.edges)))
    assert len(seen) >= 10  # the sliders really change the map
    assert out["grid"][-1]["status"] == [17, len(d.dfg.edges)]  # both sliders right: the whole map


def test_measure_switch_relabels_the_transitions(sample, driven):
    _, _, d, out = driven[0], None, sample[2], driven[3]
    e = next(r for r in d.dfg.edges.itertuples() if edge_key(r.source, r.target) == out["edge"])
    warn = "⚠ " if (e.source, e.target) in set(driven[2]) else ""
    expected = {"median": format_duration(e.wait_median), "mean": format_duration(e.wait_mean),
                "p90": format_duration(e.wait_p90), "total": format_duration(e.wait_total)}  # fmt: skip
    assert len(set(expected.values())) == 4  # four different labels for this transition
    for stat, text in expected.items():
        got = out["labels"][stat]
        assert got == {"view": "performance", "text": warn + text, "selected": "true",
                       "legend": {"p90": "P90"}.get(stat, stat)}, stat  # fmt: skip
    assert out["labels"]["frequency"]["view"] == "frequency"
    assert out["labels"]["frequency"]["text"] == warn + f"{int(e.count):,}"


def test_clicking_a_transition_shows_its_figures_and_slowest_tickets(sample, driven):
    log, _, d, = sample
    out = driven[3]
    e = next(r for r in d.dfg.edges.itertuples() if edge_key(r.source, r.target) == out["edge"])
    details = out["details"]
    assert details["hidden"] is False
    assert details["title"].removeprefix("⚠ ") == f"{e.source} → {e.target}"
    rows = dict(details["rows"])
    assert rows["Transitions"] == f"{int(e.count):,}" and rows["Tickets"] == f"{int(e.cases):,}"
    assert rows["Median wait"] == format_duration(e.wait_median)
    # the slowest tickets through it, computed independently with pandas
    ev = log.ordered().to_pandas()
    ev["next"] = ev.groupby("case_id").activity.shift(-1)
    start = ev["start_timestamp"].fillna(ev.timestamp) if "start_timestamp" in ev else ev.timestamp
    lead = (ev.groupby("case_id").timestamp.max() - start.groupby(ev.case_id).min()).dt.total_seconds()
    cases = ev[(ev.activity == e.source) & (ev.next == e.target)].case_id.unique()
    slow = pd.DataFrame({"case": cases, "lead": lead.loc[cases].to_numpy()}).sort_values(["lead", "case"], ascending=[False, True])
    assert details["sample"] == [f"{c} — {format_duration(x)}" for c, x in zip(slow.case[:5], slow.lead[:5], strict=True)]


def test_clicking_a_step_with_a_target_shows_target_and_breach(sample, driven):
    explorer = driven[0]
    item = explorer.data()["levels"][0]["items"][node_key("Assign L2")]
    assert item["warn"] is True
    assert item["target"]["target"] == "85% of waits within 1.0 h (business time)"
    assert item["target"]["breach"].startswith("yes: P85 is 14.0× the target")
    assert "P85" in explorer.breach_rule and "business time" in explorer.breach_rule


def test_hover_and_click_on_a_step_show_its_figures_target_and_breach(sample, driven):
    d = sample[2]
    out = driven[3]
    row = d.activities.table.set_index("activity").loc["Assign L2"]
    assert out["tip"]["hidden"] is False
    assert out["tip"]["text"] == f"Assign L2 · Events {int(row.events):,} · Tickets {int(row.cases):,} · Tickets starting here 0"
    assert out["step"]["title"] == "⚠ Assign L2"
    rows = dict(out["step"]["rows"])
    assert rows["Events"] == f"{int(row.events):,}" and rows["Median wait before"] == format_duration(row.wait_before_median)
    assert rows["Target"] == "85% of waits within 1.0 h (business time)"
    assert rows["Breach"].startswith("yes: P85 is 14.0× the target")
    assert out["step"]["sample"] == 5


def test_search_marks_the_matching_steps(sample, driven):
    d = sample[2]
    out = driven[3]
    expected = sorted(node_key(a) for a in d.activities.table.activity if "assign" in a.lower())
    assert out["search"] == {"hits": len(expected), "matched": expected} and len(expected) >= 1


def test_every_chart_exports_as_svg_and_png(driven):
    out = driven[3]
    assert "exportError" not in out, out.get("exportError")
    assert out["charts"] >= 2 and out["chartButtons"] == 2 * out["charts"]
    assert out["svg"].startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in out["svg"]
    assert out["svgHasNodes"] >= 17
    kind, size, magic = out["png"]
    assert kind == "image/png" and size > 10_000 and magic == [0x89, 0x50, 0x4E, 0x47]


def test_legend_names_the_statistic_and_clock_on_the_map(driven):
    legend = lxml.html.fromstring(driven[4]).get_element_by_id("maps").find_class("map-legend")[0].text_content()
    assert "median" in legend and "calendar time" in legend and "⚠" in legend and "business time" in legend
    rows = [(f"c{c}", a, f"2024-01-0{c + 1} {10 + i}:00:00") for c in range(3) for i, a in enumerate("ABC")]
    log = cspm.read(pd.DataFrame(rows, columns=["case", "act", "ts"]), case_id="case", activity="act", timestamp="ts")
    plain = build_report(log).render()
    legend = lxml.html.fromstring(plain).get_element_by_id("maps").find_class("map-legend")[0].text_content()
    assert "No targets given: nothing is marked ⚠." in legend
