"""Dense searches (linkdesk/tickets/search.py): a text most tickets hold (``gov.cn/``, ``https``) is
checked ticket by ticket as a list walks its own order, instead of being asked of the trigram
index. It finds the same tickets, in the same order, on every page of every sort, counted the
same; ignoring case; what is typed stays text. A text whose trigrams are all common but that few
tickets hold, or that only recent tickets hold, is still asked of the index."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from linkdesk.extensions import db
from linkdesk.models import Ticket, TicketStatus
from linkdesk.tickets import listing, search
from linkdesk.tickets.listing import SORT_LABELS
from linkdesk.tickets.search import probe_text, search_clause
from tests.helpers import frozen

# Held by four tickets in five, spread over the ids; the fifth holds look-alikes that a wildcard
# or an FTS5 operator would take for it (50ab_off for 50%_off, q for "q*, x for \x).
DENSE_PATH = '/Apply/50%_off"q*\\x/'
LOOK_ALIKE = "/Apply/50abXoff-q-x/"
DENSE_TEXTS = ["gov.cn/apply", "50%_off", '"q*', "*\\x", '_off"q', "apply/50%", "example.gov.cn"]


@pytest.fixture
def tickets(make):
    """60 tickets of 60 centers: cutover dates and filing times that tie and interleave, so that
    every sort's ties fall back on the id; four in five hold DENSE_PATH in their new address."""
    ids = make.tickets(60, date(2026, 12, 14), status=TicketStatus.PENDING)
    for position, ticket_id in enumerate(ids):
        path = LOOK_ALIKE if position % 5 == 4 else DENSE_PATH
        db.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(
                new_url=f"https://gjj{position:03d}.example.gov.cn{path}{position}",
                old_url="https://gjj.old.gov.cn/index" if position % 2 else None,
                cutover_date=date(2026, 12, 14) + timedelta(days=position * 7 % 5),
                submitted_at=datetime(2026, 11, 2, 2, tzinfo=UTC) + timedelta(hours=position * 11 % 6),
            )
        )
    db.session.commit()
    return ids


def _holding(text: str) -> set[str]:
    """The numbers of the tickets whose number or an address holds ``text``, ignoring ASCII case."""
    rows = db.session.execute(select(Ticket.number, Ticket.old_url, Ticket.new_url))
    return {row.number for row in rows if any(text.lower() in (field or "").lower() for field in row)}


def _dense_path(text: str) -> bool:
    """Whether the search takes the dense path: on SQLite the probe says so; on PostgreSQL a plain
    LIKE comes before ILIKE."""
    if db.engine.dialect.name == "sqlite":
        return probe_text(text).dense
    return " LIKE " in str(search_clause(text).compile(dialect=db.engine.dialect)).replace(" ILIKE ", " ")


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [ticket["number"] for ticket in response.get_json()]


def _listed(api, sort: str, **args) -> list[str]:
    """The whole list in pages of seven (offset), as a client walking its Link headers would."""
    numbers, offset = [], 0
    while True:
        response = api.get("/tickets", query_string={"sort": sort, "limit": 7, "offset": offset, **args})
        page = _numbers(response)
        numbers += page
        if 'rel="next"' not in response.headers.get("Link", ""):
            return numbers
        assert len(page) == 7
        offset += 7


@pytest.mark.parametrize("text", DENSE_TEXTS)
def test_a_dense_search_lists_what_a_substring_match_finds_in_every_sort(team, tickets, text):
    """Every sort, every page: the unfiltered list in that order, less the tickets not holding the text."""
    ministry = team["ministry"][0]
    expected_set = _holding(text)
    assert len(expected_set) >= 48 and _dense_path(text)
    with frozen():
        for sort in SORT_LABELS:
            everything = _numbers(ministry.get("/tickets", query_string={"sort": sort, "limit": 500}))
            expected = [number for number in everything if number in expected_set]
            assert _listed(ministry, sort, q=text) == expected, sort
            by_page = [
                _numbers(ministry.get("/tickets", query_string={"q": text, "sort": sort, "limit": 20, "page": page})) for page in (1, 2, 3)
            ]
            assert by_page == [expected[:20], expected[20:40], expected[40:60]], sort
            response = ministry.get("/tickets", query_string={"q": text, "sort": sort, "limit": 5})
            assert (response.headers["X-Total-Count"], response.headers["X-Total-Count-Exact"]) == (str(len(expected)), "true")


def test_the_page_lists_a_dense_search_as_the_api_does(team, tickets, client, auth, make):
    ministry = make.user(team["ministry"][1].user.role)
    with frozen():
        expected = _numbers(team["ministry"][0].get("/tickets", query_string={"q": "50%_off", "limit": 500}))
        auth.login(ministry.username, ministry.password)
        pages = [client.get("/tickets/", query_string={"q": "50%_off", "page": page}).get_data(as_text=True) for page in (1, 2)]
    assert len(expected) == 48
    assert [list(dict.fromkeys(re.findall(r"LD-T-\d{6}", page))) for page in pages] == [expected[:25], expected[25:]]
    assert "共 48 条" in pages[0]


@pytest.mark.parametrize("typed", ["GOV.CN/APPLY", "Gov.Cn/Apply", "APPLY/50%_OFF", "EXAMPLE.GOV.CN/API"])
def test_a_dense_search_ignores_case(team, tickets, typed):
    """As typed or not: on PostgreSQL a text in other capitals than the addresses' is accepted by
    ILIKE after LIKE refused it (and one ending in a capital I skips LIKE)."""
    ministry = team["ministry"][0]
    with frozen():
        found = _listed(ministry, "-filed", q=typed)
        same = _listed(ministry, "-filed", q=typed.lower())
    assert found == same and set(found) == _holding(typed)


def test_a_dense_search_counts_to_the_limit_and_says_so(team, tickets, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_LIMIT", 5)
    ministry = team["ministry"][0]
    with frozen():
        first = ministry.get("/tickets", query_string={"q": "50%_off", "limit": 2})
        last = ministry.get("/tickets", query_string={"q": "50%_off", "limit": 2, "offset": 46})
    assert (first.headers["X-Total-Count"], first.headers["X-Total-Count-Exact"]) == ("5", "false")
    assert (last.headers["X-Total-Count"], last.headers["X-Total-Count-Exact"]) == ("48", "true")
    assert 'rel="next"' not in last.headers["Link"] and len(_numbers(last)) == 2


@pytest.mark.parametrize("text", ["50ab_off", "50%Xoff", "q*\\", '""q', "%_%", "___", "\\\\x"])
def test_what_is_typed_is_text_on_the_dense_path_too(team, tickets, text):
    """Texts a wildcard or an FTS5 operator would widen: found only where they are, as they are."""
    with frozen():
        found = set(_numbers(team["ministry"][0].get("/tickets", query_string={"q": text, "limit": 500})))
    assert found == _holding(text)


def test_a_text_of_common_trigrams_that_few_tickets_hold_is_not_dense(team, tickets):
    """Every trigram of it is in most tickets; the whole of it in one: walking a list for it would
    read every ticket, so the index is asked."""
    text = "gjj007.example.gov.cn/apply"
    assert not _dense_path(text)
    with frozen():
        assert _listed(team["ministry"][0], "cutover", q=text) == sorted(_holding(text)) and len(_holding(text)) == 1


def test_a_text_only_recent_tickets_hold_is_not_dense(team, tickets):
    """Held by the newest half of the tickets: a list sorted oldest first would walk the other half
    before finding one."""
    newest = tickets[len(tickets) // 2 :]
    db.session.execute(update(Ticket).where(Ticket.id.in_(newest)).values(old_url="https://gjj.recent-move.gov.cn/"))
    db.session.commit()
    assert not _dense_path("recent-move")
    with frozen():
        assert set(_listed(team["ministry"][0], "filed", q="recent-move")) == _holding("recent-move")
    assert len(_holding("recent-move")) == 30


@pytest.mark.parametrize("resolved", [500, 3])
def test_a_sparse_text_is_listed_alike_by_the_ids_it_resolves_to_and_past_them(team, tickets, monkeypatch, resolved):
    """On PostgreSQL a text that few tickets hold is asked of the index once and searched by the
    ids found; one held by more than RESOLVED (here 3) by ILIKE as before. Either way, every sort
    and page lists the same tickets in the same order, with the tickets of a center it names."""
    monkeypatch.setattr(search, "RESOLVED", resolved)
    newest = tickets[len(tickets) // 2 :]
    db.session.execute(update(Ticket).where(Ticket.id.in_(newest)).values(old_url="https://gjj.recent-move.gov.cn/"))
    db.session.commit()
    ministry = team["ministry"][0]
    if db.engine.dialect.name == "postgresql":
        clause = str(search_clause("recent-move").compile(dialect=db.engine.dialect))
        assert ("ILIKE" in clause) == (resolved < 30)
    with frozen():
        for sort in SORT_LABELS:
            everything = _numbers(ministry.get("/tickets", query_string={"sort": sort, "limit": 500}))
            expected = [number for number in everything if number in _holding("recent-move")]
            assert len(expected) == 30 and _listed(ministry, sort, q="recent-move") == expected, sort


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"province": "河北"},
        {"center": "石家庄"},
        {"q": "50%_off", "province": "河北"},
        {"q": "example.gov.cn", "center": "130100"},
        {"status": "pending", "province": "13"},
    ],
)
def test_the_nation_counts_without_the_join_what_it_lists(team, tickets, query):
    """The ministry's count is taken from the tickets alone (access.countable_tickets), its list
    from the tickets joined to their centers: with filters that name centers, they agree."""
    ministry = team["ministry"][0]
    with frozen():
        listed = _listed(ministry, "-filed", **query)
        response = ministry.get("/tickets", query_string={**query, "limit": 1})
    assert response.headers["X-Total-Count"] == str(len(listed))
    if "province" in query or "center" in query:
        assert 0 < len(listed) < len(tickets)
