"""inbox: 站内消息 per person, what the outbox sends to channels, needing no channel

Revision ID: 0006_inbox
Revises: 0005_sessions_and_tokens
Create Date: 2026-11-30 21:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_inbox"
down_revision = "0005_sessions_and_tokens"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "inbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=True),
        sa.Column("dedupe_key", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_inbox_message_ticket_id_ticket"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_inbox_message_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_message")),
        sa.UniqueConstraint("user_id", "dedupe_key", name=op.f("uq_inbox_message_user_id_dedupe_key")),
    )
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_message_unread", ["user_id", "read_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_message_created_at"), ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_message_created_at"))
        batch_op.drop_index("ix_inbox_message_unread")
    op.drop_table("inbox_message")
