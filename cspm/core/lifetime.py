"""How long a log's tables live on the process-wide DuckDB connection.

``cspm.read`` creates its event and rejects tables in the embedded DuckDB that every log of the
process shares. :func:`release_when_unused` ties each table to the Ibis table expression over it:
once no expression refers to it any more (the log, its filtered logs, its data-quality report and
every result holding an expression over the events are gone), the table is dropped, so a long
notebook session does not keep every log it ever read. :func:`close_tables` drops them at once
(``TicketLog.close()``): any later query over them fails with an error saying the log was closed.

A finalizer runs whenever the garbage collector does, which can be between a query and the fetch of
its result on the same DuckDB connection; a ``DROP`` run there replaces the result (the fetch returns
nothing). So the drops of cspm's tables and of Ibis's cached tables (``.cache()``) are queued and
run just before the backend's next query (:func:`defer_drops`).
"""

from __future__ import annotations

import atexit
import contextlib
import weakref
from collections.abc import Callable
from typing import Any

import ibis.expr.types as ir

__all__ = ["CLOSED_MESSAGE", "close_tables", "defer_drops", "owned_tables", "release_when_unused", "run_pending_drops"]

PREFIX = "cspm_"  # tables cspm made (cspm.core.engine.unique_name)
CLOSED_MESSAGE = "cspm: this log was closed (log.close()); its table {name} is gone — read the source again"
_tracked: dict[str, weakref.finalize] = {}
_pending: list[tuple[Any, Callable[..., None], tuple[Any, ...]]] = []  # (connection, drop, its arguments)


def _later(con: Any, drop: Callable[..., None], *args: Any) -> None:
    """What a finalizer does: queue ``drop(*args)`` until ``con``'s next query (at interpreter exit,
    when no query is pending, it runs at once)."""
    if getattr(weakref.finalize, "_shutdown", False):
        with contextlib.suppress(Exception):
            drop(*args)
        return
    _pending.append((con, drop, args))


def run_pending_drops(con: Any) -> None:
    """Run the drops queued for the DuckDB connection ``con`` (called before each of its queries)."""
    while True:
        found = next((i for i, item in enumerate(_pending) if item[0] is con), None)
        if found is None:
            return
        _, drop, args = _pending.pop(found)
        with contextlib.suppress(Exception):  # a table already gone
            drop(*args)


@atexit.register
def _run_all_pending_drops() -> None:
    """At exit no query is pending: the queued drops run (a file-backed DuckDB keeps no cspm table)."""
    for con in {id(item[0]): item[0] for item in _pending}.values():
        run_pending_drops(con)


def defer_drops(backend: Any) -> Any:
    """Make an Ibis DuckDB ``backend`` release cached tables (and run cspm's queued drops) just
    before its next query instead of inside the garbage collector. Idempotent; returns ``backend``."""
    if getattr(backend, "name", None) != "duckdb" or getattr(backend, "_cspm_defers_drops", False):
        return backend
    con = backend.con
    release_cached = backend._finalize_cached_table
    raw_sql = backend.raw_sql
    pre_execute = backend._run_pre_execute_hooks

    def finalize_cached_table(name: str) -> None:
        _later(con, release_cached, name)

    def raw_sql_after_drops(query: Any, **kwargs: Any) -> Any:
        run_pending_drops(con)
        return raw_sql(query, **kwargs)

    def pre_execute_after_drops(expr: Any) -> None:
        run_pending_drops(con)
        pre_execute(expr)

    backend._finalize_cached_table = finalize_cached_table
    backend.raw_sql = raw_sql_after_drops
    backend._run_pre_execute_hooks = pre_execute_after_drops
    backend._cspm_defers_drops = True
    return backend


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def owned_tables(*tables: ir.Table | None) -> list[Any]:
    """The DuckDB tables cspm made that the expressions ``tables`` read (``DatabaseTable`` ops)."""
    from ibis.expr.operations import DatabaseTable

    ops: dict[int, Any] = {}
    for table in tables:
        if table is None:
            continue
        for op in table.op().find(DatabaseTable):
            if op.name.startswith(PREFIX) and op.source.name == "duckdb":
                ops[id(op)] = op
    return list(ops.values())


def _drop(con: Any, name: str) -> None:
    _tracked.pop(name, None)
    for kind in ("TABLE", "VIEW"):  # a closed log's table is a view (close_tables)
        with contextlib.suppress(Exception):  # the other kind; a connection closed at interpreter exit
            con.execute(f"DROP {kind} IF EXISTS {_quote(name)}")


def release_when_unused(*tables: ir.Table | None) -> None:
    """Drop each DuckDB table cspm made under ``tables`` once no Ibis expression refers to it."""
    for op in owned_tables(*tables):
        if op.name not in _tracked:
            con = defer_drops(op.source).con
            _tracked[op.name] = weakref.finalize(op, _later, con, _drop, con, op.name)


def close_tables(*tables: ir.Table | None) -> int:
    """Drop the DuckDB tables cspm made under ``tables`` now; a query still over one of them then
    fails with :data:`CLOSED_MESSAGE` (a data-less view that raises, dropped with the last
    expression). The number of tables dropped."""
    from ibis.backends.sql.datatypes import DuckDBType

    closed = 0
    for op in owned_tables(*tables):
        con, name = op.source.con, _quote(op.name)
        if not con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [op.name]
        ).fetchone()[0]:
            continue
        con.execute(f"DROP TABLE {name}")
        message = "'" + CLOSED_MESSAGE.format(name=op.name).replace("'", "''") + "'"
        columns = ", ".join(
            f"CAST(error({message}) AS {DuckDBType.to_string(dtype)}) "
            f"AS {_quote(col)}"
            for col, dtype in op.schema.items()
        )
        con.execute(f"CREATE VIEW {name} AS SELECT {columns} FROM range(1) WHERE error({message}) IS NULL")
        if op.name not in _tracked:
            _tracked[op.name] = weakref.finalize(op, _later, con, _drop, con, op.name)
        closed += 1
    return closed

