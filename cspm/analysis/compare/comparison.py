"""``cspm.compare``: before/after and A/B comparison with significance, verdicts and DiD.

Sides (the rule used is stated in :attr:`Comparison.rule`):

* two logs, ``compare(before, after)`` (``before`` may be a :class:`Baseline`);
* one log split by date, ``compare(log, split="2024-03-01")`` (see :mod:`~.sides`);
* one log split by group, ``compare(log, group="team=Pilot", control=None)``: side a is the
  control, side b the pilot;
* both: the pilot before vs after is the main table, and :attr:`Comparison.did` holds the
  difference-in-differences of the pilot against the control for every figure.

Every figure is tested (:mod:`~.statistics`) and the p-values of the whole table are adjusted with
Benjamini–Hochberg; a change is **significant** when its q-value is below ``alpha`` (0.05).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from cspm.analysis.compare import statistics as st
from cspm.analysis.compare.baseline import PART as BASELINE_PART
from cspm.analysis.compare.baseline import Baseline
from cspm.analysis.compare.difference_map import difference_dot
from cspm.analysis.compare.figures import describe
from cspm.analysis.compare.sidedata import SideData, side_data
from cspm.analysis.compare.sides import (
    cross_parts,
    date_parts,
    group_parts,
    parse_group,
    parse_split,
)
from cspm.analysis.compare.table import (
    comparison_rows,
    format_p,
    samples,
    target_rows,
    variant_rows,
    with_q,
)
from cspm.analysis.intervals import Semantics
from cspm.config import Config, as_config
from cspm.core.log import TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.errors import ConfigError
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.render.graphviz import RenderUnavailable, render_svg, svg_body
from cspm.units import format_hours

__all__ = ["Comparison", "ComparisonSummary", "compare", "comparison_of"]

ALPHA = 0.05
ASSUMPTIONS = N_(
    "Durations are compared by their medians (rounded to the second), flow efficiency and fitness "
    "per ticket by their medians, counts per ticket by their means, shares by their proportions. Tests: Mann–Whitney U (asymptotic, tie- and continuity-"
    "corrected) with a bootstrap 95% CI of the median difference; counts per ticket: the exact "
    "conditional test of two Poisson rates (Mann–Whitney when the counts are overdispersed, variance/mean "
    "above {dispersion:g}) with the Welch CI of the mean difference; two-proportion z or Fisher's "
    "exact test for shares. q = Benjamini–Hochberg "
    "adjusted p across the table; significant: q < {alpha:g}. Figures with fewer than "
    "{min_n} observations on a side are not tested."
)
_PARTS = (N_("before"), N_("after"), N_("pilot"), N_("control"))
_STATUS = {(True, True): N_("still met"), (False, True): N_("now met"), (True, False): N_("now breached"),
           (False, False): N_("still breached")}  # fmt: skip


def part_label(label: str) -> str:
    """A side's label in the active language ('pilot/before' → '试点/之前'; a period or value stays)."""
    return "/".join(_(p) if p in _PARTS else p for p in label.split("/"))


def _hours_g(hours: float) -> str:
    """'4 h', '0.5 h' (the shortest form of a target) in the active language."""
    return _("{hours} h").format(hours=f"{hours:g}")


class ComparisonSummary(Record):
    """What a comparison found (JSON output)."""

    labels: list[str]
    rule: str
    tickets: dict[str, int]
    alpha: float
    significant: int
    verdicts: list[str]
    figures: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    did: list[dict[str, Any]] | None
    variants_appeared: list[dict[str, Any]]
    variants_vanished: list[dict[str, Any]]
    activities_only_a: list[str]
    activities_only_b: list[str]
    notes: list[str]


@dataclass(eq=False)
class Comparison(Result):
    """A comparison of two sides ``a`` and ``b`` (``labels``): the table, targets, verdicts, DiD."""

    labels: tuple[str, str]
    rule: str
    tickets: dict[str, int]
    figures: pd.DataFrame
    targets: pd.DataFrame
    variants_appeared: list[dict[str, Any]]
    variants_vanished: list[dict[str, Any]]
    activities_only_a: list[str]
    activities_only_b: list[str]
    alpha: float = ALPHA
    did: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    map_clock: str = "business"
    waiting_hours_per_ticket: tuple[float, float] = (0.0, 0.0)
    """Per side: the sum of every queue wait (calendar clock, SLA pauses excluded) / tickets, hours."""
    work_hours_per_ticket: tuple[float, float] | None = None
    """Per side: handling (work) hours / tickets; None when the logs have no work time (no start/complete)."""

    section_id: ClassVar[str] = "comparison"
    section_title: ClassVar[str] = N_("Verify the improvement")
    section_template: ClassVar[str] = "section_compare.html.j2"

    def table(self) -> pd.DataFrame:
        return self.figures

    def row(self, figure_id: str) -> pd.Series:
        """The table row of one figure id (e.g. ``wait|business|Assign L2``)."""
        rows = self.figures[self.figures.figure == figure_id]
        if rows.empty:
            raise KeyError(figure_id)
        return rows.iloc[0]

    def significant(self) -> pd.DataFrame:
        """The rows whose change is significant after the correction."""
        return self.figures[self.figures.significant]

    def verdicts(self) -> list[str]:
        """One plain-language line per target."""
        return [_verdict(r, self.labels) for r in self.targets.to_dict("records")]

    def _summary(self) -> ComparisonSummary:
        return ComparisonSummary(
            labels=list(self.labels), rule=self.rule, tickets=self.tickets, alpha=self.alpha,
            significant=int(self.figures.significant.sum()), verdicts=self.verdicts(),
            figures=self.figures.to_dict("records"), targets=self.targets.to_dict("records"),
            did=None if self.did is None else self.did.to_dict("records"),
            variants_appeared=self.variants_appeared, variants_vanished=self.variants_vanished,
            activities_only_a=self.activities_only_a, activities_only_b=self.activities_only_b,
            notes=self.notes,
        )  # fmt: skip

    def section_context(self) -> dict[str, Any]:
        a, b = self.labels
        shown = self.figures[self.figures.family != "edge"]
        return {
            "labels": self.labels, "rule": self.rule, "tickets": [self.tickets.get(a, 0), self.tickets.get(b, 0)],
            "verdicts": self.verdicts(), "alpha": self.alpha, "notes": self.notes,
            "significant": _display(self.significant()), "rows": _display(shown),
            "edges": _display(self.figures[(self.figures.family == "edge") & self.figures.significant]),
            "targets": self.targets.to_dict("records"),
            "did": None if self.did is None else self.did.to_dict("records"),
            "appeared": self.variants_appeared[:10], "vanished": self.variants_vanished[:10],
            "only_a": self.activities_only_a, "only_b": self.activities_only_b,
            "difference_map_svg": self.difference_map_svg(), "map_clock": self.map_clock,
        }  # fmt: skip

    def difference_map_dot(self, clock: str | None = None) -> str:
        """The difference map as DOT (see :mod:`~.difference_map`), on ``clock`` (default ``map_clock``)."""
        f = self.figures.assign(key=self.figures.figure.str.split("|", n=2).str[2])
        return difference_dot(f, clock or self.map_clock)

    def difference_map_svg(self, clock: str | None = None) -> str | None:
        """The difference map as SVG (None when the table has no edge)."""
        if not (self.figures.family == "edge").any():
            return None
        try:
            return svg_body(render_svg(self.difference_map_dot(clock)))
        except RenderUnavailable:  # no Graphviz: the section goes without the map (save .dot instead)
            return None

    def _savers(self) -> dict[str, Any]:
        savers = super()._savers()
        savers[".dot"] = lambda p: p.write_text(self.difference_map_dot(), encoding="utf-8")
        savers[".svg"] = lambda p: p.write_text(render_svg(self.difference_map_dot()), encoding="utf-8")
        return savers


def _display(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for r in df.to_dict("records"):
        unit = " h" if r["kind"] == "duration" else ""
        fmt = (lambda x, u=unit: "–" if x is None or x != x else f"{x:,.2f}{u}") if r["kind"] not in ("share", "ratio") else (
            lambda x: "–" if x is None or x != x else f"{x:.1%}")  # fmt: skip
        out.append({**r, "a_text": fmt(r["a"]), "b_text": fmt(r["b"]),
                    "change_text": "–" if r["change_pct"] != r["change_pct"] else f"{r['change_pct']:+.0%}",
                    "p_text": format_p(r["p"]), "q_text": format_p(r["q"]).replace("p", "q", 1)})  # fmt: skip
    return out


def _verdict(t: dict[str, Any], labels: tuple[str, str]) -> str:
    """'L2 wait P85: 18.0 h → 6.1 h (−66%, p < 0.001); target ≤ 1 h still breached'."""
    req = t["required"]
    what = _("max") if req >= 1 else _("median") if req == 0.5 else f"P{req * 100:g}"
    la, lb = t["level_a_h"], t["level_b_h"]
    if la is None or lb is None or la != la or lb != lb:
        side = labels[0] if la is None or la != la else labels[1]
        return _("{name} {statistic}: no observations on the {side} side").format(name=t["name"], statistic=what, side=part_label(side))
    pct = f"{(lb - la) / la:+.0%}".replace("-", "−") if la else _("n/a")
    status = _(_STATUS[(bool(t["meets_a"]), bool(t["meets_b"]))])
    return _("{name} {statistic}: {before} → {after} ({change}, {p}); target ≤ {target} ({required}) {status} "
             "(attained {attained_before} → {attained_after})").format(
        name=t["name"], statistic=what, before=format_hours(la, "0.0"), after=format_hours(lb, "0.0"), change=pct,
        p=format_p(t["p_level"]), target=_hours_g(t["target_h"]), required=f"{req:.0%}", status=status,
        attained_before=f"{t['attained_a']:.0%}", attained_after=f"{t['attained_b']:.0%}")  # fmt: skip


# ------------------------------------------------------------------------------------- build
def comparison_of(data: SideData, a: str, b: str, rule: str, *, alpha: float = ALPHA, notes: list[str] | None = None) -> Comparison:
    """The comparison of parts ``a`` and ``b`` of ``data``."""
    sa, sb = samples(data.hist[data.hist.part == a]), samples(data.hist[data.hist.part == b])
    rows = comparison_rows(sa, sb, data.targets)
    trows, targets = target_rows(sa, sb, data.targets)
    vrows, appeared, vanished = variant_rows(data.variants[data.variants.part == a], data.variants[data.variants.part == b])
    table = with_q([*rows, *trows, *vrows], alpha)
    acts = data.activities
    aa, ab = set(acts.activity[acts.part == a]), set(acts.activity[acts.part == b])
    notes = [*(notes or []), _(ASSUMPTIONS).format(alpha=alpha, dispersion=st.MAX_DISPERSION, min_n=st.MIN_N)]
    if aa != ab:
        notes.append(_("The sides have different activity sets: only {a}: {only_a}; only {b}: {only_b}.").format(
            a=part_label(a), b=part_label(b), only_a=sorted(aa - ab) or _("none"), only_b=sorted(ab - aa) or _("none")))
    waits = tuple(_hours(side, data.tickets.get(name, 0), "wait|calendar|") for side, name in ((sa, a), (sb, b)))
    work = (tuple(_hours(side, data.tickets.get(name, 0), "work||") for side, name in ((sa, a), (sb, b)))
            if "work||" in sa and "work||" in sb else None)  # fmt: skip
    return Comparison(
        waiting_hours_per_ticket=waits, work_hours_per_ticket=work,  # type: ignore[arg-type]
        labels=(a, b), rule=rule, tickets={a: data.tickets.get(a, 0), b: data.tickets.get(b, 0)}, figures=table,
        targets=targets, variants_appeared=appeared, variants_vanished=vanished,
        activities_only_a=sorted(aa - ab), activities_only_b=sorted(ab - aa), alpha=alpha, notes=notes,
    )  # fmt: skip


def _hours(side: dict[str, st.Sample], tickets: int, prefix: str) -> float:
    """The sum of the observations of the figures starting with ``prefix`` / tickets, in hours."""
    total = sum(float((x.values * x.counts).sum()) for fid, x in side.items() if fid.startswith(prefix))
    return total / 3600.0 / tickets if tickets else 0.0


def did_table(data: SideData, alpha: float = ALPHA) -> pd.DataFrame:
    """Per figure: the four cells' statistic, the difference-in-differences, its CI, p and q."""
    cells = {c: samples(data.hist[data.hist.part == c]) for c in ("pilot/before", "pilot/after", "control/before", "control/after")}
    ids = sorted(set().union(*cells.values()))
    rows = []
    empty = st.Sample.of([])
    for fid in ids:
        fig = describe(fid, data.targets)
        if fig.family == "target":
            continue
        s = [cells[c].get(fid, empty) for c in cells]
        vals = [_stat(x, fig.kind) for x in s]
        if fig.kind in ("duration", "ratio"):
            res = st.bootstrap_median_did(*s, seed=0)
            scale = 3600.0 if fig.kind == "duration" else 1.0
        elif fig.kind == "share":
            res, scale = st.proportion_did(*s), 1.0
        else:
            res, scale = _mean_did(*s), 1.0
        est = None if None in vals else (vals[1] - vals[0]) - (vals[3] - vals[2])  # type: ignore[operator]
        rows.append({
            "figure": fid, "family": fig.family, "name": fig.name, "clock": fig.clock, "kind": fig.kind,
            "statistic": fig.statistic, "pilot_before": vals[0], "pilot_after": vals[1], "control_before": vals[2],
            "control_after": vals[3], "did": est,
            "ci_low": None if res.ci_low is None else res.ci_low / scale,
            "ci_high": None if res.ci_high is None else res.ci_high / scale, "test": res.test, "p": res.p,
            "note": res.note,
        })  # fmt: skip
    df = pd.DataFrame(rows)
    q = st.benjamini_hochberg([r["p"] for r in rows])
    df["q"] = pd.Series([float("nan") if v is None else v for v in q], dtype="float64")
    df["significant"] = df.q < alpha
    return df


def _stat(s: st.Sample, kind: str) -> float | None:
    return s.statistic(kind)


def _mean_did(pb: st.Sample, pa: st.Sample, cb: st.Sample, ca: st.Sample) -> st.TestResult:
    if min(s.n for s in (pb, pa, cb, ca)) < st.MIN_N:
        return st.TestResult("none", None, note=f"too few observations in a cell (need {st.MIN_N})")
    means = [s.mean() for s in (pb, pa, cb, ca)]
    var = [float((s.counts * (s.values - m) ** 2).sum() / max(s.n - 1, 1)) / s.n for s, m in zip((pb, pa, cb, ca), means, strict=True)]
    est = (means[1] - means[0]) - (means[3] - means[2])  # type: ignore[operator]
    se = sum(var) ** 0.5
    p = 1.0 if se == 0 else 2 * st.norm_sf(abs(est) / se)
    return st.TestResult("z test of the DiD of means", min(1.0, p), est - st.Z95 * se, est + st.Z95 * se)


def compare(
    before: TicketLog | Baseline,
    after: TicketLog | Config | str | Path | None = None,
    config: Config | str | Path | None = None,
    *,
    split: date | str | None = None,
    group: str | tuple[str, str] | None = None,
    control: str | tuple[str, str] | None = None,
    semantics: Semantics | None = None,
    alpha: float = ALPHA,
    model: Any = None,
) -> Comparison:
    """Compare two logs, a baseline and a log, or two parts of one log (see the module docstring).

    With one log the second argument may be the config (``compare(log, cfg, split=...)``).
    ``split``: a date (tickets by their first event, in ``calendar.timezone``); ``group`` /
    ``control``: ``"column=value"`` (tickets with an event where the column has the value).
    ``model``: the to-be model whose fitness is compared (a BPMN/PNML/YAML file or anything
    ``cspm.conformance`` reads); default ``conformance.model`` of the config, else no fitness rows.
    """
    if isinstance(after, Config | str | Path) and config is None:  # compare(log, cfg, split=...)
        after, config = None, after
    if after is not None and not isinstance(after, TicketLog):
        raise ConfigError(None, [("after", type(after).__name__, _("expected the second log (a TicketLog) or None"))])
    cfg = as_config(config)
    model = model if model is not None else cfg.conformance.model
    if not 0 < alpha < 1:
        raise ConfigError(None, [("alpha", alpha, _("expected a level between 0 and 1, e.g. 0.05"))])
    if after is not None:
        if split is not None or group is not None:
            raise ConfigError(None, [("split/group", split or group, _("give two logs or one log with a split, not both"))])
        b = side_data(after, cfg, "after", semantics=semantics, model=model)
        if isinstance(before, Baseline):
            a = before.data.relabel(BASELINE_PART, "before")
            a.targets = {**a.targets, **b.targets}
            fp = before.fingerprint
            rule = _("baseline of {source} ({tickets} tickets, {first} – {last}) vs the log").format(
                source=fp.get("source", "?"), tickets=fp.get("tickets", "?"), first=fp.get("first_event", "?"), last=fp.get("last_event", "?"))
        else:
            a = side_data(before, cfg, "before", semantics=semantics, model=model)
            rule = _("two logs: before vs after")
        return comparison_of(SideData.concat(a, b), "before", "after", rule, alpha=alpha)
    if isinstance(before, Baseline):
        raise ConfigError(None, [("after", None, _("a baseline is compared with a log: give the log"))])
    log = before
    tz = cfg.calendar.timezone
    dates = groups = None
    if split is not None:
        day = parse_split(split)
        dates = date_parts(log, day, tz)
        date_rule = _("tickets by their first event: before / on or after {day} 00:00 ({timezone})").format(day=day.isoformat(), timezone=tz)
    if group is not None:
        g = parse_group(group, "group", log)
        c = parse_group(control, "control", log) if control is not None else None
        groups = group_parts(log, g, c)
        with_event = N_("tickets with an event where {column} = {value}")
        group_rule = _("pilot: {pilot}; control: {control}").format(
            pilot=_(with_event).format(column=g[0], value=repr(g[1])),
            control=_(with_event).format(column=c[0], value=repr(c[1])) if c else _("all other tickets"))  # fmt: skip
    elif control is not None:
        raise ConfigError(None, [("control", control, _("a control group needs a pilot group (group=...)"))])
    if dates is None and groups is None:
        raise ConfigError(None, [("after", None, _("give a second log, a baseline, a split date or a group"))])
    if dates is not None and groups is not None:
        data = side_data(log, cfg, cross_parts(groups, dates), semantics=semantics, model=model)
        result = comparison_of(data, "pilot/before", "pilot/after", f"{group_rule}; {date_rule}", alpha=alpha)
        result.did = did_table(data, alpha)
        result.tickets = data.tickets
        return result
    if dates is not None:
        return comparison_of(side_data(log, cfg, dates, semantics=semantics, model=model), "before", "after", date_rule, alpha=alpha)
    return comparison_of(side_data(log, cfg, groups, semantics=semantics, model=model), "control", "pilot", group_rule, alpha=alpha)  # type: ignore[arg-type]
