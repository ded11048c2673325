"""Process maps: the discovered directly-follows graph as a frequency or performance map.

A :class:`ProcessMap` keeps its node and edge tables; what it shows (measure, simplification,
highlighted steps and edges) is separate from drawing it (:meth:`ProcessMap.to_dot`, built with
:mod:`cspm.render.dot` and rendered to SVG by :mod:`cspm.render.graphviz`). Every name goes into the
DOT source through the one DOT escaper, so quotes, backslashes, ``&``, ``<`` and any script (e.g.
Chinese) are drawn as written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

import networkx as nx
import pandas as pd

from cspm.core.log import TicketLog
from cspm.core.result import Result
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.mining.records import ProcessMapSummary
from cspm.mining.steps import Activities, DirectlyFollows, activity_frame, edge_frame, projection
from cspm.render import dot
from cspm.render.explorer import edge_key, node_key
from cspm.render.formats import fmt_thousands
from cspm.render.graphviz import Rendered, RenderUnavailable, render_svg, save_graph, svg_body
from cspm.units import format_duration

__all__ = ["MapSection", "Measure", "ProcessMap", "process_map"]

Measure = Literal["frequency", "performance"]
MAX_MAP_STEPS = 60  # a map draws at most this many steps (the most frequent); Graphviz cannot lay out thousands
MAX_MAP_EDGES = 100  # ... and, when steps were limited, at most this many transitions
START_NODE = "__start__"
END_NODE = "__end__"
WARNING = "#d9480f"
FONT = "Helvetica,Arial,sans-serif"
_FREQ_LOW, _FREQ_HIGH = (231, 240, 250), (35, 87, 153)
_EDGE_LOW, _PERF_HIGH, _FREQ_EDGE_HIGH = (170, 170, 170), (192, 57, 43), (35, 87, 153)


def _mix(low: tuple[int, int, int], high: tuple[int, int, int], x: float) -> str:
    x = min(max(x, 0.0), 1.0)
    r, g, b = (round(lo + (hi - lo) * x) for lo, hi in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


class Discovered(Protocol):
    """What a map is drawn from: a discovery's source, activities and directly-follows relation."""

    source: str
    activities: Activities
    dfg: DirectlyFollows


@dataclass(frozen=True)
class ProcessMap(Result):
    """A process map: node table (activities), edge table (directly-follows) and what to show.

    ``nodes``: activity, events, cases, starts, ends, wait_before_median (s), optionally
    duration_median (s). ``edges``: source, target, count, cases, wait_mean/median/p90/min/max (s).
    ``save()`` also writes ``.svg`` (rendered; the ``.dot`` source when no renderer works) and
    ``.dot``, and tells how it was written (:class:`~cspm.render.graphviz.Rendered`).
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    measure: Measure = "frequency"
    title: str = ""
    warn_steps: frozenset[str] = field(default_factory=frozenset)
    warn_edges: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    section_id: ClassVar[str] = "maps"
    section_title: ClassVar[str] = N_("Process maps")
    section_template: ClassVar[str] = "section_maps.html.j2"

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def from_discovery(cls, discovery: Discovered, measure: Measure = "frequency") -> ProcessMap:
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
        acts_df = activity_frame(log)
        keep = map_activities(Activities._from_table(acts_df).table, activities)
        if len(keep) < len(acts_df):  # projected: the steps and edges among the kept activities
            log = projection(log, keep)
            acts_df = activity_frame(log)
        return cls._from_frames(log, acts_df, edge_frame(log), measure)

    @classmethod
    def _from_frames(
        cls, log: TicketLog, acts_df: pd.DataFrame, edges_df: pd.DataFrame, measure: Measure = "frequency"
    ) -> ProcessMap:
        """The map of ``log`` from its activity and edge frames (``activity_frame``, ``edge_frame``)."""
        edges = DirectlyFollows._from_tables(edges_df, acts_df).edges
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
        edges = self.edges.loc[[(s, t) in pairs for s, t in zip(self.edges.source, self.edges.target, strict=True)]]
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
        q = dot.quote
        perf = self.measure == "performance"
        ids = {a: f"a{i}" for i, a in enumerate(self.nodes.activity)}
        max_events = max(int(self.nodes.events.max()) if len(self.nodes) else 1, 1)
        g = dot.Dot(
            "process_map",
            graph={"rankdir": "TB", "nodesep": "0.35", "ranksep": "0.45", "bgcolor": q("transparent"), "fontname": FONT},
            node_defaults={"shape": "box", "style": "rounded,filled", "fontname": FONT, "fontsize": 11,
                           "color": "#4a5568", "penwidth": "1.2", "margin": "0.15,0.06"},
            edge_defaults={"fontname": FONT, "fontsize": 9, "arrowsize": "0.7"},
        )  # fmt: skip
        g.node(START_NODE, label="", shape="circle", width="0.28", style="filled", fillcolor="#2f9e44",
               color="#2b8a3e", **{"class": "cspm-start"}, tooltip=q(_("start")))  # fmt: skip
        g.node(END_NODE, label="", shape="doublecircle", width="0.22", style="filled", fillcolor="#c92a2a",
               color="#a61e1e", **{"class": "cspm-end"}, tooltip=q(_("end")))  # fmt: skip
        for row in self.nodes.itertuples(index=False):
            name = str(row.activity)
            x = row.events / max_events
            if perf:
                t = getattr(row, "duration_median", None)
                detail = _("wait {duration}").format(duration=format_duration(row.wait_before_median)) if pd.notna(row.wait_before_median) else _("case start")
                if t is not None and pd.notna(t):
                    detail += " · " + _("work {duration}").format(duration=format_duration(t))
            else:
                detail = fmt_thousands(int(row.events))
            warn = name in self.warn_steps
            attrs: dict[str, Any] = {
                "label": dot.label(f"⚠ {name}" if warn else name, detail),
                "fillcolor": "#f8f9fa" if perf else _mix(_FREQ_LOW, _FREQ_HIGH, x),
                "fontcolor": "#ffffff" if (not perf and x > 0.55) else "#1a1a1a",
                "class": ("cspm-node cspm-warning" if warn else "cspm-node") + f" cspm-k-{node_key(name)}",
            }
            if warn:
                attrs |= {"color": WARNING, "penwidth": 3}
            g.node(ids[name], **attrs)
        self._draw_edges(g, ids, perf)
        return g.source()

    def _draw_edges(self, g: dot.Dot, ids: dict[str, str], perf: bool) -> None:
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
                text = fmt_thousands(int(row.count))
            width = 1.0 + 5.0 * x
            if warn:
                color, width, text = WARNING, max(width, 3.5), f"⚠ {text}"
            g.edge(ids[row.source], ids[row.target], label=dot.quote(text), color=color,
                   fontcolor=WARNING if warn else "#333333", penwidth=f"{width:.2f}",
                   **{"class": ("cspm-edge cspm-warning" if warn else "cspm-edge")
                      + f" cspm-k-{edge_key(row.source, row.target)}"})  # fmt: skip
        for row in self.nodes.itertuples(index=False):
            if row.starts:
                g.edge(START_NODE, ids[row.activity], label=dot.quote(fmt_thousands(int(row.starts))), style="dashed",
                       color="#868e96", **{"class": f"cspm-start-edge cspm-s-{node_key(row.activity)}"})
            if row.ends:
                g.edge(ids[row.activity], END_NODE, label=dot.quote(fmt_thousands(int(row.ends))), style="dashed",
                       color="#868e96", **{"class": f"cspm-end-edge cspm-t-{node_key(row.activity)}"})

    def to_svg(self) -> str:
        """The map as an SVG document (Graphviz ``dot`` binary or its WebAssembly build)."""
        return _svg_of(self.to_dot())

    def svg_inline(self) -> str:
        """The ``<svg>`` element for embedding in HTML."""
        return svg_body(self.to_svg())

    def view(self) -> dict[str, Any]:
        """The map as one view of the maps section: its SVG, or why there is none and its DOT source."""
        try:
            svg, error = self.svg_inline(), None
        except RenderUnavailable as exc:
            svg, error = None, _("The map could not be rendered here ({reason}).").format(reason=exc)
        return {
            "key": self.measure,
            "label": _(MEASURE_LABELS[self.measure]),
            "svg": svg,
            "error": error,
            "dot": self.to_dot() if svg is None else "",
            "nodes": len(self.nodes),
            "edges": len(self.edges),
            "highlighted": len(self.warn_steps) + len(self.warn_edges),
        }

    # --- Result ------------------------------------------------------------------------------
    def _summary(self) -> ProcessMapSummary:
        return ProcessMapSummary(
            measure=self.measure,
            activities=len(self.nodes),
            edges=len(self.edges),
            highlighted_steps=sorted(self.warn_steps),
            highlighted_edges=sorted(self.warn_edges),
        )

    def table(self) -> pd.DataFrame:
        return self.edges

    def section_context(self) -> dict[str, Any]:
        return {"views": [self.view()]}

    def _savers(self) -> dict[str, Callable[[Path], Any]]:
        return {
            **super()._savers(),
            ".svg": lambda p: save_graph(self.to_dot(), p, render=_svg_of),
            ".dot": lambda p: p.write_text(self.to_dot(), encoding="utf-8"),
        }

    def save(self, path: str | Path) -> Rendered:  # type: ignore[override]  # a Rendered stands for its path
        """Write the map: ``.svg`` rendered (its DOT source, ``.dot``, when no renderer works, with the
        command to render it in ``message``), ``.dot`` the source, or any suffix of
        :meth:`Result.save`. Returns where and how it was written (a path-like :class:`Rendered`)."""
        path = Path(path)
        if path.suffix.lower() == ".svg":
            path.parent.mkdir(parents=True, exist_ok=True)
            return save_graph(self.to_dot(), path, render=_svg_of)
        written = super().save(path)
        return Rendered(written, written.suffix.lower().lstrip("."), None)

    def _repr_svg_(self) -> str:
        return self.svg_inline()


@dataclass
class MapSection:
    """The report's maps section: several maps (e.g. performance and frequency), switchable and zoomable."""

    maps: Sequence[ProcessMap]

    section_id: ClassVar[str] = ProcessMap.section_id
    section_title: ClassVar[str] = ProcessMap.section_title
    section_template: ClassVar[str] = ProcessMap.section_template

    def section_context(self) -> dict[str, Any]:
        return {"views": [m.view() for m in self.maps]}


@lru_cache(maxsize=32)
def _svg_of(source: str) -> str:
    """Rendered SVG, remembered for the same DOT source (a map is saved and shown in the report)."""
    return render_svg(source)


MEASURE_LABELS = {"frequency": N_("Frequency"), "performance": N_("Performance")}


def process_map(
    log: TicketLog, measure: Measure = "frequency", *, activities: float = 1.0, paths: float = 0.0
) -> ProcessMap:
    """The process map of ``log`` (see :meth:`ProcessMap.from_log`)."""
    return ProcessMap.from_log(log, measure, activities=activities, paths=paths)


def _check_measure(measure: str) -> Measure:
    if measure not in ("frequency", "performance"):
        raise ValueError(f"measure must be 'frequency' or 'performance', got {measure!r}")
    return measure  # type: ignore[return-value]


def map_activities(nodes: pd.DataFrame, share: float = 1.0) -> list[str]:
    """The steps a map at activity share ``share`` shows: the most frequent activities covering that
    share of events, at most :data:`MAX_MAP_STEPS` of them."""
    if share < 1.0:
        return _covering(nodes, share)[:MAX_MAP_STEPS]
    ordered = nodes.sort_values(["events", "activity"], ascending=[False, True])
    return [str(a) for a in ordered.activity[:MAX_MAP_STEPS]]


def edge_cut(edges: pd.DataFrame, limit: int = MAX_MAP_EDGES) -> float:
    """The path share (``simplify(paths=…)``) keeping at most ``limit`` of ``edges``, the most
    frequent (0 when there are no more than ``limit``)."""
    if len(edges) <= limit:
        return 0.0
    counts = sorted(map(int, edges["count"]), reverse=True)
    top, cut = counts[0], counts[limit]  # the first count left out
    return min(1.0, (cut + 1) / top)


def step_limit_note(activities: int) -> str | None:
    """What the maps left out when the log has more than :data:`MAX_MAP_STEPS` activities."""
    if activities <= MAX_MAP_STEPS:
        return None
    return _(
        "The map has {n} steps: the maps and the process model show the {k} most frequent (and at most "
        "{e} transitions; more cannot be laid out); use --activities (activities= in Python) or "
        "filter the log to choose the steps."
    ).format(n=fmt_thousands(activities), k=MAX_MAP_STEPS, e=MAX_MAP_EDGES)


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
