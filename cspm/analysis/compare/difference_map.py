"""The difference map: the process map with steps and edges coloured by the change of their wait.

For one clock: a step's fill and an edge's colour say whether its median wait fell (green) or rose
(red) significantly (q < alpha), or did not change significantly (grey); the label gives both
medians and the relative change. Edges only on side b (appeared) are dashed, edges only on side a
(vanished) dotted. Built from the comparison table (:mod:`~.table`); DOT via :mod:`cspm.render.dot`.
"""

from __future__ import annotations

import pandas as pd

from cspm.render.dot import Dot, label

__all__ = ["difference_dot"]

FASTER, SLOWER, SAME = "#27ae60", "#c0392b", "#95a5a6"


def _colour(row: pd.Series) -> str:
    if not row.significant or row.change != row.change:
        return SAME
    return FASTER if row.change < 0 else SLOWER


def _text(row: pd.Series) -> str:
    a = "–" if row.a != row.a else f"{row.a:,.1f} h"
    b = "–" if row.b != row.b else f"{row.b:,.1f} h"
    pct = "" if row.change_pct != row.change_pct else f" ({row.change_pct:+.0%})"
    return f"{a} → {b}{pct}"


def difference_dot(figures: pd.DataFrame, clock: str = "business") -> str:
    """DOT source of the difference map of a comparison table (see the module docstring)."""
    steps = figures[(figures.family == "wait") & (figures.clock == clock)].set_index("key")
    edges = figures[(figures.family == "edge") & (figures.clock == clock)]
    names: list[str] = []
    pairs = []
    for r in edges.itertuples():
        src, dst = r.key.split(" → ", 1)
        pairs.append((src, dst, r))
        names.extend(n for n in (src, dst) if n not in names)
    names.extend(n for n in steps.index if n not in names)
    ids = {n: f"n{i}" for i, n in enumerate(names)}
    dot = Dot("difference", graph={"rankdir": "LR", "fontname": "Helvetica"},
              node_defaults={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica", "fontsize": 10},
              edge_defaults={"fontname": "Helvetica", "fontsize": 8})  # fmt: skip
    for n in names:
        if n in steps.index:
            row = steps.loc[n]
            dot.node(ids[n], label=label(n, _text(row)), fillcolor=_colour(row) + "55", color=_colour(row))
        else:
            dot.node(ids[n], label=label(n), fillcolor="#ffffff")
    for src, dst, r in pairs:
        style = "dashed" if r.n_a == 0 else "dotted" if r.n_b == 0 else "solid"
        tag = " (appeared)" if r.n_a == 0 else " (vanished)" if r.n_b == 0 else ""
        dot.edge(ids[src], ids[dst], color=_colour(pd.Series(r._asdict())), style=style,
                 penwidth=2.0 if r.significant else 1.0, label=label(_text(pd.Series(r._asdict())) + tag))  # fmt: skip
    return dot.source()
