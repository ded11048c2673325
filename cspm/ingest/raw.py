"""The raw source: a source's rows loaded into DuckDB as they are, before roles and timestamps.

Every loader (:mod:`cspm.ingest.sources`, :mod:`cspm.ingest.xes`) returns a :class:`RawSource`: a
raw table with the source's columns as text plus :data:`ROWCOL` (the 1-based data row); rows a
loader cannot take go to the rejects table (:data:`REJECTS_DDL`) with their row. ``q`` and ``lit``
quote identifiers and literals in the DuckDB SQL of the ingest modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["LINECOL", "REJECTS_DDL", "ROWCOL", "RawSource", "lit", "padded_columns", "q", "source_names"]

ROWCOL = "__row"
"""Column of the raw table holding the 1-based data row of the source (header excluded)."""
LINECOL = "__line"
"""Column of the raw table holding a row's physical file line, when it is not the row + 1."""
REJECTS_DDL = (
    "CREATE TABLE {name} (source_row BIGINT, line BIGINT, \"column\" VARCHAR, reason VARCHAR, "
    "value VARCHAR)"
)
"""The rejects table: data row, file line (CSV only), column, reason and raw value of each row."""


@dataclass
class RawSource:
    """A source loaded into the raw table ``table`` (``rows_in`` rows, ``columns`` in file order)."""

    table: str
    columns: list[str]
    path: str
    kind: str
    rows_in: int
    info: dict[str, Any] = field(default_factory=dict)
    has_lines: bool = False  # the source has file lines (CSV): errors name them
    drop: list[str] = field(default_factory=list)  # SQL that frees the raw data afterwards
    line_column: str | None = None  # the column of physical lines (else line = row + 1)

    def __post_init__(self) -> None:
        if not self.drop:
            self.drop = [f"DROP TABLE IF EXISTS {self.table}"]


def q(name: str) -> str:
    """Quote an identifier for DuckDB SQL."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote a string literal for DuckDB SQL."""
    return "'" + value.replace("'", "''") + "'"


def padded_columns(raw: Any, table: str, columns: list[str]) -> set[str]:
    """The ``columns`` of the raw table whose text may need trimming: every one that is not VARCHAR,
    and the VARCHAR ones with at least one value that DuckDB's ``trim`` changes (a leading or
    trailing space character, Unicode category Zs). One scan; ``trim`` is only evaluated on the
    values that start or end with a space or have a non-ASCII character. Reading the others without
    ``trim`` gives the same values, faster (``trim`` is most of the cost of parsing a text table)."""
    if not columns:
        return set()
    types = dict(raw.execute(f"SELECT column_name, data_type FROM information_schema.columns "
                             f"WHERE table_name = {lit(table)}").fetchall())  # fmt: skip
    text = [c for c in dict.fromkeys(columns) if str(types.get(c, "")).upper() == "VARCHAR"]
    out = {c for c in columns if c not in text}
    if text:
        probes = ", ".join(
            # CASE, not AND: DuckDB then evaluates trim only on the rows passing the cheap test
            f"bool_or(CASE WHEN prefix({q(c)}, ' ') OR suffix({q(c)}, ' ') OR strlen({q(c)}) <> length({q(c)}) "
            f"THEN {q(c)} <> trim({q(c)}) ELSE false END)"
            for c in text
        )
        flags = raw.execute(f"SELECT {probes} FROM {table}").fetchone()
        out |= {c for c, padded in zip(text, flags, strict=True) if padded}
    return out


def source_names(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """The source's column names as raw-table columns, and the ones renamed (old → new).

    An empty name becomes ``column_N`` (N = its 1-based position); a name starting with ``__`` (the
    prefix of cspm's internal columns, e.g. :data:`ROWCOL`) gets ``attr`` in front
    (``__row`` → ``attr__row``); a repeated name gets a suffix (``_2``, ``_3``, …)."""
    out: list[str] = []
    renamed: dict[str, str] = {}
    for i, name in enumerate(names):
        base = name.strip() or f"column_{i + 1}"
        if base.startswith("__"):
            base = "attr" + base
        candidate, n = base, 1
        while candidate in out:
            n += 1
            candidate = f"{base}_{n}"
        out.append(candidate)
        if candidate != name:
            renamed[name] = candidate
    return out, renamed
