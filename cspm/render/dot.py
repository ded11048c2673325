"""Graphviz DOT: the one escaper of cspm and a small builder of DOT source.

Every name that reaches a DOT file (steps, teams, agents from the log) goes through :func:`text`:
backslashes and double quotes are escaped, control characters dropped, bidi controls made visible
(``<U+202E>``), line breaks become spaces,
and ``&`` is spelled ``&amp;`` (Graphviz reads ``&name;`` in labels as an entity). Graphviz then
XML-escapes labels when it writes SVG, so names cannot inject markup into maps.

A multi-line label is built from escaped parts with :func:`label` (``label("Assign", "3 h")``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cspm.render.safe import visible_bidi

__all__ = ["Dot", "attrs", "label", "quote", "text"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(value: Any) -> str:
    """``value`` as the body of a double-quoted DOT string (see the module docstring)."""
    s = visible_bidi(_CONTROL.sub("", str(value))).replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")


def quote(value: Any) -> str:
    """``value`` as a double-quoted, escaped DOT string."""
    return f'"{text(value)}"'


def label(*lines: Any) -> str:
    """A quoted label of several lines, each escaped (joined by DOT's ``\\n``)."""
    return '"' + "\\n".join(text(line) for line in lines) + '"'


_BARE = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$|^[A-Za-z_][A-Za-z0-9_]*$")


def _value(value: Any) -> str:
    """An attribute value: numbers and identifiers bare, pre-quoted strings as given, else quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    s = str(value)
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':  # already built by quote() / label()
        return s
    return s if _BARE.match(s) else quote(s)


def attrs(values: Mapping[str, Any]) -> str:
    """``[k=v, …]`` for the attributes that are not None (empty string when there are none)."""
    items = [f"{k}={_value(v)}" for k, v in values.items() if v is not None]
    return f" [{', '.join(items)}]" if items else ""


@dataclass
class Dot:
    """DOT source built statement by statement; node ids are the caller's (safe identifiers)."""

    name: str = "G"
    graph: dict[str, Any] = field(default_factory=dict)
    node_defaults: dict[str, Any] = field(default_factory=dict)
    edge_defaults: dict[str, Any] = field(default_factory=dict)
    _lines: list[str] = field(default_factory=list)

    def node(self, node_id: str, **attributes: Any) -> Dot:
        self._lines.append(f"  {node_id}{attrs(attributes)};")
        return self

    def edge(self, source: str, target: str, **attributes: Any) -> Dot:
        self._lines.append(f"  {source} -> {target}{attrs(attributes)};")
        return self

    def raw(self, statements: Iterable[str]) -> Dot:
        """Statements written by the caller (already escaped)."""
        self._lines.extend(f"  {s}" for s in statements)
        return self

    def source(self) -> str:
        head = [f"digraph {self.name} {{"]
        for kind, values in (("graph", self.graph), ("node", self.node_defaults), ("edge", self.edge_defaults)):
            if values:
                head.append(f"  {kind}{attrs(values)};")
        return "\n".join([*head, *self._lines, "}"]) + "\n"
