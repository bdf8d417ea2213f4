"""A Redis pub/sub event bus, so several worker processes see the same domain events.

Each process keeps its own in-memory handlers; publishing delivers locally at once and
sends the event on a Redis channel, from which the other processes' listener threads
deliver it to their handlers.  Events carry the sending process's id, so a process never
handles its own event twice.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import redis

from smartcity.core.events import DomainEvent, Handler, InMemoryEventBus, get_bus, set_bus

log = logging.getLogger(__name__)

DEFAULT_CHANNEL = "smartcity:events"


class RedisEventBus:
    def __init__(
        self, url: str, *, channel: str = DEFAULT_CHANNEL, local: InMemoryEventBus | None = None
    ) -> None:
        self.channel = channel
        self.origin = uuid.uuid4().hex
        # Wrapping the process's existing bus keeps the handlers already subscribed to it.
        self._local = local or InMemoryEventBus()
        self._redis = redis.Redis.from_url(url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        self._pubsub.subscribe(**{channel: self._on_message})
        self._thread = self._pubsub.run_in_thread(
            sleep_time=0.05, daemon=True, exception_handler=self._on_listener_error
        )

    def publish(self, event: DomainEvent) -> None:
        self._local.publish(event)
        message = {
            "origin": self.origin,
            "name": event.name,
            "payload": event.payload,
            "occurred_at": event.occurred_at.isoformat(),
        }
        try:
            self._redis.publish(self.channel, json.dumps(message, default=str))
        except redis.RedisError:
            # Local handlers already ran; other workers catch up from the database.
            log.exception("could not forward %s to Redis", event.name)

    def subscribe(self, name: str, handler: Handler) -> Callable[[], None]:
        return self._local.subscribe(name, handler)

    def _on_listener_error(self, error: BaseException, pubsub: Any, thread: Any) -> None:
        # A dropped connection: redis-py reconnects on the next read; keep listening.
        log.warning("Redis event listener: %s", error)

    def _on_message(self, message: dict[str, Any]) -> None:
        try:
            data = json.loads(message["data"])
        except (ValueError, TypeError, KeyError):
            log.warning("ignoring a malformed event on %s", self.channel)
            return
        if data.get("origin") == self.origin:
            return
        self._local.publish(
            DomainEvent(
                name=str(data["name"]),
                payload=dict(data.get("payload") or {}),
                occurred_at=datetime.fromisoformat(data["occurred_at"]),
            )
        )

    def close(self) -> None:
        self._thread.stop()
        self._thread.join(timeout=2)  # let the listener leave its read before closing
        self._pubsub.close()
        self._redis.close()


def use_redis_bus(url: str) -> RedisEventBus:
    """Make the process's bus a Redis-backed one (idempotent)."""
    current = get_bus()
    if isinstance(current, RedisEventBus):
        return current
    bus = RedisEventBus(url, local=current if isinstance(current, InMemoryEventBus) else None)
    set_bus(bus)
    return bus
