"""ticket evidence: the new host's ICP filing number, a reviewer's request for a document,
and attachments stored in the database (bytea / blob) with their SHA-256

Revision ID: 0007_ticket_evidence
Revises: 0006_inbox
Create Date: 2026-11-30 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_ticket_evidence"
down_revision = "0006_inbox"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("icp_number", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("evidence_requested", sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table(
        "ticket_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "content_type IN ('application/pdf', 'image/png', 'image/jpeg')", name=op.f("ck_ticket_attachment_known_content_type")
        ),
        sa.CheckConstraint("size > 0", name=op.f("ck_ticket_attachment_size_positive")),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_ticket_attachment_ticket_id_ticket")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user_account.id"], name=op.f("fk_ticket_attachment_uploaded_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_attachment")),
    )
    with op.batch_alter_table("ticket_attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_attachment_ticket_id"), ["ticket_id"], unique=False)


def downgrade():
    with op.batch_alter_table("ticket_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_attachment_ticket_id"))
    op.drop_table("ticket_attachment")

    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("evidence_requested")
        batch_op.drop_column("icp_number")
