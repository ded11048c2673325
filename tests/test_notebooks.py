"""Every notebook in notebooks/ runs top to bottom (nbclient, this interpreter's kernel) and is
stored without outputs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="session")
def kernel_name(tmp_path_factory) -> str:
    """A kernel that runs this interpreter (the venv's ipykernel), registered in a temp dir if needed."""
    pytest.importorskip("ipykernel")
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
    assert any(p.name == "01_discover.ipynb" for p in NOTEBOOKS)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, kernel_name: str):
    import nbformat
    from nbclient import NotebookClient

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
