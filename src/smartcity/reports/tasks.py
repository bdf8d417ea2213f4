"""Background work of reports: deliver the e-mail/SMS outbox through an adapter.

The outbox rows are written in the transaction of the status change, so a message exists
if and only if the change does; delivery happens later and may be retried.
"""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy.orm import Session

from smartcity.core.clock import utcnow
from smartcity.core.db import Database
from smartcity.core.periodic import Periodic
from smartcity.reports import repository
from smartcity.reports.models import OutboxMessage, OutboxState

log = logging.getLogger(__name__)

#: Give up on a message after this many failed attempts.
MAX_ATTEMPTS = 5


class MessageSender(Protocol):
    """Sends one e-mail or SMS; raises on failure."""

    def send(self, message: OutboxMessage) -> None: ...


class LogSender:
    """The demo's adapter: writes each message to the log instead of sending it."""

    def send(self, message: OutboxMessage) -> None:
        log.info(
            "reports outbox → %s %s: %s | %s",
            message.channel,
            message.recipient,
            message.subject,
            message.body.replace("\n", " "),
        )


def deliver_outbox(session: Session, sender: MessageSender, *, limit: int = 100) -> int:
    """Send pending messages; returns how many were sent."""
    sent = 0
    for message in repository.pending_outbox(session, limit=limit):
        message.attempts += 1
        try:
            sender.send(message)
        except Exception as error:
            message.last_error = str(error)[:500]
            if message.attempts >= MAX_ATTEMPTS:
                message.state = OutboxState.failed
            log.warning("outbox message %s not sent: %s", message.id, error)
            continue
        message.state, message.sent_at = OutboxState.sent, utcnow()
        sent += 1
    session.flush()
    return sent


class OutboxWorker(Periodic):
    """Delivers the outbox every few seconds in a background thread (one per process)."""

    def __init__(self, sender: MessageSender | None = None, *, interval_s: float = 10.0) -> None:
        self.sender: MessageSender = sender or LogSender()
        super().__init__("reports-outbox", self._deliver, interval_s=interval_s)

    def _deliver(self, database: Database) -> None:
        with database.session() as session:
            deliver_outbox(session, self.sender)


outbox_worker = OutboxWorker()
