"""Durations in the unit a person reads best."""

from __future__ import annotations

import math


def format_duration(seconds: float | None) -> str:
    """'45 s', '12 min', '3.2 h', '4.5 d' — minutes below 1 h, hours below 2 days, days above."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    sign = "-" if seconds < 0 else ""
    s = abs(float(seconds))
    if s < 60:
        return f"{sign}{s:.0f} s"
    if s < 3600:
        return f"{sign}{s / 60:.0f} min"
    if s < 48 * 3600:
        h = s / 3600
        return f"{sign}{h:.1f} h" if h < 10 else f"{sign}{h:.0f} h"
    d = s / 86400
    return f"{sign}{d:.1f} d" if d < 10 else f"{sign}{d:.0f} d"
