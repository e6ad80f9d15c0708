"""Ticket search (linkdesk/tickets/search.py): the trigram index finds what a substring match
would, in scope, ignoring case; what is typed is text, never syntax; short searches find
centers and the start of numbers; the index follows edits and deletions."""
from datetime import date

import pytest
from sqlalchemy import delete, select

from linkdesk.extensions import db
from linkdesk.models import Ticket, TicketStatus
from linkdesk.tickets.search import fts_phrase, like_escaped

from .factories import ticket_request
from .helpers import frozen

ODD_PATH = "https://gjj.luoyang.gov.cn/公积金/查询?a=50%25_off&b=x*"


def _file(api, service="info_query", cutover="2026-12-11", **overrides):
    response = api.post("/tickets", ticket_request(service, cutover_date=cutover, **overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _numbers(response) -> set[str]:
    assert response.status_code == 200, response.get_json()
    return {ticket["number"] for ticket in response.get_json()}


@pytest.fixture
def filed(team):
    """郑州 (gjj.zhengzhou-move.gov.cn), 洛阳 (an address with Chinese, %, _ and * in it), 北京."""
    with frozen():
        return {
            "zhengzhou": _file(team["zhengzhou"][0], new_url="https://gjj.zhengzhou-move.gov.cn/query"),
            "luoyang": _file(team["luoyang"][0], service="transfer", new_url=ODD_PATH),
            "beijing": _file(team["beijing"][0], cutover="2026-12-14", new_url="https://gjj.beijing.gov.cn/Query"),
        }


def _search(team, text: str, who: str = "ministry") -> set[str]:
    with frozen():
        return _numbers(team[who][0].get("/tickets", query_string={"q": text}))


def test_the_stored_address_keeps_its_characters(filed):
    assert filed["luoyang"]["new_url"] == ODD_PATH  # so that the searches below look for what is there


@pytest.mark.parametrize(("text", "who"), [
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
])
def test_three_characters_or_more_find_any_part_of_number_address_or_center(team, filed, text, who):
    expected = set(filed) if who == "all" else set(who.split())
    assert _search(team, text) == {filed[name]["number"] for name in expected}


@pytest.mark.parametrize("text", ["50%_off", "50_25", "gjj%zh", '"gjj"', "gjj*", 'a" OR "gjj', "gjj NEAR move",
                                  "number:LD", "^gjj", "(gjj)", "\\gjj", "gjj\\", "%%%", "___", '"""', "***"])
def test_what_is_typed_is_text_never_a_pattern_or_query_syntax(team, filed, text):
    assert _search(team, text) == set()


@pytest.mark.parametrize(("text", "who"), [
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
])
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
        edited = clerk.patch(f"/tickets/{ticket['id']}", {"new_url": "https://gjj.zhengzhou-cloud.gov.cn/x",
                                                          "version": ticket["version"]})
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
