"""Tag interpretation for cars and motorbikes."""

from __future__ import annotations

import numpy as np
import pytest

from smartcity.routing_engine.graph import CAR, MOTORBIKE, SEGMENT_BRIDGE, SEGMENT_ONEWAY
from smartcity.routing_engine.profiles import (
    CAR_PROFILE,
    DEFAULT_PROFILES,
    DEFAULT_SPEED_KMH,
    MOTORBIKE_PROFILE,
    ProfileSet,
    parse_lanes,
    parse_maxspeed_kmh,
    restriction_applies_to,
)

BOTH = CAR | MOTORBIKE


def access(tags: dict[str, str]) -> tuple[int, int]:
    interpretation = DEFAULT_PROFILES.interpret_way(tags)
    return interpretation.forward_access, interpretation.backward_access


def test_ordinary_street_is_two_way_for_both() -> None:
    assert access({"highway": "residential"}) == (BOTH, BOTH)


def test_motorway_is_for_cars_only_and_implied_oneway() -> None:
    assert access({"highway": "motorway"}) == (CAR, 0)
    assert access({"highway": "motorway_link"}) == (CAR, 0)
    assert access({"highway": "motorway", "oneway": "no"}) == (CAR, CAR)
    # only the motorbike's own key reopens an expressway
    assert access({"highway": "motorway", "motor_vehicle": "yes"}) == (CAR, 0)
    assert access({"highway": "motorway", "motorcycle": "yes"}) == (BOTH, 0)


def test_alley_is_for_motorbikes_unless_cars_are_named() -> None:
    assert access({"highway": "service", "service": "alley"}) == (MOTORBIKE, MOTORBIKE)
    assert access({"highway": "service", "service": "alley", "motorcar": "yes"}) == (BOTH, BOTH)
    # a general access=yes does not widen the alley for cars
    assert access({"highway": "service", "service": "alley", "access": "yes"}) == (
        MOTORBIKE,
        MOTORBIKE,
    )
    assert access({"highway": "service", "service": "driveway"}) == (BOTH, BOTH)


def test_track_is_motorbike_only() -> None:
    assert access({"highway": "track"}) == (MOTORBIKE, MOTORBIKE)


def test_footway_opens_only_with_the_vehicles_own_tag() -> None:
    assert not DEFAULT_PROFILES.interpret_way({"highway": "footway"}).usable
    assert access({"highway": "footway", "motorcycle": "yes"}) == (MOTORBIKE, MOTORBIKE)
    assert access({"highway": "pedestrian", "motor_vehicle": "yes"}) == (BOTH, BOTH)
    assert not DEFAULT_PROFILES.interpret_way({"highway": "footway", "access": "yes"}).usable


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"access": "no"}, (0, 0)),
        ({"access": "private"}, (0, 0)),
        ({"access": "destination"}, (BOTH, BOTH)),
        ({"access": "no", "motor_vehicle": "yes"}, (BOTH, BOTH)),
        ({"access": "no", "motorcycle": "yes"}, (MOTORBIKE, MOTORBIKE)),
        ({"motor_vehicle": "no", "motorcycle": "yes"}, (MOTORBIKE, MOTORBIKE)),
        ({"motorcar": "no"}, (MOTORBIKE, MOTORBIKE)),
        ({"vehicle": "private", "motorcar": "permissive"}, (CAR, CAR)),
        ({"access": "no", "motor_vehicle": "maybe"}, (0, 0)),  # unknown value: next key decides
    ],
)
def test_specific_access_key_beats_general(tags: dict[str, str], expected: tuple[int, int]) -> None:
    assert access({"highway": "tertiary", **tags}) == expected


@pytest.mark.parametrize(
    ("oneway", "expected"),
    [
        ("yes", (BOTH, 0)),
        ("1", (BOTH, 0)),
        ("true", (BOTH, 0)),
        ("-1", (0, BOTH)),
        ("no", (BOTH, BOTH)),
        ("reversible", (0, 0)),
        ("garbage", (BOTH, BOTH)),
    ],
)
def test_oneway_values(oneway: str, expected: tuple[int, int]) -> None:
    assert access({"highway": "secondary", "oneway": oneway}) == expected


def test_roundabout_is_oneway_and_flagged() -> None:
    interpretation = DEFAULT_PROFILES.interpret_way(
        {"highway": "primary", "junction": "roundabout"}
    )
    assert (interpretation.forward_access, interpretation.backward_access) == (BOTH, 0)
    assert interpretation.flags & SEGMENT_ONEWAY


def test_motorbike_contraflow() -> None:
    assert access({"highway": "residential", "oneway": "yes", "oneway:motorcycle": "no"}) == (
        BOTH,
        MOTORBIKE,
    )


def test_area_and_construction_are_skipped() -> None:
    assert DEFAULT_PROFILES.interpret_way({"highway": "pedestrian", "area": "yes"}).skip_reason
    assert DEFAULT_PROFILES.interpret_way(
        {"highway": "residential", "area": "yes"}
    ).skip_reason == ("area=yes")
    assert "not routable" in (
        DEFAULT_PROFILES.interpret_way({"highway": "construction"}).skip_reason or ""
    )


def test_bridge_flag_and_lanes() -> None:
    interpretation = DEFAULT_PROFILES.interpret_way(
        {"highway": "trunk", "bridge": "yes", "lanes": "3"}
    )
    assert interpretation.flags & SEGMENT_BRIDGE
    assert interpretation.lanes == 3
    assert parse_lanes("2;3") == 2
    assert parse_lanes("many") == 0
    assert parse_lanes("900") == 255


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("30 mph", pytest.approx(48.28, abs=0.01)),
        ("VN:urban", 50.0),
        ("vn:rural", 80.0),
        ("60;40", 40.0),
        ("none", None),
        ("signals", None),
        ("fast", None),
        ("-5", None),
        (None, None),
    ],
)
def test_parse_maxspeed(text: str | None, expected: object) -> None:
    assert parse_maxspeed_kmh(text) == expected


def test_speed_defaults_and_parsed_speed() -> None:
    assert DEFAULT_PROFILES.maxspeed_kmh({"highway": "primary"}) == DEFAULT_SPEED_KMH["primary"]
    assert DEFAULT_PROFILES.maxspeed_kmh({"highway": "primary", "maxspeed": "junk"}) == 60.0
    assert DEFAULT_PROFILES.maxspeed_kmh({"highway": "primary", "maxspeed": "40"}) == 40.0
    alley = {"highway": "service", "service": "alley"}
    assert DEFAULT_PROFILES.maxspeed_kmh(alley) == DEFAULT_PROFILES.alley_speed_kmh


def test_motorbike_speed_is_capped() -> None:
    profiles = ProfileSet(motorbike_speed_cap_kmh=50.0)
    speeds = profiles.motorbike_speed_kmh(np.asarray([30.0, 60.0, 100.0], dtype=np.float32))
    assert speeds.dtype == np.float32
    assert speeds.tolist() == [30.0, 50.0, 50.0]


def test_profile_lookup_by_bit() -> None:
    assert DEFAULT_PROFILES.vehicle(CAR) is CAR_PROFILE
    assert DEFAULT_PROFILES.vehicle(MOTORBIKE) is MOTORBIKE_PROFILE
    with pytest.raises(KeyError):
        DEFAULT_PROFILES.vehicle(8)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"restriction": "no_left_turn"}, ("no_left_turn", BOTH)),
        ({"restriction": "no_left_turn", "except": "motorcycle"}, ("no_left_turn", CAR)),
        ({"restriction": "no_left_turn", "except": "psv;motorcar"}, ("no_left_turn", MOTORBIKE)),
        ({"restriction:motorcycle": "no_u_turn"}, ("no_u_turn", MOTORBIKE)),
        ({"restriction:hgv": "no_right_turn"}, ("no_right_turn", 0)),
        ({"restriction:conditional": "no_left_turn @ (07:00-09:00)"}, (None, 0)),
    ],
)
def test_restriction_vehicles(tags: dict[str, str], expected: tuple[str | None, int]) -> None:
    assert restriction_applies_to({"type": "restriction", **tags}) == expected
