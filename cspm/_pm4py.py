"""The adapter to pm4py: the only module of cspm that imports pm4py.

pm4py only ever sees compact summaries computed on the engine (variant counters, directly-follows
counts), never the event table. pm4py is imported inside the functions, so ``import cspm`` stays
light and pm4py's banner is never printed.

Sections: process models (discovery) · model exports/imports · (conformance: to be added here).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cspm.discovery import Activities, DirectlyFollows

__all__ = [
    "ProcessModel",
    "heuristics_model",
    "inductive_model",
    "inductive_tree",
    "read_bpmn",
    "read_pnml",
]


# --- process models ----------------------------------------------------------------------------
@dataclass
class ProcessModel:
    """A mined process model: Petri net with markings, BPMN and (Inductive Miner) process tree."""

    miner: str
    noise: float | None
    net: Any
    initial_marking: Any
    final_marking: Any
    bpmn: Any
    tree: Any | None = None

    def save_bpmn(self, path: str | Path) -> Path:
        """Write the model as BPMN 2.0 XML (with diagram layout; opens in bpmn.io, Camunda, Signavio)."""
        from pm4py.objects.bpmn.exporter import exporter

        path = Path(path)
        exporter.apply(self.bpmn, str(path))
        return path

    def save_pnml(self, path: str | Path) -> Path:
        """Write the Petri net with its initial and final marking as PNML."""
        from pm4py.objects.petri_net.exporter import exporter

        path = Path(path)
        exporter.apply(self.net, self.initial_marking, str(path), final_marking=self.final_marking)
        return path

    def summary(self) -> dict[str, Any]:
        visible = [t for t in self.net.transitions if t.label is not None]
        return {
            "miner": self.miner,
            "noise_threshold": self.noise,
            "places": len(self.net.places),
            "transitions": len(self.net.transitions),
            "visible_transitions": len(visible),
            "arcs": len(self.net.arcs),
            "process_tree": str(self.tree) if self.tree is not None else None,
        }

    def _repr_html_(self) -> str:
        s = self.summary()
        head = (
            f"<strong>Process model ({html.escape(s['miner'])})</strong>: {s['places']} places, "
            f"{s['transitions']} transitions ({s['visible_transitions']} visible), {s['arcs']} arcs"
        )
        tree = f"<pre>{html.escape(s['process_tree'])}</pre>" if s["process_tree"] else ""
        return head + tree


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

    tree = inductive_tree(variants, noise)
    net, im, fm = pt_converter.apply(tree)
    bpmn = to_bpmn.apply(tree)
    _layout(bpmn)
    return ProcessModel("inductive", noise, net, im, fm, bpmn, tree)


def heuristics_model(
    dfg: DirectlyFollows,
    activities: Activities,
    *,
    dependency_threshold: float = 0.5,
    and_threshold: float = 0.65,
) -> ProcessModel:
    """Heuristics Miner on the directly-follows counts → Petri net and BPMN."""
    from pm4py.algo.discovery.heuristics.variants import classic
    from pm4py.objects.conversion.wf_net.variants import to_bpmn

    params = {
        classic.Parameters.DEPENDENCY_THRESH: dependency_threshold,
        classic.Parameters.AND_MEASURE_THRESH: and_threshold,
    }
    counts = activities.counts()
    net, im, fm = classic.apply_dfg(
        dfg.counts(),
        activities=list(counts),
        activities_occurrences=counts,
        start_activities=dict(dfg.start_activities),
        end_activities=dict(dfg.end_activities),
        parameters=params,
    )
    bpmn = to_bpmn.apply(net, im, fm)
    _layout(bpmn)
    return ProcessModel("heuristics", None, net, im, fm, bpmn, None)


def _layout(bpmn: Any) -> None:
    """Give the BPMN diagram coordinates (BPMN DI) so that modelling tools can draw it.

    pm4py's layouter renders a Graphviz graph through the ``dot`` binary; it is routed through
    :func:`cspm._render.render_svg` instead, which falls back to the WebAssembly Graphviz.
    """
    from unittest import mock

    from pm4py.objects.bpmn.layout import layouter
    from pm4py.visualization.common import save as gsave

    from cspm._render import RenderUnavailable, render_svg

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
