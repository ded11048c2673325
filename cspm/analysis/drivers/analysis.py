"""Root causes: which tickets have an outcome (wait, breach, bounce, come back) and which of their
attributes go with it — ``cspm.drivers(log, config, outcome=...)``.

One call builds the per-ticket feature table (:mod:`.features`, once per log), the outcome per ticket
(:mod:`.outcomes`), ranks every driver value (:mod:`.ranking`: rates, lift, tests, BH q-values,
hours and cost at stake), grows a shallow decision tree over the strongest drivers (:mod:`.tree`)
and writes the findings in plain language, with their caveats: an association is not proof of
cause, and two drivers whose tickets overlap strongly cannot be told apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import ibis.expr.types as ir
import pandas as pd
from pydantic import Field

from cspm.analysis.drivers.features import (
    ATTRIBUTE_KINDS,
    Features,
    FeatureSettings,
    feature_table,
    frequent_steps,
    long_features,
    shown_driver,
    shown_value,
)
from cspm.analysis.drivers.outcomes import Outcome, OutcomeError, outcome
from cspm.analysis.drivers.ranking import rank_values
from cspm.analysis.drivers.tree import TreeRules, combinations, grow_tree
from cspm.analysis.intervals import Semantics, check_clock
from cspm.config import Clock, Config, as_config
from cspm.core.expr import example_cases_by, small_table
from cspm.core.log import CASE, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.render.charts import bar_chart_svg

__all__ = ["DriverAnalysis", "DriverRow", "DriversSummary", "Scope", "drivers"]

Scope = Literal["attributes", "all"]

OVERLAP = 0.8  # share of the smaller group's tickets in both: the two drivers are confounded
TOP = 10  # rows of the section table and the chart


class DriverRow(Record):
    """One driver value of the ranked table (definitions in :mod:`cspm.analysis.drivers.ranking`)."""

    driver: str
    value: str
    tickets: int
    outcomes: int
    rate: float
    rate_rest: float | None
    lift: float | None
    test: str
    p_rate: float
    q: float | None
    median_h: float | None
    median_rest_h: float | None
    median_diff_h: float | None
    median_diff_lo_h: float | None
    median_diff_hi_h: float | None
    p_hours: float | None
    q_hours: float | None
    excess_tickets: float
    excess_h: float | None
    excess_cost: float | None
    significant: bool
    evidence: str = Field(description="'rate', 'hours', 'rate and hours' or '' (not significant)")
    examples: list[str] = Field(default_factory=list, description="up to 3 tickets with this value and the outcome, "
                                "the largest outcome value first (ties by id)")


class RuleRecord(Record):
    text: str
    conditions: list[list[str]]
    tickets: int
    outcomes: int
    rate: float


class DriversSummary(Record):
    """Everything of the "Root causes" section."""

    source: str
    outcome: str
    label: str
    measure: str
    population: str
    tickets: int = Field(description="tickets in the population")
    outcomes: int = Field(description="tickets with the outcome")
    rate: float | None = Field(description="outcomes / tickets")
    alpha: float
    tested: int = Field(description="driver values tested")
    significant: int = Field(description="values with q < alpha and more outcomes than the rest's rate predicts")
    findings: list[str]
    caveats: list[str]
    top: list[DriverRow]
    rules: list[RuleRecord]
    tree_cv_accuracy: float | None
    tree_baseline_accuracy: float | None
    currency: str
    hour_cost: float | None = Field(description="costs.waiting_hour_cost the excess hours are priced at (None: not priced)")
    scope: str = Field(description="candidate drivers: 'attributes' (known early in a ticket's life), 'all' or "
                                   "'candidates' (the drivers named)")


@dataclass(eq=False)
class DriverAnalysis(Result):
    """The ranked drivers of one outcome, the tree's rules and the findings (section "Root causes")."""

    outcome: Outcome
    ranked: pd.DataFrame
    totals: dict[str, Any]
    tree: TreeRules | None
    findings: list[str]
    caveats: list[str]
    alpha: float
    currency: str
    source: str = "<memory>"
    hour_cost: float = 0.0
    scope: str = "attributes"

    section_id: ClassVar[str] = "drivers"
    section_title: ClassVar[str] = N_("Root causes")
    section_template: ClassVar[str] = "section_drivers.html.j2"

    def table(self) -> pd.DataFrame:
        return self.ranked

    def top(self, n: int = TOP) -> pd.DataFrame:
        """The ``n`` strongest drivers (significant values first)."""
        return self.ranked.head(n)

    def chart_svg(self) -> str:
        """Bar chart of the significant drivers by excess outcome tickets."""
        t = self.ranked[self.ranked["significant"]].head(TOP)
        return bar_chart_svg([f"{shown_driver(d)} = {shown_value(v)}" for d, v in zip(t["driver"], t["value"], strict=True)],
                             t["excess_tickets"].clip(lower=0).tolist(), _("excess tickets with the outcome"))  # fmt: skip

    def _summary(self) -> DriversSummary:
        tree = self.tree
        return DriversSummary(
            source=self.source, outcome=self.outcome.spec, label=self.outcome.label,
            measure=self.outcome.measure, population=self.outcome.population,
            tickets=self.totals["tickets"], outcomes=self.totals["outcomes"], rate=self.totals["rate"],
            alpha=self.alpha, tested=len(self.ranked), significant=int(self.ranked["significant"].sum()),
            findings=self.findings, caveats=self.caveats,
            top=DriverRow.from_frame(self.top()),
            rules=[RuleRecord(text=r.text(tree.overall_rate), conditions=[list(c) for c in r.conditions],
                              tickets=r.tickets, outcomes=r.outcomes, rate=r.rate) for r in tree.rules]
            if tree else [],
            tree_cv_accuracy=tree.cv_accuracy if tree else None,
            tree_baseline_accuracy=tree.baseline_accuracy if tree else None,
            currency=self.currency, hour_cost=self.hour_cost or None, scope=self.scope,
        )  # fmt: skip

    def section_context(self) -> dict[str, Any]:
        s = self.summary()
        rows = [{
            _("driver"): shown_driver(r["driver"]), _("value"): shown_value(r["value"]), _("tickets"): f"{r['tickets']:,}",
            _("rate"): f"{r['rate']:.1%}", _("rest"): _pct(r["rate_rest"]), _("lift"): _x(r["lift"]),
            _("q"): _q(r["q"]), _("median diff (95% CI)"): _ci(r), _("excess hours"): _n(r["excess_h"]),
            _("example tickets"): ", ".join(r["examples"]),
        } for r in s["top"]]  # fmt: skip
        return {"summary": s, "rows": rows, "chart": self.chart_svg() if s["significant"] else ""}

    def __repr__(self) -> str:
        return f"DriverAnalysis({self.outcome.label!r}):\n" + "\n".join(f"  • {f}" for f in self.findings)


def drivers(
    log: TicketLog,
    config: Config | str | Path | None = None,
    *,
    outcome: str,
    candidates: list[str] | None = None,
    scope: Scope = "attributes",
    model: Any = None,
    clock: Clock | None = None,
    semantics: Semantics | None = None,
    alpha: float = 0.05,
    min_support: int = 20,
    max_values: int = 30,
    bins: int = 4,
    tree_depth: int = 3,
    min_leaf: int | None = None,
    bootstrap: int = 2000,
    seed: int = 0,
) -> DriverAnalysis:
    """The drivers of ``outcome`` (see :mod:`cspm.analysis.drivers.outcomes` for the forms).

    ``model``: the to-be model of the ``nonconformance`` outcome (a path, as for :func:`cspm.conformance`).
    ``candidates``: the drivers to test (names of the feature table, or a source column for all of
    its drivers, e.g. ``["channel", "team"]``; they may name any driver). Without candidates,
    ``scope="attributes"`` (default) tests what is known early in a ticket's life (case attributes,
    first values, arrival time, the team it was first handed to); ``scope="all"`` adds the most
    frequent values, variant, number of handoffs and steps occurred, which are often consequences of
    the outcome rather than its drivers. Excess hours are elapsed time (waits, lead time), not
    paid work: they are priced at ``costs.waiting_hour_cost`` when set, else shown without money.
    ``min_support``: fewest tickets a value needs (rarer ones are grouped as ``(other)``);
    ``max_values`` most values per driver; ``bins`` quantile bins of numeric attributes; ``alpha``
    the q-value below which a driver counts as significant; ``tree_depth`` / ``min_leaf`` (default
    ``max(min_support, 1% of the tickets)``) shape the decision tree; ``bootstrap`` resamples of the
    median-difference CI, ``seed`` its random seed.
    """
    cfg = as_config(config)
    check_clock(clock)
    if scope not in ("attributes", "all"):
        raise OutcomeError(outcome, _("unknown scope {scope}; expected 'attributes' or 'all'").format(scope=repr(scope)))
    tz = cfg.calendar.timezone if cfg.calendar.timezone != "UTC" else log.timezone
    steps, step_note = _steps(log, candidates, scope)
    feats = feature_table(log, FeatureSettings(min_support=min_support, max_values=max_values, bins=bins, timezone=tz,
                                               steps=steps))  # fmt: skip
    out = _outcome(log, cfg, outcome, clock, semantics, model, feats.table)
    usable = _usable(feats, out)
    if candidates is None and scope == "attributes":
        usable = tuple(d for d in usable if feats.kinds.get(d) in ATTRIBUTE_KINDS)
    if candidates is not None:
        usable = tuple(d for d in usable if any(d == c or d.startswith(f"{c} (") for c in candidates))
        if not usable:
            raise OutcomeError(outcome, _("none of the candidate drivers {candidates} exists; drivers: {names}").format(candidates=candidates, names=', '.join(feats.drivers)))
    long = long_features(Features(feats.table, usable, feats.kinds))
    ranked, totals = rank_values(long, out.table, alpha=alpha, hour_cost=cfg.costs.waiting_hour_cost, by_hours=out.by_hours,
                                 bootstrap=bootstrap, seed=seed)  # fmt: skip
    ranked = _with_examples(ranked, long, out.table)
    strongest = list(dict.fromkeys(ranked.loc[ranked["significant"], "driver"]))[:6]
    tree, combos = None, None
    if strongest:
        combos = combinations(feats.table, out.table, strongest)
        leaf = min_leaf if min_leaf is not None else max(min_support, totals["tickets"] // 100)
        tree = grow_tree(combos, strongest, max_depth=tree_depth, min_leaf=leaf, seed=seed)
    hour_cost = cfg.costs.waiting_hour_cost
    findings, caveats = _findings(out, ranked, totals, tree, combos, cfg.costs.currency, hour_cost, alpha)
    if step_note:
        caveats.append(step_note)
    return DriverAnalysis(out, ranked, totals, tree, findings, caveats, alpha, cfg.costs.currency, log.source,
                          hour_cost, "candidates" if candidates is not None else scope)  # fmt: skip


def _steps(log: TicketLog, candidates: list[str] | None, scope: str) -> tuple[tuple[str, ...], str | None]:
    """The steps that get a ``has <step>`` driver: those named among ``candidates``; with
    ``scope="all"`` the most frequent (at most MAX_MAP_STEPS, as on the maps), with a note when the
    log has more; none otherwise (the default scope does not test them)."""
    if candidates is not None:
        return tuple(c[4:] for c in candidates if c.startswith("has ")), None
    if scope != "all":
        return (), None
    steps, total = frequent_steps(log)
    if total <= len(steps):
        return steps, None
    return steps, _("The log has {n} steps: 'has <step>' is tested for the {k} most frequent only; name others "
                    "with candidates= (--driver 'has STEP').").format(n=f"{total:,}", k=len(steps))  # fmt: skip


def _with_examples(ranked: pd.DataFrame, long: ir.Table, outcome_table: ir.Table, n: int = 3) -> pd.DataFrame:
    """``ranked`` with ``examples`` for its top rows: tickets with the driver value and the outcome
    (on the engine, one query for all rows; the largest outcome value first, ties by id)."""
    top = ranked.iloc[:TOP]
    if top.empty:
        return ranked.assign(examples=[[] for _ in range(len(ranked))])
    pairs = small_table(long, pd.DataFrame({"_pd": top["driver"].astype(str), "_pv": [str(v) for v in top["value"]]}))
    hit = outcome_table.filter(outcome_table.y)
    f = long.mutate(_v=long.value.cast("string"))
    f = f.join(pairs, [f.driver == pairs._pd, f._v == pairs._pv]).select(CASE, "driver", "_v")
    j = f.join(hit, CASE)
    found = example_cases_by(j, ["driver", "_v"], j.value_h.fill_null(0), n)
    examples = [found.get((str(d), str(v)), []) if i < TOP else []
                for i, (d, v) in enumerate(zip(ranked["driver"], ranked["value"], strict=True))]  # fmt: skip
    return ranked.assign(examples=examples)


def _outcome(
    log: TicketLog, cfg: Config, spec: str, clock: Clock | None, semantics: Semantics | None, model: Any,
    tickets: Any,
) -> Outcome:  # fmt: skip
    return outcome(log, cfg, spec, clock=clock, semantics=semantics, model=model, tickets=tickets)


_CONSEQUENCES = {"ping_pong": ("handoffs",), "not_fcr": ("handoffs",), "nonconformance": ("variant",)}


def _usable(feats: Features, out: Outcome) -> tuple[str, ...]:
    """The drivers that are not part of the outcome's own definition (the waited-for step, the
    handoffs of a ping-pong)."""
    skip = set(_CONSEQUENCES.get(out.spec, ()))
    if out.spec.startswith(("breach:", "wait:")):
        step = out.spec.split(":", 1)[1].split(">")[0].strip()
        skip.add(f"has {step}")
    return tuple(d for d in feats.drivers if d not in skip)


def _findings(
    out: Outcome, ranked: pd.DataFrame, totals: dict[str, Any], tree: TreeRules | None,
    combos: pd.DataFrame | None, currency: str, hour_cost: float, alpha: float,
) -> tuple[list[str], list[str]]:  # fmt: skip
    n, k = totals["tickets"], totals["outcomes"]
    lines = [_("{outcome}: {k} of {n} tickets ({share}); population: {population}.").format(
        outcome=out.label, k=f"{k:,}", n=f"{n:,}", population=out.population, share=f"{(k / n if n else 0):.1%}")]
    sig = ranked[ranked["significant"]]
    if n and k in (0, n):
        lines.append(_("Every ticket has the same outcome here, so no driver can tell them apart; "
                       "choose a threshold inside the range (e.g. a percentile, lead_time>p90)."))
    elif sig.empty:
        lines.append((_("No driver value goes with it beyond chance (none with q < {alpha} and a higher "
                        "rate or more hours).") if out.by_hours else
                      _("No driver value goes with it beyond chance (none with q < {alpha} and a higher rate).")
                      ).format(alpha=f"{alpha:g}"))  # fmt: skip
    hours_shown = False
    for r in sig.head(3).itertuples(index=False):
        cost = (_(", ≈ {currency} {cost} at costs.waiting_hour_cost").format(currency=currency, cost=f"{r.excess_cost:,.0f}")
                if hour_cost > 0 and pd.notna(r.excess_cost) else "")  # fmt: skip
        measure = out.measure.split(" (")[0]
        hours = _("; they carry {hours} h more {measure} than the rest's mean (elapsed hours{cost})").format(
            hours=f"{r.excess_h:,.0f}", measure=measure, cost=cost) if r.excess_h > 0 else ""
        hours_shown = hours_shown or r.excess_h > 0
        more = _(", {n} more than the rest's rate predicts").format(n=f"{r.excess_tickets:,.0f}") if r.excess_tickets > 0 else ""
        lines.append(_("{driver} = {value}: {rate} of its tickets vs {rest} of the rest ({lift}, {tickets} tickets{more}, "
                       "q {q}; hours q {q_hours}){hours}.").format(
            driver=shown_driver(r.driver), value=shown_value(r.value), rate=f"{r.rate:.0%}", rest=f"{r.rate_rest:.0%}",
            lift=_x(r.lift), tickets=f"{r.tickets:,}", more=more, q=_q(r.q), q_hours=_q(r.q_hours), hours=hours))  # fmt: skip
    if tree is not None and tree.rules:
        acc = (_("cross-validated accuracy {accuracy} vs {baseline} always guessing the majority").format(
            accuracy=f"{tree.cv_accuracy:.0%}", baseline=f"{tree.baseline_accuracy:.0%}")
            if tree.cv_accuracy is not None else _("too few tickets to cross-validate"))  # fmt: skip
        lines.append(_("Strongest combination: {rule} (decision tree, {accuracy}).").format(
            rule=tree.rules[0].text(tree.overall_rate), accuracy=acc))
    caveats = [_("These are associations, not proof of cause: check a driver with the people who run the process "
                 "before acting on it.")]
    if hours_shown:
        caveats.append(_("Excess hours are elapsed time (waiting, lead time), not paid work; they are priced at "
                         "costs.waiting_hour_cost ({currency} {cost} per hour a ticket waits).").format(
            currency=currency, cost=f"{hour_cost:g}") if hour_cost > 0 else
            _("Excess hours are elapsed time (waiting, lead time), not paid work, so they are not priced at "
              "costs.hourly_rate; set costs.waiting_hour_cost to price an hour a ticket waits."))  # fmt: skip
    caveats += _confounded(sig, combos)
    if len(sig) and (sig["tickets"] < 50).any():
        caveats.append(_("Some significant values have fewer than 50 tickets; their rates are uncertain."))
    return lines, caveats


def _confounded(sig: pd.DataFrame, combos: pd.DataFrame | None) -> list[str]:
    """Pairs of significant values of different drivers whose tickets overlap strongly."""
    if combos is None or sig.empty:
        return []
    out = []
    top = [(d, v) for d, v in zip(sig["driver"], sig["value"], strict=True) if d in combos.columns][:6]
    for i, (da, va) in enumerate(top):
        for db, vb in top[i + 1:]:
            if da == db:
                continue
            a, b = combos[da] == va, combos[db] == vb
            both, na, nb = combos.loc[a & b, "n"].sum(), combos.loc[a, "n"].sum(), combos.loc[b, "n"].sum()
            share = both / min(na, nb) if min(na, nb) else 0.0
            if share >= OVERLAP:
                out.append(_("{a} and {b} overlap strongly ({share} of the smaller group has both): their effects "
                             "cannot be told apart (confounding).").format(
                    a=f"{shown_driver(da)} = {shown_value(va)}", b=f"{shown_driver(db)} = {shown_value(vb)}",
                    share=f"{share:.0%}"))  # fmt: skip
    return out


def _pct(x: Any) -> str:
    return "–" if x is None else f"{x:.1%}"


def _x(x: Any) -> str:
    return "–" if x is None or pd.isna(x) else f"{x:.2f}×"


def _q(x: Any) -> str:
    if x is None or pd.isna(x):
        return "–"
    return "< 0.001" if x < 0.001 else f"{x:.3f}"


def _n(x: Any) -> str:
    return "–" if x is None or pd.isna(x) else f"{x:,.0f}"


def _ci(r: dict[str, Any]) -> str:
    if r["median_diff_h"] is None:
        return "–"
    lo, hi = r["median_diff_lo_h"], r["median_diff_hi_h"]
    ci = f" ({lo:+.1f} … {hi:+.1f})" if lo is not None and hi is not None else ""
    return _("{diff} h{interval}").format(diff=f"{r['median_diff_h']:+.1f}", interval=ci)
