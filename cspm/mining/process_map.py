"""Process maps: the discovered directly-follows graph as a frequency or performance map.

A :class:`ProcessMap` keeps its node and edge tables; what it shows (measure, simplification,
highlighted steps and edges) is separate from drawing it (:meth:`ProcessMap.to_dot`, rendered to
SVG by :mod:`cspm.render.graphviz`). Every name goes into the DOT source as an escaped HTML-like label, so
quotes, backslashes, ``<`` and any script (e.g. Chinese) are drawn as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import networkx as nx
import pandas as pd

from cspm.render.graphviz import Rendered, render_svg, save_graph, svg_body
from cspm.units import format_duration

if TYPE_CHECKING:
    from cspm.core.log import TicketLog
    from cspm.mining.discovery import Discovery

__all__ = ["Measure", "ProcessMap", "process_map"]

Measure = Literal["frequency", "performance"]
START_NODE = "__start__"
END_NODE = "__end__"
WARNING = "#d9480f"
_FREQ_LOW, _FREQ_HIGH = (231, 240, 250), (35, 87, 153)
_EDGE_LOW, _PERF_HIGH, _FREQ_EDGE_HIGH = (170, 170, 170), (192, 57, 43), (35, 87, 153)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def label_text(value: Any) -> str:
    """Text as the body of a quoted DOT label: backslashes and quotes escaped, control characters
    and line breaks removed (the WebAssembly Graphviz has no HTML-like labels, so plain labels)."""
    text = _CONTROL.sub("", str(value)).replace("\r", " ").replace("\n", " ")
    # Graphviz reads '&name;' in labels as an entity: spell '&' out so names render as written.
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")


def _mix(low: tuple[int, int, int], high: tuple[int, int, int], x: float) -> str:
    x = min(max(x, 0.0), 1.0)
    r, g, b = (round(lo + (hi - lo) * x) for lo, hi in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


@dataclass(frozen=True)
class ProcessMap:
    """A process map: node table (activities), edge table (directly-follows) and what to show.

    ``nodes``: activity, events, cases, starts, ends, wait_before_median (s), optionally
    duration_median (s). ``edges``: source, target, count, cases, wait_mean/median/p90/min/max (s).
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    measure: Measure = "frequency"
    title: str = ""
    warn_steps: frozenset[str] = field(default_factory=frozenset)
    warn_edges: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def from_discovery(cls, discovery: Discovery, measure: Measure = "frequency") -> ProcessMap:
        nodes = discovery.activities.table.copy()
        return cls(nodes=nodes, edges=discovery.dfg.edges.copy(), measure=_check_measure(measure), title=discovery.source)

    @classmethod
    def from_log(
        cls, log: TicketLog, measure: Measure = "frequency", *, activities: float = 1.0, paths: float = 0.0
    ) -> ProcessMap:
        """The map of ``log``; with ``activities < 1`` the log is first projected on the activities
        covering that share of events (so the edges between the kept activities are re-discovered)."""
        return cls._projected(log, measure, activities).simplify(paths=paths)

    @classmethod
    def _projected(cls, log: TicketLog, measure: Measure, activities: float) -> ProcessMap:
        from cspm.core.log import ACTIVITY
        from cspm.mining.discovery import Activities, DirectlyFollows, activity_table, edge_table

        events = log.events
        if activities < 1.0:
            acts = Activities._from_table(activity_table(events).to_pandas()).table
            keep = _covering(acts, activities)
            events = events.filter(events[ACTIVITY].isin(keep))
        acts_df = activity_table(events).to_pandas()
        edges = DirectlyFollows._from_tables(edge_table(events).to_pandas(), acts_df).edges
        nodes = Activities._from_table(acts_df).table
        return cls(nodes=nodes, edges=edges, measure=_check_measure(measure), title=log.source)

    # --- what is shown -----------------------------------------------------------------------
    def with_measure(self, measure: Measure) -> ProcessMap:
        return replace(self, measure=_check_measure(measure))

    def highlight(
        self, steps: Iterable[str] = (), edges: Iterable[tuple[str, str]] = ()
    ) -> ProcessMap:
        """A copy drawing these steps (activities) and edges (source, target) in the warning colour."""
        return replace(
            self,
            warn_steps=self.warn_steps | frozenset(str(s) for s in steps),
            warn_edges=self.warn_edges | frozenset((str(a), str(b)) for a, b in edges),
        )

    def simplify(self, *, activities: float = 1.0, paths: float = 0.0) -> ProcessMap:
        """Keep the most frequent activities covering ``activities`` of all events, and the edges
        whose count is at least ``paths`` × the most frequent edge's count; then add back the
        strongest edges needed so that every kept activity is reachable from the start and reaches
        the end (when the unsimplified graph allows it). Highlighted edges between kept activities
        are always kept."""
        if not 0.0 < activities <= 1.0 or not 0.0 <= paths <= 1.0:
            raise ValueError(f"activities must be in (0, 1] and paths in [0, 1]; got {activities}, {paths}")
        keep = set(_covering(self.nodes, activities)) if activities < 1.0 else set(self.nodes.activity)
        nodes = self.nodes[self.nodes.activity.isin(keep)].reset_index(drop=True)
        full = self._graph(nodes, self.edges[self.edges.source.isin(keep) & self.edges.target.isin(keep)])
        if paths <= 0.0:
            chosen = full
        else:
            top = max((d["count"] for _, _, d in full.edges(data=True)), default=0)
            chosen = nx.DiGraph()
            chosen.add_nodes_from(full.nodes)
            chosen.add_edges_from(
                (u, v, d) for u, v, d in full.edges(data=True) if d["count"] >= paths * top or (u, v) in self.warn_edges
            )
            _repair(chosen, full)
        pairs = {(u, v) for u, v in chosen.edges if u not in (START_NODE,) and v not in (END_NODE,)}
        edges = self.edges[[(s, t) in pairs for s, t in zip(self.edges.source, self.edges.target, strict=True)]]
        starts = {v for u, v in chosen.edges if u == START_NODE}
        ends = {u for u, v in chosen.edges if v == END_NODE}
        nodes = nodes.copy()
        nodes["starts"] = [n if a in starts else 0 for a, n in zip(nodes.activity, nodes.starts, strict=True)]
        nodes["ends"] = [n if a in ends else 0 for a, n in zip(nodes.activity, nodes.ends, strict=True)]
        return replace(self, nodes=nodes, edges=edges.reset_index(drop=True))

    @staticmethod
    def _graph(nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_nodes_from([START_NODE, END_NODE, *nodes.activity])
        for s, t, n in zip(edges.source, edges.target, edges["count"], strict=True):
            g.add_edge(s, t, count=int(n))
        for a, s, e in zip(nodes.activity, nodes.starts, nodes.ends, strict=True):
            if s:
                g.add_edge(START_NODE, a, count=int(s))
            if e:
                g.add_edge(a, END_NODE, count=int(e))
        return g

    # --- drawing -----------------------------------------------------------------------------
    def to_dot(self) -> str:
        """Graphviz DOT source of the map (names escaped; nodes are ``a0``, ``a1``, …)."""
        perf = self.measure == "performance"
        ids = {a: f"a{i}" for i, a in enumerate(self.nodes.activity)}
        max_events = max(int(self.nodes.events.max()) if len(self.nodes) else 1, 1)
        lines = [
            "digraph process_map {",
            '  graph [rankdir=TB, nodesep=0.35, ranksep=0.45, bgcolor="transparent", '
            'fontname="Helvetica,Arial,sans-serif"];',
            '  node [shape=box, style="rounded,filled", fontname="Helvetica,Arial,sans-serif", '
            'fontsize=11, color="#4a5568", penwidth=1.2, margin="0.15,0.06"];',
            '  edge [fontname="Helvetica,Arial,sans-serif", fontsize=9, arrowsize=0.7];',
            f'  {START_NODE} [label="", shape=circle, width=0.28, style=filled, fillcolor="#2f9e44", '
            'color="#2b8a3e", class="cspm-start", tooltip="start"];',
            f'  {END_NODE} [label="", shape=doublecircle, width=0.22, style=filled, fillcolor="#c92a2a", '
            'color="#a61e1e", class="cspm-end", tooltip="end"];',
        ]
        for row in self.nodes.itertuples(index=False):
            name = str(row.activity)
            x = row.events / max_events
            fill = _mix(_FREQ_LOW, _FREQ_HIGH, x) if not perf else "#f8f9fa"
            font = "#ffffff" if (not perf and x > 0.55) else "#1a1a1a"
            if perf:
                t = getattr(row, "duration_median", None)
                detail = f"wait {format_duration(row.wait_before_median)}" if pd.notna(row.wait_before_median) else "case start"
                if t is not None and pd.notna(t):
                    detail += f" · work {format_duration(t)}"
            else:
                detail = f"{int(row.events):,}"
            warn = name in self.warn_steps
            attrs = [
                f'label="{"⚠ " if warn else ""}{label_text(name)}\\n{label_text(detail)}"',
                f'fillcolor="{fill}"',
                f'fontcolor="{font}"',
                f'class="cspm-node{" cspm-warning" if warn else ""}"',
            ]
            if warn:
                attrs += [f'color="{WARNING}"', "penwidth=3"]
            lines.append(f"  {ids[name]} [{', '.join(attrs)}];")
        lines += self._edge_lines(ids, perf)
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _edge_lines(self, ids: dict[str, str], perf: bool) -> list[str]:
        lines = []
        counts = self.edges["count"]
        waits = self.edges["wait_median"]
        max_count = max(int(counts.max()) if len(counts) else 1, 1)
        max_wait = max(float(waits.max()) if len(waits) and pd.notna(waits.max()) else 1.0, 1.0)
        for row in self.edges.itertuples(index=False):
            if row.source not in ids or row.target not in ids:
                continue
            warn = (row.source, row.target) in self.warn_edges
            if perf:
                x = float(row.wait_median) / max_wait if pd.notna(row.wait_median) else 0.0
                color = _mix(_EDGE_LOW, _PERF_HIGH, x)
                text = format_duration(row.wait_median)
            else:
                x = int(row.count) / max_count
                color = _mix(_EDGE_LOW, _FREQ_EDGE_HIGH, x)
                text = f"{int(row.count):,}"
            width = 1.0 + 5.0 * x
            if warn:
                color, width, text = WARNING, max(width, 3.5), f"⚠ {text}"
            lines.append(
                f"  {ids[row.source]} -> {ids[row.target]} [label=\"{label_text(text)}\", "
                f'color="{color}", fontcolor="{WARNING if warn else "#333333"}", penwidth={width:.2f}, '
                f'class="cspm-edge{" cspm-warning" if warn else ""}"];'
            )
        for row in self.nodes.itertuples(index=False):
            if row.starts:
                lines.append(
                    f'  {START_NODE} -> {ids[row.activity]} [label="{int(row.starts):,}", style=dashed, color="#868e96"];'
                )
            if row.ends:
                lines.append(
                    f'  {ids[row.activity]} -> {END_NODE} [label="{int(row.ends):,}", style=dashed, color="#868e96"];'
                )
        return lines

    def to_svg(self) -> str:
        """The map as an SVG document (Graphviz ``dot`` binary or its WebAssembly build)."""
        return _svg_of(self.to_dot())

    def svg_inline(self) -> str:
        """The ``<svg>`` element for embedding in HTML."""
        return svg_body(self.to_svg())

    def save(self, path: str | Path) -> Rendered:
        """Write the map as SVG (``.svg``), or its DOT source when no renderer is available."""
        path = Path(path)
        if path.suffix.lower() == ".dot":
            path.write_text(self.to_dot(), encoding="utf-8")
            return Rendered(path, "dot", None)
        return save_graph(self.to_dot(), path, render=_svg_of)

    # --- tables ------------------------------------------------------------------------------
    def to_pandas(self) -> pd.DataFrame:
        return self.edges.copy()

    def summary(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "activities": len(self.nodes),
            "edges": len(self.edges),
            "highlighted_steps": sorted(self.warn_steps),
            "highlighted_edges": sorted([list(e) for e in self.warn_edges]),
        }

    def _repr_svg_(self) -> str:
        return self.svg_inline()

    def _repr_html_(self) -> str:
        return f"<div class='cspm-map'>{self.svg_inline()}</div>"


@lru_cache(maxsize=8)
def _svg_of(dot: str) -> str:
    """Rendered SVG, remembered for the same DOT source (a map is saved and shown in the report)."""
    return render_svg(dot)


def process_map(
    log: TicketLog, measure: Measure = "frequency", *, activities: float = 1.0, paths: float = 0.0
) -> ProcessMap:
    """The process map of ``log`` (see :meth:`ProcessMap.from_log`)."""
    return ProcessMap.from_log(log, measure, activities=activities, paths=paths)


def _check_measure(measure: str) -> Measure:
    if measure not in ("frequency", "performance"):
        raise ValueError(f"measure must be 'frequency' or 'performance', got {measure!r}")
    return measure  # type: ignore[return-value]


def _covering(nodes: pd.DataFrame, share: float) -> list[str]:
    """The most frequent activities whose events make up at least ``share`` of all events."""
    ordered = nodes.sort_values(["events", "activity"], ascending=[False, True])
    total = ordered.events.sum()
    keep, acc = [], 0
    for a, n in zip(ordered.activity, ordered.events, strict=True):
        keep.append(str(a))
        acc += int(n)
        if acc >= share * total:
            break
    return keep


def _repair(chosen: nx.DiGraph, full: nx.DiGraph) -> None:
    """Add the strongest edges of ``full`` until every node is reachable from START and reaches END."""
    nodes = set(full.nodes) - {START_NODE, END_NODE}
    while True:
        reach = nx.descendants(chosen, START_NODE) | {START_NODE}
        missing = nodes - reach
        cands = [(d["count"], u, v) for u, v, d in full.edges(data=True) if u in reach and v in missing]
        if not missing or not cands:
            break
        _, u, v = max(cands, key=lambda c: (c[0], str(c[1]), str(c[2])))
        chosen.add_edge(u, v, **full.edges[u, v])
    while True:
        coreach = nx.ancestors(chosen, END_NODE) | {END_NODE}
        missing = nodes - coreach
        cands = [(d["count"], u, v) for u, v, d in full.edges(data=True) if v in coreach and u in missing]
        if not missing or not cands:
            break
        _, u, v = max(cands, key=lambda c: (c[0], str(c[1]), str(c[2])))
        chosen.add_edge(u, v, **full.edges[u, v])
