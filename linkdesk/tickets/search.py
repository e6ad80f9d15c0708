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

On SQLite the index is not asked for the text as a phrase: FTS5 would walk the list of every
trigram in it, and the trigrams every ticket shares (``LD-``, ``gov``, ``.cn``, ``/00``) hold one
entry per ticket, so a search by number or address took up to 3.6 times as long at 100,000
tickets as at 1,000 (issue 23). It asks for the few rarest trigrams of the text instead (a ticket
that holds the text holds them), then checks the tickets that have them for the whole text in
their own columns, folding case as FTS5 does; they are the tickets the phrase finds. Where no
trigram is rare, it asks for the phrase (see ``_trigram_match``).

A **dense** text, one that most tickets hold all through the history (``gov.cn/``, ``gjj``,
``https``), is not asked of the index at all: every ticket is checked for it, so that a list walks
its own sort's index and stops at its page's end, a few hundred tickets in, where the index would
hand over every match to be sorted (100 ms at 100,000 tickets, 10 at 1,000). Whether a text is
dense, a sample of 64 tickets spread over the ids tells, in a statement the search asks anyway.
Counting up to ``COUNT_LIMIT`` then checks ten thousand tickets: on PostgreSQL a plain LIKE accepts
those that hold the text as typed before ILIKE lowers them (see ``_pattern_match``).
"""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import ColumnElement, Integer, TextClause, column, false, func, literal, literal_column, or_, select, table, union_all
from sqlalchemy import text as sql_text

from ..extensions import db
from ..models import Center, Ticket
from ..models.tickets import SEARCH_TABLE

MIN_FRAGMENT = 3  # a trigram: the shortest piece a trigram index finds
_SEARCH = table(SEARCH_TABLE, column("rowid"))
_FIELDS = (Ticket.new_url, Ticket.old_url, Ticket.number)  # where a text is found most often first
_HIGHEST = "\U0010ffff"  # sorts after every character (SQLite compares text by its UTF-8 bytes)
# How rare a trigram is, told by the first rows of its list in the index (the list's length would
# take reading all of it): fewer rows than this, or rows that lie far apart.
PROBE_ROWS = 16
MAX_PROBED = 24  # trigrams probed at most, spread over the text (a search box holds 100 characters)
MAX_ASKED = 3  # the rarest trigrams the index is asked for
COMMON = 1 / 8  # a trigram held by more than one ticket in eight (near its first) is not asked for
# A text held by half the tickets or more is dense: a list finds its page's matches by walking its
# own order, checking each ticket (about two rows read per match), instead of asking the index.
SAMPLED = 64  # tickets sampled for it, spread over the history (16 in each quarter)
DENSE = 1 / 2
RESOLVED = 500  # on PostgreSQL, a text held by no more tickets than this is searched by their ids
# PostgreSQL's sample (SQLite's is part of ``_probe``): for each quarter of the ids, of SAMPLED
# tickets evenly spaced from the first to the last, how many there are and how many hold :pattern.
_PG_SAMPLE = sql_text(
    f"SELECT k.i * 4 / {SAMPLED}, count(ticket.id), count(ticket.id) FILTER (WHERE ticket.number ILIKE :pattern ESCAPE '\\' "
    "OR ticket.old_url ILIKE :pattern ESCAPE '\\' OR ticket.new_url ILIKE :pattern ESCAPE '\\') "
    f"FROM generate_series(0, {SAMPLED - 1}) AS k(i) CROSS JOIN (SELECT min(id) AS lo, max(id) AS hi FROM ticket) AS span "
    f"LEFT JOIN ticket ON ticket.id = span.lo + (span.hi - span.lo) * k.i / {SAMPLED - 1} GROUP BY 1"
)
# Beyond ASCII, the only characters FTS5 folds into ASCII (ſ → s, Kelvin sign K → k), and the ones
# SQLite reads as U+FFFD (U+FFFE, U+FFFF): a text holding them is matched by the phrase itself.
_FOLDED_INTO_ASCII = {"\u017f": "s", "\u212a": "k"}
_READ_AS_REPLACEMENT = frozenset("\ufffd\ufffe\uffff")


def search_clause(text: str) -> ColumnElement[bool]:
    """The condition "this ticket matches the search ``text``" (stripped, not empty).

    Asks one statement first: the ids of the centers the text names (on PostgreSQL with the
    sample of ``_pattern_match``); then on SQLite one more, its probe (``probe_text``).
    """
    if len(text) < MIN_FRAGMENT:
        return or_(_of_centers(_matching_centers(text)), _number_starts_with(text))
    if _dialect() == "sqlite":
        return or_(_of_centers(_matching_centers(text)), _trigram_match(text))
    return _pattern_match(text)


def _pattern_match(text: str) -> ColumnElement[bool]:
    """PostgreSQL: the tickets of the centers ``text`` names, and those whose number or an address
    holds it ignoring case, by ILIKE, which the pg_trgm GIN index answers.

    The index is asked once: a list counts its matches and then reads its page, and for a text
    with many common trigrams (``example.gov.cn/0000345/``) each asking walks their long entries
    (7 ms at 100,000 tickets, where ``0000345/`` takes 0.3). So the statement that finds the centers
    also finds up to ``RESOLVED`` tickets holding the text; when there are no more, the condition
    is those ids. A dense text (``gov.cn/``) costs that branch little: the planner, estimating from
    the columns' statistics, reads the table until it has them, as it walks a list's sort index and
    stops at its page's end. What grows for a dense text is the count: ten thousand tickets
    checked, ILIKE lowering each field before it compares, 9 ms at 100,000 tickets. For a dense text
    that a field lowercases around as it does alone (``_lowers_alone``), a plain LIKE first accepts
    the tickets that hold it as typed, every one of which ILIKE accepts (3 ms). Not for a sparse
    text: the planner would then ask the index for both. Whether it is dense is sampled in the same
    statement.
    """
    pattern = f"%{like_escaped(text)}%"
    ignoring_case = [field.ilike(pattern, escape="\\") for field in _FIELDS]
    holding = select(Ticket.id).where(or_(*ignoring_case)).limit(RESOLVED + 1).subquery()
    parts = [select(literal(-1), Center.id, literal(0)).where(_names_a_center(text)), select(literal(-2), holding.c.id, literal(0))]
    if _lowers_alone(text):
        parts.append(_PG_SAMPLE.bindparams(pattern=pattern).columns(position=Integer, count=Integer, holding=Integer))
    rows = db.session.execute(union_all(*parts)).all()
    centers = [found for position, found, _ in rows if position == -1]
    tickets = [found for position, found, _ in rows if position == -2]
    quarters = [row for row in rows if row[0] >= 0]
    if quarters and _is_dense(quarters):
        return or_(_of_centers(centers), *(field.like(pattern, escape="\\") for field in _FIELDS), *ignoring_case)
    if len(tickets) <= RESOLVED:
        return or_(_of_centers(centers), Ticket.id.in_(tickets))
    return or_(_of_centers(centers), *ignoring_case)


def _lowers_alone(text: str) -> bool:
    """Whether a field holding ``text`` as typed holds ``lower(text)`` once lowered, whatever the
    collation: an ASCII text lowercases letter by letter, but for a capital I at its end, which
    lowercases to i, not to ı, in a Turkish ICU collation when a combining dot above follows it."""
    return text.isascii() and not text.endswith("I")


def _trigram_match(text: str) -> ColumnElement[bool]:
    """SQLite: the tickets whose number or an address holds ``text`` (three characters or more),
    as the FTS5 phrase ``"text"`` finds them, ignoring case as its trigram tokenizer does.

    One statement probes the text first (``probe_text``). If most tickets hold it, all through
    the history (``gov.cn/``, ``gjj``, ``https``), each ticket is checked for the whole text in
    its columns: a list then walks its sort's index and stops at its page's end a few hundred
    tickets in, where asking the index would read every match and sort them all. Otherwise, if
    some trigrams are rare, the index is asked for the rarest (the tickets holding them all are
    few), and each ticket found is checked for the whole text. If every one is common
    (``cn/0000000``), checking every ticket that holds one would cost more than the phrase: the
    phrase it is. It is also for a text of one trigram that is not dense, which it answers
    alone, and for a text whose case the check cannot fold as FTS5 does (see ``folds_as_ascii``).
    """
    phrase = Ticket.id.in_(_rows_matching(fts_phrase(text)))
    if not folds_as_ascii(text):
        return phrase
    held = or_(*(_holds(field, text) for field in _FIELDS))
    probe = probe_text(text)
    if probe.dense:
        return held
    rarity = probe.rarity
    if (0, 0) in rarity.values():
        return false()  # a trigram of the text is in no ticket
    rare = sorted((trigram for trigram in rarity if rarity[trigram] <= (1, COMMON)), key=rarity.get)[:MAX_ASKED]
    if len(rarity) == 1 or not rare:
        return phrase
    holding = Ticket.id.in_(_rows_matching(" AND ".join(fts_phrase(trigram) for trigram in rare)))
    return holding & held


@dataclass(frozen=True)
class TextProbe:
    """What one statement tells of a search text on SQLite (``probe_text``)."""

    # How common each trigram is (at most ``MAX_PROBED`` of them, spread over the text), told by
    # the first ``PROBE_ROWS`` rows of its list in the index: ``(0, count)`` for a list shorter
    # than that, else ``(1, rows per ticket id)`` — about the share of tickets that hold it, told
    # by how closely its first rows follow each other. Sorts rarest first.
    rarity: dict[str, tuple[int, float]]
    # Whether at least ``DENSE`` of ``SAMPLED`` tickets spread evenly over the ids hold the text,
    # in each quarter of them: a list sorted by date walks from the oldest tickets or from the
    # newest, so a text that only recent tickets hold is not dense.
    dense: bool


def probe_text(text: str) -> TextProbe:
    """How common the trigrams of ``text`` are and whether the text itself is dense, in one
    statement. The sample matches with LIKE and so ignores ſ and K (see ``_holds``): it chooses
    how to search, never what is found."""
    trigrams = list(dict.fromkeys(text[i : i + 3].lower() for i in range(len(text) - 2)))
    probed = trigrams[:: max(1, -(-len(trigrams) // MAX_PROBED))]
    parameters = {f"t{i}": fts_phrase(trigram) for i, trigram in enumerate(probed)}
    parameters["pattern"] = f"%{like_escaped(text)}%"
    rarity, quarters = {}, []
    for position, count, spread in db.session.execute(_probe(len(probed)), parameters):
        if position >= 0:
            rarity[probed[position]] = _rarity(count, spread)
        else:  # a quarter of the sample: its tickets, and those holding the text
            quarters.append((position, count, spread))
    return TextProbe(rarity, _is_dense(quarters))


def _is_dense(quarters) -> bool:
    """From the sample's rows (quarter, tickets read, tickets holding the text): whether at least
    ``DENSE`` of the tickets read hold it, in each quarter."""
    return all(count > 0 and holding >= DENSE * count for _, count, holding in quarters)


@cache
def _probe(trigrams: int) -> TextClause:
    """For each trigram ``:t0``, ``:t1``…: its position, and how many of the first ``PROBE_ROWS``
    rows of its list there are and how far apart their ids lie; then for each quarter of the
    sample (position -1 to -4), how many tickets it read and how many hold ``:pattern``. Plain
    SQL: it is SQLite's alone, and as a SQLAlchemy construct of a dozen subqueries it took longer
    to build than to run."""
    rarity = [
        f"SELECT {i}, count(*), max(rowid) - min(rowid) FROM "
        f"(SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :t{i} LIMIT {PROBE_ROWS})"
        for i in range(trigrams)
    ]
    held = " OR ".join(f"{field} LIKE :pattern ESCAPE '\\'" for field in ("number", "old_url", "new_url"))
    # Ids evenly spaced from the first to the last (each looked up by its primary key; a missing
    # one is not counted), their quarters as positions -1 (oldest) to -4 (newest).
    sample = (
        f"SELECT -1 - sampled.i * 4 / {SAMPLED}, count(ticket.id), total({held}) FROM "
        f"(WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < {SAMPLED - 1}) "
        f"SELECT i, (SELECT min(id) FROM ticket) + ((SELECT max(id) FROM ticket) - (SELECT min(id) FROM ticket)) "
        f"* i / {SAMPLED - 1} AS id FROM k) AS sampled "
        f"LEFT JOIN ticket ON ticket.id = sampled.id GROUP BY 1"
    )
    return sql_text(" UNION ALL ".join([*rarity, sample]))


def _rarity(count: int, spread: int) -> tuple[int, float]:
    if count < PROBE_ROWS:
        return 0, count
    return 1, (count - 1) / (spread + 1)


def _rows_matching(fts_query: str):
    return select(_SEARCH.c.rowid).where(literal_column(SEARCH_TABLE).op("MATCH")(fts_query))


def _holds(field, text: str) -> ColumnElement[bool]:
    """``field`` holds ``text`` (one that ``folds_as_ascii``), case folded as FTS5 folds it: SQLite's
    ``LIKE`` ignores the case of ASCII letters only, and ſ and K are read as the s and k they fold to.

    A dense search checks ten thousand tickets to count them: the copy of a field with ſ and K
    replaced is made only for a field that holds one (``instr`` finds none in nearly all of them);
    it doubled the check of ``https``."""
    pattern = f"%{like_escaped(text)}%"
    folded = text.lower()
    # Only those whose letter is in the text can be part of a match: no need to look for the others.
    foldable = {character: letter for character, letter in _FOLDED_INTO_ASCII.items() if letter in folded}
    if not foldable:
        return field.like(pattern, escape="\\")
    replaced = field
    for character, ascii_letter in foldable.items():
        replaced = func.replace(replaced, character, ascii_letter)
    holds_one = or_(*(func.instr(field, character) > 0 for character in foldable))
    return field.like(pattern, escape="\\") | (holds_one & replaced.like(pattern, escape="\\"))


def folds_as_ascii(text: str) -> bool:
    """Whether FTS5's case folding of ``text`` is Python's ``lower`` of it, and each character of it
    is matched only by itself or, for an ASCII letter, its other case (and ſ for s, K for k): every
    character ASCII (not NUL) or without case (Chinese, digits, punctuation), none read as U+FFFD."""
    return all(
        "\x00" < character < "\x80"
        or (character.lower() == character.upper() == character.casefold() == character and character not in _READ_AS_REPLACEMENT)
        for character in text
    )


def _matching_centers(text: str) -> list[int]:
    return list(db.session.scalars(select(Center.id).where(_names_a_center(text))))


def _names_a_center(text: str) -> ColumnElement[bool]:
    return or_(
        Center.name.icontains(text, autoescape=True),
        Center.short_name.icontains(text, autoescape=True),
        Center.code == text,
    )


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
