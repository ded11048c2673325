"""How long a log's tables live on the process-wide DuckDB connection.

``cspm.read`` creates its event and rejects tables in the embedded DuckDB that every log of the
process shares. :func:`release_when_unused` ties each table to the Ibis table expression over it:
once no expression refers to it any more (the log, its filtered logs, its data-quality report and
every result holding an expression over the events are gone), the table is dropped, so a long
notebook session does not keep every log it ever read. :func:`close_tables` drops them at once
(``TicketLog.close()``): any later query over them fails with an error saying the log was closed.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import Any

import ibis.expr.types as ir

__all__ = ["CLOSED_MESSAGE", "close_tables", "owned_tables", "release_when_unused"]

PREFIX = "cspm_"  # tables cspm made (cspm.core.engine.unique_name)
CLOSED_MESSAGE = "cspm: this log was closed (log.close()); its table {name} is gone — read the source again"
_tracked: dict[str, weakref.finalize] = {}


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
            _tracked[op.name] = weakref.finalize(op, _drop, op.source.con, op.name)


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
            _tracked[op.name] = weakref.finalize(op, _drop, con, op.name)
        closed += 1
    return closed

