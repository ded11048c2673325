"""Errors in the chosen language: ``--lang zh`` (or the config's ``report.language: zh``) prints the
``error:`` paragraph in Chinese; every error cspm raises on purpose is written as a translatable
template (the catalog test proves each has a translation); reject reasons keep their stored English
key and are shown translated."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

import cspm
from cspm.i18n import gettext, use_language
from cspm.ingest.quality import REJECT_REASONS, reason_label

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cspm"
ZH_CONFIG = ROOT / "sample_logs" / "cspm.example.zh.yaml"

# names that are not English UI text in an error: formats, standards, option/key names are removed first
NOT_UI = {"CSV", "TSV", "XLSX", "XES", "Parquet", "BPMN", "PNML", "YAML", "TOML", "JSON", "ISO", "UTF", "BOM",
          "GB18030", "GBK", "IANA", "UTC", "cspm", "DuckDB", "Spark", "SQL", "T08", "AM", "Unix"}  # fmt: skip
REMOVED = re.compile(r"\d+[A-Za-z]+|'[^']*'|\"[^\"]*\"|--[a-z][a-z-]*|\S*/\S*|\b\w+(?:\.\w+)+\b|\b\w+=\S*|\b[a-z]+_[a-z_]+\b")


def english_words(text: str) -> set[str]:
    words = re.findall(r"[A-Za-z][A-Za-z]+", REMOVED.sub(" ", text))
    return {w for w in words if w not in NOT_UI and not re.fullmatch("[ymdh]+", w)}  # date patterns: yyyy, mm, hh


def run_main(capsys, *args: object) -> tuple[int, str]:
    from cspm.cli import main

    argv, sys.argv = sys.argv, ["cspm", *map(str, args)]
    try:
        with pytest.raises(SystemExit) as stop:
            main()
    finally:
        sys.argv = argv
    return stop.value.code, capsys.readouterr().err.strip()


@pytest.fixture
def logs(tmp_path):
    good = tmp_path / "tickets.csv"
    pd.DataFrame({"ticket": ["T1", "T1"], "step": ["open", "close"],
                  "time": ["2024-03-01 08:00", "2024-03-01 09:00"]}).to_csv(good, index=False)  # fmt: skip
    noroles = tmp_path / "noroles.csv"
    noroles.write_text("a,b\n1,2\n", "utf-8")
    badtimes = tmp_path / "badtimes.csv"
    badtimes.write_text("ticket,step,time\nT1,open,soon\nT1,close,later\n", "utf-8")
    badconfig = tmp_path / "bad.yaml"
    badconfig.write_text("report:\n  language: fr\ntargets:\n  colour: red\n", "utf-8")
    return {"good": good, "noroles": noroles, "badtimes": badtimes, "badconfig": badconfig, "dir": tmp_path}


def test_errors_a_user_meets_are_chinese_under_lang_zh(logs, capsys):
    d = logs["dir"]
    cases = {
        "file not found": (["validate", d / "missing.csv"], "文件不存在"),
        "roles not detected": (["validate", logs["noroles"]], "无法判断哪些列是工单号、环节和时间戳"),
        "column not in the log": (["validate", logs["good"], "--case-id", "nope"], "被指定为工单号列"),
        "unparsable timestamps": (["validate", logs["badtimes"], "--timestamp", "time"], "不含可识别格式的时间戳"),
        "bad config key and value": (["validate", logs["good"], "--config", logs["badconfig"]], "未知的键"),
        "bad option value": (["discover", logs["good"], "--out", d / "o", "--from", "notadate"], "不是日期或时间"),
        "unknown step": (["discover", logs["good"], "--out", d / "o", "--with-activity", "nope"], "日志中没有"),
        "bad duration": (["discover", logs["good"], "--out", d / "o", "--min-duration", "5"], "不是时长"),
    }
    for what, (args, chinese) in cases.items():
        code, err = run_main(capsys, *args, "--lang", "zh")
        assert code == 2 and "Traceback" not in err and "\n" not in err, (what, err)
        assert err.startswith("错误：") and chinese in err, (what, err)
        assert not english_words(err), (what, english_words(err), err)
    # the config's key and value are named as they are, the problem in Chinese
    _, err = run_main(capsys, "validate", logs["good"], "--config", logs["badconfig"], "--lang", "zh")
    assert "report.language = 'fr'：应为 'en' 或 'zh'" in err and "targets.colour = 'red'：未知的键" in err


def test_english_errors_are_unchanged(logs, capsys):
    code, err = run_main(capsys, "validate", logs["dir"] / "missing.csv")
    assert (code, err) == (2, f"error: {logs['dir'] / 'missing.csv'}: no such file. Expected a path to a CSV, "
                              "XLSX, Parquet or XES file.")  # fmt: skip
    _, err = run_main(capsys, "validate", logs["good"], "--config", logs["badconfig"])
    assert "report.language = 'fr': Input should be 'en' or 'zh'" in err and "targets.colour = 'red': unknown key" in err


def test_the_config_language_gives_chinese_errors(logs, capsys):
    code, err = run_main(capsys, "validate", logs["good"], "--config", ZH_CONFIG)
    assert code == 2 and err.startswith("错误：") and "被指定为工单号列" in err, err
    code, err = run_main(capsys, "validate", logs["good"], "--config", ZH_CONFIG, "--lang", "en")
    assert err.startswith("error: ") and "given as the case id column" in err, err


def test_library_errors_follow_the_active_language(logs):
    with use_language("zh"), pytest.raises(cspm.errors.InputError) as info:
        cspm.read(logs["dir"] / "missing.csv")
    assert "文件不存在" in str(info.value) and info.value.language == "zh"
    with pytest.raises(cspm.errors.InputError, match="no such file"):
        cspm.read(logs["dir"] / "missing.csv")


def _error_classes() -> set[str]:
    import cspm.analysis.conformance.errors
    import cspm.analysis.drivers.outcomes
    import cspm.ingest.role_choice
    import cspm.mining.filters  # noqa: F401

    found, todo = set(), [cspm.errors.CspmError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo += cls.__subclasses__()
    return found


def test_every_error_message_is_a_translatable_template():
    """The message, ``expected`` and ``hint`` of every ``raise SomeCspmError(...)`` are ``_()``
    templates (or built from them), never an English literal or f-string: the catalog test then
    proves that each has a translation."""
    errors, literal = _error_classes(), []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            call, name = node.exc, getattr(node.exc.func, "id", getattr(node.exc.func, "attr", ""))
            if name not in errors:
                continue
            if name == "ConfigError":
                args = [t.elts[2] for a in call.args[1:2] if isinstance(a, ast.List) for t in a.elts if isinstance(t, ast.Tuple)]
            else:
                args = call.args[1:2] if name == "OutcomeError" else call.args[:1]
            args += [k.value for k in call.keywords if k.arg in ("expected", "hint", "needed_for")]
            for arg in args:
                if isinstance(arg, ast.JoinedStr) or (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    literal.append(f"{path.relative_to(ROOT)}:{arg.lineno}: {ast.unparse(arg)[:80]}")
    assert not literal, "wrap these messages in _() templates:\n" + "\n".join(literal)


def test_reject_reasons_are_stored_in_english_and_shown_translated(tmp_path):
    path = tmp_path / "rejects.csv"
    path.write_text("ticket,step,time\n,open,2024-03-01 08:00\nT1,,2024-03-01 08:00\nT1,open,\nT1,open,soon\n"
                    "T1,close,2024-03-01 09:00\n", "utf-8")  # fmt: skip
    log = cspm.read(path, case_id="ticket", activity="step", timestamp="time")
    reasons = log.quality.rejected_by_reason
    assert reasons == {"missing activity": 1, "missing case id": 1, "missing timestamp": 1, "unparsable timestamp": 1}
    assert set(reasons) <= set(REJECT_REASONS)
    with use_language("zh"):
        assert [reason_label(r) for r in sorted(reasons)] == ["缺少环节", "缺少工单号", "缺少时间戳", "时间戳无法解析"]
        assert reason_label("malformed row: too many columns") == "格式错误的行：列过多"
        assert all(gettext(r) != r for r in REJECT_REASONS)
        assert "缺少工单号" in " ".join(str(v) for row in log.quality.figures() for v in row)
    assert set(log.quality.rejects_frame()["reason"]) == set(reasons)  # the stored reasons stay English
