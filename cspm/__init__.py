"""cspm — customer-service process mining: ticket event logs → a diagnosis of the service process.

Read a log, then discover, measure and diagnose::

    log = cspm.read("tickets.csv", config="cspm.yaml")
    cspm.discover(log).process_map("performance")
    cspm.analyse_waiting(log, cfg)        # waiting at every step vs the targets, bottleneck ranking
    cspm.analyse_value_stream(log, cfg)   # waiting vs working time, flow efficiency
    cspm.service_kpis(log, cfg)           # first response, resolution, FCR, reopen, …
    cspm.analyse_handoffs(log, cfg)       # handoffs, ping-pong, rework, approval loops, cost
    cspm.check_conformance(log, "to_be.bpmn")
"""

from cspm.config import Config, load_config
from cspm.conformance import ConformanceResult, ReferenceModel, check_conformance, load_model
from cspm.discovery import Discovery, discover
from cspm.errors import ConfigError, CspmError, InputError, RoleDetectionError
from cspm.handoffs import HandoffAnalysis, analyse_handoffs
from cspm.kpis import ServiceKPIs
from cspm.kpis import kpis as service_kpis
from cspm.log import TicketLog
from cspm.process_map import ProcessMap, process_map
from cspm.quality import DataQuality
from cspm.read import read
from cspm.report import build_report
from cspm.simulate import SimulationSettings, write_simulated_log
from cspm.value_stream import ValueStream
from cspm.value_stream import value_stream as analyse_value_stream
from cspm.waiting import WaitingAnalysis, analyse_waiting

__version__ = "0.1.0"

__all__ = [
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
    "load_config",
    "load_model",
    "process_map",
    "read",
    "service_kpis",
    "write_simulated_log",
]
