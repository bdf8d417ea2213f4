"""The outbox is delivered by a background worker, through the configured adapter."""

from __future__ import annotations

import time

from smartcity.core.db import Database
from smartcity.reports import repository
from smartcity.reports.models import OutboxMessage
from smartcity.reports.tasks import OutboxWorker


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, message: OutboxMessage) -> None:
        self.sent.append(message.recipient)


def test_worker_delivers_pending_messages_and_stops(database: Database) -> None:
    with database.session() as session:
        pending_before = len(repository.pending_outbox(session, limit=10_000))
        session.add(
            OutboxMessage(
                channel="email",
                recipient="worker-test@example.vn",
                subject="Phản ánh đã được xử lý",
                body="Xin cảm ơn.",
            )
        )
    recorder = _Recorder()
    worker = OutboxWorker(recorder, interval_s=0.05)
    worker.start(database)
    try:
        deadline = time.monotonic() + 5
        while "worker-test@example.vn" not in recorder.sent and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert "worker-test@example.vn" in recorder.sent
    assert len(recorder.sent) >= pending_before + 1
    with database.session() as session:
        states = {m.recipient: m.state for m in repository.pending_outbox(session, limit=10_000)}
    assert "worker-test@example.vn" not in states
