"""self-service accounts: contact, 企业微信 userid and "set your own password" on users;
one-time set-password links; the audit trail of account changes

Revision ID: 0009_self_service_accounts
Revises: 0008_reviewer_workbench
Create Date: 2026-11-30 21:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009_self_service_accounts"
down_revision = "0008_reviewer_workbench"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"], name=op.f("fk_account_event_actor_id_user_account")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_account_event_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_event")),
    )
    with op.batch_alter_table("account_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_event_user_id"), ["user_id"], unique=False)

    op.create_table(
        "password_reset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"], name=op.f("fk_password_reset_created_by_id_user_account")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_password_reset_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset")),
        sa.UniqueConstraint("digest", name=op.f("uq_password_reset_digest")),
    )
    with op.batch_alter_table("password_reset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_reset_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact", sa.String(length=128), server_default="", nullable=False))
        batch_op.add_column(sa.Column("wecom_userid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_unique_constraint(batch_op.f("uq_user_account_wecom_userid"), ["wecom_userid"])


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_user_account_wecom_userid"), type_="unique")
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("wecom_userid")
        batch_op.drop_column("contact")

    with op.batch_alter_table("password_reset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_reset_user_id"))
    op.drop_table("password_reset")

    with op.batch_alter_table("account_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_event_user_id"))
    op.drop_table("account_event")
