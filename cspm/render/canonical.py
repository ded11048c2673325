"""Byte-identical outputs: one creation time, and model files with content-derived ids.

:func:`creation_time` is the one creation time of what cspm writes (``summary.json``'s ``created``,
the report's "created" line): now, or the time ``SOURCE_DATE_EPOCH`` (seconds since 1970, the
reproducible-builds convention) names, so that two runs give the same bytes.

pm4py gives BPMN and PNML elements random ids (UUIDs, a time-stamped net id) and writes them in the
iteration order of Python sets, so two runs on the same log write different bytes.
:func:`canonical_model_xml` rewrites such a document: every element with an ``id`` gets an id
hashed from what it is (its tag and name) and, over a few rounds, from the elements it references
and is referenced by (Weisfeiler–Lehman); references (attributes or texts equal to an id) are
renamed with it; siblings with ids, and ``incoming``/``outgoing`` lists, are sorted by the new ids.
Geometry (waypoints, bounds) is kept as it is.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from datetime import UTC, datetime

from lxml import etree

__all__ = ["canonical_model_xml", "creation_time"]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ROUNDS = 6
_GEOMETRY = {"x", "y", "width", "height"}


def creation_time() -> datetime:
    """Now (UTC, whole seconds), or the instant of ``SOURCE_DATE_EPOCH`` when it is set to an integer."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.lstrip("-").isdigit():
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except (OverflowError, OSError, ValueError):
            pass
    return datetime.now(UTC).replace(microsecond=0)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _digest(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def canonical_model_xml(data: bytes) -> bytes:
    """``data`` (a BPMN or PNML document) with content-derived ids and a canonical element order."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True)
    root = etree.fromstring(data, parser)
    elements = [e for e in root.iter() if isinstance(e.tag, str) and e.get("id") is not None]
    ids = {e.get("id"): e for e in elements}
    # references: attribute values and texts equal to an element's id
    refs: dict[str, list[tuple[str, str]]] = defaultdict(list)  # id → [(role, referenced id)]
    back: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for e in root.iter():
        if not isinstance(e.tag, str):
            continue
        owner = e if e.get("id") is not None else next((a for a in e.iterancestors() if a.get("id") is not None), None)
        if owner is None:
            continue
        oid = owner.get("id")
        for key, value in e.attrib.items():
            if key != "id" and value in ids:
                refs[oid].append((f"{_local(e.tag)}@{key}", value))
                back[value].append((f"{_local(e.tag)}@{key}", oid))
        if e.text and e.text.strip() in ids and e.text.strip() != oid:
            refs[oid].append((_local(e.tag), e.text.strip()))
            back[e.text.strip()].append((_local(e.tag), oid))
    label = {i: _digest(_local(e.tag), e.get("name") or "", _own_text(e, ids)) for i, e in ids.items()}
    for _ in range(_ROUNDS):
        label = {
            i: _digest(
                label[i],
                *sorted(f">{role}:{label[j]}" for role, j in refs[i]),
                *sorted(f"<{role}:{label[j]}" for role, j in back[i]),
            )
            for i in ids
        }
    # equal labels (indistinguishable elements) are numbered in document order
    seen: dict[str, int] = defaultdict(int)
    new: dict[str, str] = {}
    for i in ids:
        n = seen[label[i]]
        seen[label[i]] += 1
        new[i] = f"{_local(ids[i].tag)}_{label[i][:12]}" + (f"_{n}" if n else "")
    for e in root.iter():
        if not isinstance(e.tag, str):
            continue
        for key, value in e.attrib.items():
            if value in new:
                e.set(key, new[value])
            elif _UUID.fullmatch(value or "") and key not in _GEOMETRY:
                owner = next((a for a in e.iterancestors() if a.get("id") is not None), None)
                e.set(key, "n_" + _digest(owner.get("id") if owner is not None else "", key)[:12])
        if e.text and e.text.strip() in new:
            e.text = new[e.text.strip()]
    _sort(root)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _own_text(e: etree._Element, ids: dict[str, etree._Element]) -> str:
    """Texts of ``e`` and of its descendants up to (not into) elements with their own id, that are
    not ids (e.g. a PNML transition's label), in document order."""
    texts = []
    stack = [e]
    while stack:
        node = stack.pop(0)
        text = (node.text or "").strip()
        if text and text not in ids:
            texts.append(text)
        stack[0:0] = [c for c in node if isinstance(c.tag, str) and c.get("id") is None]
    return "|".join(texts)


def _sort(root: etree._Element) -> None:
    for parent in list(root.iter()):
        children = list(parent)
        if len(children) < 2:
            continue
        with_id = [c for c in children if isinstance(c.tag, str) and c.get("id") is not None]
        lists = [c for c in children if _local(c.tag) in ("incoming", "outgoing")]
        if len(with_id) > 1:
            _reorder(parent, with_id, key=lambda c: (_local(c.tag), c.get("id")))
        if len(lists) > 1:
            _reorder(parent, lists, key=lambda c: (_local(c.tag), c.text or ""))


def _reorder(parent: etree._Element, items: list[etree._Element], key: object) -> None:
    """Put ``items`` (children of ``parent``) in sorted order in the slots they occupy."""
    slots = [parent.index(c) for c in items]
    ordered = sorted(items, key=key)  # type: ignore[arg-type]
    for c in items:
        parent.remove(c)
    for slot, c in sorted(zip(slots, ordered, strict=True)):
        parent.insert(slot, c)
