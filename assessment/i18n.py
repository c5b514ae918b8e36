"""Languages: gettext catalogues (Babel), language negotiation and locale-aware formatting.

The catalogues are the `.po` files under `assessment/locale`; they are compiled in memory at
start-up, so no build step produces `.mo` files. English is the source language.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LANGUAGES: tuple[str, ...] = ("fi", "en")
LANGUAGE_NAMES = {"fi": "Suomi", "en": "English"}
SOURCE_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_LOCALES = {"fi": Locale("fi", "FI"), "en": Locale("en", "GB")}
# Finnish dates read 23.11.2026; English ones 23 Nov 2026.
_DATE_FORMATS = {"fi": "d.M.yyyy", "en": "d MMM yyyy"}
_TIME_FORMAT = "H.mm"


def load_catalogue(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language (empty for the source language)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == SOURCE_LANGUAGE or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return Translations(buffer)


def negotiate(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The UI language: the cookie's if valid, else the browser's preference, else default."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default


@dataclass(frozen=True)
class Translator:
    """Everything a page needs to speak one language."""

    language: str
    catalogue: gettext.NullTranslations

    @property
    def locale(self) -> Locale:
        """The Babel locale used for numbers and dates."""
        return _LOCALES[self.language]

    def gettext(self, message: str, **params: Any) -> str:
        """Translate a message and fill in its {placeholders}."""
        text = self.catalogue.gettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        """Translate a message whose form depends on n; {n} is filled in too."""
        return self.catalogue.ngettext(singular, plural, n).format(n=self.number(n), **params)

    def text(self, value: Mapping[str, str]) -> str:
        """A framework text in this language (falling back to English, then any)."""
        return value.get(self.language) or value.get(SOURCE_LANGUAGE) or next(iter(value.values()))

    def number(self, value: float | Decimal | int, decimals: int | None = None) -> str:
        """A number in this language's format (Finnish: 3,5)."""
        return _format_number(self.language, value, decimals)

    def score(self, value: Decimal | float) -> str:
        """A score with one decimal (3,5 / 3.5)."""
        return self.number(value, 1)

    def date(self, value: date | datetime) -> str:
        """A date in this language's format (Finnish: 23.11.2026)."""
        return format_date(value, _DATE_FORMATS[self.language], locale=self.locale)

    def datetime(self, value: datetime) -> str:
        """A UTC timestamp shown as a date and time."""
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
        return format_datetime(aware, f"{_DATE_FORMATS[self.language]} {_TIME_FORMAT}",
                               tzinfo=UTC, locale=self.locale) + " UTC"


@lru_cache(maxsize=4096)
def _format_number(language: str, value: float | Decimal | int, decimals: int | None) -> str:
    # Babel's formatting is slow next to everything else a page does, and a leadership view
    # shows thousands of scores from a few dozen distinct values: remember them. Numbers
    # that compare equal (3, 3.0, Decimal("3.00")) are formatted alike, so they may share.
    if decimals is None:
        return format_decimal(value, locale=_LOCALES[language])
    pattern = "0." + "0" * decimals if decimals else "0"
    return format_decimal(value, format=pattern, locale=_LOCALES[language])


class Catalogues:
    """The compiled catalogues of every language, loaded once per app."""

    def __init__(self) -> None:
        self._by_language = {lang: load_catalogue(lang) for lang in LANGUAGES}

    def translator(self, language: str) -> Translator:
        """A translator for one of LANGUAGES."""
        return Translator(language, self._by_language[language])
