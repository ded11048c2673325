"""Handoffs, ping-pong, rework, approval loops, redundancy and their findings.

Modules, each importing only those above it:

* :mod:`~cspm.analysis.handoffs.visits` — the shared engine expressions (unit column, visits, lead
  times, missing values) and the derived tables built from them once per log;
* :mod:`~cspm.analysis.handoffs.formatting` — how figures are written in sentences and tables;
* :mod:`~cspm.analysis.handoffs.handoffs`, :mod:`~cspm.analysis.handoffs.pingpong`,
  :mod:`~cspm.analysis.handoffs.rework` (rework, approval loops, process loops) — the parts;
* :mod:`~cspm.analysis.handoffs.redundancy` — the redundant steps of all parts and their cost;
* :mod:`~cspm.analysis.handoffs.findings` — the findings and the section's values;
* :mod:`~cspm.analysis.handoffs.analysis` — :class:`HandoffAnalysis` and :func:`cspm.handoffs`.
"""
