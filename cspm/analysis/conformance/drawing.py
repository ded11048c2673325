"""Drawing a reference model: its steps the way a process map is drawn, deviations marked on it.

The DOT source is built with :mod:`cspm.render.dot` (the one escaper: names from the model and the
log are shown literally) and rendered by :mod:`cspm.render.graphviz`.
"""

from __future__ import annotations

from typing import Protocol

import networkx as nx
import pandas as pd

from cspm.render.dot import Dot, label, quote
from cspm.render.graphviz import render_svg, svg_body

__all__ = ["END", "START", "Deviations", "model_dot", "model_svg"]

START, END = "▶", "■"

_STEP = {"shape": "box", "style": "rounded,filled", "fillcolor": "#e8f1fb", "color": "#2c6fbb"}
_SKIPPED = {"shape": "box", "style": "rounded,dashed,bold", "color": "#c0392b", "fontcolor": "#c0392b"}
_UNEXPECTED = {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#fde2e1", "color": "#c0392b"}
_OTHER = {"shape": "box", "style": "rounded,dotted", "color": "#999999"}
_TERMINAL = {"shape": "circle", "width": 0.35, "fixedsize": True, "style": "filled", "fillcolor": "#eeeeee"}


class Deviations(Protocol):
    """What a drawing shows of a conformance result (a :class:`ConformanceResult` is one): the
    tickets, the skipped steps (``step``, ``tickets``), the unexpected steps wherever they occur
    (``step``, ``tickets``) and where they occur (``step``, ``before``, ``after``, ``tickets``)."""

    @property
    def tickets(self) -> int: ...

    skipped: pd.DataFrame
    unexpected: pd.DataFrame
    inserted: pd.DataFrame


def model_dot(steps: nx.DiGraph, deviations: Deviations | None = None, *, top_inserted: int = 8) -> str:
    """Graphviz DOT of a model's ``steps`` (with ``▶`` start and ``■`` end); with ``deviations``,
    skipped steps dashed (with their tickets) and the ``top_inserted`` most frequent unexpected
    steps drawn between the steps they occur between."""
    skipped: dict[str, int] = {}
    unexpected = pd.DataFrame(columns=["step", "tickets"])
    places = pd.DataFrame(columns=["step", "before", "after", "tickets"])
    total = 1
    if deviations is not None:
        skipped = {r.step: int(r.tickets) for r in deviations.skipped.itertuples()}
        unexpected = deviations.unexpected.head(top_inserted)
        places = deviations.inserted[deviations.inserted.step.isin(set(unexpected.step))].head(3 * top_inserted)
        total = max(1, deviations.tickets)
    dot = Dot(
        "model",
        graph={"rankdir": "LR", "bgcolor": "transparent"},
        node_defaults={"fontname": "Helvetica", "fontsize": 11},
        edge_defaults={"color": "#777777"},
    )
    ids = {n: f"n{i}" for i, n in enumerate(steps.nodes)}
    for n in steps.nodes:
        if n in (START, END):
            dot.node(ids[n], label=quote(n), **_TERMINAL)
        elif n in skipped:
            dot.node(ids[n], label=label(n, f"skipped by {skipped[n]:,} tickets ({skipped[n] / total:.1%})"), **_SKIPPED)
        else:
            dot.node(ids[n], label=quote(n), **_STEP)
    for a, b in steps.edges:
        dot.edge(ids[a], ids[b])
    extra = {r.step: f"x{k}" for k, r in enumerate(unexpected.itertuples())}
    for r in unexpected.itertuples():
        text = f"unexpected in {r.tickets:,} tickets ({r.tickets / total:.1%})"
        dot.node(extra[r.step], label=label(f"+ {r.step}", text), **_UNEXPECTED)
    others: dict[str, str] = {}

    def node_of(name: str) -> str:
        if name in ids:
            return ids[name]
        if name in extra:
            return extra[name]
        if name not in others:
            others[name] = f"o{len(others)}"
            dot.node(others[name], label=quote(name), **_OTHER)
        return others[name]

    red = {"color": "#c0392b", "style": "dashed", "constraint": False}
    for r in places.itertuples():
        src, dst = node_of(r.before), node_of(r.after)
        dot.edge(src, extra[r.step], **red, label=quote(f"{r.tickets:,}"), fontcolor="#c0392b", fontsize=9)
        dot.edge(extra[r.step], dst, **red)
    return dot.source()


def model_svg(steps: nx.DiGraph, deviations: Deviations | None = None, *, top_inserted: int = 8) -> str:
    """The drawing as an inline ``<svg>`` element (raises
    :class:`~cspm.render.graphviz.RenderUnavailable` when no Graphviz renderer works)."""
    return svg_body(render_svg(model_dot(steps, deviations, top_inserted=top_inserted)))
