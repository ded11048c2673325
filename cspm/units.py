"""Durations in the unit a person reads best."""

from __future__ import annotations

import math

from cspm.i18n import format_unit, language

_UNITS = {"s": "duration-second", "min": "duration-minute", "h": "duration-hour", "d": "duration-day"}


def _with_unit(sign: str, value: float, unit: str, pattern: str) -> str:
    """'3.2 h' in English (the code's own format), the locale's short unit otherwise ('3.2小时')."""
    if language() == "en":
        digits = pattern.count("0") - 1
        return f"{sign}{value:,.{digits}f} {unit}"
    return format_unit(-value if sign else value, _UNITS[unit], "#,##" + pattern)


def format_hours(hours: float, pattern: str = "0.00") -> str:
    """Hours with the digits of ``pattern`` and thousands separators (CLDR: '0.00' → '2.50 h', '1,234.50 h')."""
    if language() == "en":
        return f"{hours:,.{pattern.count('0') - 1}f} h"
    return format_unit(hours, _UNITS["h"], "#,##" + pattern)


def format_duration(seconds: float | None) -> str:
    """'45 s', '12 min', '3.2 h', '4.5 d' — minutes below 1 h, hours below 2 days, days above."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    sign = "-" if seconds < 0 else ""
    s = abs(float(seconds))
    if s < 60:
        return _with_unit(sign, s, "s", "0")
    if s < 3600:
        return _with_unit(sign, s / 60, "min", "0")
    if s < 48 * 3600:
        h = s / 3600
        return _with_unit(sign, h, "h", "0.0" if h < 10 else "0")
    d = s / 86400
    return _with_unit(sign, d, "d", "0.0" if d < 10 else "0")
