"""scheduled day index: the month grid flat in the history (issue 23)

``ix_ticket_scheduled_day`` on (cutover_date, center_id, service_id, id), partial on the
approved and completed tickets: each day's first chips are its first entries, and the day
totals of any scope are counted from the index alone.

Revision ID: 0012_scheduled_day_index
Revises: 0011_scale_indexes
Create Date: 2026-12-01 00:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_scheduled_day_index"
down_revision = "0011_scale_indexes"
branch_labels = None
depends_on = None

SCHEDULED = "status IN ('approved', 'completed')"


def upgrade():
    op.create_index(
        "ix_ticket_scheduled_day",
        "ticket",
        ["cutover_date", "center_id", "service_id", "id"],
        unique=False,
        sqlite_where=sa.text(SCHEDULED),
        postgresql_where=sa.text(SCHEDULED),
    )
    op.execute("ANALYZE ticket")


def downgrade():
    op.drop_index("ix_ticket_scheduled_day", table_name="ticket")
