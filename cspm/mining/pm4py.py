"""The adapter to pm4py: the only module of cspm that imports pm4py.

pm4py only ever sees compact summaries computed on the engine, as plain data (variant counters,
directly-follows and activity counts), never the event table nor cspm's result types. pm4py is
imported inside the functions, so ``import cspm`` stays light and pm4py's banner is never printed.

Sections: process models (discovery) · model exports/imports · conformance (models, soundness,
token-based replay, precision, alignments bounded in time and run in worker processes).

Alignments are computed by the compiled A* of Rust4PM (``r4pm``) on the pm4py net, with pm4py's
standard costs (log and model moves 10,000, silent moves 1, synchronous moves 0) and pm4py's
fitness formula, so each variant gets the cost, best-worst cost and fitness that
``pm4py.fitness_alignments`` gives it; without ``r4pm``, pm4py's own A* is used.
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import networkx as nx
import pandas as pd

from cspm.core.result import Result
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.mining.records import Miner, ModelSummary
from cspm.render.bpmn import bpmn_svg
from cspm.render.canonical import canonical_model_xml
from cspm.render.graphviz import RenderUnavailable, render_svg
from cspm.render.safe import xml_text

__all__ = [
    "AlignedVariant",
    "ProcessModel",
    "align_variants",
    "best_worst_cost",
    "heuristics_model",
    "inductive_model",
    "inductive_tree",
    "net_from_tree",
    "net_structure",
    "parse_tree",
    "precision_variants",
    "read_bpmn",
    "read_bpmn_net",
    "read_pnml",
    "read_pnml_net",
    "soundness_problems",
    "token_replay_variants",
    "tree_from_nodes",
    "write_pnml",
]


# --- process models ----------------------------------------------------------------------------
@dataclass
class ProcessModel(Result):
    """A mined process model: Petri net with markings, BPMN and (Inductive Miner) process tree.

    ``save('….bpmn')`` writes BPMN 2.0, ``save('….pnml')`` the Petri net (as :meth:`save_bpmn` /
    :meth:`save_pnml`); ``table()`` lists the net's transitions.
    """

    miner: Miner
    noise: float | None
    net: Any
    initial_marking: Any
    final_marking: Any
    bpmn: Any
    tree: Any | None = None

    section_id: ClassVar[str] = "model"
    section_title: ClassVar[str] = N_("Process model")
    section_template: ClassVar[str] = "section_model.html.j2"

    def save_bpmn(self, path: str | Path) -> Path:
        """Write the model as BPMN 2.0 XML (with diagram layout; opens in bpmn.io, Camunda, Signavio)."""
        from pm4py.objects.bpmn.exporter import exporter

        path = Path(path)
        exporter.apply(self.bpmn, str(path))
        return _canonical(path)

    def save_pnml(self, path: str | Path) -> Path:
        """Write the Petri net with its initial and final marking as PNML."""
        from pm4py.objects.petri_net.exporter import exporter

        path = Path(path)
        exporter.apply(self.net, self.initial_marking, str(path), final_marking=self.final_marking)
        return _canonical(path)

    def _savers(self) -> dict[str, Callable[[Path], Any]]:
        return {**super()._savers(), ".bpmn": self.save_bpmn, ".pnml": self.save_pnml}

    def _summary(self) -> ModelSummary:
        visible = [t for t in self.net.transitions if t.label is not None]
        return ModelSummary(
            miner=self.miner,
            noise_threshold=self.noise,
            places=len(self.net.places),
            transitions=len(self.net.transitions),
            visible_transitions=len(visible),
            arcs=len(self.net.arcs),
            process_tree=str(self.tree) if self.tree is not None else None,
        )

    def table(self) -> pd.DataFrame:
        """The net's transitions: ``t1``, ``t2``, … (pm4py's own names are random ids), label (None for
        a silent one), visible, inputs/outputs (arcs); visible ones first, by label."""
        rows = [
            {"label": t.label, "visible": t.label is not None, "inputs": len(t.in_arcs), "outputs": len(t.out_arcs)}
            for t in self.net.transitions
        ]  # fmt: skip
        df = pd.DataFrame(rows, columns=["label", "visible", "inputs", "outputs"])
        df = df.sort_values(["visible", "label", "inputs", "outputs"], ascending=[False, True, True, True])
        df.insert(0, "transition", [f"t{i}" for i in range(1, len(df) + 1)])
        return df.reset_index(drop=True)

    def bpmn_graph(self) -> nx.DiGraph:
        """The BPMN model as a graph: nodes (BPMN ids) with ``kind`` (task, exclusive, parallel,
        inclusive, start, end, other) and ``name``; edges are the sequence flows."""
        kinds = {"Task": "task", "ExclusiveGateway": "exclusive", "ParallelGateway": "parallel",
                 "InclusiveGateway": "inclusive", "StartEvent": "start", "NormalStartEvent": "start",
                 "EndEvent": "end", "NormalEndEvent": "end"}  # fmt: skip
        raw = nx.DiGraph()
        for node in self.bpmn.get_nodes():
            raw.add_node(str(node.get_id()), kind=kinds.get(type(node).__name__, "other"), name=node.get_name())
        for flow in self.bpmn.get_flows():
            raw.add_edge(str(flow.get_source().get_id()), str(flow.get_target().get_id()))
        # pm4py's ids are random and its sets unordered: nodes and flows go in an order given by the
        # model's structure (kind, name and the Weisfeiler-Lehman hashes of what precedes and follows),
        # so that the same model is drawn the same way in every run
        for d in raw.nodes.values():  # networkx hashes ASCII labels: names go in as their digest
            d["key"] = f"{d['kind']}:{hashlib.sha1((d['name'] or '').encode('utf-8')).hexdigest()}"
        depth = min(8, max(1, raw.number_of_nodes()))
        ahead = nx.weisfeiler_lehman_subgraph_hashes(raw, node_attr="key", iterations=depth)
        behind = nx.weisfeiler_lehman_subgraph_hashes(raw.reverse(), node_attr="key", iterations=depth)
        rank = {n: (raw.nodes[n]["key"], tuple(ahead[n]), tuple(behind[n])) for n in raw.nodes}
        g = nx.DiGraph()
        for n in sorted(raw.nodes, key=lambda n: rank[n]):
            g.add_node(n, kind=raw.nodes[n]["kind"], name=raw.nodes[n]["name"])
        for u, v in sorted(raw.edges, key=lambda e: (rank[e[0]], rank[e[1]])):
            g.add_edge(u, v)
        return g

    def section_context(self) -> dict[str, Any]:
        s = self._summary()
        figures = [(_("Places"), s.places), (_("Transitions"), s.transitions),
                   (_("Visible transitions"), s.visible_transitions), (_("Arcs"), s.arcs)]  # fmt: skip
        graph = self.bpmn_graph()
        try:
            svg = bpmn_svg(graph)
        except RenderUnavailable:
            svg = ""
        tasks = sum(1 for _, d in graph.nodes(data=True) if d["kind"] == "task")
        return {"miner": _(MINER_NAMES.get(s.miner, s.miner)), "noise": s.noise_threshold, "figures": figures, "tree": s.process_tree,
                "svg": svg, "tasks": tasks}  # fmt: skip


MINER_NAMES = {"inductive": N_("inductive"), "heuristics": N_("heuristics")}


def inductive_tree(variants: Mapping[tuple[str, ...], int], noise: float = 0.2) -> Any:
    """Inductive Miner process tree from variant counts.

    With ``noise > 0`` this is IMf (the infrequent variant), otherwise IM; the tree equals what
    ``pm4py.discover_process_tree_inductive(df, noise_threshold=noise)`` gives on the full log.
    """
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.im import IMUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.objects.process_tree.utils import generic
    from pm4py.util.compression.dtypes import UVCL

    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise threshold must be between 0 and 1, got {noise}")
    uvcl = UVCL()
    for variant, count in variants.items():
        uvcl[tuple(variant)] = int(count)
    params: dict[str, Any] = {"noise_threshold": noise, "multiprocessing": False}
    miner = IMFUVCL(params) if noise > 0 else IMUVCL(params)
    tree = miner.apply(IMDataStructureUVCL(uvcl), params)
    tree = generic.fold(tree)
    generic.tree_sort(tree)
    return tree


def inductive_model(variants: Mapping[tuple[str, ...], int], noise: float = 0.2) -> ProcessModel:
    """Inductive Miner on the variants → process tree, Petri net and BPMN."""
    from pm4py.objects.conversion.process_tree import converter as pt_converter
    from pm4py.objects.conversion.process_tree.variants import to_bpmn

    tree = inductive_tree({tuple(map(xml_text, v)): n for v, n in variants.items()}, noise)
    net, im, fm = pt_converter.apply(tree)
    bpmn = to_bpmn.apply(tree)
    _layout(bpmn)
    return ProcessModel("inductive", noise, net, im, fm, bpmn, tree)


def heuristics_model(
    edges: Mapping[tuple[str, str], int],
    activities: Mapping[str, int],
    start_activities: Mapping[str, int],
    end_activities: Mapping[str, int],
    *,
    dependency_threshold: float = 0.5,
    and_threshold: float = 0.65,
) -> ProcessModel:
    """Heuristics Miner on the directly-follows counts → Petri net and BPMN.

    ``edges``: (source, target) → times target directly follows source; ``activities``: activity →
    events; ``start_activities`` / ``end_activities``: activity → cases starting / ending there.
    """
    from pm4py.algo.discovery.heuristics.variants import classic
    from pm4py.objects.conversion.wf_net.variants import to_bpmn

    params = {
        classic.Parameters.DEPENDENCY_THRESH: dependency_threshold,
        classic.Parameters.AND_MEASURE_THRESH: and_threshold,
    }
    net, im, fm = classic.apply_dfg(  # names XML cannot hold are escaped (the model is written as XML)
        {(xml_text(a), xml_text(b)): n for (a, b), n in edges.items()},
        activities=[xml_text(a) for a in activities],
        activities_occurrences={xml_text(a): n for a, n in activities.items()},
        start_activities={xml_text(a): n for a, n in start_activities.items()},
        end_activities={xml_text(a): n for a, n in end_activities.items()},
        parameters=params,
    )
    bpmn = to_bpmn.apply(net, im, fm)
    _layout(bpmn)
    return ProcessModel("heuristics", None, net, im, fm, bpmn, None)


def _layout(bpmn: Any) -> None:
    """Give the BPMN diagram coordinates (BPMN DI) so that modelling tools can draw it.

    pm4py's layouter renders a Graphviz graph through the ``dot`` binary; it is routed through
    :func:`cspm.render.graphviz.render_svg` instead, which falls back to the WebAssembly Graphviz.
    """
    from unittest import mock

    from pm4py.objects.bpmn.layout import layouter
    from pm4py.visualization.common import save as gsave

    def _save(gviz: Any, output_file_path: str, parameters: Any = None) -> str:
        Path(output_file_path).write_text(render_svg(gviz.source), encoding="utf-8")
        return ""

    try:
        with mock.patch.object(gsave, "save", _save):
            layouter.apply(bpmn)
    except RenderUnavailable:
        return  # no Graphviz at all: the model stays valid, without diagram coordinates


# --- imports (for round trips and later conformance checking) ----------------------------------
def read_bpmn(path: str | Path) -> Any:
    """Read a BPMN 2.0 XML file with pm4py's importer."""
    from pm4py.objects.bpmn.importer import importer

    return importer.apply(str(path))


def read_pnml(path: str | Path) -> tuple[Any, Any, Any]:
    """Read a PNML file: (net, initial marking, final marking)."""
    from pm4py.objects.petri_net.importer import importer

    return importer.apply(str(path))


# === conformance ================================================================================
SKIP = ">>"  # pm4py's "no move" symbol in alignments


# --- models ------------------------------------------------------------------------------------
def tree_from_nodes(node: tuple[Any, ...]) -> Any:
    """A pm4py ProcessTree from nested tuples: ``("act", label)``, ``("tau",)``,
    ``("seq" | "xor" | "and", [children])`` or ``("loop", do, redo)``."""
    from pm4py.objects.process_tree.obj import Operator, ProcessTree

    ops = {"seq": Operator.SEQUENCE, "xor": Operator.XOR, "and": Operator.PARALLEL, "loop": Operator.LOOP}

    def build(n: tuple[Any, ...], parent: Any) -> Any:
        kind = n[0]
        if kind == "act":
            return ProcessTree(parent=parent, label=n[1])
        if kind == "tau":
            return ProcessTree(parent=parent)
        tree = ProcessTree(operator=ops[kind], parent=parent)
        children = [n[1], n[2]] if kind == "loop" else list(n[1])
        tree.children.extend(build(c, tree) for c in children)
        return tree

    return build(node, None)


def parse_tree(text: str) -> Any:
    """A process tree from pm4py's string notation, e.g. ``->('a', X('b', 'c'))``."""
    from pm4py.objects.process_tree.utils.generic import parse

    return parse(text)


def net_from_tree(tree: Any) -> tuple[Any, Any, Any]:
    """Process tree → (Petri net, initial marking, final marking)."""
    from pm4py.objects.conversion.process_tree import converter

    return converter.apply(tree)


def read_bpmn_net(path: str | Path) -> tuple[Any, Any, Any]:
    """BPMN 2.0 XML → (Petri net, initial marking, final marking) with pm4py's importer/converter."""
    from pm4py.objects.bpmn.importer import importer
    from pm4py.objects.conversion.bpmn import converter

    bpmn = importer.apply(str(path))
    return converter.apply(bpmn)


def read_pnml_net(path: str | Path) -> tuple[Any, Any, Any]:
    """PNML → (Petri net, initial marking, final marking)."""
    from pm4py.objects.petri_net.importer import importer

    return importer.apply(str(path))


def write_pnml(net: Any, im: Any, fm: Any, path: str | Path) -> Path:
    """Write a Petri net with its initial and final marking as PNML."""
    from pm4py.objects.petri_net.exporter import exporter

    exporter.apply(net, im, str(path), final_marking=fm)
    return _canonical(Path(path))


def _canonical(path: Path) -> Path:
    """Rewrite a written BPMN/PNML file with content-derived ids in a canonical order, so that the
    same model gives the same bytes (see :mod:`cspm.render.canonical`)."""
    path.write_bytes(canonical_model_xml(path.read_bytes()))
    return path


def soundness_problems(net: Any, im: Any, fm: Any) -> list[str]:
    """Why the net is not a sound workflow net (empty when it is), via pm4py's Woflan."""
    from pm4py.algo.analysis.woflan import algorithm as woflan
    from pm4py.objects.petri_net.utils import check_soundness

    if not check_soundness.check_wfnet(net):
        sources = sorted(p.name for p in net.places if not p.in_arcs)
        sinks = sorted(p.name for p in net.places if not p.out_arcs)
        return [f"not a workflow net (needs exactly one source and one sink place; sources {sources}, sinks {sinks})"]
    sound, diagnostics = woflan.apply(
        net, im, fm,
        parameters={"return_asap_when_not_sound": True, "return_diagnostics": True, "print_diagnostics": False},
    )  # fmt: skip
    if sound:
        return []
    problems = []
    for key, value in diagnostics.items():
        name = str(getattr(key, "value", key))
        if name not in ("uncovered_places_s_component", "diagnostic_messages") or not value:
            continue  # matrices, nets, invariants: not something to show a person
        if name == "diagnostic_messages":  # keep what went wrong, not "Input is ok."
            problems.extend(str(m).split(":")[0] for m in value if " not " in str(m))
            continue
        shown = sorted({str(getattr(x, "label", None) or getattr(x, "name", None) or x) for x in value})
        problems.append(f"{name.replace('_', ' ')}: {', '.join(shown[:10])}")
    return problems or ["not sound (Woflan)"]


def net_structure(net: Any, im: Any, fm: Any) -> dict[str, Any]:
    """Plain data for drawing: places, transitions (id, label or None), arcs, initial/final places."""
    return {
        "places": sorted(p.name for p in net.places),
        "transitions": sorted(((t.name, t.label) for t in net.transitions), key=lambda x: str(x[0])),
        "arcs": sorted((a.source.name, a.target.name) for a in net.arcs),
        "initial": sorted(p.name for p in im),
        "final": sorted(p.name for p in fm),
    }


def _event_log(variants: Sequence[tuple[str, ...]]) -> Any:
    from pm4py.objects.log.obj import Event, EventLog, Trace

    key = "concept:name"
    return EventLog([Trace([Event({key: a}) for a in v]) for v in variants])


# --- token-based replay ------------------------------------------------------------------------
def token_replay_variants(net: Any, im: Any, fm: Any, variants: Sequence[tuple[str, ...]]) -> list[dict[str, Any]]:
    """Token-based replay of each variant once, with the parameters ``fitness_token_based_replay`` uses.

    Per variant: ``fitness``, ``is_fit``, ``missing``, ``consumed``, ``remaining``, ``produced`` and
    ``problem_steps`` (labels of visible transitions fired with missing tokens).
    """
    from pm4py.algo.conformance.tokenreplay import algorithm as executor
    from pm4py.algo.conformance.tokenreplay.variants import token_replay

    params = {
        token_replay.Parameters.ACTIVITY_KEY: "concept:name",
        token_replay.Parameters.CONSIDER_REMAINING_IN_FITNESS: True,
        token_replay.Parameters.CLEANING_TOKEN_FLOOD: False,
        token_replay.Parameters.SHOW_PROGRESS_BAR: False,
    }
    replayed = executor.apply(_event_log(variants), net, im, fm, variant=executor.Variants.TOKEN_REPLAY, parameters=params)
    out = []
    for r in replayed:
        out.append({
            "fitness": float(r["trace_fitness"]),
            "is_fit": bool(r["trace_is_fit"]),
            "missing": int(r["missing_tokens"]),
            "consumed": int(r["consumed_tokens"]),
            "remaining": int(r["remaining_tokens"]),
            "produced": int(r["produced_tokens"]),
            "problem_steps": sorted({t.label for t in r["transitions_with_problems"] if t.label is not None}),
        })  # fmt: skip
    return out


def precision_variants(net: Any, im: Any, fm: Any, variants: Mapping[tuple[str, ...], int]) -> float:
    """ETConformance precision (token based) from variant counts; equals ``precision_token_based_replay``."""
    from pm4py.algo.conformance.tokenreplay import algorithm as executor
    from pm4py.algo.conformance.tokenreplay.variants import token_replay
    from pm4py.algo.evaluation.precision import utils as precision_utils
    from pm4py.objects.petri_net.utils.align_utils import (
        get_visible_transitions_eventually_enabled_by_marking,
    )
    from pm4py.util import constants

    prefixes: dict[str, set[str]] = {}
    prefix_count: Counter[str] = Counter()
    starts: set[str] = set()
    n_traces = 0
    for trace, count in variants.items():
        n_traces += count
        if trace:
            starts.add(trace[0])
        for i in range(1, len(trace)):
            prefix = constants.DEFAULT_VARIANT_SEP.join(trace[0:i])
            prefixes.setdefault(prefix, set()).add(trace[i])
            prefix_count[prefix] += count
    keys = list(prefixes)
    params = {
        token_replay.Parameters.SHOW_PROGRESS_BAR: False,
        token_replay.Parameters.CONSIDER_REMAINING_IN_FITNESS: False,
        token_replay.Parameters.TRY_TO_REACH_FINAL_MARKING_THROUGH_HIDDEN: False,
        token_replay.Parameters.STOP_IMMEDIATELY_UNFIT: True,
        token_replay.Parameters.WALK_THROUGH_HIDDEN_TRANS: True,
        token_replay.Parameters.CLEANING_TOKEN_FLOOD: False,
        token_replay.Parameters.ACTIVITY_KEY: "concept:name",
    }
    fake_log = precision_utils.form_fake_log(keys, activity_key="concept:name")
    replayed = executor.apply(fake_log, net, im, fm, variant=executor.Variants.TOKEN_REPLAY, parameters=params)
    initial = {t.label for t in get_visible_transitions_eventually_enabled_by_marking(net, im)}
    sum_at = n_traces * len(initial)
    sum_ee = n_traces * len(initial - starts)
    for key, r in zip(keys, replayed, strict=True):
        if r["trace_is_fit"]:
            enabled = {t.label for t in r["enabled_transitions_in_marking"] if t.label is not None}
            sum_at += len(enabled) * prefix_count[key]
            sum_ee += len(enabled - prefixes[key]) * prefix_count[key]
    return 1 - sum_ee / sum_at if sum_at > 0 else 1.0


# --- alignments --------------------------------------------------------------------------------
# A variant longer than this is not aligned at all (status "too long"): a deterministic bound, so a
# run's figures never depend on machine load; one 2,000-event variant took 93 s and 1.7 GB.
MAX_ALIGNED_EVENTS = 500


@dataclass
class AlignedVariant:
    """One variant's alignment, or why there is none (``status``: aligned / timeout / error)."""

    index: int
    status: str
    seconds: float
    fitness: float | None = None
    cost: int | None = None
    bwc: int | None = None
    moves: list[tuple[str | None, str | None]] = field(default_factory=list)  # (log label, model label)
    message: str = ""


# pm4py's standard alignment costs (align_utils.STD_MODEL_LOG_MOVE_COST, STD_TAU_COST, STD_SYNC_COST)
_COSTS = {"log_move_cost": 10_000, "model_move_cost": 10_000, "silent_move_cost": 1, "sync_move_cost": 0}
_MOVE_COST = 10_000


def _r4pm_net(net: Any, im: Any, fm: Any) -> tuple[Any, dict[str, str | None]] | None:
    """The net in Rust4PM's form and its transition labels (``None`` for silent ones); ``None``
    when ``r4pm`` is not installed."""
    try:
        from r4pm.petri_net import from_pm4py
    except ImportError:
        return None
    r4 = from_pm4py(net, im, fm)
    return r4, {tid: t.get("label") for tid, t in r4["transitions"].items()}


def _r4pm_alignment(variant: tuple[str, ...], bwc: int) -> tuple[float, int, int, list[tuple[str | None, str | None]]]:
    """(fitness, cost, best-worst cost of the trace, moves) of one variant, as pm4py's
    ``alignments.apply_trace`` computes them: fitness = 1 − ⌊cost / 10,000⌋ / ⌊(10,000·len + bwc) /
    10,000⌋."""
    from r4pm.bindings.conformance.case_centric.alignments import align_trace

    r4, labels = _WORKER["r4pm"]
    ali = align_trace(r4, list(variant), {"cost_fn": _COSTS})
    moves: list[tuple[str | None, str | None]] = []
    for move in ali["moves"]:
        (kind, what), = move.items()
        if kind == "SyncMove":
            moves.append((variant[what["trace_event_index"]], labels[what["transition"]]))
        elif kind == "ModelMove":
            moves.append((None, labels[what["transition"]]))
        else:  # LogMove
            moves.append((variant[what["trace_event_index"]], None))
    cost = int(ali["cost"])
    trace_bwc = _MOVE_COST * len(variant) + bwc
    den = trace_bwc // _MOVE_COST
    fitness = 1 - (cost // _MOVE_COST) / den if den > 0 else 0
    return float(fitness), cost, trace_bwc, moves


def best_worst_cost(net: Any, im: Any, fm: Any) -> int:
    """Cost of aligning the empty trace (pm4py's ``best_worst_cost``, used for fitness)."""
    from pm4py.algo.conformance.alignments.petri_net import algorithm as alignments
    from pm4py.util import exec_utils

    variant = alignments.DEFAULT_VARIANT
    return int(exec_utils.get_variant(variant).get_best_worst_cost(net, im, fm, parameters={}))


_WORKER: dict[str, Any] = {}


def _worker_init(net: Any, im: Any, fm: Any, bwc: int) -> None:
    from pm4py.algo.conformance.alignments.petri_net import algorithm  # noqa: F401  (import once per worker)

    _WORKER.update(net=net, im=im, fm=fm, bwc=bwc, r4pm=_r4pm_net(net, im, fm))


def _align_one(index: int, variant: tuple[str, ...], time_limit: float) -> AlignedVariant:
    """Align one variant in a worker process, as ``alignments.apply_log`` does for each variant."""
    from pm4py.algo.conformance.alignments.petri_net import algorithm as alignments

    start = time.perf_counter()
    if _WORKER["r4pm"] is not None:
        try:
            fitness, cost, bwc, moves = _r4pm_alignment(variant, _WORKER["bwc"])
        except Exception as exc:  # noqa: BLE001 - reported per variant, never silently dropped
            return AlignedVariant(index, "error", time.perf_counter() - start, message=f"{type(exc).__name__}: {exc}")
        elapsed = time.perf_counter() - start
        if elapsed > time_limit:  # the same bound as pm4py's search: an alignment found late does not count
            return AlignedVariant(index, "timeout", elapsed, message=f"not aligned within {time_limit:g} s")
        return AlignedVariant(index, "aligned", elapsed, fitness, cost, bwc, moves)
    params = {
        alignments.Parameters.PARAM_MAX_ALIGN_TIME_TRACE: time_limit,
        alignments.Parameters.BEST_WORST_COST_INTERNAL: _WORKER["bwc"],
    }
    try:
        trace = _event_log([variant])[0]
        ali = alignments.apply_trace(trace, _WORKER["net"], _WORKER["im"], _WORKER["fm"], parameters=params)
    except Exception as exc:  # noqa: BLE001 - reported per variant, never silently dropped
        return AlignedVariant(index, "error", time.perf_counter() - start, message=f"{type(exc).__name__}: {exc}")
    elapsed = time.perf_counter() - start
    if ali is None:
        return AlignedVariant(index, "timeout", elapsed, message=f"not aligned within {time_limit:g} s")
    moves = [(None if a == SKIP else a, None if m == SKIP else m) for a, m in ali["alignment"]]
    return AlignedVariant(index, "aligned", elapsed, float(ali["fitness"]), int(ali["cost"]), int(ali["bwc"]), moves)


def align_variants(
    net: Any,
    im: Any,
    fm: Any,
    variants: Sequence[tuple[str, ...]],
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    grace: float = 1.0,
) -> list[AlignedVariant]:
    """Align each variant once in ``workers`` processes (Rust4PM's A*, else pm4py's default A*).

    A variant of more than :data:`MAX_ALIGNED_EVENTS` events is not aligned (status ``too long``).

    Each variant gets ``time_limit`` seconds (pm4py stops its search then and the variant is
    reported as ``timeout``). At most ``workers`` variants run at a time and each is watched from
    here: one still running ``time_limit + grace`` seconds after it started is reported as
    ``timeout``, the pool is shut down (its processes killed) and a new one takes the rest.
    """
    results: list[AlignedVariant | None] = [None] * len(variants)
    if not variants:
        return []
    for i, variant in enumerate(variants):
        if len(variant) > MAX_ALIGNED_EVENTS:
            results[i] = AlignedVariant(
                i, "too long", 0.0,
                message=f"not aligned: {len(variant):,} events, above the bound of {MAX_ALIGNED_EVENTS:,} per variant",
            )  # fmt: skip
    if all(r is not None for r in results):
        return list(results)  # type: ignore[arg-type]
    bwc = best_worst_cost(net, im, fm)
    # fork (where available) does not re-import the caller's main module, so scripts without a
    # ``if __name__ == "__main__"`` guard work; the children only touch the pm4py objects.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    # the longest variants first (``pop`` takes from the end), so no worker is left with a long one at the end
    pending = sorted((i for i in range(len(variants)) if results[i] is None), key=lambda i: (len(variants[i]), -i))
    workers = max(1, min(workers, len(variants)))
    restarts = 0
    while pending:
        if restarts > 3:
            for i in pending:
                results[i] = AlignedVariant(i, "error", 0.0, message="worker processes kept failing")
            break
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init, initargs=(net, im, fm, bwc))
        running: dict[Future[AlignedVariant], tuple[int, float]] = {}
        broken = False
        late: list[Future[AlignedVariant]] = []
        try:
            while pending or running:
                while pending and len(running) < workers:
                    i = pending.pop()
                    running[pool.submit(_align_one, i, variants[i], time_limit)] = (i, time.monotonic())
                done, _ = wait(list(running), timeout=0.1, return_when=FIRST_COMPLETED)
                for fut in done:
                    i, _t0 = running.pop(fut)
                    try:
                        results[i] = fut.result()
                    except Exception as exc:  # noqa: BLE001 - a crashed worker: report, go on
                        results[i] = AlignedVariant(i, "error", 0.0, message=f"{type(exc).__name__}: {exc}")
                        broken = True
                now = time.monotonic()
                late = [f for f, (_, t0) in running.items() if now - t0 > time_limit + grace]
                for fut in late:
                    i, t0 = running.pop(fut)
                    results[i] = AlignedVariant(i, "timeout", now - t0, message=f"not aligned within {time_limit:g} s (stopped)")
                if late or broken:
                    pending.extend(i for i, _ in running.values())  # still running elsewhere: retry
                    break
        finally:
            if late or broken:
                restarts += 1
                for proc in list((getattr(pool, "_processes", None) or {}).values()):
                    proc.kill()
            pool.shutdown(wait=True, cancel_futures=True)
    return [r for r in results if r is not None]


def alignment_budget(n_variants: int, time_limit: float, workers: int) -> float:
    """Upper bound of the alignment phase's search time: ``ceil(n / workers) * time_limit`` seconds."""
    return math.ceil(n_variants / max(1, workers)) * time_limit
