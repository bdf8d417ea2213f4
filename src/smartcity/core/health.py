"""Liveness and readiness probes."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from smartcity.core.db import get_database
from smartcity.core.error_handlers import ProblemResponse
from smartcity.core.migrate import current_revisions, head_revisions

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    migrations: str


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok")


def _check() -> Readiness:
    database = get_database()
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current, heads = current_revisions(database), head_revisions(database)
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable: %s", exc)
        return Readiness(status="unavailable", database="unreachable", migrations="unknown")
    migrations = (
        "current" if current == heads else f"behind ({', '.join(sorted(current)) or 'empty'})"
    )
    status = "ok" if current == heads else "unavailable"
    return Readiness(status=status, database=database.engine.dialect.name, migrations=migrations)


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The database is reachable and migrated",
    responses={503: {"model": Readiness, "description": "Not ready"}},
)
async def readyz() -> Readiness | ProblemResponse:
    readiness = await run_in_threadpool(_check)
    if readiness.status != "ok":
        return ProblemResponse(readiness.model_dump(), status_code=503)
    return readiness
