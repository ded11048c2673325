"""Service-desk KPIs: support levels, first-line resolution, push-to-front, level violations,
reassignments, tickets created without a team, priority changes and reopen after resolve.

``service_desk(log, config)`` (``cspm.service_desk``) returns a :class:`ServiceDeskKPIs`. Definitions
(per ticket, on the engine; events of a ticket in order of time and source row):

* **support level** of an event: its team's level from ``kpis.support_levels`` (team → level,
  1 = first line), else the number captured by ``kpis.support_level_pattern`` in the team name
  ('L2 Billing', 'Network 2nd', 'Tier 3'); teams with neither have no level.
* **resolved**: the ticket has a resolution step (``kpis.resolution``, else found by name as in
  :mod:`cspm.analysis.kpis`); its **resolving level** is the level of its first resolution event.
* **first-line resolution**: resolved tickets every event of which is at level 1 (they never left
  the first line), as a share of the resolved tickets with a known level.
* **push-to-front**: resolved tickets whose resolving level is 1 (resolved at the first level, even
  after a detour), as a share of the resolved tickets with a known resolving level.
* **level violations**: between consecutive events with a known level, a move to a lower level is a
  **level down**, a move up by more than one level a **level skip**; tickets with at least one.
* **reassignments**: changes of team between consecutive events with a team; their distribution
  (tickets per number of reassignments).
* **created without a team**: the ticket's first event has no team (empty or missing).
* **priority changes**: changes of priority between consecutive events with a priority.
* **reopen after resolve**: resolved tickets with a reopen step, or another resolution, after the
  first resolution (share of resolved tickets).

A figure whose data is missing (no team column, no levels, no resolution step, no priority column)
is None, never 0; :attr:`ServiceDeskKPIs.notes` says why and which config key provides it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir
import pandas as pd
from pydantic import Field

from cspm.analysis.attributes import first_attributes, value_changes
from cspm.analysis.intervals import activities
from cspm.analysis.kpis import step_activities
from cspm.config import Config, KpiSettings, as_config
from cspm.core.expr import case_window, small_table, to_frame
from cspm.core.log import ACTIVITY, CASE, TEAM, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.errors import ConfigError
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.render.formats import fmt_pct
from cspm.render.workbook import Sheet

__all__ = ["DEFINITIONS", "ServiceDeskFigures", "ServiceDeskKPIs", "service_desk", "support_levels"]

DEFINITIONS: dict[str, str] = {
    "first_line_resolution": N_("resolved tickets that never left the first support level (level 1), of the resolved "
    "tickets with a known level"),
    "push_to_front": N_("resolved tickets resolved at the first support level (the level of the first resolution "
    "event is 1), of the resolved tickets whose resolving team has a level"),
    "level_down_tickets": N_("tickets moved to a lower support level between two consecutive events"),
    "level_skip_tickets": N_("tickets moved up by more than one support level at once (e.g. 1 → 3)"),
    "reassignments_mean": N_("changes of team between consecutive events, per ticket (mean)"),
    "created_without_team": N_("tickets whose first event has no team"),
    "priority_change_tickets": N_("tickets whose priority changes between consecutive events"),
    "reopen_after_resolve": N_("resolved tickets reopened (a reopen step or another resolution after the first "
    "resolution), of the resolved tickets"),
}


class ServiceDeskFigures(Record):
    """The service-desk KPIs (counts of tickets; shares 0–1; None without the data)."""

    tickets: int
    resolved: int | None = Field(description="tickets with a resolution step")
    first_line_resolution: float | None = Field(description=DEFINITIONS["first_line_resolution"])
    first_line_resolved_tickets: int | None
    push_to_front: float | None = Field(description=DEFINITIONS["push_to_front"])
    push_to_front_tickets: int | None
    level_down_tickets: int | None = Field(description=DEFINITIONS["level_down_tickets"])
    level_skip_tickets: int | None = Field(description=DEFINITIONS["level_skip_tickets"])
    reassignments_mean: float | None = Field(description=DEFINITIONS["reassignments_mean"])
    created_without_team: int | None = Field(description=DEFINITIONS["created_without_team"])
    priority_change_tickets: int | None = Field(description=DEFINITIONS["priority_change_tickets"])
    reopen_after_resolve: float | None = Field(description=DEFINITIONS["reopen_after_resolve"])
    reopen_after_resolve_tickets: int | None


class ServiceDeskSummary(Record):
    figures: ServiceDeskFigures
    levels: dict[str, int] = Field(description="support level of each team that has one")
    reassignments: dict[str, int] = Field(description="tickets per number of reassignments")
    notes: list[str]


def support_levels(teams: list[str], settings: KpiSettings) -> dict[str, int]:
    """Team → support level: ``support_levels`` first, else the pattern's first captured number."""
    try:
        rx = re.compile(settings.support_level_pattern)
    except re.error as exc:
        raise ConfigError(None, [("kpis.support_level_pattern", settings.support_level_pattern,
                                  _("not a regular expression: {exc}").format(exc=exc))]) from None  # fmt: skip
    levels: dict[str, int] = {}
    for team in teams:
        if team in settings.support_levels:
            levels[team] = int(settings.support_levels[team])
            continue
        m = rx.search(team)
        number = next((g for g in m.groups() if g), None) if m else None
        if number is not None:
            levels[team] = int(number)
    return levels


@dataclass
class ServiceDeskKPIs(Result):
    """The service-desk KPIs (definitions in :mod:`cspm.analysis.service_desk`): ``figures``,
    ``levels`` (team → level), ``reassignments`` (tickets per number), ``per_case`` on the engine."""

    figures: ServiceDeskFigures
    levels: dict[str, int]
    reassignments: pd.DataFrame
    per_case: ir.Table = field(repr=False)
    notes: list[str] = field(default_factory=list)

    section_id: ClassVar[str] = "service_desk"
    section_title: ClassVar[str] = N_("Service-desk KPIs")
    section_template: ClassVar[str] = "section_service_desk.html.j2"

    def cases(self, limit: int | None = None) -> pd.DataFrame:
        """Per ticket: resolved, resolving level, levels, reassignments, violations, priority changes."""
        t = self.per_case.order_by(CASE)
        return (t.limit(limit) if limit else t).to_pandas()

    def examples(self, column: str, n: int = 5) -> list[str]:
        """A few ticket ids where ``column`` of :meth:`cases` is true or positive (drill-down)."""
        t = self.per_case
        return [str(v) for v in t.filter(t[column].cast("int64") > 0).order_by(CASE).limit(n).to_pandas()[CASE]]

    def table(self) -> pd.DataFrame:
        """The figures as kpi / value / definition rows."""
        return pd.DataFrame(self._rows(), columns=["kpi", "value", "unit", "definition"]).astype({"value": object})

    def _rows(self) -> list[tuple[str, Any, str, str]]:
        f = self.figures
        rows = [("tickets", f.tickets, "count", "tickets in the log")]
        for key, definition in DEFINITIONS.items():
            value = getattr(f, key)
            if value is None:
                continue
            unit = "count" if isinstance(value, int) else "%" if key in _SHARES else ""
            rows.append((key.replace("_", " "), value, unit, definition))
        return rows

    def workbook_sheets(self) -> list[Sheet]:
        frame = self.table()
        return [Sheet("Service-desk KPIs", frame, row_unit=("value", "unit")),
                Sheet("Reassignments", self.reassignments)]  # fmt: skip

    def _summary(self) -> ServiceDeskSummary:
        dist = {str(int(r.reassignments)): int(r.tickets) for r in self.reassignments.itertuples()}
        return ServiceDeskSummary(figures=self.figures, levels=dict(self.levels), reassignments=dist,
                                  notes=list(self.notes))  # fmt: skip

    def section_context(self) -> dict[str, Any]:
        examples = {"level_down_tickets": "level_downs", "level_skip_tickets": "level_skips",
                    "priority_change_tickets": "priority_changes", "created_without_team": "created_without_team",
                    "reopen_after_resolve": "reopened"}  # fmt: skip
        rows = []
        for label, value, unit, definition in self._rows():
            shown = fmt_pct(value) if unit == "%" else f"{value:,}" if isinstance(value, int) else f"{value:.2f}"
            key = label.replace(" ", "_")
            ids = self.examples(examples[key]) if key in examples and value else []
            rows.append({"kpi": _(label), "value": shown, "definition": _(definition), "examples": ", ".join(ids)})
        return {
            "rows": rows,
            "notes": list(self.notes),
            "levels": sorted(self.levels.items(), key=lambda kv: (kv[1], kv[0])),
            "reassignments": [(int(r.reassignments), f"{int(r.tickets):,}") for r in self.reassignments.itertuples()],
        }


# the KPI names as the report shows them (key with spaces), translated where shown
_LABELS = (N_("tickets"), N_("tickets in the log"), N_("first line resolution"), N_("push to front"),
           N_("level down tickets"), N_("level skip tickets"), N_("reassignments mean"), N_("created without team"),
           N_("priority change tickets"), N_("reopen after resolve"))
_SHARES = {"first_line_resolution", "push_to_front", "reopen_after_resolve"}


def service_desk(log: TicketLog, config: Config | str | Path | None = None) -> ServiceDeskKPIs:
    """The service-desk KPIs of ``log`` (``cspm.service_desk``; definitions in the module docstring)."""
    cfg = as_config(config)
    ks = cfg.kpis
    notes: list[str] = []
    names = activities(log)
    acts = step_activities(names, ks)
    resolution = [a for a in acts["resolution"] if a in names]
    reopen = [a for a in acts["reopen"] if a in names]
    ev = log.events
    cases = ev.select(CASE).distinct()
    tickets = int(cases.count().to_pyarrow().as_py())
    w = case_window()

    levels: dict[str, int] = {}
    per = cases
    if log.has_team:
        teams = sorted(str(t) for t in ev.select(TEAM).distinct().to_pandas()[TEAM].dropna())
        levels = support_levels(teams, ks)
        re_t = value_changes(log, TEAM)
        per = per.left_join(re_t, CASE).select(per, reassignments=re_t.n.fill_null(0))
        first = first_attributes(log, [TEAM])
        no_team = first.select(CASE, created_without_team=first[TEAM].isnull())
        per = per.left_join(no_team, CASE).select(per, no_team.created_without_team)
        if not levels:
            notes.append(_("No support levels: first-line resolution, push-to-front and level violations need "
                           "kpis.support_levels (team → level) or team names with a level ('L2', '… 2nd')."))  # fmt: skip
    else:
        notes.append(_("No team column: reassignments, tickets created without a team and support levels need one "
                       "(--team or columns.team)."))  # fmt: skip
    if levels:
        lv = small_table(ev, pd.DataFrame({"_team": list(levels), "_level": list(levels.values())}))
        e = ev.left_join(lv, ev[TEAM] == lv._team).select(ev, lv._level)
        known = e.filter(e._level.notnull())
        known = known.mutate(_prev=known._level.lag().over(case_window()))
        lvl = known.group_by(CASE).aggregate(
            max_level=known._level.max(),
            level_downs=(known._prev.notnull() & (known._level < known._prev)).cast("int64").sum(),
            level_skips=(known._prev.notnull() & (known._level > known._prev + 1)).cast("int64").sum(),
        )
        per = per.left_join(lvl, CASE).select(per, lvl.max_level, lvl.level_downs, lvl.level_skips)
    if "priority" in ev.columns:
        pc = value_changes(log, "priority")
        per = per.left_join(pc, CASE).select(per, priority_changes=pc.n.fill_null(0))
    else:
        notes.append(_("No priority column: priority changes need one (columns.priority)."))
    if resolution:
        e = ev.mutate(_res=ev[ACTIVITY].isin(resolution), _reo=ev[ACTIVITY].isin(reopen) if reopen else ibis.literal(False))
        e = e.mutate(_i=ibis.row_number().over(w))
        fr = e.filter(e._res).group_by(CASE).aggregate(_first_res=e._i.min(), _n_res=e._res.cast("int64").sum())
        e2 = e.join(fr, CASE)
        after = e2.filter((e2._i > e2._first_res) & (e2._reo | e2._res)).group_by(CASE).aggregate(
            reopened=e2._i.count() > 0)  # fmt: skip
        res = fr.select(CASE, resolved=ibis.literal(True), _first_res=fr._first_res)
        if levels:
            lv = small_table(ev, pd.DataFrame({"_team": list(levels), "_level": list(levels.values())}))
            rl = e.join(res, [CASE, e._i == res._first_res]).left_join(lv, e[TEAM] == lv._team)
            rl = rl.select(CASE, resolving_level=rl._level)
            res = res.left_join(rl, CASE).select(res, rl.resolving_level)
        res = res.drop("_first_res")
        res = res.left_join(after, CASE).select(res, reopened=after.reopened.fill_null(False))
        per = per.left_join(res, CASE).select(per, *[res[c].name(c) for c in res.columns if c != CASE])
        per = per.mutate(resolved=per.resolved.fill_null(False), reopened=per.reopened.fill_null(False))
    else:
        notes.append(_("No resolution step: first-line resolution, push-to-front and reopen after resolve need "
                       "kpis.resolution (e.g. ['Resolve ticket'])."))  # fmt: skip

    # materialised (one row per ticket): the figures, the reassignment distribution and the report's
    # example tickets read it three times, which would otherwise repeat every window pass above
    per = per.cache()
    cols = per.columns
    aggs: dict[str, Any] = {}
    if "reassignments" in cols:
        aggs |= {"reassign_mean": per.reassignments.mean(), "no_team": per.created_without_team.cast("int64").sum()}
    if "max_level" in cols:
        aggs |= {"downs": (per.level_downs > 0).cast("int64").sum(), "skips": (per.level_skips > 0).cast("int64").sum()}
    if "priority_changes" in cols:
        aggs["prio"] = (per.priority_changes > 0).cast("int64").sum()
    if "resolved" in cols:
        r = per.resolved
        aggs |= {"resolved": r.cast("int64").sum(), "reopened": (r & per.reopened).cast("int64").sum()}
        if "max_level" in cols:
            aggs |= {
                "flr_base": (r & per.max_level.notnull()).cast("int64").sum(),
                "flr": (r & (per.max_level == 1)).cast("int64").sum(),
                "ptf_base": (r & per.resolving_level.notnull()).cast("int64").sum(),
                "ptf": (r & (per.resolving_level == 1)).cast("int64").sum(),
            }
    row = per.aggregate(**aggs).to_pandas().iloc[0].to_dict() if aggs else {}

    def count(key: str) -> int | None:
        return int(row[key]) if key in row and pd.notna(row[key]) else None

    def share(num: str, den: str) -> float | None:
        n, d = count(num), count(den)
        return n / d if n is not None and d else None

    figures = ServiceDeskFigures(
        tickets=tickets,
        resolved=count("resolved"),
        first_line_resolution=share("flr", "flr_base"),
        first_line_resolved_tickets=count("flr"),
        push_to_front=share("ptf", "ptf_base"),
        push_to_front_tickets=count("ptf"),
        level_down_tickets=count("downs"),
        level_skip_tickets=count("skips"),
        reassignments_mean=float(row["reassign_mean"]) if pd.notna(row.get("reassign_mean")) else None,
        created_without_team=count("no_team"),
        priority_change_tickets=count("prio"),
        reopen_after_resolve=share("reopened", "resolved"),
        reopen_after_resolve_tickets=count("reopened"),
    )
    if "reassignments" in cols:
        dist = to_frame(per.group_by("reassignments").aggregate(tickets=per.count()), ["reassignments"])
        dist = dist.astype({"reassignments": "int64", "tickets": "int64"})
    else:
        dist = pd.DataFrame({"reassignments": pd.Series(dtype="int64"), "tickets": pd.Series(dtype="int64")})
    return ServiceDeskKPIs(figures=figures, levels=levels, reassignments=dist, per_case=per, notes=notes)
