"""The conformance report section: context for ``section_conformance.html.j2`` and its rendering."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from cspm.units import format_duration

if TYPE_CHECKING:
    from cspm.analysis.conformance.check import ConformanceResult

_MAX_ROWS = 15


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def _diff(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "–"
    return ("+" if seconds > 0 else "") + format_duration(seconds)


def _number(x: float | None) -> float:
    return float("-inf") if x is None or x != x else float(x)


def section_context(r: ConformanceResult) -> dict[str, Any]:
    """Plain values for the template (names from the log are escaped by the template)."""
    svg = ""
    try:
        svg = r.svg()
    except Exception:  # noqa: BLE001 - no Graphviz renderer: the tables carry the same facts
        svg = ""
    skipped = [
        {"step": s.step, "tickets": f"{s.tickets:,}", "share": _pct(s.share), "variants": s.variants,
         "lead": format_duration(s.lead_time_median), "diff": _diff(s.lead_time_difference)}
        for s in r.skipped.head(_MAX_ROWS).itertuples()
    ]  # fmt: skip
    inserted = [
        {"step": s.step, "before": s.before, "after": s.after, "tickets": f"{s.tickets:,}", "share": _pct(s.share),
         "lead": format_duration(s.lead_time_median), "diff": _diff(s.lead_time_difference)}
        for s in r.inserted.head(_MAX_ROWS).itertuples()
    ]  # fmt: skip
    costly = []
    for kind, df in (("skipped", r.skipped), ("inserted", r.inserted)):
        for s in df.itertuples():
            where = f" ({s.before} → · → {s.after})" if kind == "inserted" else ""
            costly.append((_number(s.lead_time_difference),
                           {"what": f"{kind} {s.step}{where}", "tickets": f"{s.tickets:,}", "diff": _diff(s.lead_time_difference)}))
    costly.sort(key=lambda x: x[0], reverse=True)
    unaligned = [
        {"variant": int(u.variant), "steps": " → ".join(u.activities), "tickets": f"{u.count:,}",
         "status": u.status, "message": u.message}
        for u in r.unaligned.head(_MAX_ROWS).itertuples()
    ]  # fmt: skip
    rules = r.rules.summary(20)["rules"] if r.rules is not None else []
    figures = [
        ("Method", "alignments (exact)" if r.method == "alignments" else "token-based replay"),
        ("Tickets", f"{r.tickets:,}"),
        ("Fitting tickets", f"{r.fitting_tickets:,} ({_pct(r.fitting_share)})"),
        ("Log fitness", f"{r.log_fitness:.4f}"),
        ("Average ticket fitness", f"{r.fitness['average_trace_fitness']:.4f}"),
        ("Precision (ETConformance)", "–" if r.precision is None else f"{r.precision:.4f}"),
        ("Median lead time of conforming tickets", format_duration(r.conforming_lead_time_median)),
    ]
    if r.time_limit is not None:
        figures.append(("Alignment time limit per variant", f"{r.time_limit:g} s"))
    headline = (
        f"{_pct(r.fitting_share)} of {r.tickets:,} tickets follow the intended process "
        f"({r.model.name}); log fitness {r.log_fitness:.3f}."
    )
    return {
        "section_id": r.section_id,
        "section_title": r.section_title,
        "headline": headline,
        "model_name": r.model.name,
        "model_kind": r.model.kind,
        "model_file": None if r.model.source.startswith("<") else Path(r.model.source).name,
        "figures": figures,
        "svg": svg,
        "skipped": skipped,
        "inserted": inserted,
        "costly": [c for _, c in costly[:5]],
        "unaligned": unaligned,
        "unaligned_total": len(r.unaligned),
        "unaligned_tickets": f"{int(r.unaligned['count'].sum()):,}" if len(r.unaligned) else "0",
        "unknown_steps": r.unknown_steps,
        "unseen_steps": r.unseen_steps,
        "rules": rules,
    }


def render(r: ConformanceResult) -> str:
    """The section as HTML (autoescape on), for Jupyter."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("cspm.render", "templates"), autoescape=select_autoescape(default=True, default_for_string=True))
    return env.get_template(r.section_template).render(**section_context(r))
