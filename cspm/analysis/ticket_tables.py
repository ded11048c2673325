"""Per-ticket outputs at scale: the ticket table and the step table, written by the engine.

Both are Ibis expressions on the log's engine, written to Parquet by that engine
(:func:`write_ticket_tables`): DuckDB streams each into one Parquet file, Spark writes a Parquet
folder of part files (one per partition, in parallel on the cluster). A table of more than
``partition_rows`` rows (5,000,000 by default) is written partitioned by month instead: a folder of
Hive partitions ``month=YYYY-MM/`` (the UTC month of the ticket's ``start``, of the step's
``timestamp``), on both engines, so that a reader can load one month without the rest; every reader
of Parquet datasets (pyarrow, pandas, DuckDB, Spark, Polars) reads the folder with its ``month``
column. Nothing of ticket or event size comes back to Python; only the row counts do.

``tickets.parquet`` — one row per ticket (the case table of :func:`cspm.mining.cases.case_table`
and the ticket's waits and handoffs):

* ``case_id``, ``events`` (events of the ticket), ``start`` (first start or completion, UTC),
  ``end`` (last completion, UTC), ``lead_time_s`` (end − start, seconds);
* ``variant`` — the rank of the ticket's activity sequence (1 = most frequent; ties by sequence);
* ``wait_s`` / ``wait_bs`` — the sum of the waits of its events in calendar / business seconds
  (the waits of the step table; under ``status`` semantics the times in status), ``paused_s`` —
  the part of ``wait_s`` that is SLA-paused;
* ``handoffs`` — changes of team (else agent) between consecutive events (null without either).

``steps.parquet`` — one row per event: ``case_id``, ``source_row``, ``activity``, ``timestamp``,
``edge_from``, ``edge_to``, ``wait_s``, ``wait_bs``, ``paused``, and ``team`` / ``agent`` when the
log has them (the step-interval table of :func:`cspm.analysis.intervals.step_intervals`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir

from cspm.analysis.intervals import resolve_semantics, sla_pause_activities, step_intervals
from cspm.config import Config, as_config
from cspm.core.calendar import BusinessCalendar
from cspm.core.expr import case_window
from cspm.core.log import ACTIVITY, AGENT, CASE, ROW, TEAM, TIMESTAMP, TicketLog
from cspm.mining.cases import case_table

__all__ = ["TicketTables", "step_table", "ticket_table", "write_ticket_tables"]


def step_table(log: TicketLog, config: Config | None = None) -> ir.Table:
    """One row per event with its wait (see the module docstring), on the log's engine."""
    cfg = as_config(config)
    iv = step_intervals(log, resolve_semantics(log, cfg, None), BusinessCalendar(cfg.calendar),
                        sla_pause_activities(log, cfg), keep=[])  # fmt: skip
    who = [c for c in (TEAM, AGENT) if c in iv.columns]
    return iv.select(CASE, ROW, ACTIVITY, TIMESTAMP, "edge_from", "edge_to", "wait_s", "wait_bs", "paused", *who)


def ticket_table(log: TicketLog, config: Config | None = None) -> ir.Table:
    """One row per ticket: the case table with the ticket's waits and handoffs (see the module
    docstring), on the log's engine."""
    cases = case_table(log)
    steps = step_table(log, config)
    waits = steps.group_by(CASE).aggregate(
        wait_s=steps.wait_s.sum(),
        wait_bs=steps.wait_bs.sum(),
        paused_s=ibis.ifelse(steps.paused, steps.wait_s, 0.0).sum(),
    )
    v = cases.group_by("variant_key").aggregate(n=cases.count())
    ranks = v.select("variant_key", variant=ibis.row_number().over(order_by=[ibis.desc(v.n), v.variant_key]) + 1)
    out = cases.join(ranks, "variant_key").join(waits, CASE, how="left")
    who = TEAM if log.has_team else AGENT if log.has_agent else None
    handoffs = None
    if who is not None:
        ev = log.events
        e = ev.mutate(_p=ev[who].lag().over(case_window()))
        changed = (e._p.notnull() & e[who].notnull() & (e[who] != e._p)).cast("int64")
        handoffs = e.group_by(CASE).aggregate(handoffs=changed.sum())
        out = out.join(handoffs, CASE, how="left")
    return out.select(
        CASE, "events", "start", "end",
        lead_time_s=out.lead_time, variant=out.variant.cast("int64"),
        wait_s=out.wait_s, wait_bs=out.wait_bs, paused_s=out.paused_s,
        handoffs=out.handoffs if handoffs is not None else ibis.null("int64"),
    )  # fmt: skip


PARTITION_ROWS = 5_000_000  # a table larger than this is written partitioned by month


@dataclass(frozen=True)
class TicketTables:
    """What :func:`write_ticket_tables` wrote: the two paths (files on DuckDB, folders of part
    files on Spark), their row counts, and which of them were written partitioned by month."""

    tickets: str
    steps: str
    ticket_rows: int
    step_rows: int
    partitioned: tuple[str, ...] = ()  # "tickets" and/or "steps": folders of month=YYYY-MM partitions
    partition_rows: int | None = PARTITION_ROWS  # the row count above which a table is partitioned


def write_ticket_tables(
    log: TicketLog, folder: str | Path, config: Config | None = None, partition_rows: int | None = PARTITION_ROWS
) -> TicketTables:
    """Write ``tickets.parquet`` and ``steps.parquet`` (see the module docstring) into ``folder``
    (a local folder, or on Spark any URI its file systems write, e.g. ``s3a://lake/cspm``), by the
    engine that holds the events; an existing output of the same name is replaced. A table of more
    than ``partition_rows`` rows is written partitioned by month (``None``: never)."""
    target = str(folder).rstrip("/")
    local = "://" not in target
    if local:
        Path(target).mkdir(parents=True, exist_ok=True)
    written, partitioned = [], []
    tables = (("tickets", ticket_table(log, config), "start"), ("steps", step_table(log, config), TIMESTAMP))
    for name, table, when in tables:
        path = f"{target}/{name}.parquet"
        if local and Path(path).is_dir():
            shutil.rmtree(path)
        elif local and Path(path).exists():
            Path(path).unlink()
        rows = int(table.count().to_pyarrow().as_py())
        options: dict[str, object] = {"mode": "overwrite"} if log.engine == "pyspark" else {}
        if partition_rows is not None and rows > partition_rows:
            table = table.mutate(month=table[when].strftime("%Y-%m"))
            options["partitionBy" if log.engine == "pyspark" else "partition_by"] = "month"
            partitioned.append(name)
        table.to_parquet(path, **options)
        written.append((path, rows))
    (tickets, ticket_rows), (steps, step_rows) = written
    return TicketTables(tickets, steps, ticket_rows, step_rows, tuple(partitioned), partition_rows)
