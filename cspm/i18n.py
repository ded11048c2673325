"""The language of what cspm shows people: message catalogs (gettext) and locale formats (Babel).

Every user-facing string of the report, the CLI's tables and messages and the plain-language findings
is written in English in the code and wrapped: ``_("Overview")`` (translated when it is used),
``N_("Overview")`` (only marked, e.g. a ``section_title`` ClassVar, translated where it is shown),
``ngettext(singular, plural, n)``; templates use ``{{ _("…") }}`` and ``{% trans %}`` (the Jinja
i18n extension of :mod:`cspm.render.html`). The catalogs live in ``cspm/locale/``:
``messages.pot`` (extracted by Babel from the package and its templates) and
``zh_CN/LC_MESSAGES/messages.po`` with its compiled ``messages.mo``, committed so that a fresh
clone works with ``pip install -e .`` (``python docs/update_catalog.py`` re-extracts, merges and
compiles; ``tests/test_i18n_catalog.py`` fails when a string has no translation or the ``.mo`` is
stale).

The active language is a context variable (default ``"en"``, where every text is exactly the
English of the code): :func:`use_language` sets it for a block (the CLI's ``--lang``, the config's
``report.language``), :func:`set_language` for the session (a notebook).
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

__all__ = [
    "LANGUAGES", "LOCALE_DIR", "Language", "N_", "format_date", "format_datetime", "format_decimal", "format_unit",
    "chosen_language", "gettext", "language", "locale_name", "ngettext", "sentence_gap", "set_language", "use_language", "weekday_name",
]  # fmt: skip

Language = Literal["en", "zh"]
LANGUAGES: tuple[str, ...] = get_args(Language)
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
_LOCALES = {"en": "en_US", "zh": "zh_CN"}

_active: ContextVar[str] = ContextVar("cspm_language")  # unset: English, or a config's language


def check_language(lang: str) -> Language:
    """``lang`` as a :data:`Language` ('zh-CN', 'zh_CN' → 'zh'); ValueError for one cspm lacks."""
    key = str(lang).strip().replace("_", "-").split("-")[0].lower()
    if key not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not available; choose one of {', '.join(LANGUAGES)}")
    return key  # type: ignore[return-value]


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English: the messages themselves)."""
    if lang == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[_LOCALES[lang]])


def language() -> Language:
    """The active language."""
    return _active.get("en")  # type: ignore[return-value]


def chosen_language(default: str | None = None) -> Language:
    """The language set by :func:`use_language` / :func:`set_language`, else ``default`` (e.g. a
    config's ``report.language``), else English."""
    return check_language(_active.get(default or "en"))


def locale_name(lang: str | None = None) -> str:
    """The Babel/CLDR locale of ``lang`` (default: the active language): 'en_US', 'zh_CN'."""
    return _LOCALES[lang or language()]


def set_language(lang: str) -> Language:
    """Make ``lang`` the language of everything shown from now on (e.g. in a notebook)."""
    checked = check_language(lang)
    _active.set(checked)
    return checked


@contextlib.contextmanager
def use_language(lang: str | None) -> Iterator[Language]:
    """Show everything in ``lang`` inside the block (None: keep the active language)."""
    token = _active.set(check_language(lang)) if lang is not None else None
    try:
        yield language()
    finally:
        if token is not None:
            _active.reset(token)


def gettext(message: str) -> str:
    """``message`` in the active language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """``singular`` or ``plural`` (by ``n``) in the active language."""
    return translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for extraction only; it is translated where it is shown."""
    return message


def sentence_gap() -> str:
    """What goes between two sentences: a space in English, nothing in Chinese ('。' ends them)."""
    return "" if language() == "zh" else " "


# --- numbers and dates ---------------------------------------------------------------------------
def format_decimal(value: float, pattern: str = "#,##0") -> str:
    """``value`` with the active locale's digits and separators (Babel; CLDR ``pattern``)."""
    from babel.numbers import format_decimal as babel_decimal

    return babel_decimal(value, format=pattern, locale=locale_name())


def format_unit(value: float, unit: str, pattern: str) -> str:
    """``value`` in ``unit`` (CLDR unit id, e.g. 'duration-hour') in the active locale's short form."""
    from babel.units import format_unit as babel_unit

    return babel_unit(value, unit, length="short", format=pattern, locale=locale_name())


def format_datetime(value: datetime, english: str = "%Y-%m-%d %H:%M") -> str:
    """A date and time for people: ``english`` (strftime) in English, the locale's medium form
    (Babel/CLDR, e.g. '2024年3月5日 14:03:00') in other languages."""
    if language() == "en":
        return f"{value:{english}}"
    from babel.dates import format_datetime as babel_datetime

    return babel_datetime(value, format="medium", tzinfo=value.tzinfo, locale=locale_name())


# --- the catalogs (maintenance: docs/update_catalog.py, tests/test_i18n_catalog.py) ----------------
PACKAGE_DIR = Path(__file__).parent
METHOD_MAP: list[tuple[str, Any]] = [("**/templates/**.j2", "jinja2"), ("**/templates/**.js", "jinja2"),
                                     ("cli/**.py", "cspm.i18n:extract_cli"), ("**.py", "python")]
_JINJA = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
OPTIONS_MAP = {"**/templates/**.j2": _JINJA, "**/templates/**.js": _JINJA}  # scripts are Jinja templates too
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extract_cli(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple]:
    """Babel extractor of the CLI modules: the marked strings, and the docstrings of the functions
    decorated ``@app.command``/``@app.callback`` (Typer shows them as the commands' help)."""
    import ast

    from babel.messages.extract import extract_python

    yield from extract_python(fileobj, keywords, comment_tags, options)
    fileobj.seek(0)
    for node in ast.walk(ast.parse(fileobj.read())):
        if isinstance(node, ast.FunctionDef) and any(
            isinstance(d, ast.Call) and getattr(d.func, "attr", None) in ("command", "callback") for d in node.decorator_list
        ):
            doc = ast.get_docstring(node)
            if doc:
                yield node.body[0].lineno, "_", doc, []


def extract_catalog() -> Any:
    """Every marked string of the package and its templates, as a Babel ``Catalog`` (the .pot)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="cspm", domain=DOMAIN, fuzzy=False, copyright_holder="cspm developers",
                      creation_date=datetime(2026, 1, 1), revision_date=datetime(2026, 1, 1))
    found = extract_from_dir(str(PACKAGE_DIR), METHOD_MAP, OPTIONS_MAP, KEYWORDS, strip_comment_tags=True)
    for filename, lineno, message, comments, context in found:
        path = (PACKAGE_DIR / filename).relative_to(PACKAGE_DIR.parent).as_posix()
        catalog.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    return catalog


def catalog_file(lang: str, suffix: str = "po") -> Path:
    """The catalog file of ``lang`` ('zh' → cspm/locale/zh_CN/LC_MESSAGES/messages.po)."""
    return LOCALE_DIR / _LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.{suffix}"


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def weekday_name(abbreviation: str) -> str:
    """'Mon' … 'Sun' as the active locale abbreviates them (Babel/CLDR: '周一'); other text unchanged."""
    if language() == "en" or abbreviation not in _WEEKDAYS:
        return abbreviation
    from babel.dates import get_day_names

    return get_day_names("abbreviated", locale=locale_name())[_WEEKDAYS.index(abbreviation)]


def format_date(value: datetime, english: str = "%Y-%m-%d") -> str:
    """A date for people: ``english`` (strftime) in English, the locale's medium form otherwise
    ('2024年3月5日')."""
    if language() == "en":
        return f"{value:{english}}"
    from babel.dates import format_date as babel_date

    return babel_date(value, format="medium", locale=locale_name())
