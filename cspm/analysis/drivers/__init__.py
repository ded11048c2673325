"""Root causes: the drivers of an outcome (``cspm.drivers``); see :mod:`.analysis`."""

from cspm.analysis.drivers.analysis import DriverAnalysis, DriversSummary, drivers
from cspm.analysis.drivers.outcomes import Outcome, OutcomeError
from cspm.analysis.drivers.segments import SegmentComparison, segments

__all__ = [
    "DriverAnalysis", "DriversSummary", "Outcome", "OutcomeError", "SegmentComparison", "drivers", "segments",
]
