"""The ``cspm`` command line: a thin layer over the library (one module per command).

Each command module registers itself on ``app`` when imported.
"""

from __future__ import annotations

from cspm.cli import baseline as _baseline  # noqa: F401
from cspm.cli import bottlenecks as _bottlenecks  # noqa: F401
from cspm.cli import compare as _compare  # noqa: F401
from cspm.cli import conformance as _conformance  # noqa: F401
from cspm.cli import discover as _discover  # noqa: F401
from cspm.cli import drivers as _drivers  # noqa: F401
from cspm.cli import handoffs as _handoffs  # noqa: F401
from cspm.cli import monitor as _monitor  # noqa: F401
from cspm.cli import simulate as _simulate  # noqa: F401
from cspm.cli import validate as _validate  # noqa: F401
from cspm.cli._app import app, main

__all__ = ["app", "main"]
