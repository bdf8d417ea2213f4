"""Requests own their transaction; POSTs may carry an Idempotency-Key.

Every router is built with :func:`api_router`, whose route class opens one database
session per request, commits it when the handler succeeds *before* the response is sent,
and rolls back on any error.  Domain events queued during the request are published only
after the commit (see ``core.events``).

``Idempotency-Key`` on a POST: the first successful response is stored in the same
transaction as whatever the request created; a retry with the same key (and the same
body) gets that response back and creates nothing.  The same key with a different body
is an error.  A response marked ``Cache-Control: no-store`` (it carries a secret) is
never stored, so such requests are not replayed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from smartcity.config import get_settings
from smartcity.core.clock import utcnow
from smartcity.core.db import begin_write, get_database
from smartcity.core.errors import BadRequest, Conflict, SmartCityError
from smartcity.core.i18n import N_
from smartcity.core.models import IdempotencyRecord
from smartcity.core.schemas import PROBLEM_RESPONSES

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDEMPOTENCY_HEADER = "idempotency-key"
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
_REPLAYED_HEADERS = ("location", "content-language")


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = N_("Idempotency-Key đã dùng cho một yêu cầu khác")


def credential_scope(request: Request) -> str:
    """Who is asking, without a database lookup: a hash of whatever credential came along.

    Keys are only unique per caller; anonymous callers share one scope.
    """
    credential = (
        request.headers.get("authorization")
        or request.headers.get("x-api-key")
        or request.cookies.get("session")
        or "anonymous"
    )
    return hashlib.sha256(credential.encode()).hexdigest()


#: ``Session.info`` flag set by :func:`keep_writes_on_error`.
_KEEP_ON_ERROR = "smartcity.keep_writes_on_error"


def keep_writes_on_error(session: Session) -> None:
    """Commit this request's writes even if it ends in an expected error (4xx).

    For records that must outlive the refusal they explain, e.g. a failed-login counter
    and its audit entry.  Unexpected exceptions still roll everything back.
    """
    session.info[_KEEP_ON_ERROR] = True


def _end_failed(session: Session, error: BaseException | None) -> None:
    expected = error is None or isinstance(error, SmartCityError)
    if expected and session.info.get(_KEEP_ON_ERROR):
        session.commit()
    else:
        session.rollback()


def _open_session(request: Request) -> Session:
    # Runs in the thread pool: on SQLite a writer may wait here for the write lock, and
    # waiting on the event loop would stop the lock holder from ever committing.
    session = get_database().sessionmaker()
    if request.method not in SAFE_METHODS:
        begin_write(session)
    request.state.db = session
    return session


def _idempotency_horizon() -> datetime:
    return utcnow() - timedelta(hours=get_settings().idempotency_ttl_hours)


def purge_idempotency_records(session: Session) -> int:
    """Delete the records no retry can replay any more; returns how many."""
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < _idempotency_horizon())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _find_record(session: Session, scope: str, key: str) -> IdempotencyRecord | None:
    """The live record for this key; an expired one is removed so the key can be reused."""
    record = session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
        )
    ).first()
    if record is not None and record.created_at < _idempotency_horizon():
        session.delete(record)
        session.flush()
        return None
    return record


def _replay(record: IdempotencyRecord) -> Response:
    headers = dict(record.headers)
    headers["idempotent-replayed"] = "true"
    return Response(
        content=record.body,
        status_code=record.status_code,
        media_type=record.content_type,
        headers=headers,
    )


def _request_fingerprint(request: Request, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    digest.update(body)
    return digest.hexdigest()


class TransactionalRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_in_transaction(request: Request) -> Response:
            key = request.headers.get(IDEMPOTENCY_HEADER) if request.method == "POST" else None
            if key is not None:
                return await _handle_idempotent(request, key, handle)
            session = await run_in_threadpool(_open_session, request)
            try:
                response = await handle(request)
                if response.status_code < 400:
                    await run_in_threadpool(session.commit)
                else:
                    await run_in_threadpool(_end_failed, session, None)
                return response
            except BaseException as error:
                await run_in_threadpool(_end_failed, session, error)
                raise
            finally:
                await run_in_threadpool(session.close)

        return handle_in_transaction


async def _handle_idempotent(
    request: Request, key: str, handle: Callable[[Request], Awaitable[Response]]
) -> Response:
    if not _KEY_PATTERN.match(key):
        raise BadRequest(N_("Idempotency-Key phải gồm 1–255 ký tự in được."))
    scope = credential_scope(request)
    fingerprint = _request_fingerprint(request, await request.body())
    session = await run_in_threadpool(_open_session, request)
    try:
        previous = await run_in_threadpool(_find_record, session, scope, key)
        if previous is not None:
            if previous.request_hash != fingerprint:
                raise IdempotencyKeyReused(
                    N_("Khoá này đã được dùng cho một yêu cầu khác; hãy dùng khoá mới.")
                )
            return _replay(previous)
        response = await handle(request)
        body = getattr(response, "body", None)
        if response.status_code >= 400 or not isinstance(body, bytes):
            await run_in_threadpool(_end_failed, session, None)
            return response
        if "no-store" in response.headers.get("cache-control", ""):
            # The body holds a secret (a token, a new API key): never keep it for replay.
            await run_in_threadpool(session.commit)
            return response
        record = IdempotencyRecord(
            scope=scope,
            key=key,
            request_hash=fingerprint,
            status_code=response.status_code,
            content_type=response.headers.get("content-type", "application/json"),
            headers={h: response.headers[h] for h in _REPLAYED_HEADERS if h in response.headers},
            body=body,
        )
        try:
            await run_in_threadpool(_store_and_commit, session, record)
        except IntegrityError:
            # A concurrent retry with the same key committed first: answer with its result.
            await run_in_threadpool(session.rollback)
            winner = await run_in_threadpool(_find_record, session, scope, key)
            if winner is None or winner.request_hash != fingerprint:
                raise
            return _replay(winner)
        return response
    except BaseException as error:
        await run_in_threadpool(_end_failed, session, error)
        raise
    finally:
        await run_in_threadpool(session.close)


def _store_and_commit(session: Session, record: IdempotencyRecord) -> None:
    session.add(record)
    session.commit()


def api_router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose routes run in a request-owned transaction and document the
    problem+json error responses."""
    responses = {**PROBLEM_RESPONSES, **kwargs.pop("responses", {})}
    return APIRouter(route_class=TransactionalRoute, responses=responses, **kwargs)


def get_session(request: Request) -> Session:
    session = getattr(request.state, "db", None)
    if not isinstance(session, Session):
        raise RuntimeError("SessionDep used on a route not built with core.http.api_router")
    return session


SessionDep = Annotated[Session, Depends(get_session)]
