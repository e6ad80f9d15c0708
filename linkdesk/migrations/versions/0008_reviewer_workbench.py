"""reviewer workbench: what an edit changed, kept on its audit event; indexes for lists sorted by
filing time and for decided_by=me

Revision ID: 0008_reviewer_workbench
Revises: 0007_ticket_evidence
Create Date: 2026-12-01 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_reviewer_workbench"
down_revision = "0007_ticket_evidence"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changes", sa.JSON(), nullable=True))
    op.create_index(op.f("ix_ticket_submitted_at"), "ticket", ["submitted_at"], unique=False)
    op.create_index(op.f("ix_review_decision_reviewer_id"), "review_decision", ["reviewer_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_review_decision_reviewer_id"), table_name="review_decision")
    op.drop_index(op.f("ix_ticket_submitted_at"), table_name="ticket")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("changes")
