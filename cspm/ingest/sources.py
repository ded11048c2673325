"""Load a source (CSV/TSV, XLSX, Parquet, XES, DataFrame) into a raw DuckDB table, nothing dropped.

The raw table has the source's columns as they are plus ``__row`` (1-based data row). Rows the
reader cannot take (wrong number of fields, invalid text) go to the rejects table with their row.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import gzip
import os
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from cspm.core.engine import unique_name
from cspm.errors import InputError
from cspm.i18n import gettext as _
from cspm.ingest.raw import LINECOL, ROWCOL, RawSource, lit, source_names
from cspm.ingest.xes import load_xes

_DELIMS = [",", ";", "\t", "|"]
MAX_COLUMNS = 1_000
"""Most columns a source may have (a size guard: wider tables are refused with an error)."""
_TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab", ".dat"}


# --------------------------------------------------------------------------------------------
def load_source(
    raw: Any,
    source: Any,
    rejects: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
) -> RawSource:
    """Dispatch on the source's type and content."""
    if _is_dataframe(source):
        return _load_dataframe(raw, source)
    path = Path(source)
    if not path.exists():
        raise InputError(_("no such file."), path=path, expected=_("a path to a CSV, XLSX, Parquet or XES file"))
    if path.is_dir():
        raise InputError(_("is a folder, not a file."), path=path, expected=_("a path to a log file"))
    if path.stat().st_size == 0:
        raise InputError(_("the file is empty (0 bytes)."), path=path, expected=_("a header row and events"))
    head = _head(path)
    kind = _sniff_kind(path, head)
    if kind == "parquet":
        return _load_parquet(raw, path)
    if kind == "xlsx":
        return _load_xlsx(raw, path, rejects, sheet)
    if kind == "xes":
        return load_xes(raw, path)
    return _load_csv(raw, path, rejects, head, encoding=encoding, delimiter=delimiter)


def _is_dataframe(obj: Any) -> bool:
    mod = type(obj).__module__
    return mod.startswith("pandas") or mod.startswith("polars") or isinstance(obj, pa.Table)


def _head(path: Path, size: int = 65536) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(size)
    if data[:2] == b"\x1f\x8b":
        check_gzip(path)
        with gzip.open(path, "rb") as fh:
            return b"GZ" + fh.read(size)
    return data


def check_gzip(path: Path) -> None:
    """Decompress the whole gzip file once (streaming): a truncated or corrupt file is an error
    naming it, before any reader sees it."""
    try:
        with gzip.open(path, "rb") as fh:
            while fh.read(1 << 20):
                pass
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(_("is a damaged or truncated gzip file ({exc}).").format(exc=exc), path=path,
                         expected=_("a complete gzip file")) from None  # fmt: skip


def _sniff_kind(path: Path, head: bytes) -> str:
    name = path.name.lower()
    body = head[2:] if head.startswith(b"GZ") else head
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"  # a zip container: XLSX/ODS (calamine tells if it is not)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xlsx"  # legacy .xls (calamine reads it)
    if name.endswith((".xes", ".xes.gz")) or (
        body.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<") and b"<log" in body[:4096]
    ):
        return "xes"
    if name.endswith(".parquet"):
        raise InputError(_("is not a Parquet file (no PAR1 magic bytes)."), path=path)
    if body.lstrip(b"\xef\xbb\xbf \r\n\t").startswith((b"<?xml", b"<")):
        raise InputError(
            _("looks like XML or HTML, not a table."),
            path=path,
            expected=_("a CSV/TSV with a header row, or an XES log (root element <log>)"),
        )
    if body.lstrip().startswith((b"{", b"[")):
        raise InputError(
            _("looks like JSON, not a table."), path=path, expected=_("a CSV/TSV with a header row")
        )
    if b"\x00" in body and not body.startswith((b"\xff\xfe", b"\xfe\xff")) and utf16_without_bom(body) is None:
        raise InputError(
            _("is a binary file, not a text table."),
            path=path,
            expected=_("a CSV/TSV text file, XLSX, Parquet or XES"),
        )
    return "csv"


# --------------------------------------------------------------------------------------------
def detect_encoding(path: Path, head: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or a legacy encoding such as GB18030."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if (bomless := utf16_without_bom(head)) is not None:
        return bomless
    if _decodes(path, "utf-8"):
        return "utf-8"
    if _decodes(path, "gb18030"):
        return "gb18030"
    from charset_normalizer import from_path

    best = from_path(str(path)).best()
    if best is not None and best.encoding:
        return best.encoding
    raise InputError(
        _("its text encoding could not be recognised."),
        path=path,
        expected=_("UTF-8, UTF-8 with BOM, UTF-16 or GB18030/GBK text"),
        hint=_("Pass the encoding explicitly, e.g. encoding='gb18030' or --encoding gb18030."),
    )


def sniff_encoding(path: Path, head: bytes) -> tuple[str, list[str]]:
    """The encoding of a text file (:func:`detect_encoding`) and, when it is a legacy encoding, the
    warning that shows the evidence (the first bytes that are not UTF-8)."""
    encoding = detect_encoding(path, head)
    if codecs.lookup(encoding).name not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be") and (
        bad := _first_invalid_utf8(path)
    ):
        return encoding, [
            _("the file is not valid UTF-8 (line {line}: bytes {bytes}), so it was read as {encoding}; "
              "if it is UTF-8 with a few bad bytes, read it with --encoding utf-8 (encoding='utf-8').").format(
                line=bad[0], bytes=repr(bad[1]), encoding=encoding)
        ]  # fmt: skip
    return encoding, []


def utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le`` / ``utf-16-be`` when the text is UTF-16 without a byte-order mark: most bytes
    at odd (LE) or even (BE) positions are NUL, as in ASCII-range text."""
    sample = head[:4096]
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    even = sum(1 for i in range(0, 2 * pairs, 2) if sample[i] == 0)
    odd = sum(1 for i in range(1, 2 * pairs, 2) if sample[i] == 0)
    if odd >= 0.6 * pairs and even <= 0.1 * pairs:
        return "utf-16-le"
    if even >= 0.6 * pairs and odd <= 0.1 * pairs:
        return "utf-16-be"
    return None


def _first_invalid_utf8(path: Path) -> tuple[int, bytes] | None:
    """The line and bytes of the first invalid UTF-8 sequence of the file, if any (the evidence of
    a legacy encoding, shown in the quality report)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + chunk[: exc.start].count(b"\n"), chunk[exc.start : exc.start + 8]
            line += chunk.count(b"\n")
    return None


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    ascii_safe = codecs.lookup(encoding).name in ("utf-8", "gb18030")  # ASCII bytes are themselves in both
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            if ascii_safe and chunk.isascii() and not decoder.getstate()[0]:
                continue  # nothing pending from the chunk before: ASCII decodes as itself
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _transcode(path: Path, encoding: str) -> str:
    """Stream a non-UTF-8 file into a temporary UTF-8 copy that DuckDB can read."""
    fd, out = tempfile.mkstemp(prefix="cspm_utf8_", suffix=".csv")
    try:
        _transcode_into(path, encoding, fd)
    except BaseException:
        os.unlink(out)
        raise
    return out


def _transcode_into(path: Path, encoding: str, fd: int) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with open(path, "rb") as fh, os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
        while chunk := fh.read(1 << 20):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                good = chunk[: exc.start]
                line += good.count(b"\n")
                raise InputError(
                    _("cannot be decoded as {encoding} (byte {start} of a block: {reason}).").format(encoding=encoding, start=exc.start, reason=exc.reason),
                    path=path,
                    line=line,
                    expected=_("text in {encoding}").format(encoding=encoding),
                    hint=_("Pass the right encoding with encoding=… / --encoding."),
                ) from None
            line += chunk.count(b"\n")
            dst.write(text)
        try:
            dst.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError as exc:
            raise InputError(
                _("ends in the middle of a character in {encoding} ({reason}; e.g. an odd byte count in UTF-16).").format(encoding=encoding, reason=exc.reason),
                path=path,
                line=line,
                expected=_("complete text in {encoding}").format(encoding=encoding),
                hint=_("Pass the right encoding with encoding=… / --encoding."),
            ) from None


def _first_lines(path: str, n: int = 50) -> list[str]:
    lines = []
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as fh:  # type: ignore[operator]
        for _ in range(n):
            line = fh.readline()
            if not line:
                break
            lines.append(line.rstrip("\r\n"))
    return lines


def _guess_delimiter(lines: list[str]) -> str | None:
    """The delimiter that splits the header and the first lines into the same number of fields."""
    best, best_score = None, 0
    for d in _DELIMS:
        counts = [line.count(d) for line in lines if line.strip()]
        if not counts or counts[0] == 0:
            continue
        consistent = sum(1 for c in counts if c == counts[0]) / len(counts)
        score = consistent * 100 + counts[0]
        if score > best_score:
            best, best_score = d, score
    return best


def _load_csv(
    raw: Any,
    path: Path,
    rejects: str,
    head: bytes,
    *,
    encoding: str | None,
    delimiter: str | None,
) -> RawSource:
    info: dict[str, Any] = {}
    gz = head.startswith(b"GZ")
    body = head[2:] if gz else head
    if encoding is None:
        encoding, warnings = ("utf-8", []) if gz else sniff_encoding(path, body)
        if warnings:
            info["warnings"] = warnings
    else:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(_("unknown encoding {encoding!r}.").format(encoding=encoding), path=path) from None
    info["encoding"] = encoding
    read_path = str(path)
    if not gz and codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
        read_path = _transcode(path, encoding)
    try:
        return _load_text(raw, path, read_path, rejects, info, delimiter)
    finally:
        if read_path != str(path):
            os.unlink(read_path)


def _load_text(
    raw: Any, path: Path, read_path: str, rejects: str, info: dict[str, Any], delimiter: str | None
) -> RawSource:
    """Load the UTF-8 text file ``read_path`` (``path`` itself, or its transcoded copy)."""
    lines = _first_lines(read_path)
    if not lines or not lines[0].strip():
        raise InputError(_("has no header row (the first line is empty)."), path=path, line=1)
    header_line = lines[0].lstrip("\ufeff")
    if "\x00" in header_line:
        raise InputError(
            _("cannot be decoded as {encoding}: its header has NUL bytes.").format(encoding=info['encoding']),
            path=path,
            line=1,
            expected=_("text in the given encoding"),
            hint=_("Is it UTF-16 without a byte-order mark? Leave the encoding out to detect it, or pass --encoding utf-16-le / utf-16-be."),
        )
    guessed = _guess_delimiter(lines)
    if guessed and header_line.count(guessed) >= MAX_COLUMNS:  # before the sniffer reads a wide file
        raise InputError(
            _("has {value:,} columns; cspm reads at most {max_columns:,} (an event log has a few dozen).").format(value=header_line.count(guessed) + 1, max_columns=MAX_COLUMNS),
            path=path,
            line=1,
            expected=_("a header row naming the log's columns (wrong delimiter, or a wide export?)"),
            hint=_("Keep the columns you need (case id, activity, timestamps, attributes) and read that file."),
        )
    if delimiter is not None:
        if delimiter not in header_line and guessed and guessed != delimiter:
            raise InputError(
                _("the header has no {delimiter!r} but splits on {guessed!r}: {value!r}.").format(delimiter=delimiter, guessed=guessed, value=header_line[:120]),
                path=path,
                line=1,
                expected=_("fields separated by {delimiter!r}").format(delimiter=delimiter),
                hint=_("Use delimiter={guessed!r} (or --delimiter {guessed!r}), or leave it out to detect it.").format(guessed=guessed),
            )
        delim = delimiter
    else:
        delim = _sniffed_delimiter(raw, read_path) or guessed
    if delim is None or delim not in header_line:
        if len(lines) < 2:
            raise InputError(
                _("has a header but no data rows."), path=path, expected=_("a header row and events")
            )
        raise InputError(
            _("is not a delimited table: its header {value!r} has no ',', ';', tab or '|'.").format(value=header_line[:120]),
            path=path,
            line=1,
            expected=_("a header row of column names separated by a delimiter"),
        )
    info["delimiter"] = delim
    header = next(csv.reader([header_line], delimiter=delim, quotechar='"'))
    columns, renamed = source_names([h.strip() for h in header])
    if renamed:
        info["renamed columns"] = renamed
    if len(columns) > MAX_COLUMNS:
        raise InputError(
            _("has {n:,} columns; cspm reads at most {max_columns:,} (an event log has a few dozen).").format(n=len(columns), max_columns=MAX_COLUMNS),
            path=path,
            line=1,
            expected=_("a header row naming the log's columns (wrong delimiter, or a wide export?)"),
            hint=_("Keep the columns you need (case id, activity, timestamps, attributes) and read that file."),
        )
    facts = _line_facts(read_path, delim, len(columns))
    capped = _cap_wide_lines(read_path, delim, len(columns), facts)
    if capped is not None:
        info["rows with far too many fields"] = capped[1]
        try:
            return _read_table(raw, path, capped[0], rejects, info, delim, columns, facts)
        finally:
            os.unlink(capped[0])
    return _read_table(raw, path, read_path, rejects, info, delim, columns, facts)


_WIDE_LINE = 4096  # bytes: only lines this long are checked for extra fields
_EXTRA_FIELDS = 100  # fields beyond the header's that a line keeps before it is cut


@dataclass(frozen=True)
class _LineFacts:
    """What one pass over the file's bytes found: its physical lines, whether it has blank lines
    (then records and lines can differ), and whether a line has far too many fields."""

    lines: int
    blank: bool
    wide: bool


def _line_facts(read_path: str, delim: str, n_columns: int) -> _LineFacts:
    """One pass over the bytes, 1 MiB at a time (newlines found by numpy): lines, blank lines
    (``\\n\\n`` or ``\\n\\r\\n``), and whether a line of more than ``_WIDE_LINE`` bytes has more than
    ``_EXTRA_FIELDS`` fields beyond the header's (only when a line is that long are the lines read
    one by one)."""
    import numpy as np

    lines, blank, long, tail, run = 0, False, False, b"", 0  # run: bytes of the line going on
    with _open_text(read_path) as fh:
        while chunk := fh.read(1 << 20):
            buf = tail + chunk  # the previous chunk's last two bytes: a blank line across chunks
            data = np.frombuffer(buf, np.uint8)
            at = np.flatnonzero(data == 10)
            if not blank and len(at) > 1:
                gaps = np.diff(at)
                blank = bool((gaps == 1).any() or ((gaps == 2) & (data[at[:-1] + 1] == 13)).any())
            newlines = at[at >= len(tail)] - len(tail)
            lines += len(newlines)
            if not long:
                if len(newlines) == 0:
                    run += len(chunk)
                else:
                    longest = max(run + int(newlines[0]), int(np.diff(newlines).max(initial=0)) - 1)
                    run = len(chunk) - int(newlines[-1]) - 1
                    long = longest > _WIDE_LINE
                long = long or run > _WIDE_LINE
            tail = buf[-2:]
    lines += tail[-1:] not in (b"\n", b"")
    wide = False
    if long:
        limit, sep = n_columns + _EXTRA_FIELDS, delim.encode("utf-8")
        with _open_text(read_path) as fh:
            wide = any(len(line) > _WIDE_LINE and line.count(sep) > limit for line in fh)
    return _LineFacts(lines, blank, wide)


def _cap_wide_lines(read_path: str, delim: str, n_columns: int, facts: _LineFacts) -> tuple[str, int] | None:
    """A copy of the file in which each line with far more fields than the header (more than
    ``_EXTRA_FIELDS`` extra) is cut after them, and how many such lines there were; None when
    there are none (``facts.wide`` false). Such a row is rejected either way ("too many
    columns"); cutting it keeps the reader from storing one reject per extra field, each with a
    copy of the line (quadratic memory)."""
    if not facts.wide:
        return None
    opener = gzip.open if _is_gzip(read_path) else open
    limit = n_columns + _EXTRA_FIELDS
    sep = delim.encode("utf-8")
    fd, out = tempfile.mkstemp(prefix="cspm_capped_", suffix=".csv")
    cut = 0
    with opener(read_path, "rb") as fh, os.fdopen(fd, "wb") as dst:  # type: ignore[operator]
        for line in fh:
            if len(line) > _WIDE_LINE and line.count(sep) > limit:
                end = b"\r\n" if line.endswith(b"\r\n") else b"\n" if line.endswith(b"\n") else b""
                line = sep.join(line.split(sep, limit + 1)[: limit + 1]) + end
                cut += 1
            dst.write(line)
    return out, cut


def _is_gzip(path: str) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _read_table(
    raw: Any, path: Path, read_path: str, rejects: str, info: dict[str, Any], delim: str, columns: list[str],
    facts: _LineFacts,
) -> RawSource:  # fmt: skip
    """Read the text table into the raw table; malformed records go to the rejects table."""
    table = unique_name("raw")
    scan = unique_name("scan")
    spec = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in columns) + "}"
    opts = (
        f"auto_detect=false, header=false, skip=1, columns={spec}, delim={lit(delim)}, "
        f"quote='\"', escape='\"', store_rejects=true, rejects_table={lit(rejects + '_csv')}, "
        f"rejects_scan={lit(scan)}, strict_mode=true, max_line_size=10000000"
    )
    try:
        raw.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv({lit(read_path)}, {opts})"
        )
    except Exception as exc:  # duckdb.Error subclasses
        raise InputError(
            _("could not be parsed as a table with delimiter {delim!r}: {value}").format(delim=delim, value=str(exc).splitlines()[0]),
            path=path,
            expected=_("a delimited text table with a header row"),
        ) from None
    kept = raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    rej_rows = raw.execute(
        # one reject per line (its first problem), the line cut to 500 characters in the engine
        f"SELECT line, arg_min(line_byte_position, byte_position), arg_min(column_name, byte_position), "
        f"arg_min(error_type, byte_position), left(arg_min(csv_line, byte_position), 500) "
        f"FROM {rejects}_csv GROUP BY line ORDER BY line"
    ).fetchall()
    raw.execute(f"DROP TABLE IF EXISTS {rejects}_csv")
    raw.execute(f"DROP TABLE IF EXISTS {scan}")
    drop = [f"DROP TABLE IF EXISTS {table}"]
    total = kept + len(rej_rows)
    if total == 0:
        raise InputError(_("has a header but no data rows."), path=path, expected=_("a header row and events"))
    # Record number and physical line of each record. Without blank lines and multi-line fields the
    # record k is on line k + 1; otherwise the records' first lines are read from the file.
    starts = _record_lines(read_path, delim, total, facts)
    if starts is None:
        bad_rows = [(r[0] - 1, r[0], *r[2:]) for r in rej_rows]
    else:
        info["line numbers"] = "physical lines (the file has blank lines or multi-line fields)"
        physical = _lines_at(read_path, [r[1] for r in rej_rows])
        bad_rows = [(bisect.bisect_right(starts, ln), ln, *r[2:]) for ln, r in zip(physical, rej_rows, strict=True)]
    if kept == 0:
        row, line, _column, error_type, csv_line = bad_rows[0]
        quote = " (an unterminated quote swallows the lines after it)" if csv_line.count('"') % 2 else ""
        raise InputError(
            _("no record could be read: all {total:,} are malformed; the first is {value}{quote}: {value2!r}.").format(total=total, value=error_type.lower().replace('_', ' '), quote=quote, value2=csv_line[:80]),
            path=path,
            line=line,
            row=row,
            expected=_("records of {n} fields separated by {delim!r}, quotes closed").format(n=len(columns), delim=delim),
        )
    # row number: the k-th kept record is the k-th record number not among the rejected ones
    if bad_rows:
        bad = ",".join(str(r[0]) for r in bad_rows)
        raw.execute(
            f"CREATE TABLE {table}_n AS WITH k AS (SELECT *, rowid AS __k FROM {table}), "
            f"n AS (SELECT r AS __row, row_number() OVER (ORDER BY r) - 1 AS __k "
            f"FROM range(1, {total + 1}) t(r) WHERE r NOT IN ({bad})) "
            f"SELECT k.* EXCLUDE (__k), n.__row FROM k JOIN n USING (__k) ORDER BY __row"
        )
        raw.execute(f"DROP TABLE {table}")
        raw.execute(f"ALTER TABLE {table}_n RENAME TO {table}")
        for row, line, column, error_type, csv_line in bad_rows:
            reason = "malformed row: " + error_type.lower().replace("_", " ")
            raw.execute(f"INSERT INTO {rejects} VALUES (?, ?, ?, ?, ?)", [row, line, column, reason, csv_line or ""])
    else:
        # records come out of the reader in file order: the row number is the table's rowid + 1
        raw.execute(f"ALTER TABLE {table} RENAME TO {table}_data")
        raw.execute(f"CREATE VIEW {table} AS SELECT *, rowid + 1 AS {ROWCOL} FROM {table}_data")
        drop = [f"DROP VIEW IF EXISTS {table}", f"DROP TABLE IF EXISTS {table}_data"]
    line_column = None
    if starts is not None:  # each kept row's physical line, for the rows rejected later
        view, lined = table + "_lines", table + "_l"
        raw.register(view, pa.table({"__r": pa.array(range(1, total + 1), pa.int64()), LINECOL: pa.array(starts, pa.int64())}))
        raw.execute(f"CREATE TABLE {lined} AS SELECT t.*, m.{LINECOL} FROM {table} t JOIN {view} m "
                    f"ON t.{ROWCOL} = m.__r ORDER BY t.{ROWCOL}")  # fmt: skip
        raw.unregister(view)
        for statement in drop:
            raw.execute(statement)
        table, drop, line_column = lined, [f"DROP TABLE IF EXISTS {lined}"], LINECOL
    if len(columns) == 1:
        only = columns[0]
        other = next((d for d in _DELIMS if d != delim and d in only), None)
        if other:
            raise InputError(
                _("was split on {delim!r} into a single column {value!r}, but the header contains {other!r}.").format(delim=delim, value=only[:80], other=other),
                path=path,
                line=1,
                expected=_("fields separated by {other!r}").format(other=other),
                hint=_("Use delimiter={other!r} (--delimiter {other!r}) or leave it out to detect it.").format(other=other),
            )
    return RawSource(table, columns, str(path), "csv", total, info, has_lines=True, drop=drop, line_column=line_column)


def _open_text(path: str, mode: str = "rb") -> Any:
    return gzip.open(path, mode) if _is_gzip(path) else open(path, mode)


def _record_lines(path: str, delim: str, records: int, facts: _LineFacts) -> list[int] | None:
    """The physical line each data record starts on, when the file has blank lines or multi-line
    (quoted) fields and the records can be told apart as the reader did; else None (then record
    k is on line k + 1). ``facts``: :func:`_line_facts` of the file read (a cut copy has the
    same lines)."""
    if not facts.blank and facts.lines - 1 == records:
        return None
    limit = csv.field_size_limit()
    csv.field_size_limit(1 << 30)
    starts: list[int] = []
    try:
        with (gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="") if _is_gzip(path)
              else open(path, encoding="utf-8", errors="replace", newline="")) as fh:  # fmt: skip
            reader = csv.reader(fh, delimiter=delim, quotechar='"', doublequote=True, strict=False)
            next(reader, None)
            end = reader.line_num
            for record in reader:
                if record:
                    starts.append(end + 1)
                end = reader.line_num
    except csv.Error:
        return None
    finally:
        csv.field_size_limit(limit)
    return starts if len(starts) == records else None


def _lines_at(path: str, positions: list[int]) -> list[int]:
    """The physical line (1-based) of each byte position."""
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    out = [0] * len(positions)
    seen, newlines, k = 0, 0, 0
    with _open_text(path) as fh:
        while k < len(order) and (chunk := fh.read(1 << 20)):
            while k < len(order) and positions[order[k]] < seen + len(chunk):
                out[order[k]] = newlines + chunk[: max(0, positions[order[k]] - seen)].count(b"\n") + 1
                k += 1
            newlines += chunk.count(b"\n")
            seen += len(chunk)
    for i in order[k:]:
        out[i] = newlines + 1
    return out


def _sniffed_delimiter(raw: Any, path: str) -> str | None:
    try:
        row = raw.execute(f"SELECT Delimiter, Columns FROM sniff_csv({lit(path)}, sample_size=2048)").fetchone()
    except Exception:
        return None
    if row is None or len(row[1]) < 2:
        return None
    return row[0]


# --------------------------------------------------------------------------------------------
def _load_parquet(raw: Any, path: Path) -> RawSource:
    table = unique_name("raw")
    try:
        raw.execute(
            f"CREATE VIEW {table} AS SELECT * EXCLUDE (file_row_number), "
            f"file_row_number + 1 AS {ROWCOL} FROM read_parquet({lit(str(path))}, file_row_number=true)"
        )
        rows = raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except Exception as exc:
        raise InputError(
            _("could not be read as Parquet: {value}").format(value=str(exc).splitlines()[0]), path=path
        ) from None
    columns = [r[0] for r in raw.execute(f"DESCRIBE {table}").fetchall() if r[0] != ROWCOL]
    if rows == 0:
        raise InputError(_("has no rows."), path=path, expected=_("events"))
    return RawSource(table, columns, str(path), "parquet", rows, drop=[f"DROP VIEW IF EXISTS {table}"])


def _load_arrow(raw: Any, arrow: pa.Table, path: str, kind: str, info: dict | None = None) -> RawSource:
    if arrow.num_rows == 0:
        raise InputError(_("has no rows."), path=path, expected=_("events"))
    given = [str(c) for c in arrow.column_names]
    if len(set(given)) != len(given):
        dupes = sorted({n for n in given if given.count(n) > 1})
        raise InputError(_("has duplicate column names: {dupes}.").format(dupes=dupes), path=path, expected=_("unique headers"))
    if len(given) > MAX_COLUMNS:
        raise InputError(_("has {n:,} columns; cspm reads at most {max_columns:,}.").format(n=len(given), max_columns=MAX_COLUMNS), path=path,
                         expected=_("the log's columns (case id, activity, timestamps, attributes)"))  # fmt: skip
    names, renamed = source_names(given)
    if renamed:
        info = {**(info or {}), "renamed columns": renamed}
    arrow = arrow.rename_columns(names).append_column(
        ROWCOL, pa.array(range(1, arrow.num_rows + 1), pa.int64())
    )
    table = unique_name("raw")
    view = table + "_arrow"
    raw.register(view, arrow)
    raw.execute(f"CREATE TABLE {table} AS SELECT * FROM {view}")
    raw.unregister(view)
    return RawSource(table, names, path, kind, arrow.num_rows, info or {})


def _load_dataframe(raw: Any, frame: Any) -> RawSource:
    mod = type(frame).__module__
    if mod.startswith("polars"):
        arrow = frame.to_arrow()
    elif isinstance(frame, pa.Table):
        arrow = frame
    else:
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
    return _load_arrow(raw, arrow, "<DataFrame>", "dataframe")


def _load_xlsx(raw: Any, path: Path, rejects: str, sheet: str | int | None) -> RawSource:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise InputError(_("could not be opened as a spreadsheet: {exc}").format(exc=exc), path=path) from None
    names = book.sheet_names
    if sheet is None:
        sheet_name = names[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise InputError(_("has no sheet number {sheet}; sheets: {names}.").format(sheet=sheet, names=names), path=path)
        sheet_name = names[sheet]
    else:
        if sheet not in names:
            raise InputError(_("has no sheet {sheet!r}; sheets: {names}.").format(sheet=sheet, names=names), path=path)
        sheet_name = sheet
    rows = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=True)
    if not rows or not any(str(c).strip() for c in rows[0]):
        raise InputError(_("sheet {sheet_name!r} is empty.").format(sheet_name=sheet_name), path=path, expected=_("a header row and events"))
    header = [_cell(c) or f"column_{i + 1}" for i, c in enumerate(rows[0])]
    data = rows[1:]
    if not data:
        raise InputError(_("sheet {sheet_name!r} has a header but no data rows.").format(sheet_name=sheet_name), path=path)
    cols = list(zip(*[(list(r) + [""] * len(header))[: len(header)] for r in data], strict=True))
    arrow = pa.table({h: pa.array([_cell(v) for v in col], pa.string()) for h, col in zip(header, cols, strict=True)})
    return _load_arrow(raw, arrow, str(path), "xlsx", {"sheet": sheet_name})


def _cell(value: Any) -> str | None:
    """A spreadsheet cell as text: integers without '.0', dates as ISO 8601, empty as NULL."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)

