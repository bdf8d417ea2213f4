"""Server-sent events for the traffic page: the alerts that hit a subscriber's saved places and
routes and, on request, the city-wide live feed (speeds published, incidents, reports).

One :class:`AlertStream` per connection listens on the event bus (handlers run in whatever
thread committed) and hands events to its asyncio queue with ``call_soon_threadsafe``.
A stream ends after ``MAX_SECONDS`` (the browser's EventSource reconnects by itself and gets
a fresh snapshot), so shutting the server down never waits long for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from smartcity.core.db import Database
from smartcity.core.events import DomainEvent, get_bus
from smartcity.roads.index import NetworkIndex
from smartcity.traffic.alerts import ALERT_EVENT, SUBSCRIPTION_EVENT, Owner, alerts
from smartcity.traffic.schemas import AlertOut, SubscriptionOut

HEARTBEAT_SECONDS = 15.0
MAX_SECONDS = 600.0
RETRY_MS = 3000
QUEUE_SIZE = 1000
#: City-wide events forwarded with ``live=true`` (SSE event name → bus event).
LIVE_EVENTS = {
    "traffic.speeds_updated": "speeds",
    "traffic.incident_changed": "incident",
    "report.created": "report",
    "report.status_changed": "report",
}


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def load_subscriptions(database: Database, owner: Owner) -> list[SubscriptionOut]:
    with database.session() as session:
        return [SubscriptionOut.model_validate(s) for s in alerts.subscriptions(session, owner)]


@dataclass
class AlertStream:
    database: Database
    index: NetworkIndex
    owner: Owner
    subscriptions: list[SubscriptionOut]
    active: list[AlertOut]
    live: bool
    delivered: set[int] = field(default_factory=set)

    def _mine(self, alert: AlertOut) -> dict[str, Any] | None:
        hits = alerts.matching(self.index, self.subscriptions, alert)
        if not hits and not (alert.status == "cleared" and alert.id in self.delivered):
            return None
        if alert.status == "active":
            self.delivered.add(alert.id)
        return {**alert.model_dump(mode="json"), "subscriptions": hits}

    def _snapshot(self) -> str:
        mine = [m for a in self.active if (m := self._mine(a)) is not None]
        data: dict[str, Any] = {
            "subscriptions": [s.model_dump(mode="json") for s in self.subscriptions],
            "mine": mine,
        }
        if self.live:
            data["all"] = [a.model_dump(mode="json") for a in self.active]
        return sse("snapshot", data)

    def _speeds(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "network_version": payload.get("network_version"),
            "changed": len(payload.get("speeds_kmh") or {}),
            "observed_at": payload.get("observed_at"),
        }

    async def events(self, request: Request) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[DomainEvent] = asyncio.Queue(maxsize=QUEUE_SIZE)

        def offer(event: DomainEvent) -> None:
            if not queue.full():  # a client that cannot keep up loses events, not memory
                queue.put_nowait(event)

        def on_event(event: DomainEvent) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: the stream ended
                loop.call_soon_threadsafe(offer, event)

        names = [ALERT_EVENT, SUBSCRIPTION_EVENT, *(LIVE_EVENTS if self.live else ())]
        unsubscribe: list[Callable[[], None]] = [get_bus().subscribe(n, on_event) for n in names]
        try:
            yield f"retry: {RETRY_MS}\n\n"
            yield self._snapshot()
            deadline = loop.time() + MAX_SECONDS
            while loop.time() < deadline:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        break
                    yield ": ping\n\n"
                    continue
                chunk = await self._handle(event)
                if chunk:
                    yield chunk
        finally:
            for undo in unsubscribe:
                undo()

    async def _handle(self, event: DomainEvent) -> str:
        if event.name == SUBSCRIPTION_EVENT:
            if event.payload.get("owner") != self.owner.key:
                return ""
            self.subscriptions = await run_in_threadpool(
                load_subscriptions, self.database, self.owner
            )
            return self._snapshot()
        if event.name == ALERT_EVENT:
            alert = AlertOut.model_validate(event.payload)
            self.active = [a for a in self.active if a.id != alert.id]
            if alert.status == "active":
                self.active.append(alert)
            chunks = []
            mine = self._mine(alert)
            if mine is not None:
                chunks.append(sse("alert", mine))
            if alert.status == "cleared":
                self.delivered.discard(alert.id)
            if self.live:
                chunks.append(sse("city-alert", alert.model_dump(mode="json")))
            return "".join(chunks)
        name = LIVE_EVENTS.get(event.name)
        if name == "speeds":
            return sse(name, self._speeds(event.payload))
        if name is not None:
            return sse(name, event.payload)
        return ""
