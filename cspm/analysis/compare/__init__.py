"""Verify the improvement: compare two logs or two parts of one log, baselines, monitoring, ROI."""

from cspm.analysis.compare.baseline import Baseline, baseline, load_baseline
from cspm.analysis.compare.comparison import Comparison, compare
from cspm.analysis.compare.monitor import Monitor, monitor
from cspm.analysis.compare.roi import ROI, potential, roi

__all__ = ["Baseline", "Comparison", "baseline", "compare", "load_baseline", "Monitor", "monitor", "ROI", "potential", "roi"]
