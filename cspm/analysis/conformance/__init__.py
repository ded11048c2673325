"""Conformance to the to-be model: reference models, specs, checking, deviations, rules.

* :mod:`~cspm.analysis.conformance.models`: :class:`ReferenceModel` and :func:`load_model` (BPMN,
  PNML, process trees, YAML specs, mined models), checked before use;
* :mod:`~cspm.analysis.conformance.spec`: the YAML happy-path spec (:class:`PathSpec`);
* :mod:`~cspm.analysis.conformance.check`: :func:`conformance` and its :class:`ConformanceResult`;
* :mod:`~cspm.analysis.conformance.deviations`: skipped and unexpected steps from alignments;
* :mod:`~cspm.analysis.conformance.rules`: declarative rules per ticket (:class:`RuleResults`);
* :mod:`~cspm.analysis.conformance.drawing`: the model drawn with its deviations.
"""

from cspm.analysis.conformance.check import (
    AlignmentFitness,
    ConformanceResult,
    ConformanceSummary,
    Method,
    TokenReplayFitness,
    UnalignedVariant,
    check_conformance,
    conformance,
)
from cspm.analysis.conformance.deviations import InsertedStep, SkippedStep
from cspm.analysis.conformance.errors import ModelError
from cspm.analysis.conformance.models import ModelKind, ModelSummary, ReferenceModel, load_model
from cspm.analysis.conformance.rules import RuleResults, RulesSummary, RuleSummary, check_rules
from cspm.analysis.conformance.spec import PathSpec, load_spec

__all__ = [
    "AlignmentFitness",
    "ConformanceResult",
    "ConformanceSummary",
    "InsertedStep",
    "Method",
    "ModelError",
    "ModelKind",
    "ModelSummary",
    "PathSpec",
    "ReferenceModel",
    "RuleResults",
    "RuleSummary",
    "RulesSummary",
    "SkippedStep",
    "TokenReplayFitness",
    "UnalignedVariant",
    "check_conformance",
    "check_rules",
    "conformance",
    "load_model",
    "load_spec",
]
