"""Reading Vietnamese street addresses: "12/3A Nguyễn Huệ, Phường Sài Gòn, TP.HCM".

Pure functions: the importer uses :func:`street_key` for stored keys and the geocoder on
input, so both sides normalise the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from smartcity.places.names import clean_name, search_key

#: Words that introduce a street name but are not part of it ("Đường Nguyễn Huệ").
_STREET_PREFIXES = ("duong so", "duong", "pho", "dai lo", "hem", "kiet", "ngo", "street", "st")
#: Parts that name the city or country: no information for a geocoder inside HCMC.
_CITY_KEYS = frozenset(
    {
        "ho chi minh",
        "tp ho chi minh",
        "thanh pho ho chi minh",
        "tp hcm",
        "tphcm",
        "hcm",
        "hcmc",
        "sai gon",
        "tp sai gon",
        "viet nam",
        "vietnam",
        "vn",
    }
)
_HOUSE_NUMBER = re.compile(
    r"^(?:(?:so|số|sô)\s*)?(?P<number>\d+[a-zA-Z]?(?:\s*/\s*\d+[a-zA-Z]?)*)\s*,?\s+(?P<rest>.+)$",
    re.IGNORECASE,
)


def street_key(name: str) -> str:
    """Accent-free key of a street name without "Đường"/"Phố" ("Đường Nguyễn Huệ" → "nguyen hue").

    Numbered streets keep their prefix ("Đường số 7" → "duong so 7"): "7" alone means nothing.
    """
    key = search_key(name)
    if key.startswith("duong so "):
        return key
    for prefix in _STREET_PREFIXES:
        if key.startswith(prefix + " ") and len(key) > len(prefix) + 1:
            return key[len(prefix) + 1 :]
    return key


@dataclass
class ParsedAddress:
    house_number: str | None
    street: str | None
    area_parts: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def parse_address(text: str) -> ParsedAddress:
    """Split an address into house number, street and the ward/old-district parts after it."""
    parts = [clean_name(part) for part in re.split(r"[,;\n]", text) if part.strip()]
    if not parts:
        return ParsedAddress(house_number=None, street=None)
    first, rest = parts[0], parts[1:]
    house_number = None
    match = _HOUSE_NUMBER.match(first)
    if match:
        house_number = re.sub(r"\s+", "", match.group("number"))
        first = match.group("rest").strip()
    parsed = ParsedAddress(house_number=house_number, street=first or None)
    for part in rest:
        key = search_key(part)
        (parsed.ignored if key in _CITY_KEYS else parsed.area_parts).append(part)
    return parsed
