"""The one Jinja environment of cspm: report sections, ``_repr_html_`` in Jupyter and standalone pages.

Templates live in ``cspm/render/templates``. Autoescape is on and undefined names are errors, so a
template renders the same way in a notebook and in the report. SVG charts are passed as strings the
templates mark ``|safe`` (their producers escape every name).

Filters: ``duration`` (seconds → '12 min', '3.2 h', '4.5 d'), ``hours`` (hours → '2.50 h'),
``pct`` (share → '12.5%'), ``thousands`` (count → '12,345'), ``rounded`` (1234.5 → '1,234'),
``t`` (a value marked with ``N_()`` in the code, in the active language). The i18n extension gives templates
``_()`` and ``{% trans %}`` in the active language of :mod:`cspm.i18n`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Protocol, runtime_checkable

import jinja2
import markupsafe

from cspm.i18n import gettext, ngettext, sentence_gap
from cspm.render.formats import MISSING, fmt_h, fmt_pct, fmt_rounded, fmt_thousands
from cspm.render.safe import visible_bidi, xml_text
from cspm.units import format_duration

__all__ = ["ReportSection", "environment", "render_fragment", "section_html"]


@runtime_checkable
class ReportSection(Protocol):
    """What a report section declares: an id, a title, a template and the template's values."""

    section_id: str
    section_title: str
    section_template: str

    def section_context(self) -> dict[str, Any]: ...


def _missing(x: Any) -> bool:
    return x is None or x != x


def _pct(x: float | None, digits: int = 1) -> str:
    if _missing(x):
        return MISSING
    return fmt_pct(x) if digits == 1 else f"{x:.{digits}%}"


def _thousands(x: float | None) -> str:
    return MISSING if _missing(x) else fmt_thousands(int(x))


def _rounded(x: float | None) -> str:
    return MISSING if _missing(x) else fmt_rounded(x)


def _hours(x: float | None) -> str:
    return MISSING if _missing(x) else fmt_h(x)


def _finalize(value: Any) -> Any:
    """Every printed text value with its bidi controls made visible (``<U+202E>``): a name from a
    log must not reorder what the reader sees. Markup (``|safe`` SVGs, rendered sections) is left."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return visible_bidi(xml_text(value))
    return value


def _at_render_time(function: Any) -> Any:
    """The filter evaluated when the page is rendered, in its language: Jinja folds a filter on a
    constant at compile time unless the filter takes the render context."""

    @jinja2.pass_context
    def filter_(_ctx: Any, value: Any, *args: Any) -> Any:
        return function(value, *args)

    filter_.__name__ = getattr(function, "__name__", "filter")
    return filter_


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja environment every cspm page and fragment is rendered with."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cspm.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
        extensions=["jinja2.ext.i18n"],
    )
    # the active language's catalog at render time (cspm.i18n): one environment for every language
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["sentence_gap"] = sentence_gap
    filters = {"duration": format_duration, "pct": _pct, "thousands": _thousands, "hours": _hours,
               "rounded": _rounded, "t": gettext}  # t: a value marked N_() in the code, translated (escaped as usual)
    env.filters.update({name: _at_render_time(f) for name, f in filters.items()})
    return env


def render_fragment(template: str, context: dict[str, Any]) -> str:
    """Render one template of ``cspm/render/templates`` with ``context``."""
    return environment().get_template(template).render(**context)


def section_html(section: ReportSection) -> str:
    """A section as an HTML fragment: its template with its context, plus ``section_id``,
    ``section_title`` (also as ``title``) unless the context sets them."""
    context = dict(section.section_context())
    context.setdefault("section_id", section.section_id)
    context.setdefault("section_title", section.section_title)
    context.setdefault("title", section.section_title)
    for key in ("section_title", "title"):  # titles are marked N_(…) and translated where shown
        context[key] = gettext(context[key])
    return render_fragment(section.section_template, context)
