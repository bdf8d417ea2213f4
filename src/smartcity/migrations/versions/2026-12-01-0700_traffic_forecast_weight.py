"""traffic forecast: a weight towards the typical profile replaces the anomaly persistence

Revision ID: 0010_forecast_weight
Revises: 0009_traffic_alerts
Create Date: 2026-12-01 08:00:00

The stored coefficients meant "share of the anomaly left after the horizon"; the new column
means "pull of the live speed towards the typical profile", so old rows are dropped rather
than reinterpreted (`smartcity import traffic-history` fits new ones).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_forecast_weight"
down_revision: str | Sequence[str] | None = "0009_traffic_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM traffic_forecast_models"))
    with op.batch_alter_table("traffic_forecast_models", schema=None) as batch_op:
        batch_op.alter_column("persistence", new_column_name="typical_weight")


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM traffic_forecast_models"))
    with op.batch_alter_table("traffic_forecast_models", schema=None) as batch_op:
        batch_op.alter_column("typical_weight", new_column_name="persistence")
