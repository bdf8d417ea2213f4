"""Flood ↔ routing: after a restart, routing asks flood for today's water on the roads."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartcity.flood.service import flood
from smartcity.routing.live import LiveState
from smartcity.routing.service import register_live_source


def current_water(session: Session) -> LiveState:
    version, depths = flood.live_depths(session)
    return LiveState(network_version=version or "", depth_cm=depths)


def register_with_routing() -> None:
    register_live_source("flood", current_water)
