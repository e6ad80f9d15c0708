"""A database that cannot serve — away, read-only, full — is answered as an outage: 503 with
``Retry-After``, JSON under /api/ and a Chinese page elsewhere, one log line when it begins and
one when it ends, nothing half-saved, and the next request served once the database is back.

The database is made to fail for real, by what each new connection of the app gets (the pool is
emptied, as a server restart empties it): a SQLite path whose folder does not exist or a closed
port on 127.0.0.1 (unreachable), ``PRAGMA query_only`` or ``default_transaction_read_only``
(read-only), ``PRAGMA max_page_count`` at the file's size (full, SQLite only)."""

import logging
import socket
import sqlite3

import psycopg
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from linkdesk.extensions import db
from linkdesk.models import Role, Ticket, TicketAttachment
from linkdesk.service import outages
from linkdesk.service.outages import OutageKind
from linkdesk.service.worker import Worker
from tests.factories import PASSWORD, ticket_request

from ..conftest import POSTGRES_URL

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
UNREACHABLE = "数据库暂时无法访问"


class DatabaseSwitch:
    """Turns the app's database unreachable, read-only or full for the connections opened from
    now on, and well again; ``set`` empties the pool so that every request gets a new one."""

    def __init__(self, engine, tmp_path):
        self.engine = engine
        self.state = None
        self.missing = str(tmp_path / "gone" / "linkdesk.sqlite3")
        event.listen(engine, "do_connect", self._redirect)
        event.listen(engine, "connect", self._restrict)

    def set(self, state: str | None) -> None:
        self.state = state
        self.engine.dispose()

    def _redirect(self, dialect, _record, cargs, cparams):
        if self.state != "unreachable":
            return
        if dialect.name == "sqlite":
            cargs[0] = self.missing
        else:
            cparams["port"] = closed_port()

    def _restrict(self, connection, _record):
        sqlite = self.engine.dialect.name == "sqlite"
        if self.state == "read-only":
            if sqlite:
                connection.execute("PRAGMA query_only=ON")
            else:
                connection.execute("SET default_transaction_read_only = on")
                connection.commit()
        elif self.state == "full":
            assert sqlite, "PostgreSQL's disk cannot be filled from a test"
            pages = connection.execute("PRAGMA page_count").fetchone()[0]
            connection.execute(f"PRAGMA max_page_count={pages}")


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def switch(app, tmp_path):
    return DatabaseSwitch(db.engine, tmp_path)


def outage_lines(caplog) -> tuple[list, list]:
    lines = [record for record in caplog.records if record.name == "linkdesk.outage"]
    return [r for r in lines if "began" in r.getMessage()], [r for r in lines if "over" in r.getMessage()]


def assert_no_traceback(caplog):
    assert [record.getMessage() for record in caplog.records if record.exc_info] == []


def assert_outage_answer(answer, kind: OutageKind, json: bool):
    assert answer.status_code == 503, answer.get_data(as_text=True)[:300]
    assert answer.headers["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)
    if json:
        assert answer.get_json() == {"error": kind.message, "status": 503}
    else:
        page = answer.get_data(as_text=True)
        assert answer.mimetype == "text/html" and kind.message in page and "Traceback" not in page


def test_an_unreachable_database_is_503_with_retry_after_and_one_log_line_each_way(app, client, auth, make, api_as, switch, clock, caplog):
    clerk, _ = api_as(Role.CENTER_STAFF, center="郑州")
    account = make.user(Role.CENTER_STAFF, center="北京")
    assert auth.login(account.username, PASSWORD).status_code == 302
    caplog.set_level(logging.INFO)

    switch.set("unreachable")
    failing = [
        (clerk.get("/tickets"), True),
        (clerk.post("/tickets", ticket_request(cutover_date="2026-12-11")), True),
        (clerk.upload("/tickets", ticket_request(cutover_date="2026-12-11"), ("公函.pdf", PDF)), True),
        (client.get("/tickets/"), False),  # a signed-in page: its session cannot be looked up
        (client.get("/"), False),
        (client.post("/logout"), False),
    ]
    for answer, json in failing:
        assert_outage_answer(answer, OutageKind.UNREACHABLE, json)
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["database"]["status"] == "fail"
    began, over = outage_lines(caplog)
    assert len(began) == 1 and over == []
    assert began[0].levelno == logging.WARNING and "OperationalError" in began[0].getMessage()
    assert_no_traceback(caplog)
    assert [record.levelname for record in caplog.records if record.levelno >= logging.ERROR] == []

    switch.set(None)
    assert clerk.get("/tickets").status_code == 200
    assert client.get("/tickets/").status_code == 200  # still signed in: nothing of the session was lost
    began, over = outage_lines(caplog)
    assert len(began) == 1 and len(over) == 1
    assert over[0].failures == len(failing) + 1  # the readiness probe met it too
    assert f"{len(failing) + 1} failed" in over[0].getMessage()
    assert client.get("/readyz").get_json()["checks"]["database"]["status"] == "ok"
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_second_outage_is_a_second_pair_of_lines(app, api_as, switch, clock, caplog):
    clerk, _ = api_as(Role.CENTER_STAFF, center="郑州")
    for _ in range(2):
        switch.set("unreachable")
        assert clerk.get("/tickets").status_code == 503
        assert clerk.get("/tickets").status_code == 503
        switch.set(None)
        assert clerk.get("/tickets").status_code == 200
    began, over = outage_lines(caplog)
    assert len(began) == 2 and [record.failures for record in over] == [2, 2]


def test_a_read_only_database_saves_nothing_and_says_so(app, api_as, switch, clock, caplog):
    clerk, _ = api_as(Role.CENTER_STAFF, center="郑州")
    clerk.get("/tickets")  # the token's last use is written before the database turns read-only
    switch.set("read-only")
    assert clerk.get("/tickets").status_code == 200  # reading goes on
    answer = clerk.upload("/tickets", ticket_request(cutover_date="2026-12-11"), ("公函.pdf", PDF))
    assert_outage_answer(answer, OutageKind.READ_ONLY, json=True)
    assert_outage_answer(clerk.post("/tickets", ticket_request(cutover_date="2026-12-11")), OutageKind.READ_ONLY, json=True)
    assert clerk.get("/tickets").get_json() == []
    began, over = outage_lines(caplog)
    assert len(began) == 1 and over == []  # a read does not end an outage of writes
    assert_no_traceback(caplog)

    switch.set(None)
    filed = clerk.upload("/tickets", ticket_request(cutover_date="2026-12-11"), ("公函.pdf", PDF))
    assert filed.status_code == 201, filed.get_json()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    assert db.session.scalar(select(func.count()).select_from(TicketAttachment)) == 1  # the one filed now
    assert [record.failures for record in outage_lines(caplog)[1]] == [2]


@pytest.mark.skipif(bool(POSTGRES_URL), reason="PostgreSQL's disk cannot be filled from a test")
def test_a_full_database_is_503_and_keeps_no_half_filing(app, api_as, switch, clock, caplog):
    clerk, _ = api_as(Role.CENTER_STAFF, center="郑州")
    switch.set("full")
    big = PDF + b"%" * 200_000  # more than the file's free pages
    answer = clerk.upload("/tickets", ticket_request(cutover_date="2026-12-11"), ("公函.pdf", big))
    assert_outage_answer(answer, OutageKind.FULL, json=True)
    assert_no_traceback(caplog)
    switch.set(None)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert db.session.scalar(select(func.count()).select_from(TicketAttachment)) == 0
    assert clerk.upload("/tickets", ticket_request(cutover_date="2026-12-11"), ("公函.pdf", big)).status_code == 201


def test_the_worker_logs_an_outage_once_not_a_traceback_a_round(app, switch, clock, caplog):
    worker = Worker(app, interval=0, beat_every=3600)
    switch.set("unreachable")
    for _ in range(3):
        worker.round()
    began, over = outage_lines(caplog)
    assert len(began) == 1 and over == []
    assert_no_traceback(caplog)
    switch.set(None)
    worker.round()
    steps = 1 + len(worker.jobs)  # the outbox, then each job
    assert [record.failures for record in outage_lines(caplog)[1]] == [3 * steps]


def test_a_bug_is_still_a_500_with_its_traceback(app, client, caplog):
    @app.get("/boom")
    def boom():
        raise OperationalError("SELECT nothing", {}, Exception("no such table: nothing"))

    answer = client.get("/boom")
    assert answer.status_code == 500 and "Retry-After" not in answer.headers
    assert outage_lines(caplog) == ([], [])
    assert any(record.exc_info for record in caplog.records)


def test_a_lock_held_past_the_busy_timeout_is_busy_and_a_missing_table_no_outage(tmp_path):
    path = str(tmp_path / "locked.sqlite3")
    holder, waiter = sqlite3.connect(path, timeout=0, isolation_level=None), sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError) as locked:
            waiter.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError) as missing:
            waiter.execute("SELECT * FROM nothing")
    finally:
        holder.close()
        waiter.close()
    assert outages.classify(OperationalError("BEGIN IMMEDIATE", {}, locked.value)) is OutageKind.BUSY
    assert outages.classify(OperationalError("SELECT", {}, missing.value)) is None


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"), OutageKind.READ_ONLY),
        (psycopg.errors.DiskFull("could not extend file"), OutageKind.FULL),
        (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), OutageKind.UNREACHABLE),
        (psycopg.errors.TooManyConnections("sorry, too many clients already"), OutageKind.BUSY),
        (psycopg.OperationalError("connection failed: Connection refused"), OutageKind.UNREACHABLE),
        (psycopg.errors.UniqueViolation("duplicate key"), None),
        (psycopg.errors.UndefinedTable("relation does not exist"), None),
    ],
)
def test_postgresql_errors_are_told_apart_by_their_sqlstate(error, kind):
    assert outages.classify(OperationalError("SELECT 1", {}, error)) is kind
