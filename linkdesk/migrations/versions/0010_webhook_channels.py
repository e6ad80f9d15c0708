"""webhook channels: a channel kind for automation, with its signing secret and the events it takes

Revision ID: 0010_webhook_channels
Revises: 0009_self_service_accounts
Create Date: 2026-11-30 22:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_webhook_channels"
down_revision = "0009_self_service_accounts"
branch_labels = None
depends_on = None

KIND = "ck_notification_channel_channel_kind"


def upgrade():
    with op.batch_alter_table("notification_channel", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("events", sa.String(length=255), nullable=True))
        batch_op.drop_constraint(op.f(KIND), type_="check")
        batch_op.create_check_constraint("channel_kind", "kind IN ('wecom', 'email', 'webhook')")


def downgrade():
    op.execute("DELETE FROM outbox_message WHERE channel_id IN (SELECT id FROM notification_channel WHERE kind = 'webhook')")
    op.execute("DELETE FROM notification_channel WHERE kind = 'webhook'")
    with op.batch_alter_table("notification_channel", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(KIND), type_="check")
        batch_op.create_check_constraint("channel_kind", "kind IN ('wecom', 'email')")
        batch_op.drop_column("events")
        batch_op.drop_column("secret")
