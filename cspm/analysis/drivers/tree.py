"""Combinations of drivers: a shallow decision tree (scikit-learn) read as rules.

The tree is grown over one-hot indicators ``driver = value`` of the strongest drivers (at most
``max_drivers``), depth ≤ ``max_depth`` (3), every leaf with at least ``min_leaf`` tickets. The
engine counts tickets and outcomes per combination of those drivers' values; the tree is fitted on
these combinations expanded to one row per ticket (the same tree as on the ticket table). Each leaf
whose outcome rate is above the overall rate becomes a rule, e.g. "channel = email and priority = P3
→ 61% vs 18% overall, 412 tickets". The tree's accuracy is the mean 5-fold (stratified, shuffled,
fixed seed) cross-validated accuracy, stated next to the accuracy of always predicting the majority
class.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cspm.analysis.drivers.features import shown_driver, shown_value
from cspm.core.log import CASE
from cspm.i18n import gettext as _

__all__ = ["Rule", "TreeRules", "combinations", "grow_tree"]


@dataclass(frozen=True)
class Rule:
    """One leaf of the tree: its conditions (driver, '=' or '≠', value), tickets and outcome rate."""

    conditions: tuple[tuple[str, str, str], ...]
    tickets: int
    outcomes: int
    rate: float

    def text(self, overall: float) -> str:
        parts = [f"{shown_driver(d)} {op} {shown_value(v)}" for d, op, v in self.conditions]
        cond = functools.reduce(lambda a, b: _("{left} and {right}").format(left=a, right=b), parts) if parts else _("all tickets")
        return _("{conditions} → {rate} vs {overall} overall, {tickets} tickets").format(
            conditions=cond, rate=f"{self.rate:.0%}", overall=f"{overall:.0%}", tickets=f"{self.tickets:,}")


@dataclass(frozen=True)
class TreeRules:
    """The rules of the tree (highest rate first), its cross-validated and baseline accuracy."""

    rules: tuple[Rule, ...]
    overall_rate: float
    cv_accuracy: float | None
    baseline_accuracy: float
    drivers: tuple[str, ...]
    tickets: int
    notes: tuple[str, ...] = field(default=())


def combinations(features: ir.Table, outcome: ir.Table, drivers: list[str]) -> pd.DataFrame:
    """Tickets ``n`` and outcomes ``k`` per combination of the ``drivers``' values (engine)."""
    j = features.select(CASE, *drivers).join(outcome.select(CASE, "y"), CASE)
    g = j.group_by(drivers).aggregate(n=j.count(), k=j.y.cast("int64").sum())
    return g.to_pandas().sort_values(drivers, kind="stable").reset_index(drop=True)


def grow_tree(
    combos: pd.DataFrame, drivers: list[str], *, max_depth: int = 3, min_leaf: int = 30, seed: int = 0
) -> TreeRules:
    """The tree over the combinations (see the module docstring)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.tree import DecisionTreeClassifier

    names, other = [], {}
    for d in drivers:
        values = sorted(combos[d].astype(str).unique())
        if len(values) == 2:  # one indicator; its negation is the other value
            keep = "yes" if "yes" in values else values[1]
            other[d] = values[0] if keep == values[1] else values[1]
            values = [keep]
        names += [(d, v) for v in values]
    onehot = np.column_stack([(combos[d].astype(str) == v).to_numpy() for d, v in names]).astype(np.int8)
    n = combos["n"].to_numpy(dtype=np.int64)
    k = combos["k"].to_numpy(dtype=np.int64)
    x = np.repeat(np.vstack([onehot, onehot]), np.concatenate([k, n - k]), axis=0)
    y = np.repeat(np.concatenate([np.ones(len(k), bool), np.zeros(len(k), bool)]), np.concatenate([k, n - k]))
    total, pos = int(n.sum()), int(k.sum())
    overall = pos / total if total else 0.0
    baseline = max(overall, 1 - overall)
    if total == 0 or pos in (0, total) or not names:
        return TreeRules((), overall, None, baseline, tuple(drivers), total, ("no variation to explain",))
    model = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_leaf, random_state=seed)
    model.fit(x, y)
    folds = min(5, pos, total - pos)
    cv = None
    if folds >= 2:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        cv = float(cross_val_score(model, x, y, cv=splitter, scoring="accuracy").mean())
    rules = _rules(model, x, y, names, other)
    rules = tuple(sorted((r for r in rules if r.rate > overall), key=lambda r: (-r.rate, -r.tickets)))
    return TreeRules(rules, overall, cv, baseline, tuple(drivers), total)


def _rules(
    model: object, x: np.ndarray, y: np.ndarray, names: list[tuple[str, str]], other: dict[str, str]
) -> list[Rule]:
    t = model.tree_  # type: ignore[attr-defined]
    leaf_of = model.apply(x)  # type: ignore[attr-defined]
    out: list[Rule] = []

    def walk(node: int, path: list[tuple[str, str, str]]) -> None:
        if t.children_left[node] == -1:
            members = leaf_of == node
            n_leaf, k_leaf = int(members.sum()), int(y[members].sum())
            out.append(Rule(_simplify(path), n_leaf, k_leaf, k_leaf / n_leaf if n_leaf else 0.0))
            return
        d, v = names[t.feature[node]]
        left = (d, "=", other[d]) if d in other else (d, "≠", v)
        walk(t.children_left[node], [*path, left])  # indicator ≤ 0.5
        walk(t.children_right[node], [*path, (d, "=", v)])

    walk(0, [])
    return out


def _simplify(path: list[tuple[str, str, str]]) -> tuple[tuple[str, str, str], ...]:
    """Drop 'd ≠ v' where the path also says 'd = w' (implied)."""
    equal = {d for d, op, _ in path if op == "="}
    return tuple(c for c in path if c[1] == "=" or c[0] not in equal)
