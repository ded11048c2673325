"""The self-contained HTML report: one file, no CDN, inline CSS and JavaScript.

A report is a list of sections. A section is one small Jinja2 template in ``cspm/templates/`` plus
one object implementing the section protocol::

    section_id: str          # HTML id / anchor, e.g. "waiting"
    section_title: str       # heading and navigation entry
    section_template: str    # template file name, e.g. "section_waiting.html.j2"
    def section_context(self) -> dict: ...   # the values the template uses

Templates render with autoescape on; SVG charts are passed as strings the template marks ``|safe``
(their producers escape every name). ``section_id`` and ``section_title`` (also as ``title``) are
added to each context unless the section sets them itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import jinja2

from cspm._version import __version__
from cspm.mining.discovery import SLOWEST_MIN_COUNT
from cspm.render.graphviz import RenderUnavailable
from cspm.units import format_duration

if TYPE_CHECKING:
    from cspm.core.log import TicketLog
    from cspm.ingest.quality import DataQuality
    from cspm.mining.discovery import Discovery
    from cspm.mining.process_map import ProcessMap

__all__ = [
    "MapSection",
    "OverviewSection",
    "QualitySection",
    "Report",
    "ReportSection",
    "TransitionsSection",
    "VariantsSection",
    "build_report",
    "default_sections",
]


@runtime_checkable
class ReportSection(Protocol):
    section_id: str
    section_title: str
    section_template: str

    def section_context(self) -> dict[str, Any]: ...


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cspm.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = format_duration
    env.filters["pct"] = lambda x, digits=1: "–" if x is None else f"{x:.{digits}%}"
    env.filters["thousands"] = lambda x: "–" if x is None else f"{int(x):,}"
    return env


# --- the built-in sections -----------------------------------------------------------------------
@dataclass
class OverviewSection:
    """Headline figures: events, cases, variants, lead time, period."""

    discovery: Discovery
    section_id: str = "overview"
    section_title: str = "Overview"
    section_template: str = "section_overview.html.j2"

    def section_context(self) -> dict[str, Any]:
        d = self.discovery
        ov = d.overview()
        lead = d.lead_time
        figures = [
            ("Cases", f"{ov['cases']:,}"),
            ("Events", f"{ov['events']:,}"),
            ("Activities", f"{ov['activities']:,}"),
            ("Variants", f"{ov['variants']:,}"),
            ("Top variant share", f"{ov['top_variant_share']:.1%}" if ov["top_variant_share"] is not None else "–"),
            ("Median lead time", format_duration(lead.get("median"))),
            ("P90 lead time", format_duration(lead.get("p90"))),
            ("Mean lead time", format_duration(lead.get("mean"))),
        ]
        period = (
            f"{d.first_event:%Y-%m-%d} – {d.last_event:%Y-%m-%d}" if d.first_event and d.last_event else "–"
        )
        return {"figures": figures, "source": d.source, "period": period}


@dataclass
class MapSection:
    """The frequency and performance maps, switchable and zoomable."""

    maps: Sequence[ProcessMap]
    section_id: str = "maps"
    section_title: str = "Process maps"
    section_template: str = "section_maps.html.j2"

    def section_context(self) -> dict[str, Any]:
        views = []
        for m in self.maps:
            try:
                svg, error = m.svg_inline(), None
            except RenderUnavailable as exc:
                svg, error = None, f"The map could not be rendered here ({exc})."
            views.append(
                {
                    "key": m.measure,
                    "label": m.measure.capitalize(),
                    "svg": svg,
                    "error": error,
                    "dot": m.to_dot() if svg is None else "",
                    "nodes": len(m.nodes),
                    "edges": len(m.edges),
                    "highlighted": len(m.warn_steps) + len(m.warn_edges),
                }
            )
        return {"views": views}


@dataclass
class VariantsSection:
    """The most frequent variants with their share and lead time."""

    discovery: Discovery
    top: int = 15
    section_id: str = "variants"
    section_title: str = "Variants"
    section_template: str = "section_variants.html.j2"

    def section_context(self) -> dict[str, Any]:
        t = self.discovery.variants.table
        rows = [
            {
                "rank": int(r.variant),
                "steps": list(r.activities),
                "cases": int(r.count),
                "share": float(r.share),
                "cumulative": float(r.cumulative_share),
                "median": format_duration(r.lead_time_median),
                "p90": format_duration(r.lead_time_p90),
            }
            for r in t.head(self.top).itertuples(index=False)
        ]
        return {"rows": rows, "total": len(t), "top": min(self.top, len(t))}


@dataclass
class TransitionsSection:
    """The slowest transitions (median wait) with their frequency."""

    discovery: Discovery
    top: int = 10
    section_id: str = "transitions"
    section_title: str = "Slowest transitions"
    section_template: str = "section_transitions.html.j2"

    def section_context(self) -> dict[str, Any]:
        rows = [
            {
                "source": r.source,
                "target": r.target,
                "count": int(r.count),
                "cases": int(r.cases),
                "median": format_duration(r.wait_median),
                "p90": format_duration(r.wait_p90),
                "mean": format_duration(r.wait_mean),
                "total": format_duration(r.wait_total),
            }
            for r in self.discovery.dfg.slowest(self.top, min_count=SLOWEST_MIN_COUNT).itertuples(index=False)
        ]
        return {"rows": rows, "min_count": SLOWEST_MIN_COUNT}


@dataclass
class QualitySection:
    """What was read, kept and rejected, and the event-level checks."""

    quality: DataQuality
    section_id: str = "quality"
    section_title: str = "Data quality"
    section_template: str = "section_quality.html.j2"

    def section_context(self) -> dict[str, Any]:
        return {"figures": self.quality.figures(), "warnings": list(self.quality.warnings)}


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


# --- the report ----------------------------------------------------------------------------------
@dataclass
class Report:
    """An HTML report made of sections; :meth:`render` gives one self-contained HTML document."""

    title: str
    sections: list[ReportSection]
    source: str = ""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    def render_section(self, section: ReportSection, env: jinja2.Environment | None = None) -> str:
        env = env or _environment()
        context = dict(section.section_context())
        context.setdefault("section_id", section.section_id)
        context.setdefault("section_title", section.section_title)
        context.setdefault("title", section.section_title)
        return env.get_template(section.section_template).render(**context)

    def render(self) -> str:
        env = _environment()
        ids = [s.section_id for s in self.sections]
        if len(set(ids)) != len(ids):
            raise ValueError(f"report sections need distinct section_id values, got {ids}")
        body = [jinja2.utils.markupsafe.Markup(self.render_section(s, env)) for s in self.sections]
        return env.get_template("report.html.j2").render(
            title=self.title,
            source=self.source,
            created=f"{self.created:%Y-%m-%d %H:%M} UTC",
            version=__version__,
            nav=[(s.section_id, s.section_title) for s in self.sections],
            body=body,
        )

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.render(), encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        return "".join(self.render_section(s) for s in self.sections)


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
    from cspm.mining.discovery import discover

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
