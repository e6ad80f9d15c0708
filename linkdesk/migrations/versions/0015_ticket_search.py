"""ticket search: a trigram index over the ticket number and both addresses (issue 16)

``GET /api/v1/tickets?q=`` and the list pages find any part of a number or an address. A
substring match (``LIKE '%…%'``) scans every ticket; a trigram index answers it from the
three-character pieces of the text instead.

- PostgreSQL: the ``pg_trgm`` extension and one GIN index on (number, old_url, new_url) with
  ``gin_trgm_ops``; ``ILIKE '%…%'`` on any of the three columns uses it (declared in the model).
  ``fastupdate = off``: a new ticket goes into the index at once instead of a pending list that
  every search reads through until a vacuum merges it (tickets come a few a minute at most; a
  bulk load, as the scale benchmark's, would otherwise leave searches reading up to 4 MB of it).
- SQLite: an FTS5 table ``ticket_search`` with the trigram tokenizer, external content (it keeps
  only the index; the text stays in ``ticket``), kept in step by three triggers and filled here
  from the tickets already filed. SQLite creates its own shadow tables ``ticket_search_*``.

A later migration that rebuilds ``ticket`` on SQLite (``batch_alter_table`` copies the table and
drops the old one) drops these triggers with it: it must create them again.

Revision ID: 0015_ticket_search
Revises: 0014_overview_rollups
Create Date: 2026-12-01 00:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_ticket_search"
down_revision = "0014_overview_rollups"
branch_labels = None
depends_on = None

TRIGRAM_OPS = {"number": "gin_trgm_ops", "old_url": "gin_trgm_ops", "new_url": "gin_trgm_ops"}

# The FTS5 external-content protocol: a row leaves the index by a 'delete' command carrying the
# text it was indexed with, so that FTS5 can find its trigrams.
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE ticket_search USING fts5(number, old_url, new_url, content='ticket', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER ticket_search_insert AFTER INSERT ON ticket BEGIN "
    "INSERT INTO ticket_search (rowid, number, old_url, new_url) VALUES (new.id, new.number, new.old_url, new.new_url); "
    "END",
    "CREATE TRIGGER ticket_search_delete AFTER DELETE ON ticket BEGIN "
    "INSERT INTO ticket_search (ticket_search, rowid, number, old_url, new_url) "
    "VALUES ('delete', old.id, old.number, old.old_url, old.new_url); "
    "END",
    "CREATE TRIGGER ticket_search_update AFTER UPDATE OF id, number, old_url, new_url ON ticket BEGIN "
    "INSERT INTO ticket_search (ticket_search, rowid, number, old_url, new_url) "
    "VALUES ('delete', old.id, old.number, old.old_url, old.new_url); "
    "INSERT INTO ticket_search (rowid, number, old_url, new_url) VALUES (new.id, new.number, new.old_url, new.new_url); "
    "END",
    "INSERT INTO ticket_search (ticket_search) VALUES ('rebuild')",
]


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_ticket_search_trgm",
            "ticket",
            ["number", "old_url", "new_url"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops=TRIGRAM_OPS,
            postgresql_with={"fastupdate": "off"},
        )
        op.execute("ANALYZE ticket")
    elif dialect == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.drop_index("ix_ticket_search_trgm", table_name="ticket", postgresql_using="gin")
        # pg_trgm stays: another schema in the database may use it.
    elif dialect == "sqlite":
        for trigger in ("ticket_search_update", "ticket_search_delete", "ticket_search_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS ticket_search")
