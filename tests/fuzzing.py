"""Malformed and hostile inputs for cspm's reader and CLI, generated from a seed (no test here).

``inputs(seed, n)`` yields ``n`` cases, each a file name and its bytes: mutations of small slices of
the sample logs (CSV in English and Chinese, XES) and of hand-made logs — truncation, byte flips,
inserted quotes / delimiters / NULs / newlines, BOMs and wrong encodings, gzip (good, truncated,
corrupt), huge fields, rows with thousands of extra fields, many columns, odd timestamps (year 0,
10000, zone shifts across the edges, DST gaps, epochs), internal column names, single-event cases,
hostile names (formulas, ANSI escapes, bidi controls, Rich markup, HTML) and hostile XES (DTDs after
long comments, in UTF-16, entity bombs, empty keys). ``check_read`` reads one case with
:func:`cspm.read` and says what went wrong, if anything: only a :class:`cspm.errors.CspmError` (one
paragraph) may be raised, and rows read = kept + rejected.

Used by ``tests/test_fuzz.py`` (CI) and ``benchmarks/fuzz.py`` (the 10,000-input run).
"""

from __future__ import annotations

import gzip
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"

HOSTILE = [
    "=HYPERLINK(\"http://x.example\",\"click\")",
    "@SUM(1+1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "\tTab start",
    "\rCR start",
    "\x1b[31mred\x1b[0m\x1b]0;title\x07",
    "abc\u202egnp.exe",
    "[bold red]markup[/]",
    "<script>alert(1)</script>",
    "{{ 7*7 }}{% raw %}",
    "a\"b\"\"c",
    "line\nbreak",
    "\u200f\u2066iso\u2069",
    "\x00nul",
    "Ticket created",
]

ODD_TIMES = [
    "0000-01-01T00:00:00",
    "10000-01-01T00:00:00",
    "9999-12-31T23:30:00-05:00",
    "0001-01-01T00:30:00+01:00",
    "2024-03-31T02:30:00",  # DST gap in Europe
    "2024-02-30T10:00:00",
    "99999999999999",
    "-62135596800",
    "1e300",
    "NaN",
    "",
    "2024-13-01",
    "24:00",
    "2024-03-04T10:00:00+25:00",
    "2024-03-04 10:00:00 UTC+99",
    "１２３４",
]


@dataclass(frozen=True)
class Case:
    """One generated input: its file name and bytes, and what was done to it."""

    name: str
    data: bytes
    how: str


def _csv_seed(path: Path, lines: int) -> bytes:
    with open(path, "rb") as fh:
        return b"".join(fh.readline() for _ in range(lines))


def _xes_seed(traces: int) -> bytes:
    with gzip.open(SAMPLES / "tickets_en.xes.gz", "rb") as fh:
        text = fh.read(400_000).decode("utf-8")
    parts = text.split("<trace>")
    return ("<trace>".join(parts[: traces + 1]) + "</log>\n").encode("utf-8")


def _handmade() -> bytes:
    return (
        b"case,activity,timestamp,agent\n"
        b"1,Open,2024-01-01 08:00:00,a\n1,Work,2024-01-01 09:00:00,b\n1,Close,2024-01-01 10:00:00,a\n"
        b"2,Open,2024-01-02 08:00:00,a\n2,Close,2024-01-02 12:00:00,b\n"
        b"3,Open,2024-01-03 08:00:00,c\n3,Work,2024-01-03 08:30:00,c\n3,Close,2024-01-03 09:00:00,c\n"
    )


_SEEDS: dict[str, Callable[[], bytes]] = {
    "en.csv": lambda: _csv_seed(SAMPLES / "tickets_en.csv", 40),
    "zh.csv": lambda: _csv_seed(SAMPLES / "tickets_zh.csv", 25),
    "hand.csv": _handmade,
    "en.xes": lambda: _xes_seed(4),
}


def seeds() -> dict[str, bytes]:
    """The seed logs the mutations start from (small slices of the sample logs, a hand-made log)."""
    return {name: make() for name, make in _SEEDS.items()}


# --- mutations: each takes (rng, bytes) and gives (bytes, note) ------------------------------------
def _truncate(r: random.Random, d: bytes) -> tuple[bytes, str]:
    n = r.randrange(0, len(d) + 1)
    return d[:n], f"truncated at {n}"


def _flip(r: random.Random, d: bytes) -> tuple[bytes, str]:
    b = bytearray(d)
    k = r.randint(1, 8)
    for _ in range(k):
        if b:
            b[r.randrange(len(b))] = r.randrange(256)
    return bytes(b), f"{k} bytes flipped"


def _insert(r: random.Random, d: bytes) -> tuple[bytes, str]:
    token = r.choice([b'"', b",", b";", b"\t", b"|", b"\x00", b"\n", b"\r", b"\r\n", b"\n\n", b'"\n"', b"\\"])
    b = bytearray(d)
    k = r.randint(1, 6)
    for _ in range(k):
        pos = r.randrange(len(b) + 1)
        b[pos:pos] = token
    return bytes(b), f"{k}x {token!r} inserted"


def _bom(r: random.Random, d: bytes) -> tuple[bytes, str]:
    bom = r.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf\xef\xbb\xbf"])
    return bom + d, f"BOM {bom!r} added"


def _utf16(r: random.Random, d: bytes) -> tuple[bytes, str]:
    text = d.decode("utf-8", errors="replace")
    codec = r.choice(["utf-16", "utf-16-le", "utf-16-be"])
    out = text.encode(codec)
    if r.random() < 0.5:
        out = out[:-1]
        return out, f"{codec}, odd byte count"
    return out, codec


def _legacy(r: random.Random, d: bytes) -> tuple[bytes, str]:
    text = d.decode("utf-8", errors="replace").replace("Ticket", "Café")
    lines = text.split("\n")
    if r.random() < 0.5 and len(lines) > 3:
        i = r.randrange(1, len(lines) - 1)
        return "\n".join(lines[:i]).encode("utf-8") + b"\n" + lines[i].encode("cp1252", "replace") + b"\n" + "\n".join(
            lines[i + 1 :]
        ).encode("utf-8"), "UTF-8 with one cp1252 line"
    codec = r.choice(["cp1252", "latin-1", "gb18030", "shift_jis"])
    return text.encode(codec, "replace"), codec


def _gzip(r: random.Random, d: bytes) -> tuple[bytes, str]:
    z = gzip.compress(d, mtime=0)
    how = r.choice(["good", "truncated", "corrupt", "trailing"])
    if how == "truncated":
        z = z[: r.randrange(2, max(3, len(z)))]
    elif how == "corrupt":
        b = bytearray(z)
        for _ in range(4):
            b[r.randrange(10, len(b))] ^= 0xFF
        z = bytes(b)
    elif how == "trailing":
        z += b"garbage"
    return z, f"gzip ({how})"


def _lines(d: bytes) -> list[bytes]:
    return d.split(b"\n")


def _replace_field(r: random.Random, d: bytes, values: list[str]) -> tuple[bytes, str]:
    lines = _lines(d)
    if len(lines) < 3:
        return d, "unchanged"
    k = r.randint(1, 4)
    notes = []
    for _ in range(k):
        i = r.randrange(1, len(lines))
        fields = lines[i].split(b",")
        j = r.randrange(len(fields))
        v = r.choice(values)
        fields[j] = b'"' + v.replace('"', '""').encode("utf-8", "surrogatepass") + b'"'
        lines[i] = b",".join(fields)
        notes.append(repr(v)[:30])
    return b"\n".join(lines), "fields replaced by " + ", ".join(notes)


def _hostile(r: random.Random, d: bytes) -> tuple[bytes, str]:
    return _replace_field(r, d, HOSTILE)


def _odd_time(r: random.Random, d: bytes) -> tuple[bytes, str]:
    lines = _lines(d)
    if len(lines) < 3:
        return d, "unchanged"
    header = lines[0].decode("utf-8", "replace").lower().split(",")
    col = next((i for i, h in enumerate(header) if "time" in h), 2)
    k = r.randint(1, 3)
    for _ in range(k):
        i = r.randrange(1, len(lines))
        fields = lines[i].split(b",")
        if col < len(fields):
            fields[col] = r.choice(ODD_TIMES).encode()
            lines[i] = b",".join(fields)
    return b"\n".join(lines), f"{k} odd timestamps"


def _huge_field(r: random.Random, d: bytes) -> tuple[bytes, str]:
    lines = _lines(d)
    i = r.randrange(1, max(2, len(lines)))
    size = r.choice([10_000, 100_000, 1_000_000])
    quoted = r.random() < 0.5
    blob = (b'"' + b"x" * size + b'"') if quoted else b"y" * size
    lines[min(i, len(lines) - 1)] += b"," + blob if r.random() < 0.5 else b""
    if not lines[min(i, len(lines) - 1)].endswith(blob):
        lines.insert(min(i, len(lines)), b"1,Open," + blob)
    return b"\n".join(lines), f"huge field ({size:,} bytes)"


def _extra_fields(r: random.Random, d: bytes) -> tuple[bytes, str]:
    lines = _lines(d)
    i = r.randrange(1, max(2, len(lines)))
    n = r.choice([50, 5_000, 40_000])
    lines[min(i, len(lines) - 1)] += b"," * n
    return b"\n".join(lines), f"{n:,} extra fields in one row"


def _many_columns(r: random.Random, d: bytes) -> tuple[bytes, str]:
    n = r.choice([300, 3_000])
    head = ",".join(["case", "activity", "timestamp"] + [f"c{i}" for i in range(n)])
    rows = [",".join(["1", "A", "2024-01-01 08:00"] + [str(i) for i in range(n)]),
            ",".join(["1", "B", "2024-01-01 09:00"] + [""] * n),
            ",".join(["2", "A", "2024-01-01 10:00"] + ["v"] * n)]  # fmt: skip
    return ("\n".join([head, *rows]) + "\n").encode(), f"{n:,} columns"


def _internal_names(r: random.Random, d: bytes) -> tuple[bytes, str]:
    lines = _lines(d)
    name = r.choice([b"__row", b"__reason", b"__ts_raw", b"__lc", b"case_id", b"activity", b"__k", b"source_row"])
    fields = lines[0].split(b",")
    if r.random() < 0.5:
        fields.append(name)
        lines = [b",".join(fields)] + [ln + b",x" if ln else ln for ln in lines[1:]]
    else:
        fields[-1] = name
        lines[0] = b",".join(fields)
    return b"\n".join(lines), f"column named {name!r}"


def _single_events(r: random.Random, d: bytes) -> tuple[bytes, str]:
    lines = _lines(d)
    out = [lines[0]]
    for i, line in enumerate(lines[1:]):
        fields = line.split(b",")
        if len(fields) > 1:
            fields[0] = b"S%d" % i
        out.append(b",".join(fields))
    return b"\n".join(out), "every case has one event"


def _blank_and_multiline(r: random.Random, d: bytes) -> tuple[bytes, str]:
    lines = _lines(d)
    for _ in range(r.randint(1, 4)):
        i = r.randrange(1, max(2, len(lines)))
        if r.random() < 0.5:
            lines.insert(i, b"")
        else:
            fields = lines[i - 1 if i >= len(lines) else i].split(b",")
            if len(fields) > 3:
                fields[-1] = b'"multi\nline\n""quoted"""'
                lines[i - 1 if i >= len(lines) else i] = b",".join(fields)
    return b"\n".join(lines), "blank lines / multi-line quoted fields"


def _delimiter(r: random.Random, d: bytes) -> tuple[bytes, str]:
    to = r.choice([b";", b"\t", b"|", b" "])
    return d.replace(b",", to), f"delimiter {to!r}"


def _unterminated_quote(r: random.Random, d: bytes) -> tuple[bytes, str]:
    lines = _lines(d)
    i = r.randrange(1, max(2, len(lines)))
    i = min(i, len(lines) - 1)
    lines[i] = b'"' + lines[i]
    return b"\n".join(lines), "unterminated quote"


CSV_MUTATIONS = [
    _truncate, _flip, _insert, _bom, _utf16, _legacy, _gzip, _hostile, _odd_time, _huge_field,
    _extra_fields, _many_columns, _internal_names, _single_events, _blank_and_multiline, _delimiter,
    _unterminated_quote,
]  # fmt: skip


# --- XES ------------------------------------------------------------------------------------------
_BOMB = (
    '<!DOCTYPE log [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
)


def _xes_doctype(r: random.Random, d: bytes) -> tuple[bytes, str]:
    text = d.decode("utf-8", "replace")
    decl, _, rest = text.partition("\n")
    where = r.choice(["plain", "after comment", "xxe"])
    dtd = _BOMB if where != "xxe" else '<!DOCTYPE log [<!ENTITY d SYSTEM "file:///etc/hostname">]>'
    pad = "<!--" + "p" * 70_000 + "-->\n" if where == "after comment" else ""
    rest = rest.replace('value="Ticket created"', 'value="&d;"', 1)
    out = decl + "\n" + pad + dtd + "\n" + rest
    if r.random() < 0.3:
        return out.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"), f"DTD ({where}), UTF-16"
    return out.encode("utf-8"), f"DTD ({where})"


def _xes_keys(r: random.Random, d: bytes) -> tuple[bytes, str]:
    key = r.choice(["", "__row", "case:concept:name", "   ", "a\x1bb", "=cmd", "__reason"])
    text = d.decode("utf-8", "replace").replace('key="channel"', f'key="{key}"', r.randint(1, 3))
    return text.encode("utf-8", "replace"), f"XES attribute key {key!r}"


def _xes_values(r: random.Random, d: bytes) -> tuple[bytes, str]:
    text = d.decode("utf-8", "replace")
    choice = r.randrange(4)
    if choice == 0:
        v = r.choice(ODD_TIMES).replace("&", "")
        text = re.sub(r'(key="time:timestamp" value=")[^"]*', lambda m: m.group(1) + v, text, count=r.randint(1, 3))
        return text.encode(), f"XES timestamp {v!r}"
    if choice == 1:
        v = r.choice(HOSTILE).replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").replace("\x00", "")
        v = "".join(ch if ch >= " " or ch in "\t\n\r" else f"&#{ord(ch)};" for ch in v)
        text = text.replace('value="Escalate to L2"', f'value="{v}"')
        return text.encode("utf-8", "replace"), f"XES hostile name {v[:20]!r}"
    if choice == 2:
        text = re.sub(r'<string key="concept:name" value="[^"]*"/>', "", text, count=r.randint(1, 5))
        return text.encode(), "XES names removed"
    text = text.replace("<event>", "<event><event>", 1)
    return text.encode(), "XES nested event"


XES_MUTATIONS = [_truncate, _flip, _insert, _bom, _utf16, _gzip, _xes_doctype, _xes_keys, _xes_values]


def inputs(seed: int, n: int) -> Iterator[Case]:
    """``n`` generated inputs, the same for the same ``seed``."""
    r = random.Random(seed)
    base = seeds()
    names = sorted(base)
    for i in range(n):
        name = names[i % len(names)]
        data = base[name]
        muts = XES_MUTATIONS if name.endswith(".xes") else CSV_MUTATIONS
        notes = []
        for _ in range(r.choice([1, 1, 1, 2, 3])):
            mutation = r.choice(muts)
            data, note = mutation(r, data)
            notes.append(note)
        suffix = ".xes" if name.endswith(".xes") else r.choice([".csv", ".csv", ".txt", ".tsv"])
        if data[:2] == b"\x1f\x8b" and r.random() < 0.7:
            suffix += ".gz"
        yield Case(f"case{i:05d}_{name.split('.')[0]}{suffix}", data, "; ".join(notes))


# --- checking one input ------------------------------------------------------------------------
def check_read(path: Path) -> str | None:
    """Read ``path`` with :func:`cspm.read`: ``None`` when all is well, else what went wrong.

    Well = a :class:`~cspm.errors.CspmError` whose message is one paragraph naming the file, or a log
    whose rows read = rows kept + rows rejected."""
    return read_outcome(path)[0]


def read_outcome(path: Path) -> tuple[str | None, str]:
    """What went wrong (None when nothing did, see :func:`check_read`) and the outcome: ``read``, or
    ``cspm error: `` and the error's message."""
    import cspm
    from cspm.errors import CspmError

    try:
        log = cspm.read(path)
    except CspmError as exc:
        text = str(exc)
        outcome = "cspm error: " + text
        if not text.strip() or "\n" in text.strip():
            return f"CspmError not one paragraph: {text[:200]!r}", outcome
        if path.name not in text:
            return f"CspmError does not name the file: {text[:200]!r}", outcome
        return None, outcome
    except Exception as exc:  # noqa: BLE001 - this is what the fuzzer hunts
        return f"{type(exc).__module__}.{type(exc).__name__}: {str(exc)[:300]}", "FAILED"
    q = log.quality
    _release(log)
    if q.rows_read != q.rows_kept + q.rows_rejected:
        return f"rows read {q.rows_read} != kept {q.rows_kept} + rejected {q.rows_rejected}", "FAILED"
    return None, "read" if not q.rows_rejected else "read with rejects"


def _release(log: object) -> None:
    """Drop the log's tables from the process-wide DuckDB now (``TicketLog.close``), rather than
    when the garbage collector gets to them."""
    log.close()  # type: ignore[attr-defined]
