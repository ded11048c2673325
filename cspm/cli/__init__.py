"""The ``cspm`` command line: a thin layer over the library (one module per command)."""

from __future__ import annotations

from cspm.cli._app import app, main

# Each command module registers itself on `app` when imported.
from cspm.cli import validate as _validate  # noqa: E402,F401
from cspm.cli import simulate as _simulate  # noqa: E402,F401
from cspm.cli import conformance as _conformance  # noqa: E402,F401
from cspm.cli import handoffs as _handoffs  # noqa: E402,F401
from cspm.cli import bottlenecks as _bottlenecks  # noqa: E402,F401
from cspm.cli import discover as _discover  # noqa: E402,F401

__all__ = ["app", "main"]
