"""The YAML happy-path spec: the intended path of a ticket for teams without a modelling tool.

.. code-block:: yaml

    name: Help desk, to-be
    steps:
      - Ticket created                       # a step, exactly once
      - First response
      - optional: [Pending customer, Customer replied]   # a group that may be left out
      - step: Investigate                    # a step with options
        repeat: true                         # once or more (add `optional: true` for zero or more)
      - step: Diagnose
        repeat: [Transfer]                   # again right away, or after a Transfer
      - choice:                              # alternatives; each one a step or a list of steps
          - Approve
          - [Reject, Resubmit request]
      - sequence: [Transfer, Investigate]    # a group with options
        optional: true
        repeat: true
      - Close ticket

Every node is a step name, ``{step: …}``, ``{sequence: [...]}``, ``{choice: [...]}`` or the
shorthands ``{optional: [...]}`` and ``{repeat: [...]}``; ``optional`` and ``repeat`` may be added to
any of them. Each step name should appear once (token replay needs unique steps; use ``repeat: [...]``
for loops through other steps). Errors name the file and the element, e.g. ``steps[3].choice[1]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
)

from cspm.analysis.conformance.errors import ModelError
from cspm.i18n import gettext as _

__all__ = ["PathSpec", "load_spec", "spec_from_dict"]


def _normalise(value: Any) -> Any:
    """Shorthands → the long form: 'X' → {step: X}; {optional: [..]} → {sequence: [..], optional: true}."""
    if isinstance(value, str):
        return {"step": value}
    if isinstance(value, dict) and not ({"step", "sequence", "choice"} & value.keys()):
        for key in ("optional", "repeat"):
            if isinstance(value.get(key), list):
                rest = {k: v for k, v in value.items() if k != key}
                return {"sequence": value[key], key: True, **rest}
    return value


def _kind(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("step", "sequence", "choice"):
            if key in value:
                return key
    return None


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    optional: bool = Field(default=False, description="may be left out")
    repeat: bool | list[Node] = Field(
        default=False, description="true: may occur again right after itself; a list: also after one of these"
    )


class Step(_Node):
    step: Annotated[str, Field(min_length=1)]


class Sequence(_Node):
    sequence: list[Node] = Field(min_length=1)


def _alternatives(value: Any) -> Any:
    return [a if isinstance(a, list) else [a] for a in value] if isinstance(value, list) else value


class Choice(_Node):
    choice: Annotated[list[list[Node]], BeforeValidator(_alternatives)] = Field(min_length=2)


Node = Annotated[
    Annotated[Step, Tag("step")] | Annotated[Sequence, Tag("sequence")] | Annotated[Choice, Tag("choice")],
    Discriminator(_kind, custom_error_type="element", custom_error_message=(
        "not a step: write a step name, {step: …}, {sequence: [...]}, {choice: [...]}, "
        "{optional: [...]} or {repeat: [...]}"
    )),
    BeforeValidator(_normalise),
]  # fmt: skip


class PathSpec(BaseModel):
    """The intended path: a name and the ordered steps."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "to-be process"
    steps: list[Node] = Field(min_length=1)

    def activities(self) -> list[str]:
        """The step names, in the order they first appear."""
        return list(self.step_counts())

    def step_counts(self) -> dict[str, int]:
        """Step name → how often the spec names it (in order of first appearance)."""
        seen: dict[str, int] = {}

        def walk(node: Any) -> None:
            if isinstance(node, list):
                for n in node:
                    walk(n)
                return
            if isinstance(node, Step):
                seen[node.step] = seen.get(node.step, 0) + 1
            elif isinstance(node, Sequence):
                walk(node.sequence)
            elif isinstance(node, Choice):
                walk(node.choice)
            if isinstance(node.repeat, list):
                walk(node.repeat)

        walk(self.steps)
        return seen

    def to_nodes(self) -> tuple[Any, ...]:
        """Nested tuples for :func:`cspm.mining.pm4py.tree_from_nodes`."""

        def wrap(core: tuple[Any, ...], node: _Node) -> tuple[Any, ...]:
            if node.repeat is True:
                core = ("loop", core, ("tau",))
            elif node.repeat:
                core = ("loop", core, ("xor", [("tau",), *(conv(n) for n in node.repeat)]))
            if node.optional:
                core = ("xor", [core, ("tau",)])
            return core

        def seq(nodes: list[Any]) -> tuple[Any, ...]:
            parts = [conv(n) for n in nodes]
            return parts[0] if len(parts) == 1 else ("seq", parts)

        def conv(node: Any) -> tuple[Any, ...]:
            if isinstance(node, Step):
                return wrap(("act", node.step), node)
            if isinstance(node, Sequence):
                return wrap(seq(node.sequence), node)
            alts = [seq(a) for a in node.choice]
            return wrap(("xor", alts), node)

        return seq(self.steps)


Step.model_rebuild()
Sequence.model_rebuild()
Choice.model_rebuild()
PathSpec.model_rebuild()


def _element(loc: tuple[Any, ...]) -> str:
    """('steps', 1, 'choice', 'choice', 0, 2) → 'steps[1].choice[0][2]' (union tags dropped)."""
    out = ""
    prev: Any = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not (isinstance(prev, int) and part in ("step", "sequence", "choice")):
            out += f".{part}" if out else str(part)
        prev = part
    return out or "(top level)"


def spec_from_dict(data: Any, path: str | Path | None = None) -> PathSpec:
    """Validate a spec given as a dict; errors name the file and the element."""
    if not isinstance(data, dict):
        raise ModelError(_("a happy-path spec is a mapping with 'name' and 'steps'"), path=path, element="(top level)")
    try:
        return PathSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown key {err['loc'][-1]!r} (keys: step, sequence, choice, optional, repeat)"
        value = err.get("input")
        shown = f" (got {value!r})" if not isinstance(value, dict | list) else ""
        more = f"; {len(exc.errors()) - 1} more problem(s)" if len(exc.errors()) > 1 else ""
        raise ModelError(msg + shown + more, path=path, element=_element(tuple(err["loc"]))) from None


def load_spec(path: str | Path) -> PathSpec:
    """Read a YAML happy-path spec."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        raise ModelError(_("not valid YAML: {value}").format(value=getattr(exc, 'problem', exc)), path=path, element=where) from None
    return spec_from_dict(data, path)
