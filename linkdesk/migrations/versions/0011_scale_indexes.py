"""scale indexes: the filters the pages, feeds and API use at national scale (issue 23)

- ``ix_ticket_status_cutover_date``: the cutover calendar, its feed and exports (approved and
  completed tickets in a date range);
- ``ix_ticket_cutover_date_id``: ``GET /api/v1/cutovers`` pages by (cutover_date, id);
- ``ix_ticket_status_center_id``: the home page counts open tickets by status in a scope.

Then ``ANALYZE``, so that SQLite's planner knows the tables (it never ran before).

Revision ID: 0011_scale_indexes
Revises: 0010_webhook_channels
Create Date: 2026-11-30 22:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_scale_indexes"
down_revision = "0010_webhook_channels"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_status_cutover_date", ["status", "cutover_date"], unique=False)
        batch_op.create_index("ix_ticket_cutover_date_id", ["cutover_date", "id"], unique=False)
        batch_op.create_index("ix_ticket_status_center_id", ["status", "center_id"], unique=False)
    op.execute("ANALYZE")


def downgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_status_center_id")
        batch_op.drop_index("ix_ticket_cutover_date_id")
        batch_op.drop_index("ix_ticket_status_cutover_date")
