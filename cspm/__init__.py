"""cspm — customer-service process mining: ticket event logs → a diagnosis of the service process."""

from cspm.config import Config, load_config
from cspm.errors import ConfigError, CspmError, InputError, RoleDetectionError
from cspm.log import TicketLog
from cspm.quality import DataQuality
from cspm.read import read

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "CspmError",
    "DataQuality",
    "InputError",
    "RoleDetectionError",
    "TicketLog",
    "load_config",
    "read",
]
