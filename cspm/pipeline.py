"""Everything ``cspm discover`` writes into its output folder, as one library call.

Files (names fixed, see ``docs/summary_schema.md``): ``map_frequency.svg``, ``map_performance.svg``
(``.dot`` instead when no Graphviz renderer works), ``model.bpmn``, ``model.pnml`` (the model mined
from the log), ``variants.csv``, ``edges.csv``, ``activities.csv``, ``summary.json``, ``report.html``.
Conformance is checked only against a to-be model the user gives (never against the mined model).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cspm._version import __version__
from cspm.config import Config
from cspm.core.log import TicketLog
from cspm.errors import InputError
from cspm.ingest.quality import QualitySection
from cspm.mining.discovery import Discovery, discover
from cspm.mining.process_map import ProcessMap
from cspm.mining.sections import MapSection, OverviewSection, TransitionsSection, VariantsSection
from cspm.render.report import Report, ReportSection

__all__ = [
    "SUMMARY_SCHEMA", "DiscoveryOutputs", "build_report", "conformance_summary", "default_sections",
    "target_breaches", "write_discovery",
]  # fmt: skip

SUMMARY_SCHEMA = "cspm.discover.summary/1"

Progress = Callable[[str], None]


@dataclass
class DiscoveryOutputs:
    """What was written: file paths by name, the summary dict, the discovery and notes."""

    out_dir: Path
    files: dict[str, Path]
    summary: dict[str, Any]
    discovery: Discovery
    notes: list[str] = field(default_factory=list)
    sections: list[ReportSection] = field(default_factory=list)  # the diagnosis sections of the report

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
    from cspm.analysis.waiting import analyse_waiting

    analysis = analyse_waiting(log, config)
    return analysis, list(analysis.breaching_steps()), [tuple(e) for e in analysis.breaching_edges()], []


def diagnosis_sections(
    log: TicketLog, config: Config | None, model: str | Path | None = None
) -> list[ReportSection]:
    """The diagnosis sections of the full report: value stream, service KPIs, handoffs and loops
    (team level, else agent level) and, with a to-be ``model``, conformance."""
    from cspm.analysis.handoffs.analysis import handoffs as analyse_handoffs
    from cspm.analysis.kpis import kpis
    from cspm.analysis.value_stream import value_stream
    from cspm.config import Config as _Config

    cfg = config or _Config()
    sections: list[ReportSection] = [value_stream(log, cfg), kpis(log, cfg)]
    if log.has_team or log.has_agent:
        sections.append(analyse_handoffs(log, cfg, level="team" if log.has_team else "agent"))
    if model is not None:
        from cspm.analysis.conformance.check import check_conformance, load_model

        sections.append(check_conformance(log, load_model(model), rules=cfg.rules or None))
    return sections


def conformance_summary(result: Any) -> dict[str, Any]:
    """The ``conformance`` entry of ``summary.json``: the to-be model (name, kind, file) and the
    figures of :func:`cspm.check_conformance` (the same as ``cspm conformance --format json``)."""
    model = result.model
    file = None if model.source.startswith("<") else Path(model.source).name  # "<spec>", "<tree>": not a file
    s = result.summary()
    return {
        "model": {"name": model.name, "kind": model.kind, "file": file},
        **{k: s[k] for k in ("method", "tickets", "fitting_tickets", "fitting_share", "fitness", "precision",
                             "unknown_steps", "model_steps_not_in_log")},
    }  # fmt: skip


def check_output_folder(out: str | Path) -> Path:
    """The output folder: an existing folder, or a path where one can be created (no file on the way)."""
    out = Path(out)
    blocking = next((p for p in (out, *out.parents) if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        where = "is a file" if blocking == out else f"is inside {blocking}, which is a file"
        raise InputError(f"the output folder {where}, not a folder.", path=out,
                         expected="a folder for the outputs (created when missing)")  # fmt: skip
    return out


def write_discovery(
    log: TicketLog,
    out_dir: str | Path,
    *,
    config: Config | None = None,
    noise: float = 0.2,
    miner: str = "inductive",
    activities: float = 1.0,
    paths: float = 0.0,
    filters: Sequence[str] = (),
    sections: Iterable[ReportSection] = (),
    model: str | Path | None = None,
    diagnosis: bool = True,
    progress: Progress | None = None,
) -> DiscoveryOutputs:
    """Discover ``log`` and write maps, model, tables, ``summary.json`` and ``report.html``.

    With ``diagnosis`` (default) the report also has the value stream, service KPIs, handoffs and
    loops. ``model`` (a to-be BPMN/PNML/YAML spec, see :func:`cspm.load_model`) adds conformance to
    it: a report section and ``summary["conformance"]`` (None without a model). The model is loaded
    and the output folder checked before any work, so a missing model file fails at once.
    """
    from cspm.analysis.conformance.check import load_model

    step = progress or (lambda _msg: None)
    out = check_output_folder(out_dir)
    reference = load_model(model) if model is not None else None
    if config is not None:
        from cspm.analysis.waiting import check_target_steps

        check_target_steps(log, config)  # a target on a step the log does not have
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    notes: list[str] = []

    step("discovering edges, activities and variants")
    d = discover(log)
    if d.events == 0:
        raise InputError("no events left to discover (after filtering)", path=log.source)

    step("checking targets")
    target_section, warn_steps, warn_edges, target_notes = target_breaches(log, config)
    notes += target_notes

    step("drawing the process maps")
    maps = []
    for measure in ("performance", "frequency"):
        m = d.process_map(
            measure, activities=activities, paths=paths, highlight_steps=warn_steps, highlight_edges=warn_edges
        )
        maps.append(m)
        rendered = m.save(out / f"map_{measure}.svg")
        files[f"map_{measure}"] = rendered.path
        if rendered.message:
            notes.append(rendered.message)

    step(f"mining the process model ({miner})")
    mined = d.model(noise=noise, miner=miner)
    files["bpmn"] = mined.save_bpmn(out / "model.bpmn")
    files["pnml"] = mined.save_pnml(out / "model.pnml")

    step("writing tables")
    files["variants"] = d.variants.save(out / "variants.csv")
    files["edges"] = d.dfg.save(out / "edges.csv")
    files["activities"] = d.activities.save(out / "activities.csv")

    diag: list[ReportSection] = []
    if diagnosis:
        step("diagnosing: value stream, KPIs, handoffs")
        diag = diagnosis_sections(log, config)
    conformance = None
    if reference is not None:
        from cspm.analysis.conformance.check import check_conformance

        step(f"checking conformance to {reference.name}")
        rules = config.rules if config is not None else None
        conformance = check_conformance(log, reference, rules=rules or None)
        diag.append(conformance)

    step("writing the report")
    extra = ([target_section] if target_section is not None else []) + diag + list(sections)
    files["report"] = out / "report.html"
    build_report(log, extra, files["report"], discovery=d, maps=maps)

    files["summary"] = out / "summary.json"
    summary = {
        "schema": SUMMARY_SCHEMA,
        "cspm_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "filters": list(filters),
        "settings": {"noise_threshold": noise, "miner": miner, "map_activities": activities, "map_paths": paths},
        **d.summary(),
        "model": mined.summary(),
        "conformance": conformance_summary(conformance) if conformance is not None else None,
        "targets": {"breaching_steps": sorted(warn_steps), "breaching_edges": sorted([list(e) for e in warn_edges])}
        if target_section is not None
        else None,
        "quality": log.quality.summary() if log.quality is not None else None,
        "files": {k: p.name for k, p in sorted(files.items())},
        "notes": notes,
    }
    files["summary"].write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return DiscoveryOutputs(out, files, summary, d, notes, extra)


def default_sections(
    log: TicketLog,
    discovery: Discovery,
    *,
    maps: Sequence[ProcessMap] | None = None,
) -> list[ReportSection]:
    """Overview, maps, variants, slowest transitions and (when known) data quality."""
    if maps is None:
        maps = [discovery.process_map("performance"), discovery.process_map("frequency")]
    sections: list[ReportSection] = [
        OverviewSection(discovery),
        MapSection(list(maps)),
        VariantsSection(discovery),
        TransitionsSection(discovery),
    ]
    if log.quality is not None:
        sections.append(QualitySection(log.quality))
    return sections


def build_report(
    log: TicketLog,
    sections: Iterable[ReportSection] = (),
    path: str | Path | None = None,
    *,
    discovery: Discovery | None = None,
    maps: Sequence[ProcessMap] | None = None,
    title: str | None = None,
) -> Report:
    """The report of ``log``: the default sections, then ``sections`` from other analyses
    (waiting times and targets, handoffs, …). Saved to ``path`` when given."""
    discovery = discovery or discover(log)
    extra = list(sections)
    for s in extra:
        if not isinstance(s, ReportSection):
            raise TypeError(f"{type(s).__name__} is not a report section (needs section_id, section_title, "
                            "section_template and section_context())")
    report = Report(
        title=title or f"Service process diagnosis — {Path(log.source).name}",
        sections=default_sections(log, discovery, maps=maps) + extra,
        source=log.source,
    )
    if path is not None:
        report.save(path)
    return report
