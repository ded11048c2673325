"""Re-extract cspm's user-facing strings and bring the message catalogs up to date.

Run ``python docs/update_catalog.py`` after adding or changing a string wrapped in ``_()``,
``N_()``, ``ngettext()`` or ``{% trans %}``: it writes ``cspm/locale/messages.pot``, merges it into
``cspm/locale/zh_CN/LC_MESSAGES/messages.po`` (new strings get an empty translation: write it) and
compiles ``messages.mo``. ``tests/test_i18n_catalog.py`` fails while a string has no translation or
the ``.mo`` differs from the ``.po``.
"""

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from cspm.i18n import LANGUAGES, LOCALE_DIR, catalog_file, extract_catalog, locale_name

if __name__ == "__main__":
    template = extract_catalog()
    LOCALE_DIR.mkdir(exist_ok=True)
    with open(LOCALE_DIR / "messages.pot", "wb") as f:
        write_po(f, template, width=100, omit_header=False, sort_output=True)
    for lang in LANGUAGES:
        if lang == "en":
            continue
        po = catalog_file(lang)
        po.parent.mkdir(parents=True, exist_ok=True)
        if po.exists():
            with open(po, "rb") as f:
                catalog = read_po(f, locale=locale_name(lang))
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=locale_name(lang), project="cspm", domain="messages")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with open(po, "wb") as f:
            write_po(f, catalog, width=100, sort_output=True, ignore_obsolete=True)
        with open(catalog_file(lang, "mo"), "wb") as f:
            write_mo(f, catalog)
        ids = [m.id for m in catalog if m.id]
        missing = [m.id for m in catalog if m.id and not m.string]
        print(f"{po}: {len(ids)} messages, {len(missing)} without a translation")
