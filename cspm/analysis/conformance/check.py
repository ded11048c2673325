"""Conformance to the intended (to-be) process: fitness, deviations a consultant can act on, rules.

* **Reference models** (:mod:`cspm.analysis.conformance.models`): BPMN 2.0 XML (Camunda Modeler,
  bpmn.io, Signavio), PNML, a process tree, a YAML happy-path spec (see
  :mod:`cspm.analysis.conformance.spec`), a model discovered from a baseline log, or the "happy
  path" of the most frequent variants.
* **Checking on variants** (:func:`conformance`): every distinct activity sequence is replayed
  once (token-based replay, the default) or aligned once (alignments, exact, each variant bounded
  by ``time_limit`` seconds in ``workers`` processes) and weighted by its number of tickets. The
  fitness figures are pm4py's own (``fitness_token_based_replay`` / ``fitness_alignments``); the
  per-ticket fitness is joined back to the cases on the engine.
* **Deviations** (:mod:`cspm.analysis.conformance.deviations`) come from alignments (of the
  non-fitting variants when the fitness method is token replay): per model step how many tickets
  skipped it (move on model), and which unexpected steps occur where (move on log, with the steps
  before and after), each ranked by tickets and by the median lead time of the deviating tickets
  minus that of the conforming ones.
* **Rules** from the config (``rules:``) are evaluated on the engine (:mod:`cspm.analysis.conformance.rules`).

A variant that is not aligned within its budget is listed in ``unaligned`` (and in the report) and
left out of the alignment fitness figures, never silently dropped.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args

import ibis
import ibis.expr.types as ir
import pandas as pd
from pydantic import BaseModel

from cspm.analysis.conformance.deviations import (
    InsertedStep,
    SkippedStep,
    describe,
    deviation_tables,
    deviations_of,
    groups_of,
)
from cspm.analysis.conformance.errors import ModelError
from cspm.analysis.conformance.models import ModelSummary, ReferenceModel, load_model
from cspm.analysis.conformance.rules import RuleResults, RuleSummary, check_rules
from cspm.analysis.conformance.spec import PathSpec
from cspm.config import Config, Rule, as_config
from cspm.core.log import CASE, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result, json_ready
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.mining import pm4py as pmc
from cspm.mining.discovery import case_table, variants
from cspm.render.graphviz import RenderUnavailable
from cspm.units import format_duration

__all__ = [
    "AlignmentFitness",
    "ConformanceResult",
    "ConformanceSummary",
    "Method",
    "ModelError",
    "PathSpec",
    "ReferenceModel",
    "RuleResults",
    "TokenReplayFitness",
    "UnalignedVariant",
    "check_conformance",
    "check_rules",
    "conformance",
    "load_model",
    "log_cases",
    "variant_case_table",
]

Method = Literal["token_replay", "alignments"]


# --- typed records -----------------------------------------------------------------------------
class TokenReplayFitness(Record):
    """pm4py's ``fitness_token_based_replay`` figures, each variant weighted by its tickets:
    ``log_fitness`` = ½(1 − missing/consumed) + ½(1 − remaining/produced) over all tokens,
    ``average_trace_fitness`` the mean ticket fitness, ``percentage_of_fitting_traces`` (and
    ``perc_fit_traces``, the same) the percentage of tickets pm4py's replay fits."""


    perc_fit_traces: float
    average_trace_fitness: float
    log_fitness: float
    percentage_of_fitting_traces: float


class AlignmentFitness(Record):
    """pm4py's ``fitness_alignments`` figures over the aligned variants, weighted by tickets:
    ``log_fitness`` = 1 − total cost / total best-worst cost, ``average_trace_fitness`` (and
    ``averageFitness``) the mean ticket fitness, ``percentage_of_fitting_traces`` (and
    ``percFitTraces``) the percentage of tickets aligned at cost 0."""


    percFitTraces: float
    averageFitness: float
    percentage_of_fitting_traces: float
    average_trace_fitness: float
    log_fitness: float


Fitness = TokenReplayFitness | AlignmentFitness


class UnalignedVariant(Record):
    """A variant not aligned within its budget (``status`` timeout) or whose alignment failed (error)."""


    variant: int
    activities: list[str]
    count: int
    status: str
    seconds: float
    message: str


class ConformanceSummary(Record):
    """The figures of a conformance check (``cspm conformance --format json``).

    ``tickets``: tickets checked; ``fitting_tickets``: tickets that conform (their variant fits and
    has no step unknown to the model); ``fitting_share`` = fitting_tickets / tickets; ``variants``:
    distinct variants; lead times in seconds; the deviation lists are the first rows of the ranked
    tables; ``unaligned_tickets``: tickets of the unaligned variants.
    """

    source: str
    model: ModelSummary
    method: Method
    fitness: Fitness
    precision: float | None
    tickets: int
    fitting_tickets: int
    fitting_share: float
    variants: int
    conforming_lead_time_median_seconds: float | None
    time_limit_seconds: float | None
    unaligned_variants: list[UnalignedVariant]
    unaligned_tickets: int
    skipped_steps: list[SkippedStep]
    inserted_steps: list[InsertedStep]
    unexpected_steps: list[SkippedStep]
    unknown_steps: list[str]
    model_steps_not_in_log: list[str]
    rules: list[RuleSummary]
    timings_seconds: dict[str, float]


def _records(record: type[BaseModel], df: pd.DataFrame, top: int | None) -> list[Any]:
    rows = df if top is None else df.head(top)
    return [record.model_validate(json_ready(r)) for r in rows.to_dict(orient="records")]


# --- fitness -----------------------------------------------------------------------------------
def _token_fitness(vt: pd.DataFrame) -> TokenReplayFitness:
    """pm4py's ``fitness_token_based_replay`` from per-variant replay results weighted by count."""
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
    return TokenReplayFitness(perc_fit_traces=perc, average_trace_fitness=avg, log_fitness=log_fit,
                              percentage_of_fitting_traces=perc)  # fmt: skip


def _alignment_fitness(vt: pd.DataFrame) -> AlignmentFitness:
    """pm4py's ``fitness_alignments`` from per-variant alignments weighted by count (aligned only)."""
    a = vt[vt.status == "aligned"]
    w = a["count"]
    n = float(w.sum())
    if n == 0:
        return AlignmentFitness(percFitTraces=0.0, averageFitness=0.0, percentage_of_fitting_traces=0.0,
                                average_trace_fitness=0.0, log_fitness=0.0)  # fmt: skip
    perc = 100.0 * float(w[a.fitness == 1.0].sum()) / n
    avg = float((w * a.fitness).sum()) / n
    bwc = float((w * a.bwc).sum())
    log_fit = 1.0 - (float((w * a.cost).sum()) / bwc if bwc > 0 else 0.0)
    return AlignmentFitness(percFitTraces=perc, averageFitness=avg, percentage_of_fitting_traces=perc,
                            average_trace_fitness=avg, log_fitness=log_fit)  # fmt: skip


# --- the engine tables ---------------------------------------------------------------------------
def log_cases(log: TicketLog) -> ir.Table:
    """The log's case table (``case_id``, ``lead_time``, ``variant_key``, …), built once per log."""
    return case_table(log)


def variant_case_table(log: TicketLog, per_variant: pd.DataFrame) -> ir.Table:
    """One row per case (``case_id``, ``lead_time``, ``variant_key``) with the variant's ``fitness``,
    ``is_fit``, ``conforms`` and ``status`` joined back, on the engine."""
    cases = log_cases(log).select(CASE, "lead_time", "variant_key")
    small = per_variant[["variant_key", "fitness", "is_fit", "conforms", "status"]].copy()
    small["variant_key"] = small["variant_key"].astype(str)
    small["fitness"] = small["fitness"].astype("float64")
    small["is_fit"] = small["is_fit"].astype("boolean")
    small["conforms"] = small["conforms"].astype(bool)
    m = ibis.memtable(small)
    j = cases.join(m, cases.variant_key == m.variant_key)
    return j.select(CASE, "lead_time", cases.variant_key, "fitness", "is_fit", "conforms", "status")


# --- the result --------------------------------------------------------------------------------
_MAX_ROWS = 15  # rows of each deviation table in the report section


def _diff(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "–"
    return ("+" if seconds > 0 else "") + format_duration(seconds)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def _number(x: float | None) -> float:
    return float("-inf") if x is None or x != x else float(x)


@dataclass
class ConformanceResult(Result):
    """Conformance of a log to a reference model, computed on its variants.

    * ``fitness_figures``: pm4py's figures for the method (:class:`TokenReplayFitness` or
      :class:`AlignmentFitness`); ``fitness`` the same as pm4py's dict; ``precision``
      (ETConformance, token based) or None.
    * ``variants``: one row per variant: variant, activities, count, lead_time_median, fitness,
      is_fit (pm4py's verdict), conforms (fits and no unknown step), status (replayed / aligned /
      timeout / error), deviations (text); the main table (:meth:`table`, activities as text).
    * ``cases``: per-ticket table on the engine (case_id, lead_time, variant_key, fitness, is_fit,
      conforms, status); :meth:`case_fitness` gives it as pandas, :meth:`ticket_ids` the ids.
    * ``skipped``: per model step: tickets, variants, share, lead-time medians deviating vs conforming and
      their difference (s). ``inserted``: per unexpected step and place (before → step → after), the same;
      ``unexpected``: per unexpected step wherever it occurs.
    * ``unaligned``: variants whose alignment did not finish within ``time_limit`` (or failed).
    * ``unknown_steps``: log activities the model does not know; ``unseen_steps``: model steps that no
      ticket has (check their spelling against the log).
    """

    source: str
    model: ReferenceModel
    method: Method
    fitness_figures: Fitness
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

    section_id: ClassVar[str] = "conformance"
    section_title: ClassVar[str] = N_("Conformance to the intended process")
    section_template: ClassVar[str] = "section_conformance.html.j2"

    # figures
    @property
    def fitness(self) -> dict[str, float]:
        """pm4py's fitness dict of the method (the same keys and values as pm4py's function)."""
        return self.fitness_figures.model_dump()

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
        return float(self.fitness_figures.log_fitness)

    @property
    def unaligned_tickets(self) -> int:
        return int(self.unaligned["count"].sum()) if len(self.unaligned) else 0

    def ticket_ids(self, *, conforming: bool = False) -> list[str]:
        """The ids of the tickets that do not conform (``conforming=True``: of those that do), sorted."""
        t = self.cases
        chosen = t.filter(t.conforms if conforming else ~t.conforms)
        return sorted(chosen.select(CASE).to_pandas()[CASE].astype(str))

    def non_fitting_cases(self) -> list[str]:
        """Deprecated: use ``ticket_ids(conforming=False)``."""
        warnings.warn("ConformanceResult.non_fitting_cases() is deprecated; use ticket_ids(conforming=False)",
                      DeprecationWarning, stacklevel=2)  # fmt: skip
        return self.ticket_ids(conforming=False)

    def case_fitness(self, limit: int | None = None) -> pd.DataFrame:
        """Per-ticket fitness as pandas (use ``limit`` on large logs)."""
        t = self.cases.order_by(CASE)
        return (t.limit(limit) if limit else t).to_pandas()

    # the result interface
    def table(self) -> pd.DataFrame:
        df = self.variants.drop(columns=["variant_key"]).copy()
        df["activities"] = df["activities"].map(" → ".join)
        return df

    def _summary(self, top: int | None = 20) -> ConformanceSummary:
        unaligned = self.unaligned.drop(columns=["variant_key"], errors="ignore")
        return ConformanceSummary(
            source=self.source,
            model=self.model._summary(),
            method=self.method,
            fitness=self.fitness_figures,
            precision=self.precision,
            tickets=self.tickets,
            fitting_tickets=self.fitting_tickets,
            fitting_share=self.fitting_share,
            variants=len(self.variants),
            conforming_lead_time_median_seconds=self.conforming_lead_time_median,
            time_limit_seconds=self.time_limit,
            unaligned_variants=_records(UnalignedVariant, unaligned, top),
            unaligned_tickets=self.unaligned_tickets,
            skipped_steps=_records(SkippedStep, self.skipped, top),
            inserted_steps=_records(InsertedStep, self.inserted, top),
            unexpected_steps=_records(SkippedStep, self.unexpected, top),
            unknown_steps=list(self.unknown_steps),
            model_steps_not_in_log=list(self.unseen_steps),
            rules=self.rules.records() if self.rules is not None else [],
            timings_seconds=dict(self.timings),
        )

    def summary(self, top: int | None = 20) -> dict[str, Any]:
        """The figures as JSON-ready data, with the first ``top`` rows of each deviation table
        (None: all; ``save('….json')`` writes all)."""
        return json_ready(self._summary(top))

    def _savers(self) -> dict[str, Callable[[Path], None]]:
        """``.json`` writes the whole summary (every row of the deviation tables)."""
        whole = lambda p: p.write_text(json.dumps(self.summary(top=None), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")  # noqa: E731
        return {**super()._savers(), ".json": whole}

    def svg(self) -> str:
        """The model with the deviations drawn on it (skipped steps dashed, unexpected steps highlighted)."""
        return self.model.svg(self)

    def section_context(self) -> dict[str, Any]:
        """Plain values for ``section_conformance.html.j2`` (names are escaped by the template)."""
        try:
            svg = self.svg()
        except RenderUnavailable:  # no Graphviz renderer: the tables carry the same facts
            svg = ""
        skipped = [
            {"step": s.step, "tickets": f"{s.tickets:,}", "share": _pct(s.share), "variants": s.variants,
             "lead": format_duration(s.lead_time_median_seconds), "diff": _diff(s.lead_time_difference_seconds),
             "examples": ", ".join(s.examples)}
            for s in self.skipped.head(_MAX_ROWS).itertuples()
        ]  # fmt: skip
        inserted = [
            {"step": s.step, "before": s.before, "after": s.after, "tickets": f"{s.tickets:,}", "share": _pct(s.share),
             "lead": format_duration(s.lead_time_median_seconds), "diff": _diff(s.lead_time_difference_seconds),
             "examples": ", ".join(s.examples)}
            for s in self.inserted.head(_MAX_ROWS).itertuples()
        ]  # fmt: skip
        costly = []
        for kind, df in (("skipped", self.skipped), ("inserted", self.inserted)):
            for s in df.itertuples():
                where = f" ({s.before} → · → {s.after})" if kind == "inserted" else ""
                costly.append((_number(s.lead_time_difference_seconds),
                               {"what": f"{_(kind)} {s.step}{where}", "tickets": f"{s.tickets:,}", "diff": _diff(s.lead_time_difference_seconds)}))  # fmt: skip
        costly.sort(key=lambda x: x[0], reverse=True)
        unaligned = [
            {"variant": int(u.variant), "steps": " → ".join(u.activities), "tickets": f"{u.count:,}",
             "status": u.status, "message": u.message}
            for u in self.unaligned.head(_MAX_ROWS).itertuples()
        ]  # fmt: skip
        rules = self.rules.section_context()["rules"] if self.rules is not None else []
        figures = [
            (_("Method"), _("alignments (exact)") if self.method == "alignments" else _("token-based replay")),
            (_("Tickets"), f"{self.tickets:,}"),
            (_("Fitting tickets"), f"{self.fitting_tickets:,} ({_pct(self.fitting_share)})"),
            (_("Log fitness"), f"{self.log_fitness:.4f}"),
            (_("Average ticket fitness"), f"{self.fitness_figures.average_trace_fitness:.4f}"),
            (_("Precision (ETConformance)"), "–" if self.precision is None else f"{self.precision:.4f}"),
            (_("Median lead time of conforming tickets"), format_duration(self.conforming_lead_time_median)),
        ]
        if self.time_limit is not None:
            figures.append((_("Alignment time limit per variant"), _("{seconds:g} s").format(seconds=self.time_limit)))
        headline = _("{share} of {tickets} tickets follow the intended process ({model}); log fitness {fitness}.").format(
            share=_pct(self.fitting_share), tickets=f"{self.tickets:,}", model=self.model.name,
            fitness=f"{self.log_fitness:.3f}")  # fmt: skip
        return {
            "section_id": self.section_id,
            "section_title": self.section_title,
            "headline": headline,
            "model_name": self.model.name,
            "model_kind": _(self.model.kind),
            "model_file": self.model.file,
            "figures": figures,
            "svg": svg,
            "skipped": skipped,
            "inserted": inserted,
            "costly": [c for _, c in costly[:5]],
            "unaligned": unaligned,
            "unaligned_total": len(self.unaligned),
            "unaligned_tickets": f"{self.unaligned_tickets:,}",
            "unknown_steps": self.unknown_steps,
            "unseen_steps": self.unseen_steps,
            "rules": rules,
        }


# --- checking ----------------------------------------------------------------------------------
def conformance(
    log: TicketLog,
    config: Config | str | Path | None = None,
    *,
    model: Any = None,
    method: Method = "token_replay",
    time_limit: float = 10.0,
    workers: int = 2,
    deviations: bool = True,
    precision: bool = True,
) -> ConformanceResult:
    """Check ``log`` against a to-be ``model`` on its variants; the ``rules`` of ``config`` too.

    ``model``: anything :func:`load_model` reads (a BPMN/PNML/YAML file, a spec dict, a process
    tree, a mined model, a :class:`ReferenceModel`); without it, the file named by
    ``conformance.model`` in the config. ``method``: ``"token_replay"`` (fast, default) or
    ``"alignments"`` (exact). Alignments (also those computed for the deviations) run in
    ``workers`` processes with ``time_limit`` seconds per variant; variants not aligned in time are
    reported in ``unaligned``. ``deviations=False`` skips aligning the non-fitting variants after
    token replay; ``precision=False`` skips ETConformance precision.
    """
    if method not in get_args(Method):
        raise ValueError(f"method must be 'token_replay' or 'alignments', got {method!r}")
    cfg = as_config(config)
    if model is None:
        model = cfg.conformance.model
        if model is None:
            raise ModelError(_("no reference model: pass model=… or name one as conformance.model in the config"),
                             expected=_("a to-be model: BPMN 2.0 (.bpmn), PNML (.pnml) or a YAML happy-path spec (.yaml/.yml)"))  # fmt: skip
        if not model.is_file():
            raise ModelError(_("conformance.model in the config names no such file"), path=model)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ref = load_model(model)
    timings["model"] = time.perf_counter() - t0  # reading, soundness check (and pm4py's import)
    t0 = time.perf_counter()
    vt = variants(log).table[["variant", "activities", "count", "lead_time_median", "variant_key"]].copy()
    cases = log_cases(log)
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
                _("step {value!r} occurs on more than one transition; token replay needs unique steps").format(value=dups[0]),
                path=ref.source, element=f"step {dups[0]!r}", expected=_("unique steps, or method='alignments'"),
            )  # fmt: skip
        t0 = time.perf_counter()
        replay = pd.DataFrame(pmc.token_replay_variants(ref.net, ref.initial_marking, ref.final_marking, seqs))
        timings["token_replay"] = time.perf_counter() - t0
        for col in ("fitness", "is_fit", "missing", "consumed", "remaining", "produced"):
            vt[col] = replay[col].to_numpy()
        vt["status"] = "replayed"
        fitness: Fitness = _token_fitness(vt)
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
    groups = []
    vt["deviations"] = ""
    for i, res in aligned.items():
        if res.status != "aligned":
            continue
        devs = deviations_of(seqs[i], res.moves)
        vt.loc[vt.index[i], "deviations"] = describe(devs)
        groups.extend({"variant_key": vt.variant_key.iloc[i], "group": key} for key in groups_of(devs))
    tables = deviation_tables(cases, pd.DataFrame(groups, columns=["variant_key", "group"]),
                              list(vt.loc[vt.conforms, "variant_key"]), int(vt["count"].sum()))  # fmt: skip
    timings["deviations"] = time.perf_counter() - t0

    bad = [i for i, r in aligned.items() if r.status != "aligned"]
    unaligned = vt.iloc[bad][["variant", "activities", "count", "variant_key"]].copy()
    unaligned["status"] = [aligned[i].status for i in bad]
    unaligned["seconds"] = [round(aligned[i].seconds, 3) for i in bad]
    unaligned["message"] = [aligned[i].message for i in bad]
    unaligned = unaligned.sort_values(["count", "variant"], ascending=[False, True]).reset_index(drop=True)

    rule_results = None
    if cfg.rules:
        t0 = time.perf_counter()
        rule_results = check_rules(log, cfg.rules)
        timings["rules"] = time.perf_counter() - t0

    keep = ["variant", "activities", "count", "lead_time_median", "fitness", "is_fit", "conforms", "status",
            "deviations"]  # fmt: skip
    extra = [c for c in ("missing", "consumed", "remaining", "produced", "cost", "bwc") if c in vt.columns]
    per_variant = vt[keep + extra + ["variant_key"]].reset_index(drop=True)
    return ConformanceResult(
        source=log.source, model=ref, method=method, fitness_figures=fitness, precision=prec,
        variants=per_variant, cases=variant_case_table(log, per_variant), skipped=tables.skipped,
        inserted=tables.inserted, unexpected=tables.unexpected, unaligned=unaligned,
        conforming_lead_time_median=tables.conforming_lead_time_median_seconds,
        time_limit=time_limit if aligned or method == "alignments" else None, timings=timings,
        unknown_steps=unknown, unseen_steps=unseen, rules=rule_results,
    )  # fmt: skip


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
    """Deprecated: use :func:`conformance` (``cspm.conformance(log, config, model=…)``); the rules
    come from the config."""
    warnings.warn("check_conformance() is deprecated; use cspm.conformance(log, config, model=...)",
                  DeprecationWarning, stacklevel=2)  # fmt: skip
    config = rules if isinstance(rules, Config) else Config(rules=list(rules or []))
    return conformance(log, config, model=model, method=method, time_limit=time_limit, workers=workers,
                       deviations=deviations, precision=precision)  # fmt: skip
