"""Shared benchmark plumbing: a simulated log on disk, and pipelines run in fresh interpreters.

Peak memory is the child's own ``VmHWM`` (not ``ru_maxrss``: on Linux that keeps the parent's peak
across fork + exec, which would inflate a small pipeline run from a large parent).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

_PEAK = """
import re as _re, resource as _resource
_hwm = int(_re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
print(json.dumps({"peak_kb": _hwm, "children_kb": _resource.getrusage(_resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def simulated_log(n_events: int, suffix: str = ".csv", seed: int = 1) -> Path:
    """A simulated ticket log of about ``n_events`` events in the temp folder (made once)."""
    from cspm.simulate import SimulationSettings, write_simulated_log

    folder = Path(tempfile.gettempdir()) / "cspm_bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"tickets_{n_events}{suffix}"
    if not path.exists():
        write_simulated_log(path, SimulationSettings(n_events=n_events, seed=seed))
    return path


def run_pipeline(code: str, **variables: Any) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter with ``variables`` defined (as literals).

    The code prints one JSON object as its last line; the result adds ``wall_seconds`` (whole
    process, start-up included) and ``peak_mb`` (the process's own high-water mark).
    """
    head = "import json\n" + "".join(f"{name} = {value!r}\n" for name, value in variables.items())
    script = head + textwrap.dedent(code) + _PEAK
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"pipeline failed:\n{out.stderr[-3000:]}")
    lines = [line for line in out.stdout.strip().splitlines() if line.startswith("{")]
    result = json.loads(lines[-2])
    peak = json.loads(lines[-1])
    result.update(
        wall_seconds=time.perf_counter() - t,
        peak_mb=peak["peak_kb"] / 1024,
        children_peak_mb=peak["children_kb"] / 1024,
    )
    return result
