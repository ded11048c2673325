"""The self-contained HTML report page: one file, no CDN, inline CSS and JavaScript.

A report is a list of sections (:class:`~cspm.render.html.ReportSection`): an id, a title, one
small template in ``cspm/render/templates/`` and the values it uses. Every section renders through
the one Jinja environment of :mod:`cspm.render.html`, so it looks the same in Jupyter and here.
Which sections a diagnosis has is decided by :func:`cspm.pipeline.build_report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import markupsafe

from cspm._version import __version__
from cspm.i18n import format_datetime, gettext, language
from cspm.render.canonical import creation_time
from cspm.render.html import ReportSection, render_fragment, section_html

__all__ = ["Report", "ReportSection"]


# --- the report ----------------------------------------------------------------------------------
@dataclass
class Report:
    """An HTML report made of sections; :meth:`render` gives one self-contained HTML document."""

    title: str
    sections: list[ReportSection]
    source: str = ""
    created: datetime = field(default_factory=creation_time)  # SOURCE_DATE_EPOCH fixes it

    def render_section(self, section: ReportSection) -> str:
        return section_html(section)

    def render(self) -> str:
        ids = [s.section_id for s in self.sections]
        if len(set(ids)) != len(ids):
            raise ValueError(f"report sections need distinct section_id values, got {ids}")
        body = [markupsafe.Markup(section_html(s)) for s in self.sections]
        return render_fragment("report.html.j2", dict(
            title=self.title,
            source=self.source,
            created=f"{format_datetime(self.created)} UTC",
            version=__version__,
            lang=language(),
            nav=[(s.section_id, gettext(s.section_title)) for s in self.sections],
            body=body,
        ))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.render(), encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        return "".join(self.render_section(s) for s in self.sections)
