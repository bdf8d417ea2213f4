"""Vietnamese place names: display clean-up, accent-free search keys, and the prefixes
people write in addresses ("P.", "Q1", "TP. HCM", "Huyện", "TX.") read as unit kinds.

Pure functions, no database: the seeder uses them to build stored keys and the address
converter uses them on input, so both sides always normalise the same way.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LEADING_ZEROS = re.compile(r"\b0+(?=\d)")


def clean_name(text: str) -> str:
    """NFC with whitespace collapsed ("Phường  Rạch Dừa" → "Phường Rạch Dừa")."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def name_key(text: str) -> str:
    """Case-insensitive but accent-preserving key: tells "Thanh An" from "Thạnh An"."""
    return clean_name(text).casefold()


def strip_accents(text: str) -> str:
    """Drop Vietnamese diacritics, đ/Đ included (NFD does not decompose đ)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(char for char in decomposed if unicodedata.category(char) != "Mn")


def search_key(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: "Phường Bến  Thành" → "phuong ben thanh".

    Punctuation becomes a space so that the key is safe in a LIKE pattern on every backend.
    """
    return " ".join(_NON_ALNUM.sub(" ", strip_accents(text).lower()).split())


#: Division words that open official unit names (longest first where one extends another).
_NAME_PREFIXES = (
    "Đặc khu ",
    "Thị trấn ",
    "Thị xã ",
    "Thành phố ",
    "Phường ",
    "Xã ",
    "Quận ",
    "Huyện ",
    "Tỉnh ",
)


class UnitKind(enum.StrEnum):
    ward = "ward"
    district = "district"
    province = "province"


#: Written prefix (accent-free, lower case) → (canonical prefix, kinds it can announce).
#: "thanh pho" is both a pre-2025 district level (TP. Thủ Đức) and a province (TP. HCM).
_PREFIXES: dict[str, tuple[str, tuple[UnitKind, ...]]] = {
    "phuong": ("phuong", (UnitKind.ward,)),
    "p": ("phuong", (UnitKind.ward,)),
    "xa": ("xa", (UnitKind.ward,)),
    "x": ("xa", (UnitKind.ward,)),
    "thi tran": ("thi tran", (UnitKind.ward,)),
    "tt": ("thi tran", (UnitKind.ward,)),
    "dac khu": ("dac khu", (UnitKind.ward,)),
    "quan": ("quan", (UnitKind.district,)),
    "q": ("quan", (UnitKind.district,)),
    "huyen": ("huyen", (UnitKind.district,)),
    "h": ("huyen", (UnitKind.district,)),
    "thi xa": ("thi xa", (UnitKind.district,)),
    "tx": ("thi xa", (UnitKind.district,)),
    "thanh pho": ("thanh pho", (UnitKind.district, UnitKind.province)),
    "tp": ("thanh pho", (UnitKind.district, UnitKind.province)),
    "tinh": ("tinh", (UnitKind.province,)),
}
# Longest first so "thi tran" wins over "tt"-like shorter spellings; a one- or two-letter
# abbreviation must be followed by a dot, a space or a digit ("Phú Nhuận" is not "P. hú Nhuận").
_PREFIX_PATTERN = re.compile(
    r"^(?P<prefix>"
    + "|".join(sorted((re.escape(p) for p in _PREFIXES), key=len, reverse=True))
    + r")(?:\s*\.\s*|\s+|(?=\d))(?P<rest>\S.*)$"
)

#: Accent-free short keys that name a pre-2025 province merged into today's HCMC.
PROVINCE_ALIASES: dict[str, int] = {
    "ho chi minh": 79,
    "hcm": 79,
    "hcmc": 79,
    "tphcm": 79,
    "tp hcm": 79,
    "sai gon": 79,
    "ho chi minh city": 79,
    "binh duong": 74,
    "ba ria vung tau": 77,
    "brvt": 77,
}
#: Trailing parts that only say the country.
COUNTRY_KEYS = frozenset({"viet nam", "vietnam", "vn"})


@dataclass(frozen=True)
class UnitName:
    """One comma-separated part of an address, read as an administrative unit name."""

    text: str
    #: Kinds the written prefix allows; empty when the part has no prefix.
    kinds: tuple[UnitKind, ...]
    #: "quan 1", "phuong ben nghe": canonical prefix + name, accent-free.
    key: str
    #: The name without its prefix: "1", "ben nghe".
    short_key: str
    #: The name without its prefix, accents kept (to prefer "Thạnh An" over "Thanh An").
    short_name_key: str

    def may_be(self, kind: UnitKind) -> bool:
        return not self.kinds or kind in self.kinds


def parse_unit(text: str) -> UnitName:
    """Read "P.Bến Nghé", "Q1", "TP. Thủ Đức", "Huyện Củ Chi", "phường 01" as unit names."""
    cleaned = clean_name(text)
    folded = " ".join(strip_accents(cleaned).lower().split())
    match = _PREFIX_PATTERN.match(folded)
    if match is None:
        short = _LEADING_ZEROS.sub("", folded)
        return UnitName(cleaned, (), search_key(short), search_key(short), name_key(cleaned))
    canonical, kinds = _PREFIXES[match["prefix"]]
    rest = _LEADING_ZEROS.sub("", match["rest"])
    # The accented short name: drop as many leading characters as the folded prefix took
    # (stripping accents and lower-casing keep the length of Vietnamese text).
    accented_rest = cleaned[len(folded) - len(match["rest"]) :]
    return UnitName(
        text=cleaned,
        kinds=kinds,
        key=search_key(f"{canonical} {rest}"),
        short_key=search_key(rest),
        short_name_key=name_key(_LEADING_ZEROS.sub("", accented_rest)),
    )


def province_alias(unit: UnitName) -> int | None:
    """The pre-2025 province code a part names ("TP. HCM", "Bình Dương"), if any."""
    if not unit.may_be(UnitKind.province):
        return None
    return PROVINCE_ALIASES.get(unit.short_key) or PROVINCE_ALIASES.get(unit.key)


def short_name(name: str) -> str:
    """A unit's name without its division prefix: "Phường Bến Thành" → "Bến Thành"."""
    cleaned = clean_name(name)
    for prefix in _NAME_PREFIXES:
        if cleaned.startswith(prefix):
            return cleaned[len(prefix) :]
    return cleaned
