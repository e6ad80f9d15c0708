"""filing probe off the request: the ticket remembers its new address's probe (issue 23)

- ``probe_requested_at``: the probe was asked for and has not finished (NULL once it has);
- ``probed_at``: when the probe of the current address finished;
- ``probe_warning``: its warning when the address was not healthy.

The warnings of earlier synchronous probes (code ``probe`` in ``warnings``) move to
``probe_warning``, so that one column holds them; those tickets count as probed when filed.

Revision ID: 0013_filing_probe
Revises: 0012_scheduled_day_index
Create Date: 2026-12-01 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_filing_probe"
down_revision = "0012_scheduled_day_index"
branch_labels = None
depends_on = None

ticket = sa.table(
    "ticket",
    sa.column("id", sa.Integer),
    sa.column("warnings", sa.JSON),
    sa.column("submitted_at", sa.DateTime(timezone=True)),
    sa.column("probed_at", sa.DateTime(timezone=True)),
    sa.column("probe_warning", sa.JSON(none_as_null=True)),
)


def upgrade():
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("probe_requested_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("probed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("probe_warning", sa.JSON(none_as_null=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_ticket_probe_requested_at"), ["probe_requested_at"], unique=False)
    connection = op.get_bind()
    probed = connection.execute(
        sa.select(ticket.c.id, ticket.c.warnings, ticket.c.submitted_at).where(
            sa.cast(ticket.c.warnings, sa.String).contains('"code": "probe"')
        )
    ).all()
    for row in probed:
        found = [w for w in row.warnings if w.get("code") == "probe"]
        connection.execute(
            ticket.update()
            .where(ticket.c.id == row.id)
            .values(
                warnings=[w for w in row.warnings if w.get("code") != "probe"],
                probe_warning=found[-1],
                probed_at=row.submitted_at,
            )
        )


def downgrade():
    connection = op.get_bind()
    probed = connection.execute(
        sa.select(ticket.c.id, ticket.c.warnings, ticket.c.probe_warning).where(ticket.c.probe_warning.is_not(None))
    ).all()
    for row in probed:
        connection.execute(ticket.update().where(ticket.c.id == row.id).values(warnings=[*(row.warnings or []), row.probe_warning]))
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_probe_requested_at"))
        batch_op.drop_column("probe_warning")
        batch_op.drop_column("probed_at")
        batch_op.drop_column("probe_requested_at")
