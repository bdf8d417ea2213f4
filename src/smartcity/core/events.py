"""Domain events, published only after the transaction that produced them commits.

Services call :func:`publish_after_commit`; handlers subscribe by event name (or ``"*"``)
on the bus.  The in-memory bus serves one process; :class:`EventBus` is the interface a
Redis pub/sub bus implements to fan events out to several workers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from smartcity.core.clock import utcnow

log = logging.getLogger(__name__)

_PENDING = "smartcity.pending_events"


@dataclass(frozen=True)
class DomainEvent:
    name: str
    payload: dict[str, Any]
    occurred_at: datetime = field(default_factory=utcnow)


Handler = Callable[[DomainEvent], None]


class EventBus(Protocol):
    def publish(self, event: DomainEvent) -> None: ...

    def subscribe(self, name: str, handler: Handler) -> Callable[[], None]:
        """Register ``handler`` for ``name`` (``"*"`` = every event); returns an unsubscribe."""
        ...


class InMemoryEventBus:
    """Synchronous fan-out inside one process; a failing handler never breaks the others."""

    def __init__(self) -> None:
        self._handlers: defaultdict[str, list[Handler]] = defaultdict(list)

    def publish(self, event: DomainEvent) -> None:
        for handler in [*self._handlers.get(event.name, ()), *self._handlers.get("*", ())]:
            try:
                handler(event)
            except Exception:
                log.exception("event handler %r failed for %s", handler, event.name)

    def subscribe(self, name: str, handler: Handler) -> Callable[[], None]:
        self._handlers[name].append(handler)

        def unsubscribe() -> None:
            if handler in self._handlers[name]:
                self._handlers[name].remove(handler)

        return unsubscribe


_bus: EventBus = InMemoryEventBus()


def get_bus() -> EventBus:
    return _bus


def set_bus(bus: EventBus) -> None:
    global _bus
    _bus = bus


def publish_after_commit(session: Session, name: str, **payload: Any) -> None:
    """Queue an event on the session; it goes out only if the transaction commits."""
    session.info.setdefault(_PENDING, []).append(DomainEvent(name=name, payload=payload))


@sa_event.listens_for(Session, "after_commit")
def _publish_pending(session: Session) -> None:
    pending: list[DomainEvent] = session.info.pop(_PENDING, [])
    for domain_event in pending:
        get_bus().publish(domain_event)


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_PENDING, None)
