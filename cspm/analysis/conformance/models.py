"""Reference models (the to-be process) and reading them: BPMN 2.0, PNML, process trees, YAML specs.

A :class:`ReferenceModel` is a Petri net with initial and final marking (plus its process tree or
spec, if any); :func:`load_model` makes one from a file, a spec, a tree or a mined model.

pm4py's importers raise raw parser exceptions or silently build broken nets from bad files; the
checks here run first (with a parser that never resolves entities or fetches anything) so the user
reads which file and which element is wrong, and every net is checked to be sound.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import networkx as nx
import pandas as pd
from lxml import etree

from cspm.analysis.conformance.drawing import END, START, Deviations, model_dot, model_svg
from cspm.analysis.conformance.errors import ModelError
from cspm.analysis.conformance.spec import PathSpec, load_spec, spec_from_dict
from cspm.core.log import TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.mining import pm4py as pmc
from cspm.mining.discovery import variants
from cspm.render.graphviz import RenderUnavailable

__all__ = ["ModelKind", "ModelSummary", "ReferenceModel", "check_bpmn", "check_pnml", "load_model"]

# --- checks of model files -------------------------------------------------------------------
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_TASKS = {"task", "userTask", "serviceTask", "manualTask", "scriptTask", "sendTask", "receiveTask", "businessRuleTask", "callActivity"}
_GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}
_EVENTS = {"startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent"}
_UNSUPPORTED = {"subProcess", "boundaryEvent", "complexGateway", "transaction", "adHocSubProcess"}


def _parse(path: Path) -> etree._Element:
    if not path.is_file():
        raise ModelError(_("no such file"), path=path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        raise ModelError(_("not well-formed XML: {msg}").format(msg=exc.msg), path=path, element=f"line {line}" if line else None) from None


def _describe(el: etree._Element) -> str:
    tag = etree.QName(el).localname
    name = el.get("name")
    return f"<{tag} id={el.get('id')!r}{f' name={name!r}' if name else ''}> (line {el.sourceline})"


def check_bpmn(path: str | Path) -> list[str]:
    """Check a BPMN 2.0 file before conversion; returns the task names. Raises :class:`ModelError`."""
    path = Path(path)
    root = _parse(path)
    if etree.QName(root).namespace != BPMN_NS or etree.QName(root).localname != "definitions":
        raise ModelError(
            _("not a BPMN 2.0 file: the root element is {localname!r}").format(localname=etree.QName(root).localname), path=path,
            element=f"line {root.sourceline}", expected=_("<definitions xmlns='{bpmn_ns}'>").format(bpmn_ns=BPMN_NS),
        )  # fmt: skip
    processes = root.findall(f"{{{BPMN_NS}}}process")
    if len(processes) != 1:
        raise ModelError(_("{n} <process> elements").format(n=len(processes)), path=path, element="definitions",
                         expected=_("exactly one process (pools with several processes are not supported)"))  # fmt: skip
    proc = processes[0]
    nodes: dict[str, etree._Element] = {}
    flows = []
    tasks = []
    for el in proc:
        if not isinstance(el.tag, str):
            continue
        tag = etree.QName(el).localname
        if tag in _UNSUPPORTED:
            raise ModelError(_("{tag} is not supported in a reference model").format(tag=tag), path=path, element=_describe(el),
                             expected=_("tasks, exclusive/parallel gateways, start and end events"))  # fmt: skip
        if tag in _TASKS | _GATEWAYS | _EVENTS:
            if not el.get("id"):
                raise ModelError(_("element without an id"), path=path, element=_describe(el))
            nodes[el.get("id")] = el
            if tag in _TASKS:
                if not (el.get("name") or "").strip():
                    raise ModelError(_("task without a name (the name is the activity it stands for)"),
                                     path=path, element=_describe(el))  # fmt: skip
                tasks.append(el.get("name").strip())
        elif tag == "sequenceFlow":
            flows.append(el)
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    for f in flows:
        for attr in ("sourceRef", "targetRef"):
            if f.get(attr) not in nodes:
                raise ModelError(_("{attr} {value!r} names no task, gateway or event of the process").format(attr=attr, value=f.get(attr)),
                                 path=path, element=_describe(f))  # fmt: skip
        graph.add_edge(f.get("sourceRef"), f.get("targetRef"))
    starts = [n for n, el in nodes.items() if etree.QName(el).localname == "startEvent"]
    ends = [n for n, el in nodes.items() if etree.QName(el).localname == "endEvent"]
    if len(starts) != 1:
        raise ModelError(_("{n} start events").format(n=len(starts)), path=path, element="process", expected=_("exactly one startEvent"))
    if not ends:
        raise ModelError(_("no end event"), path=path, element="process", expected=_("at least one endEvent"))
    reach = nx.descendants(graph, starts[0]) | {starts[0]}
    for n, el in nodes.items():
        if n not in reach:
            raise ModelError(_("cannot be reached from the start event"), path=path, element=_describe(el))
        if not any(nx.has_path(graph, n, e) for e in ends):
            raise ModelError(_("no path from here to an end event"), path=path, element=_describe(el))
    return tasks


def check_pnml(path: str | Path) -> None:
    """Check that a PNML file parses, has places, transitions and an initial marking."""
    path = Path(path)
    root = _parse(path)
    local = {etree.QName(el).localname for el in root.iter() if isinstance(el.tag, str)}
    if etree.QName(root).localname != "pnml":
        raise ModelError(_("not a PNML file: the root element is {localname!r}").format(localname=etree.QName(root).localname), path=path,
                         element=f"line {root.sourceline}", expected=_("<pnml>"))  # fmt: skip
    for needed in ("place", "transition", "arc"):
        if needed not in local:
            raise ModelError(_("no <{needed}> elements").format(needed=needed), path=path, element="net")
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname in ("place", "transition")}
    for arc in (el for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname == "arc"):
        for attr in ("source", "target"):
            if arc.get(attr) not in ids:
                raise ModelError(_("{attr} {value!r} names no place or transition").format(attr=attr, value=arc.get(attr)), path=path,
                                 element=f"<arc id={arc.get('id')!r}> (line {arc.sourceline})")  # fmt: skip
    if "initialMarking" not in local:
        raise ModelError(_("no place has an <initialMarking>"), path=path, element="net",
                         expected=_("a start place with <initialMarking><text>1</text></initialMarking>"))  # fmt: skip


# --- the reference model -----------------------------------------------------------------------
ModelKind = Literal["bpmn", "pnml", "tree", "spec", "discovered", "happy_path", "model"]


class ModelSummary(Record):
    """What a reference model is: its name, kind (bpmn, pnml, tree, spec, discovered, happy_path,
    model), where it comes from, its steps and the size of its Petri net."""


    name: str
    kind: ModelKind
    source: str
    steps: list[str]
    places: int
    transitions: int
    process_tree: str | None


@dataclass
class ReferenceModel(Result):
    """A to-be process as a Petri net with initial and final marking (plus its tree or spec, if any).

    Its table is the model's steps: ``step``, ``transitions`` (visible transitions with that label;
    more than one means a duplicated step), ``may_start`` / ``may_end`` (the step may be the first /
    last of a ticket).
    """

    name: str
    kind: ModelKind
    source: str
    net: Any = field(repr=False)
    initial_marking: Any = field(repr=False)
    final_marking: Any = field(repr=False)
    tree: Any | None = field(default=None, repr=False)
    spec: PathSpec | None = field(default=None, repr=False)

    section_id: ClassVar[str] = "reference_model"
    section_title: ClassVar[str] = N_("Reference model")
    section_template: ClassVar[str] = "section_reference_model.html.j2"

    @property
    def activities(self) -> list[str]:
        """The model's steps (labels of its visible transitions)."""
        return sorted({t.label for t in self.net.transitions if t.label is not None})

    @property
    def file(self) -> str | None:
        """The model's file name (None when it was not read from a file)."""
        return None if self.source.startswith("<") else Path(self.source).name

    def duplicate_steps(self) -> list[str]:
        """Steps that label more than one transition (token replay needs unique steps)."""
        labels = Counter(t.label for t in self.net.transitions if t.label is not None)
        return sorted(x for x, n in labels.items() if n > 1)

    def structure(self) -> dict[str, Any]:
        """Places, transitions (id, label or None), arcs, initial and final places."""
        return pmc.net_structure(self.net, self.initial_marking, self.final_marking)

    def step_graph(self) -> nx.DiGraph:
        """Steps and which step may directly follow which (through silent transitions), with
        ``▶`` (start) and ``■`` (end): the model drawn the way a process map is drawn."""
        s = self.structure()
        g = nx.DiGraph()
        g.add_edges_from(s["arcs"])
        labels = dict(s["transitions"])
        visible = {t for t, lab in labels.items() if lab is not None}
        steps = nx.DiGraph()
        steps.add_nodes_from([START, END, *sorted({labels[t] for t in visible})])

        def reach(start_nodes: list[str]) -> set[str]:
            found, seen, stack = set(), set(), list(start_nodes)
            while stack:
                n = stack.pop()
                if n in seen:
                    continue
                seen.add(n)
                if n in visible:
                    found.add(labels[n])
                    continue
                if n in s["final"]:
                    found.add(END)
                stack.extend(g.successors(n))
            return found

        for target in sorted(reach(list(s["initial"]))):  # sorted: the same drawing every run
            steps.add_edge(START, target)
        for t in sorted(visible, key=lambda t: (labels[t], t)):
            for target in sorted(reach(list(g.successors(t)))):
                steps.add_edge(labels[t], target)
        return steps

    # --- the result interface ---------------------------------------------------------------
    def _summary(self) -> ModelSummary:
        s = self.structure()
        return ModelSummary(
            name=self.name, kind=self.kind, source=self.source, steps=self.activities,
            places=len(s["places"]), transitions=len(s["transitions"]),
            process_tree=str(self.tree) if self.tree is not None else None,
        )  # fmt: skip

    def table(self) -> pd.DataFrame:
        g = self.step_graph()
        labels = Counter(t.label for t in self.net.transitions if t.label is not None)
        steps = self.activities
        return pd.DataFrame({
            "step": steps,
            "transitions": [labels[s] for s in steps],
            "may_start": [g.has_edge(START, s) for s in steps],
            "may_end": [g.has_edge(s, END) for s in steps],
        })  # fmt: skip

    def section_context(self) -> dict[str, Any]:
        try:
            svg = self.svg()
        except RenderUnavailable:  # no Graphviz renderer: the steps as text
            svg = ""
        return {"name": self.name, "kind": self.kind, "file": self.file, "steps": self.activities, "svg": svg}

    def _savers(self) -> dict[str, Callable[[Path], None]]:
        """Besides the common suffixes: ``.svg`` / ``.dot`` the drawing, ``.pnml`` the Petri net."""
        return {
            **super()._savers(),
            ".svg": lambda p: p.write_text(self.svg(), encoding="utf-8"),
            ".dot": lambda p: p.write_text(self.to_dot(), encoding="utf-8"),
            ".pnml": lambda p: pmc.write_pnml(self.net, self.initial_marking, self.final_marking, p),
        }

    # --- drawing ------------------------------------------------------------------------------
    def to_dot(self, deviations: Deviations | None = None, *, top_inserted: int = 8) -> str:
        """Graphviz DOT of the model's steps; with a conformance result, skipped steps dashed (with
        counts) and the most frequent unexpected steps highlighted where they occur."""
        return model_dot(self.step_graph(), deviations, top_inserted=top_inserted)

    def svg(self, deviations: Deviations | None = None) -> str:
        """The drawing of :meth:`to_dot` as an inline ``<svg>`` element."""
        return model_svg(self.step_graph(), deviations)

    # --- constructors -------------------------------------------------------------------------
    @classmethod
    def from_tree(cls, tree: Any, name: str = "process tree", kind: ModelKind = "tree", source: str = "<tree>") -> ReferenceModel:
        """From a pm4py ProcessTree or its string notation, e.g. ``"->('a', X('b', 'c'))"``."""
        if isinstance(tree, str):
            try:
                tree = pmc.parse_tree(tree)
            except Exception as exc:  # noqa: BLE001 - pm4py's parser raises bare exceptions
                raise ModelError(_("not a process tree ({problem})").format(problem=f"{type(exc).__name__}: {exc}".removesuffix(": ")),
                                 path=source, element=repr(tree[:80]),
                                 expected=_("pm4py's notation, e.g. ->('a', X('b', 'c'), *('d', tau))")) from None  # fmt: skip
        net, im, fm = pmc.net_from_tree(tree)
        return cls(name, kind, source, net, im, fm, tree=tree)

    @classmethod
    def from_spec(cls, spec: PathSpec | Mapping[str, Any] | str | Path) -> ReferenceModel:
        """From a YAML happy-path spec (file, dict or :class:`PathSpec`)."""
        source = "<spec>"
        if isinstance(spec, str | Path):
            source = str(spec)
            spec = load_spec(spec)
        elif not isinstance(spec, PathSpec):
            spec = spec_from_dict(dict(spec))
        dups = [s for s, n in spec.step_counts().items() if n > 1]
        if dups:
            raise ModelError(
                _("step {value!r} appears more than once").format(value=dups[0]), path=source, element=f"step {dups[0]!r}",
                expected=_("each step once (write loops with `repeat: [...]`)"),
            )  # fmt: skip
        model = cls.from_tree(pmc.tree_from_nodes(spec.to_nodes()), spec.name, "spec", source)
        model.spec = spec
        return model

    @classmethod
    def from_bpmn(cls, path: str | Path) -> ReferenceModel:
        """From a BPMN 2.0 XML file (tasks, exclusive/parallel gateways, start/end events)."""
        check_bpmn(path)
        try:
            net, im, fm = pmc.read_bpmn_net(path)
        except Exception as exc:  # noqa: BLE001
            raise ModelError(_("pm4py could not convert the BPMN model: {exc}").format(exc=exc), path=path) from None
        model = cls(Path(path).stem, "bpmn", str(path), net, im, fm)
        _check_sound(model)
        return model

    @classmethod
    def from_pnml(cls, path: str | Path) -> ReferenceModel:
        """From a PNML Petri net with initial and final marking."""
        check_pnml(path)
        try:
            net, im, fm = pmc.read_pnml_net(path)
        except Exception as exc:  # noqa: BLE001
            raise ModelError(_("pm4py could not read the Petri net: {exc}").format(exc=exc), path=path) from None
        if not fm:
            sinks = [p for p in net.places if not p.out_arcs]
            if len(sinks) != 1:
                raise ModelError(_("no final marking and no single sink place"), path=path, element="net")
            fm = type(im)(Counter({sinks[0]: 1}))
        model = cls(Path(path).stem, "pnml", str(path), net, im, fm)
        _check_sound(model)
        return model

    @classmethod
    def from_log(cls, log: TicketLog, *, noise: float = 0.0, name: str | None = None) -> ReferenceModel:
        """Inductive Miner model of a baseline log (e.g. last year's period), from its variants."""
        tree = pmc.inductive_tree(variants(log).counts(), noise=noise)
        return cls.from_tree(tree, name or f"discovered from {log.source}", "discovered", log.source)

    @classmethod
    def happy_path(cls, log: TicketLog, *, top: int | None = None, coverage: float = 0.8) -> ReferenceModel:
        """The model of the most frequent variants: ``top`` of them, or those covering ``coverage`` of tickets."""
        table = variants(log).table
        chosen = table.head(top) if top is not None else table[table.cumulative_share - table.share < coverage]
        counts = {a: int(n) for a, n in zip(chosen.activities, chosen["count"], strict=True)}
        tree = pmc.inductive_tree(counts, noise=0.0)
        what = f"top {len(chosen)} variants" if top is not None else f"variants covering {coverage:.0%}"
        return cls.from_tree(tree, f"happy path ({what})", "happy_path", log.source)


def _check_sound(model: ReferenceModel) -> None:
    problems = pmc.soundness_problems(model.net, model.initial_marking, model.final_marking)
    if problems:
        element = problems[0]
        if model.kind == "bpmn":  # pm4py names the places around BPMN element X 'ent_X' / 'exi_X'
            ids = sorted({m for m in re.findall(r"\b(?:ent|exi)_([\w.-]+)", "; ".join(problems))})
            element = _("BPMN elements {ids}").format(ids=", ".join(repr(i) for i in ids)) if ids else element
        raise ModelError(
            _("the model is not sound (a ticket could get stuck or finish with work left): {problems}.").format(
                problems="; ".join(problems)),
            path=model.source, element=element,
            expected=_("a sound workflow net: one start, one end, every path can complete"),
        )  # fmt: skip


def load_model(model: Any) -> ReferenceModel:
    """A :class:`ReferenceModel` from a path (``.bpmn``/``.xml``, ``.pnml``, ``.yaml``/``.yml``,
    ``.ptml`` is not supported), a spec dict, a :class:`PathSpec`, a process-tree string, a pm4py
    ProcessTree, or a mined model with ``net``/``initial_marking``/``final_marking``."""
    if isinstance(model, ReferenceModel):
        return model
    if isinstance(model, PathSpec | Mapping):
        return ReferenceModel.from_spec(model)
    if isinstance(model, str | Path):
        path = Path(model)
        suffix = path.suffix.lower()
        if suffix in (".bpmn", ".xml") or str(model).endswith(".bpmn20.xml"):
            return ReferenceModel.from_bpmn(path)
        if suffix == ".pnml":
            return ReferenceModel.from_pnml(path)
        if suffix in (".yaml", ".yml"):
            if not path.is_file():
                raise ModelError(_("no such file"), path=path)
            return ReferenceModel.from_spec(path)
        if isinstance(model, str) and not path.suffix and any(op in model for op in ("->(", "X(", "*(", "+(")):
            return ReferenceModel.from_tree(model)
        raise ModelError(_("unknown model format {value}").format(value=suffix or '(no suffix)'), path=path,
                         expected=_("a .bpmn, .pnml or .yaml/.yml file, or a process tree such as ->('a', X('b', 'c'))"))  # fmt: skip
    if all(hasattr(model, a) for a in ("net", "initial_marking", "final_marking")):
        tree = getattr(model, "tree", None)
        ref = ReferenceModel(getattr(model, "miner", "model"), "model", "<model>", model.net,
                             model.initial_marking, model.final_marking, tree=tree)  # fmt: skip
        if tree is None:  # nets from process trees are sound by construction; others are checked
            _check_sound(ref)
        return ref
    if type(model).__name__ == "ProcessTree":
        return ReferenceModel.from_tree(model)
    raise ModelError(_("cannot use a {name} as a reference model").format(name=type(model).__name__),
                     expected=_("a BPMN/PNML/YAML path, a PathSpec, a process tree or a mined model"))  # fmt: skip
