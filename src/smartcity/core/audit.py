"""Append-only audit log, each entry HMAC-chained to the one before.

An entry's hash covers its content and the previous hash, keyed with the secret key, so an
edited entry breaks its own hash, a removed entry breaks the chain (and the sequence), and
a removed tail no longer matches the sealed head.  ``smartcity audit verify`` runs
:func:`verify`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.config import get_settings
from smartcity.core.clock import utcnow
from smartcity.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _key() -> bytes:
    return get_settings().secret_key.encode()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _entry_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    data: dict[str, Any],
) -> str:
    content = _canonical(
        [prev_hash, seq, at.isoformat(), actor, action, entity_type, entity_id, data]
    )
    return hmac.new(_key(), content.encode(), hashlib.sha256).hexdigest()


def _seal(seq: int, tip: str) -> str:
    return hmac.new(_key(), f"head:{seq}:{tip}".encode(), hashlib.sha256).hexdigest()


def _locked_head(session: Session) -> AuditHead:
    head = session.scalars(
        select(AuditHead)
        .where(AuditHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)  # see what the last writer committed
    ).first()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS, seal=_seal(0, GENESIS))
        session.add(head)
        session.flush()
    return head


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (so it exists iff the change does)."""
    head = _locked_head(session)
    # Round-trip through JSON now so the hashed form is exactly what the database returns.
    payload: dict[str, Any] = json.loads(_canonical(data or {}))
    seq = head.seq + 1
    at = utcnow()
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        data=payload,
        prev_hash=head.hash,
        hash=_entry_hash(head.hash, seq, at, actor, action, entity_type, str(entity_id), payload),
    )
    session.add(entry)
    head.seq, head.hash, head.seal = seq, entry.hash, _seal(seq, entry.hash)
    session.flush()
    return entry


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _entries(session: Session) -> Iterator[AuditEntry]:
    yield from session.scalars(
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=2000)
    )


def verify(session: Session) -> VerifyReport:
    report = VerifyReport()
    expected_seq, prev_hash = 1, GENESIS
    for entry in _entries(session):
        report.checked += 1
        if entry.seq != expected_seq:
            report.problems.append(
                f"entries {expected_seq}..{entry.seq - 1} are missing (deleted?)"
                if entry.seq > expected_seq
                else f"entry {entry.seq} is out of order"
            )
        if entry.prev_hash != prev_hash:
            report.problems.append(
                f"entry {entry.seq}: chain broken (previous entry changed or removed)"
            )
        recomputed = _entry_hash(
            entry.prev_hash,
            entry.seq,
            entry.at,
            entry.actor,
            entry.action,
            entry.entity_type,
            entry.entity_id,
            entry.data,
        )
        if not hmac.compare_digest(recomputed, entry.hash):
            report.problems.append(f"entry {entry.seq}: content does not match its hash (edited)")
        expected_seq, prev_hash = entry.seq + 1, entry.hash
    head = session.get(AuditHead, 1)
    last_seq = expected_seq - 1
    if head is None:
        if report.checked:
            report.problems.append("the chain head is missing")
    else:
        if not hmac.compare_digest(head.seal, _seal(head.seq, head.hash)):
            report.problems.append("the chain head was altered")
        elif head.seq != last_seq or head.hash != prev_hash:
            report.problems.append(
                f"the head records {head.seq} entries but the log ends at {last_seq} "
                "(newest entries removed)"
            )
    return report
