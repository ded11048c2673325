"""Local wall-clock times that a clock change skips or repeats.

A naive timestamp read in a time zone with daylight saving time can name a wall time that never
happened (spring forward: ``2024-03-31 02:30`` in Europe/Berlin) or one that happened twice (fall
back: ``2024-10-27 02:30``). DuckDB reads the first shifted forward by the gap (03:30 CEST) and the
second as one of its two instants; cspm keeps both kinds of rows as DuckDB reads them and says so in
the data-quality warnings, with the count and the first rows.

``nonexistent``: kept values whose wall time, converted to an instant and back, is not the wall time
read; ``ambiguous``: kept values whose wall time is also shown by an instant 30 minutes, 1 hour or
2 hours (the DST shifts in use) before or after the instant chosen.
"""

from __future__ import annotations

from typing import Any

from cspm.core.engine import unique_name
from cspm.i18n import gettext as _
from cspm.ingest.raw import ROWCOL, lit, q
from cspm.ingest.timestamps import TimestampReport

FIRST_ROWS = 3  # rows quoted per warning
_SHIFTS = ("30 minutes", "1 hour", "2 hours")
_NO_DST = {"UTC", "Etc/UTC", "GMT", "Etc/GMT", "Zulu", "Universal"}


def check_local_times(raw: Any, source: str, events: str, kept_row: str, report: TimestampReport) -> None:
    """Count the kept values of ``report.column`` (in the raw table ``source``; kept rows are the
    ``kept_row`` values of the table ``events``) that a clock change of ``report.timezone`` skips or
    repeats; set ``report.nonexistent`` / ``report.ambiguous`` and add a warning for each kind."""
    tz = report.timezone
    if report.wall_sql is None or not report.without_offset or tz in _NO_DST:
        return
    zone = lit(tz)
    fold = " OR ".join(
        f"timezone({zone}, u {sign} INTERVAL {shift}) = w" for shift in _SHIFTS for sign in ("-", "+")
    )
    later = " OR ".join(f"timezone({zone}, u - INTERVAL {shift}) = w" for shift in _SHIFTS)
    found = unique_name("local_times")
    raw.execute(
        f"CREATE TEMP TABLE {found} AS SELECT r, v, w, u, timezone({zone}, u) <> w AS gap, "
        f"timezone({zone}, u) = w AND ({fold}) AS fold, ({later}) AS later FROM ("
        f"SELECT r, v, w, timezone({zone}, w) AS u FROM (SELECT {ROWCOL} AS r, "
        f"trim(CAST({q(report.column)} AS VARCHAR)) AS v, {report.wall_sql} AS w FROM {source} "
        f"WHERE {ROWCOL} IN (SELECT {kept_row} FROM {events})) WHERE w IS NOT NULL) WHERE u IS NOT NULL"
    )
    try:
        gap, repeated = raw.execute(
            f"SELECT count(*) FILTER (WHERE gap), count(*) FILTER (WHERE fold) FROM {found}"
        ).fetchone()
        report.nonexistent, report.ambiguous = int(gap), int(repeated)
        if gap:
            rows = raw.execute(
                f"SELECT r, v, strftime(timezone({zone}, u), '%Y-%m-%d %H:%M:%S') FROM {found} "
                f"WHERE gap ORDER BY r LIMIT {FIRST_ROWS}"
            ).fetchall()
            report.warnings.append(_(
                "column '{column}': {n} local times do not exist in {zone} (a clock change skips them); "
                "kept, shifted forward by the gap as DuckDB reads them: {rows}."
            ).format(column=report.column, n=f"{gap:,}", zone=tz, rows=_rows(rows, gap)))
        if repeated:
            rows = raw.execute(
                f"SELECT r, v, strftime(timezone('UTC', u), '%Y-%m-%d %H:%M:%S') || ' UTC', later "
                f"FROM {found} WHERE fold ORDER BY r LIMIT {FIRST_ROWS}"
            ).fetchall()
            n_later = raw.execute(f"SELECT count(*) FROM {found} WHERE fold AND later").fetchone()[0]
            which = (
                _("the later of their two instants") if n_later == repeated
                else _("the earlier of their two instants") if n_later == 0
                else _("one of their two instants")
            )
            report.warnings.append(_(
                "column '{column}': {n} local times occur twice in {zone} (a clock change repeats them); "
                "kept, read as {which}: {rows}."
            ).format(column=report.column, n=f"{repeated:,}", zone=tz, which=which,
                     rows=_rows([r[:3] for r in rows], repeated)))  # fmt: skip
    finally:
        raw.execute(f"DROP TABLE IF EXISTS {found}")


def _rows(rows: list[tuple], total: int) -> str:
    """``row 3 '2024-03-31 02:30' → 2024-03-31 03:30:00``, the first few, and how many more."""
    text = "; ".join(_("row {row} '{value}' → {read}").format(row=r, value=v, read=t) for r, v, t in rows)
    if total > len(rows):
        text += " " + _("(first {n} rows)").format(n=len(rows))
    return text
