"""The discovery sections of the report: overview, process maps, variants and slowest transitions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cspm.mining.discovery import SLOWEST_MIN_COUNT, Discovery
from cspm.mining.process_map import ProcessMap
from cspm.render.graphviz import RenderUnavailable
from cspm.units import format_duration

__all__ = ["MapSection", "OverviewSection", "TransitionsSection", "VariantsSection"]


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
