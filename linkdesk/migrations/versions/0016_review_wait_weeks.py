"""review wait weeks: the 总览's median review times from weekly running histograms (issue 23)

``review_wait_week`` (province, stage, Monday): the count and sum of the waits of every decision
up to that week's Sunday, per bucket of ``overview.review_waits``. Filled here from the waits the
decisions hold (migration 0014). The rule that turns decisions into rows is that module's
``weekly_rows``, used here and by its rebuild, so the two cannot disagree; a later change of the
buckets comes with its own migration that fills the table again.

Revision ID: 0016_review_wait_weeks
Revises: 0015_ticket_search
Create Date: 2026-12-01 03:00:00

"""
import sqlalchemy as sa
from alembic import op

from linkdesk.models.types import UTCDateTime
from linkdesk.overview.review_waits import weekly_rows

# revision identifiers, used by Alembic.
revision = '0016_review_wait_weeks'
down_revision = '0015_ticket_search'
branch_labels = None
depends_on = None

decision = sa.table('review_decision', sa.column('province_id', sa.Integer), sa.column('stage', sa.String),
                    sa.column('decided_at', UTCDateTime), sa.column('waited_seconds', sa.Double))


def upgrade():
    table = op.create_table(
        'review_wait_week',
        sa.Column('province_id', sa.Integer(), nullable=False),
        sa.Column('stage', sa.Enum('province', 'ministry', name='wait_stage', native_enum=False, create_constraint=True,
                                   length=32), nullable=False),
        sa.Column('week', sa.Date(), nullable=False),
        sa.Column('waits', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['province_id'], ['province.id'], name=op.f('fk_review_wait_week_province_id_province')),
        sa.PrimaryKeyConstraint('province_id', 'stage', 'week', name=op.f('pk_review_wait_week')),
    )
    decided = op.get_bind().execute(
        sa.select(decision.c.province_id, decision.c.stage, decision.c.decided_at, decision.c.waited_seconds)
        .where(decision.c.waited_seconds.is_not(None))
    ).all()
    rows = weekly_rows(decided)
    if rows:
        op.bulk_insert(table, rows)


def downgrade():
    op.drop_table('review_wait_week')
