"""nation day counts: the 总览's national trends read one row a day (issue 23)

``nation_day_count`` (day): the counts of ``ticket_day_count`` summed over the provinces, kept
with them by ``overview.rollups``. Filled here from ``ticket_day_count``.

Revision ID: 0017_nation_day_counts
Revises: 0016_review_wait_weeks
Create Date: 2026-12-01 04:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_nation_day_counts"
down_revision = "0016_review_wait_weeks"
branch_labels = None
depends_on = None

COUNTS = ("filed", "completed", "submitted", "minimum_lead")


def upgrade():
    op.create_table(
        "nation_day_count",
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.CheckConstraint(
            "filed >= 0 AND completed >= 0 AND submitted >= 0 AND minimum_lead >= 0", name=op.f("ck_nation_day_count_counts_not_negative")
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_nation_day_count")),
    )
    columns = ", ".join(COUNTS)
    sums = ", ".join(f"sum({name})" for name in COUNTS)
    op.execute(f"INSERT INTO nation_day_count (day, {columns}) SELECT day, {sums} FROM ticket_day_count GROUP BY day")


def downgrade():
    op.drop_table("nation_day_count")
