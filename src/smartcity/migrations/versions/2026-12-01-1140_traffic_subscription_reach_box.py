"""traffic saved places and routes carry the box within which an alert can hit them

Revision ID: 0013_subscription_box
Revises: 0012_history_segments
Create Date: 2026-12-01 11:40:00

Web Push used to read every saved place of every push-enabled owner for each alert; now it
reads only those whose box overlaps the alert.  Existing rows get the box of their stored
coordinates grown by their reach and the route snapping distance (their snapped segments lie
within it).
"""

import math
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_subscription_box"
down_revision: str | Sequence[str] | None = "0012_history_segments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# frozen copies of the values at this revision (traffic.alerts and core.geo)
_METRES_PER_DEGREE = 111_320.0
_ROUTE_BUFFER_M = 60.0
_SNAP_DISTANCE_M = 35.0
_COLUMNS = ("min_lon", "min_lat", "max_lon", "max_lat")

_subscriptions = sa.table(
    "traffic_alert_subscriptions",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("coordinates", sa.JSON),
    sa.column("radius_m", sa.Float),
    *(sa.column(name, sa.Float) for name in _COLUMNS),
)


def _box(kind: str, coordinates: list[list[float]], radius_m: float) -> dict[str, float]:
    reach = radius_m if kind == "place" else max(radius_m, _ROUTE_BUFFER_M) + _SNAP_DISTANCE_M
    reach = reach * 1.01 + 1.0  # matching's degree of latitude is 0.7 % shorter than this one
    lons = [c[0] for c in coordinates] or [0.0]
    lats = [c[1] for c in coordinates] or [0.0]
    dlat = reach / _METRES_PER_DEGREE
    widest = max(abs(min(lats)), abs(max(lats)))
    dlon = reach / (_METRES_PER_DEGREE * max(math.cos(math.radians(widest)), 0.1))
    return {
        "min_lon": min(lons) - dlon,
        "min_lat": min(lats) - dlat,
        "max_lon": max(lons) + dlon,
        "max_lat": max(lats) + dlat,
    }


def upgrade() -> None:
    with op.batch_alter_table("traffic_alert_subscriptions", schema=None) as batch_op:
        for name in _COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            _subscriptions.c.id,
            _subscriptions.c.kind,
            _subscriptions.c.coordinates,
            _subscriptions.c.radius_m,
        )
    ).all()
    for row in rows:
        connection.execute(
            _subscriptions.update()
            .where(_subscriptions.c.id == row.id)
            .values(**_box(row.kind, row.coordinates or [], row.radius_m or 0.0))
        )
    with op.batch_alter_table("traffic_alert_subscriptions", schema=None) as batch_op:
        for name in _COLUMNS:
            batch_op.alter_column(name, existing_type=sa.Float(), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_traffic_alert_subscriptions_max_lat"), ["max_lat"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("traffic_alert_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_traffic_alert_subscriptions_max_lat"))
        for name in reversed(_COLUMNS):
            batch_op.drop_column(name)
