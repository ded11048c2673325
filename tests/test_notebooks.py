"""Every notebook in notebooks/ runs top to bottom (nbclient, this interpreter's kernel) and is
stored without outputs. Notebooks run from the repository alone: they read sample_logs/, never the
shared real log next to the clone, so they are executed from a copy of notebooks/ and sample_logs/
in a temporary folder (a fresh clone, as far as the notebooks can tell)."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# a quoted relative path in a notebook's code: '../sample_logs/x.csv', "./out"
RELATIVE_PATH = re.compile(r"""['"](\.{1,2}/[^'"]*)['"]""")


def _code(path: Path) -> list[str]:
    import nbformat

    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.fixture(scope="session")
def kernel_name(tmp_path_factory) -> str:
    """A kernel that runs this interpreter (the venv's ipykernel), registered in a temp dir if needed."""
    import ipykernel  # noqa: F401  (a test dependency: the notebooks must run, never skip)
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
        # jupyter_client launches a kernel whose argv[0] is plain 'python'/'python3' with sys.executable
        if spec.argv[0] == sys.executable or spec.argv[0] in ("python", "python3"):
            return "python3"
    except NoSuchKernel:
        pass
    # register a kernel for this interpreter where jupyter_client looks (JUPYTER_PATH)
    import json
    import os

    base = tmp_path_factory.mktemp("jupyter")
    kdir = base / "kernels" / "cspm-test"
    kdir.mkdir(parents=True)
    kdir.joinpath("kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "cspm test", "language": "python",
    }))  # fmt: skip
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(base), os.environ.get("JUPYTER_PATH")]))
    return "cspm-test"


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS] == [
        "01_discover.ipynb", "02_waiting_vs_targets.ipynb", "03_handoffs_and_loops.ipynb", "04_conformance.ipynb",
        "05_verify_improvement.ipynb",
        "06_root_causes.ipynb",
    ]  # fmt: skip


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_reads_only_files_of_the_repository(path: Path):
    """Every relative path a notebook opens exists inside the repository (a fresh clone has no ../shared)."""
    sources = _code(path)
    assert not any("shared/" in s or "helpdesk.xes" in s for s in sources), f"{path.name} reads the shared real log"
    paths = [m for s in sources for m in RELATIVE_PATH.findall(s)]
    assert paths, f"{path.name} opens no sample log"
    for rel in paths:
        target = (path.parent / rel).resolve()
        assert target.is_relative_to(ROOT) and target.exists(), f"{path.name}: {rel!r} is not a file of the repository"


@pytest.fixture(scope="session")
def clone(tmp_path_factory) -> Path:
    """notebooks/ and sample_logs/ copied to a temporary folder with nothing next to it."""
    base = tmp_path_factory.mktemp("fresh") / "cspm"
    for folder in ("notebooks", "sample_logs"):
        shutil.copytree(ROOT / folder, base / folder)
    assert not (base.parent / "shared").exists()
    return base


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, kernel_name: str, clone: Path):
    import nbformat
    from nbclient import NotebookClient

    path = clone / "notebooks" / path.name
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, f"{path.name} has stored outputs"
    client = NotebookClient(nb, timeout=600, kernel_name=kernel_name, resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert shown, "the notebook displays nothing"
