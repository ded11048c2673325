"""Declarative rules per ticket (config section ``rules``), evaluated as Ibis expressions on the engine.

Events of a ticket are ordered by ``(timestamp, source_row)``; "before" means an earlier position.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.config import AtMostRule, PrecedenceRule, Rule, WithinRule
from cspm.core.expr import epoch_seconds
from cspm.core.log import ACTIVITY, CASE, ROW, TIMESTAMP, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result, json_ready
from cspm.i18n import N_
from cspm.units import format_duration

__all__ = ["RuleResults", "RuleSummary", "RulesSummary", "check_rules", "describe_rule", "rule_violations"]

SHOWN_IDS = 20  # violating ticket ids a report section lists per rule


def describe_rule(rule: Rule) -> str:
    """The rule in plain words (its ``name`` when given)."""
    if rule.name:
        return rule.name
    if isinstance(rule, AtMostRule):
        times = {0: "never", 1: "at most once", 2: "at most twice"}.get(rule.times, f"at most {rule.times} times")
        return f"{rule.activity} {times}"
    if isinstance(rule, PrecedenceRule):
        return f"no {rule.then} without an earlier {rule.first}"
    return f"{rule.activity} within {format_duration(rule.within.total_seconds())} of {rule.after}"


def _positioned(events: ir.Table) -> ir.Table:
    w = ibis.window(group_by=events[CASE], order_by=[events[TIMESTAMP], events[ROW]])
    return events.select(CASE, ACTIVITY, TIMESTAMP, _pos=ibis.row_number().over(w))


def rule_violations(events: ir.Table, rule: Rule) -> tuple[ir.Table, ir.Table]:
    """(per-ticket violations: ``case_id``, ``detail``; the tickets the rule applies to: ``case_id``)."""
    e = _positioned(events)
    if isinstance(rule, AtMostRule):
        hits = e.filter(e[ACTIVITY] == rule.activity).group_by(CASE).aggregate(n=lambda t: t.count())
        bad = hits.filter(hits.n > rule.times)
        applies = e.select(CASE).distinct()
        return bad.select(CASE, detail=bad.n.cast("float64")), applies
    if isinstance(rule, PrecedenceRule):
        per_case = e.group_by(CASE).aggregate(
            first_then=e._pos.min(where=e[ACTIVITY] == rule.then),
            first_first=e._pos.min(where=e[ACTIVITY] == rule.first),
        )
        applies = per_case.filter(per_case.first_then.notnull())
        bad = applies.filter(applies.first_first.isnull() | (applies.first_first > applies.first_then))
        return bad.select(CASE, detail=(bad.first_then + 1).cast("float64")), applies.select(CASE)
    assert isinstance(rule, WithinRule)
    anchor = e.filter(e[ACTIVITY] == rule.after).group_by(CASE).aggregate(
        a_pos=lambda t: t._pos.min()
    )
    anchor_t = e.join(anchor, CASE).filter(lambda t: t._pos == t.a_pos).select(CASE, "a_pos", a_time=TIMESTAMP)
    follow = e.join(anchor_t, CASE)
    follow = follow.filter((follow[ACTIVITY] == rule.activity) & (follow._pos > follow.a_pos))
    first_follow = follow.group_by(CASE).aggregate(
        delay=(epoch_seconds(follow[TIMESTAMP]) - epoch_seconds(follow.a_time)).min()
    )
    joined = anchor_t.left_join(first_follow, anchor_t[CASE] == first_follow[CASE]).select(
        anchor_t[CASE], first_follow.delay
    )
    limit = rule.within.total_seconds()
    cond = joined.delay > limit
    if rule.required:
        cond = cond | joined.delay.isnull()
    bad = joined.filter(cond)
    return bad.select(CASE, detail=bad.delay), anchor_t.select(CASE)


RuleKind = Literal["at_most", "before", "within"]


class RuleSummary(Record):
    """One rule: the tickets it applies to, the tickets that violate it (``violations``) and their
    share of the tickets it applies to; the first violating ticket ids."""


    rule: str
    kind: RuleKind
    applies: int
    violations: int
    share: float
    violating_ticket_ids: list[str]


class RulesSummary(Record):
    rules: list[RuleSummary]


@dataclass
class RuleResults(Result):
    """Per rule: tickets it applies to, violations and their share; plus every violating ticket.

    ``per_rule`` (the main table, :meth:`table`): rule, kind, applies (tickets), violations
    (tickets), share (of tickets it applies to). ``violations``: rule, case_id, detail (occurrences
    for at_most, position of the offending step for before, delay in seconds for within; NaN where
    the follow-up step never came).
    """

    per_rule: pd.DataFrame
    violations: pd.DataFrame

    section_id: ClassVar[str] = "rules"
    section_title: ClassVar[str] = N_("Rules")
    section_template: ClassVar[str] = "section_rules.html.j2"

    def table(self) -> pd.DataFrame:
        return self.per_rule

    def violating_ticket_ids(self, rule: str) -> list[str]:
        """The ids of the tickets that violate ``rule`` (its description, as in the table), sorted."""
        return sorted(self.violations.loc[self.violations.rule == rule, CASE].astype(str))

    def violating_tickets(self, rule: str) -> list[str]:
        """Deprecated: use :meth:`violating_ticket_ids` ("tickets" is a number everywhere in cspm)."""
        warnings.warn("RuleResults.violating_tickets() is deprecated; use violating_ticket_ids()",
                      DeprecationWarning, stacklevel=2)  # fmt: skip
        return self.violating_ticket_ids(rule)

    def records(self, max_ids: int | None = 50) -> list[RuleSummary]:
        """One record per rule, with the first ``max_ids`` violating ticket ids (None: all)."""
        return [
            RuleSummary(
                rule=row.rule, kind=row.kind, applies=int(row.applies), violations=int(row.violations),
                share=float(row.share), violating_ticket_ids=self.violating_ticket_ids(row.rule)[:max_ids],
            )
            for row in self.per_rule.itertuples(index=False)
        ]  # fmt: skip

    def _summary(self, max_tickets: int | None = 50) -> RulesSummary:
        return RulesSummary(rules=self.records(max_tickets))

    def summary(self, max_tickets: int | None = 50) -> dict[str, Any]:
        """The figures as JSON-ready data, with the first ``max_tickets`` violating ticket ids per
        rule (None: all)."""
        return json_ready(self._summary(max_tickets))

    def section_context(self) -> dict[str, Any]:
        return {"rules": [r.model_dump() for r in self.records(SHOWN_IDS)]}

    def _savers(self) -> dict[str, Callable[[Path], None]]:
        """``.json`` writes the whole summary (every violating ticket id)."""
        whole = lambda p: p.write_text(json.dumps(self.summary(None), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")  # noqa: E731
        return {**super()._savers(), ".json": whole}


def check_rules(log: TicketLog, rules: Sequence[Rule]) -> RuleResults:
    """Evaluate each rule on the log's engine; small results come back as pandas tables."""
    rows, parts = [], []
    for rule in rules:
        label = describe_rule(rule)
        bad, applies = rule_violations(log.events, rule)
        n_applies = int(applies.count().to_pyarrow().as_py())
        viol = bad.to_pandas()
        viol[CASE] = viol[CASE].astype(str)
        viol.insert(0, "rule", label)
        parts.append(viol.sort_values(CASE).reset_index(drop=True))
        rows.append({
            "rule": label, "kind": rule.rule, "applies": n_applies, "violations": len(viol),
            "share": len(viol) / n_applies if n_applies else 0.0,
        })  # fmt: skip
    table = pd.DataFrame(rows, columns=["rule", "kind", "applies", "violations", "share"])
    violations = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["rule", CASE, "detail"])
    )
    return RuleResults(per_rule=table, violations=violations)
