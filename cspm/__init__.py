"""cspm — customer-service process mining: ticket event logs → a diagnosis of the service process.

Read a log, then discover, measure and diagnose::

    log = cspm.read("tickets.csv", config="cspm.yaml")
    cspm.discover(log).process_map("performance")
    cspm.analyse_waiting(log, cfg)        # waiting at every step vs the targets, bottleneck ranking
    cspm.analyse_value_stream(log, cfg)   # waiting vs working time, flow efficiency
    cspm.service_kpis(log, cfg)           # first response, resolution, FCR, reopen, …
    cspm.handoffs(log, cfg)               # handoffs, ping-pong, rework, approval loops, cost
    cspm.check_conformance(log, "to_be.bpmn")
"""

from cspm._version import __version__
from cspm.analysis.conformance.check import (
    ConformanceResult,
    ReferenceModel,
    check_conformance,
    load_model,
)
from cspm.analysis.handoffs.analysis import HandoffAnalysis, analyse_handoffs, handoffs
from cspm.analysis.kpis import ServiceKPIs
from cspm.analysis.kpis import kpis as service_kpis
from cspm.analysis.value_stream import ValueStream
from cspm.analysis.value_stream import value_stream as analyse_value_stream
from cspm.analysis.waiting import WaitingAnalysis, analyse_waiting
from cspm.config import Config, load_config
from cspm.core.log import TicketLog
from cspm.errors import ConfigError, CspmError, InputError, RoleDetectionError
from cspm.ingest.quality import DataQuality
from cspm.ingest.read import read
from cspm.mining.discovery import Discovery, discover
from cspm.mining.process_map import ProcessMap, process_map
from cspm.pipeline import build_report
from cspm.simulate import SimulationSettings, write_simulated_log

__all__ = [
    "__version__",
    "Config",
    "ConfigError",
    "ConformanceResult",
    "CspmError",
    "DataQuality",
    "Discovery",
    "HandoffAnalysis",
    "InputError",
    "ProcessMap",
    "ReferenceModel",
    "RoleDetectionError",
    "ServiceKPIs",
    "SimulationSettings",
    "TicketLog",
    "ValueStream",
    "WaitingAnalysis",
    "analyse_handoffs",
    "analyse_value_stream",
    "analyse_waiting",
    "build_report",
    "check_conformance",
    "discover",
    "handoffs",
    "load_config",
    "load_model",
    "process_map",
    "read",
    "service_kpis",
    "write_simulated_log",
]
