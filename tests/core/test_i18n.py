"""Every Vietnamese message in the code and templates has an English translation."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from smartcity.core.i18n import LOCALE_DIR, gettext, negotiate

ROOT = Path(__file__).resolve().parents[2]


def _extracted() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "src" / "smartcity"),
        method_map=method_map,
        keywords={"N_": None, "gettext": None, "_": None},
    ):
        if isinstance(message, tuple):
            found.update(m for m in message if m)
        elif message:
            found.add(message)
    return found


def test_every_message_has_an_english_translation() -> None:
    with (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="en")
    translated = {m.id for m in catalog if m.id and m.string}
    missing = sorted(_extracted() - translated)
    assert not missing, f"add English translations for: {missing}"


def test_placeholders_survive_translation() -> None:
    assert gettext("Tệp quá lớn ({size} MB); tối đa {limit} MB.", "en", size=9, limit=8) == (
        "The file is too large (9 MB); the limit is 8 MB."
    )


def test_accept_language_negotiation() -> None:
    assert negotiate("en-GB,en;q=0.8") == "en"
    assert negotiate("fr-FR,vi;q=0.5,en;q=0.4") == "vi"
    assert negotiate("fr-FR") is None
    assert negotiate("en;q=0") is None
