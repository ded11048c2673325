"""What every engine's reader checks, in one place: the reader's options, the role decisions, the
names attribute columns get, and the row checks — their reasons, their order (the first problem
wins), the column each names and the raw value it quotes.

Each reader (:mod:`cspm.ingest.read` in DuckDB SQL, :mod:`cspm.ingest.validate` in Ibis for
Spark and SQL databases) only says how its engine tests a condition; the rules are these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from cspm.core.log import (
    ACTIVITY,
    AGENT,
    CASE,
    OPTIONAL_ROLES,
    ROW,
    SCHEDULE,
    START,
    SUSPENDED,
    TEAM,
    TIMESTAMP,
    Roles,
)
from cspm.ingest import roles as _roles
from cspm.ingest.role_choice import resolve_roles

__all__ = ["OUT_OF_RANGE", "TIME_RANGE", "ReadOptions", "RowCheck", "ValueProbe", "attribute_name", "choose_roles",
           "row_checks", "status_field"]  # fmt: skip

# Instants cspm can compute with everywhere (pandas' nanosecond range): a timestamp outside it
# (year 0, 10000, a zone shift across year 1 or 9999, a typo such as 0202) is rejected, not carried.
TIME_RANGE = ("1678-01-01 00:00:00+00", "2262-01-01 00:00:00+00")
OUT_OF_RANGE = "timestamp out of range (UTC years 1678–2261)"

_CANONICAL = {CASE, ACTIVITY, TIMESTAMP, START, SCHEDULE, SUSPENDED, AGENT, TEAM, ROW, *OPTIONAL_ROLES}


@dataclass(frozen=True)
class ReadOptions:
    """How a source is read: the columns given per role, the time zone of naive timestamps (and
    where it came from: given, config, default), day-first and explicit timestamp formats, the
    separator of a multi-column activity, and whether lifecycle rows are paired."""

    given: dict[str, str | list[str] | None]
    timezone: tuple[str, str]
    dayfirst: bool | None
    formats: list[str] | None
    separator: str
    pair_lifecycle: bool | None


class ValueProbe(Protocol):
    """The two questions about a column's values a reader's engine answers for the role choice."""

    def looks_like_time(self, column: str) -> bool: ...

    def has_transitions(self, column: str) -> bool: ...


def choose_roles(src: Any, options: ReadOptions, probe: ValueProbe) -> tuple[Roles, list[str], dict[str, Any], dict[str, Any]]:
    """The roles of a loaded source (``src``: its ``columns``, ``info`` and ``path``), decided by
    :func:`cspm.ingest.role_choice.resolve_roles` with the engine's ``probe``."""
    return resolve_roles(src.columns, src.info, src.path, options.given, options.pair_lifecycle,
                         looks_like_time=probe.looks_like_time, has_transitions=probe.has_transitions)  # fmt: skip


def attribute_name(column: str) -> str:
    """The event column a source column that plays no role becomes: its own name, or ``attr_<name>``
    when that name is one of cspm's columns or starts with ``__``."""
    return column if column not in _CANONICAL and not column.startswith("__") else f"attr_{column}"


def status_field(columns: list[str], activity_columns: list[str]) -> str | None:
    """The field column of a Jira-style change history (rows that are not status changes are
    rejected), or None."""
    field_col = _roles.field_column(columns)
    if field_col and _roles.normalise(activity_columns[0]) in ("to", "newvalue", "new value", "to status"):
        return field_col
    return None


Test = Literal["not_status", "missing_case", "missing_activity", "missing_timestamp", "unparsable_timestamp",
               "timestamp_out_of_range", "unparsable_start", "start_out_of_range"]  # fmt: skip
Quoted = Literal["none", "timestamp", "start", "field"]


@dataclass(frozen=True)
class RowCheck:
    """One reason to reject a row: which condition (``test``), the reason given, the source column
    named, and which raw value is quoted (none: the value is missing)."""

    test: Test
    reason: str
    column: str
    quoted: Quoted


def row_checks(roles: Roles, activity_columns: list[str], *, status_field: str | None) -> list[RowCheck]:
    """The row checks of a source, in order (the first that holds gives the reason)."""
    checks = [
        RowCheck("missing_case", "missing case id", roles.case_id, "none"),
        RowCheck("missing_activity", "missing activity", activity_columns[0], "none"),
        RowCheck("missing_timestamp", "missing timestamp", roles.timestamp, "none"),
        RowCheck("unparsable_timestamp", "unparsable timestamp", roles.timestamp, "timestamp"),
        RowCheck("timestamp_out_of_range", OUT_OF_RANGE, roles.timestamp, "timestamp"),
    ]
    if roles.start_timestamp:
        checks += [
            RowCheck("unparsable_start", "unparsable start timestamp", roles.start_timestamp, "start"),
            RowCheck("start_out_of_range", "start " + OUT_OF_RANGE, roles.start_timestamp, "start"),
        ]
    if status_field:
        checks.insert(0, RowCheck("not_status", "not a status change", status_field, "field"))
    return checks
