"""Shared fixtures: the real Helpdesk log, small hand-made logs, and a local Spark session.

The real log lives outside the repository, in ``../shared/logs/`` next to the clone (or in the
folder named by the environment variable ``CSPM_SHARED_LOGS``). On a fresh clone it is absent: every
test that needs it skips with a reason starting ``SHARED-LOG-SKIPPED``; `.ci/run` fails if any did.

Engine parity: every event-level computation is checked on DuckDB and on Spark with the
`spark` fixture (see tests/test_parity_*.py). Without Java or pyspark the Spark tests skip with the
reason; `.ci/run` fails if they were skipped.

PostgreSQL: the `postgres_url` fixture gives a real server (`POSTGRES-SKIPPED` where none can be
started; `.ci/run` fails if any test skipped for it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

import cspm

ROOT = Path(__file__).resolve().parents[1]
SHARED_LOGS = Path(os.environ.get("CSPM_SHARED_LOGS") or ROOT.parent / "shared" / "logs")
HELPDESK = SHARED_LOGS / "helpdesk.xes.gz"
SAMPLES = ROOT / "sample_logs"
SHARED_SKIP_MARKER = "SHARED-LOG-SKIPPED"


@pytest.fixture(scope="session")
def helpdesk_path() -> Path:
    """The real Helpdesk log (4,580 cases, 21,348 events, 14 activities); skips where it is absent."""
    if not HELPDESK.is_file():
        pytest.skip(f"{SHARED_SKIP_MARKER}: real log not found at {HELPDESK} "
                    "(put it there or set CSPM_SHARED_LOGS to its folder)")  # fmt: skip
    return HELPDESK


@pytest.fixture(scope="session")
def helpdesk_log(helpdesk_path: Path) -> cspm.TicketLog:
    return cspm.read(helpdesk_path)


@pytest.fixture(scope="session")
def helpdesk_pm4py(helpdesk_path: Path):
    """The Helpdesk log as pm4py reads it (a pandas DataFrame), for independent computations."""
    import pm4py

    return pm4py.read_xes(str(helpdesk_path))


def _spark_unavailable() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'cspm[spark]')"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "Java is not installed (Spark needs Java 17)"
    return None


@pytest.fixture(scope="session")
def spark():
    """A local Spark session (local[2], UTC), shared by the whole test run."""
    reason = _spark_unavailable()
    if reason:
        pytest.skip(f"SPARK-SKIPPED: {reason}")
    from cspm.core.engine import spark_session

    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def helpdesk_spark(helpdesk_log, spark) -> cspm.TicketLog:
    """The Helpdesk log with its events on Spark."""
    from cspm.core.engine import to_spark

    return to_spark(helpdesk_log, spark)


POSTGRES_SKIP_MARKER = "POSTGRES-SKIPPED"


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server for the tests: the one named by ``CSPM_POSTGRES_URL`` (`.ci/run`
    starts it), else a throw-away server started here by ``.ci/postgres`` (Debian's `postgresql`
    package, run as an unprivileged user); skips with ``POSTGRES-SKIPPED`` where neither works."""
    import socket
    import subprocess

    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip(f"{POSTGRES_SKIP_MARKER}: psycopg is not installed (pip install 'cspm[postgres]')")
    if os.environ.get("CSPM_POSTGRES_URL"):
        yield os.environ["CSPM_POSTGRES_URL"]
        return
    folder = Path(tempfile.mkdtemp(prefix="cspm_pg_"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = str(ROOT / ".ci" / "postgres")
    started = subprocess.run(["bash", script, "start", str(folder), str(port)], capture_output=True, text=True)
    if started.returncode != 0:
        pytest.skip(f"{POSTGRES_SKIP_MARKER}: no PostgreSQL server could be started "
                    f"({(started.stderr or started.stdout).strip()[:200]}); apt-get install postgresql")  # fmt: skip
    yield started.stdout.strip().splitlines()[-1]
    subprocess.run(["bash", script, "stop", str(folder)], capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


def assert_same_figures(got, want, path: str = "", rel: float = 1e-9) -> None:
    """Two summaries (nested dicts and lists) hold the same figures: numbers equal to ``rel``
    (engines interpolate quantiles with different rounding in the last digits), all else exactly."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), f"{path}: keys {sorted(got)} != {sorted(want)}"
        for key in want:
            assert_same_figures(got[key], want[key], f"{path}.{key}", rel)
    elif isinstance(want, list | tuple):
        assert isinstance(got, list | tuple) and len(got) == len(want), f"{path}: {got!r} != {want!r}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same_figures(g, w, f"{path}[{i}]", rel)
    elif isinstance(want, float) and not isinstance(got, bool):
        assert got == pytest.approx(want, rel=rel, nan_ok=True), f"{path}: {got!r} != {want!r}"
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"
