"""Making names from a log safe where they are shown: spreadsheet cells, terminals and HTML.

- **Spreadsheet cells** (CSV, XLSX): a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or
  carriage return is read by Excel/LibreOffice as a formula (``=HYPERLINK(…)``, ``+cmd|…``). Such
  a cell is written with a leading apostrophe (``'=HYPERLINK(…)``), the OWASP rule against CSV
  injection: the spreadsheet shows it as text. Numbers stay numbers.
- **Terminal text**: control characters (ANSI escape sequences, backspace, …) and Unicode bidi
  controls are shown as visible escapes (``\\x1b``, ``<U+202E>``) instead of acting on the terminal.
- **HTML**: bidi controls (which can reorder what a reader sees) are made visible as ``<U+202E>``;
  the rest of HTML escaping is Jinja's autoescape.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_PREFIXES",
    "neutralise_cell",
    "neutralise_frame",
    "terminal_text",
    "visible_bidi",
    "xml_text",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula (OWASP)."""

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI_RE = re.compile(f"[{_BIDI}]")
# C0 controls except newline, DEL, C1 controls, and the bidi controls
_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TERMINAL_RE = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_BIDI}]")


def neutralise_cell(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column name neutralised (:func:`neutralise_cell`)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].map(neutralise_cell)
    out.columns = [neutralise_cell(c) for c in out.columns]
    return out


def _codepoint(match: re.Match[str]) -> str:
    ch = match.group(0)
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"<U+{ord(ch):04X}>"


def terminal_text(value: Any) -> str:
    """``value`` as text with control and bidi characters shown as escapes (``\\x1b``, ``<U+202E>``)."""
    return _TERMINAL_RE.sub(_codepoint, str(value))


def visible_bidi(value: str) -> str:
    """``value`` with Unicode bidi controls shown as ``<U+202E>`` (for HTML)."""
    return _BIDI_RE.sub(_codepoint, value)


def xml_text(value: str) -> str:
    """``value`` with the characters XML 1.0 cannot hold (C0 controls but tab, newline and CR;
    surrogates; U+FFFE/U+FFFF) shown as escapes (``\\x1b``), so a name can go into BPMN, PNML or SVG."""
    return _XML_ILLEGAL_RE.sub(_codepoint, value)
