"""The ticket simulator: a realistic help-desk log with its ground truth (never imports ingest or analysis)."""

from cspm.simulate.simulator import *  # noqa: F403
from cspm.simulate.simulator import __all__  # noqa: F401
