"""Vietnamese first, English second.

Messages are written in Vietnamese in the code and templates (the msgid); the English
catalogue ``locale/en/LC_MESSAGES/messages.po`` (gettext, managed with Babel) translates
them.  The ``.po`` file is compiled in memory at start-up, so no binary is committed.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import HTTPConnection

LANGUAGES: Final = ("vi", "en")
DEFAULT_LANGUAGE: Final = "vi"
LANGUAGE_COOKIE: Final = "lang"
LOCALE_DIR: Final = Path(__file__).resolve().parent.parent / "locale"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> NullTranslations:
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str, language: str, **params: object) -> str:
    text = translations(language).gettext(message)
    return text.format(**params) if params else text


def negotiate(accept_language: str | None) -> str | None:
    """The best of our languages for an Accept-Language header, or None."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def language_of(connection: HTTPConnection) -> str:
    """Cookie first (the user's explicit choice), then Accept-Language, then Vietnamese."""
    cached = connection.scope.get("smartcity.language")
    if isinstance(cached, str):
        return cached
    chosen = connection.cookies.get(LANGUAGE_COOKIE)
    if chosen not in LANGUAGES:
        chosen = negotiate(connection.headers.get("accept-language")) or DEFAULT_LANGUAGE
    connection.scope["smartcity.language"] = chosen
    return chosen
