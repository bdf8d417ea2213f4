from smartcity.roads.addresses import parse_address, street_key


def test_street_key_drops_the_word_street_but_keeps_numbered_streets() -> None:
    assert street_key("Đường Nguyễn Huệ") == "nguyen hue"
    assert street_key("nguyen  HUE") == "nguyen hue"
    assert street_key("Đường số 7") == "duong so 7"
    assert street_key("Điện Biên Phủ") == "dien bien phu"


def test_address_parts() -> None:
    parsed = parse_address("12/3A Nguyễn Huệ, Phường Sài Gòn, TP. Hồ Chí Minh")
    assert parsed.house_number == "12/3A"
    assert parsed.street == "Nguyễn Huệ"
    assert parsed.area_parts == ["Phường Sài Gòn"]
    assert parsed.ignored == ["TP. Hồ Chí Minh"]


def test_address_without_number() -> None:
    parsed = parse_address("Lê Lợi, Bến Thành")
    assert parsed.house_number is None
    assert parsed.street == "Lê Lợi"
    assert parsed.area_parts == ["Bến Thành"]
