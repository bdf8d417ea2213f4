"""Background work of traffic, beside the web server: the publisher thread (live speeds, then
the jam detector), the event handlers (reports → traffic reports and incidents; incidents and
floods → alerts; alerts → Web Push deliveries) and the push worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from smartcity.core.db import Database
from smartcity.core.events import DomainEvent, get_bus
from smartcity.traffic.alerts import ALERT_EVENT, alerts
from smartcity.traffic.push import push, push_worker
from smartcity.traffic.service import traffic as traffic_service


@dataclass
class Background:
    unsubscribe: list[Callable[[], None]] = field(default_factory=list)

    def start(self, database: Database) -> None:
        if self.unsubscribe:
            return
        bus = get_bus()

        def handler(
            action: Callable[[Session, dict[str, Any]], object],
            then: Callable[[], None] | None = None,
        ) -> Callable[[DomainEvent], None]:
            def handle(event: DomainEvent) -> None:
                with database.session() as session:
                    action(session, event.payload)
                if then is not None:  # after the commit
                    then()

            return handle

        self.unsubscribe = [
            bus.subscribe("report.created", handler(traffic_service.on_report_created)),
            bus.subscribe("report.status_changed", handler(traffic_service.on_report_status_changed)),
            bus.subscribe("traffic.incident_changed", handler(alerts.on_incident_changed)),
            bus.subscribe("flood.segments_changed", handler(alerts.on_flood_changed)),
            bus.subscribe(ALERT_EVENT, handler(push.on_alert_changed, then=push_worker.wake)),
        ]  # fmt: skip
        traffic_service.start_publisher(database, also=alerts.detect_jams)
        push_worker.start(database)

    def stop(self) -> None:
        traffic_service.stop_publisher()
        push_worker.stop()
        for unsubscribe in self.unsubscribe:
            unsubscribe()
        self.unsubscribe = []


background = Background()
