"""Streaming XES 2.0 writer (IEEE 1849): one trace at a time, plain or gzip-compressed.

``time:timestamp`` values (and any ``datetime`` value) are written as ``<date>``; a string given for
``time:timestamp`` must already be ISO 8601 with offset and is written as is. Every other value is
written as ``<string>``; ``None`` and NaN values are left out. A ``.gz`` path is compressed with a
zero gzip mtime and no file name, so the same content gives the same bytes.
"""

from __future__ import annotations

import gzip
import io
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="2.0" xes.features="" xmlns="http://www.xes-standard.org/">
\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
\t<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
\t<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
\t<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
\t<global scope="trace">
\t\t<string key="concept:name" value="__INVALID__"/>
\t</global>
\t<global scope="event">
\t\t<string key="concept:name" value="__INVALID__"/>
\t\t<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
\t</global>
\t<classifier name="Activity" keys="concept:name"/>
"""
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\t": "&#9;",
     "\n": "&#10;", "\r": "&#13;"}
)  # fmt: skip


def escape(value: str) -> str:
    """XML attribute escape; characters XML 1.0 cannot carry are dropped."""
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    return value.translate(_ESCAPES)


def format_timestamp(value: datetime) -> str:
    """ISO 8601 with milliseconds and offset (naive datetimes are taken as UTC)."""
    text = value.isoformat(timespec="milliseconds")
    return text if value.tzinfo is not None else text + "+00:00"


class XesWriter:
    """Write traces to ``path`` (``.xes`` or ``.xes.gz``); use as a context manager."""

    def __init__(self, path: str | Path, log_attributes: Mapping[str, Any] | None = None) -> None:
        self.path = Path(path)
        self._raw = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        self._gzip: gzip.GzipFile | None = None
        binary: IO[bytes] = self._raw
        if self.path.name.lower().endswith(".gz"):
            self._gzip = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
            binary = self._gzip
        self._out = io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
        self._cache: dict[str, str] = {}
        self._out.write(_HEADER)
        for key, value in (log_attributes or {}).items():
            line = self._attribute(key, value)
            if line:
                self._out.write("\t" + line + "\n")
        self.traces = 0
        self.events = 0

    def _esc(self, value: str) -> str:
        cached = self._cache.get(value)
        if cached is None:
            cached = escape(value)
            if len(self._cache) < 100_000:
                self._cache[value] = cached
        return cached

    def _attribute(self, key: str, value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if isinstance(value, datetime):
            return f'<date key="{self._esc(key)}" value="{format_timestamp(value)}"/>'
        if key == "time:timestamp":
            return f'<date key="time:timestamp" value="{self._esc(str(value))}"/>'
        return f'<string key="{self._esc(key)}" value="{self._esc(str(value))}"/>'

    def write_trace(
        self,
        case_id: str,
        events: Iterable[Mapping[str, Any]],
        attributes: Mapping[str, Any] | None = None,
    ) -> None:
        """One trace: its ``concept:name``, optional trace attributes, then its events in order."""
        parts = ["\t<trace>\n\t\t", self._attribute("concept:name", case_id), "\n"]
        for key, value in (attributes or {}).items():
            line = self._attribute(key, value)
            if line:
                parts += ["\t\t", line, "\n"]
        attr = self._attribute
        for event in events:
            parts.append("\t\t<event>\n")
            for key, value in event.items():
                line = attr(key, value)
                if line:
                    parts += ["\t\t\t", line, "\n"]
            parts.append("\t\t</event>\n")
            self.events += 1
        parts.append("\t</trace>\n")
        self._out.write("".join(parts))
        self.traces += 1

    def close(self) -> None:
        """Finish the document and close the file."""
        if self._out.closed:
            return
        self._out.write("</log>\n")
        self._out.flush()
        self._out.close()  # closes the gzip stream, which does not close the raw file
        self._raw.close()

    def __enter__(self) -> XesWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
