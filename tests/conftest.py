"""Shared fixtures: the real Helpdesk log, small hand-made logs, and a local Spark session.

The real log lives outside the repository, in ``../shared/logs/`` next to the clone (or in the
folder named by the environment variable ``CSPM_SHARED_LOGS``). On a fresh clone it is absent: every
test that needs it skips with a reason starting ``SHARED-LOG-SKIPPED``; `.ci/run` fails if any did.

Engine parity: every event-level computation is checked on DuckDB and on Spark with the
`spark` fixture (see tests/test_parity_*.py). Without Java or pyspark the Spark tests skip with the
reason; `.ci/run` fails if they were skipped.
"""

from __future__ import annotations

import os
import shutil
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
