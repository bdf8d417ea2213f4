"""The traffic JSON API (thin: parse, call the service, return)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, Path

from smartcity.core.auth import Principal, require_roles, require_scopes
from smartcity.core.db import get_database
from smartcity.core.http import SessionDep, api_router
from smartcity.core.models import Role
from smartcity.core.schemas import MAX_ID, EntityId
from smartcity.traffic.schemas import (
    CameraOut,
    CameraStatus,
    IncidentCreate,
    IncidentOut,
    ProbeBatch,
    ProbeIngestResult,
    SegmentTraffic,
)
from smartcity.traffic.service import traffic as traffic_service

router = api_router(tags=["traffic"])

Ingest = Annotated[Principal, Depends(require_scopes("traffic:ingest"))]
CameraGateway = Annotated[Principal, Depends(require_scopes("traffic:cameras"))]
Officer = Annotated[Principal, Depends(require_roles(Role.officer, Role.admin))]


@router.post(
    "/api/v1/traffic/probes",
    response_model=ProbeIngestResult,
    summary="Ingest a batch of GPS probe points (API key with scope traffic:ingest)",
)
def ingest_probes(session: SessionDep, batch: ProbeBatch, principal: Ingest) -> ProbeIngestResult:
    result = traffic_service.ingest(session, batch=batch)
    traffic_service.start_publisher(get_database())
    return result


@router.get(
    "/api/v1/traffic/segments/{segment}",
    response_model=SegmentTraffic,
    summary="Speed, congestion level, LOS and 30/60-minute forecast of one road segment",
)
def segment_traffic(
    session: SessionDep, segment: Annotated[int, Path(ge=0, le=MAX_ID)]
) -> SegmentTraffic:
    return traffic_service.segment(session, segment=segment)


@router.get("/api/v1/traffic/cameras", response_model=list[CameraOut], summary="Traffic cameras")
def list_cameras(session: SessionDep) -> list[CameraOut]:
    return traffic_service.cameras(session)


@router.post(
    "/api/v1/traffic/cameras/{camera_id}/snapshots",
    response_model=CameraOut,
    status_code=201,
    summary="Upload a camera snapshot (JPEG or PNG body; scope traffic:cameras)",
)
def upload_snapshot(
    session: SessionDep,
    camera_id: EntityId,
    principal: CameraGateway,
    data: Annotated[bytes, Body(media_type="image/jpeg", description="JPEG or PNG bytes")],
) -> CameraOut:
    return traffic_service.add_snapshot(session, camera_id=camera_id, data=data)


@router.post(
    "/api/v1/traffic/cameras/{camera_id}/status",
    response_model=CameraOut,
    summary="Mark a camera online or offline (officers)",
)
def camera_status(
    session: SessionDep,
    camera_id: EntityId,
    body: CameraStatus,
    principal: Officer,
) -> CameraOut:
    return traffic_service.set_camera_status(
        session, camera_id=camera_id, online=body.online, reason=body.reason,
        actor=principal.actor,
    )  # fmt: skip


@router.get("/api/v1/traffic/incidents", response_model=list[IncidentOut], summary="Open incidents")
def list_incidents(session: SessionDep) -> list[IncidentOut]:
    return [IncidentOut.model_validate(i) for i in traffic_service.incidents(session)]


@router.post(
    "/api/v1/traffic/incidents",
    response_model=IncidentOut,
    status_code=201,
    summary="Post an incident or closure (officers); routing avoids or slows it",
)
def create_incident(session: SessionDep, body: IncidentCreate, principal: Officer) -> IncidentOut:
    incident = traffic_service.create_incident(session, data=body, source="officer")
    return IncidentOut.model_validate(incident)
