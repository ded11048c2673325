"""Safe, streaming XES (IEEE 1849) reader: events into DuckDB in batches, no entity resolution.

A DOCTYPE or entity declaration is rejected outright: XML external entities are an attack vector.
Trace attributes become columns prefixed ``case:`` (``case:concept:name`` is the case id).
The log's ``<classifier name=… keys=…/>`` declarations are returned in ``RawSource.info["classifiers"]``
as ``(name, [key, …])`` pairs in file order (keys are whitespace-separated; a key containing spaces
is written in single quotes, as IEEE 1849 says).
"""

from __future__ import annotations

import gzip
import shlex
import zlib
from pathlib import Path
from typing import Any

import pyarrow as pa
from lxml import etree

from cspm.core.engine import unique_name
from cspm.errors import InputError
from cspm.i18n import gettext as _
from cspm.ingest.raw import ROWCOL, RawSource, q

_BATCH = 200_000
_ATTR_TAGS = {"string", "date", "int", "float", "boolean", "id"}


def _open(path: Path) -> Any:
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def _check_prolog(path: Path) -> None:
    with _open(path) as fh:
        try:
            head = fh.read(1 << 16)
        except OSError as exc:
            raise InputError(_("is not a readable (gzip) XES file: {exc}.").format(exc=exc), path=path) from None
    text = head.decode("utf-8", errors="replace")
    root = text.find("<log")
    prolog = text if root < 0 else text[:root]
    for marker in ("<!DOCTYPE", "<!ENTITY"):
        if marker in prolog or marker in text:
            line = text[: text.find(marker)].count("\n") + 1
            raise InputError(
                _("contains a {value} declaration; cspm does not read XML with DTDs or entity declarations (they can reference external files: an XXE attack).").format(value=marker[2:]),
                path=path,
                line=line,
                expected=_("a plain XES document whose root element is <log>"),
            )


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def classifier_keys(keys: str) -> list[str]:
    """The attribute keys of a classifier's ``keys`` value: ``"concept:name 'my key'"`` → 2 keys."""
    try:
        return shlex.split(keys)
    except ValueError:  # an unbalanced quote: plain whitespace split
        return keys.split()


def load_xes(raw: Any, path: Path) -> RawSource:
    _check_prolog(path)
    table = unique_name("raw")
    columns: list[str] = []
    created = False
    rows = 0
    batch: list[dict[str, str | None]] = []

    def flush() -> None:
        nonlocal created
        if not batch:
            return
        for rec in batch:
            for key in rec:
                if key not in columns:
                    columns.append(key)
                    if created:
                        raw.execute(f"ALTER TABLE {table} ADD COLUMN {q(key)} VARCHAR")
        data = {c: pa.array([rec.get(c) for rec in batch], pa.string()) for c in columns}
        start = rows - len(batch) + 1
        data[ROWCOL] = pa.array(range(start, start + len(batch)), pa.int64())
        arrow = pa.table(data)
        view = table + "_b"
        raw.register(view, arrow)
        if created:
            cols = ", ".join(q(c) for c in arrow.column_names)
            raw.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view}")
        else:
            raw.execute(f"CREATE TABLE {table} AS SELECT * FROM {view}")
            created = True
        raw.unregister(view)
        batch.clear()

    renamed: dict[str, str] = {}
    trace_attrs: dict[str, str | None] = {}
    classifiers: list[tuple[str, list[str]]] = []
    in_event = False
    seen_log = False
    with _open(path) as fh:
        parser = etree.iterparse(
            fh,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=True,
        )
        try:
            for ev, elem in parser:
                tag = _local(elem.tag)
                if ev == "start":
                    if not seen_log:
                        _refuse_dtd(elem, path)
                        if tag != "log":
                            raise InputError(
                                _("is XML but its root element is <{tag}>, not <log>.").format(tag=tag),
                                path=path,
                                line=elem.sourceline,
                                expected=_("an XES document (root element <log>)"),
                            )
                        seen_log = True
                    if tag == "trace":
                        trace_attrs = {}
                    elif tag == "event":
                        in_event = True
                    continue
                parent = elem.getparent()
                ptag = _local(parent.tag) if parent is not None else ""
                if tag in _ATTR_TAGS and ptag == "trace" and not in_event:
                    trace_attrs["case:" + (elem.get("key") or "")] = elem.get("value")
                elif tag == "event":
                    rec = {
                        _key(c.get("key"), renamed): c.get("value") for c in elem if _local(c.tag) in _ATTR_TAGS
                    }
                    rec.update(trace_attrs)
                    rows += 1
                    batch.append(rec)
                    in_event = False
                    elem.clear()
                    if len(batch) >= _BATCH:
                        flush()
                elif tag == "classifier" and ptag == "log":
                    classifiers.append((str(elem.get("name") or ""), classifier_keys(str(elem.get("keys") or ""))))
                elif tag == "trace":
                    elem.clear()
                    while elem.getprevious() is not None:
                        del elem.getparent()[0]
        except etree.XMLSyntaxError as exc:
            raise InputError(
                _("is not well-formed XML: {msg}.").format(msg=exc.msg),
                path=path,
                line=exc.lineno,
                expected=_("an XES document"),
            ) from None
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(_("could not be read: {exc}.").format(exc=exc), path=path) from None
    flush()
    if rows == 0:
        raise InputError(_("contains no events."), path=path, expected=_("<trace> elements with <event>s"))
    info: dict[str, Any] = {"format": "XES", "classifiers": classifiers}
    if renamed:
        info["renamed columns"] = renamed
    return RawSource(table, columns, str(path), "xes", rows, info)


def _key(key: str | None, renamed: dict[str, str]) -> str:
    """An event attribute's key as a column name: an empty key is ``unnamed``, a key starting with
    ``__`` (cspm's internal prefix) gets ``attr`` in front; each renaming is recorded."""
    if key and not key.startswith("__"):
        return key
    name = "attr" + key if key else "unnamed"
    renamed[key or ""] = name
    return name


def _refuse_dtd(root: Any, path: Path) -> None:
    """Refuse a document with a DOCTYPE (and so any entity declaration), wherever it stands in the
    prolog and whatever the encoding: checked on what the parser read before the root element,
    before any content (where entities would be expanded) is parsed."""
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise InputError(
            _("contains a DOCTYPE declaration; cspm does not read XML with DTDs or entity declarations (they can reference external files or expand without bound: XXE and entity bombs)."),
            path=path,
            line=root.sourceline,
            expected=_("a plain XES document whose root element is <log>"),
        )
