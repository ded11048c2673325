"""`cspm --help` stays fast: importing the CLI (and so `import cspm`) loads none of the heavy
third-party packages; the library imports them inside the functions that need them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["cspm", "cspm.cli"])
def test_import_leaves_pm4py_matplotlib_and_pyspark_out(module):
    code = f"import sys, {module}; print(sorted(m for m in ('pm4py', 'matplotlib', 'pyspark') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_help_lists_every_command():
    proc = subprocess.run([sys.executable, "-m", "cspm", "--help"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "120"})
    assert proc.returncode == 0, proc.stderr
    for command in ("validate", "simulate", "discover", "bottlenecks", "handoffs", "conformance"):
        assert command in proc.stdout
