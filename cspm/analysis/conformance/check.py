"""Conformance to the intended (to-be) process: fitness, deviations a consultant can act on, rules.

* **Reference models** (:class:`ReferenceModel`, :func:`load_model`): BPMN 2.0 XML (Camunda Modeler,
  bpmn.io, Signavio), PNML, a process tree, a YAML happy-path spec (see :mod:`cspm.analysis.conformance.spec`),
  a model discovered from a baseline log, or the "happy path" of the most frequent variants.
* **Checking on variants** (:func:`check_conformance`): every distinct activity sequence is replayed
  once (token-based replay, the default) or aligned once (alignments, exact, each variant bounded
  by ``time_limit`` seconds in ``workers`` processes) and weighted by its number of tickets. The
  fitness figures are pm4py's own (``fitness_token_based_replay`` / ``fitness_alignments``); the
  per-ticket fitness is joined back to the cases on the engine.
* **Deviations** come from alignments (of the non-fitting variants when the fitness method is token
  replay): per model step how many tickets skipped it (move on model), and which unexpected steps
  occur where (move on log, with the steps before and after), each ranked by tickets and by the
  median lead time of the deviating tickets minus that of the conforming ones.
* **Rules** from the config (``rules:``) are evaluated on the engine (:mod:`cspm.analysis.conformance.rules`).

A variant that is not aligned within its budget is listed in ``unaligned`` (and in the report) and
left out of the alignment fitness figures, never silently dropped.
"""

from __future__ import annotations

import html
import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import networkx as nx
import pandas as pd

from cspm.analysis.conformance.models import check_bpmn, check_pnml
from cspm.analysis.conformance.rules import RuleResults, check_rules
from cspm.analysis.conformance.spec import ModelError, PathSpec, load_spec, spec_from_dict
from cspm.config import Config, Rule
from cspm.core.log import CASE, TicketLog
from cspm.mining import pm4py as pmc
from cspm.mining.discovery import case_table, variants
from cspm.units import format_duration

__all__ = [
    "ConformanceResult",
    "ModelError",
    "PathSpec",
    "ReferenceModel",
    "RuleResults",
    "check_conformance",
    "check_rules",
    "load_model",
]

Method = Literal["token_replay", "alignments"]


# --- reference models --------------------------------------------------------------------------
@dataclass
class ReferenceModel:
    """A to-be process as a Petri net with initial and final marking (plus its tree or spec, if any)."""

    name: str
    kind: str  # bpmn, pnml, tree, spec, discovered, happy_path, model
    source: str
    net: Any = field(repr=False)
    initial_marking: Any = field(repr=False)
    final_marking: Any = field(repr=False)
    tree: Any | None = field(default=None, repr=False)
    spec: PathSpec | None = field(default=None, repr=False)

    @property
    def activities(self) -> list[str]:
        """The model's steps (labels of its visible transitions)."""
        return sorted({t.label for t in self.net.transitions if t.label is not None})

    def duplicate_steps(self) -> list[str]:
        labels = [t.label for t in self.net.transitions if t.label is not None]
        return sorted({x for x in labels if labels.count(x) > 1})

    def structure(self) -> dict[str, Any]:
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
        steps.add_nodes_from(["▶", "■", *sorted({labels[t] for t in visible})])

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
                    found.add("■")
                stack.extend(g.successors(n))
            return found

        for target in reach(list(s["initial"])):
            steps.add_edge("▶", target)
        for t in visible:
            for target in reach(list(g.successors(t))):
                steps.add_edge(labels[t], target)
        return steps

    def summary(self) -> dict[str, Any]:
        s = self.structure()
        return {
            "name": self.name, "kind": self.kind, "source": self.source, "steps": self.activities,
            "places": len(s["places"]), "transitions": len(s["transitions"]),
            "process_tree": str(self.tree) if self.tree is not None else None,
        }  # fmt: skip

    def to_dot(self, deviations: ConformanceResult | None = None, *, top_inserted: int = 8) -> str:
        """Graphviz DOT of the model's steps; with a result, skipped steps dashed (with counts) and
        the most frequent unexpected steps highlighted where they occur."""
        return _model_dot(self, deviations, top_inserted)

    def svg(self, deviations: ConformanceResult | None = None) -> str:
        from cspm.render.graphviz import render_svg, svg_body

        return svg_body(render_svg(self.to_dot(deviations)))

    def _repr_html_(self) -> str:
        head = (
            f"<strong>Reference model {html.escape(self.name)}</strong> ({html.escape(self.kind)}, "
            f"{len(self.activities)} steps)"
        )
        try:
            return head + self.svg()
        except Exception:  # noqa: BLE001 - no renderer: the steps as text
            return head + "<br>" + html.escape(", ".join(self.activities))

    # constructors
    @classmethod
    def from_tree(cls, tree: Any, name: str = "process tree", kind: str = "tree", source: str = "<tree>") -> ReferenceModel:
        """From a pm4py ProcessTree or its string notation, e.g. ``"->('a', X('b', 'c'))"``."""
        if isinstance(tree, str):
            try:
                tree = pmc.parse_tree(tree)
            except Exception as exc:  # noqa: BLE001 - pm4py's parser raises bare exceptions
                raise ModelError(f"not a process tree ({type(exc).__name__}: {exc})".replace(": )", ")"),
                                 path=source, element=repr(tree[:80]),
                                 expected="pm4py's notation, e.g. ->('a', X('b', 'c'), *('d', tau))") from None  # fmt: skip
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
                f"step {dups[0]!r} appears more than once", path=source, element=f"step {dups[0]!r}",
                expected="each step once (write loops with `repeat: [...]`)",
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
            raise ModelError(f"pm4py could not convert the BPMN model: {exc}", path=path) from None
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
            raise ModelError(f"pm4py could not read the Petri net: {exc}", path=path) from None
        if not fm:
            sinks = [p for p in net.places if not p.out_arcs]
            if len(sinks) != 1:
                raise ModelError("no final marking and no single sink place", path=path, element="net")
            from collections import Counter

            fm = type(im)(Counter({sinks[0]: 1}))
        model = cls(Path(path).stem, "pnml", str(path), net, im, fm)
        _check_sound(model)
        return model

    @classmethod
    def from_log(cls, log: TicketLog, *, noise: float = 0.0, name: str | None = None) -> ReferenceModel:
        """Inductive Miner model of a baseline log (e.g. last year's period), from its variants."""
        from cspm.mining import pm4py as _pm4py

        tree = _pm4py.inductive_tree(variants(log).counts(), noise=noise)
        return cls.from_tree(tree, name or f"discovered from {log.source}", "discovered", log.source)

    @classmethod
    def happy_path(cls, log: TicketLog, *, top: int | None = None, coverage: float = 0.8) -> ReferenceModel:
        """The model of the most frequent variants: ``top`` of them, or those covering ``coverage`` of tickets."""
        from cspm.mining import pm4py as _pm4py

        table = variants(log).table
        chosen = table.head(top) if top is not None else table[table.cumulative_share - table.share < coverage]
        counts = {a: int(n) for a, n in zip(chosen.activities, chosen["count"], strict=True)}
        tree = _pm4py.inductive_tree(counts, noise=0.0)
        what = f"top {len(chosen)} variants" if top is not None else f"variants covering {coverage:.0%}"
        return cls.from_tree(tree, f"happy path ({what})", "happy_path", log.source)


def _check_sound(model: ReferenceModel) -> None:
    problems = pmc.soundness_problems(model.net, model.initial_marking, model.final_marking)
    if problems:
        element = problems[0]
        if model.kind == "bpmn":  # pm4py names the places around BPMN element X 'ent_X' / 'exi_X'
            ids = sorted({m for m in re.findall(r"\b(?:ent|exi)_([\w.-]+)", "; ".join(problems))})
            element = "BPMN elements " + ", ".join(repr(i) for i in ids) if ids else element
        raise ModelError(
            "the model is not sound (a ticket could get stuck or finish with work left): " + "; ".join(problems) + ".",
            path=model.source, element=element,
            expected="a sound workflow net: one start, one end, every path can complete",
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
                raise ModelError("no such file", path=path)
            return ReferenceModel.from_spec(path)
        if isinstance(model, str) and not path.suffix and any(op in model for op in ("->(", "X(", "*(", "+(")):
            return ReferenceModel.from_tree(model)
        raise ModelError(f"unknown model format {suffix or '(no suffix)'}", path=path,
                         expected="a .bpmn, .pnml or .yaml/.yml file, or a process tree such as ->('a', X('b', 'c'))")  # fmt: skip
    if all(hasattr(model, a) for a in ("net", "initial_marking", "final_marking")):
        tree = getattr(model, "tree", None)
        ref = ReferenceModel(getattr(model, "miner", "model"), "model", "<model>", model.net,
                             model.initial_marking, model.final_marking, tree=tree)  # fmt: skip
        if tree is None:  # nets from process trees are sound by construction; others are checked
            _check_sound(ref)
        return ref
    if type(model).__name__ == "ProcessTree":
        return ReferenceModel.from_tree(model)
    raise ModelError(f"cannot use a {type(model).__name__} as a reference model",
                     expected="a BPMN/PNML/YAML path, a PathSpec, a process tree or a mined model")  # fmt: skip


# --- checking ----------------------------------------------------------------------------------
def _token_fitness(vt: pd.DataFrame) -> dict[str, float]:
    """pm4py's ``fitness_token_based_replay`` dict from per-variant replay results weighted by count."""
    w = vt["count"]
    n = float(w.sum())
    m, c = float((w * vt.missing).sum()), float((w * vt.consumed).sum())
    r, p = float((w * vt.remaining).sum()), float((w * vt.produced).sum())
    fit = float(w[vt.is_fit].sum())
    if n > 0 and c > 0 and p > 0:
        perc, avg = 100.0 * fit / n, float((w * vt.fitness).sum()) / n
        log_fit = 0.5 * (1 - m / c) + 0.5 * (1 - r / p)
    else:
        perc = avg = log_fit = 0.0
    return {"perc_fit_traces": perc, "average_trace_fitness": avg, "log_fitness": log_fit,
            "percentage_of_fitting_traces": perc}  # fmt: skip


def _alignment_fitness(vt: pd.DataFrame) -> dict[str, float]:
    """pm4py's ``fitness_alignments`` dict from per-variant alignments weighted by count (aligned only)."""
    a = vt[vt.status == "aligned"]
    w = a["count"]
    n = float(w.sum())
    if n == 0:
        return {"percFitTraces": 0.0, "averageFitness": 0.0, "percentage_of_fitting_traces": 0.0,
                "average_trace_fitness": 0.0, "log_fitness": 0.0}  # fmt: skip
    perc = 100.0 * float(w[a.fitness == 1.0].sum()) / n
    avg = float((w * a.fitness).sum()) / n
    bwc = float((w * a.bwc).sum())
    log_fit = 1.0 - (float((w * a.cost).sum()) / bwc if bwc > 0 else 0.0)
    return {"percFitTraces": perc, "averageFitness": avg, "percentage_of_fitting_traces": perc,
            "average_trace_fitness": avg, "log_fitness": log_fit}  # fmt: skip


def _deviations_of(activities: tuple[str, ...], moves: list[tuple[str | None, str | None]]) -> list[tuple[str, str, str, str]]:
    """(kind, step, before, after) per deviation in one alignment; kind 'skipped' or 'inserted'."""
    out = []
    pos = 0  # index of the next trace event
    for log_label, model_label in moves:
        if log_label is not None and model_label is None:
            before = activities[pos - 1] if pos > 0 else "▶"
            after = activities[pos + 1] if pos + 1 < len(activities) else "■"
            out.append(("inserted", log_label, before, after))
        elif log_label is None and model_label is not None:
            before = activities[pos - 1] if pos > 0 else "▶"
            after = activities[pos] if pos < len(activities) else "■"
            out.append(("skipped", model_label, before, after))
        if log_label is not None:
            pos += 1
    return out


def _lead_time_by_group(events: ir.Table, mapping: pd.DataFrame) -> pd.DataFrame:
    """Tickets and median lead time per ``group`` of a (variant_key, group) mapping, on the engine."""
    cases = case_table(events).select("variant_key", "lead_time")
    if mapping.empty:
        return pd.DataFrame(columns=["group", "tickets", "lead_time_median"])
    m = ibis.memtable(mapping[["variant_key", "group"]].astype(str))
    j = cases.join(m, cases.variant_key == m.variant_key)
    out = j.group_by("group").aggregate(tickets=j.count(), lead_time_median=j.lead_time.median()).to_pandas()
    out["tickets"] = out["tickets"].astype("int64")
    return out


def variant_case_table(events: ir.Table, per_variant: pd.DataFrame) -> ir.Table:
    """One row per case (``case_id``, ``lead_time``, ``variant_key``) with the variant's ``fitness``,
    ``is_fit`` and ``status`` joined back, on the engine."""
    cases = case_table(events).select(CASE, "lead_time", "variant_key")
    small = per_variant[["variant_key", "fitness", "is_fit", "conforms", "status"]].copy()
    small["variant_key"] = small["variant_key"].astype(str)
    small["fitness"] = small["fitness"].astype("float64")
    small["is_fit"] = small["is_fit"].astype("boolean")
    small["conforms"] = small["conforms"].astype(bool)
    m = ibis.memtable(small)
    j = cases.join(m, cases.variant_key == m.variant_key)
    return j.select(CASE, "lead_time", cases.variant_key, "fitness", "is_fit", "conforms", "status")


@dataclass
class ConformanceResult:
    """Conformance of a log to a reference model, computed on its variants.

    * ``fitness``: pm4py's figures for the method (token replay: ``log_fitness``,
      ``average_trace_fitness``, ``percentage_of_fitting_traces``, ``perc_fit_traces``; alignments also
      ``percFitTraces``/``averageFitness``), ``precision`` (ETConformance, token based) or None.
    * ``variants``: one row per variant: variant, activities, count, lead_time_median, fitness,
      is_fit (pm4py's verdict), conforms (fits and no unknown step), status (replayed / aligned /
      timeout / error), deviations (text).
    * ``cases``: per-ticket table on the engine (case_id, lead_time, variant_key, fitness, is_fit,
      conforms, status).
    * ``skipped``: per model step: tickets, variants, share, lead-time medians deviating vs conforming and
      their difference (s). ``inserted``: per unexpected step and place (before → step → after), the same;
      ``unexpected``: per unexpected step wherever it occurs.
    * ``unaligned``: variants whose alignment did not finish within ``time_limit`` (or failed).
    * ``unknown_steps``: log activities the model does not know; ``unseen_steps``: model steps that no
      ticket has (check their spelling against the log).
    """

    source: str
    model: ReferenceModel
    method: str
    fitness: dict[str, float]
    precision: float | None
    variants: pd.DataFrame
    cases: ir.Table = field(repr=False)
    skipped: pd.DataFrame = field(repr=False)
    inserted: pd.DataFrame = field(repr=False)
    unexpected: pd.DataFrame = field(repr=False)
    unaligned: pd.DataFrame = field(repr=False)
    conforming_lead_time_median: float | None
    time_limit: float | None
    timings: dict[str, float]
    unknown_steps: list[str]
    unseen_steps: list[str] = field(default_factory=list)
    rules: RuleResults | None = None

    section_id: str = "conformance"
    section_title: str = "Conformance to the intended process"
    section_template: str = "section_conformance.html.j2"

    # figures
    @property
    def tickets(self) -> int:
        return int(self.variants["count"].sum())

    @property
    def fitting_tickets(self) -> int:
        return int(self.variants.loc[self.variants.conforms, "count"].sum())

    @property
    def fitting_share(self) -> float:
        """Share of tickets that conform: their variant fits and has no step unknown to the model
        (pm4py's token replay ignores unknown steps; unaligned variants count as not fitting)."""
        return self.fitting_tickets / self.tickets if self.tickets else 0.0

    @property
    def log_fitness(self) -> float:
        return float(self.fitness["log_fitness"])

    def non_fitting_cases(self) -> list[str]:
        t = self.cases
        return sorted(t.filter(~t.conforms).select(CASE).to_pandas()[CASE].astype(str))

    def case_fitness(self, limit: int | None = None) -> pd.DataFrame:
        """Per-ticket fitness as pandas (use ``limit`` on large logs)."""
        t = self.cases.order_by(CASE)
        return (t.limit(limit) if limit else t).to_pandas()

    def to_pandas(self) -> pd.DataFrame:
        df = self.variants.drop(columns=["variant_key"]).copy()
        df["activities"] = df["activities"].map(" → ".join)
        return df

    def summary(self, top: int = 20) -> dict[str, Any]:
        def recs(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: _json(v) for k, v in r.items()} for r in df.head(top).to_dict(orient="records")]

        unaligned = self.unaligned.copy()
        unaligned["activities"] = unaligned["activities"].map(list)
        return {
            "source": self.source,
            "model": self.model.summary(),
            "method": self.method,
            "fitness": {k: float(v) for k, v in self.fitness.items()},
            "precision": self.precision,
            "tickets": self.tickets,
            "fitting_tickets": self.fitting_tickets,
            "fitting_share": self.fitting_share,
            "variants": len(self.variants),
            "conforming_lead_time_median_seconds": self.conforming_lead_time_median,
            "time_limit_seconds": self.time_limit,
            "unaligned_variants": recs(unaligned.drop(columns=["variant_key"], errors="ignore")),
            "unaligned_tickets": int(self.unaligned["count"].sum()) if len(self.unaligned) else 0,
            "skipped_steps": recs(self.skipped),
            "inserted_steps": recs(self.inserted),
            "unexpected_steps": recs(self.unexpected),
            "unknown_steps": list(self.unknown_steps),
            "model_steps_not_in_log": list(self.unseen_steps),
            "rules": self.rules.summary()["rules"] if self.rules is not None else [],
            "timings_seconds": dict(self.timings),
        }

    def save(self, path: str | Path) -> Path:
        """Write the summary as JSON (``.json``) or the per-variant table as CSV (other suffixes)."""
        path = Path(path)
        if path.suffix.lower() == ".json":
            path.write_text(json.dumps(self.summary(top=1000), ensure_ascii=False, indent=2), encoding="utf-8")
        else:
            self.to_pandas().to_csv(path, index=False)
        return path

    def svg(self) -> str:
        """The model with the deviations drawn on it (skipped steps dashed, unexpected steps highlighted)."""
        return self.model.svg(self)

    def section_context(self) -> dict[str, Any]:
        from cspm.analysis.conformance.section import section_context

        return section_context(self)

    def _repr_html_(self) -> str:
        from cspm.analysis.conformance.section import render

        return render(self)


def _json(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        return _json(v.item())
    if isinstance(v, tuple):
        return list(v)
    return v


def check_conformance(
    log: TicketLog,
    model: Any,
    method: Method = "token_replay",
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    deviations: bool = True,
    precision: bool = True,
    rules: Sequence[Rule] | Config | None = None,
) -> ConformanceResult:
    """Check ``log`` against ``model`` (see :func:`load_model`) on its variants.

    ``method``: ``"token_replay"`` (fast, default) or ``"alignments"`` (exact). Alignments (also
    those computed for the deviations) run in ``workers`` processes with ``time_limit`` seconds per
    variant; variants not aligned in time are reported in ``unaligned``. ``deviations=False`` skips
    aligning the non-fitting variants after token replay. ``rules``: a list of config rules or a
    :class:`~cspm.config.Config` whose ``rules`` are checked too.
    """
    if method not in ("token_replay", "alignments"):
        raise ValueError(f"method must be 'token_replay' or 'alignments', got {method!r}")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ref = load_model(model)
    timings["model"] = time.perf_counter() - t0  # reading, soundness check (and pm4py's import)
    t0 = time.perf_counter()
    vt = variants(log).table[["variant", "activities", "count", "lead_time_median", "variant_key"]].copy()
    timings["variants"] = time.perf_counter() - t0
    seqs = list(vt.activities)
    in_log = {a for s in seqs for a in s}
    unknown = sorted(in_log - set(ref.activities))
    unseen = sorted(set(ref.activities) - in_log)  # often a typo in the model's step names
    aligned: dict[int, pmc.AlignedVariant] = {}

    if method == "token_replay":
        dups = ref.duplicate_steps()
        if dups:
            raise ModelError(
                f"step {dups[0]!r} occurs on more than one transition; token replay needs unique steps",
                path=ref.source, element=f"step {dups[0]!r}", expected="unique steps, or method='alignments'",
            )  # fmt: skip
        t0 = time.perf_counter()
        replay = pd.DataFrame(pmc.token_replay_variants(ref.net, ref.initial_marking, ref.final_marking, seqs))
        timings["token_replay"] = time.perf_counter() - t0
        for col in ("fitness", "is_fit", "missing", "consumed", "remaining", "produced"):
            vt[col] = replay[col].to_numpy()
        vt["status"] = "replayed"
        fitness = _token_fitness(vt)
        known = set(ref.activities)
        # pm4py's token replay skips steps the model does not know; such a ticket does not conform
        conforms = [bool(f) and set(seq) <= known for f, seq in zip(vt.is_fit, seqs, strict=True)]
        to_align = [i for i in range(len(vt)) if not conforms[i]] if deviations else []
    else:
        conforms = []
        to_align = list(range(len(vt)))

    if to_align:
        t0 = time.perf_counter()
        results = pmc.align_variants(ref.net, ref.initial_marking, ref.final_marking,
                                     [seqs[i] for i in to_align], time_limit=time_limit, workers=workers)  # fmt: skip
        timings["alignments"] = time.perf_counter() - t0
        aligned = {to_align[r.index]: r for r in results}

    if method == "alignments":
        vt["status"] = [aligned[i].status for i in range(len(vt))]
        vt["fitness"] = [aligned[i].fitness for i in range(len(vt))]
        vt["cost"] = [aligned[i].cost for i in range(len(vt))]
        vt["bwc"] = [aligned[i].bwc for i in range(len(vt))]
        vt["is_fit"] = [(aligned[i].fitness == 1.0) if aligned[i].status == "aligned" else None for i in range(len(vt))]
        fitness = _alignment_fitness(vt)
    vt["fitness"] = vt["fitness"].astype("float64")
    vt["conforms"] = conforms if method == "token_replay" else vt["is_fit"].fillna(False).astype(bool)

    prec = None
    if precision:
        t0 = time.perf_counter()
        prec = pmc.precision_variants(ref.net, ref.initial_marking, ref.final_marking, dict(zip(seqs, vt["count"], strict=True)))
        timings["precision"] = time.perf_counter() - t0

    # deviations per variant → ranked tables
    t0 = time.perf_counter()
    dev_rows = []
    vt["deviations"] = ""
    for i, res in aligned.items():
        if res.status != "aligned":
            continue
        devs = _deviations_of(seqs[i], res.moves)
        vt.loc[vt.index[i], "deviations"] = "; ".join(
            f"skipped {s}" if k == "skipped" else f"inserted {s} ({b} → {s} → {a})" for k, s, b, a in devs
        )
        keys = {f"skipped|{s}" for k, s, _, _ in devs if k == "skipped"}
        keys |= {f"inserted|{s}|{b}|{a}" for k, s, b, a in devs if k == "inserted"}
        keys |= {f"unexpected|{s}" for k, s, _, _ in devs if k == "inserted"}
        dev_rows.extend({"variant_key": vt.variant_key.iloc[i], "group": key} for key in sorted(keys))
    dev_map = pd.DataFrame(dev_rows, columns=["variant_key", "group"])
    fit_keys = vt.loc[vt.conforms, "variant_key"]
    conform = pd.DataFrame({"variant_key": fit_keys, "group": "conforming"})
    lead = _lead_time_by_group(log.events, pd.concat([dev_map, conform], ignore_index=True))
    lead = lead.set_index("group")
    conf_median = float(lead.loc["conforming", "lead_time_median"]) if "conforming" in lead.index else None
    n_tickets = float(vt["count"].sum())
    variants_per = dev_map.groupby("group").size() if len(dev_map) else pd.Series(dtype="int64")

    def table(kind: str) -> pd.DataFrame:
        rows = []
        for key in variants_per.index:
            parts = key.split("|")
            if parts[0] != kind:
                continue
            t, med = int(lead.loc[key, "tickets"]), float(lead.loc[key, "lead_time_median"])
            row = {"step": parts[1]}
            if kind == "inserted":
                row.update(before=parts[2], after=parts[3])
            row.update(
                tickets=t, variants=int(variants_per[key]), share=t / n_tickets if n_tickets else 0.0,
                lead_time_median=med, conforming_lead_time_median=conf_median,
                lead_time_difference=med - conf_median if conf_median is not None else None,
            )  # fmt: skip
            rows.append(row)
        cols = ["step", *(["before", "after"] if kind == "inserted" else []), "tickets", "variants", "share",
                "lead_time_median", "conforming_lead_time_median", "lead_time_difference"]  # fmt: skip
        df = pd.DataFrame(rows, columns=cols)
        return df.sort_values(["tickets", "step"], ascending=[False, True]).reset_index(drop=True)

    skipped, inserted, unexpected = table("skipped"), table("inserted"), table("unexpected")
    timings["deviations"] = time.perf_counter() - t0

    bad = [i for i, r in aligned.items() if r.status != "aligned"]
    unaligned = vt.iloc[bad][["variant", "activities", "count", "variant_key"]].copy()
    unaligned["status"] = [aligned[i].status for i in bad]
    unaligned["seconds"] = [round(aligned[i].seconds, 3) for i in bad]
    unaligned["message"] = [aligned[i].message for i in bad]
    unaligned = unaligned.sort_values(["count", "variant"], ascending=[False, True]).reset_index(drop=True)

    rule_results = None
    rule_list = rules.rules if isinstance(rules, Config) else rules
    if rule_list:
        t0 = time.perf_counter()
        rule_results = check_rules(log, rule_list)
        timings["rules"] = time.perf_counter() - t0

    keep = ["variant", "activities", "count", "lead_time_median", "fitness", "is_fit", "conforms", "status",
            "deviations", "variant_key"]
    extra = [c for c in ("missing", "consumed", "remaining", "produced", "cost", "bwc") if c in vt.columns]
    per_variant = vt[keep[:-1] + extra + ["variant_key"]].reset_index(drop=True)
    return ConformanceResult(
        source=log.source, model=ref, method=method, fitness=fitness, precision=prec,
        variants=per_variant, cases=variant_case_table(log.events, per_variant), skipped=skipped,
        inserted=inserted, unexpected=unexpected, unaligned=unaligned, conforming_lead_time_median=conf_median,
        time_limit=time_limit if aligned or method == "alignments" else None, timings=timings,
        unknown_steps=unknown, unseen_steps=unseen, rules=rule_results,
    )  # fmt: skip


# --- drawing -----------------------------------------------------------------------------------
def _q(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _model_dot(model: ReferenceModel, result: ConformanceResult | None, top_inserted: int) -> str:
    g = model.step_graph()
    skipped: dict[str, int] = {}
    unexpected = pd.DataFrame(columns=["step", "tickets"])
    places = pd.DataFrame(columns=["step", "before", "after", "tickets"])
    total = 1
    if result is not None:
        skipped = {r.step: r.tickets for r in result.skipped.itertuples()}
        unexpected = result.unexpected.head(top_inserted)
        places = result.inserted[result.inserted.step.isin(set(unexpected.step))].head(3 * top_inserted)
        total = max(1, result.tickets)
    lines = [
        "digraph model {",
        '  rankdir=LR; bgcolor="transparent"; node [fontname="Helvetica", fontsize=11]; edge [color="#777777"];',
    ]
    ids = {n: f"n{i}" for i, n in enumerate(g.nodes)}
    for n in g.nodes:
        if n in ("▶", "■"):
            lines.append(f'  {ids[n]} [label={_q(n)}, shape=circle, width=0.35, fixedsize=true, style=filled, fillcolor="#eeeeee"];')
        elif n in skipped:
            label = f"{n}\nskipped by {skipped[n]:,} tickets ({skipped[n] / total:.1%})"
            lines.append(f'  {ids[n]} [label={_q(label)}, shape=box, style="rounded,dashed,bold", color="#c0392b", fontcolor="#c0392b"];')
        else:
            lines.append(f'  {ids[n]} [label={_q(n)}, shape=box, style="rounded,filled", fillcolor="#e8f1fb", color="#2c6fbb"];')
    for a, b in g.edges:
        lines.append(f"  {ids[a]} -> {ids[b]};")
    extra = {r.step: f"x{k}" for k, r in enumerate(unexpected.itertuples())}
    for r in unexpected.itertuples():
        label = f"+ {r.step}\nunexpected in {r.tickets:,} tickets ({r.tickets / total:.1%})"
        lines.append(f'  {extra[r.step]} [label={_q(label)}, shape=box, style="rounded,filled,bold", fillcolor="#fde2e1", color="#c0392b"];')
    others: dict[str, str] = {}

    def node_of(name: str) -> str:
        if name in ids:
            return ids[name]
        if name in extra:
            return extra[name]
        if name not in others:
            others[name] = f"o{len(others)}"
            lines.append(f'  {others[name]} [label={_q(name)}, shape=box, style="rounded,dotted", color="#999999"];')
        return others[name]

    for r in places.itertuples():
        src, dst = node_of(r.before), node_of(r.after)
        lines.append(f'  {src} -> {extra[r.step]} [color="#c0392b", style=dashed, constraint=false, label={_q(f"{r.tickets:,}")}, fontcolor="#c0392b", fontsize=9];')
        lines.append(f'  {extra[r.step]} -> {dst} [color="#c0392b", style=dashed, constraint=false];')
    lines.append("}")
    return "\n".join(lines)


def describe_duration(seconds: float | None) -> str:
    return format_duration(seconds)
