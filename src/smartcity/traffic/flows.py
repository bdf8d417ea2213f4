"""Traffic → routing: after a restart, routing asks traffic for the fresh live speeds and the
open incidents, so it does not wait for the next publication (or forget a closure)."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from smartcity.routing.live import Incident, LiveState
from smartcity.routing.service import register_live_source
from smartcity.traffic.service import traffic


def current_traffic(session: Session) -> LiveState:
    version = traffic.state(session).version
    incidents = {
        str(incident.id): Incident(
            segments=np.asarray(incident.segments, dtype=np.int64),
            closed=incident.closed,
            delay_s=float(incident.delay_s),
        )
        for incident in traffic.incidents(session)
        if incident.network_version == version
    }
    return LiveState(
        network_version=version, speeds_kmh=traffic.fresh_speeds(session), incidents=incidents
    )


def register_with_routing() -> None:
    register_live_source("traffic", current_traffic)
