"""ticket warnings as rows: ``ticket_warning`` replaces the JSON list ``ticket.warnings`` (issue 28)

Each of a ticket's warnings for reviewers becomes a row (ticket, position, code, message), at most
one of a code per ticket. A list narrowed to a code (http, host changed, day full, blackout,
non-government domain) reads the rows of the code from one index on (code, ticket_id), instead
of matching the JSON text with LIKE (which depended on ``json.dumps``' spacing) through one
partial index per code: those five indexes go with the column. The partial indexes of the
warnings kept in columns (emergency, provisional, the probe's) stay.

Both ways move the data in batches of tickets: upgrade, each warning of the list to a row at its
place; downgrade, the rows back to the list in their order.

Revision ID: 0019_ticket_warnings
Revises: 0018_warning_indexes
Create Date: 2026-12-09 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019_ticket_warnings"
down_revision = "0018_warning_indexes"
branch_labels = None
depends_on = None

BATCH = 2000  # tickets read, and their warnings written, at a time
# The partial indexes of 0018_warning_indexes on the codes in the JSON list, as it made them.
CODE = 'CAST(warnings AS TEXT) LIKE \'%"code": "{code}"%\''
CODE_INDEXES = ("http", "host_changed", "day_full", "blackout", "non_gov_domain")

ticket = sa.table("ticket", sa.column("id", sa.Integer), sa.column("warnings", sa.JSON))
ticket_warning = sa.table(
    "ticket_warning",
    sa.column("id", sa.Integer),
    sa.column("ticket_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("code", sa.String),
    sa.column("message", sa.Text),
)


def upgrade():
    op.create_table(
        "ticket_warning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_ticket_warning_ticket_id_ticket"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_warning")),
        sa.UniqueConstraint("ticket_id", "code", name=op.f("uq_ticket_warning_ticket_id_code")),
    )
    op.create_index("ix_ticket_warning_code_ticket", "ticket_warning", ["code", "ticket_id"], unique=False)
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(ticket.c.id, ticket.c.warnings).where(ticket.c.id > last).order_by(ticket.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        warnings = [
            {"ticket_id": row.id, "position": position, "code": warning["code"], "message": warning.get("message") or ""}
            for row in rows
            for position, warning in enumerate(_one_of_a_code(row.warnings or []))
        ]
        if warnings:
            connection.execute(ticket_warning.insert(), warnings)
    for code in CODE_INDEXES:
        op.drop_index(f"ix_ticket_warning_{code}", table_name="ticket")
    op.drop_column("ticket", "warnings")
    op.execute("ANALYZE")


def _one_of_a_code(warnings: list[dict]) -> list[dict]:
    """The warnings with one of each code: the rules never wrote two, and a later one would have
    replaced an earlier one (as a calendar import replaces its own), so the later one is kept."""
    last = {warning["code"]: index for index, warning in enumerate(warnings)}
    return [warning for index, warning in enumerate(warnings) if last[warning["code"]] == index]


def downgrade():
    # NOT NULL as the column was: SQLite adds one only with a default, which PostgreSQL then drops.
    op.add_column("ticket", sa.Column("warnings", sa.JSON(), server_default="[]", nullable=False))
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.alter_column("ticket", "warnings", server_default=None)
    last = 0
    while True:
        ids = connection.execute(sa.select(ticket.c.id).where(ticket.c.id > last).order_by(ticket.c.id).limit(BATCH)).scalars().all()
        if not ids:
            break
        last = ids[-1]
        rows = connection.execute(
            sa.select(ticket_warning.c.ticket_id, ticket_warning.c.code, ticket_warning.c.message)
            .where(ticket_warning.c.ticket_id.between(ids[0], ids[-1]))
            .order_by(ticket_warning.c.ticket_id, ticket_warning.c.position, ticket_warning.c.id)
        ).all()
        lists: dict[int, list] = {}
        for row in rows:
            lists.setdefault(row.ticket_id, []).append({"code": row.code, "message": row.message})
        if lists:
            connection.execute(
                ticket.update().where(ticket.c.id == sa.bindparam("ticket_id")).values(warnings=sa.bindparam("list")),
                [{"ticket_id": ticket_id, "list": warnings} for ticket_id, warnings in lists.items()],
            )
    for code in CODE_INDEXES:
        condition = sa.text(CODE.format(code=code))
        op.create_index(
            f"ix_ticket_warning_{code}", "ticket", ["submitted_at", "id"], unique=False, sqlite_where=condition, postgresql_where=condition
        )
    op.drop_index("ix_ticket_warning_code_ticket", table_name="ticket_warning")
    op.drop_table("ticket_warning")
    op.execute("ANALYZE")
