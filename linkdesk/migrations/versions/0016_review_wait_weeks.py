"""review wait weeks: the 总览's median review times from weekly running histograms (issue 23)

``review_wait_week`` (province, stage, Monday): the count and sum of the waits of every decision
up to that week's Sunday, per bucket of ``tickets.wait_weeks``. A migration imports no
application code, so it only creates the table: ``flask init-db`` then counts the decisions' waits
into it (``tickets.wait_weeks.rebuild``, the one rule that turns decisions into rows) when the table is
empty and decisions hold waits.

Revision ID: 0016_review_wait_weeks
Revises: 0015_ticket_search
Create Date: 2026-12-01 03:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016_review_wait_weeks"
down_revision = "0015_ticket_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "review_wait_week",
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum("province", "ministry", name="wait_stage", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("waits", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["province_id"], ["province.id"], name=op.f("fk_review_wait_week_province_id_province")),
        sa.PrimaryKeyConstraint("province_id", "stage", "week", name=op.f("pk_review_wait_week")),
    )


def downgrade():
    op.drop_table("review_wait_week")
