"""The report's explorable process map: the map at several simplification levels, with its figures.

Disco-style sliders: the *activity* slider keeps the most frequent activities covering a share of
the events (the log is projected on them and the edges between them re-discovered, exactly as
:meth:`Discovery.process_map` does); the *path* slider keeps the transitions with at least a share
of the most frequent transition's count (plus the edges that keep every step connected, as
:meth:`ProcessMap.simplify` does). Each activity level is drawn once per measure (frequency,
performance); the path levels are the lists of transitions kept, applied by the page's script.
So the page shows, at every slider position, exactly the nodes and edges of
``discovery.process_map(measure, activities=a, paths=p)``.

Every step and transition also carries its figures (events, cases, waits: mean, median, P90,
total), its target and breach when targets are given, and a sample of the slowest tickets through
it (ticket id and lead time).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.core.log import ACTIVITY, CASE, TicketLog
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.mining.cases import Variants, case_table
from cspm.mining.process_map import Measure, ProcessMap, map_activities
from cspm.mining.steps import Activities, projected_frames, projection, step_table
from cspm.render.explorer import edge_key, json_script, node_key
from cspm.render.formats import fmt_thousands
from cspm.units import format_duration

__all__ = [
    "ACTIVITY_LEVELS", "MAX_DEFAULT_STEPS", "MAX_DRAWN_EDGES", "PATH_LEVELS", "MapExplorer", "map_levels",
    "targets_from_ranking",
]  # fmt: skip

ACTIVITY_LEVELS: tuple[float, ...] = (1.0, 0.99, 0.95, 0.9, 0.8, 0.65, 0.5)
PATH_LEVELS: tuple[float, ...] = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5)
MAX_DEFAULT_STEPS = 25  # a map with more steps opens at the largest activity level with at most these
MAX_DRAWN_EDGES = 100  # a level with more transitions is drawn from the first path level within this
SAMPLE_TICKETS = 5
STATS = ("mean", "median", "p90", "total")


def map_levels(nodes: pd.DataFrame, shares: Iterable[float] = ACTIVITY_LEVELS) -> list[float]:
    """The activity shares that give distinct sets of steps, largest first (the first share giving
    each set is kept)."""
    seen: set[frozenset[str]] = set()
    out: list[float] = []
    for share in sorted(set(shares), reverse=True):
        kept = frozenset(map_activities(nodes, share))
        if kept not in seen:
            seen.add(kept)
            out.append(float(share))
    return out


@dataclass
class Level:
    """One activity level: its share, its map (all edges among its steps), per path level the kept
    transitions and the steps with a start/end edge, and what is drawn: all its transitions, or —
    with more than :data:`MAX_DRAWN_EDGES` — those of path level ``drawn_from`` and above (lower
    path levels then show that level)."""

    share: float
    base: ProcessMap
    paths: list[dict[str, list[str]]]
    samples: dict[str, list[tuple[str, str]]]
    drawn: ProcessMap
    drawn_from: int = 0


@dataclass
class MapExplorer:
    """The report's maps section: measures × activity levels drawn, path levels as kept-edge lists.

    ``levels`` run from all activities (``activities=1``) to the fewest; ``paths`` are the path
    levels; ``initial`` the (activity level, path level) shown first. ``targets``: step → what its
    target is and whether it is missed; ``breach_rule`` says which statistic triggers a ⚠.
    """

    levels: list[Level]
    paths: Sequence[float]
    initial: tuple[int, int] = (0, 0)
    measures: Sequence[Measure] = ("performance", "frequency")
    targets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    breach_rule: str = ""
    clock: str = "calendar"

    section_id: ClassVar[str] = ProcessMap.section_id
    section_title: ClassVar[str] = ProcessMap.section_title
    section_template: ClassVar[str] = ProcessMap.section_template

    @classmethod
    def from_log(
        cls,
        log: TicketLog,
        *,
        activities: float = 1.0,
        paths: float = 0.0,
        highlight_steps: Iterable[str] = (),
        highlight_edges: Iterable[tuple[str, str]] = (),
        targets: Mapping[str, Mapping[str, Any]] | None = None,
        breach_rule: str = "",
        activity_levels: Iterable[float] = ACTIVITY_LEVELS,
        path_levels: Iterable[float] = PATH_LEVELS,
    ) -> MapExplorer:
        """The explorer of ``log``; ``activities`` and ``paths`` (the map's settings) are added to the
        levels and shown first — unless left at their defaults on a map with more than
        :data:`MAX_DEFAULT_STEPS` steps, which then opens at a simpler level."""
        all_nodes = Activities.compute(log).table
        shares = map_levels(all_nodes, [*activity_levels, activities])
        path_list = sorted({*map(float, path_levels), float(paths)})
        steps, edges = list(highlight_steps), [tuple(e) for e in highlight_edges]
        leads = case_table(log).select(CASE, "lead_time")
        levels = []
        # the slowest tickets through a step are the same at every level that keeps the step (a
        # projection drops events, not tickets): found once; those through a transition, per level
        # on a log of more tickets than candidates, samples are looked for among the slowest first
        slowest = _slowest(leads) if int(leads.count().to_pyarrow().as_py()) > _CANDIDATES else None
        step_samples = _samples(log, leads, slowest, transitions=False)
        variants = Variants.compute(log).counts() if len(shares) > 1 else {}
        for share in shares:
            keep = map_activities(all_nodes, share)
            if len(keep) == len(all_nodes):
                projected, base = log, ProcessMap._projected(log, "frequency", 1.0)
            else:  # the tickets through steps and transitions counted on the variants
                projected = projection(log, keep)
                base = ProcessMap._from_frames(projected, *projected_frames(projected, keep, variants))
            base = base.highlight(steps, edges)
            kept = []
            for p in path_list:
                s = base.simplify(paths=p)
                kept.append({
                    "edges": [edge_key(a, b) for a, b in zip(s.edges.source, s.edges.target, strict=True)],
                    "starts": [node_key(a) for a, n in zip(s.nodes.activity, s.nodes.starts, strict=True) if n],
                    "ends": [node_key(a) for a, n in zip(s.nodes.activity, s.nodes.ends, strict=True) if n],
                })  # fmt: skip
            first = next((j for j, k in enumerate(kept) if len(k["edges"]) <= MAX_DRAWN_EDGES), len(kept) - 1)
            drawn = base
            if first > 0:
                union = {e for k in kept[first:] for e in k["edges"]}
                keys = [edge_key(a, b) for a, b in zip(base.edges.source, base.edges.target, strict=True)]
                drawn = replace(base, edges=base.edges[[k in union for k in keys]].reset_index(drop=True))
                kept[:first] = [kept[first]] * first
            samples = {node_key(a): step_samples[node_key(a)] for a in keep if node_key(a) in step_samples}
            samples |= _samples(projected, leads, slowest, steps=False)
            levels.append(Level(share, base, kept, samples, drawn, first))
        a0 = shares.index(max(s for s in shares if s <= activities))
        if activities >= 1.0 and paths <= 0.0 and len(levels[0].base.nodes) > MAX_DEFAULT_STEPS:
            a0 = next((i for i, lv in enumerate(levels) if len(lv.base.nodes) <= MAX_DEFAULT_STEPS), len(levels) - 1)
        p0 = path_list.index(float(paths)) if paths > 0.0 else levels[a0].drawn_from
        return cls(levels=levels, paths=path_list, initial=(a0, p0),
                   targets=dict(targets or {}), breach_rule=breach_rule)  # fmt: skip

    # --- what the page gets ----------------------------------------------------------------------
    def shown(self, level: int, path: int) -> tuple[int, int]:
        """(steps, transitions) shown at an activity level and path level."""
        lv = self.levels[level]
        return len(lv.base.nodes), len(lv.paths[path]["edges"])

    def views(self) -> list[dict[str, Any]]:
        views = []
        for measure in self.measures:
            for i, lv in enumerate(self.levels):
                view = lv.drawn.with_measure(measure).view()
                view |= {"level": i, "shown": i == self.initial[0] and measure == self.measures[0]}
                views.append(view)
        return views

    def data(self) -> dict[str, Any]:
        """The data the page's script uses (JSON): levels, kept edges, figures, samples."""
        return {
            "measures": list(self.measures),
            "paths": [round(p, 4) for p in self.paths],
            "initial": list(self.initial),
            "levels": [self._level_data(lv) for lv in self.levels],
        }

    def _level_data(self, lv: Level) -> dict[str, Any]:
        nodes, items = lv.base.nodes, {}
        for row in nodes.to_dict("records"):
            name = str(row["activity"])
            key = node_key(name)
            figures = [(_("Events"), fmt_thousands(int(row["events"]))), (_("Tickets"), fmt_thousands(int(row["cases"]))),
                       (_("Tickets starting here"), fmt_thousands(int(row["starts"]))),
                       (_("Tickets ending here"), fmt_thousands(int(row["ends"]))),
                       (_("Median wait before"), format_duration(row.get("wait_before_median"))),
                       (_("P90 wait before"), format_duration(row.get("wait_before_p90")))]  # fmt: skip
            if pd.notna(row.get("duration_median")):
                figures.append((_("Median work"), format_duration(row["duration_median"])))
            items[key] = {"kind": "step", "name": name, "figures": figures,
                          "target": self.targets.get(name), "warn": name in lv.base.warn_steps,
                          "sample": lv.samples.get(key, [])}  # fmt: skip
        for row in lv.base.edges.to_dict("records"):
            key = edge_key(row["source"], row["target"])
            count = int(row["count"])
            waits = {"mean": row["wait_mean"], "median": row["wait_median"], "p90": row["wait_p90"],
                     "total": row.get("wait_total", row["wait_mean"] * count)}  # fmt: skip
            items[key] = {
                "kind": "transition", "name": f"{row['source']} → {row['target']}",
                "figures": [(_("Transitions"), fmt_thousands(count)), (_("Tickets"), fmt_thousands(int(row["cases"]))),
                            *((_(_WAITS[s]), format_duration(waits[s])) for s in STATS)],
                "labels": {"frequency": fmt_thousands(count), **{s: format_duration(waits[s]) for s in STATS}},
                "warn": (row["source"], row["target"]) in lv.base.warn_edges,
                "target": self.targets.get(str(row["target"])) if (row["source"], row["target"]) in lv.base.warn_edges else None,
                "sample": lv.samples.get(key, []),
            }  # fmt: skip
        return {"share": lv.share, "steps": len(nodes), "items": items, "paths": lv.paths, "drawnFrom": lv.drawn_from}

    def section_context(self) -> dict[str, Any]:
        a, p = self.initial
        return {
            "views": self.views(),
            "explorer": True,
            "levels": [{"share": lv.share, "steps": len(lv.base.nodes)} for lv in self.levels],
            "path_levels": list(self.paths),
            "initial": self.initial,
            "initial_shown": self.shown(a, p),
            "data": json_script(self.data(), f"{self.section_id}-data"),
            "breach_rule": self.breach_rule,
            "clock": self.clock,
        }


_WAITS = {"mean": N_("Mean wait"), "median": N_("Median wait"), "p90": N_("P90 wait"), "total": N_("Total wait")}


_CANDIDATES = 10_000  # the slowest tickets looked at first for every sample


def _slowest(leads: ir.Table) -> ir.Table:
    """The :data:`_CANDIDATES` slowest tickets (``case_id``; ties by ticket id), materialised."""
    return leads.order_by([ibis.desc(leads.lead_time), leads[CASE]]).limit(_CANDIDATES).select(CASE).cache()


def _samples(
    log: TicketLog, leads: ir.Table, slowest: ir.Table | None, *, steps: bool = True, transitions: bool = True
) -> dict[str, list[tuple[str, str]]]:
    """Per step and transition key: the :data:`SAMPLE_TICKETS` slowest tickets through it
    (ticket id, lead time as text; ties by ticket id). ``leads``: ``case_id``, ``lead_time`` per
    ticket; ``slowest``: :func:`_slowest`, or None when the log has no more tickets than that.

    First among the slowest tickets only: a step or transition with :data:`SAMPLE_TICKETS` of them
    has its sample (every other ticket is faster). Only those with fewer (rare ones) are then looked
    up among all tickets. A step's rows have an empty ``dst`` and ``is_edge`` false."""
    s = step_table(log)
    parts = []
    if steps:
        parts.append(s.select(src=s[ACTIVITY], dst=ibis.literal(""), case=s[CASE], is_edge=ibis.literal(False)))
    if transitions:
        e = s.filter(s.next_activity.notnull())
        parts.append(e.select(src=e[ACTIVITY], dst=e.next_activity, case=e[CASE], is_edge=ibis.literal(True)))
    pairs = parts[0].union(parts[1], distinct=False) if len(parts) == 2 else parts[0]
    keys = ["is_edge", "src", "dst"]

    def slowest_of(t: ir.Table) -> pd.DataFrame:
        t = t.distinct().join(leads, t.case == leads[CASE]).select(*keys, "case", "lead_time")
        w = ibis.window(group_by=[t.is_edge, t.src, t.dst], order_by=[ibis.desc(t.lead_time), t.case])
        t = t.mutate(_rank=ibis.row_number().over(w))
        return t.filter(t._rank < SAMPLE_TICKETS).order_by([*keys, "_rank"]).to_pandas()

    if slowest is None:  # every ticket is a candidate
        return _by_key(slowest_of(pairs))
    df = slowest_of(pairs.semi_join(slowest, pairs.case == slowest[CASE]))
    sizes = df.groupby(keys, sort=False).size()
    full = sizes[sizes >= SAMPLE_TICKETS].reset_index()[keys]
    rest = pairs if full.empty else pairs.anti_join(ibis.memtable(full), keys)
    found = df.set_index(keys).index.isin(full.set_index(keys).index)
    return _by_key(pd.concat([df[found], slowest_of(rest)], ignore_index=True))


def _by_key(df: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """The sample rows (ordered by step or transition, then slowest first) per explorer key."""
    out: dict[str, list[tuple[str, str]]] = {}
    for src, dst, is_edge, case, lead in zip(df.src, df.dst, df.is_edge, df.case, df.lead_time, strict=True):
        key = edge_key(src, dst) if is_edge else node_key(src)
        out.setdefault(key, []).append((str(case), format_duration(lead)))
    return out


def targets_from_ranking(ranking: pd.DataFrame, clock: str = "calendar") -> tuple[dict[str, dict[str, str]], str]:
    """Step → target, attainment and breach as text, and the rule that marks a step ⚠, from a
    bottleneck ranking by excess over target (``step``, ``target_h``, ``required``, ``attained``,
    ``level_h``, ``ratio``, ``excess_h``, ``meets``, ``clock``; the waiting analysis's ``ranking``).
    ``clock`` is used where the ranking has no ``clock`` column."""
    need = {"step", "target_h", "required", "attained", "level_h", "meets"}
    if ranking.empty or not need <= set(ranking.columns):
        return {}, ""
    out: dict[str, dict[str, str]] = {}
    for row in ranking.to_dict("records"):
        pct = int(round(float(row["required"]) * 100))
        missed = row["meets"] is False or row["meets"] == False  # noqa: E712 - numpy bool
        breach = _("no")
        if missed:
            breach = _("yes: P{pct} is {ratio}× the target").format(pct=pct, ratio=f"{float(row.get('ratio', float('nan'))):.1f}")
            if pd.notna(row.get("excess_h")):
                breach += _(", {hours} excess hours").format(hours=f"{float(row['excess_h']):,.1f}")
        out.setdefault(str(row["step"]), {
            "target": _("{pct}% of waits within {target} ({clock} time)").format(
                pct=pct, target=_hours(row["target_h"]), clock=_(row.get("clock") or clock)),
            "attained": _("{share} within; P{pct} wait {wait}").format(
                share=f"{float(row['attained']):.1%}", pct=pct, wait=_hours(row["level_h"])),
            "breach": breach,
        })  # fmt: skip
    levels = sorted({int(round(float(r) * 100)) for r in ranking["required"]})
    share = _(" or ").join(f"{p}%" for p in levels)
    clocks = sorted(set(map(str, ranking["clock"]))) if "clock" in ranking.columns else [clock]
    clock = _(" or ").join(_(c) for c in clocks)
    rule = _("a step whose queue waits meet its target less often than required (fewer than {share} of "
             "waits within the target, i.e. its P{level} wait is over the target; {clock} time, as in "
             "the waiting section), and the transitions into it on which the target is missed.").format(
        share=share, level=levels[0], clock=clock)  # fmt: skip
    return out, rule


def _hours(h: Any) -> str:
    return "–" if h is None or pd.isna(h) else format_duration(float(h) * 3600)
