"""Recognise and parse timestamp columns on any engine (Ibis): the formats of
:mod:`cspm.ingest.timestamps` (the same families, the same time-zone and day/month rules, the same
report), read by taking each value apart with a regular expression into year, month, day, hour,
minute, second, fraction, AM/PM and UTC offset.

Used when a log is read on Spark or in a SQL database; the only engine-specific step is reading a
wall-clock time in a time zone (:func:`cspm.core.engine.wall_to_utc`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from cspm.core.engine import from_epoch, wall_to_utc
from cspm.errors import InputError
from cspm.i18n import gettext as _
from cspm.ingest.timestamps import FAMILIES, TimestampReport

__all__ = ["parse_column"]

_HMS = r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?"


@dataclass(frozen=True)
class _Parts:
    """How a family's values split: the pattern's groups holding year, month, day (1-based)."""

    pattern: str
    ymd: tuple[int, int, int]
    time: int | None = 4  # group of the hour (minute, second and fraction follow)
    ampm: int | None = None
    offset: int | None = None


_PARTS = {
    "iso_offset": _Parts(
        r"^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)$",
        (1, 2, 3), offset=8,
    ),
    "iso": _Parts(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _HMS + "$", (1, 2, 3)),
    "ymd_slash": _Parts(r"^(\d{4})/(\d{1,2})/(\d{1,2})" + _HMS.replace("[T ]", " ") + "$", (1, 2, 3)),
    "dmy_dot": _Parts(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})" + _HMS.replace("[T ]", " ") + "$", (3, 2, 1)),
    "slash": _Parts(
        r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?()\s?([AaPp][Mm])?)?$",
        (3, 1, 2), ampm=8,
    ),
    "zh": _Parts(r"^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2}):(\d{2})(?::(\d{2}))?())?$", (1, 2, 3)),
}  # fmt: skip
_EPOCH = {"epoch_ms": 1000.0, "epoch_s": 1.0}


def _group(x: ir.StringValue, pattern: str, index: int) -> ir.StringValue:
    """Group ``index`` of the match, NULL when it took no text (engines differ: '' or NULL)."""
    return x.re_extract(pattern, index).nullif("")


def _number(x: ir.StringValue, pattern: str, index: int | None, default: int = 0) -> ir.IntegerValue:
    if index is None:
        return ibis.literal(default, "int64")
    return _group(x, pattern, index).cast("int64").coalesce(default)


def _epoch_of(x: ir.StringValue, key: str, dayfirst: bool | None, zone: str, backend: Any) -> ir.FloatingValue:
    """Seconds since the epoch (UTC) of a value of family ``key``."""
    if key in _EPOCH:
        return x.cast("float64") / _EPOCH[key]
    parts = _PARTS[key]
    p = parts.pattern
    y, mo, d = parts.ymd
    if key == "slash" and dayfirst:
        mo, d = d, mo
    hour = _number(x, p, parts.time)
    if parts.ampm is not None:
        pm = _group(x, p, parts.ampm).upper()
        hour = ibis.cases((pm == "PM", hour % 12 + 12), (pm == "AM", hour % 12), else_=hour)
    fields = [_number(x, p, i) for i in (y, mo, d)]
    minute = _number(x, p, parts.time + 1 if parts.time else None)
    second = _number(x, p, parts.time + 2 if parts.time else None)
    valid = (
        fields[1].between(1, 12) & fields[2].between(1, _days_in_month(fields[0], fields[1]))
        & hour.between(0, 23) & minute.between(0, 59) & second.between(0, 59)
    )  # fmt: skip
    wall_seconds = _days_from_civil(*fields) * 86400 + hour * 3600 + minute * 60 + second
    frac = _group(x, p, parts.time + 3).cast("float64").coalesce(0.0) if key in ("iso_offset", "iso", "ymd_slash", "dmy_dot") else 0.0
    if parts.offset is None:
        seconds = wall_to_utc(wall_seconds, zone, backend)
    else:
        off = _group(x, p, parts.offset)
        sign = ibis.ifelse(off.left(1) == "-", -1, 1)
        digits = off.re_replace(r"[^0-9]", "")
        # 'Z' has no digits: NULL, not a cast of '' (an error on Spark and PostgreSQL)
        minutes = digits.left(2).nullif("").cast("int64").coalesce(0) * 60 + digits.substr(2, 2).nullif("").cast("int64").coalesce(0)
        seconds = wall_seconds.cast("float64") - sign * minutes * 60
    return ibis.ifelse(valid, seconds + frac, ibis.null("float64"))


def _days_from_civil(y: ir.IntegerValue, m: ir.IntegerValue, d: ir.IntegerValue) -> ir.IntegerValue:
    """Days since 1970-01-01 of a proleptic Gregorian date (integer arithmetic, H. Hinnant's
    algorithm), for years from 0: no engine-specific date constructor needed."""
    y2 = y - ibis.ifelse(m <= 2, 1, 0)
    era = y2 // 400
    yoe = y2 - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _days_in_month(y: ir.IntegerValue, m: ir.IntegerValue) -> ir.IntegerValue:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    return ibis.cases((m == 2, ibis.ifelse(leap, 29, 28)), (m.isin([4, 6, 9, 11]), 30), else_=31)




def parse_column(
    table: ir.Table,
    column: str,
    *,
    timezone: str,
    dayfirst: bool | None,
    formats: list[str] | None,
    path: str,
) -> tuple[ir.TimestampValue, TimestampReport]:
    """An expression turning ``column`` of ``table`` into a UTC timestamp (NULL where unparsable),
    and what was found — the same report and errors as :func:`cspm.ingest.timestamps.parse_expression`."""
    backend = table._find_backend()
    col = table[column]
    ctype = col.type()
    report = TimestampReport(column, source_type=str(ctype).upper(), timezone=timezone)

    def non_null() -> int:
        return int(col.count().to_pyarrow().as_py())

    if ctype.is_timestamp() or ctype.is_date():
        if ctype.is_timestamp() and ctype.timezone is not None:
            report.formats["typed timestamp with time zone"] = -1
            report.with_offset = non_null()
            return col.cast("timestamp('UTC')"), report
        label = "timestamp" if ctype.is_timestamp() else "date"
        report.formats[f"typed {label} (local time {timezone})"] = -1
        report.without_offset = non_null()
        wall = col.cast("timestamp").epoch_seconds()
        return from_epoch(wall_to_utc(wall, timezone, backend), backend), report
    if ctype.is_numeric():
        mx, report.epoch = (
            table.aggregate(mx=col.abs().max(), n=col.count()).to_pyarrow().to_pylist()[0].values()
        )
        unit = "epoch milliseconds" if (mx or 0) >= 1e11 else "epoch seconds"
        report.formats[unit] = -1
        return from_epoch(col.cast("float64") / (1000.0 if unit == "epoch milliseconds" else 1.0), backend), report
    if formats:
        raise InputError(
            _("an explicit timestamp format ({names}) is read on DuckDB only.").format(names=' | '.join(formats)),
            path=path,
            column=column,
            expected=_("timestamps in one of the detected formats, or the DuckDB engine"),
            hint=_("Leave out --timestamp-format / timestamp_format= (the formats are detected), or use --engine duckdb."),
        )
    x = col.cast("string").strip()
    slash = next(f for f in FAMILIES if f.key == "slash")
    first = x.re_extract(r"^(\d{1,2})[/-]", 1).nullif("").cast("int64")
    second = x.re_extract(r"^\d{1,2}[/-](\d{1,2})[/-]", 1).nullif("").cast("int64")
    is_slash = x.re_search(f"^(?:{slash.pattern})$")
    row = table.aggregate(
        nonnull=(x != "").sum(),
        **{f.key: x.re_search(f"^(?:{f.pattern})$").sum() for f in FAMILIES},
        day_gt=(is_slash & (first > 12)).sum(),
        month_gt=(is_slash & (second > 12)).sum(),
    ).to_pyarrow().to_pylist()[0]
    nonnull = int(row["nonnull"] or 0)
    found = {f: int(row[f.key] or 0) for f in FAMILIES if row[f.key]}
    matched = sum(found.values())
    if nonnull == 0:
        raise InputError(
            _("has no timestamp values (every value is empty)."), path=path, column=column,
            expected=_("a date and time in every row"),
        )  # fmt: skip
    if matched < 0.5 * nonnull:
        known = ibis.or_(*(x.re_search(f"^(?:{f.pattern})$") for f in FAMILIES))
        odd = table.filter((x != "") & ~known).select(v=x).distinct().limit(3).to_pyarrow()
        examples = ", ".join(repr(v) for v in odd.column("v").to_pylist())
        raise InputError(
            _("does not hold timestamps in a known format ({value:,} of {nonnull:,} values unrecognised, e.g. {examples}).").format(value=nonnull - matched, nonnull=nonnull, examples=examples),
            path=path,
            column=column,
            expected=_("ISO 8601, yyyy/mm/dd hh:mm, dd.mm.yyyy hh:mm, mm/dd/yyyy h:mm AM, yyyy年m月d日 hh:mm or epoch seconds/milliseconds"),
        )
    dayfirst = _slash_order(report, found, dayfirst, int(row["day_gt"] or 0), int(row["month_gt"] or 0), path, column)
    for fam, n in found.items():
        report.formats[fam.label] = n
        if fam.key == "iso_offset":
            report.with_offset += n
        elif fam.aware:
            report.epoch += n
        else:
            report.without_offset += n
    if len(found) > 1:
        report.warnings.append(
            f"column '{column}' mixes timestamp formats: "
            + ", ".join(f"{f.label} ({n:,} values)" for f, n in found.items())
            + "; each value was read with its own format."
        )
    if report.dayfirst_inferred:
        order = "day-first (dd/mm/yyyy)" if dayfirst else "month-first (mm/dd/yyyy)"
        report.warnings.append(f"column '{column}': slash dates read {order}, inferred from values > 12.")
    branches = [
        (x.re_search(f"^(?:{f.pattern})$"), _epoch_of(x, f.key, dayfirst, timezone, backend)) for f in found
    ]
    return from_epoch(ibis.cases(*branches, else_=ibis.null("float64")), backend), report


def _slash_order(
    report: TimestampReport, found: dict[Any, int], dayfirst: bool | None, day_gt: int, month_gt: int, path: str,
    column: str,
) -> bool | None:
    """Day-first or month-first for slash dates: given, or settled by values above 12 (never guessed)."""
    if not any(f.key == "slash" for f in found):
        return dayfirst
    if dayfirst is None:
        if day_gt and month_gt:
            raise InputError(
                _("mixes day-first and month-first dates ({day_gt:,} values have a day > 12 first, {month_gt:,} have it second).").format(day_gt=day_gt, month_gt=month_gt),
                path=path, column=column, expected=_("one date order in the whole column"),
            )  # fmt: skip
        if not day_gt and not month_gt:
            raise InputError(
                _("has dates like 03/05/2024 that can be read day-first or month-first, and no value settles which."),
                path=path, column=column, expected=_("an explicit date order"),
                hint=_("Pass dayfirst=True or dayfirst=False (--dayfirst / --monthfirst)."),
            )  # fmt: skip
        dayfirst = bool(day_gt)
        report.dayfirst_inferred = True
    report.dayfirst = dayfirst
    return dayfirst
