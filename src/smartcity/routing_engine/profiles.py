"""What OSM tags mean for a car and for a motorbike in Ho Chi Minh City.

Decoding (``osm.py``) only reads tags; this module interprets them:

* **Usable classes.** Both vehicles use the classes from ``trunk`` down to
  ``service``/``living_street``/``road``; cars also ``motorway``. Motorbikes may not use
  ``motorway``/``motorway_link``: Vietnamese expressways (đường cao tốc) ban
  motorcycles and mopeds (Law on Road Traffic 2008, art. 26).
  ``service=alley`` (HCMC's hẻm) is motorbike-only: most are 2–4 m wide and cars do
  not fit or may not enter. ``track`` is motorbike-only (dirt lanes of the fringe
  districts). Foot/cycle classes (``path``, ``footway``, ``pedestrian``,
  ``cycleway``) are closed unless an explicit ``motorcar``/``motorcycle``/
  ``motor_vehicle`` tag opens them (HCMC alleys are sometimes drawn as
  ``footway`` + ``motorcycle=yes``); an expressway opens to motorbikes only
  with ``motorcycle=yes`` itself.
* **Access.** The most specific key that says something wins: car
  ``motorcar`` > ``motor_vehicle`` > ``vehicle`` > ``access``; motorbike
  ``motorcycle`` > ``moped`` > ``motor_vehicle`` > ``vehicle`` > ``access``.
  ``no``/``private``/``agricultural``/``forestry``/``emergency`` close,
  ``yes``/``permissive``/``designated``/``destination``/``customers``/``delivery``
  open (a route may end there); unknown values are ignored (the next key decides). ``area=yes`` ways and
  ways under construction are never used.
* **Oneway.** ``oneway`` yes/1/true = forward only, -1/reverse = backward only,
  no/0/false = both, reversible/alternating = closed (direction unknown).
  ``junction=roundabout``/``circular`` and ``motorway``/``motorway_link`` are
  oneway unless tagged otherwise. Motorbikes read ``oneway:motorcycle`` first
  (HCMC lets motorbikes ride contraflow on some one-way streets), cars read
  ``oneway:motorcar`` first; both then fall back to ``oneway``.
* **Speeds.** ``maxspeed`` "50", "50 km/h", "30 mph", "VN:urban"… is parsed;
  anything else falls back to ``DEFAULT_SPEED_KMH`` by class. Motorbike speed is
  the car speed capped at ``motorbike_speed_cap_kmh``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

import numpy as np

from smartcity.routing_engine.graph import (
    CAR,
    MOTORBIKE,
    ROAD_CLASS_CODE,
    ROAD_CLASSES,
    SEGMENT_BRIDGE,
    SEGMENT_ONEWAY,
    SEGMENT_TUNNEL,
)

PROFILE_VERSION: Final = "hcmc-car-motorbike-1"

# Free-flow defaults in km/h when a way has no usable maxspeed. Legal limits
# from Circular 38/2024/TT-BGTVT (in force 2025-01-01): in built-up areas 60 on
# divided roads and one-way roads with ≥2 lanes, 50 on undivided two-way roads;
# outside built-up areas 90 / 80; expressways up to 120 as posted. Minor classes get lower typical speeds than the legal 50:
# nobody drives 50 in a residential street of District 10.
DEFAULT_SPEED_KMH: Final[Mapping[str, float]] = MappingProxyType(
    {
        "motorway": 100.0,
        "motorway_link": 50.0,
        "trunk": 60.0,
        "trunk_link": 40.0,
        "primary": 60.0,
        "primary_link": 40.0,
        "secondary": 50.0,
        "secondary_link": 40.0,
        "tertiary": 50.0,
        "tertiary_link": 30.0,
        "unclassified": 40.0,
        "residential": 30.0,
        "living_street": 20.0,
        "service": 20.0,
        "road": 30.0,
        "track": 15.0,
        "path": 10.0,
        "footway": 10.0,
        "pedestrian": 10.0,
        "cycleway": 15.0,
    }
)
ALLEY_SPEED_KMH: Final = 15.0

# Zone values of maxspeed (the OSM "maxspeed:type" convention "VN:…").
ZONE_SPEED_KMH: Final[Mapping[str, float]] = MappingProxyType(
    {"vn:urban": 50.0, "vn:rural": 80.0, "vn:motorway": 120.0, "vn:living_street": 20.0}
)

_OPEN_VALUES: Final = frozenset(
    {"yes", "permissive", "designated", "destination", "customers", "delivery", "official"}
)
_CLOSED_VALUES: Final = frozenset(
    {"no", "private", "agricultural", "forestry", "use_sidepath", "emergency", "military"}
)
_ONEWAY_FORWARD: Final = frozenset({"yes", "1", "true"})
_ONEWAY_BACKWARD: Final = frozenset({"-1", "reverse"})
_ONEWAY_BOTH: Final = frozenset({"no", "0", "false"})
_ONEWAY_CLOSED: Final = frozenset({"reversible", "alternating"})
_IMPLIED_ONEWAY_CLASSES: Final = frozenset({"motorway", "motorway_link"})
_ROUNDABOUTS: Final = frozenset({"roundabout", "circular"})

_SPEED_PATTERN: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")
_KMH_PER_UNIT: Final[Mapping[str, float]] = MappingProxyType(
    {"": 1.0, "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.609344, "knots": 1.852}
)


@dataclass(frozen=True)
class VehicleProfile:
    """Which ways one vehicle may use and in which direction."""

    name: str
    access_bit: int
    road_classes: frozenset[str]
    # classes closed by default that an explicit tag (explicit_keys) may open
    explicit_only_classes: frozenset[str]
    # classes closed by law that only the vehicle's own key (access_keys[0]) may open
    own_key_only_classes: frozenset[str]
    excluded_service_values: frozenset[str]
    access_keys: tuple[str, ...]  # most specific first
    explicit_keys: tuple[str, ...]  # keys whose "yes" opens an explicit-only class
    oneway_keys: tuple[str, ...]  # most specific first

    def access_value(self, tags: Mapping[str, str]) -> tuple[bool | None, str | None]:
        """(allowed, key that decided) from the access tags; (None, None) when none applies."""
        for key in self.access_keys:
            value = tags.get(key)
            if value is None:
                continue
            # "yes;destination" style lists: the first understood value decides
            for part in value.lower().split(";"):
                part = part.strip()
                if part in _OPEN_VALUES:
                    return True, key
                if part in _CLOSED_VALUES:
                    return False, key
        return None, None

    def is_allowed(self, tags: Mapping[str, str]) -> bool:
        """True if this vehicle may use the way at all (direction aside)."""
        highway = tags.get("highway", "")
        if tags.get("area") == "yes":
            return False
        allowed, deciding_key = self.access_value(tags)
        if highway in self.road_classes:
            if tags.get("service", "") in self.excluded_service_values:
                # a vehicle-specific "yes" still opens it (e.g. motorcar=yes on a wide hẻm)
                return bool(allowed) and deciding_key == self.access_keys[0]
            return allowed is not False
        if highway in self.explicit_only_classes:
            return bool(allowed) and deciding_key in self.explicit_keys
        if highway in self.own_key_only_classes:
            return bool(allowed) and deciding_key == self.access_keys[0]
        return False

    def directions(self, tags: Mapping[str, str]) -> tuple[bool, bool]:
        """(forward, backward) usability, assuming the way is allowed."""
        for key in self.oneway_keys:
            value = tags.get(key)
            if value is None:
                continue
            value = value.strip().lower()
            if value in _ONEWAY_FORWARD:
                return True, False
            if value in _ONEWAY_BACKWARD:
                return False, True
            if value in _ONEWAY_BOTH:
                return True, True
            if value in _ONEWAY_CLOSED:
                return False, False
        if implied_oneway(tags):
            return True, False
        return True, True


def implied_oneway(tags: Mapping[str, str]) -> bool:
    """Roundabouts and motorways are one-way without an oneway tag."""
    return (
        tags.get("junction", "") in _ROUNDABOUTS
        or tags.get("highway", "") in _IMPLIED_ONEWAY_CLASSES
    )


def parse_maxspeed_kmh(value: str | None) -> float | None:
    """A maxspeed tag in km/h; None when absent, "none", "signals" or not understood.

    Lists ("50;40") take the lowest value. "none" gives None because Vietnam has
    no unlimited roads: the class default applies.
    """
    if value is None:
        return None
    candidates: list[float] = []
    for part in value.split(";"):
        text = part.strip().lower()
        if text in ZONE_SPEED_KMH:
            candidates.append(ZONE_SPEED_KMH[text])
            continue
        if text == "walk":
            candidates.append(5.0)
            continue
        match = _SPEED_PATTERN.match(text)
        if match is None:
            continue
        speed = float(match.group(1)) * _KMH_PER_UNIT[match.group(2) or ""]
        if 0.0 < speed <= 200.0:
            candidates.append(speed)
    return min(candidates) if candidates else None


def parse_lanes(value: str | None) -> int:
    """The lane count (0 = unknown), clamped to 255; "2;3" takes the first number."""
    if value is None:
        return 0
    match = re.match(r"\s*(\d+)", value)
    if match is None:
        return 0
    return min(int(match.group(1)), 255)


def _is_set(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in {"", "no", "0", "false"}


@dataclass(frozen=True)
class WayInterpretation:
    """What a highway way means for routing, or why it is skipped."""

    forward_access: int  # bitmask CAR | MOTORBIKE for travel along the way's node order
    backward_access: int
    road_class: str
    maxspeed_kmh: float  # car free-flow speed
    flags: int  # SEGMENT_BRIDGE | SEGMENT_TUNNEL | SEGMENT_ONEWAY
    lanes: int
    skip_reason: str | None = None

    @property
    def usable(self) -> bool:
        return self.skip_reason is None


def _skipped(reason: str, road_class: str = "") -> WayInterpretation:
    return WayInterpretation(0, 0, road_class, 0.0, 0, 0, skip_reason=reason)


#: Every drivable class; tracks, paths and footways open only by explicit tags.
_CAR_CLASSES: Final = frozenset(ROAD_CLASSES) - {
    "track",
    "path",
    "footway",
    "pedestrian",
    "cycleway",
}
_MOTORBIKE_CLASSES: Final = (_CAR_CLASSES - {"motorway", "motorway_link"}) | {"track"}
_FOOT_AND_CYCLE_CLASSES: Final = frozenset({"path", "footway", "pedestrian", "cycleway"})

CAR_PROFILE: Final = VehicleProfile(
    name="car",
    access_bit=CAR,
    road_classes=_CAR_CLASSES,
    explicit_only_classes=_FOOT_AND_CYCLE_CLASSES | {"track"},
    own_key_only_classes=frozenset(),
    excluded_service_values=frozenset({"alley"}),
    access_keys=("motorcar", "motor_vehicle", "vehicle", "access"),
    explicit_keys=("motorcar", "motor_vehicle"),
    oneway_keys=("oneway:motorcar", "oneway"),
)
MOTORBIKE_PROFILE: Final = VehicleProfile(
    name="motorbike",
    access_bit=MOTORBIKE,
    road_classes=_MOTORBIKE_CLASSES,
    explicit_only_classes=_FOOT_AND_CYCLE_CLASSES,
    own_key_only_classes=frozenset({"motorway", "motorway_link"}),
    excluded_service_values=frozenset(),
    access_keys=("motorcycle", "moped", "motor_vehicle", "vehicle", "access"),
    explicit_keys=("motorcycle", "moped", "motor_vehicle"),
    oneway_keys=("oneway:motorcycle", "oneway"),
)


@dataclass(frozen=True)
class ProfileSet:
    """The vehicles a graph is built for, with the speed rules they share."""

    vehicles: tuple[VehicleProfile, ...] = (CAR_PROFILE, MOTORBIKE_PROFILE)
    default_speed_kmh: Mapping[str, float] = field(default_factory=lambda: DEFAULT_SPEED_KMH)
    alley_speed_kmh: float = ALLEY_SPEED_KMH
    motorbike_speed_cap_kmh: float = 60.0
    version: str = PROFILE_VERSION

    def interpret_way(self, tags: Mapping[str, str]) -> WayInterpretation:
        """Interpret one highway way's tags for every vehicle of the set."""
        highway = tags.get("highway")
        if highway is None:
            return _skipped("no highway tag")
        if highway not in ROAD_CLASS_CODE:
            return _skipped(f"highway={highway} not routable", highway)
        if tags.get("area") == "yes":
            return _skipped("area=yes", highway)
        forward_access = backward_access = 0
        for vehicle in self.vehicles:
            if not vehicle.is_allowed(tags):
                continue
            forward, backward = vehicle.directions(tags)
            if forward:
                forward_access |= vehicle.access_bit
            if backward:
                backward_access |= vehicle.access_bit
        if forward_access == 0 and backward_access == 0:
            return _skipped(f"no vehicle may use highway={highway}", highway)
        flags = 0
        if _is_set(tags.get("bridge")):
            flags |= SEGMENT_BRIDGE
        if _is_set(tags.get("tunnel")):
            flags |= SEGMENT_TUNNEL
        if (forward_access == 0) != (backward_access == 0) or (
            _is_set(tags.get("oneway")) or implied_oneway(tags)
        ):
            flags |= SEGMENT_ONEWAY
        return WayInterpretation(
            forward_access=forward_access,
            backward_access=backward_access,
            road_class=highway,
            maxspeed_kmh=self.maxspeed_kmh(tags),
            flags=flags,
            lanes=parse_lanes(tags.get("lanes")),
        )

    def maxspeed_kmh(self, tags: Mapping[str, str]) -> float:
        """The car free-flow speed of a way: its maxspeed tag, else the class default."""
        parsed = parse_maxspeed_kmh(tags.get("maxspeed"))
        if parsed is not None:
            return parsed
        if tags.get("service") == "alley":
            return self.alley_speed_kmh
        return float(self.default_speed_kmh.get(tags.get("highway", ""), 30.0))

    def motorbike_speed_kmh(self, arc_maxspeed_kmh: np.ndarray) -> np.ndarray:
        """Motorbike free-flow speeds (float32) from the arcs' car speeds."""
        capped: np.ndarray = np.minimum(arc_maxspeed_kmh, np.float32(self.motorbike_speed_cap_kmh))
        return capped.astype(np.float32)

    def vehicle(self, access_bit: int) -> VehicleProfile:
        for vehicle in self.vehicles:
            if vehicle.access_bit == access_bit:
                return vehicle
        raise KeyError(f"no vehicle with access bit {access_bit} in the profile set")


DEFAULT_PROFILES: Final = ProfileSet()

# Values of restriction "except" and of the "restriction:<vehicle>" suffix → our vehicles.
RESTRICTION_VEHICLE_BITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "motorcar": CAR,
        "motorcycle": MOTORBIKE,
        "moped": MOTORBIKE,
        "motor_vehicle": CAR | MOTORBIKE,
        "vehicle": CAR | MOTORBIKE,
    }
)


def restriction_applies_to(tags: Mapping[str, str]) -> tuple[str | None, int]:
    """The restriction value ("no_left_turn"…) and the vehicles (bitmask) it binds.

    ``restriction=*`` binds every motor vehicle minus those named in ``except``;
    ``restriction:motorcar=*`` / ``restriction:motorcycle=*`` bind only that vehicle.
    Restrictions for other vehicles (hgv, bus, bicycle) bind none of ours: mask 0.
    """
    value = tags.get("restriction")
    mask = CAR | MOTORBIKE
    if value is None:
        mask = 0
        for key, tag_value in tags.items():
            if not key.startswith("restriction:") or key == "restriction:conditional":
                continue
            vehicle = key.removeprefix("restriction:")
            if vehicle in RESTRICTION_VEHICLE_BITS:
                value = tag_value
                mask |= RESTRICTION_VEHICLE_BITS[vehicle]
            elif value is None:
                value = tag_value
    for exempt in tags.get("except", "").split(";"):
        mask &= ~RESTRICTION_VEHICLE_BITS.get(exempt.strip(), 0)
    return value, mask
