"""Deterministic simulator of a help-desk ticket process with a known ground truth.

The process: ``Ticket created`` (Service Desk) → ``First response`` (skipped in a small share) →
optional ``Pending customer`` → ``Customer replied`` → either resolved at first line (first-contact
resolution) or ``Escalate to L2`` → ``Assign L2`` (by the L2 team; the wait before it is the
configured lognormal bottleneck, in business time) → ``Investigate``, with injected transfers
between the L2 teams (one transfer without return, direct ping-pong A→B→A, indirect A→B→C→A;
each ``Transfer`` is recorded by the receiving team and followed by its ``Investigate``) and an
injected immediate repeat of the first ``Investigate`` (self-loop) → for refund and some
complaint tickets ``Request approval`` → ``Approve`` / ``Reject`` → ``Resubmit request`` → …,
plus ``Manager approval`` for large amounts → ``Resolve ticket`` → ``Customer confirmation`` →
``Close ticket`` → optionally ``Reopen ticket`` and ``Investigate`` / ``Resolve ticket`` /
``Customer confirmation`` / ``Close ticket`` again, all by the team that resolved.
Every event carries the owning team and an agent of that team (customer events are recorded by
the owning team's agent), so the team changes only at ``Assign L2`` and ``Transfer``: ping-pong,
rework and self-loops occur exactly where injected. Agent events wait and work in business
seconds along the calendar; the customer events (``Ticket created``, ``Customer replied``,
``Customer confirmation``, ``Reopen ticket``) happen in calendar time.

Outputs (``write_simulated_log``, streamed chunk by chunk): CSV (English: UTF-8, ISO 8601 with the
calendar's offset; Chinese: GB18030, ``2024/03/05 14:03:00`` local time), Parquet (UTC timestamps),
XES / XES.gz. With ``lifecycle="start_complete"`` tables get a start column and XES a ``start``
and a ``complete`` event per activity; customer events are instantaneous (start = complete).

Ground-truth layout, next to the log ``<log>`` (the full file name, suffix included):

* ``<log>.truth.json``: the global section (generator, seed, settings, calendar, counts, the
  bottleneck with its distribution, true median and realised medians, name tables).
* ``<log>.truth.jsonl``: one JSON object per case, in log order, with ``ticket_id``, ``ping_pong``,
  ``ping_pong_kind`` (``direct`` / ``indirect`` / null), ``ping_pong_teams`` (list of ``[A, B]``:
  A is the team the ticket came back to, B the team it was handed to when it left A),
  ``teams`` (collapsed team sequence), ``approval_rounds`` (number of ``Request approval``),
  ``rework_repetitions`` (events whose activity occurred earlier in the case but not immediately
  before), ``self_loops`` (events equal to the immediately preceding activity), ``reopened``,
  ``first_contact_resolution`` (never escalated or transferred), ``skipped_first_response``,
  ``escalated``, ``transferred``, ``n_events``, ``category``.

Team and activity names in the truth are those of the log's language.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from cspm.config import Calendar
from cspm.simulate import process as eng
from cspm.simulate.changes import ProcessChange, change_truth, engine_with_changes
from cspm.simulate.clock import BusinessClock
from cspm.simulate.drivers import DriverInjection, InjectedDriver, InjectedPingPong, ping_pong_truth
from cspm.simulate.xes_writer import XesWriter

__all__ = [
    "ACTIVITIES",
    "CUSTOMER_ACTIVITIES",
    "GroundTruth",
    "SimulatedFiles",
    "SimulationSettings",
    "columns_for",
    "load_ground_truth",
    "simulate",
    "write_simulated_log",
]

_BLOCK = 5000  # cases per chunk; fixed, so that the random draws do not depend on the output

COLUMNS_EN = (
    "ticket_id", "activity", "timestamp", "agent", "team", "channel", "priority", "category",
    "customer_id", "amount", "start_timestamp",
)  # fmt: skip
COLUMNS_ZH = (
    "工单编号", "处理环节", "操作时间", "处理人", "处理组", "渠道", "优先级", "类别", "客户编号",
    "金额", "开始时间",
)  # fmt: skip
ACTIVITIES: dict[str, str] = dict(zip(eng.ACTIVITIES_EN, eng.ACTIVITIES_ZH, strict=True))
"""English activity name → Chinese activity name."""
CUSTOMER_ACTIVITIES = tuple(eng.ACTIVITIES_EN[c] for c in sorted(eng.CUSTOMER_CODES))
"""Activities that happen in calendar time (the customer's); all others are agent work."""


def columns_for(language: str, lifecycle: str = "complete") -> list[str]:
    """Column names of the simulated table for a language and lifecycle."""
    cols = COLUMNS_ZH if language == "zh" else COLUMNS_EN
    return list(cols if lifecycle == "start_complete" else cols[:-1])


def _parse_working_hours(value: Any) -> Any:
    """'mon-fri 08:00-18:00; sat 09:00-13:00' → {'mon-fri': '08:00-18:00', 'sat': ...}."""
    if not isinstance(value, str):
        return value
    result: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in value.split(";"))):
        m = re.fullmatch(r"([A-Za-z\-]+)\s*[ =:]\s*(.+)", part)
        if not m:
            raise ValueError(f"not working hours: {part!r}; write e.g. 'mon-fri 08:00-18:00'")
        spans = [s.strip() for s in m.group(2).split(",")]
        result[m.group(1)] = spans if len(spans) > 1 else spans[0]
    return result


def _parse_dates(value: Any) -> Any:
    if isinstance(value, str):
        return [d.strip() for d in value.split(",") if d.strip()]
    return value


class SimulationSettings(BaseModel):
    """What to simulate. Give ``n_tickets`` or ``n_events`` (approximate); default 2,000 tickets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_tickets: int | None = Field(default=None, ge=1)
    n_events: int | None = Field(default=None, ge=1, description="generate cases until reached")
    seed: int = Field(default=7, ge=0)
    start: date = date(2024, 3, 4)
    language: Literal["en", "zh"] = "en"
    lifecycle: Literal["complete", "start_complete"] = "complete"
    tickets_per_day: float = Field(
        default=120.0, gt=0, description="mean arrivals per calendar day"
    )
    n_customers: int | None = Field(default=None, ge=1)
    # business calendar (simple CLI-friendly fields; ``calendar`` overrides them when given)
    timezone: str | None = Field(
        default=None, description="default Europe/Berlin (en), Asia/Shanghai (zh)"
    )
    working_hours: Annotated[dict[str, Any], BeforeValidator(_parse_working_hours)] = Field(
        default_factory=lambda: {"mon-fri": "08:00-18:00"}
    )
    holidays: Annotated[list[date], BeforeValidator(_parse_dates)] = Field(default_factory=list)
    country: str | None = Field(default=None, description="public holidays, e.g. 'DE', 'CN'")
    calendar: Calendar | None = None
    # the bottleneck: waits between `Escalate to L2` and `Assign L2`, business hours
    bottleneck_median_hours: float = Field(default=6.0, gt=0)
    bottleneck_sigma: float = Field(default=0.8, ge=0)
    # injected deviations (shares)
    skip_first_response: float = Field(default=0.04, ge=0, le=1)
    pending_customer: float = Field(default=0.2, ge=0, le=1)
    escalation_scale: float = Field(
        default=1.0, ge=0, description="factor on P(escalate) per category"
    )
    single_transfer: float = Field(default=0.10, ge=0, le=1, description="of escalated tickets")
    direct_ping_pong: float = Field(default=0.08, ge=0, le=1, description="of escalated tickets")
    indirect_ping_pong: float = Field(default=0.04, ge=0, le=1, description="of escalated tickets")
    self_loop: float = Field(default=0.05, ge=0, le=1, description="of escalated tickets")
    approval_reject: float = Field(default=0.25, ge=0, lt=1)
    max_approval_rounds: int = Field(default=4, ge=1)
    manager_approval_amount: float = Field(default=500.0, ge=0)
    amount_median: float = Field(default=120.0, gt=0)
    reopen: float = Field(default=0.06, ge=0, le=1)
    drivers: tuple[InjectedDriver | InjectedPingPong, ...] = Field(
        default=(), description="known drivers to inject (cspm.simulate.drivers): longer waits or a "
        "team that bounces tickets; in the truth"
    )
    changes: list[ProcessChange] = Field(
        default_factory=list, description="injected changes (cspm.simulate.changes)"
    )

    @model_validator(mode="after")
    def _check(self) -> SimulationSettings:
        if self.n_tickets is not None and self.n_events is not None:
            raise ValueError("give n_tickets or n_events, not both")
        if self.single_transfer + self.direct_ping_pong + self.indirect_ping_pong > 1:
            raise ValueError("single_transfer + direct_ping_pong + indirect_ping_pong exceed 1")
        for d in self.drivers:
            if isinstance(d, InjectedPingPong) and d.rate + self.single_transfer > 1:
                raise ValueError(f"ping-pong driver of {d.team}: rate + single_transfer exceed 1")
        if len({d.team for d in self.drivers if isinstance(d, InjectedPingPong)}) < len(
            [d for d in self.drivers if isinstance(d, InjectedPingPong)]
        ):
            raise ValueError("one ping-pong driver per team")
        self.resolved_calendar()  # validates the calendar fields
        return self

    def resolved_calendar(self) -> Calendar:
        """The business calendar the agents work by."""
        if self.calendar is not None:
            return self.calendar
        tz = self.timezone or ("Asia/Shanghai" if self.language == "zh" else "Europe/Berlin")
        return Calendar(
            timezone=tz, working_hours=self.working_hours, holidays=self.holidays,
            country=self.country,
        )  # fmt: skip

    def _params(self) -> eng.Params:
        n_cust = self.n_customers
        if n_cust is None:
            cases = self.n_tickets or (self.n_events or 0) // 7 or 2000
            n_cust = max(50, int(cases * 0.7))
        return eng.Params(
            seed=self.seed, start=self.start, tickets_per_day=self.tickets_per_day,
            n_customers=n_cust, bottleneck_median_hours=self.bottleneck_median_hours,
            bottleneck_sigma=self.bottleneck_sigma, skip_first_response=self.skip_first_response,
            pending_customer=self.pending_customer, single_transfer=self.single_transfer,
            direct_ping_pong=self.direct_ping_pong, indirect_ping_pong=self.indirect_ping_pong,
            self_loop=self.self_loop, approval_reject=self.approval_reject,
            max_approval_rounds=self.max_approval_rounds,
            manager_approval_amount=self.manager_approval_amount,
            amount_median=self.amount_median, reopen=self.reopen,
            escalation_scale=self.escalation_scale,
            team_ping_pong=tuple((d.code(), d.rate) for d in self.drivers if isinstance(d, InjectedPingPong)),
        )  # fmt: skip


@dataclass
class GroundTruth:
    """What the simulator injected: ``summary`` (the global section) and one row per case."""

    summary: dict[str, Any]
    cases: pd.DataFrame

    def ping_pong_cases(self) -> set[str]:
        """Ticket ids with a direct or indirect ping-pong."""
        return set(self.cases.loc[self.cases["ping_pong"], "ticket_id"])


class SimulatedFiles(NamedTuple):
    """Paths written by :func:`write_simulated_log`."""

    log: Path
    truth: Path  # global section, JSON
    truth_cases: Path  # one JSON object per case, JSON Lines


# ------------------------------------------------------------------------------ generation
class _Run:
    """Drives the engine for one settings object and collects the global truth."""

    def __init__(self, settings: SimulationSettings) -> None:
        self.settings = settings
        self.calendar = settings.resolved_calendar()
        self.zh = settings.language == "zh"
        self.tz = self.calendar.timezone
        team_names_en = eng.TEAMS_EN
        clocks = []
        for k, team in enumerate(team_names_en):
            cal = self.calendar.teams.get(team) or self.calendar.teams.get(eng.TEAMS_ZH[k])
            clocks.append(BusinessClock(cal or self.calendar, settings.start))
        self.clocks = clocks
        self.engine = engine_with_changes(settings._params(), clocks, settings.changes)
        self.activity_names = np.array(
            eng.ACTIVITIES_ZH if self.zh else eng.ACTIVITIES_EN, dtype=object
        )
        self.team_names = np.array(eng.TEAMS_ZH if self.zh else eng.TEAMS_EN, dtype=object)
        self.channel_names = np.array(eng.CHANNELS_ZH if self.zh else eng.CHANNELS_EN, dtype=object)
        self.category_names = np.array(
            eng.CATEGORIES_ZH if self.zh else eng.CATEGORIES_EN, dtype=object
        )
        self.priority_names = np.array(eng.PRIORITIES, dtype=object)
        self.agent_names = np.array(self.engine.agent_names, dtype=object)
        self.columns = columns_for(settings.language, settings.lifecycle)
        self.drivers = DriverInjection([d for d in settings.drivers if isinstance(d, InjectedDriver)], settings.language)
        self.ping_pong_drivers = [d for d in settings.drivers if isinstance(d, InjectedPingPong)]
        self.first_l2 = [0] * len(eng.TEAMS_EN)  # escalated tickets per first L2 team
        self.n_cases = 0
        self.n_events = 0
        self.first_ts: int | None = None
        self.last_ts = 0
        self.bottleneck: list[tuple[int, int, int, int, int]] = []
        self.counts: dict[str, int] = {
            "ping_pong_direct": 0, "ping_pong_indirect": 0, "transferred": 0, "escalated": 0,
            "first_contact_resolution": 0, "skipped_first_response": 0, "reopened": 0,
            "approval_cases": 0, "approval_loops": 0, "self_loop_cases": 0, "rework_cases": 0,
        }  # fmt: skip

    def chunks(self) -> Iterator[eng.Chunk]:
        """Chunks of cases until ``n_tickets`` cases or ``n_events`` events are reached."""
        s = self.settings
        target_cases = s.n_tickets if s.n_events is None else None
        if target_cases is None and s.n_events is None:
            target_cases = 2000
        while True:
            if target_cases is not None:
                n = min(_BLOCK, target_cases - self.n_cases)
                if n <= 0:
                    return
                chunk = self.engine.chunk(n, _BLOCK)
            else:
                chunk = self.engine.chunk(_BLOCK, _BLOCK)
                need = s.n_events - self.n_events  # type: ignore[operator]
                if chunk.n_events >= need:
                    per_case = np.bincount(chunk.case_of_event, minlength=len(chunk.case_number))
                    chunk = chunk.head(int(np.searchsorted(np.cumsum(per_case), need)) + 1)
            chunk = self.drivers.apply(chunk)
            self._account(chunk)
            yield chunk
            if target_cases is None and self.n_events >= s.n_events:  # type: ignore[operator]
                return

    def _account(self, chunk: eng.Chunk) -> None:
        self.n_cases += len(chunk.case_number)
        self.n_events += chunk.n_events
        if chunk.n_events:
            if self.first_ts is None:
                self.first_ts = int(chunk.end[0])
            self.last_ts = max(self.last_ts, int(chunk.end.max()))
        self.bottleneck.extend(chunk.bottleneck)
        c = self.counts
        for t in chunk.truth:
            kind = t["ping_pong_kind"]
            if kind:
                c["ping_pong_" + kind] += 1
            c["transferred"] += t["transferred"]
            c["escalated"] += t["escalated"]
            if len(t["teams"]) > 1:
                self.first_l2[t["teams"][1]] += 1
            c["first_contact_resolution"] += t["first_contact_resolution"]
            c["skipped_first_response"] += t["skipped_first_response"]
            c["reopened"] += t["reopened"]
            c["approval_cases"] += t["approval_rounds"] > 0
            c["approval_loops"] += t["approval_rounds"] > 1
            c["self_loop_cases"] += t["self_loops"] > 0
            c["rework_cases"] += t["rework_repetitions"] > 0

    # ----------------------------------------------------------------- per-chunk columns
    def ticket_ids(self, chunk: eng.Chunk) -> np.ndarray:
        return np.array([f"T{n:07d}" for n in chunk.case_number.tolist()], dtype=object)

    def case_truth(self, chunk: eng.Chunk) -> list[dict[str, Any]]:
        names = self.team_names
        categories = self.category_names
        out = []
        for t, tid, cat in zip(
            chunk.truth, self.ticket_ids(chunk), chunk.category.tolist(), strict=True
        ):
            out.append({
                "ticket_id": tid,
                "ping_pong": t["ping_pong_kind"] is not None,
                "ping_pong_kind": t["ping_pong_kind"],
                "ping_pong_teams": [[names[a], names[b]] for a, b in t["ping_pong_teams"]],
                "teams": [names[x] for x in t["teams"]],
                "approval_rounds": t["approval_rounds"],
                "rework_repetitions": t["rework_repetitions"],
                "self_loops": t["self_loops"],
                "reopened": t["reopened"],
                "first_contact_resolution": t["first_contact_resolution"],
                "skipped_first_response": t["skipped_first_response"],
                "escalated": t["escalated"],
                "transferred": t["transferred"],
                "n_events": t["n_events"],
                "category": categories[cat],
            })  # fmt: skip
        return out

    def text_columns(self, chunk: eng.Chunk) -> dict[str, np.ndarray]:
        """Per-event string columns (and the amount), keyed by the English column name."""
        idx = chunk.case_of_event
        customers = np.array([f"C{n:06d}" for n in chunk.customer.tolist()], dtype=object)
        return {
            "ticket_id": self.ticket_ids(chunk)[idx],
            "activity": self.activity_names[chunk.activity],
            "agent": self.agent_names[chunk.agent],
            "team": self.team_names[chunk.team],
            "channel": self.channel_names[chunk.channel][idx],
            "priority": self.priority_names[chunk.priority][idx],
            "category": self.category_names[chunk.category][idx],
            "customer_id": customers[idx],
            "amount": chunk.amount[idx],
        }

    def frame(self, chunk: eng.Chunk, style: str) -> pd.DataFrame:
        """The chunk as a table with the language's headers; timestamps in ``style``."""
        cols = self.text_columns(chunk)
        data: dict[str, Any] = {}
        for en in COLUMNS_EN[:-1]:
            if en == "timestamp":
                data[en] = self.timestamps(chunk.end, style)
            else:
                data[en] = cols[en]
        if self.settings.lifecycle == "start_complete":
            data["start_timestamp"] = self.timestamps(chunk.start, style)
        frame = pd.DataFrame(data)
        frame.columns = self.columns
        return frame

    def timestamps(self, seconds: np.ndarray, style: str) -> Any:
        """'aware' (pandas, calendar zone), 'iso' (+offset), 'iso_ms' (XES) or 'zh' (local)."""
        utc = pd.DatetimeIndex(seconds.astype("datetime64[s]")).tz_localize("UTC")
        if style == "aware":
            return utc.tz_convert(self.tz)
        local = utc.tz_convert(self.tz).tz_localize(None).values.astype("datetime64[s]")
        text = np.datetime_as_string(local, unit="s")
        if style == "zh":
            return np.char.replace(np.char.replace(text, "-", "/"), "T", " ").astype(object)
        offsets = (local.astype(np.int64) - seconds).tolist()
        suffix = {o: _offset_text(o) for o in set(offsets)}
        ms = ".000" if style == "iso_ms" else ""
        return np.array(
            [f"{t}{ms}{suffix[o]}" for t, o in zip(text.tolist(), offsets, strict=True)],
            dtype=object,
        )

    # ------------------------------------------------------------------------ truth
    def summary(self, log_name: str | None) -> dict[str, Any]:
        s = self.settings
        b = np.array(self.bottleneck, dtype=np.float64).reshape(-1, 5)
        med = (lambda col: float(np.median(b[:, col])) / 3600.0) if len(b) else (lambda col: None)
        observed_business = float(np.median(b[:, 1] + b[:, 2])) / 3600.0 if len(b) else None
        names = eng.ACTIVITIES_ZH if self.zh else eng.ACTIVITIES_EN
        teams = list(self.team_names)
        agents: dict[str, list[str]] = {}
        for k, (first, size) in enumerate(self.engine.pools):
            agents[teams[k]] = [*self.engine.agent_names[first:first + size],
                                self.engine.agent_names[self.engine.leads[k]],
                                self.engine.agent_names[self.engine.managers[k]]]  # fmt: skip
        first_last = [
            str(self.timestamps(np.array([v]), "aware")[0].isoformat()) if v is not None else None
            for v in (self.first_ts, self.last_ts if self.n_events else None)
        ]
        return {
            "generator": "cspm.simulate",
            "truth_format": 1,
            "log": log_name,
            "case_truth": f"{log_name}.truth.jsonl" if log_name else None,
            "seed": s.seed,
            "settings": s.model_dump(mode="json"),
            "language": s.language,
            "lifecycle": s.lifecycle,
            "calendar": self.calendar.model_dump(mode="json"),
            "n_cases": self.n_cases,
            "n_events": self.n_events,
            "time_range": first_last,
            "bottleneck": {
                "activity": names[eng.ASSIGN],
                "from_activity": names[eng.ESCALATE],
                "description": f"waits between `{names[eng.ESCALATE]}` and `{names[eng.ASSIGN]}`",
                "team": "the L2 team the ticket is escalated to (it records the assignment)",
                "distribution": "lognormal",
                "parameters": {
                    "median_hours": s.bottleneck_median_hours,
                    "sigma": s.bottleneck_sigma,
                    "mu": math.log(s.bottleneck_median_hours * 3600.0),
                    "unit": "business seconds",
                },
                "clock": "business",
                "true_median_hours": s.bottleneck_median_hours,
                "n_waits": len(b),
                "sample_median_business_hours": med(1),
                "sample_median_calendar_hours": med(3),
                "observed_median_business_hours": observed_business,
                "observed_median_calendar_hours": med(4),
                "note": "sample = the drawn waits (to the start of `Assign L2`); observed = "
                "completion of `Escalate to L2` to completion of `Assign L2`, which adds the "
                "short assignment work (median 3 business minutes)",
            },
            "counts": dict(self.counts),
            "activities": dict(ACTIVITIES),
            "customer_activities": [names[c] for c in sorted(eng.CUSTOMER_CODES)],
            "teams": dict(zip(eng.TEAMS_EN, eng.TEAMS_ZH, strict=True)),
            "first_line_team": teams[eng.SD],
            "agents": agents,
            "columns": self.columns,
            **({"drivers": self.drivers.truth() + [
                ping_pong_truth(d, s.direct_ping_pong + s.indirect_ping_pong, self.first_l2[d.code()], s.language)
                for d in self.ping_pong_drivers]} if s.drivers else {}),  # fmt: skip
            **change_truth(self.engine),
        }


def _offset_text(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


# --------------------------------------------------------------------------- public API
def simulate(
    settings: SimulationSettings | None = None, **options: Any
) -> tuple[pd.DataFrame, GroundTruth]:
    """Simulate in memory: the event table (timestamps aware, calendar zone) and its truth.

    ``options`` are :class:`SimulationSettings` fields, applied over ``settings``.
    """
    settings = _settings(settings, options)
    run = _Run(settings)
    frames, cases = [], []
    for chunk in run.chunks():
        frames.append(run.frame(chunk, "aware"))
        cases.extend(run.case_truth(chunk))
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=run.columns)
    return df, GroundTruth(summary=run.summary(None), cases=pd.DataFrame(cases))


def write_simulated_log(
    path: str | Path,
    settings: SimulationSettings | None = None,
    format: str | None = None,
    **options: Any,
) -> SimulatedFiles:
    """Simulate and stream the log to ``path`` plus ``<path>.truth.json`` / ``.truth.jsonl``.

    ``format`` is ``csv``, ``parquet``, ``xes`` or ``xes.gz`` (default: from the suffix);
    ``options`` are :class:`SimulationSettings` fields (simple types), applied over ``settings``.
    """
    settings = _settings(settings, options)
    path = Path(path)
    fmt = (format or _format_from_suffix(path)).lower().lstrip(".")
    if fmt not in ("csv", "parquet", "xes", "xes.gz"):
        raise ValueError(f"unknown log format {fmt!r}; use csv, parquet, xes or xes.gz")
    path.parent.mkdir(parents=True, exist_ok=True)
    truth_path = path.with_name(path.name + ".truth.json")
    cases_path = path.with_name(path.name + ".truth.jsonl")
    run = _Run(settings)
    sink = {"csv": _CsvSink, "parquet": _ParquetSink, "xes": _XesSink, "xes.gz": _XesSink}[fmt](
        path, run
    )
    try:
        with open(cases_path, "w", encoding="utf-8", newline="\n") as truth_out:
            for chunk in run.chunks():
                sink.write(chunk)
                truth_out.write(
                    "".join(
                        json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"
                        for rec in run.case_truth(chunk)
                    )
                )
    finally:
        sink.close()
    truth_path.write_text(
        json.dumps(run.summary(path.name), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return SimulatedFiles(path, truth_path, cases_path)


def load_ground_truth(log_path: str | Path) -> GroundTruth:
    """Read the truth written next to ``log_path`` by :func:`write_simulated_log`."""
    log_path = Path(log_path)
    summary = json.loads(log_path.with_name(log_path.name + ".truth.json").read_text("utf-8"))
    cases = pd.read_json(
        log_path.with_name(log_path.name + ".truth.jsonl"), lines=True, dtype=False
    )
    return GroundTruth(summary=summary, cases=cases)


def _settings(settings: SimulationSettings | None, options: dict[str, Any]) -> SimulationSettings:
    if settings is None:
        return SimulationSettings(**options)
    if options:
        return SimulationSettings(**{**settings.model_dump(exclude_unset=True), **options})
    return settings


def _format_from_suffix(path: Path) -> str:
    name = path.name.lower()
    for fmt in ("xes.gz", "xes", "csv", "parquet"):
        if name.endswith("." + fmt):
            return fmt
    if name.endswith(".pq"):
        return "parquet"
    raise ValueError(
        f"cannot tell the log format from {path.name!r}; use .csv, .parquet, .xes or .xes.gz"
    )


# -------------------------------------------------------------------------------- sinks
class _CsvSink:
    def __init__(self, path: Path, run: _Run) -> None:
        self.run = run
        encoding = "gb18030" if run.zh else "utf-8"
        self.out = open(path, "w", encoding=encoding, newline="")  # noqa: SIM115
        self.header = True

    def write(self, chunk: eng.Chunk) -> None:
        frame = self.run.frame(chunk, "zh" if self.run.zh else "iso")
        frame.to_csv(
            self.out, header=self.header, index=False, float_format="%.2f", lineterminator="\n"
        )
        self.header = False

    def close(self) -> None:
        if self.header:  # nothing written: still give the file its header
            self.out.write(",".join(self.run.columns) + "\n")
        self.out.close()


class _ParquetSink:
    def __init__(self, path: Path, run: _Run) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.run = run
        ts = pa.timestamp("ms", tz="UTC")
        types = [pa.string(), pa.string(), ts, *[pa.string()] * 6, pa.float64(), ts]
        self.schema = pa.schema(list(zip(run.columns, types[: len(run.columns)], strict=True)))
        self.writer = pq.ParquetWriter(path, self.schema)

    def write(self, chunk: eng.Chunk) -> None:
        pa = self.pa
        cols = self.run.text_columns(chunk)
        arrays = []
        for en, field in zip(COLUMNS_EN, self.schema, strict=False):
            if en == "timestamp":
                arrays.append(pa.array(chunk.end * 1000, type=field.type))
            elif en == "start_timestamp":
                arrays.append(pa.array(chunk.start * 1000, type=field.type))
            elif en == "amount":
                arrays.append(pa.array(cols[en], type=field.type, from_pandas=True))
            else:
                arrays.append(pa.array(cols[en], type=field.type))
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


class _XesSink:
    def __init__(self, path: Path, run: _Run) -> None:
        self.run = run
        self.writer = XesWriter(
            path,
            log_attributes={"concept:name": f"cspm simulated tickets, seed {run.settings.seed}"},
        )
        self.both = run.settings.lifecycle == "start_complete"

    def write(self, chunk: eng.Chunk) -> None:
        run = self.run
        cols = run.text_columns(chunk)
        keys = run.columns
        end = run.timestamps(chunk.end, "iso_ms").tolist()
        start = run.timestamps(chunk.start, "iso_ms").tolist() if self.both else end
        acts, agents, teams = (
            cols["activity"].tolist(),
            cols["agent"].tolist(),
            cols["team"].tolist(),
        )
        extra_names = keys[5:10]
        extra = [cols[k].tolist() for k in COLUMNS_EN[5:10]]
        extra[4] = [None if math.isnan(a) else f"{a:.2f}" for a in extra[4]]
        bounds = np.searchsorted(
            chunk.case_of_event, np.arange(len(chunk.case_number) + 1)
        ).tolist()
        tids = run.ticket_ids(chunk).tolist()
        for c, tid in enumerate(tids):
            events = []
            for i in range(bounds[c], bounds[c + 1]):
                base = {"concept:name": acts[i], "org:resource": agents[i], "org:group": teams[i]}
                attrs = {name: values[i] for name, values in zip(extra_names, extra, strict=True)}
                if self.both:
                    events.append(
                        {
                            **base,
                            "time:timestamp": start[i],
                            "lifecycle:transition": "start",
                            **attrs,
                        }
                    )
                    events.append(
                        {
                            **base,
                            "time:timestamp": end[i],
                            "lifecycle:transition": "complete",
                            **attrs,
                        }
                    )
                else:
                    events.append({**base, "time:timestamp": end[i], **attrs})
            self.writer.write_trace(tid, events)

    def close(self) -> None:
        self.writer.close()
