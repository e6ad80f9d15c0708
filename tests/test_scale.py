"""National scale (issue 23): no page, feed or API list sends more SQL statements because there
is more history, and the API's cutover list comes in keyset pages."""

from datetime import date

import pytest

from linkdesk.extensions import db
from linkdesk.models import Role, TicketStatus
from tests.helpers import frozen, recorded_statements, statements_of_page

S = TicketStatus


def _add_history(make, count: int) -> None:
    """Closed tickets long past and a busy future day: more rows, the same pages."""
    for status, day in (
        (S.COMPLETED, date(2025, 3, 3)),
        (S.REJECTED, date(2025, 6, 2)),
        (S.CANCELLED, date(2024, 9, 2)),
        (S.APPROVED, date(2026, 12, 14)),
    ):
        make.tickets(count, day, status)


@pytest.mark.parametrize(
    "role, scope, path",
    [
        (Role.MINISTRY_REVIEWER, {}, "/"),
        (Role.PROVINCE_REVIEWER, {"province": "河南"}, "/"),
        (Role.CENTER_STAFF, {"center": "郑州"}, "/"),
        (Role.MINISTRY_REVIEWER, {}, "/calendar/?month=2026-12"),
        (Role.MINISTRY_REVIEWER, {}, "/calendar/list?from=2026-12-01&to=2026-12-31"),
    ],
)
def test_pages_send_as_many_statements_with_a_long_history(client, auth, make, role, scope, path):
    account = make.user(role, **scope)
    make.tickets(5, date(2026, 12, 14))
    statements_of_page(client, auth, account, path, db.engine)  # warms the working-day calendar
    few, _ = statements_of_page(client, auth, account, path, db.engine)
    _add_history(make, 400)
    many, _ = statements_of_page(client, auth, account, path, db.engine)
    assert len(many) == len(few)


def test_home_counts_only_the_open_tickets(client, auth, make):
    ministry = make.user(Role.MINISTRY_REVIEWER)
    make.tickets(3, date(2026, 12, 14))
    _add_history(make, 50)
    statements, page = statements_of_page(client, auth, ministry, "/", db.engine)
    counting = [s for s in statements if "count(" in s.lower() and "ticket.status in" in s.lower().replace('"', "")]
    assert counting, statements
    assert "53" in page  # approved tickets waiting for their day: 3 + 50


def test_api_cutovers_send_as_many_statements_with_a_long_history(client, make, api_as):
    api, _ = api_as(Role.MINISTRY_REVIEWER)
    make.tickets(5, date(2026, 12, 14))

    def statements_of(path):
        with frozen(), recorded_statements(db.engine) as seen:
            response = api.get(path)
        assert response.status_code == 200, response.get_json()
        return len(seen)

    path = "/cutovers?from=2026-09-01&to=2026-12-31&limit=3"
    statements_of(path)
    few = statements_of(path)
    _add_history(make, 400)
    assert statements_of(path) == few


def test_api_cutovers_come_in_keyset_pages(make, api_as):
    api, _ = api_as(Role.MINISTRY_REVIEWER)
    make.tickets(7, date(2026, 12, 14))
    make.tickets(5, date(2026, 12, 15))
    numbers, cursor, pages = [], None, 0
    with frozen():
        whole = api.get("/cutovers?from=2026-12-01&to=2026-12-31").get_json()
        while True:
            page = api.get("/cutovers?from=2026-12-01&to=2026-12-31&limit=5" + (f"&cursor={cursor}" if cursor else "")).get_json()
            pages += 1
            numbers += [c["number"] for c in page["cutovers"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert pages == 3 and len(numbers) == 12 == len(set(numbers))
    assert numbers == [c["number"] for c in whole["cutovers"]] and whole["next_cursor"] is None
    dates = [c["cutover_date"] for c in whole["cutovers"]]
    assert dates == sorted(dates)


@pytest.mark.parametrize(
    "query, field",
    [("limit=0", "limit"), ("limit=1001", "limit"), ("limit=x", "limit"), ("cursor=2026-13-01_4", "cursor"), ("cursor=abc", "cursor")],
)
def test_bad_page_arguments_are_422_in_chinese(api_as, query, field):
    api, _ = api_as(Role.MINISTRY_REVIEWER)
    with frozen():
        response = api.get(f"/cutovers?{query}")
    assert response.status_code == 422 and field in response.get_json()["errors"]
