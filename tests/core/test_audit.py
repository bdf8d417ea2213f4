"""The audit chain detects edited, deleted and truncated entries (by tampering with SQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from smartcity.cli import app as cli
from smartcity.core import audit
from smartcity.core.db import Database
from smartcity.core.models import AuditEntry, AuditHead


@pytest.fixture
def chain(database: Database) -> Iterator[list[int]]:
    """Five fresh entries; the whole log is restored afterwards so other tests see a valid chain."""
    with database.session() as session:
        saved_entries = [
            {c.key: getattr(e, c.key) for c in AuditEntry.__table__.columns}
            for e in session.scalars(select(AuditEntry))
        ]
        head = session.get(AuditHead, 1)
        saved_head = (head.seq, head.hash, head.seal) if head else None
        seqs = [
            audit.record(
                session,
                actor="officer:7",
                action="dossier.status_changed",
                entity_type="dossier",
                entity_id=f"D-{i}",
                data={"from": 1, "to": 2, "note": "Hồ sơ hợp lệ"},
            ).seq
            for i in range(5)
        ]
    yield seqs
    with database.session() as session:
        session.execute(delete(AuditEntry))
        if saved_entries:
            session.execute(AuditEntry.__table__.insert(), saved_entries)
        if saved_head is None:
            session.execute(delete(AuditHead))
        else:
            session.execute(
                update(AuditHead)
                .where(AuditHead.id == 1)
                .values(seq=saved_head[0], hash=saved_head[1], seal=saved_head[2])
            )


def _verify(database: Database) -> audit.VerifyReport:
    with database.session() as session:
        return audit.verify(session)


def test_untouched_chain_verifies(chain: list[int], database: Database) -> None:
    report = _verify(database)
    assert report.ok, report.problems
    assert report.checked >= 5


def test_edited_entry_is_detected(chain: list[int], database: Database) -> None:
    with database.session() as session:
        session.execute(
            update(AuditEntry).where(AuditEntry.seq == chain[2]).values(data={"from": 1, "to": 9})
        )
    report = _verify(database)
    assert not report.ok
    assert any(f"entry {chain[2]}" in p and "edited" in p for p in report.problems)


def test_edited_actor_is_detected(chain: list[int], database: Database) -> None:
    with database.session() as session:
        session.execute(
            update(AuditEntry).where(AuditEntry.seq == chain[0]).values(actor="admin:1")
        )
    assert not _verify(database).ok


def test_deleted_entry_is_detected(chain: list[int], database: Database) -> None:
    with database.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == chain[1]))
    report = _verify(database)
    assert any("missing" in p for p in report.problems)


def test_deleted_tail_is_detected(chain: list[int], database: Database) -> None:
    with database.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq >= chain[3]))
    report = _verify(database)
    assert any("newest entries removed" in p for p in report.problems)


def test_cli_verify_reports_tampering_with_exit_code(chain: list[int], database: Database) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    with database.session() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == chain[4]).values(entity_id="X"))
    tampered = runner.invoke(cli, ["audit", "verify"])
    assert tampered.exit_code == 1
    assert "tampered" in tampered.output
