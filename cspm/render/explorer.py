"""What the report's explorable process map needs from the page side: stable keys for the steps and
transitions of a map (CSS classes in the SVG, keys in the embedded data) and the embedded data itself.

The map explorer (``report.js``) finds a map's elements by these keys: a step is drawn with class
``cspm-k-<node_key>``, a transition with ``cspm-k-<edge_key>``, the start/end edges of a step with
``cspm-s-<node_key>`` / ``cspm-t-<node_key>``. Keys are short hashes, so any name (quotes, markup,
Chinese) becomes a safe class name and the same step has the same key at every simplification level.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import markupsafe

__all__ = ["edge_key", "json_script", "node_key"]


def _digest(text: str) -> str:
    return hashlib.blake2s(text.encode("utf-8"), digest_size=6).hexdigest()


def node_key(activity: str) -> str:
    """The key of a step (activity) on every map: ``n`` and 12 hex digits."""
    return "n" + _digest(str(activity))


def edge_key(source: str, target: str) -> str:
    """The key of a transition ``source → target``: ``e`` and 12 hex digits."""
    return "e" + _digest(f"{source}\x1f{target}")


_UNSAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def json_script(data: Any, element_id: str) -> markupsafe.Markup:
    """``data`` as a ``<script type="application/json">`` element that no value can break out of
    (``<``, ``>`` and ``&`` are written as JSON escapes)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).translate(_UNSAFE)
    return markupsafe.Markup(
        f'<script type="application/json" id="{markupsafe.escape(element_id)}">{text}</script>'
    )
