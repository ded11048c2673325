"""The architecture holds: layers, no hidden cycles, one Jinja environment, one DOT escaper."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "cspm"
LIBRARY_FILES = sorted(p for p in LIB.rglob("*.py"))


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_layers_contract_holds():
    """import-linter's layers contract of pyproject.toml (cli > pipeline > analysis > mining |
    simulate | ingest > core > render > config > errors | units)."""
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 kept, 0 broken" in proc.stdout


def _cspm_imports(node: ast.AST) -> list[str]:
    if isinstance(node, ast.ImportFrom) and node.module and (node.level == 0):
        return [node.module] if node.module == "cspm" or node.module.startswith("cspm.") else []
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name == "cspm" or a.name.startswith("cspm.")]
    return []


def _local_cspm_imports(path: Path) -> list[str]:
    """Imports of cspm modules inside functions or `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                found += [f"{_rel(path)}:{inner.lineno} {m} (in {node.name})" for m in _cspm_imports(inner)]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in ast.walk(node):
                found += [f"{_rel(path)}:{inner.lineno} {m} (TYPE_CHECKING)" for m in _cspm_imports(inner)]
    return found


def test_no_function_local_or_type_checking_import_of_cspm_modules():
    """Cycles are broken by moving code, not hidden by local imports. The CLI is the one exception:
    its commands import the library when they run, so that `cspm --help` stays fast."""
    found = []
    for path in LIBRARY_FILES:
        if path.parent.name == "cli" or path.name == "__main__.py":
            continue
        found += _local_cspm_imports(path)
    assert found == []


def test_one_jinja_environment_and_one_dot_escaper():
    envs, escapers = [], []
    for path in LIBRARY_FILES:
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bEnvironment\(", text):
            envs.append(_rel(path))
        if re.search(r"replace\(\s*['\"]\\\\\\\\['\"]", text) and "dot" not in path.stem:
            escapers.append(_rel(path))
    assert envs == ["cspm/render/html.py"]
    assert escapers == []


HEAVY = ("pm4py", "matplotlib", "pyspark", "scipy", "sklearn", "ibis", "duckdb", "pandas", "networkx", "numpy")


def test_import_cspm_stays_light():
    """`import cspm` and the CLI (so `cspm --help`) load neither the engine (Ibis, DuckDB, pandas) nor
    the analyses' libraries (pm4py, matplotlib, pyspark, scipy, sklearn, networkx): the public API is
    loaded on first use, the commands import the library when they run."""
    code = f"import sys, cspm, cspm.cli; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_lazy_public_api_gives_every_name_of_all():
    """Every name of `cspm.__all__` is in `dir(cspm)` and is the object its module defines; an unknown
    name is an AttributeError."""
    code = (
        "import importlib, cspm\n"
        "names = [n for n in cspm.__all__ if n != '__version__']\n"
        "assert set(cspm.__all__) <= set(dir(cspm))\n"
        "wrong = [n for n in names if getattr(importlib.import_module(cspm._MODULE_OF[n]), n) is not getattr(cspm, n)]\n"
        "assert not wrong, wrong\n"
        "from cspm import discover, read, TicketLog\n"
        "assert read.__module__ == 'cspm.ingest.read' and TicketLog.__name__ == 'TicketLog'\n"
        "try:\n    cspm.no_such_name\nexcept AttributeError as e:\n    print('missing:', e)\n"
        "print(len(names))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "missing: module 'cspm' has no attribute 'no_such_name'"
    assert int(out[1]) == 49


@pytest.mark.parametrize("package", ["core", "render", "ingest", "mining", "simulate", "analysis"])
def test_every_layer_is_a_package_with_a_docstring(package):
    init = LIB / package / "__init__.py"
    assert init.is_file()
    assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))


def test_discover_builds_each_derived_table_once(tmp_path):
    """One `cspm discover` with the full diagnosis and a to-be model: every table derived from the
    events (steps, case table, step intervals, visits, lead times, …) is built once and shared."""
    import cspm
    from cspm.pipeline import write_discovery

    samples = ROOT / "sample_logs"
    cfg = cspm.load_config(samples / "cspm.example.yaml")
    log = cspm.read(samples / "tickets_en.csv", config=cfg)
    write_discovery(log, tmp_path / "out", config=cfg, model=samples / "to_be.bpmn")
    builds = dict(log.derived.builds)
    assert {"steps", "case_table", "step_intervals", "visits", "lead_times", "repeated_events"} <= set(builds)
    assert builds == dict.fromkeys(builds, 1)
