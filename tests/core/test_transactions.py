"""The request owns the transaction; POST retries with an Idempotency-Key create nothing new;
events go out only after commit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import func, select, update

from smartcity.api import housekeeping
from smartcity.config import get_settings
from smartcity.core import audit
from smartcity.core.clock import utcnow
from smartcity.core.db import Database
from smartcity.core.error_handlers import install_error_handlers
from smartcity.core.errors import Conflict
from smartcity.core.events import DomainEvent, get_bus, publish_after_commit
from smartcity.core.http import SessionDep, api_router
from smartcity.core.models import AuditEntry, IdempotencyRecord


class Note(BaseModel):
    text: str


class Created(BaseModel):
    seq: int
    text: str


def _count(database: Database, entity_type: str) -> int:
    with database.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.entity_type == entity_type)
            )
            or 0
        )


@pytest.fixture
def probe(database: Database) -> Iterator[tuple[TestClient, str]]:
    """A tiny app whose endpoints write audit entries, so every write is countable."""
    entity_type = f"probe-{uuid.uuid4().hex[:8]}"
    router = api_router()

    @router.post("/notes", status_code=201, response_model=Created)
    def create_note(note: Note, session: SessionDep) -> Created:
        entry = audit.record(
            session, actor="test", action="note.created", entity_type=entity_type, entity_id="1"
        )
        publish_after_commit(session, "note.created", text=note.text)
        return Created(seq=entry.seq, text=note.text)

    @router.post("/notes-then-fail")
    def create_then_fail(note: Note, session: SessionDep) -> Created:
        audit.record(
            session, actor="test", action="note.created", entity_type=entity_type, entity_id="2"
        )
        publish_after_commit(session, "note.created", text=note.text)
        raise Conflict()

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    with TestClient(app) as client:
        yield client, entity_type


def test_successful_request_commits(probe: tuple[TestClient, str], database: Database) -> None:
    client, entity_type = probe
    assert client.post("/notes", json={"text": "a"}).status_code == 201
    assert _count(database, entity_type) == 1


def test_failed_request_writes_nothing_and_publishes_nothing(
    probe: tuple[TestClient, str], database: Database
) -> None:
    client, entity_type = probe
    seen: list[DomainEvent] = []
    unsubscribe = get_bus().subscribe("note.created", seen.append)
    try:
        response = client.post("/notes-then-fail", json={"text": "b"})
    finally:
        unsubscribe()
    assert response.status_code == 409
    assert _count(database, entity_type) == 0
    assert seen == []


def test_events_are_published_after_commit(probe: tuple[TestClient, str]) -> None:
    client, _ = probe
    seen: list[DomainEvent] = []
    unsubscribe = get_bus().subscribe("note.created", seen.append)
    try:
        client.post("/notes", json={"text": "hello"})
    finally:
        unsubscribe()
    assert [e.payload for e in seen] == [{"text": "hello"}]


def test_replayed_idempotency_key_returns_first_result_and_creates_nothing(
    probe: tuple[TestClient, str], database: Database
) -> None:
    client, entity_type = probe
    key = str(uuid.uuid4())
    first = client.post("/notes", json={"text": "once"}, headers={"Idempotency-Key": key})
    second = client.post("/notes", json={"text": "once"}, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert _count(database, entity_type) == 1


def test_same_key_with_another_body_is_refused(
    probe: tuple[TestClient, str], database: Database
) -> None:
    client, entity_type = probe
    key = str(uuid.uuid4())
    client.post("/notes", json={"text": "first"}, headers={"Idempotency-Key": key})
    clash = client.post("/notes", json={"text": "second"}, headers={"Idempotency-Key": key})
    assert clash.status_code == 409
    assert clash.json()["code"] == "idempotency_key_reused"
    assert _count(database, entity_type) == 1


def test_failed_request_does_not_burn_its_key(
    probe: tuple[TestClient, str], database: Database
) -> None:
    client, entity_type = probe
    key = str(uuid.uuid4())
    assert client.post("/notes", json={}, headers={"Idempotency-Key": key}).status_code == 422
    retry = client.post("/notes", json={"text": "fixed"}, headers={"Idempotency-Key": key})
    # A retry after a validation error with a corrected body is a new request: it succeeds.
    assert retry.status_code == 201
    assert _count(database, entity_type) == 1


def test_invalid_idempotency_key_is_a_clear_error(probe: tuple[TestClient, str]) -> None:
    client, _ = probe
    response = client.post("/notes", json={"text": "x"}, headers={"Idempotency-Key": "x" * 300})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]


def test_housekeeping_forgets_replays_past_their_time_only(
    probe: tuple[TestClient, str], database: Database
) -> None:
    client, _ = probe
    old_key, new_key = str(uuid.uuid4()), str(uuid.uuid4())
    client.post("/notes", json={"text": "old"}, headers={"Idempotency-Key": old_key})
    client.post("/notes", json={"text": "new"}, headers={"Idempotency-Key": new_key})
    ttl = timedelta(hours=get_settings().idempotency_ttl_hours)
    with database.session() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == old_key)
            .values(created_at=utcnow() - ttl - timedelta(minutes=1))
        )
    housekeeping(database)
    with database.session() as session:
        kept = set(session.scalars(select(IdempotencyRecord.key)))
    assert old_key not in kept
    assert new_key in kept
