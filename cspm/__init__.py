"""cspm — customer-service process mining: ticket event logs → a diagnosis of the service process."""

from cspm.config import Config, load_config
from cspm.discovery import Discovery, discover
from cspm.errors import ConfigError, CspmError, InputError, RoleDetectionError
from cspm.log import TicketLog
from cspm.process_map import ProcessMap, process_map
from cspm.quality import DataQuality
from cspm.read import read
from cspm.report import build_report

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "CspmError",
    "DataQuality",
    "Discovery",
    "InputError",
    "ProcessMap",
    "RoleDetectionError",
    "TicketLog",
    "build_report",
    "discover",
    "load_config",
    "process_map",
    "read",
]
