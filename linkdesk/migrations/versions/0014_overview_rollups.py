"""overview rollups: the 总览's trends from figures kept at write time (issue 23)

- ``ticket_day_count`` (day, province): filed and completed audit events, tickets submitted and
  those asking for the earliest cutover, per Beijing day; ``ix_ticket_day_count_province_day``
  for a province's scope (the primary key, (day, province_id), serves the nation's);
- ``review_decision.province_id`` and ``.waited_seconds``: the ticket's province and its wait at
  the stage since its latest move into it, when the decision was taken;
  ``ix_review_decision_waits`` (decided_at, province_id, stage, waited_seconds) and
  ``ix_review_decision_province_waits`` (province_id first) cover the medians' query.

The history is counted here once, as ``overview.rollups`` counts each new change; then ANALYZE.

Revision ID: 0014_overview_rollups
Revises: 0013_filing_probe
Create Date: 2026-12-01 02:00:00

"""

from collections import Counter
from datetime import date

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_overview_rollups"
down_revision = "0013_filing_probe"
branch_labels = None
depends_on = None

COUNTS = ("filed", "completed", "submitted", "minimum_lead")

# The tables as this migration knows them (never the app's models, which move on).
audit_event = sa.table(
    "audit_event",
    sa.column("ticket_id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("action", sa.String),
    sa.column("from_status", sa.String),
    sa.column("from_stage", sa.String),
    sa.column("to_status", sa.String),
    sa.column("to_stage", sa.String),
)
ticket = sa.table(
    "ticket",
    sa.column("id", sa.Integer),
    sa.column("center_id", sa.Integer),
    sa.column("submitted_at", sa.DateTime(timezone=True)),
    sa.column("cutover_date", sa.Date),
    sa.column("earliest_cutover", sa.Date),
)
center = sa.table("center", sa.column("id", sa.Integer), sa.column("province_id", sa.Integer))
decision = sa.table(
    "review_decision",
    sa.column("id", sa.Integer),
    sa.column("ticket_id", sa.Integer),
    sa.column("stage", sa.String),
    sa.column("decided_at", sa.DateTime(timezone=True)),
    sa.column("province_id", sa.Integer),
    sa.column("waited_seconds", sa.Double),
)


def upgrade():
    op.create_table(
        "ticket_day_count",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("filed", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("submitted", sa.Integer(), nullable=False),
        sa.Column("minimum_lead", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "filed >= 0 AND completed >= 0 AND submitted >= 0 AND minimum_lead >= 0", name=op.f("ck_ticket_day_count_counts_not_negative")
        ),
        sa.ForeignKeyConstraint(["province_id"], ["province.id"], name=op.f("fk_ticket_day_count_province_id_province")),
        sa.PrimaryKeyConstraint("day", "province_id", name=op.f("pk_ticket_day_count")),
    )
    op.create_index("ix_ticket_day_count_province_day", "ticket_day_count", ["province_id", "day"], unique=False)
    with op.batch_alter_table("review_decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("province_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("waited_seconds", sa.Double(), nullable=True))
    _backfill_decisions()
    with op.batch_alter_table("review_decision", schema=None) as batch_op:
        batch_op.alter_column("province_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f("fk_review_decision_province_id_province"), "province", ["province_id"], ["id"])
        batch_op.create_index("ix_review_decision_waits", ["decided_at", "province_id", "stage", "waited_seconds"], unique=False)
        batch_op.create_index("ix_review_decision_province_waits", ["province_id", "decided_at", "stage", "waited_seconds"], unique=False)
    _backfill_day_counts()
    op.execute("ANALYZE")


def _backfill_decisions():
    """Each decision's province, and its wait since the ticket's latest move into the stage."""
    bind = op.get_bind()
    province = (
        sa.select(center.c.province_id)
        .select_from(ticket.join(center, center.c.id == ticket.c.center_id))
        .where(ticket.c.id == decision.c.ticket_id)
        .scalar_subquery()
    )
    bind.execute(decision.update().values(province_id=province))
    reached = (
        sa.select(sa.func.max(audit_event.c.at))
        .where(
            audit_event.c.ticket_id == decision.c.ticket_id,
            audit_event.c.at <= decision.c.decided_at,
            audit_event.c.to_status == "pending",
            audit_event.c.to_stage == decision.c.stage,
            sa.or_(audit_event.c.from_status.is_distinct_from("pending"), audit_event.c.from_stage.is_distinct_from(decision.c.stage)),
        )
        .scalar_subquery()
    )
    waits = [
        {"decision_id": id_, "waited": (decided_at - since).total_seconds()}
        for id_, decided_at, since in bind.execute(sa.select(decision.c.id, decision.c.decided_at, reached))
        if since is not None
    ]
    if waits:
        bind.execute(
            decision.update().where(decision.c.id == sa.bindparam("decision_id")).values(waited_seconds=sa.bindparam("waited")), waits
        )


def _local_day(bind, column):
    if bind.dialect.name == "postgresql":
        return sa.func.date(sa.func.timezone("Asia/Shanghai", column))
    return sa.func.date(column, "+8 hours")  # SQLite stores the UTC wall time


def _backfill_day_counts():
    """Per (Beijing day, province): filed and completed events, submitted tickets and minimum leads."""
    bind = op.get_bind()
    counts: dict[tuple, Counter] = {}
    day = _local_day(bind, audit_event.c.at)
    events = (
        sa.select(day, center.c.province_id, audit_event.c.action, sa.func.count())
        .select_from(audit_event.join(ticket, ticket.c.id == audit_event.c.ticket_id).join(center, center.c.id == ticket.c.center_id))
        .where(audit_event.c.action.in_(("submit", "complete")))
        .group_by(day, center.c.province_id, audit_event.c.action)
    )
    for on, province_id, action, number in bind.execute(events):
        counts.setdefault((_date(on), province_id), Counter())["filed" if action == "submit" else "completed"] += number
    day = _local_day(bind, ticket.c.submitted_at)
    tickets = (
        sa.select(
            day,
            center.c.province_id,
            sa.func.count(),
            sa.func.sum(sa.case((ticket.c.cutover_date <= ticket.c.earliest_cutover, 1), else_=0)),
        )
        .select_from(ticket.join(center, center.c.id == ticket.c.center_id))
        .group_by(day, center.c.province_id)
    )
    for on, province_id, number, minimum in bind.execute(tickets):
        row = counts.setdefault((_date(on), province_id), Counter())
        row["submitted"] += number
        row["minimum_lead"] += minimum or 0
    table = sa.table(
        "ticket_day_count",
        sa.column("day", sa.Date),
        sa.column("province_id", sa.Integer),
        *(sa.column(name, sa.Integer) for name in COUNTS),
    )
    rows = [
        {"day": on, "province_id": province_id, **{name: row[name] for name in COUNTS}} for (on, province_id), row in sorted(counts.items())
    ]
    if rows:
        bind.execute(table.insert(), rows)


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def downgrade():
    with op.batch_alter_table("review_decision", schema=None) as batch_op:
        batch_op.drop_index("ix_review_decision_province_waits")
        batch_op.drop_index("ix_review_decision_waits")
        batch_op.drop_constraint(batch_op.f("fk_review_decision_province_id_province"), type_="foreignkey")
        batch_op.drop_column("waited_seconds")
        batch_op.drop_column("province_id")
    op.drop_index("ix_ticket_day_count_province_day", table_name="ticket_day_count")
    op.drop_table("ticket_day_count")
