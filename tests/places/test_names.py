"""Name normalisation and address-part reading (pure functions)."""

from __future__ import annotations

import pytest

from smartcity.places.names import (
    UnitKind,
    clean_name,
    parse_unit,
    province_alias,
    search_key,
    short_name,
)


def test_search_key_strips_accents_case_and_extra_spaces() -> None:
    assert search_key("Phường  Bến Thành") == "phuong ben thanh"
    assert search_key("ĐẶC KHU Côn Đảo") == "dac khu con dao"
    assert search_key("Bà Rịa - Vũng Tàu") == "ba ria vung tau"
    assert search_key("50%_off") == "50 off"  # LIKE wildcards never reach a pattern


def test_clean_name_collapses_whitespace_and_short_name_drops_the_prefix() -> None:
    assert clean_name("Phường  Rạch Dừa ") == "Phường Rạch Dừa"
    assert short_name("Phường  Rạch Dừa") == "Rạch Dừa"
    assert short_name("Đặc khu Côn Đảo") == "Côn Đảo"
    assert short_name("Thành phố Thủ Đức") == "Thủ Đức"


@pytest.mark.parametrize(
    ("text", "kind", "key", "short_key"),
    [
        ("P.Bến Nghé", UnitKind.ward, "phuong ben nghe", "ben nghe"),
        ("p. ben nghe", UnitKind.ward, "phuong ben nghe", "ben nghe"),
        ("Phường 01", UnitKind.ward, "phuong 1", "1"),
        ("P12", UnitKind.ward, "phuong 12", "12"),
        ("TT. Củ Chi", UnitKind.ward, "thi tran cu chi", "cu chi"),
        ("Q1", UnitKind.district, "quan 1", "1"),
        ("Q. Bình Thạnh", UnitKind.district, "quan binh thanh", "binh thanh"),
        ("H. Hóc Môn", UnitKind.district, "huyen hoc mon", "hoc mon"),
        ("TX. Phú Mỹ", UnitKind.district, "thi xa phu my", "phu my"),
        ("Tp. Thủ Đức", UnitKind.district, "thanh pho thu duc", "thu duc"),
    ],
)
def test_abbreviated_prefixes_are_read(text: str, kind: UnitKind, key: str, short_key: str) -> None:
    unit = parse_unit(text)
    assert kind in unit.kinds
    assert (unit.key, unit.short_key) == (key, short_key)


@pytest.mark.parametrize("text", ["Phú Nhuận", "Hóc Môn", "Xuân Thới Sơn", "Tân Bình"])
def test_names_starting_like_an_abbreviation_have_no_prefix(text: str) -> None:
    unit = parse_unit(text)
    assert unit.kinds == ()
    assert unit.key == search_key(text)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("TP. HCM", 79),
        ("TP.HCM", 79),
        ("TPHCM", 79),
        ("Thành phố Hồ Chí Minh", 79),
        ("Sài Gòn", 79),
        ("Tỉnh Bình Dương", 74),
        ("Bà Rịa - Vũng Tàu", 77),
        ("TP. Thủ Đức", None),
        ("Quận 1", None),
    ],
)
def test_province_aliases(text: str, code: int | None) -> None:
    assert province_alias(parse_unit(text)) == code
