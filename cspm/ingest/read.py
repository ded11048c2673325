"""``cspm.read``: any ticket export → a validated :class:`~cspm.core.log.TicketLog` on DuckDB.

Every input row ends up either in the event table or in the rejects table with its row number and
reason: rows in = rows kept + rows rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cspm.config import Config, Pseudonymisation, as_config, check_timezone
from cspm.core.engine import duckdb_backend, unique_name
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
    TicketLog,
)
from cspm.errors import InputError, MissingColumnError, RoleDetectionError
from cspm.ingest import lifecycle as _lifecycle
from cspm.ingest import roles as _roles
from cspm.ingest.pseudonymise import as_settings, read_key
from cspm.ingest.pseudonymise import pseudonymise as apply_pseudonyms
from cspm.ingest.quality import DataQuality, IngestInfo
from cspm.ingest.raw import REJECTS_DDL, ROWCOL, RawSource, lit, q
from cspm.ingest.sources import load_source
from cspm.ingest.timestamps import FAMILIES, TimestampReport, parse_expression

_CANONICAL = {CASE, ACTIVITY, TIMESTAMP, START, SCHEDULE, SUSPENDED, AGENT, TEAM, ROW, *OPTIONAL_ROLES}
# names of the XES classifier taken as the activity, before the first declared one (case-insensitive)
_ACTIVITY_CLASSIFIERS = ("activity", "activity classifier")


def read(
    source: Any,
    *,
    case_id: str | None = None,
    activity: str | list[str] | None = None,
    timestamp: str | None = None,
    start_timestamp: str | None = None,
    agent: str | None = None,
    team: str | None = None,
    lifecycle: str | None = None,
    channel: str | None = None,
    priority: str | None = None,
    customer: str | None = None,
    config: Config | str | Path | None = None,
    timezone: str | None = None,
    dayfirst: bool | None = None,
    timestamp_format: str | list[str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    pair_lifecycle: bool | None = None,
    backend: Any = None,
    pseudonymise: Pseudonymisation | str | Sequence[str] | None = None,
) -> TicketLog:
    """Read a ticket event log.

    ``source``: a path (CSV/TSV, optionally gzipped; XLSX; Parquet; XES or .xes.gz) or a pandas /
    polars DataFrame / Arrow table. Column roles not given are detected from the headers; an XES
    file's declared classifier (the one named ``Activity`` / ``Activity classifier``, else the first)
    gives the activity unless ``activity`` (or the config's ``columns.activity``) is given.
    Naive timestamps (no UTC offset) are read in ``timezone`` (else the config's
    ``timestamps.timezone``, else UTC; the quality report says which) and stored in UTC.

    Lifecycle rows (``lifecycle:transition``: schedule, assign, start, suspend, resume, complete,
    withdraw, …, see :mod:`cspm.ingest.lifecycle`): ``pair_lifecycle=True`` joins the rows of each activity
    instance into one event (``start_timestamp``, ``schedule_timestamp``, ``suspended_seconds``);
    ``False`` keeps every row as an event whose activity is name + transition. Default (``None``:
    the config's ``columns.pair_lifecycle``, else automatic): keep when the activity already
    includes the lifecycle column (e.g. the XES classifier ``concept:name lifecycle:transition``),
    else pair. Every lifecycle row is kept; none is rejected.

    ``pseudonymise`` (roles such as ``"agent,customer"``, else the config's ``pseudonymise``)
    replaces those names by keyed pseudonyms right after reading (:mod:`cspm.ingest.pseudonymise`).
    """
    cfg = as_config(config)
    cols = cfg.columns
    given: dict[str, str | list[str] | None] = {
        "case_id": case_id or cols.case_id,
        "activity": activity or cols.activity,
        "timestamp": timestamp or cols.timestamp,
        "start_timestamp": start_timestamp or cols.start_timestamp,
        "agent": agent or cols.agent,
        "team": team or cols.team,
        "lifecycle": lifecycle or cols.lifecycle,
        "channel": channel or cols.channel,
        "priority": priority or cols.priority,
        "customer": customer or cols.customer,
    }
    tz = timezone or cfg.timestamps.timezone
    tz_source = "given" if timezone else "config" if "timezone" in cfg.timestamps.model_fields_set else "default"
    if pair_lifecycle is None:
        pair_lifecycle = cols.pair_lifecycle
    if timezone:
        try:
            check_timezone(timezone)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    dayfirst = cfg.timestamps.dayfirst if dayfirst is None else dayfirst
    fmt = timestamp_format or cfg.timestamps.format
    formats = [fmt] if isinstance(fmt, str) else list(fmt) if fmt else None

    backend = backend or duckdb_backend()
    raw = backend.con
    rejects = unique_name("rejects")
    raw.execute(REJECTS_DDL.format(name=rejects))
    src = load_source(raw, source, rejects, encoding=encoding, delimiter=delimiter, sheet=sheet)
    shared = as_settings(pseudonymise, cfg.pseudonymise) if pseudonymise else cfg.pseudonymise
    if shared.roles:
        read_key(None, shared.key_file)  # no key: fail before reading
    try:
        log = _build(
            backend, src, rejects, given, (tz, tz_source), dayfirst, formats, cols.activity_separator, pair_lifecycle
        )
    finally:
        for statement in src.drop:
            raw.execute(statement)
    return apply_pseudonyms(log, shared) if shared.roles else log


class GivenColumnMissing(MissingColumnError):
    """A column named for a role (``case_id=…``, ``--activity …``, ``columns:`` in the config) that
    the source does not have; says which role it was given for and lists the source's columns."""

    def __init__(self, column: str, columns: list[str], *, role: str, path: str) -> None:
        super().__init__(column, columns, path=path, needed_for=f"the {role} role")
        self.role = role
        # the reader's own wording: the role the column was given for, then every column found
        self.reason = (
            f"has no column {column!r} (given as the {role} column). "
            f"Columns found: {', '.join(repr(c) for c in columns)}."
        )
        self.expected = f"a column named {column!r}"
        self.args = (self._paragraph(),)


def _build(
    backend: Any,
    src: RawSource,
    rejects: str,
    given: dict[str, str | list[str] | None],
    timezone: tuple[str, str],
    dayfirst: bool | None,
    formats: list[str] | None,
    separator: str,
    pair_lifecycle: bool | None,
) -> TicketLog:
    raw = backend.con
    tz, tz_source = timezone
    for role, value in given.items():
        for col in [value] if isinstance(value, str) else value or []:
            if col not in src.columns:
                raise GivenColumnMissing(col, src.columns, role=role.replace("_", " "), path=src.path)
    activity_source = _activity_from_classifier(src, given)
    mapping, detected, cands = _roles.detect(
        src.columns,
        given,
        accepts={
            "timestamp": lambda c: _looks_like_time(raw, src.table, c),
            "start_timestamp": lambda c: _looks_like_time(raw, src.table, c),
        },
    )
    missing = [r for r in _roles.REQUIRED if r not in mapping]
    ambiguous = [r for r in _roles.REQUIRED if isinstance(mapping.get(r), list) and mapping[r][0] == "__ambiguous__"]
    if missing or ambiguous:
        parts = []
        if missing:
            parts.append("no column was recognised as the " + ", ".join(m.replace("_", " ") for m in missing))
        if ambiguous:
            parts.append(
                "; ".join(f"{r.replace('_', ' ')} could be {mapping[r][1]!r} or {mapping[r][2]!r}" for r in ambiguous)
            )
        if len(src.columns) == 1:
            parts.append(f"the file has a single column {src.columns[0][:80]!r} (wrong delimiter?)")
        raise RoleDetectionError(
            "Could not tell which columns hold the case id, activity and timestamp: " + "; ".join(parts) + ".",
            path=src.path,
            columns=src.columns,
            candidates=cands,
        )
    act_cols = [mapping["activity"]] if isinstance(mapping["activity"], str) else list(mapping["activity"])
    if activity_source["source"] != "classifier":
        activity_source["source"] = "detected" if "activity" in detected else "given"
    lc_col = _opt(mapping, "lifecycle")
    if lc_col is None and len(act_cols) > 1:
        # a lifecycle column joined into the activity (classifier, or --activity twice) is still one
        in_activity = _roles.candidates("lifecycle", act_cols[1:])
        if in_activity:
            lc_col = mapping["lifecycle"] = in_activity[0][1]
    if lc_col and "lifecycle" in detected and not _recognised_transitions(raw, src.table, lc_col):
        activity_source.setdefault("notes", []).append(
            f"column {lc_col!r} was not used as the lifecycle: none of its values is a lifecycle transition"
        )
        mapping.pop("lifecycle")
        detected.remove("lifecycle")
        lc_col = None
    lifecycle = _lifecycle_mode(
        lc_col, act_cols, pair_lifecycle, activity_source, has_start=bool(_opt(mapping, "start_timestamp")), path=src.path
    )
    roles = Roles(
        case_id=str(mapping["case_id"]),
        activity=tuple(act_cols),
        timestamp=str(mapping["timestamp"]),
        start_timestamp=_opt(mapping, "start_timestamp"),
        agent=_opt(mapping, "agent"),
        team=_opt(mapping, "team"),
        lifecycle=_opt(mapping, "lifecycle"),
        channel=_opt(mapping, "channel"),
        priority=_opt(mapping, "priority"),
        customer=_opt(mapping, "customer"),
        detected=tuple(detected),
    )
    ts_expr, ts_report = parse_expression(
        raw, src.table, roles.timestamp, timezone=tz, dayfirst=dayfirst, formats=formats, path=src.path
    )
    reports: list[TimestampReport] = [ts_report]
    start_expr = None
    if roles.start_timestamp:
        start_expr, start_report = parse_expression(
            raw, src.table, roles.start_timestamp, timezone=tz, dayfirst=dayfirst, formats=formats, path=src.path
        )
        reports.append(start_report)

    def text(col: str) -> str:
        return f"NULLIF(trim(CAST({q(col)} AS VARCHAR)), '')"

    act_expr = (
        text(act_cols[0])
        if len(act_cols) == 1
        else f"NULLIF(concat_ws({lit(separator)}, {', '.join(text(c) for c in act_cols)}), '')"
    )
    consumed = {roles.case_id, roles.timestamp, *act_cols}
    select = [f"{src.table}.{ROWCOL} AS {ROW}", f"{text(roles.case_id)} AS {CASE}", f"{act_expr} AS {ACTIVITY}"]
    select.append(f"{ts_expr} AS {TIMESTAMP}")
    if start_expr:
        select.append(f"{start_expr} AS {START}")
        consumed.add(roles.start_timestamp)
    for role, name in (("agent", AGENT), ("team", TEAM), *((r, r) for r in OPTIONAL_ROLES)):
        col = getattr(roles, role)
        if col:
            select.append(f"{text(col)} AS {q(name)}")
            consumed.add(col)
    pairing = lifecycle["mode"] == "pair"
    if roles.lifecycle:
        # the raw value (counted per transition below) and, to pair, the normalised transition
        select.append(f"CAST({q(roles.lifecycle)} AS VARCHAR) AS __lc")
        if pairing:
            select.append(f"{_lifecycle.transition_sql(q(roles.lifecycle))} AS {_lifecycle.TRANSITION}")
    attributes = []
    for col in src.columns:
        if col in consumed:
            continue
        name = col if col not in _CANONICAL and not col.startswith("__") else f"attr_{col}"
        select.append(f"{q(col)} AS {q(name)}")
        attributes.append(name)

    # Why a row is rejected (first problem wins), with the column and raw value. The checks read
    # the parsed columns of the inner select, so every value is parsed once.
    select.append(f"{text(roles.timestamp)} AS __ts_raw")
    extra = ["__ts_raw"]
    checks = [
        (f"{CASE} IS NULL", "missing case id", roles.case_id, "NULL"),
        (f"{ACTIVITY} IS NULL", "missing activity", act_cols[0], "NULL"),
        ("__ts_raw IS NULL", "missing timestamp", roles.timestamp, "NULL"),
        (f"{TIMESTAMP} IS NULL", "unparsable timestamp", roles.timestamp, "__ts_raw"),
    ]
    if start_expr:
        select.append(f"{text(roles.start_timestamp)} AS __st_raw")
        extra.append("__st_raw")
        checks.append(
            (f"__st_raw IS NOT NULL AND {START} IS NULL", "unparsable start timestamp", roles.start_timestamp, "__st_raw")
        )
    field_col = _roles.field_column(src.columns)
    if field_col and _roles.normalise(act_cols[0]) in ("to", "newvalue", "new value", "to status"):
        status = ", ".join(lit(s) for s in _roles.STATUS_FIELDS)
        select.append(f"lower({text(field_col)}) AS __field")
        extra.append("__field")
        checks.insert(0, (f"__field IS NULL OR __field NOT IN ({status})", "not a status change", field_col, "__field"))
    reason = "CASE " + " ".join(f"WHEN {c} THEN {lit(r)}" for c, r, _, _ in checks) + " END"
    rcol = "CASE " + " ".join(f"WHEN {c} THEN {lit(col)}" for c, _, col, _ in checks) + " END"
    rval = "CASE " + " ".join(f"WHEN {c} THEN CAST({v} AS VARCHAR)" for c, _, _, v in checks) + " END"
    # One pass: parse every row once into the events table with its reason (NULL = kept), move the
    # rejected rows to the rejects table, then drop them and the bookkeeping columns.
    events = unique_name("events")
    inner = ", ".join(select)
    raw.execute(
        f"CREATE TABLE {events} AS SELECT *, {reason} AS __reason, {rcol} AS __rcol, {rval} AS __rval "
        f"FROM (SELECT {inner} FROM {src.table})"
    )
    line = f"{ROW} + 1" if src.has_lines else "NULL"
    raw.execute(
        f"INSERT INTO {rejects} SELECT {ROW}, {line}, __rcol, __reason, __rval FROM {events} "
        "WHERE __reason IS NOT NULL"
    )
    raw.execute(f"DELETE FROM {events} WHERE __reason IS NOT NULL")
    for col in ("__reason", "__rcol", "__rval", *extra):
        raw.execute(f"ALTER TABLE {events} DROP COLUMN {col}")
    rows_kept = raw.execute(f"SELECT count(*) FROM {events}").fetchone()[0]
    if roles.lifecycle:
        lifecycle["transitions"] = _lifecycle.transition_counts(raw, events, "__lc")
        raw.execute(f"ALTER TABLE {events} DROP COLUMN __lc")
        present = {_lifecycle.SYNONYMS.get(t, t) for t in lifecycle["transitions"]}
        lifecycle["paired"] = bool(pairing and present & set(_lifecycle.PAIRABLE))
        if lifecycle["paired"]:
            lc_name = roles.lifecycle if roles.lifecycle in attributes else f"attr_{roles.lifecycle}"
            events, stats = _lifecycle.pair_instances(raw, events, lc_name, present)
            lifecycle.update(stats)
        elif pairing:
            raw.execute(f"ALTER TABLE {events} DROP COLUMN {_lifecycle.TRANSITION}")
    info = IngestInfo(
        source=src.path,
        kind=src.kind,
        rows_read=src.rows_in,
        rows_kept=rows_kept,
        details=dict(src.info),
        timestamp_reports=reports,
        timezone=tz,
        timezone_source=tz_source,
        roles=roles,
        lifecycle=lifecycle,
        activity_source=activity_source,
        has_lines=src.has_lines,
    )
    table = backend.table(events)
    rejects_table = backend.table(rejects)
    log = TicketLog(events=table, roles=roles, source=src.path, timezone=tz, attributes=tuple(attributes))
    quality = DataQuality.compute(log, info, rejects_table)
    return TicketLog(
        events=table, roles=roles, quality=quality, source=src.path, timezone=tz, attributes=tuple(attributes)
    )


def _opt(mapping: dict[str, Any], role: str) -> str | None:
    value = mapping.get(role)
    return value if isinstance(value, str) else None


def _looks_like_time(raw: Any, table: str, column: str) -> bool:
    """At least half of a sample of the column's values look like a date/time."""
    ctype = raw.execute(
        f"SELECT data_type FROM information_schema.columns WHERE table_name = {lit(table)} "
        f"AND column_name = {lit(column)}"
    ).fetchone()
    ctype = (ctype[0] if ctype else "VARCHAR").upper()
    if ctype.startswith(("TIMESTAMP", "DATE")):
        return True
    if ctype != "VARCHAR":
        return ctype in ("BIGINT", "DOUBLE", "INTEGER")
    x = f"trim({q(column)})"
    any_family = " OR ".join(f"regexp_full_match({x}, {lit(f.pattern)})" for f in FAMILIES)
    row = raw.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {any_family}) FROM "
        f"(SELECT {q(column)} FROM {table} WHERE {q(column)} IS NOT NULL LIMIT 2000)"
    ).fetchone()
    return row[0] > 0 and row[1] >= 0.5 * row[0]


def _activity_from_classifier(src: RawSource, given: dict[str, str | list[str] | None]) -> dict[str, Any]:
    """Take the activity from the XES file's classifier unless it was given; say what was done.

    The classifier named ``Activity`` or ``Activity classifier`` (case-insensitive) is used, else the
    first one declared; its keys are joined into the activity, as ProM and Disco do.
    """
    declared = src.info.pop("classifiers", [])
    found: dict[str, Any] = {
        "source": "given" if given.get("activity") else "detected",
        "declared": [{"name": n, "keys": list(k)} for n, k in declared],
        "classifier": None,
    }
    if not declared:
        return found
    name, keys = next(((n, k) for n, k in declared if n.strip().casefold() in _ACTIVITY_CLASSIFIERS), declared[0])
    if given.get("activity"):
        wanted = given["activity"]
        if ([wanted] if isinstance(wanted, str) else list(wanted)) != list(keys):
            found["notes"] = [f"XES classifier {name!r} ({' '.join(keys)}) not used: the activity column was given"]
        return found
    missing = [k for k in keys if k not in src.columns]
    if not keys or missing:
        found["notes"] = [
            f"XES classifier {name!r} ({' '.join(keys)}) not used: no event has "
            + ", ".join(repr(k) for k in missing or ["(no keys)"])
            + "; the activity column was detected from the attribute names"
        ]
        return found
    given["activity"] = keys[0] if len(keys) == 1 else list(keys)
    found.update(source="classifier", classifier={"name": name, "keys": list(keys)})
    return found


def _recognised_transitions(raw: Any, table: str, column: str) -> bool:
    """Whether any value of the column is a lifecycle transition (standard name or synonym)."""
    known = ", ".join(lit(v) for v in (*_lifecycle.STANDARD, *_lifecycle.SYNONYMS))
    return bool(
        raw.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE lower(trim(CAST({q(column)} AS VARCHAR))) "
            f"IN ({known}) LIMIT 1)"
        ).fetchone()[0]
    )


def _lifecycle_mode(
    column: str | None,
    act_cols: list[str],
    pair: bool | None,
    activity_source: dict[str, Any],
    *,
    has_start: bool,
    path: str,
) -> dict[str, Any]:
    """Decide between pairing lifecycle rows and keeping them in the activity (edits ``act_cols``)."""
    if column is None:
        return {"column": None, "mode": None}
    in_activity = column in act_cols
    if pair is True and in_activity:
        if activity_source["source"] != "classifier" or len(act_cols) == 1:
            raise InputError(
                f"the activity ({' + '.join(act_cols)}) includes the lifecycle column {column!r}, and "
                "pairing lifecycle rows was asked for.",
                path=path,
                column=column,
                expected="either pairing (the activity without the lifecycle column) or keeping the "
                "lifecycle in the activity",
                hint="Use --lifecycle keep (pair_lifecycle=False), or give the activity without the "
                "lifecycle column.",
            )
        act_cols.remove(column)
        activity_source.setdefault("notes", []).append(
            f"the XES classifier includes {column!r}; lifecycle pairing was asked for, so the activity is "
            f"{' + '.join(act_cols)} and the lifecycle rows were paired into activity instances"
        )
        in_activity = False
    mode = "keep" if pair is False or (pair is None and in_activity) else "pair"
    if mode == "keep" and not in_activity:
        act_cols.append(column)
    info: dict[str, Any] = {"column": column, "mode": mode}
    if mode == "pair" and has_start:
        info.update(mode="none", reason="the log has a start timestamp column")
    elif mode == "keep" and pair is None:
        info["reason"] = "the activity includes the lifecycle column (XES classifier or given)"
    return info
