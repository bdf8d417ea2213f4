"""OGC SensorThings API v1.1 subset at ``/api/sta/v1.1`` (Things, Locations, Sensors,
ObservedProperties, Datastreams, Observations; ``CreateObservations`` dataArray batches;
``$filter``, ``$orderby``, ``$top``, ``$skip``, ``$count`` on GET).

Entities carry ``@iot.id``, ``@iot.selfLink`` and ``<Rel>@iot.navigationLink`` like
FROST-Server, so FROST clients (``frost-sta-client``) work unchanged.  Errors raised by this
API answer in FROST's style, ``{"code": <status>, "type": "error", "message": ...}``, plus
our stable ``error`` code; authentication failures (missing ``flood:ingest`` scope) come
from the platform's auth layer as problem+json.  Reading is public; writing needs an API
key with the ``flood:ingest`` scope.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from smartcity.core.auth import Principal, require_scopes
from smartcity.core.errors import SmartCityError
from smartcity.core.http import SessionDep, api_router
from smartcity.core.i18n import N_, language_of
from smartcity.flood.errors import BadEntity, BadQuery
from smartcity.flood.models import (
    Datastream,
    Location,
    Observation,
    ObservedProperty,
    Sensor,
    Thing,
)
from smartcity.flood.odata import parse_filter, parse_orderby
from smartcity.flood.repository import query_entities
from smartcity.flood.service import flood as flood_service
from smartcity.flood.service import parse_time

ROOT = "/api/sta/v1.1"
MAX_TOP = 10_000
DEFAULT_TOP = 100

#: Not in our OpenAPI document: the OGC SensorThings API v1.1 standard (OGC 18-088) is its
#: contract, and its errors follow FROST's JSON rather than our problem+json.
router = api_router(tags=["sensorthings"], include_in_schema=False)
Ingest = Annotated[Principal, Depends(require_scopes("flood:ingest"))]

SETS: dict[str, type[Any]] = {
    "Things": Thing,
    "Locations": Location,
    "Sensors": Sensor,
    "ObservedProperties": ObservedProperty,
    "Datastreams": Datastream,
    "Observations": Observation,
}
NAVIGATION: dict[type[Any], tuple[str, ...]] = {
    Thing: ("Locations", "Datastreams", "HistoricalLocations"),
    Location: ("Things", "HistoricalLocations"),
    Sensor: ("Datastreams",),
    ObservedProperty: ("Datastreams",),
    Datastream: ("Thing", "Sensor", "ObservedProperty", "Observations"),
    Observation: ("Datastream", "FeatureOfInterest"),
}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + ROOT


def to_json(entity: Any, base: str) -> dict[str, Any]:
    plural = next(name for name, model in SETS.items() if isinstance(entity, model))
    link = f"{base}/{plural}({entity.id})"
    doc: dict[str, Any] = {"@iot.id": entity.id, "@iot.selfLink": link}
    if isinstance(entity, Thing):
        doc |= {
            "name": entity.name,
            "description": entity.description,
            "properties": entity.properties,
        }
    elif isinstance(entity, Location):
        doc |= {
            "name": entity.name,
            "description": entity.description,
            "encodingType": entity.encoding_type,
            "location": {"type": "Point", "coordinates": [entity.lon, entity.lat]},
        }
    elif isinstance(entity, Sensor):
        doc |= {
            "name": entity.name,
            "description": entity.description,
            "encodingType": entity.encoding_type,
            "metadata": entity.sensor_metadata,
        }
    elif isinstance(entity, ObservedProperty):
        doc |= {
            "name": entity.name,
            "definition": entity.definition,
            "description": entity.description,
        }
    elif isinstance(entity, Datastream):
        doc |= {
            "name": entity.name,
            "description": entity.description,
            "observationType": entity.observation_type,
            "unitOfMeasurement": entity.unit_of_measurement,
            "properties": {"kind": str(entity.kind)},
        }
        if entity.last_time is not None:
            doc["phenomenonTime"] = _iso(entity.last_time)
    elif isinstance(entity, Observation):
        doc |= {
            "phenomenonTime": _iso(entity.phenomenon_time),
            "resultTime": _iso(entity.result_time),
            "result": entity.result,
        }
    for relation in NAVIGATION[type(entity)]:
        doc[f"{relation}@iot.navigationLink"] = f"{link}/{relation}"
    return doc


def frost_errors[**P](
    handler: Callable[P, Awaitable[Response]],
) -> Callable[P, Awaitable[Response]]:
    """Answer this API's own errors in FROST's JSON shape (the transaction still rolls back)."""

    @functools.wraps(handler)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> Response:
        try:
            return await handler(*args, **kwargs)
        except SmartCityError as error:
            request = kwargs.get("request")
            language = language_of(request) if isinstance(request, Request) else "vi"
            return JSONResponse(
                {
                    "code": error.status,
                    "type": "error",
                    "message": error.detail(language),
                    "error": error.code,
                },
                status_code=error.status,
            )

    return wrapped


def _int_param(request: Request, name: str, default: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadQuery(
            N_("{name} phải là số nguyên từ 0 đến {high}."), name=name, high=high
        ) from None
    if not 0 <= value <= high:
        raise BadQuery(N_("{name} phải là số nguyên từ 0 đến {high}."), name=name, high=high)
    return value


def _collection(
    request: Request, session: Session, model: type[Any], where: Any = None
) -> dict[str, Any]:
    params = request.query_params
    node = parse_filter(params["$filter"]) if params.get("$filter") else None
    order = parse_orderby(params["$orderby"]) if params.get("$orderby") else []
    top = _int_param(request, "$top", DEFAULT_TOP, MAX_TOP)
    skip = _int_param(request, "$skip", 0, 10**9)
    count = params.get("$count", "false").lower() == "true"
    rows, total = query_entities(
        session, model, node=node, order=order, top=top + 1, skip=skip, where=where, count=count
    )
    base = base_url(request)
    body: dict[str, Any] = {}
    if total is not None:
        body["@iot.count"] = total
    body["value"] = [to_json(row, base) for row in rows[:top]]
    if len(rows) > top:
        next_params = dict(params)
        next_params["$skip"] = str(skip + top)
        query = "&".join(f"{k}={v}" for k, v in next_params.items())
        body["@iot.nextLink"] = f"{str(request.url).split('?')[0]}?{query}"
    return body


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise BadEntity(N_("Thân yêu cầu không phải JSON hợp lệ.")) from None


def _created(entity: Any, request: Request) -> Response:
    doc = to_json(entity, base_url(request))
    return JSONResponse(doc, status_code=201, headers={"Location": doc["@iot.selfLink"]})


@router.get(ROOT, summary="SensorThings service root")
async def service_root(request: Request) -> dict[str, Any]:
    base = base_url(request)
    return {
        "value": [{"name": name, "url": f"{base}/{name}"} for name in SETS],
        "serverSettings": {
            "conformance": [
                "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete/create-entity",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
            ]
        },
    }


def _register_set(name: str, model: type[Any]) -> None:
    @frost_errors
    async def list_entities(request: Request, session: SessionDep) -> Response:
        body = await run_in_threadpool(_collection, request, session, model)
        return JSONResponse(body)

    @frost_errors
    async def get_entity(request: Request, session: SessionDep, entity_id: int) -> Response:
        entity = await run_in_threadpool(flood_service.get_entity, session, model, entity_id)
        return JSONResponse(to_json(entity, base_url(request)))

    list_entities.__name__ = f"sta_list_{name}"
    get_entity.__name__ = f"sta_get_{name}"
    router.add_api_route(f"{ROOT}/{name}", list_entities, methods=["GET"], summary=f"List {name}")
    router.add_api_route(
        f"{ROOT}/{name}({{entity_id:int}})", get_entity, methods=["GET"], summary=f"One of {name}"
    )


for _name, _model in SETS.items():
    _register_set(_name, _model)


_CREATORS: dict[str, Callable[[Session, Any], Any]] = {
    "Things": flood_service.create_thing,
    "Locations": flood_service.create_location,
    "Sensors": flood_service.create_sensor,
    "ObservedProperties": flood_service.create_observed_property,
    "Datastreams": flood_service.create_datastream,
}


def _register_create(name: str) -> None:
    create = _CREATORS[name]

    @frost_errors
    async def create_entity(request: Request, session: SessionDep, _caller: Ingest) -> Response:
        data = await _json_body(request)
        if not isinstance(data, dict):
            raise BadEntity(N_("Thân yêu cầu phải là một đối tượng JSON."))
        entity = await run_in_threadpool(create, session, data)
        return _created(entity, request)

    create_entity.__name__ = f"sta_create_{name}"
    router.add_api_route(
        f"{ROOT}/{name}",
        create_entity,
        methods=["POST"],
        status_code=201,
        summary=f"Create in {name}",
    )


for _name in _CREATORS:
    _register_create(_name)


def _number(value: Any, index: int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadEntity(N_("Quan trắc số {index}: result phải là số."), index=index)
    return float(value)


def _observation_item(
    data: Any, datastream_id: int | None, index: int
) -> tuple[int, datetime, float, datetime | None]:
    if not isinstance(data, dict):
        raise BadEntity(N_("Thân yêu cầu phải là một đối tượng JSON."))
    if datastream_id is None:
        ref = data.get("Datastream")
        if not isinstance(ref, dict) or not isinstance(ref.get("@iot.id"), int):
            raise BadEntity(N_('Observation cần Datastream {"@iot.id": …}.'))
        datastream_id = int(ref["@iot.id"])
    moment = parse_time(data.get("phenomenonTime"))
    result_time = parse_time(data["resultTime"], "resultTime") if data.get("resultTime") else None
    return datastream_id, moment, _number(data.get("result"), index), result_time


async def _create_observation(
    request: Request, session: Session, datastream_id: int | None
) -> Response:
    item = _observation_item(await _json_body(request), datastream_id, 0)
    ids = await run_in_threadpool(flood_service.ingest, session, [item])
    observation = await run_in_threadpool(session.get, Observation, ids[0])
    return _created(observation, request)


@router.post(f"{ROOT}/Observations", status_code=201, summary="Create an Observation")
@frost_errors
async def create_observation(request: Request, session: SessionDep, _caller: Ingest) -> Response:
    return await _create_observation(request, session, None)


@router.post(
    f"{ROOT}/Datastreams({{datastream_id:int}})/Observations",
    status_code=201,
    summary="Create an Observation in a Datastream",
)
@frost_errors
async def create_datastream_observation(
    request: Request, session: SessionDep, _caller: Ingest, datastream_id: int
) -> Response:
    return await _create_observation(request, session, datastream_id)


def parse_data_array(body: Any) -> list[tuple[int, datetime, float, datetime | None]]:
    """The ``CreateObservations`` body → readings (minimal per-row work: it is the hot path)."""
    if not isinstance(body, list):
        raise BadEntity(N_("CreateObservations cần một mảng các khối dataArray."))
    items: list[tuple[int, datetime, float, datetime | None]] = []
    fromisoformat = datetime.fromisoformat
    for block in body:
        ref = block.get("Datastream") if isinstance(block, dict) else None
        components = block.get("components") if isinstance(block, dict) else None
        rows = block.get("dataArray") if isinstance(block, dict) else None
        if (
            not isinstance(ref, dict)
            or not isinstance(ref.get("@iot.id"), int)
            or not isinstance(components, list)
            or not isinstance(rows, list)
            or "phenomenonTime" not in components
            or "result" not in components
        ):
            raise BadEntity(
                N_("Mỗi khối cần Datastream, components (phenomenonTime, result) và dataArray.")
            )
        datastream_id = int(ref["@iot.id"])
        t_at, r_at = components.index("phenomenonTime"), components.index("result")
        rt_at = components.index("resultTime") if "resultTime" in components else None
        width = len(components)
        for row in rows:
            index = len(items)
            if not isinstance(row, list) or len(row) != width:
                raise BadEntity(
                    N_("Quan trắc số {index}: số phần tử khác components."), index=index
                )
            stamp = row[t_at]
            try:
                moment = fromisoformat(stamp)
            except (TypeError, ValueError):
                moment = parse_time(stamp)
            if moment.tzinfo is None:
                moment = parse_time(stamp)
            result = row[r_at]
            if result.__class__ is not float and result.__class__ is not int:
                result = _number(result, index)
            result_time = (
                parse_time(row[rt_at], "resultTime") if rt_at is not None and row[rt_at] else None
            )
            items.append((datastream_id, moment, float(result), result_time))
    return items


@router.post(f"{ROOT}/CreateObservations", status_code=201, summary="dataArray batch ingest")
@frost_errors
async def create_observations(request: Request, session: SessionDep, _caller: Ingest) -> Response:
    items = parse_data_array(await _json_body(request))
    if not items:
        raise BadEntity(N_("CreateObservations cần một mảng các khối dataArray."))
    ids = await run_in_threadpool(flood_service.ingest, session, items)
    base = base_url(request)
    return JSONResponse([f"{base}/Observations({i})" for i in ids], status_code=201)


def _register_navigation(
    parent: str, model: type[Any], relation: str, child: type[Any], where: Callable[[int], Any]
) -> None:
    @frost_errors
    async def navigate(request: Request, session: SessionDep, entity_id: int) -> Response:
        def run() -> dict[str, Any]:
            flood_service.get_entity(session, model, entity_id)
            return _collection(request, session, child, where(entity_id))

        return JSONResponse(await run_in_threadpool(run))

    navigate.__name__ = f"sta_{parent}_{relation}"
    router.add_api_route(
        f"{ROOT}/{parent}({{entity_id:int}})/{relation}",
        navigate,
        methods=["GET"],
        summary=f"{relation} of one of {parent}",
    )


_register_navigation("Things", Thing, "Datastreams", Datastream, lambda i: Datastream.thing_id == i)
_register_navigation("Things", Thing, "Locations", Location, lambda i: Location.thing_id == i)
_register_navigation(
    "Datastreams", Datastream, "Observations", Observation, lambda i: Observation.datastream_id == i
)
_register_navigation(
    "Sensors", Sensor, "Datastreams", Datastream, lambda i: Datastream.sensor_id == i
)
_register_navigation(
    "ObservedProperties",
    ObservedProperty,
    "Datastreams",
    Datastream,
    lambda i: Datastream.observed_property_id == i,
)
