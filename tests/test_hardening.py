"""One regression test per defect class of issue 16 (each failed on the code before the fix).

Tracebacks instead of cspm errors, blow-ups, DTDs, formula injection, terminal/bidi text.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import fuzzing
import pandas as pd
import pytest

import cspm
from cspm.errors import InputError
from cspm.render.safe import neutralise_cell, terminal_text, visible_bidi
from cspm.render.tables import write_table

GOOD = b"case,activity,timestamp\n1,A,2024-01-01 08:00\n1,B,2024-01-01 09:00\n2,A,2024-01-02 08:00\n"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _balanced(log: cspm.TicketLog) -> None:
    q = log.quality
    assert q.rows_read == q.rows_kept + q.rows_rejected


# --- tracebacks instead of a clear error ---------------------------------------------------------
@pytest.mark.parametrize(("value", "reason"), [
    ("0000-01-01T00:00:00", "timestamp out of range"), ("9999-12-31T23:30:00-05:00", "timestamp out of range"),
    ("0001-01-01T00:30:00+01:00", "timestamp out of range"), ("10000-01-01T00:00:00", "unparsable timestamp")])  # fmt: skip
def test_timestamp_outside_years_1_to_9999_is_rejected_with_its_value(tmp_path: Path, value: str, reason: str) -> None:
    path = _write(tmp_path, "years.csv", GOOD + f"2,B,{value}\n".encode())
    log = cspm.read(path)
    _balanced(log)
    rejects = log.quality.rejects_frame()
    assert list(rejects.source_row) == [4]
    assert rejects.reason.iloc[0].startswith(reason)
    assert rejects.value.iloc[0] == value
    assert log.quality.rows_kept == 3


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
@pytest.mark.parametrize("name", ["log.csv.gz", "log.xes.gz"])
def test_damaged_gzip_is_a_cspm_error_naming_the_file(tmp_path: Path, damage: str, name: str) -> None:
    body = GOOD if name.endswith(".csv.gz") else fuzzing.seeds()["en.xes"]
    z = bytearray(gzip.compress(body * 50, mtime=0))
    if damage == "truncated":
        z = z[: len(z) // 2]
    else:
        for i in range(20, len(z) - 10, 7):
            z[i] ^= 0x5A
    path = _write(tmp_path, name, bytes(z))
    with pytest.raises(InputError, match=re.escape(name) + r".*(gzip|could not be read)"):
        cspm.read(path)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_detected(tmp_path: Path, codec: str) -> None:
    path = _write(tmp_path, "u16.csv", GOOD.decode().replace("A", "Café").encode(codec))
    log = cspm.read(path)
    assert log.quality.details["encoding"] == codec
    assert sorted(log.events.to_pandas().activity.unique()) == ["B", "Café"]


def test_utf16_with_an_odd_byte_count_is_a_cspm_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "odd.csv", GOOD.decode().encode("utf-16")[:-1])
    with pytest.raises(InputError, match=r"odd\.csv.*middle of a character in utf-16"):
        cspm.read(path)


@pytest.mark.parametrize("name", ["__row", "__k", "__reason"])
def test_a_column_named_like_an_internal_column_is_kept_renamed(tmp_path: Path, name: str) -> None:
    data = GOOD.replace(b"timestamp\n", b"timestamp," + name.encode() + b"\n").replace(b":00\n", b":00,x\n")
    log = cspm.read(_write(tmp_path, "internal.csv", data))
    _balanced(log)
    assert log.quality.details["renamed columns"] == {name: "attr" + name}
    assert list(log.events.to_pandas()["attr" + name]) == ["x", "x", "x"]
    assert list(log.events.to_pandas().source_row) == [1, 2, 3]


def test_xes_empty_and_internal_attribute_keys_are_kept_renamed(tmp_path: Path) -> None:
    text = fuzzing.seeds()["en.xes"].decode()
    text = text.replace('key="channel"', 'key=""').replace('key="category"', 'key="__row"')
    log = cspm.read(_write(tmp_path, "keys.xes", text.encode()))
    _balanced(log)
    events = log.events.to_pandas()
    assert log.quality.details["renamed columns"] == {"": "unnamed", "__row": "attr__row"}
    assert {"chat", "email"} <= set(events.unnamed) and "technical" in set(events.attr__row)
    assert list(events.source_row) == list(range(1, len(events) + 1))  # the row numbers are not replaced


def test_discover_on_a_log_whose_every_case_has_one_event(tmp_path: Path) -> None:
    from test_fuzz import run_cli

    path = _write(tmp_path, "single.csv", b"case,activity,timestamp\n1,A,2024-01-01 08:00\n2,B,2024-01-01 09:00\n3,A,2024-01-01 10:00\n")
    code, err = run_cli(["discover", str(path), "--out", str(tmp_path / "out"), "--no-diagnosis"])
    assert code == 0, err
    edges = pd.read_csv(tmp_path / "out" / "edges.csv")
    assert len(edges) == 0 and "source" in edges.columns
    assert pd.read_csv(tmp_path / "out" / "activities.csv").set_index("activity")["events"].to_dict() == {"A": 2, "B": 1}


def test_parser_messages_become_one_paragraph(tmp_path: Path) -> None:
    path = _write(tmp_path, "nul.xes", fuzzing.seeds()["en.xes"].replace(b"<event>", b"<event>\x00", 1))
    with pytest.raises(InputError) as info:
        cspm.read(path)
    assert "\n" not in str(info.value) and "nul.xes" in str(info.value)


def test_a_header_with_nul_bytes_names_the_encoding(tmp_path: Path) -> None:
    path = _write(tmp_path, "u16.csv", GOOD.decode().encode("utf-16-le"))
    with pytest.raises(InputError, match=r"u16\.csv, line 1: cannot be decoded as utf-8: its header has NUL bytes"):
        cspm.read(path, encoding="utf-8")


# --- size guards ---------------------------------------------------------------------------------
def test_too_many_columns_is_refused_before_any_work(tmp_path: Path) -> None:
    head = ",".join(["case", "activity", "timestamp"] + [f"c{i}" for i in range(1_200)])
    row = ",".join(["1", "A", "2024-01-01 08:00"] + ["v"] * 1_200)
    path = _write(tmp_path, "wide.csv", f"{head}\n{row}\n".encode())
    with pytest.raises(InputError, match=r"wide\.csv, line 1: has 1,203 columns; cspm reads at most 1,000"):
        cspm.read(path)
    with pytest.raises(InputError, match=r"has 1,203 columns"):
        cspm.read(pd.DataFrame({c: ["x"] for c in head.split(",")}))


# --- XML safety ----------------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["after a long comment", "in UTF-16"])
def test_a_dtd_anywhere_in_the_prolog_is_refused(tmp_path: Path, where: str) -> None:
    decl, _, rest = fuzzing.seeds()["en.xes"].decode().partition("\n")
    rest = rest.replace('value="Ticket created"', 'value="&d;"', 1)
    pad = "<!--" + "p" * 70_000 + "-->\n" if where == "after a long comment" else ""
    doc = decl + "\n" + pad + fuzzing._BOMB + "\n" + rest
    data = doc.encode() if pad != "" else doc.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    with pytest.raises(InputError, match=r"bomb\.xes, line \d+: contains a DOCTYPE declaration"):
        cspm.read(_write(tmp_path, "bomb.xes", data))


# --- formula injection ---------------------------------------------------------------------------
@pytest.mark.parametrize("value", fuzzing.HOSTILE[:6])
def test_formula_like_cells_are_neutralised(value: str) -> None:
    assert neutralise_cell(value) == "'" + value
    assert neutralise_cell("Ticket created") == "Ticket created"
    assert neutralise_cell(-2) == -2  # numbers stay numbers


def test_every_tabular_output_neutralises_hostile_names(tmp_path: Path) -> None:
    """discover's CSV tables, an XLSX table and the rejects file, written and read back."""
    from test_fuzz import run_cli

    names = ['=HYPERLINK("http://x.example","y")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3"]
    rows = ["case,activity,timestamp,team"]
    for i, name in enumerate(names):
        rows += [f'{i},"{name.replace(chr(34), 2 * chr(34))}",2024-01-0{i + 1} 08:00,"\tT{i}"',
                 f"{i},Close,2024-01-0{i + 1} 09:00,T"]  # fmt: skip
    rows.append('9,"=1+1",not a time,T')  # a rejected row with a formula-like value
    path = _write(tmp_path, "hostile.csv", ("\n".join(rows) + "\n").encode())
    out = tmp_path / "out"
    code, err = run_cli(["discover", str(path), "--out", str(out), "--no-diagnosis"])
    assert code == 0, err
    tables = {f: pd.read_csv(out / f, keep_default_na=False) for f in ("activities.csv", "edges.csv", "variants.csv")}
    cells = {str(v) for t in tables.values() for col in t.columns for v in t[col]}
    for name in names:
        assert "'" + name in cells or any(c.startswith("'" + name) for c in cells), name
        assert not any(c.startswith(tuple("=+-@\t\r")) for c in cells if isinstance(c, str))
    log = cspm.read(path)
    rejects = log.quality.write_rejects(tmp_path / "rejects.csv")
    back = pd.read_csv(rejects, keep_default_na=False)
    assert back.value.tolist() == ["not a time"] and back.source_row.tolist() == [9]
    rejects_with_formula = cspm.read(_write(tmp_path, "r.csv", b"case,activity,timestamp\n1,A,=1+1\n1,A,2024-01-01\n"))
    back = pd.read_csv(rejects_with_formula.quality.write_rejects(tmp_path / "r_rejects.csv"), keep_default_na=False)
    assert back.value.tolist() == ["'=1+1"]
    xlsx = write_table(pd.DataFrame({"activity": names, "n": [1, -2, 3, 4]}), tmp_path / "t.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx).active
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert values == [["'" + n, v] for n, v in zip(names, [1, -2, 3, 4], strict=True)]
    assert all(c.data_type == "s" for row in sheet.iter_rows(min_row=2, max_col=1) for c in row)  # text, no formula


# --- terminal and HTML text ----------------------------------------------------------------------
def test_control_and_bidi_characters_are_escaped_for_the_terminal() -> None:
    assert terminal_text("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert terminal_text("abc\u202egnp.exe") == "abc<U+202E>gnp.exe"
    assert terminal_text("Ticket créé") == "Ticket créé"
    assert visible_bidi("a\u2066b\u2069") == "a<U+2066>b<U+2069>"


def test_cli_output_carries_no_escape_sequences_from_the_log(tmp_path: Path) -> None:
    from test_fuzz import run_cli

    hostile = "\x1b[2J\x1b]0;pwned\x07Evil\u202eexe [bold]x[/bold]"
    data = f'case,activity,timestamp\n1,"{hostile}",2024-01-01 08:00\n1,Close,2024-01-01 09:00\n1,Close,bad\n'
    path = _write(tmp_path, "ansi.csv", data.encode())
    out = tmp_path / "out"
    import io

    from cspm.cli import _app

    buf = io.StringIO()
    old = _app.console._file  # None: the console follows sys.stdout (restored as such below)
    _app.console.file = buf
    try:
        for args in (["validate", str(path)], ["discover", str(path), "--out", str(out), "--no-diagnosis"]):
            code, err = run_cli(args)
            assert code == 0, err
    finally:
        _app.console._file = old
    printed = buf.getvalue()
    assert "\x1b" not in printed and "\u202e" not in printed and "\x07" not in printed
    assert "\\x1b[2J" in printed and "<U+202E>" in printed
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "\u202e" not in html and "\x1b" not in html
    assert "&lt;U+202E&gt;" in html


def test_cspm_error_paths_are_escaped(tmp_path: Path) -> None:
    from test_fuzz import run_cli

    code, err = run_cli(["validate", str(tmp_path / "no\x1b[31mfile.csv")])
    assert code == 2 and "\x1b" not in err and "\\x1b[31m" in err



def test_a_row_with_tens_of_thousands_of_extra_fields_stays_small(tmp_path: Path) -> None:
    """One 200 KB row of 100,000 fields took 3.8 GB (one reject per extra field, each with a copy of
    the line): the row is cut after 100 extra fields and rejected once, in bounded memory."""
    import resource

    wide = ",".join(["x"] * 100_000)
    data = GOOD + f"2,B,{wide}\n2,C,2024-01-02 09:00\n".encode()
    path = _write(tmp_path, "wide_row.csv", data)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    log = cspm.read(path)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    _balanced(log)
    q = log.quality
    assert (q.rows_read, q.rows_kept, q.rows_rejected) == (5, 4, 1)
    assert q.details["rows with far too many fields"] == 1
    rejects = q.rejects_frame()
    assert rejects[["source_row", "line", "reason"]].values.tolist() == [[4, 5, "malformed row: too many columns"]]
    assert grown_mb < 500


def test_duckdb_progress_bar_is_off() -> None:
    from cspm.core.engine import duckdb_backend

    assert duckdb_backend().con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)


def test_rejects_after_blank_lines_and_multi_line_fields_name_the_physical_line(tmp_path: Path) -> None:
    data = (b'case,activity,timestamp\n1,A,2024-01-01 08:00\n\n1,"B\nmulti",2024-01-01 09:00\n'
            b"2,A,bad\n2,A,2024-01-01 09:00,extra\n2,C,2024-01-01 10:00\n")  # fmt: skip
    log = cspm.read(_write(tmp_path, "lines.csv", data))
    _balanced(log)
    rejects = log.quality.rejects_frame()
    # records (blank line not one): A=1, B=2 (lines 4-5), bad=3 (line 6), extra=4 (line 7), C=5 (line 8)
    assert rejects[["source_row", "line", "reason"]].values.tolist() == [
        [3, 6, "unparsable timestamp"], [4, 7, "malformed row: too many columns"]]  # fmt: skip
    assert log.events.to_pandas().source_row.tolist() == [1, 2, 5]
    assert log.quality.details["line numbers"].startswith("physical lines")


def test_utf8_with_one_bad_line_is_not_misdecoded_silently(tmp_path: Path) -> None:
    good = "case,activity,timestamp\n" + "".join(f"{i},Café créé,2024-01-01 08:00\n" for i in range(20))
    path = _write(tmp_path, "mixed.csv", good.encode() + "99,Café,2024-01-01 09:00\n".encode("cp1252"))
    log = cspm.read(path)
    assert log.quality.details["encoding"] != "utf-8"
    assert any(w.startswith("the file is not valid UTF-8 (line 22: bytes b'\\xe9,2024-0')") for w in log.quality.warnings)
    strict = cspm.read(path, encoding="utf-8")  # as the warning says: the bad line rejected, the rest right
    _balanced(strict)
    assert strict.quality.rejects_frame()[["source_row", "line", "reason"]].values.tolist() == [
        [21, 22, "malformed row: invalid encoding"]]  # fmt: skip
    assert set(strict.events.to_pandas().activity) == {"Café créé"}


def test_an_unterminated_quote_is_named_not_a_missing_timestamp(tmp_path: Path) -> None:
    data = b'case,activity,timestamp\n1,"A,2024-01-01 08:00\n1,B,2024-01-01 09:00\n2,A,2024-01-01 09:00\n'
    with pytest.raises(InputError, match=r"quote\.csv, line 2, row 1: no record could be read: all 1 are "
                       r"malformed; the first is unquoted value \(an unterminated quote"):  # fmt: skip
        cspm.read(_write(tmp_path, "quote.csv", data))


def test_local_times_in_a_dst_gap_or_fold_are_kept_and_reported(tmp_path: Path) -> None:
    # Europe/Berlin: 2024-03-31 02:00–02:59 never happened; 2024-10-27 02:00–02:59 happened twice
    rows = ["1,Open,2024-03-31 01:30", "1,Work,2024-03-31 02:00", "1,Close,2024-03-31 02:30",
            "2,Open,2024-03-31 02:59:59", "2,Work,2024-03-31 03:00", "2,Close,2024-03-31 02:15",
            "3,Open,2024-10-27 01:59", "3,Work,2024-10-27 02:00", "3,Close,2024-10-27 02:30",
            "4,Open,2024-10-27 03:00", "4,Work,2024-03-31 02:45", ",Close,2024-03-31 02:45",
            "4,Close,2024-03-31T02:45:00+02:00"]  # fmt: skip
    path = _write(tmp_path, "dst.csv", ("case,activity,timestamp\n" + "\n".join(rows) + "\n").encode())
    log = cspm.read(path, timezone="Europe/Berlin")
    _balanced(log)
    assert (log.quality.rows_kept, log.quality.rows_rejected) == (12, 1)  # the row without a case
    gap, fold = (w for w in log.quality.warnings if re.search("local times (do not exist|occur twice)", w))
    assert gap.startswith("column 'timestamp': 5 local times do not exist in Europe/Berlin")
    assert gap.endswith("row 2 '2024-03-31 02:00' → 2024-03-31 03:00:00; row 3 '2024-03-31 02:30' → "
                        "2024-03-31 03:30:00; row 4 '2024-03-31 02:59:59' → 2024-03-31 03:59:59 (first 3 rows).")
    assert fold.startswith("column 'timestamp': 2 local times occur twice in Europe/Berlin")
    assert fold.endswith("read as the later of their two instants: row 8 '2024-10-27 02:00' → 2024-10-27 "
                         "01:00:00 UTC; row 9 '2024-10-27 02:30' → 2024-10-27 01:30:00 UTC.")
    utc = log.events.order_by("source_row").to_pandas().timestamp.dt.strftime("%H:%M:%S")
    assert list(utc[[1, 2, 5, 10, 11]]) == ["01:00:00", "01:30:00", "01:15:00", "01:45:00", "00:45:00"]
    # in UTC (no clock change) the same file gives no such warning
    assert not [w for w in cspm.read(path).quality.warnings if re.search("do not exist|occur twice", w)]
