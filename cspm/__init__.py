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
"""

from cspm._version import __version__
from cspm.analysis.conformance import (
    ConformanceResult,
    ReferenceModel,
    check_conformance,
    conformance,
    load_model,
)
from cspm.analysis.handoffs.analysis import HandoffAnalysis, analyse_handoffs, handoffs
from cspm.analysis.kpis import ServiceKPIs, kpis, service_kpis
from cspm.analysis.service_desk import ServiceDeskKPIs, service_desk
from cspm.analysis.trends import Trends, trends
from cspm.analysis.value_stream import ValueStream, analyse_value_stream, value_stream
from cspm.analysis.waiting import WaitingAnalysis, analyse_waiting, waiting
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
    "ServiceDeskKPIs",
    "ServiceKPIs",
    "Trends",
    "SimulationSettings",
    "TicketLog",
    "ValueStream",
    "WaitingAnalysis",
    "analyse_handoffs",
    "analyse_value_stream",
    "analyse_waiting",
    "build_report",
    "check_conformance",
    "conformance",
    "discover",
    "handoffs",
    "kpis",
    "load_config",
    "load_model",
    "process_map",
    "read",
    "service_desk",
    "service_kpis",
    "trends",
    "value_stream",
    "waiting",
    "write_simulated_log",
]
