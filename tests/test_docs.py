"""Docs, CLI and CI must not drift: every command and option the README names exists and is shown in
that command's --help, every option of every command is in its help with a description, the README's
Python calls match the API, and .ci/run runs what the README says and fails when tests that must run
in CI were skipped."""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

import cspm
from cspm.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
OPTION = re.compile(r"--[a-z][a-z0-9-]*")


def _commands() -> dict[str, Any]:
    """The CLI's commands (Typer's click commands; click is vendored by Typer, so untyped here)."""
    return dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def _help(*args: str) -> str:
    """The --help text as a user sees it in a wide terminal (Rich shortens long names at 80 columns)."""
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def _options(command: Any) -> set[str]:
    return {o for p in command.params if p.param_type_name == "option" for o in [*p.opts, *p.secondary_opts]}


def _table_rows() -> dict[str, str]:
    """README command table: command name -> the whole row."""
    return {m.group(1): m.group(0) for m in re.finditer(r"^\| `cspm (\w+)[^\n]*", README, flags=re.M)}


def _bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)


# --- README and CLI ----------------------------------------------------------------------------------
def test_readme_documents_every_command_and_only_those():
    assert set(_table_rows()) == set(_commands())
    top = _help()
    for name, command in _commands().items():
        assert name in top and command.help and command.help.split(".")[0][:40] in " ".join(top.split()), name


def test_every_option_the_readme_names_for_a_command_exists_and_is_in_its_help():
    rows = _table_rows()
    assert {"--out", "--config", "--model", "--from", "--to", "--window"} <= set(OPTION.findall(rows["discover"]))
    for name, row in rows.items():
        named = set(OPTION.findall(row))
        real = _options(_commands()[name])
        assert named <= real, f"cspm {name}: README names {sorted(named - real)}, not options of the command"
        shown = _help(name)
        assert all(o in shown for o in named), name
    # "Every command takes the column options (...)": every command that reads a LOG
    paragraph = README.split("Every command takes", 1)[1].split("\n\n", 1)[0]
    common = set(OPTION.findall(paragraph))
    assert {"--case-id", "--activity", "--timestamp", "--timezone", "--dayfirst", "--monthfirst"} <= common
    readers = [n for n, row in rows.items() if f"`cspm {n} LOG" in row]
    assert len(readers) == 5
    for name in readers:
        missing = common - _options(_commands()[name])
        assert not missing, f"cspm {name} lacks {sorted(missing)}"


def test_every_command_shows_each_of_its_options_with_a_description():
    for name, command in _commands().items():
        shown = _help(name)
        assert command.help and command.help.split("\n")[0].strip() in shown, name
        for param in command.params:
            if param.param_type_name == "argument":
                assert param.name in shown, (name, param.name)
                continue
            assert param.help, f"cspm {name} {param.opts[0]} has no help text"
            for opt in [*param.opts, *param.secondary_opts]:
                assert opt in shown, f"cspm {name} --help does not show {opt}"
            assert param.help.split()[0] in shown, (name, param.opts[0])


def test_readme_main_command_options_exist():
    main = next(b for b in _bash_blocks() if "cspm " in b and "pytest" not in b)
    cmd = main.split("&& cspm ", 1)[1].split()
    assert cmd[0] in _commands()
    real, shown = _options(_commands()[cmd[0]]), _help(cmd[0])
    for opt in [c for c in cmd if c.startswith("--")]:
        assert opt in real and opt in shown, opt
    for arg in [c for c in cmd if c.startswith("sample_logs/")]:
        assert (ROOT / arg).is_file(), arg


def test_readme_python_calls_match_the_api():
    """Each cspm function the README calls exists and accepts the arguments the README passes."""
    block = re.search(r"```python\n(.*?)\n```", README, flags=re.S).group(1)
    tree = ast.parse(block)
    imported = {a.asname or a.name: getattr(__import__(n.module, fromlist=[a.name]), a.name)
                for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}  # fmt: skip
    checked = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "cspm":
            assert hasattr(cspm, f.attr), f"README calls cspm.{f.attr}, which does not exist"
            func, label = getattr(cspm, f.attr), f"cspm.{f.attr}"
        elif isinstance(f, ast.Name) and f.id in imported:
            func, label = imported[f.id], f.id
        else:
            continue
        args = [object()] * len(node.args)
        kwargs = {k.arg: object() for k in node.keywords}
        try:
            inspect.signature(func).bind(*args, **kwargs)
        except TypeError as err:
            pytest.fail(f"README line {node.lineno}: {label}({', '.join(kwargs)}): {err}")
        checked.append(label)
    assert {"cspm.read", "cspm.discover", "cspm.conformance", "cspm.build_report", "to_spark"} <= set(checked)
    for rel in set(re.findall(r"sample_logs/[\w.]+", README)):
        assert (ROOT / rel).exists(), f"README names {rel}, which is not in the repository"


# --- README and CI -----------------------------------------------------------------------------------
def test_ci_runs_the_readme_test_command():
    test_cmd = next(b for b in _bash_blocks() if "pytest" in b)
    assert test_cmd.endswith("python -m pytest -rs")
    for step in [s.strip() for s in test_cmd.split("&&")]:
        step = step.replace("pip install", "python -m pip install --quiet")
        assert step.split()[0] in CI and (step in CI or step.replace(" --quiet", "") in CI), step
    assert "python -m pytest -rs 2>&1 | tee ci-artifacts/pytest.log" in CI


def _skip_markers() -> set[str]:
    """The markers that open the skip reason of every test that must run in CI."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("*.py"))
    return set(re.findall(r"\b([A-Z]+(?:-[A-Z]+)*-SKIPPED)\b", text))


def _ci_checks(tmp_path: Path, log: str) -> subprocess.CompletedProcess[str]:
    """The part of .ci/run after the README commands, run on a given pytest log (pytest passed)."""
    checks = CI.split("# --- end of README commands ---", 1)[1]
    (tmp_path / "ci-artifacts").mkdir(exist_ok=True)
    (tmp_path / "ci-artifacts" / "pytest.log").write_text(log)
    script = "set -euo pipefail\nstatus=0\nstart=$(date +%s)\n" + checks
    return subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)


def test_ci_fails_when_tests_that_must_run_were_skipped(tmp_path):
    markers = _skip_markers()
    assert markers == {"SPARK-SKIPPED", "BROWSER-SKIPPED", "SHARED-LOG-SKIPPED", "BPMNJS-SKIPPED", "LIBREOFFICE-SKIPPED"}
    assert all(f"`{m}`" in README for m in markers), "the README's test paragraph names every marker"
    clean = "tests/test_read.py ....\n==== 4 passed in 1.00s ====\n"
    ok = _ci_checks(tmp_path, clean)
    assert ok.returncode == 0 and "ci: done" in ok.stdout, ok.stdout + ok.stderr
    for marker in sorted(markers):
        log = clean + f"SKIPPED [1] tests/test_x.py:12: {marker}: the reason\n"
        failed = _ci_checks(tmp_path, log)
        assert failed.returncode == 1, marker
        assert marker in failed.stdout and "must run in CI" in failed.stdout


@pytest.mark.slow
def test_shared_log_tests_skip_with_the_marker_when_the_log_is_absent(tmp_path):
    """A fresh clone: CSPM_SHARED_LOGS names a folder without the real log."""
    from conftest import SHARED_SKIP_MARKER

    absent = tmp_path / "no-shared-logs"
    env = {**os.environ, "CSPM_SHARED_LOGS": str(absent)}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", "tests/test_read.py::test_helpdesk_xes_facts"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:]
    assert "1 skipped" in out.stdout
    assert f"{SHARED_SKIP_MARKER}: real log not found at {absent / 'helpdesk.xes.gz'}" in out.stdout
