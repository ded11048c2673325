"""The message catalogs: every user-facing string marked in the package and its templates has a
Chinese translation, the compiled .mo is the .po, and the catalog holds nothing the code lost.

The strings are extracted by Babel exactly as ``python docs/update_catalog.py`` does (Python with
``_``/``gettext``/``ngettext``/``N_``, templates with the Jinja i18n extension), so a string another
change wraps without translating fails here with its text and where it is.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from cspm.i18n import LANGUAGES, catalog_file, extract_catalog

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "cspm" / "render" / "templates"
OTHER = [lang for lang in LANGUAGES if lang != "en"]
PLACEHOLDER = re.compile(r"\{[a-z_]+(?::[^}]*)?\}|%\([a-z_]+\)s")


@pytest.fixture(scope="module")
def extracted():
    return {m.id: m for m in extract_catalog() if m.id}


def _catalog(lang: str):
    with open(catalog_file(lang), "rb") as f:
        return read_po(f)


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _where(message) -> str:
    return ", ".join(f"{path}:{line}" for path, line in message.locations[:3])


def test_extraction_finds_the_report_the_cli_and_the_findings(extracted):
    ids = set(extracted)
    assert {"Overview", "Scroll to zoom, drag to move.", "Discovery of {log}", "Service KPIs"} <= ids
    assert any(str(i).startswith("Worst bottleneck: {step}") for i in ids)  # the headline finding
    assert ("{n} ticket", "{n} tickets") in ids  # ngettext keeps both forms
    assert len(ids) > 300


@pytest.mark.parametrize("lang", OTHER)
def test_every_marked_string_has_a_translation(lang, extracted):
    catalog = _catalog(lang)
    missing = []
    for msgid, message in extracted.items():
        entry = catalog.get(msgid)
        if entry is None or not all(_strings(entry)) or entry.fuzzy:
            missing.append(f"{msgid!r} ({_where(message)})")
    assert not missing, (f"{len(missing)} strings have no {lang} translation; run python docs/update_catalog.py "
                         "and translate them in " + str(catalog_file(lang)) + ":\n" + "\n".join(missing))  # fmt: skip


@pytest.mark.parametrize("lang", OTHER)
def test_translations_keep_every_placeholder(lang):
    bad = []
    for message in _catalog(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for text in _strings(message):
            if text and set(PLACEHOLDER.findall(text)) != wanted:
                bad.append(f"{ids[0]!r} → {text!r}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("lang", OTHER)
def test_catalog_has_no_string_the_code_lost(lang, extracted):
    stale = [m.id for m in _catalog(lang) if m.id and m.id not in extracted]
    assert not stale, f"entries no code uses (run python docs/update_catalog.py): {stale}"


@pytest.mark.parametrize("lang", OTHER)
def test_compiled_mo_is_the_po(lang):
    """The committed .mo (what gettext loads, also on a fresh clone) holds exactly the .po's translations."""
    with open(catalog_file(lang, "mo"), "rb") as f:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    source = {_key(m.id): _key(m.string) for m in _catalog(lang) if m.id}
    assert compiled == source, "run python docs/update_catalog.py to compile the .mo"
    with open(catalog_file(lang, "mo"), "rb") as f:  # and the standard library reads it
        assert gettext.GNUTranslations(f).gettext("Overview") == source["Overview"]


def test_templates_translate_only_literals():
    """``{{ _(x) }}`` on a value would mark it safe (the i18n extension's newstyle gettext returns
    Markup): values are translated with the ``t`` filter, which escapes as usual."""
    offenders = [f"{p.name}: {m.group(0)}" for p in TEMPLATES.glob("*.j2")
                 for m in re.finditer(r"\b_\((?![\"'])[^)]*\)", p.read_text("utf-8"))]  # fmt: skip
    assert not offenders, offenders
