"""Docs and CLI must not drift: the README's commands exist and .ci/run runs what the README says."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from cspm.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> set[str]:
    import typer.main

    group = typer.main.get_command(app)
    return set(group.commands)  # type: ignore[attr-defined]


def test_readme_documents_every_command_and_only_those():
    documented = set(re.findall(r"^\| `cspm (\w+)", README, flags=re.M))
    assert documented == _commands()


def test_every_command_has_help():
    runner = CliRunner()
    for name in _commands():
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert "--help" in result.output


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)
    test_cmd = next(b for b in blocks if "pytest" in b)
    ci = (ROOT / ".ci" / "run").read_text()
    for step in [s.strip() for s in test_cmd.split("&&")]:
        step = step.replace("pip install", "python -m pip install --quiet")
        assert step.split()[0] in ci and (step in ci or step.replace(" --quiet", "") in ci), step


def test_readme_main_command_options_exist():
    blocks = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)
    main = next(b for b in blocks if "cspm " in b and "pytest" not in b)
    cmd = main.split("&& cspm ", 1)[1].split()
    assert cmd[0] in _commands()
    help_text = CliRunner().invoke(app, [cmd[0], "--help"]).output
    for opt in [c for c in cmd if c.startswith("--")]:
        assert opt in help_text, opt
