"""A BPMN process model drawn as SVG for the report: tasks as rounded boxes, gateways as diamonds
(× exclusive, + parallel, ○ inclusive), start and end events as circles, sequence flows as arrows.

The model comes as a :class:`networkx.DiGraph` whose nodes have ``kind`` (``task``, ``exclusive``,
``parallel``, ``inclusive``, ``start``, ``end``, ``other``) and ``name``; names go through the one
DOT escaper (:mod:`cspm.render.dot`). Rendered by :mod:`cspm.render.graphviz`.
"""

from __future__ import annotations

import networkx as nx

from cspm.render.dot import Dot, quote
from cspm.render.graphviz import render_svg, svg_body

__all__ = ["bpmn_dot", "bpmn_svg"]

_FONT = "Helvetica,Arial,sans-serif"
_STYLE = {
    "task": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e8f1fb", "color": "#2c6fbb"},
    "exclusive": {"shape": "diamond", "label": quote("×"), "width": 0.45, "height": 0.45, "fixedsize": True},
    "parallel": {"shape": "diamond", "label": quote("+"), "width": 0.45, "height": 0.45, "fixedsize": True},
    "inclusive": {"shape": "diamond", "label": quote("○"), "width": 0.45, "height": 0.45, "fixedsize": True},
    "start": {"shape": "circle", "label": quote(""), "width": 0.3, "style": "filled", "fillcolor": "#d3f9d8", "color": "#2b8a3e"},
    "end": {"shape": "circle", "label": quote(""), "width": 0.3, "penwidth": 3, "style": "filled", "fillcolor": "#ffe3e3", "color": "#a61e1e"},
    "other": {"shape": "box", "style": "dotted"},
}  # fmt: skip


WIDE = 12  # models with more nodes are drawn top to bottom, so that they fit a report card


def bpmn_dot(model: nx.DiGraph, *, rankdir: str | None = None) -> str:
    """DOT source of a BPMN model (see the module docstring); node ids are ``b0``, ``b1``, …
    ``rankdir``: ``LR`` for small models (up to :data:`WIDE` nodes), else ``TB``, unless given."""
    rankdir = rankdir or ("LR" if model.number_of_nodes() <= WIDE else "TB")
    g = Dot("bpmn", graph={"rankdir": rankdir, "bgcolor": "transparent", "fontname": _FONT, "nodesep": 0.3, "ranksep": 0.35},
            node_defaults={"fontname": _FONT, "fontsize": 11, "color": "#4a5568"},
            edge_defaults={"arrowsize": 0.7, "color": "#4a5568"})  # fmt: skip
    ids = {n: f"b{i}" for i, n in enumerate(model.nodes)}
    for n, data in model.nodes(data=True):
        kind = str(data.get("kind", "other"))
        attrs = dict(_STYLE.get(kind, _STYLE["other"]))
        if kind in ("task", "other"):
            attrs["label"] = quote(data.get("name") or "")
        attrs["class"] = f"bpmn-{kind}"
        g.node(ids[n], **attrs)
    for u, v in model.edges:
        g.edge(ids[u], ids[v])
    return g.source()


def bpmn_svg(model: nx.DiGraph, *, rankdir: str | None = None) -> str:
    """The model as an inline ``<svg>`` element."""
    return svg_body(render_svg(bpmn_dot(model, rankdir=rankdir)))
