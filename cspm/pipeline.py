"""Everything ``cspm discover`` writes into its output folder, as one library call.

Files (names fixed, see ``docs/summary_schema.md``): ``map_frequency.svg``, ``map_performance.svg``
(``.dot`` instead when no Graphviz renderer works), ``model.bpmn``, ``model.pnml`` (the model mined
from the log), ``variants.csv``, ``edges.csv``, ``activities.csv``, ``summary.json``, ``report.html`` and
``report.xlsx`` (the report's figures for Excel, :func:`report_workbook`).
Conformance is checked only against a to-be model the user gives (never against the mined model).

``summary.json`` is a :class:`DiscoverSummary`; its JSON Schema, ``docs/summary.schema.json``, is
generated from that type by :func:`summary_schema` (``python docs/write_summary_schema.py``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field

from cspm._version import __version__
from cspm.analysis.conformance.check import ConformanceResult, check_conformance, load_model
from cspm.analysis.drivers.headline import RootCauseEntry, root_causes
from cspm.analysis.handoffs.analysis import handoffs
from cspm.analysis.kpis import kpis
from cspm.analysis.service_desk import service_desk
from cspm.analysis.ticket_tables import TicketTables, write_ticket_tables
from cspm.analysis.trends import trends
from cspm.analysis.value_stream import value_stream
from cspm.analysis.waiting import check_target_steps, waiting
from cspm.config import Config
from cspm.core.log import TicketLog
from cspm.core.result import Result, json_ready
from cspm.errors import InputError
from cspm.i18n import Language, chosen_language, use_language
from cspm.i18n import gettext as _
from cspm.mining.discovery import Discovery, discover
from cspm.mining.filters import LogFilters
from cspm.mining.map_explorer import MapExplorer, targets_from_ranking
from cspm.mining.process_map import MapSection, ProcessMap, step_limit_note
from cspm.mining.records import (
    ActivityRecord,
    EdgeRecord,
    EventsPerCase,
    LeadTime,
    Miner,
    ModelSummary,
    Overview,
    Record,
    Share,
    VariantsSummary,
)
from cspm.render.canonical import creation_time
from cspm.render.report import Report, ReportSection
from cspm.render.workbook import write_workbook

__all__ = [
    "SUMMARY_SCHEMA", "ConformanceEntry", "DiscoverSummary", "DiscoveryOutputs", "OutputFiles", "Settings",
    "Targets", "build_report", "conformance_summary", "default_sections", "report_workbook", "summary_schema",
    "target_breaches",
    "write_discovery",
]  # fmt: skip

SUMMARY_SCHEMA = "cspm.discover.summary/1"

Progress = Callable[[str], None]


# --- summary.json -------------------------------------------------------------------------------
class Settings(Record):
    noise_threshold: float = Field(ge=0, le=1, description="Inductive Miner noise threshold")
    miner: Miner
    map_activities: float = Field(description="maps keep the activities covering this share of events")
    map_paths: float = Field(description="maps keep edges with at least this share of the most frequent edge's count")


class ModelRef(Record):
    name: str
    kind: str = Field(description="bpmn, pnml, spec, tree, …")
    file: str | None = Field(description="the model's file name (null when it is not a file)")


class Fitness(Record):
    """pm4py's fitness figures of the method (``log_fitness`` always; the others by method)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, float] = Field(init=False)  # type: ignore[assignment]

    log_fitness: float


class ConformanceEntry(Record):
    """Conformance to the to-be model given with ``--model`` (never to the mined model): the figures
    of ``cspm conformance LOG --model FILE --format json``."""

    model: ModelRef
    method: Literal["token_replay", "alignments"]
    tickets: int = Field(ge=0)
    fitting_tickets: int = Field(ge=0)
    fitting_share: Share
    fitness: Fitness
    precision: float | None = Field(description="ETConformance precision")
    unknown_steps: list[str] = Field(description="log steps the model lacks")
    model_steps_not_in_log: list[str]


class Targets(Record):
    """The steps and transitions that miss their waiting-time target (drawn in orange on the maps)."""

    breaching_steps: list[str]
    breaching_edges: list[tuple[str, str]]


class OutputFiles(Record):
    """File name of every output (in the output folder)."""

    activities: str
    bpmn: str
    edges: str
    map_frequency: str = Field(description=".svg, or .dot when no Graphviz renderer works")
    map_performance: str = Field(description=".svg, or .dot when no Graphviz renderer works")
    pnml: str
    report: str
    summary: str
    workbook: str = Field(description="report.xlsx: the report's figures, one sheet per section")
    variants: str


class DiscoverSummary(Record):
    """``summary.json``: what ``cspm discover`` found and wrote (see ``docs/summary_schema.md``)."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        title=f"cspm discover summary.json ({SUMMARY_SCHEMA})",
    )

    schema_id: Literal["cspm.discover.summary/1"] = Field(alias="schema", description="the identifier of this version")
    cspm_version: str
    created: datetime = Field(description="when it was written (UTC)")
    filters: list[str] = Field(description="the filters applied before discovery, as text")
    settings: Settings
    source: str
    overview: Overview
    lead_time_seconds: LeadTime
    events_per_case: EventsPerCase
    activities: list[ActivityRecord]
    start_activities: dict[str, int]
    end_activities: dict[str, int]
    slowest_transitions: list[EdgeRecord] = Field(max_length=10)
    variants: VariantsSummary
    model: ModelSummary = Field(description="the model mined from the log")
    conformance: ConformanceEntry | None = Field(description="null without a to-be model")
    targets: Targets | None = Field(description="null without targets in the config")
    quality: dict[str, Any] | None = Field(description="the data-quality summary of the log (as `cspm validate --format json`)")
    root_causes: list[RootCauseEntry] | None = Field(
        default=None, description="the drivers of the worst bottleneck and of ping-pong; null without the diagnosis"
    )
    files: OutputFiles
    notes: list[str] = Field(description="anything the user should know")

    def as_json(self) -> dict[str, Any]:
        """The summary as JSON data, keys as in ``summary.json``."""
        return json_ready(self.model_dump(by_alias=True))


def summary_schema() -> dict[str, Any]:
    """The JSON Schema of ``summary.json`` (``docs/summary.schema.json``), generated from
    :class:`DiscoverSummary`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://cspm.example/schemas/summary-1.json",
        **DiscoverSummary.model_json_schema(by_alias=True),
    }


def summary_schema_text() -> str:
    """:func:`summary_schema` as the text of ``docs/summary.schema.json``."""
    return json.dumps(summary_schema(), ensure_ascii=False, indent=2) + "\n"


# --- what was written ---------------------------------------------------------------------------
@dataclass
class DiscoveryOutputs:
    """What was written: file paths by name, the summary record, the discovery and notes."""

    out_dir: Path
    files: dict[str, Path]
    record: DiscoverSummary
    discovery: Discovery
    notes: list[str] = field(default_factory=list)
    sections: list[ReportSection] = field(default_factory=list)  # the diagnosis sections of the report
    tickets: TicketTables | None = None  # the per-ticket tables, when asked for (``tickets_out``)

    @property
    def summary(self) -> dict[str, Any]:
        """``summary.json`` as JSON data."""
        return self.record.as_json()

    def findings(self) -> list[str]:
        """The headline findings of the diagnosis sections (worst bottleneck, ping-pong, …)."""
        lines: list[str] = []
        for section in self.sections:
            if hasattr(section, "headline"):
                lines.append(section.headline())
            elif hasattr(section, "findings"):
                lines.extend(section.findings()[:2])
        return lines


def target_breaches(log: TicketLog, config: Config | None) -> tuple[ReportSection | None, list[str], list[tuple[str, str]], list[str]]:
    """Waiting-time targets → (report section, breaching steps, breaching edges, notes).

    Nothing when the config has no step, milestone or lead-time targets.
    """
    if config is None:
        return None, [], [], []
    t = config.targets
    if not (t.steps or t.milestones or t.lead_time):
        return None, [], [], []
    analysis = waiting(log, config)
    return analysis, list(analysis.breaching_steps()), [tuple(e) for e in analysis.breaching_edges()], []


def diagnosis_sections(log: TicketLog, config: Config | None, model: str | Path | None = None) -> list[ReportSection]:
    """The diagnosis sections of the full report: value stream, service KPIs, trends and segments,
    service-desk KPIs, handoffs and loops
    (team level, else agent level) and, with a to-be ``model``, conformance."""
    cfg = config or Config()
    sections: list[ReportSection] = [value_stream(log, cfg), kpis(log, cfg), trends(log, cfg)]
    if log.has_team:
        sections.append(service_desk(log, cfg))
    if log.has_team or log.has_agent:
        sections.append(handoffs(log, cfg, level="team" if log.has_team else "agent"))
    if model is not None:
        sections.append(check_conformance(log, load_model(model), rules=cfg.rules or None))
    return sections


def conformance_summary(result: ConformanceResult) -> ConformanceEntry:
    """The ``conformance`` entry of ``summary.json``: the to-be model (name, kind, file) and the
    figures of :func:`cspm.check_conformance` (the same as ``cspm conformance --format json``)."""
    model = result.model
    file = None if model.source.startswith("<") else Path(model.source).name  # "<spec>", "<tree>": not a file
    s = result.summary()
    return ConformanceEntry(
        model=ModelRef(name=model.name, kind=model.kind, file=file),
        **{k: s[k] for k in ("method", "tickets", "fitting_tickets", "fitting_share", "fitness", "precision",
                             "unknown_steps", "model_steps_not_in_log")},
    )  # fmt: skip


def check_output_folder(out: str | Path) -> Path:
    """The output folder: an existing folder, or a path where one can be created (no file on the way)."""
    out = Path(out)
    blocking = next((p for p in (out, *out.parents) if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        where = "is a file" if blocking == out else f"is inside {blocking}, which is a file"
        raise InputError(_("the output folder {where}, not a folder.").format(where=where), path=out,
                         expected=_("a folder for the outputs (created when missing)"))  # fmt: skip
    return out


def in_report_language(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``function`` in its ``language=`` keyword, else the language set with
    :func:`cspm.i18n.use_language` (the CLI's ``--lang``), else its config's ``report.language``."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        config = kwargs.get("config")
        default = config.report.language if isinstance(config, Config) else None
        with use_language(kwargs.get("language") or chosen_language(default)):
            return function(*args, **kwargs)

    return wrapper


@in_report_language
def write_discovery(
    log: TicketLog,
    out_dir: str | Path,
    *,
    config: Config | None = None,
    noise: float = 0.2,
    miner: Miner = "inductive",
    activities: float = 1.0,
    paths: float = 0.0,
    filters: LogFilters | None = None,
    sections: Iterable[ReportSection] = (),
    model: Any = None,
    diagnosis: bool = True,
    progress: Progress | None = None,
    language: Language | None = None,
    tickets_out: str | Path | None = None,
) -> DiscoveryOutputs:
    """Discover ``log`` and write maps, model, tables, ``summary.json`` and ``report.html``.

    ``filters`` are applied first (and listed in the summary). With ``diagnosis`` (default) the
    report also has the value stream, service KPIs, handoffs and loops. ``model`` (a to-be
    BPMN/PNML/YAML spec, see :func:`cspm.load_model`) adds conformance to it: a report section and
    ``summary["conformance"]`` (None without a model). The model is loaded and the output folder
    checked before any work, so a missing model file fails at once. ``language`` (``en``, ``zh``) is
    the language of the report; by default the one set with :func:`cspm.i18n.use_language` (the
    CLI's ``--lang``), else the config's ``report.language``. ``tickets_out``: a folder for the
    per-ticket tables ``tickets.parquet`` and ``steps.parquet``, written by the engine
    (:func:`cspm.analysis.ticket_tables.write_ticket_tables`; never collected to Python).
    """
    step = progress or (lambda _msg: None)
    out = check_output_folder(out_dir)
    reference = load_model(model) if model is not None else None
    applied: list[str] = []
    if filters is not None:
        step(_("filtering"))
        log, applied = filters.apply(log)
    if config is not None:
        check_target_steps(log, config)  # a target on a step the log does not have
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    notes: list[str] = []

    step(_("discovering edges, activities and variants"))
    d = discover(log)
    if d.events == 0:
        raise InputError(_("no events left to discover (after filtering)"), path=log.source)

    limited = step_limit_note(len(d.activities.table))  # maps draw at most MAX_MAP_STEPS steps
    if limited:
        notes.append(limited)

    step(_("checking targets"))
    target_section, warn_steps, warn_edges, target_notes = target_breaches(log, config)
    notes += target_notes

    step(_("drawing the process maps"))
    for measure in ("performance", "frequency"):
        m = d.process_map(
            measure, activities=activities, paths=paths, highlight_steps=warn_steps, highlight_edges=warn_edges
        )
        rendered = m.save(out / f"map_{measure}.svg")
        files[f"map_{measure}"] = rendered.path
        if rendered.message:
            notes.append(rendered.message)

    step(_("mining the process model ({miner})").format(miner=miner))
    mined = d.model(noise=noise, miner=miner)
    files["bpmn"] = mined.save(out / "model.bpmn")
    files["pnml"] = mined.save(out / "model.pnml")

    step(_("writing tables"))
    files["variants"] = d.variants.save(out / "variants.csv")
    files["edges"] = d.dfg.save(out / "edges.csv")
    files["activities"] = d.activities.save(out / "activities.csv")

    diag: list[ReportSection] = []
    causes = None
    if diagnosis:
        step(_("diagnosing: value stream, KPIs, handoffs"))
        diag = diagnosis_sections(log, config)
        step(_("root causes: drivers of the worst bottleneck and of ping-pong"))
        causes = root_causes(log, config, waiting=target_section or waiting(log, config))
        diag.append(causes)
    conformance = None
    if reference is not None:
        step(_("checking conformance to {model}").format(model=reference.name))
        rules = config.rules if config is not None else None
        conformance = check_conformance(log, reference, rules=rules or None)
        diag.append(conformance)

    step(_("writing the report"))
    extra = ([target_section] if target_section is not None else []) + diag + list(sections)
    files["report"] = out / "report.html"
    explorer = map_explorer(log, target_section, activities=activities, paths=paths,
                            highlight_steps=warn_steps, highlight_edges=warn_edges)  # fmt: skip
    report = build_report(log, extra, files["report"], discovery=d, maps=explorer, model=mined)
    files["workbook"] = report_workbook(report.sections, out / "report.xlsx")
    tickets = None
    if tickets_out is not None:
        step(_("writing the per-ticket tables"))
        tickets = write_ticket_tables(log, tickets_out, config)

    files["summary"] = out / "summary.json"
    found = d._summary()
    record = DiscoverSummary(
        schema=SUMMARY_SCHEMA,
        cspm_version=__version__,
        created=creation_time(),
        filters=applied,
        settings=Settings(noise_threshold=noise, miner=miner, map_activities=activities, map_paths=paths),
        **dict(found),
        model=mined._summary(),
        conformance=conformance_summary(conformance) if conformance is not None else None,
        targets=Targets(breaching_steps=sorted(warn_steps), breaching_edges=sorted(warn_edges))
        if target_section is not None
        else None,
        quality=log.quality.summary() if log.quality is not None else None,
        root_causes=causes.entries() if causes is not None else None,
        files=OutputFiles(**{k: p.name for k, p in files.items()}),
        notes=notes,
    )
    text = json.dumps(record.as_json(), ensure_ascii=False, indent=2, default=str)
    files["summary"].write_text(text, encoding="utf-8")
    return DiscoveryOutputs(out, files, record, d, notes, extra, tickets)


# --- the report ---------------------------------------------------------------------------------
def map_explorer(
    log: TicketLog, targets: ReportSection | None = None, *, activities: float = 1.0, paths: float = 0.0,
    highlight_steps: Iterable[str] = (), highlight_edges: Iterable[tuple[str, str]] = (),
) -> MapExplorer:
    """The report's explorable maps of ``log``; ``targets`` (the waiting analysis) names each
    step's target and the rule that marks a step ⚠."""
    ranking = getattr(targets, "ranking", None)
    by_step, rule = ({}, "") if ranking is None else targets_from_ranking(ranking)
    return MapExplorer.from_log(log, activities=activities, paths=paths, highlight_steps=highlight_steps,
                                highlight_edges=highlight_edges, targets=by_step, breach_rule=rule)  # fmt: skip


def report_workbook(sections: Iterable[ReportSection], path: str | Path) -> Path:
    """``report.xlsx``: the sheets of every section that has them (:meth:`Result.workbook_sheets`),
    the overview first, then the diagnosis, then variants, transitions and data quality."""
    sections = [s for s in sections if isinstance(s, Result)]
    later = {"variants": 1, "transitions": 2, "quality": 3}
    ordered = sorted(sections, key=lambda s: (0 if s.section_id == "overview" else 1, later.get(s.section_id, 0)))
    return write_workbook([sheet for s in ordered for sheet in s.workbook_sheets()], path)


def default_sections(
    log: TicketLog,
    discovery: Discovery,
    *,
    maps: Sequence[ProcessMap] | MapExplorer | None = None,
    model: ReportSection | None = None,
) -> list[ReportSection]:
    """Overview, maps (explorable unless ``maps`` are given), the mined ``model`` when given (drawn
    as BPMN), variants, slowest transitions and (when known) data quality."""
    shown: ReportSection = maps if isinstance(maps, MapExplorer) else (
        map_explorer(log) if maps is None else MapSection(list(maps)))
    sections: list[ReportSection] = [discovery, shown, *([model] if model is not None else []),
                                     discovery.variants, discovery.dfg]  # fmt: skip
    if log.quality is not None:
        sections.append(log.quality)  # a DataQuality is its own report section
    return sections


@in_report_language
def build_report(
    log: TicketLog,
    sections: Iterable[ReportSection] = (),
    path: str | Path | None = None,
    *,
    discovery: Discovery | None = None,
    maps: Sequence[ProcessMap] | MapExplorer | None = None,
    model: ReportSection | None = None,
    title: str | None = None,
    language: Language | None = None,
) -> Report:
    """The report of ``log``: the default sections, then ``sections`` from other analyses
    (waiting times and targets, handoffs, …), in ``language`` (default: the active one). Saved to
    ``path`` when given."""
    discovery = discovery or discover(log)
    extra = list(sections)
    for s in extra:
        if not isinstance(s, ReportSection):
            raise TypeError(f"{type(s).__name__} is not a report section (needs section_id, section_title, "
                            "section_template and section_context())")
    report = Report(
        title=title or _("Service process diagnosis — {log}").format(log=Path(log.source).name),
        sections=default_sections(log, discovery, maps=maps, model=model) + extra,
        source=log.source,
    )
    if path is not None:
        report.save(path)
    return report

