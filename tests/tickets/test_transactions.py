"""Transactions (issue 23): on SQLite a reading request takes no lock, so a slow feed or page
holds up neither a filing nor another reader; a reading request that writes still waits its turn."""

import threading
from datetime import date

from linkdesk import create_app
from linkdesk.cutovers.feeds import ical_for
from linkdesk.extensions import db
from linkdesk.models import Role, Ticket, User
from tests.factories import ticket_request
from tests.helpers import app_config, at_once, frozen

TODAY = date(2026, 11, 27)


def _worker(database_url):
    """An app of its own, as a second server process has."""
    return create_app(app_config(database_url))


def _in_request(app, method, path, **kwargs):
    with app.app_context():
        try:
            response = app.test_client().open(path, method=method, **kwargs)
            return response.status_code, response.get_json()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_a_slow_feed_render_blocks_neither_a_filing_nor_another_reader(database_url, make):
    clerk = make.user(Role.CENTER_STAFF, center="郑州")
    headers = {"Authorization": f"Bearer {make.token(clerk)}"}
    ministry_id = make.user(Role.MINISTRY_REVIEWER).user.id
    make.tickets(3, date(2026, 12, 1))
    db.session.remove()
    rendering, release = threading.Event(), threading.Event()
    reader, writer = _worker(database_url), _worker(database_url)

    def slow_link(ticket_id):  # the render, stopped half-way while its transaction is open
        rendering.set()
        release.wait(60)
        return f"https://linkdesk.example/tickets/{ticket_id}"

    def render():
        with reader.test_request_context("/calendar/feed/secret.ics"):
            try:
                return ical_for(db.session.get(User, ministry_id), TODAY, slow_link)
            finally:
                db.session.remove()
                db.engine.dispose()

    rendered: list[bytes] = []
    with frozen():
        thread = threading.Thread(target=lambda: rendered.append(render()), daemon=True)
        thread.start()
        assert rendering.wait(30)
        try:
            filed = _in_request(writer, "POST", "/api/v1/tickets", headers=headers, json=ticket_request(cutover_date="2026-12-11"))
            listed = _in_request(writer, "GET", "/api/v1/cutovers?from=2026-12-01&to=2026-12-31", headers=headers)
            still_rendering = thread.is_alive()
        finally:
            release.set()
            thread.join(60)
    assert still_rendering, "the render was to be held open during the filing"
    assert filed[0] == 201, filed
    assert listed[0] == 200, listed
    assert rendered and rendered[0].count(b"BEGIN:VEVENT") == 3


def test_reading_requests_that_write_at_once_all_succeed(database_url, make):
    """Two feed polls and a session check at the same moment each write (last use, last seen)
    after reading: the write waits for the lock instead of failing with "database is locked"."""
    clerk = make.user(Role.CENTER_STAFF, center="郑州")
    headers = {"Authorization": f"Bearer {make.token(clerk)}"}
    db.session.remove()
    workers = [_worker(database_url) for _ in range(4)]
    with frozen():
        answers = at_once(
            *[(lambda app=app: _in_request(app, "GET", "/api/v1/cutovers", headers=headers)) for app in workers[:2]],
            *[
                (
                    lambda app=app, service=service: _in_request(
                        app, "POST", "/api/v1/tickets", headers=headers, json=ticket_request(service=service, cutover_date="2026-12-11")
                    )
                )
                for app, service in zip(workers[2:], ("info_query", "deposit_certificate"), strict=True)
            ],
        )
    assert [code for code, _ in answers] == [200, 200, 201, 201], answers
    assert db.session.query(Ticket).count() == 2
