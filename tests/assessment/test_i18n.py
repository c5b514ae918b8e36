"""Languages: a complete Finnish catalogue, negotiation and Finnish formats."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from assessment.i18n import LOCALE_DIR, Catalogues, negotiate

REPO = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def source_messages() -> set[str]:
    method_map = [("assessment/**.py", "python"), ("reports/**.py", "python"),
                  ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(REPO), method_map, keywords=keywords):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def finnish_catalogue():  # type: ignore[no-untyped-def]
    with (LOCALE_DIR / "fi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale="fi")


def test_every_ui_string_has_a_finnish_translation() -> None:
    catalogue = finnish_catalogue()
    messages = source_messages()
    assert len(messages) > 80
    missing = []
    for message in sorted(messages):
        entry = catalogue.get(message)
        if entry is None:
            # Plural entries are keyed by their singular form.
            entry = next((m for m in catalogue if isinstance(m.id, tuple) and m.id[0] == message),
                         None)
        strings = entry.string if entry and isinstance(entry.string, tuple) else (
            (entry.string,) if entry else ("",))
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(message)
    assert missing == [], "run scripts/update-translations.sh and translate these"


def test_translations_keep_their_placeholders() -> None:
    for entry in finnish_catalogue():
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        # Finnish has two plural forms: the first answers the singular, the second the plural
        # (whose text may name the count where the singular does not).
        for form, text in enumerate(strings):
            wanted = set(PLACEHOLDER.findall(ids[min(form, len(ids) - 1)]))
            assert set(PLACEHOLDER.findall(text)) == wanted, entry.id


def test_negotiation_prefers_cookie_then_browser_then_default() -> None:
    assert negotiate("en", "fi-FI,fi;q=0.9", "fi") == "en"
    assert negotiate(None, "sv-SE, fi;q=0.8, en;q=0.5", "en") == "fi"
    assert negotiate("xx", "de-DE", "fi") == "fi"
    assert negotiate(None, None, "en") == "en"


def test_finnish_and_english_formats() -> None:
    catalogues = Catalogues()
    fi, en = catalogues.translator("fi"), catalogues.translator("en")
    assert fi.score(Decimal("3.5")) == "3,5" and en.score(Decimal("3.5")) == "3.5"
    assert fi.date(date(2026, 11, 23)) == "23.11.2026"
    assert en.date(date(2026, 11, 23)) == "23 Nov 2026"
    assert fi.datetime(datetime(2026, 11, 23, 9, 5, tzinfo=UTC)) == "23.11.2026 9.05 UTC"
    assert fi.text({"fi": "Kuunteleminen", "en": "Listening"}) == "Kuunteleminen"
    assert fi.gettext("Page not found") == "Sivua ei löydy"
    assert en.gettext("Page not found") == "Page not found"
