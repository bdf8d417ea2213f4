"""The traffic JSON API (thin: parse, call the service, return)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Body, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from smartcity.config import Environment, get_settings
from smartcity.core.auth import (
    CurrentPrincipal,
    OptionalPrincipal,
    Principal,
    require_roles,
    require_scopes,
)
from smartcity.core.csrf import verify_csrf
from smartcity.core.db import get_database
from smartcity.core.errors import BadRequest, Forbidden
from smartcity.core.http import SAFE_METHODS, SessionDep, api_router
from smartcity.core.i18n import N_
from smartcity.core.models import Role
from smartcity.core.schemas import MAX_ID, EntityId
from smartcity.traffic.alerts import Owner, alerts, new_subscriber_token, token_hash
from smartcity.traffic.limits import subscribe_limit
from smartcity.traffic.push import push
from smartcity.traffic.schemas import (
    AlertOut,
    CameraOut,
    CameraStatus,
    IncidentCreate,
    IncidentOut,
    ProbeBatch,
    ProbeIngestResult,
    PushConfigOut,
    PushSubscriptionCreate,
    PushSubscriptionOut,
    SegmentTraffic,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionOut,
    TrafficReportOut,
)
from smartcity.traffic.service import traffic as traffic_service
from smartcity.traffic.stream import AlertStream

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
    return traffic_service.ingest(session, batch=batch)


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


async def _incident_poster(principal: CurrentPrincipal) -> Principal:
    """Officers and administrators, or an API key with scope ``traffic:incidents`` (a
    traffic-management centre's system, the simulator)."""
    if principal.has_role(Role.officer, Role.admin) or principal.has_scopes("traffic:incidents"):
        return principal
    raise Forbidden(N_("Chỉ cán bộ hoặc khoá API có quyền traffic:incidents được đăng sự cố."))


IncidentPoster = Annotated[Principal, Depends(_incident_poster)]


@router.post(
    "/api/v1/traffic/incidents",
    response_model=IncidentOut,
    status_code=201,
    summary="Post an incident or closure (officers, or scope traffic:incidents); "
    "routing avoids or slows it",
)
def create_incident(
    session: SessionDep, body: IncidentCreate, principal: IncidentPoster
) -> IncidentOut:
    source = "officer" if principal.user is not None else "feed"
    incident = traffic_service.create_incident(session, data=body, source=source)
    return IncidentOut.model_validate(incident)


@router.post(
    "/api/v1/traffic/incidents/{incident_id}/close",
    response_model=IncidentOut,
    summary="Close an incident (officers, or scope traffic:incidents)",
)
def close_incident(
    session: SessionDep, incident_id: EntityId, principal: IncidentPoster
) -> IncidentOut:
    incident = traffic_service.incident(session, incident_id=incident_id)
    if incident.status == "open":
        traffic_service.close_incident(session, incident=incident)
    return IncidentOut.model_validate(incident)


@router.get(
    "/api/v1/traffic/reports",
    response_model=list[TrafficReportOut],
    summary="Recent citizen traffic reports (received from the reports module)",
)
def list_reports(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[TrafficReportOut]:
    return [
        TrafficReportOut.model_validate(r) for r in traffic_service.reports(session, limit=limit)
    ]


# --- alerts and subscriptions ---------------------------------------------------------

SUBSCRIBER_COOKIE = "traffic_subscriber"
SUBSCRIBER_HEADER = "x-subscriber-token"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


async def _subscriber(request: Request, principal: OptionalPrincipal) -> Owner:
    """A signed-in user owns their subscriptions; anyone else is known by a random token
    (header ``X-Subscriber-Token``, or the cookie a browser got with its first one)."""
    if principal is not None and principal.user is not None:
        return Owner(user_id=principal.user.id)
    header = request.headers.get(SUBSCRIBER_HEADER)
    token = header or request.cookies.get(SUBSCRIBER_COOKIE)
    if not token or not _TOKEN.match(token):
        return Owner()
    if header is None and request.method not in SAFE_METHODS:
        await verify_csrf(request)  # the cookie alone must not let another site write
    return Owner(token_hash=token_hash(token))


Subscriber = Annotated[Owner, Depends(_subscriber)]


def _identify(owner: Owner, response: Response) -> tuple[Owner, str | None]:
    """The caller as an owner, giving an anonymous one a new token (cookie and body)."""
    if owner.user_id is not None or owner.token_hash is not None:
        return owner, None
    issued = new_subscriber_token()
    response.set_cookie(
        SUBSCRIBER_COOKIE,
        issued,
        max_age=365 * 24 * 3600,
        path="/api/v1/traffic",
        httponly=True,
        samesite="lax",
        secure=get_settings().env is Environment.production,
    )
    response.headers["Cache-Control"] = "no-store"
    return Owner(token_hash=token_hash(issued)), issued


def _floats(value: str, count: int, name: str) -> tuple[float, ...]:
    try:
        numbers = tuple(float(part) for part in value.split(","))
    except ValueError:
        numbers = ()
    if len(numbers) != count or any(n != n or abs(n) == float("inf") for n in numbers):
        raise BadRequest(
            N_("Tham số {name} phải gồm {count} số cách nhau bằng dấu phẩy."),
            name=name,
            count=count,
        )
    return numbers


@router.get(
    "/api/v1/traffic/alerts",
    response_model=list[AlertOut],
    summary="Active alerts (jams, incidents, closures, flooding), in a box or near a point",
)
def list_alerts(
    session: SessionDep,
    owner: Subscriber,
    bbox: Annotated[str | None, Query(description="west,south,east,north", examples=[
        "106.6,10.7,106.8,10.85"])] = None,
    near: Annotated[str | None, Query(description="lon,lat,radius_m (radius ≤ 20000)",
                                      examples=["106.70,10.78,1500"])] = None,
    mine: Annotated[bool, Query(description="Only alerts hitting my saved places and routes")] = False,
) -> list[AlertOut]:  # fmt: skip
    box = None
    point = None
    if bbox is not None:
        west, south, east, north = _floats(bbox, 4, "bbox")
        if west > east or south > north:
            raise BadRequest(N_("bbox phải là tây,nam,đông,bắc."))
        box = (west, south, east, north)
    if near is not None:
        lon, lat, radius = _floats(near, 3, "near")
        if not 0 < radius <= 20000:
            raise BadRequest(N_("Bán kính phải từ 0 đến 20000 m."))
        point = (lon, lat, radius)
    found = [AlertOut.model_validate(a) for a in alerts.active(session, bbox=box, near=point)]
    if mine:
        subscriptions = [
            SubscriptionOut.model_validate(s) for s in alerts.subscriptions(session, owner)
        ]
        index = traffic_service.state(session).index
        found = [a for a in found if alerts.matching(index, subscriptions, a)]
    return found


@router.get(
    "/api/v1/traffic/subscriptions",
    response_model=list[SubscriptionOut],
    summary="My saved places and routes",
)
def list_subscriptions(session: SessionDep, owner: Subscriber) -> list[SubscriptionOut]:
    return [SubscriptionOut.model_validate(s) for s in alerts.subscriptions(session, owner)]


@router.post(
    "/api/v1/traffic/subscriptions",
    dependencies=[Depends(subscribe_limit)],
    response_model=SubscriptionCreated,
    status_code=201,
    summary="Save a place or a route (segment ids or a drawn line) with time windows",
)
def create_subscription(
    session: SessionDep, owner: Subscriber, body: SubscriptionCreate, response: Response
) -> SubscriptionCreated:
    owner, issued = _identify(owner, response)
    subscription = alerts.subscribe(session, owner=owner, data=body)
    created = SubscriptionCreated.model_validate(subscription)
    created.subscriber_token = issued
    return created


@router.delete(
    "/api/v1/traffic/subscriptions/{subscription_id}",
    status_code=204,
    summary="Forget a saved place or route",
)
def delete_subscription(
    session: SessionDep, owner: Subscriber, subscription_id: EntityId
) -> Response:
    alerts.unsubscribe(session, owner=owner, subscription_id=subscription_id)
    return Response(status_code=204)


@router.get(
    "/api/v1/traffic/push",
    response_model=PushConfigOut,
    summary="Whether this server sends Web Push, and its VAPID public key",
)
def push_config() -> PushConfigOut:
    return push.config()


@router.post(
    "/api/v1/traffic/push/subscriptions",
    dependencies=[Depends(subscribe_limit)],
    response_model=PushSubscriptionOut,
    status_code=201,
    responses={200: {"description": "This browser was subscribed already (keys updated)"}},
    summary="Let this browser receive my alerts as Web Push notifications "
    "(the JSON of PushSubscription.toJSON())",
)
def create_push_subscription(
    session: SessionDep, owner: Subscriber, body: PushSubscriptionCreate, response: Response
) -> PushSubscriptionOut:
    owner, issued = _identify(owner, response)
    subscription, created = push.subscribe(session, owner=owner, data=body)
    if not created:
        response.status_code = 200
    out = PushSubscriptionOut.model_validate(subscription)
    out.subscriber_token = issued
    return out


@router.get(
    "/api/v1/traffic/push/subscriptions",
    response_model=list[PushSubscriptionOut],
    summary="My browsers that receive Web Push notifications",
)
def list_push_subscriptions(session: SessionDep, owner: Subscriber) -> list[PushSubscriptionOut]:
    return [PushSubscriptionOut.model_validate(s) for s in push.subscriptions(session, owner)]


@router.delete(
    "/api/v1/traffic/push/subscriptions/{subscription_id}",
    status_code=204,
    summary="Stop Web Push notifications to a browser",
)
def delete_push_subscription(
    session: SessionDep, owner: Subscriber, subscription_id: EntityId
) -> Response:
    push.unsubscribe(session, owner=owner, subscription_id=subscription_id)
    return Response(status_code=204)


@router.get(
    "/api/v1/traffic/alerts/stream",
    response_class=StreamingResponse,
    summary="Server-sent events: `snapshot`, then `alert` for each alert hitting my saved "
    "places and routes; with live=true also `city-alert`, `speeds`, `incident`, `report`",
)
def alert_stream(
    request: Request,
    session: SessionDep,
    owner: Subscriber,
    live: Annotated[bool, Query(description="Also the city-wide live feed")] = False,
) -> StreamingResponse:
    stream = AlertStream(
        database=get_database(),
        index=traffic_service.state(session).index,
        owner=owner,
        subscriptions=[
            SubscriptionOut.model_validate(s) for s in alerts.subscriptions(session, owner)
        ],
        active=[AlertOut.model_validate(a) for a in alerts.active(session, limit=500)],
        live=live,
    )
    return StreamingResponse(
        stream.events(request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
