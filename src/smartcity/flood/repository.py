"""Every flood query."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    delete,
    func,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from smartcity.core.i18n import N_
from smartcity.flood.errors import BadQuery
from smartcity.flood.models import (
    Alert,
    Datastream,
    FloodPoint,
    FloodReport,
    Location,
    Observation,
    ObservedProperty,
    SegmentDepth,
    Sensor,
    Subscription,
    Thing,
)
from smartcity.flood.odata import Logical, Node, Not, Path, Value

Column = InstrumentedAttribute[Any]

#: Property paths a SensorThings client may filter and order on, per entity set.
STA_PATHS: dict[type[Any], dict[str, Column]] = {
    Thing: {"id": Thing.id, "name": Thing.name, "description": Thing.description},
    Location: {
        "id": Location.id,
        "name": Location.name,
        "description": Location.description,
        "Thing/id": Location.thing_id,
    },
    Sensor: {"id": Sensor.id, "name": Sensor.name, "description": Sensor.description},
    ObservedProperty: {
        "id": ObservedProperty.id,
        "name": ObservedProperty.name,
        "definition": ObservedProperty.definition,
    },
    Datastream: {
        "id": Datastream.id,
        "name": Datastream.name,
        "description": Datastream.description,
        "Thing/id": Datastream.thing_id,
        "Sensor/id": Datastream.sensor_id,
        "ObservedProperty/id": Datastream.observed_property_id,
    },
    Observation: {
        "id": Observation.id,
        "phenomenonTime": Observation.phenomenon_time,
        "resultTime": Observation.result_time,
        "result": Observation.result,
        "Datastream/id": Observation.datastream_id,
    },
}
for _paths in STA_PATHS.values():
    _paths["@iot.id"] = _paths["id"]


def _operand(paths: Mapping[str, Column], operand: Path | Value) -> Any:
    if isinstance(operand, Value):
        return operand.value
    column = paths.get(operand.name)
    if column is None:
        raise BadQuery(
            N_("Không lọc được theo thuộc tính {name}; được phép: {allowed}"),
            name=operand.name,
            allowed=", ".join(sorted(p for p in paths if p != "@iot.id")),
        )
    return column


def compile_filter(paths: Mapping[str, Column], node: Node) -> ColumnElement[bool]:
    if isinstance(node, Logical):
        parts = (compile_filter(paths, node.left), compile_filter(paths, node.right))
        return and_(*parts) if node.op == "and" else or_(*parts)
    if isinstance(node, Not):
        return not_(compile_filter(paths, node.operand))
    left, right = _operand(paths, node.left), _operand(paths, node.right)
    if not isinstance(left, InstrumentedAttribute) and not isinstance(right, InstrumentedAttribute):
        raise BadQuery(N_("Mỗi phép so sánh trong $filter cần một thuộc tính."))
    operations: dict[str, Any] = {
        "eq": lambda a, b: a == b,
        "ne": lambda a, b: a != b,
        "gt": lambda a, b: a > b,
        "ge": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "le": lambda a, b: a <= b,
    }
    expression: ColumnElement[bool] = operations[node.op](left, right)
    return expression


def query_entities[M](
    session: Session,
    model: type[M],
    *,
    node: Node | None,
    order: Sequence[tuple[str, bool]],
    top: int,
    skip: int,
    where: ColumnElement[bool] | None = None,
    count: bool = False,
) -> tuple[list[M], int | None]:
    paths = STA_PATHS[model]
    condition = compile_filter(paths, node) if node is not None else true()
    if where is not None:
        condition = and_(condition, where)
    statement: Select[Any] = select(model).where(condition)
    for name, descending in order:
        column = paths.get(name)
        if column is None:
            raise BadQuery(N_("Không sắp xếp được theo thuộc tính {name}."), name=name)
        statement = statement.order_by(column.desc() if descending else column.asc())
    statement = statement.order_by(paths["id"].asc()).limit(top).offset(skip)
    rows: list[M] = list(session.scalars(statement))
    total = None
    if count:
        total = int(session.scalar(select(func.count()).select_from(model).where(condition)) or 0)
    return rows, total


# --- observations ---


def datastream_kinds(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, int]]:
    """``{datastream id: (kind, thing id)}`` for the ids that exist."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Datastream.id, Datastream.kind, Datastream.thing_id).where(Datastream.id.in_(wanted))
    )
    return {int(r.id): (str(r.kind), int(r.thing_id)) for r in rows}


def upsert_observations(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert many observations in one statement; a repeated (datastream, phenomenon time)
    replaces the stored result (sensors re-send; corrections win).  Ids in input order."""
    if not rows:
        return []
    table = cast(Table, Observation.__table__)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    statement = insert.on_conflict_do_update(
        index_elements=["datastream_id", "phenomenon_time"],
        set_={"result": insert.excluded.result, "result_time": insert.excluded.result_time},
    ).returning(table.c.id, sort_by_parameter_order=True)
    return [int(row[0]) for row in session.execute(statement, rows)]


def advance_latest(session: Session, latest: Mapping[int, tuple[datetime, float]]) -> None:
    """Move each datastream's newest reading forward (late data never moves it back)."""
    for datastream_id, (moment, value) in latest.items():
        session.execute(
            update(Datastream)
            .where(
                Datastream.id == datastream_id,
                or_(Datastream.last_time.is_(None), Datastream.last_time <= moment),
            )
            .values(last_time=moment, last_result=value)
        )


def observations_since(
    session: Session, datastream_id: int, since: datetime
) -> list[tuple[datetime, float]]:
    rows = session.execute(
        select(Observation.phenomenon_time, Observation.result)
        .where(Observation.datastream_id == datastream_id, Observation.phenomenon_time >= since)
        .order_by(Observation.phenomenon_time)
    )
    return [(r.phenomenon_time, float(r.result)) for r in rows]


def datastreams_of_things(session: Session, thing_ids: Iterable[int]) -> list[Datastream]:
    return list(
        session.scalars(select(Datastream).where(Datastream.thing_id.in_(sorted(set(thing_ids)))))
    )


def datastreams_of_kind(session: Session, kind: str) -> list[Datastream]:
    return list(session.scalars(select(Datastream).where(Datastream.kind == kind)))


def point_ids_of_things(session: Session, thing_ids: Iterable[int]) -> set[int]:
    rows = session.scalars(
        select(Thing.point_id).where(
            Thing.id.in_(sorted(set(thing_ids))), Thing.point_id.is_not(None)
        )
    )
    return {int(r) for r in rows if r is not None}


def location_of_thing(session: Session, thing_id: int) -> Location | None:
    return session.scalars(select(Location).where(Location.thing_id == thing_id)).first()


def things_with_locations(session: Session) -> list[tuple[Thing, Location | None]]:
    rows = session.execute(
        select(Thing, Location)
        .outerjoin(Location, Location.thing_id == Thing.id)
        .order_by(Thing.id)
    )
    return [(r[0], r[1]) for r in rows]


# --- points ---


def points(session: Session) -> list[FloodPoint]:
    return list(session.scalars(select(FloodPoint).order_by(FloodPoint.id)))


def points_off_network(session: Session, network_version: str) -> list[FloodPoint]:
    """Points snapped to another road network than ``network_version`` (or to none yet)."""
    return list(
        session.scalars(
            select(FloodPoint)
            .where(FloodPoint.network_version != network_version)
            .order_by(FloodPoint.id)
        )
    )


def points_by_ids(session: Session, ids: Iterable[int]) -> list[FloodPoint]:
    return list(
        session.scalars(
            select(FloodPoint).where(FloodPoint.id.in_(sorted(set(ids)))).order_by(FloodPoint.id)
        )
    )


def hotspot(session: Session, name: str, district_key: str) -> FloodPoint | None:
    return session.scalars(
        select(FloodPoint).where(
            FloodPoint.name == name,
            FloodPoint.district_key == district_key,
            FloodPoint.origin == "hotspot",
        )
    ).first()


def points_near(session: Session, lon: float, lat: float, degrees: float) -> list[FloodPoint]:
    return list(
        session.scalars(
            select(FloodPoint).where(
                FloodPoint.lon.between(lon - degrees, lon + degrees),
                FloodPoint.lat.between(lat - degrees, lat + degrees),
            )
        )
    )


def wet_points(session: Session) -> list[FloodPoint]:
    return list(
        session.scalars(
            select(FloodPoint).where(or_(FloodPoint.depth_cm > 0, FloodPoint.published_cm > 0))
        )
    )


def reports_for(session: Session, point_ids: Iterable[int], since: datetime) -> list[FloodReport]:
    return list(
        session.scalars(
            select(FloodReport)
            .where(
                FloodReport.point_id.in_(sorted(set(point_ids))), FloodReport.observed_at >= since
            )
            .order_by(FloodReport.observed_at)
        )
    )


def points_with_reports_since(session: Session, since: datetime) -> set[int]:
    rows = session.scalars(select(FloodReport.point_id).where(FloodReport.observed_at >= since))
    return {int(r) for r in rows}


def report_by_external_id(session: Session, external_id: str) -> FloodReport | None:
    return session.scalars(
        select(FloodReport).where(FloodReport.external_id == external_id)
    ).first()


def sensor_things_of_points(session: Session, point_ids: Iterable[int]) -> dict[int, list[int]]:
    rows = session.execute(
        select(Thing.point_id, Datastream.id)
        .join(Datastream, Datastream.thing_id == Thing.id)
        .where(Thing.point_id.in_(sorted(set(point_ids))), Datastream.kind == "water_depth")
    )
    found: dict[int, list[int]] = {}
    for point_id, datastream_id in rows:
        if point_id is None:
            continue
        found.setdefault(int(point_id), []).append(int(datastream_id))
    return found


def datastreams_by_ids(session: Session, ids: Iterable[int]) -> list[Datastream]:
    return list(session.scalars(select(Datastream).where(Datastream.id.in_(sorted(set(ids))))))


# --- segments ---


def segment_depths(session: Session, network_version: str, *, forecast: bool) -> dict[int, float]:
    rows = session.execute(
        select(SegmentDepth.segment, SegmentDepth.depth_cm).where(
            SegmentDepth.network_version == network_version, SegmentDepth.forecast == forecast
        )
    )
    return {int(r.segment): float(r.depth_cm) for r in rows}


def save_segment_depths(
    session: Session,
    network_version: str,
    *,
    forecast: bool,
    changed: Mapping[int, float],
    now: datetime,
) -> None:
    if not changed:
        return
    session.execute(
        delete(SegmentDepth).where(
            SegmentDepth.network_version == network_version,
            SegmentDepth.forecast == forecast,
            SegmentDepth.segment.in_(sorted(changed)),
        )
    )
    session.add_all(
        SegmentDepth(
            network_version=network_version,
            segment=segment,
            forecast=forecast,
            depth_cm=depth,
            updated_at=now,
        )
        for segment, depth in changed.items()
        if depth > 0
    )
    session.flush()


# --- subscriptions and alerts ---


def subscriptions(session: Session, network_version: str) -> list[Subscription]:
    return list(
        session.scalars(select(Subscription).where(Subscription.network_version == network_version))
    )


def subscriptions_of(session: Session, owner: str) -> list[Subscription]:
    return list(
        session.scalars(
            select(Subscription).where(Subscription.owner == owner).order_by(Subscription.id)
        )
    )


def alerts_of(session: Session, owner: str, limit: int) -> list[Alert]:
    return list(
        session.scalars(
            select(Alert)
            .outerjoin(Subscription, Subscription.id == Alert.subscription_id)
            .where(or_(Subscription.owner == owner, Alert.subscription_id.is_(None)))
            .order_by(Alert.created_at.desc(), Alert.id.desc())
            .limit(limit)
        )
    )


def latest_city_alert(session: Session, kind: str) -> Alert | None:
    return session.scalars(
        select(Alert)
        .where(Alert.subscription_id.is_(None), Alert.kind == kind)
        .order_by(Alert.created_at.desc(), Alert.id.desc())
    ).first()


def add(session: Session, entity: object) -> None:
    session.add(entity)
    session.flush()
