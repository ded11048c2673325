"""``--help`` in Chinese: the language is picked from the command line (``--lang zh`` anywhere, or
``cspm --lang zh CMD``) or from ``$CSPM_LANG`` before Typer draws the help; every command's help
then has no English UI word left (option names, metavar choices, defaults, file formats and config
keys are not UI words). English help is Typer's own."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from cspm.cli import app

runner = CliRunner()
COMMANDS = ["baseline", "bottlenecks", "compare", "conformance", "discover", "drivers", "handoffs", "monitor",
            "simulate", "validate"]  # fmt: skip
NOT_UI = {"cspm", "LOG", "MODEL", "OUTCOME", "BEFORE", "AFTER", "CSV", "TSV", "XLSX", "XES", "BPMN", "PNML", "YAML",
          "TOML", "JSON", "SVG", "HTML", "ISO", "IANA", "URI", "SQL", "KPI", "Delta", "Spark", "Parquet", "GB18030",
          "Benjamini", "Hochberg", "q", "x", "K", "N", "python", "m", "py", "pytest", "en", "zh", "YYYY", "MM", "DD",
          "dd", "mm", "strptime"}  # fmt: skip
REMOVED = re.compile(r"--?[a-z][a-z-]*|<[^>]*>|\[默认：[^\]]*\]|\$[A-Z_]+|`[^`]*`|\b\w+(?:\.\w+)+\b|\{[a-z]+\}"
                     r"|\b[a-z_]+:[A-Z]*|\b[a-z]+_[a-z_]+\b|\b[a-z]+=[a-z]*|[\w/]*\.(?:py|csv|bpmn|yaml|parquet|xes|html|json|xlsx|gz)\b|\d+[A-Za-z]+")


def _names_and_values() -> set[str]:
    """Command and argument names and the values options take (choices, lifecycle modes, engines, roles)."""
    from typer.main import get_command

    group = get_command(app)
    words = set(group.commands) | {"pair", "keep", "schedule", "start", "complete", "duckdb", "spark", "agent",
                                   "customer", "team", "activity", "reopen", "rework", "channel", "targets", "table", "json"}  # fmt: skip
    for command in group.commands.values():
        for param in command.params:
            words.add(param.name)
            words |= set(getattr(getattr(param, "type", None), "choices", None) or ())
    return {str(w) for w in words}


VALUES = _names_and_values()


def english_words(text: str) -> set[str]:
    words = re.findall(r"[A-Za-z][A-Za-z0-9]*", REMOVED.sub(" ", text))
    return {w for w in words if w not in NOT_UI and w not in VALUES and not re.search(r"\d", w)}


def help_text(args: list[str], env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, args, env={"COLUMNS": "200", **(env or {})})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_is_chinese(command):
    text = help_text(["--lang", "zh", command, "--help"])
    assert "用法：" in text and "选项" in text and "显示此帮助并退出。" in text
    assert not english_words(text), f"English left in `cspm --lang zh {command} --help`: {sorted(english_words(text))}"


def test_the_ways_to_ask_for_chinese_help_agree():
    first = help_text(["--lang", "zh", "discover", "--help"])
    assert help_text(["discover", "--help", "--lang", "zh"]) == first  # --lang after --help
    assert help_text(["discover", "--lang=zh", "--help"]) == first
    assert help_text(["discover", "--help"], env={"CSPM_LANG": "zh"}) == first  # the environment
    assert "发现 LOG 的实际流程" in first and "输出文件夹（需要时自动创建）。" in first and "读取日志" in first
    top = help_text(["--help"], env={"CSPM_LANG": "zh_CN.UTF-8"})
    assert "客服流程挖掘" in top and "命令" in top and not english_words(top), english_words(top)


def test_english_help_is_unchanged_and_the_language_does_not_leak():
    help_text(["--lang", "zh", "validate", "--help"])
    text = help_text(["validate", "--help"])
    assert "Usage:" in text and "Read LOG, check it and report its data quality" in text
    assert "Show this message and exit." in text and "[default: table]" in text and "<str>" in text
    assert not re.search("[\u4e00-\u9fff]", text)
    assert help_text(["validate", "--help"], env={"CSPM_LANG": "en"}) == text
