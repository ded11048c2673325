"""Recognise and parse timestamp columns on DuckDB: formats are detected per value family over the
whole column, mixed formats are reported, ambiguous day/month order is never guessed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cspm.errors import InputError
from cspm.i18n import gettext as _
from cspm.ingest.raw import lit, q

_TIME = r"( \d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"
_HMS = ["%H:%M:%S.%f", "%H:%M:%S", "%H:%M"]


def _with_times(date_fmt: str, ampm: bool = False) -> list[str]:
    fmts = [f"{date_fmt} {t}" for t in _HMS]
    if ampm:
        fmts = [f"{date_fmt} {t} %p" for t in ("%I:%M:%S", "%I:%M")] + fmts
    return fmts + [date_fmt]


@dataclass(frozen=True)
class _Family:
    key: str
    label: str
    pattern: str
    aware: bool = False


FAMILIES = [
    _Family(
        "iso_offset",
        "ISO 8601 with UTC offset",
        r"\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)",
        aware=True,
    ),
    _Family("iso", "ISO 8601 local time (yyyy-mm-dd hh:mm:ss)", r"\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"),
    _Family("ymd_slash", "yyyy/mm/dd hh:mm", r"\d{4}/\d{1,2}/\d{1,2}" + _TIME),
    _Family("dmy_dot", "dd.mm.yyyy hh:mm", r"\d{1,2}\.\d{1,2}\.\d{4}" + _TIME),
    _Family("slash", "dd/mm/yyyy or mm/dd/yyyy", r"\d{1,2}[/-]\d{1,2}[/-]\d{4}( \d{1,2}:\d{2}(:\d{2})?\s?([AaPp][Mm])?)?"),
    _Family("zh", "yyyy年m月d日 hh:mm", r"\d{4}年\d{1,2}月\d{1,2}日\s*(\d{1,2}:\d{2}(:\d{2})?)?"),
    _Family("epoch_ms", "epoch milliseconds", r"\d{12,13}", aware=True),
    _Family("epoch_s", "epoch seconds", r"\d{9,10}(\.\d+)?", aware=True),
]


@dataclass
class TimestampReport:
    """What was found in one timestamp column.

    ``with_offset``: values that carried a UTC offset (or ``Z``, or a typed TIMESTAMPTZ);
    ``epoch``: epoch seconds/milliseconds (instants, UTC by definition); ``without_offset``: local
    wall-clock values read in ``timezone``. Counts are over the column's recognised values.
    """

    column: str
    formats: dict[str, int] = field(default_factory=dict)
    dayfirst: bool | None = None
    dayfirst_inferred: bool = False
    warnings: list[str] = field(default_factory=list)
    source_type: str = "VARCHAR"
    timezone: str = "UTC"
    with_offset: int = 0
    epoch: int = 0
    without_offset: int = 0
    wall_sql: str | None = field(default=None, repr=False, compare=False)  # naive wall time (SQL) or None
    nonexistent: int = 0  # local times in a clock change's gap (see cspm.ingest.local_times)
    ambiguous: int = 0  # local times a clock change repeats


def _family_sql(fam: _Family, x: str, dayfirst: bool | None, tz: str) -> str:
    """SQL giving a TIMESTAMPTZ (or NULL) for a value of this family."""
    if fam.key == "iso_offset":
        return f"TRY_CAST({x} AS TIMESTAMPTZ)"
    if fam.key == "epoch_ms":
        return f"to_timestamp(TRY_CAST({x} AS DOUBLE) / 1000)"
    if fam.key == "epoch_s":
        return f"to_timestamp(TRY_CAST({x} AS DOUBLE))"
    return f"timezone({lit(tz)}, {_naive_sql(fam, x, dayfirst)})"


def _naive_sql(fam: _Family, x: str, dayfirst: bool | None) -> str:
    """SQL giving the wall-clock TIMESTAMP (or NULL) of a value of a family without offset."""
    if fam.key == "iso":
        naive = f"TRY_CAST({x} AS TIMESTAMP)"
    elif fam.key == "ymd_slash":
        naive = f"try_strptime({x}, {_fmt_list(_with_times('%Y/%m/%d'))})"
    elif fam.key == "dmy_dot":
        naive = f"try_strptime({x}, {_fmt_list(_with_times('%d.%m.%Y'))})"
    elif fam.key == "zh":
        iso = f"regexp_replace({x}, '(\\d{{4}})年(\\d{{1,2}})月(\\d{{1,2}})日\\s*', '\\1/\\2/\\3 ')"
        naive = f"try_strptime(trim({iso}), {_fmt_list(_with_times('%Y/%m/%d'))})"
    else:  # slash
        date_fmt = "%d/%m/%Y" if dayfirst else "%m/%d/%Y"
        naive = f"try_strptime(replace({x}, '-', '/'), {_fmt_list(_with_times(date_fmt, ampm=True))})"
    return naive


def _family_counts(raw: Any, table: str, col: str, x: str, families: list[_Family], *, sample: bool) -> tuple:
    """Non-empty values, matches per family, and slash dates with a day / a month above 12 (counted
    only when the slash family is among ``families``; else 0). The trimmed text is computed once."""
    v = "__v"
    counts = [f"count(*) FILTER (WHERE regexp_full_match({v}, {lit(f.pattern)}))" for f in families]
    if any(f.key == "slash" for f in families):
        slash = lit(next(f.pattern for f in FAMILIES if f.key == "slash"))
        first = f"TRY_CAST(regexp_extract({v}, '^(\\d{{1,2}})[/-]', 1) AS INT)"
        second = f"TRY_CAST(regexp_extract({v}, '^\\d{{1,2}}[/-](\\d{{1,2}})[/-]', 1) AS INT)"
        counts += [f"count(*) FILTER (WHERE regexp_full_match({v}, {slash}) AND {first} > 12)",
                   f"count(*) FILTER (WHERE regexp_full_match({v}, {slash}) AND {second} > 12)"]
    else:
        counts += ["0", "0"]
    source = f"(SELECT * FROM {table} LIMIT 10000)" if sample else table
    return raw.execute(
        f"SELECT count({col}) FILTER (WHERE {v} <> ''), {', '.join(counts)} "
        f"FROM (SELECT {col}, {x} AS {v} FROM {source})"
    ).fetchone()


def _fmt_list(fmts: list[str]) -> str:
    return "[" + ", ".join(lit(f) for f in fmts) + "]"


def parse_expression(
    raw: Any,
    table: str,
    column: str,
    *,
    timezone: str,
    dayfirst: bool | None,
    formats: list[str] | None,
    path: str,
    padded: bool = True,
) -> tuple[str, TimestampReport]:
    """An SQL expression turning ``column`` into TIMESTAMPTZ (NULL where unparsable), and what was found.

    ``padded``: whether a value may have leading or trailing spaces (see
    :func:`cspm.ingest.raw.padded_columns`); when not, the values are not trimmed first."""
    col = q(column)
    ctype = raw.execute(
        f"SELECT data_type FROM information_schema.columns WHERE table_name = {lit(table)} "
        f"AND column_name = {lit(column)}"
    ).fetchone()
    ctype = (ctype[0] if ctype else "VARCHAR").upper()
    report = TimestampReport(column, source_type=ctype, timezone=timezone)

    def non_null() -> int:
        return int(raw.execute(f"SELECT count({col}) FROM {table}").fetchone()[0])

    if ctype.startswith("TIMESTAMP WITH TIME ZONE"):
        report.formats["typed timestamp with time zone"] = -1
        report.with_offset = non_null()
        return col, report
    if ctype.startswith("TIMESTAMP") or ctype == "DATE":
        report.formats[f"typed {ctype.lower()} (local time {timezone})"] = -1
        report.without_offset = non_null()
        report.wall_sql = f"CAST({col} AS TIMESTAMP)"
        return f"timezone({lit(timezone)}, {report.wall_sql})", report
    if ctype in ("BIGINT", "INTEGER", "DOUBLE", "HUGEINT", "UBIGINT", "FLOAT") or ctype.startswith("DECIMAL"):
        mx, report.epoch = raw.execute(f"SELECT max(abs({col})), count({col}) FROM {table}").fetchone()
        if (mx or 0) >= 1e11:
            report.formats["epoch milliseconds"] = -1
            return f"to_timestamp({col} / 1000.0)", report
        report.formats["epoch seconds"] = -1
        return f"to_timestamp(CAST({col} AS DOUBLE))", report
    x = f"trim(CAST({col} AS VARCHAR))" if padded else f"CAST({col} AS VARCHAR)"
    if formats:
        aware = any("%z" in f or "%Z" in f for f in formats)
        parsed = f"try_strptime({x}, {_fmt_list(formats)})"
        report.formats["given: " + " | ".join(formats)] = -1
        if aware:
            report.with_offset = non_null()
        else:
            report.without_offset = non_null()
            report.wall_sql = parsed
        return (parsed if aware else f"timezone({lit(timezone)}, {parsed})"), report
    row = _family_counts(raw, table, col, x, FAMILIES, sample=True)
    sample_found = [f for f, c in zip(FAMILIES, row[1 : 1 + len(FAMILIES)], strict=True) if c]
    if len(sample_found) == 1 and sample_found[0].key != "slash":
        # the usual case: one format in the first rows; one regex over the whole column confirms it
        row = _family_counts(raw, table, col, x, sample_found, sample=False)
        if row[1] == row[0]:
            row = (row[0], *[row[1] if f is sample_found[0] else 0 for f in FAMILIES], 0, 0)
        else:
            row = _family_counts(raw, table, col, x, FAMILIES, sample=False)
    else:
        row = _family_counts(raw, table, col, x, FAMILIES, sample=False)
    nonnull, counts, day_gt, month_gt = row[0], row[1 : 1 + len(FAMILIES)], row[-2], row[-1]
    found = {f: c for f, c in zip(FAMILIES, counts, strict=True) if c}
    matched = sum(found.values())
    if nonnull == 0:
        raise InputError(
            _("has no timestamp values (every value is empty)."), path=path, column=column,
            expected=_("a date and time in every row"),
        )
    if matched < 0.5 * nonnull:
        examples = [
            r[0]
            for r in raw.execute(
                f"SELECT DISTINCT {x} FROM {table} WHERE {x} <> '' AND NOT ("
                + " OR ".join(f"regexp_full_match({x}, {lit(f.pattern)})" for f in FAMILIES)
                + ") LIMIT 3"
            ).fetchall()
        ]
        raise InputError(
            _("does not hold timestamps in a known format ({value:,} of {nonnull:,} values unrecognised, e.g. {names}).").format(value=nonnull - matched, nonnull=nonnull, names=', '.join(repr(e) for e in examples)),
            path=path,
            column=column,
            expected=_("ISO 8601, yyyy/mm/dd hh:mm, dd.mm.yyyy hh:mm, mm/dd/yyyy h:mm AM, yyyy年m月d日 hh:mm or epoch seconds/milliseconds"),
            hint=_("Give the format explicitly with timestamp_format='%d-%b-%Y %H:%M' (--timestamp-format)."),
        )
    fams = list(found)
    if any(f.key == "slash" for f in fams):
        if dayfirst is None:
            if day_gt and month_gt:
                raise InputError(
                    _("mixes day-first and month-first dates ({day_gt:,} values have a day > 12 first, {month_gt:,} have it second).").format(day_gt=day_gt, month_gt=month_gt),
                    path=path,
                    column=column,
                    expected=_("one date order in the whole column"),
                )
            if not day_gt and not month_gt:
                raise InputError(
                    _("has dates like 03/05/2024 that can be read day-first or month-first, and no value settles which."),
                    path=path,
                    column=column,
                    expected=_("an explicit date order"),
                    hint=_("Pass dayfirst=True or dayfirst=False (--dayfirst / --monthfirst)."),
                )
            dayfirst = bool(day_gt)
            report.dayfirst_inferred = True
        report.dayfirst = dayfirst
    for f in fams:
        report.formats[f.label] = found[f]
        if f.key == "iso_offset":
            report.with_offset += found[f]
        elif f.aware:
            report.epoch += found[f]
        else:
            report.without_offset += found[f]
    if len(fams) > 1:
        report.warnings.append(_("column '{column}' mixes timestamp formats: {formats}; each value was read with its own format.").format(
            column=column, formats=", ".join(_("{format} ({n} values)").format(format=f.label, n=f"{found[f]:,}") for f in fams)))
    if report.dayfirst_inferred:
        order = _("day-first (dd/mm/yyyy)") if dayfirst else _("month-first (mm/dd/yyyy)")
        report.warnings.append(_("column '{column}': slash dates read {order}, inferred from values > 12.").format(
            column=column, order=order))
    naive = [f for f in fams if not f.aware]
    if len(fams) == 1 and naive and found[fams[0]] == nonnull:
        report.wall_sql = _naive_sql(fams[0], x, dayfirst)
    elif naive:
        report.wall_sql = "(CASE " + " ".join(
            f"WHEN regexp_full_match({x}, {lit(f.pattern)}) THEN {_naive_sql(f, x, dayfirst)}" for f in naive
        ) + " ELSE NULL END)"
    if len(fams) == 1 and found[fams[0]] == nonnull:
        # every non-empty value is of the one family: parse without matching each value again (an
        # empty value gives NULL either way, as it does below)
        return f"({_family_sql(fams[0], x, dayfirst, timezone)})", report
    cases = " ".join(
        f"WHEN regexp_full_match({x}, {lit(f.pattern)}) THEN {_family_sql(f, x, dayfirst, timezone)}"
        for f in fams
    )
    return f"(CASE {cases} ELSE NULL END)", report
