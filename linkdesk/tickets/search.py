"""Ticket search (工单搜索, issue 16): what the ``q`` of a list finds, answered from indexes so that
it takes about as long at 100,000 tickets as at 1,000.

A search of **three characters or more** finds, ignoring case, the tickets

- whose number, old address or new address contains it anywhere (``LD-2026-0001``,
  ``zhengzhou-move``, ``example.gov.cn/4242``, ``/公积金/``): a trigram index — PostgreSQL's
  ``pg_trgm`` (GIN), SQLite's FTS5 ``trigram`` table ``ticket_search`` (migration 0015);
- of the centers whose full name or short name contains it, or whose code it is
  (``郑州住房公积金``, ``410100``): looked up in the ~340 centers first, then the tickets by
  ``center_id``.

A search of **one or two characters** (``郑州``, ``北京``, ``海南``: many short names have two)
finds the tickets of the centers so named (name or short name contains it, or code is it) and
the tickets whose number **starts** with it. It does not look inside addresses: no trigram
index holds a piece that short, and a piece such as ``gj`` or ``.c`` is in nearly every address.

What the user types is text, never syntax: ``%``, ``_``, ``"``, ``*`` and the like are matched
as the characters they are.
"""
from sqlalchemy import ColumnElement, column, false, literal_column, or_, select, table

from ..extensions import db
from ..models import Center, Ticket
from ..models.tickets import SEARCH_TABLE

MIN_FRAGMENT = 3  # a trigram: the shortest piece a trigram index finds
_SEARCH = table(SEARCH_TABLE, column("rowid"))
_HIGHEST = "\U0010ffff"  # sorts after every character (SQLite compares text by its UTF-8 bytes)


def search_clause(text: str) -> ColumnElement[bool]:
    """The condition "this ticket matches the search ``text``" (stripped, not empty).

    Asks one statement first: the ids of the centers the text names.
    """
    conditions = [_of_centers(_matching_centers(text))]
    if len(text) < MIN_FRAGMENT:
        conditions.append(_number_starts_with(text))
    elif _dialect() == "sqlite":
        conditions.append(Ticket.id.in_(select(_SEARCH.c.rowid).where(literal_column(SEARCH_TABLE).op("MATCH")(fts_phrase(text)))))
    else:
        pattern = f"%{like_escaped(text)}%"
        conditions.extend(field.ilike(pattern, escape="\\") for field in (Ticket.number, Ticket.old_url, Ticket.new_url))
    return or_(*conditions)


def _matching_centers(text: str) -> list[int]:
    return list(db.session.scalars(select(Center.id).where(or_(
        Center.name.icontains(text, autoescape=True),
        Center.short_name.icontains(text, autoescape=True),
        Center.code == text,
    ))))


def _of_centers(center_ids: list[int]) -> ColumnElement[bool]:
    return Ticket.center_id.in_(center_ids) if center_ids else false()


def _number_starts_with(text: str) -> ColumnElement[bool]:
    """On the number's unique index; numbers are written in capitals (LD-2026-000001)."""
    prefix = text.upper()
    if _dialect() == "sqlite":
        # SQLite's LIKE ignores ASCII case and so cannot use the index: a range on it can.
        return (Ticket.number >= prefix) & (Ticket.number < prefix + _HIGHEST)
    # PostgreSQL: the trigram index answers a prefix too, whatever the database's collation.
    return Ticket.number.ilike(f"{like_escaped(prefix)}%", escape="\\")


def fts_phrase(text: str) -> str:
    """``text`` as one FTS5 phrase: in double quotes, its own double quotes doubled, so that
    nothing in it (``*``, ``:``, ``AND``, ``NEAR``, ``^``…) is read as query syntax. With the
    trigram tokenizer a phrase matches where the text occurs as a substring."""
    return '"' + text.replace('"', '""') + '"'


def like_escaped(text: str) -> str:
    """``text`` for a LIKE pattern with ``ESCAPE '\\'``: its ``%``, ``_`` and ``\\`` taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _dialect() -> str:
    return db.session.get_bind().dialect.name
