"""The event log: an Ibis table of events on an engine, the column roles, and the data-quality report."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.core.derived import DerivedTables
from cspm.core.lifetime import close_tables
from cspm.render.html import ReportSection

# Canonical column names of the event table. Every engine computation uses these.
CASE = "case_id"
ACTIVITY = "activity"
TIMESTAMP = "timestamp"  # completion (or the only) time of the event, UTC
START = "start_timestamp"  # start time, UTC, only when the log has one
SCHEDULE = "schedule_timestamp"  # when a paired instance was scheduled/assigned (queue start), UTC
SUSPENDED = "suspended_seconds"  # suspended time of a paired instance (suspend → resume), seconds
AGENT = "agent"
TEAM = "team"
ROW = "source_row"  # 1-based data row in the source; breaks ties in timestamp order
ROLE_COLUMNS = (CASE, ACTIVITY, TIMESTAMP, START, AGENT, TEAM)
OPTIONAL_ROLES = ("channel", "priority", "customer")


class QualityReport(ReportSection, Protocol):
    """What a log's data-quality report offers (``cspm.ingest.quality.DataQuality``): a summary,
    its notebook view, and the report's "Data quality" section."""

    def summary(self) -> dict[str, Any]: ...

    def _repr_html_(self) -> str: ...


@dataclass(frozen=True)
class Roles:
    """Which source column(s) became which canonical column."""

    case_id: str
    activity: tuple[str, ...]
    timestamp: str
    start_timestamp: str | None = None
    agent: str | None = None
    team: str | None = None
    lifecycle: str | None = None
    channel: str | None = None
    priority: str | None = None
    customer: str | None = None
    detected: tuple[str, ...] = ()  # roles found from headers rather than given

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "activity": list(self.activity),
            "timestamp": self.timestamp,
            "start_timestamp": self.start_timestamp,
            "agent": self.agent,
            "team": self.team,
            "lifecycle": self.lifecycle,
            "channel": self.channel,
            "priority": self.priority,
            "customer": self.customer,
            "detected": list(self.detected),
        }


@dataclass(frozen=True)
class TicketLog:
    """A validated ticket event log.

    ``events`` is an Ibis table with the canonical columns ``case_id``, ``activity``, ``timestamp``
    (UTC), ``source_row`` and, when the source has them, ``start_timestamp``, ``agent``, ``team``;
    every other source column is kept under its own name. Order events of a case by
    ``(timestamp, source_row)``. When lifecycle rows were paired into activity instances (see
    :mod:`cspm.ingest.lifecycle`), ``schedule_timestamp`` (queue start: the instance's schedule/assign row)
    and ``suspended_seconds`` may be present too: queue time = ``start_timestamp −
    schedule_timestamp``, work time = ``timestamp − start_timestamp − suspended_seconds``.
    """

    events: ir.Table
    roles: Roles
    quality: QualityReport | None = None
    source: str = "<memory>"
    timezone: str = "UTC"
    attributes: tuple[str, ...] = field(default=())
    derived: DerivedTables = field(default_factory=DerivedTables, compare=False, repr=False)
    """The tables derived from the events (step intervals, visits, case table …), each built once on
    the engine and shared by every analysis of this log; dropped with the log."""

    # --- shape -------------------------------------------------------------------------------
    @property
    def has_start(self) -> bool:
        return START in self.events.columns

    @property
    def has_schedule(self) -> bool:
        return SCHEDULE in self.events.columns

    @property
    def has_agent(self) -> bool:
        return AGENT in self.events.columns

    @property
    def has_team(self) -> bool:
        return TEAM in self.events.columns

    @property
    def backend(self) -> Any:
        """The Ibis backend the events live on (DuckDB by default)."""
        return self.events._find_backend()

    @property
    def engine(self) -> str:
        return self.backend.name

    def count_events(self) -> int:
        return int(self.events.count().to_pyarrow().as_py())

    def count_cases(self) -> int:
        return int(self.events[CASE].nunique().to_pyarrow().as_py())

    # --- derived logs --------------------------------------------------------------------------
    def with_events(self, events: ir.Table) -> TicketLog:
        """The same log over another event table (a filter, another engine), with its own derived
        tables."""
        return replace(self, events=events, derived=DerivedTables())

    def ordered(self) -> ir.Table:
        """Events sorted by case, time and source row (for display and exports)."""
        return self.events.order_by([CASE, TIMESTAMP, ROW])

    # --- lifetime ------------------------------------------------------------------------------
    def close(self) -> None:
        """Drop this log's tables from the embedded DuckDB now (events, rejects, derived tables),
        rather than when the last expression over them is collected (see :mod:`cspm.core.lifetime`).
        Results already computed keep their figures; a query still over these events (this log, a
        filtered log) fails saying the log was closed. ``with cspm.read(...) as log:`` closes it."""
        self.derived.clear()
        close_tables(self.events, getattr(self.quality, "rejects", None))

    def __enter__(self) -> TicketLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- output --------------------------------------------------------------------------------
    def to_pandas(self, limit: int | None = None) -> pd.DataFrame:
        """The events as a pandas DataFrame (use ``limit`` on large logs)."""
        table = self.ordered()
        if limit is not None:
            table = table.limit(limit)
        return table.to_pandas()

    def to_parquet(self, path: str) -> None:
        self.ordered().to_parquet(path)

    def to_csv(self, path: str) -> None:
        self.ordered().to_csv(path)

    def summary(self) -> dict[str, Any]:
        if self.quality is not None:
            return self.quality.summary()
        return {"events": self.count_events(), "cases": self.count_cases()}

    def __repr__(self) -> str:
        return f"TicketLog(source={self.source!r}, engine={self.engine!r}, columns={self.events.columns})"

    def _repr_html_(self) -> str:
        if self.quality is not None:
            return self.quality._repr_html_()
        return ibis.to_sql(self.events)
