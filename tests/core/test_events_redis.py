"""Two processes' buses (two RedisEventBus objects) see each other's events through Redis.

Runs where SMARTCITY_REDIS_URL points at a Redis server (CI starts one); skipped otherwise.
"""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from smartcity.core.events import DomainEvent, InMemoryEventBus

REDIS_URL = os.environ.get("SMARTCITY_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="SMARTCITY_REDIS_URL not set (no Redis)")


def test_an_event_published_in_one_worker_reaches_the_other() -> None:
    from smartcity.core.events_redis import RedisEventBus

    channel = f"test:{uuid.uuid4().hex}"
    worker_a = RedisEventBus(REDIS_URL, channel=channel, local=InMemoryEventBus())
    worker_b = RedisEventBus(REDIS_URL, channel=channel, local=InMemoryEventBus())
    received_a: list[DomainEvent] = []
    received_b: list[DomainEvent] = []
    arrived = threading.Event()
    worker_a.subscribe("flood.segments_changed", received_a.append)
    worker_b.subscribe(
        "flood.segments_changed", lambda event: (received_b.append(event), arrived.set())
    )
    try:
        worker_a.publish(
            DomainEvent("flood.segments_changed", {"network_version": "v1", "depth_cm": {"7": 35}})
        )
        assert arrived.wait(timeout=5), "worker B never received the event"
    finally:
        worker_a.close()
        worker_b.close()
    assert [e.payload for e in received_b] == [{"network_version": "v1", "depth_cm": {"7": 35}}]
    assert len(received_a) == 1  # delivered locally once, not echoed back from Redis
