"""cspm — customer-service process mining: ticket event logs → a diagnosis of the service process.

Read a log, then discover, measure and diagnose::

    log = cspm.read("tickets.csv", config="cspm.yaml")
    cspm.discover(log).process_map("performance")
    cspm.waiting(log, cfg)                # waiting at every step vs the targets, bottleneck ranking
    cspm.value_stream(log, cfg)           # waiting vs working time, flow efficiency
    cspm.kpis(log, cfg)                   # first response, resolution, FCR, reopen, …
    cspm.service_desk(log, cfg)           # first-line resolution, push-to-front, level violations, …
    cspm.trends(log, cfg)                 # weekly volume, backlog, lead-time trend, segments, workload
    cspm.handoffs(log, cfg)               # handoffs, ping-pong, rework, approval loops, cost
    cspm.conformance(log, cfg, model="to_be.bpmn")  # fitness, deviations and rules against a to-be model
    cspm.drivers(log, cfg, outcome="breach:Assign L2")  # which tickets breach, and why
    cspm.compare(log, cfg, split="2024-03-01")   # before/after (or A/B, DiD) with significance
"""

from __future__ import annotations

import importlib
from typing import Any

from cspm._version import __version__

# The public API, loaded on first use (PEP 562): ``import cspm`` (and so ``cspm --help``) stays fast
# and pulls in neither the engine (Ibis, DuckDB, pandas) nor the mining libraries until a name is used.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "cspm.analysis.compare": (
        "ROI",
        "Baseline",
        "Comparison",
        "Monitor",
        "baseline",
        "compare",
        "load_baseline",
        "monitor",
        "potential",
        "roi",
    ),
    "cspm.analysis.conformance": (
        "ConformanceResult",
        "ReferenceModel",
        "check_conformance",
        "conformance",
        "load_model",
    ),
    "cspm.analysis.drivers": ("DriverAnalysis", "drivers"),
    "cspm.analysis.handoffs.analysis": ("HandoffAnalysis", "analyse_handoffs", "handoffs"),
    "cspm.analysis.kpis": ("ServiceKPIs", "kpis", "service_kpis"),
    "cspm.analysis.service_desk": ("ServiceDeskKPIs", "service_desk"),
    "cspm.analysis.trends": ("Trends", "trends"),
    "cspm.analysis.value_stream": ("ValueStream", "analyse_value_stream", "value_stream"),
    "cspm.analysis.waiting": ("WaitingAnalysis", "analyse_waiting", "waiting"),
    "cspm.config": ("Config", "load_config"),
    "cspm.core.log": ("TicketLog",),
    "cspm.errors": ("ConfigError", "CspmError", "InputError", "RoleDetectionError"),
    "cspm.ingest.quality": ("DataQuality",),
    "cspm.ingest.read": ("read",),
    "cspm.mining.discovery": ("Discovery", "discover"),
    "cspm.mining.process_map": ("ProcessMap", "process_map"),
    "cspm.pipeline": ("build_report",),
    "cspm.simulate": ("SimulationSettings", "write_simulated_log"),
}
_MODULE_OF: dict[str, str] = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = ["__version__", *_MODULE_OF]


def __getattr__(name: str) -> Any:
    """Import the module that defines a public name the first time it is used, and keep the name."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'cspm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
