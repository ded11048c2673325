"""Layout that survives real logs: top-N plus "others" on networks and tables, diagrams fitted to
their card, a sensible default simplification for maps with many steps.

The logs are hand-made and large in the way real ones are (hundreds of teams, dozens of steps,
a diagram much wider than the page); the report is measured in headless Chromium.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from test_report_browser import (
    chromium,  # noqa: F401 - the fixture
    run_chromium,
)

import cspm
from cspm.mining.map_explorer import MAX_DEFAULT_STEPS, MAX_DRAWN_EDGES, MapExplorer
from cspm.pipeline import build_report
from cspm.render.graphviz import render_svg
from cspm.render.network import network_dot, top_nodes

ROOT = Path(__file__).resolve().parents[1]


def teams_network(n: int = 649, seed: int = 7) -> nx.DiGraph:
    """A handover network of ``n`` teams: a few busy ones, a long tail (like the real 649-team log)."""
    rng = np.random.default_rng(seed)
    g = nx.DiGraph(level="team")
    names = [f"Team {i:03d}" for i in range(n)]
    g.add_nodes_from(names)
    weights = 1.0 / np.arange(1, n + 1)
    weights /= weights.sum()
    for _ in range(4 * n):
        a, b = rng.choice(n, size=2, replace=False, p=weights)
        u, v = names[a], names[b]
        if g.has_edge(u, v):
            g.edges[u, v]["count"] += 1
        else:
            g.add_edge(u, v, count=1, median_wait_s=3600.0)
    return g


def test_network_shows_the_busiest_teams_and_one_others_node():
    g = teams_network()
    small, merged = top_nodes(g, 25)
    assert small.number_of_nodes() == 25 and merged == 649 - 24
    others = "625 other teams"
    assert small.nodes[others]["others"] is True
    # the kept teams are the busiest (handoffs in and out)
    busy = {n: sum(d["count"] for *_, d in g.in_edges(n, data=True)) + sum(d["count"] for *_, d in g.out_edges(n, data=True)) for n in g}
    kept = set(small) - {others}
    assert min(busy[n] for n in kept) >= max(busy[n] for n in set(g) - kept)
    # every handoff is still counted, except those among the merged teams
    among = sum(d["count"] for u, v, d in g.edges(data=True) if u not in kept and v not in kept)
    assert sum(d["count"] for *_, d in small.edges(data=True)) == sum(d["count"] for *_, d in g.edges(data=True)) - among
    into = sum(d["count"] for u, v, d in g.edges(data=True) if u in kept and v not in kept)
    assert sum(d["count"] for u, v, d in small.edges(data=True) if v == others) == into
    # a merged edge has no median wait; an edge between kept teams keeps its own
    assert all(d["median_wait_s"] is None for u, v, d in small.edges(data=True) if others in (u, v))
    assert all(d["median_wait_s"] == 3600.0 for u, v, d in small.edges(data=True) if others not in (u, v))


def test_network_of_649_teams_draws_a_page_not_a_45000_px_column():
    dot = network_dot(teams_network(), title="Handover of work (team)")
    assert "625 other teams" in dot and "the 24 busiest and 625 others merged" in dot
    svg = render_svg(dot)
    width, height = (float(x) for x in re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
    assert height < 2500 and width < 5000, (width, height)
    assert len(re.findall(r'class="node"', svg)) <= 25
    assert network_dot(teams_network(20), max_nodes=25).count("other") == 0  # small networks unchanged


def many_steps_log(steps: int = 34, cases: int = 200, seed: int = 3) -> cspm.TicketLog:
    """Tickets that pass through a long tail of ``steps`` activities (Zipf-like frequencies)."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, steps + 1) ** 1.2
    p /= p.sum()
    rows = []
    for c in range(cases):
        seq = ["Open", *(f"Step {k:02d}" for k in rng.choice(steps, size=rng.integers(2, 7), p=p)), "Close"]
        rows += [(f"T{c:04d}", a, pd.Timestamp("2024-01-01") + pd.Timedelta(hours=c + i)) for i, a in enumerate(seq)]
    return cspm.read(pd.DataFrame(rows, columns=["case", "act", "ts"]), case_id="case", activity="act", timestamp="ts")


@pytest.fixture(scope="module")
def big_log() -> cspm.TicketLog:
    return many_steps_log()


def test_map_with_many_steps_opens_simplified(big_log):
    d = cspm.discover(big_log)
    assert len(d.activities.table) == 36
    ex = MapExplorer.from_log(big_log)
    a, p = ex.initial
    steps, edges = ex.shown(a, p)
    assert a > 0 and steps <= MAX_DEFAULT_STEPS
    assert len(ex.levels[a - 1].base.nodes) > MAX_DEFAULT_STEPS  # the largest level that fits
    m = d.process_map("frequency", activities=ex.levels[a].share, paths=ex.paths[p])
    assert (steps, edges) == (len(m.nodes), len(m.edges))
    # no level draws more than MAX_DRAWN_EDGES transitions: a crowded level is drawn from the first
    # path level within the budget, and the lower path positions show that level
    full = ex.levels[0]
    assert len(full.base.edges) > MAX_DRAWN_EDGES and full.drawn_from > 0
    for lv in ex.levels:
        kept = {e for k in lv.paths[lv.drawn_from:] for e in k["edges"]}
        assert len(lv.drawn.edges) == len(kept) <= MAX_DRAWN_EDGES + 10
        assert all(k == lv.paths[lv.drawn_from] for k in lv.paths[: lv.drawn_from])
    # a simplification the user asked for is shown as asked
    asked = MapExplorer.from_log(big_log, activities=1.0, paths=0.05)
    assert asked.initial == (0, list(asked.paths).index(0.05))


@dataclass
class LongTable:
    """A section with a 120-row table and a chart 3,000 px wide (like a 2,900 px conformance diagram)."""

    section_id: str = "long"
    section_title: str = "Long"
    section_template: str = "section_reference_model.html.j2"

    def section_context(self) -> dict:
        svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="3000pt" height="200pt" viewBox="0 0 3000 200">'
               '<rect x="0" y="0" width="3000" height="200" fill="#eee"/><text x="10" y="100">wide</text></svg>')  # fmt: skip
        return {"name": "wide", "kind": "spec", "file": None, "steps": [], "svg": svg}


@dataclass
class Rows:
    section_id: str = "rows"
    section_title: str = "Rows"
    section_template: str = "section_handoffs_part.html.j2"

    def section_context(self) -> dict:
        rows = [{"team": f"Team {i:03d}", "handoffs": 1000 - i} for i in range(120)]
        return {"title": "Teams", "lines": [], "tables": [{"caption": "Teams", "rows": rows}]}


DRIVER = """<script>
document.addEventListener("DOMContentLoaded", function () { setTimeout(function () {
  var out = {}, table = document.querySelector("#rows table");
  function visible() { return Array.prototype.filter.call(table.tBodies[0].rows, function (r) { return r.offsetParent !== null; }); }
  var rows = visible();
  out.rows = rows.length; out.last = rows[rows.length - 1].textContent.trim();
  table.querySelector("tr.cspm-others button").click();
  out.all = visible().length;
  out.cards = Array.prototype.map.call(document.querySelectorAll(".cspm-chart svg, figure svg, .map-canvas svg"), function (svg) {
    var card = svg.closest(".cspm-section");
    return [svg.getBoundingClientRect().width, card.getBoundingClientRect().width, svg.closest(".map-canvas") ? 1 : 0];
  }).filter(function (c) { return c[0] > 0; });
  out.pageWidth = document.documentElement.scrollWidth; out.viewport = window.innerWidth;
  out.height = document.documentElement.scrollHeight;
  var pre = document.createElement("pre"); pre.id = "test-results"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}, 0); });
</script>"""


def test_report_layout_in_chromium(chromium, big_log, tmp_path):  # noqa: F811
    report = tmp_path / "report.html"
    build_report(big_log, [LongTable(), Rows()], report)
    html = report.read_text(encoding="utf-8").replace("</body>", DRIVER + "</body>")
    (tmp_path / "driven.html").write_text(html, encoding="utf-8")
    dom, console = run_chromium(chromium, tmp_path, (tmp_path / "driven.html").as_uri(), "--dump-dom", "--window-size=1280,900")
    assert console == [], console
    out = json.loads(lxml.html.fromstring(dom).get_element_by_id("test-results").text_content())
    # the table: 25 rows and one for the other 95; all 120 on request
    assert out["rows"] == 26 and out["last"].startswith("… and 95 more rows (120 in all).")
    assert out["all"] == 121
    # every diagram fits its card; the page does not scroll sideways
    assert out["cards"] and all(svg <= card + 0.5 for svg, card, in_map in out["cards"] if not in_map), out["cards"]
    assert out["pageWidth"] <= out["viewport"], (out["pageWidth"], out["viewport"])
    # the many-steps map and long tables keep the page short
    assert out["height"] < 15_000, out["height"]
