"""Ticket search (linkdesk/tickets/search.py): the trigram index finds what a substring match
would, in scope, ignoring case; what is typed is text, never syntax; short searches find
centers and the start of numbers; the index follows edits and deletions. On SQLite, asking the
index for the rarest trigrams and checking the tickets found finds what the FTS5 phrase finds."""

import sqlite3
from datetime import date

import pytest
from sqlalchemy import delete, or_, select, text, update

from linkdesk.extensions import db
from linkdesk.models import Center, Ticket, TicketStatus
from linkdesk.models.tickets import SEARCH_TABLE
from linkdesk.tickets.search import COMMON, MAX_PROBED, folds_as_ascii, fts_phrase, like_escaped, probe_text, search_clause
from tests.helpers import file_ticket, frozen

ODD_PATH = "https://gjj.luoyang.gov.cn/公积金/查询?a=50%25_off&b=x*"


def _numbers(response) -> set[str]:
    assert response.status_code == 200, response.get_json()
    return {ticket["number"] for ticket in response.get_json()}


@pytest.fixture
def filed(team):
    """郑州 (gjj.zhengzhou-move.gov.cn), 洛阳 (an address with Chinese, %, _ and * in it), 北京."""
    with frozen():
        return {
            "zhengzhou": file_ticket(team["zhengzhou"][0], new_url="https://gjj.zhengzhou-move.gov.cn/query"),
            "luoyang": file_ticket(team["luoyang"][0], service="transfer", new_url=ODD_PATH),
            "beijing": file_ticket(team["beijing"][0], cutover="2026-12-14", new_url="https://gjj.beijing.gov.cn/Query"),
        }


def _search(team, text: str, who: str = "ministry") -> set[str]:
    with frozen():
        return _numbers(team[who][0].get("/tickets", query_string={"q": text}))


def test_the_stored_address_keeps_its_characters(filed):
    assert filed["luoyang"]["new_url"] == ODD_PATH  # so that the searches below look for what is there


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("ZhengZhou-MOVE", "zhengzhou"),  # any case
        ("ld-2026-000001", "zhengzhou"),  # the number in small letters
        ("2026-00000", "all"),  # inside the number
        ("move.gov.cn/qu", "zhengzhou"),
        ("公积金/查", "luoyang"),  # Chinese inside an address's path
        ("50%25_off", "luoyang"),  # % and _ as the characters they are
        ("&b=x*", "luoyang"),  # * too (an address cannot hold a double quote)
        ("/QUERY", "zhengzhou beijing"),
        ("gjj", "all"),  # three characters: inside addresses
        ("郑州住", "zhengzhou"),  # three characters of a center's name
        ("410100", "zhengzhou"),  # a center's code
    ],
)
def test_three_characters_or_more_find_any_part_of_number_address_or_center(team, filed, text, who):
    expected = set(filed) if who == "all" else set(who.split())
    assert _search(team, text) == {filed[name]["number"] for name in expected}


@pytest.mark.parametrize(
    "text",
    [
        "50%_off",
        "50_25",
        "gjj%zh",
        '"gjj"',
        "gjj*",
        'a" OR "gjj',
        "gjj NEAR move",
        "number:LD",
        "^gjj",
        "(gjj)",
        "\\gjj",
        "gjj\\",
        "%%%",
        "___",
        '"""',
        "***",
    ],
)
def test_what_is_typed_is_text_never_a_pattern_or_query_syntax(team, filed, text):
    assert _search(team, text) == set()


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("郑州", "zhengzhou"),  # a center's short name
        ("北京", "beijing"),
        ("LD", "all"),  # the start of every number
        ("ld", "all"),
        ("gj", ""),  # in every address, but two characters do not look inside addresses
        ("cn", ""),
        ("01", ""),  # inside numbers, not at their start
        ("%", ""),
        ('"', ""),
        ("*", ""),
    ],
)
def test_one_or_two_characters_find_centers_and_the_start_of_numbers(team, filed, text, who):
    expected = set(filed) if who == "all" else set(who.split())
    assert _search(team, text) == {filed[name]["number"] for name in expected}


def test_a_search_stays_in_scope(team, filed):
    assert _search(team, "gjj", "henan") == {filed["zhengzhou"]["number"], filed["luoyang"]["number"]}
    assert _search(team, "gjj", "hubei") == set()
    assert _search(team, "LD", "beijing") == {filed["beijing"]["number"]}


def test_an_edited_address_is_found_by_its_new_text_and_no_longer_by_the_old(team, filed):
    clerk, ticket = team["zhengzhou"][0], filed["zhengzhou"]
    with frozen("2026-11-27 11:00:00+08:00"):
        edited = clerk.patch(f"/tickets/{ticket['id']}", {"new_url": "https://gjj.zhengzhou-cloud.gov.cn/x", "version": ticket["version"]})
    assert edited.status_code == 200, edited.get_json()
    assert _search(team, "zhengzhou-cloud") == {ticket["number"]}
    assert _search(team, "zhengzhou-move") == set()


def test_a_withdrawn_ticket_is_still_found(team, filed):
    clerk, ticket = team["zhengzhou"][0], filed["zhengzhou"]
    with frozen("2026-11-27 11:00:00+08:00"):
        withdrawn = clerk.post(f"/tickets/{ticket['id']}/withdraw", {"version": ticket["version"]})
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert _search(team, "zhengzhou-move") == {ticket["number"]}


def test_a_deleted_ticket_leaves_the_index(team, make):
    """The application deletes no ticket (and the audit trail refuses to lose a filed one's
    events); a row removed by hand must still leave the index, whose rows SQLite finds by id."""
    kept, removed = make.tickets(2, date(2026, 12, 14), status=TicketStatus.PENDING)
    db.session.execute(delete(Ticket).where(Ticket.id == removed))
    db.session.commit()
    assert _search(team, "gov.cn/info_query") == {db.session.get(Ticket, kept).number}


def test_tickets_written_straight_to_the_database_are_indexed(team, make):
    make.tickets(3, date(2026, 12, 14), status=TicketStatus.PENDING)
    numbers = set(db.session.scalars(select(Ticket.number)))
    assert _search(team, "gov.cn/info_query") == numbers and len(numbers) == 3


def test_syntax_is_quoted_for_each_index():
    assert fts_phrase('a"b*') == '"a""b*"'
    assert like_escaped("50%_\\") == "50\\%\\_\\\\"


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the FTS5 trigram table is SQLite's; PostgreSQL matches with ILIKE on its GIN index")


def _fts5_folding() -> dict[str, str]:
    """Every character of Unicode's planes 0 and 1 (but NUL and the surrogates) as FTS5's trigram
    tokenizer folds it, read from an index in memory: three of a character make one trigram, itself
    folded. The planes above hold no letter that has a case (ideographs, tags, private use)."""
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
    connection.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
    codes = [code for code in range(1, 0x20000) if not 0xD800 <= code < 0xE000]
    connection.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", ((code, chr(code) * 3) for code in codes))
    folding = {chr(code): term[0] for term, code in connection.execute("SELECT term, doc FROM v")}
    assert len(folding) == len(codes)
    return folding


def test_the_check_folds_case_as_fts5_does():
    """The check of the tickets found (search._holds) is SQLite's LIKE after ſ → s and K → k. For
    every character a text may hold (``folds_as_ascii``), the characters FTS5 takes for it are
    exactly those the check takes for it: its other case for an ASCII letter (and ſ for s, K for
    k), itself for any other."""
    folding = _fts5_folding()
    taken_for: dict[str, set[str]] = {}
    for character, folded in folding.items():
        taken_for.setdefault(folded, set()).add(character)
    into_ascii = {character: folded for character, folded in folding.items() if character >= "\x80" and folded < "\x80"}
    assert into_ascii == {"\u017f": "s", "\u212a": "k"}
    for character in filter(folds_as_ascii, folding):
        lowered = character.lower()
        assert folding[character] == lowered, hex(ord(character))
        expected = {lowered, character.upper()} | {c for c, ascii_letter in into_ascii.items() if ascii_letter == lowered}
        assert taken_for[lowered] == (expected if character < "\x80" else {character}), hex(ord(character))
    connection = sqlite3.connect(":memory:")
    cased = [character for character in folding if character >= "\x80" and character.lower() != character.upper()]
    like_ignores_their_case = [
        c for c in cased for other in {c.lower(), c.upper()} - {c} if connection.execute("SELECT ? LIKE ?", (c, other)).fetchone()[0]
    ]
    assert like_ignores_their_case == []  # SQLite's LIKE: ASCII's case only


TRICKY_ADDRESSES = [
    "https://gjj.example.gov.cn/Query/ſtatus",  # long s: FTS5 reads it as s
    "https://gjj.example.gov.cn/\u212aey/Status",  # Kelvin sign: read as k
    "https://gjj.example.gov.cn/ÉCOLE/Σίσυφος/école",  # letters beyond ASCII: the phrase decides
    "https://gjj.luoyang.gov.cn/公积金/查询?a=50%25_off&b=x*",
    "https://GJJ.Example.gov.cn/UPPER/" + "x1y2z3" * 12,  # more trigrams than are probed
    "https://gjj.example.gov.cn/ab%c/b%cd/abZcd/x_yz/yz1/xqyz1",  # every trigram of ab%cd and x_yz1, not them
]


@pytest.mark.parametrize(
    "typed",
    [
        "status",
        "STATUS",
        "ſtatus",
        "ſTATUS",
        "key",
        "KEY",
        "\u212aey",
        "kEy/s",
        "école",
        "ÉCOLE",
        "École",
        "σίσυφος",
        "ΣΊΣΥΦΟΣ",
        "公积金/查",
        "50%25_",
        "b=x*",
        "example.gov.cn/upper",
        "upper/" + "X1Y2Z3" * 11,
        "ld-t-0",
        "LD-T-",
        "gov",
        "gov.cn/",
        "https://",
        "zzz",
        "query/ſ",
        "y/S",
        "\ufffdab",
        "ab%cd",
        "x_yz1",
        "ab%c/b",
    ],
)
def test_the_search_finds_what_the_phrase_finds(team, make, sqlite_only, typed):
    """Tickets with cased letters beyond ASCII, ſ, the Kelvin sign, Chinese and % in their addresses,
    among others that share most trigrams: the search finds the tickets the FTS5 phrase finds,
    and those of the centers the text names."""
    ids = make.tickets(40, date(2026, 12, 14), status=TicketStatus.PENDING)
    for ticket_id, address in zip(ids[: len(TRICKY_ADDRESSES)], TRICKY_ADDRESSES, strict=True):
        db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(new_url=address, old_url=address.upper()))
    db.session.commit()
    phrase = db.session.scalars(text(f"SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :q"), {"q": fts_phrase(typed)})
    of_centers = db.session.scalars(
        select(Ticket.id)
        .join(Center)
        .where(
            or_(Center.name.icontains(typed, autoescape=True), Center.short_name.icontains(typed, autoescape=True), Center.code == typed)
        )
    )
    found = set(db.session.scalars(select(Ticket.id).join(Center).where(search_clause(typed))))
    assert found == set(phrase) | set(of_centers)


def test_a_trigram_is_told_rare_or_common_by_the_first_rows_of_its_list(make, sqlite_only):
    """A list shorter than the probe is counted; one that every ticket is in is common; a trigram
    no ticket holds counts none (and then the search finds nothing by number or address)."""
    ids = make.tickets(40, date(2026, 12, 14), status=TicketStatus.PENDING)
    db.session.execute(update(Ticket).where(Ticket.id.in_(ids[7:9])).values(new_url="https://gjj.example.gov.cn/qxz"))
    db.session.commit()
    rarity = probe_text("htt/qxz/gov/q#!").rarity
    assert rarity["qxz"] == (0, 2) and rarity["q#!"] == (0, 0)
    assert rarity["htt"][0] == rarity["gov"][0] == 1 and rarity["htt"][1] > COMMON and rarity["gov"][1] > COMMON
    assert set(db.session.scalars(select(Ticket.id).join(Center).where(search_clause("q#!qxz")))) == set()
    assert set(db.session.scalars(select(Ticket.id).join(Center).where(search_clause("gov.cn/QXZ")))) == set(ids[7:9])


def test_a_long_search_probes_a_few_trigrams_and_still_checks_all_of_it(make, sqlite_only):
    ids = make.tickets(3, date(2026, 12, 14), status=TicketStatus.PENDING)
    path = "".join(f"{i:02d}-" for i in range(33))  # 99 characters, 97 trigrams
    db.session.execute(update(Ticket).where(Ticket.id == ids[0]).values(new_url=f"https://gjj.example.gov.cn/{path}"))
    db.session.execute(update(Ticket).where(Ticket.id == ids[1]).values(new_url=f"https://gjj.example.gov.cn/{path[:-4]}X"))
    db.session.commit()
    assert len({path[i : i + 3] for i in range(len(path) - 2)}) > MAX_PROBED
    assert set(db.session.scalars(select(Ticket.id).join(Center).where(search_clause(path)))) == {ids[0]}
