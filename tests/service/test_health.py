"""/healthz and /readyz: no login, JSON, the four checks named; 503 (never 500) when something
is wrong, the database included; nothing in them that names a host, a file or an error."""

import os
from datetime import timedelta

import pytest
from sqlalchemy import text

from linkdesk import create_app
from linkdesk.extensions import db
from linkdesk.models.types import utcnow
from linkdesk.notify.events import add_channel, notify
from linkdesk.service import heartbeats
from linkdesk.service.heartbeats import WorkerIdentity

from ..helpers import app_config

CHECKS = {"database", "migrations", "worker", "outbox"}


def a_worker_beats() -> WorkerIdentity:
    worker = WorkerIdentity("test-host:1:abc", "test-host", 1, utcnow())
    heartbeats.beat(worker, utcnow(), None)
    return worker


def readiness(client):
    answer = client.get("/readyz")
    body = answer.get_json()
    assert set(body) == {"status", "checks"} and set(body["checks"]) == CHECKS
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.status_code, body


def test_healthz_answers_without_a_login(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"status": "ok"}


def test_ready_when_the_schema_is_new_a_worker_beats_and_the_outbox_is_fresh(client, clock):
    a_worker_beats()
    status, body = readiness(client)
    assert status == 200 and body["status"] == "ok", body
    assert all(check["status"] == "ok" for check in body["checks"].values())
    assert body["checks"]["worker"]["running"] == 1 and body["checks"]["outbox"]["backlog"] == 0


def test_a_stale_or_stopped_worker_makes_it_not_ready(client, clock, app):
    worker = a_worker_beats()
    clock.shift(timedelta(seconds=app.config["LINKDESK_WORKER_STALE_SECONDS"] - 1))
    assert readiness(client)[0] == 200
    clock.shift(timedelta(seconds=2))
    status, body = readiness(client)
    assert status == 503 and body["status"] == "fail"
    assert body["checks"]["worker"]["status"] == "fail" and body["checks"]["worker"]["last_beat_age_seconds"] == 181
    assert body["checks"]["database"]["status"] == "ok" and body["checks"]["outbox"]["status"] == "ok"
    heartbeats.beat(worker, utcnow(), None)
    assert readiness(client)[0] == 200
    heartbeats.stopped(worker, utcnow())
    status, body = readiness(client)
    assert status == 503 and body["checks"]["worker"]["running"] == 0


def test_a_schema_behind_the_newest_migration_fails_the_migrations_check(client, clock):
    a_worker_beats()
    [current] = db.session.scalars(text("SELECT version_num FROM alembic_version")).all()
    db.session.execute(text("UPDATE alembic_version SET version_num = '0017_nation_day_counts'"))
    db.session.commit()
    try:
        status, body = readiness(client)
    finally:  # PostgreSQL: the database is shared by the tests that follow
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
        db.session.commit()
    migrations = body["checks"]["migrations"]
    assert status == 503 and migrations["status"] == "fail"
    assert migrations["current"] == ["0017_nation_day_counts"] and migrations["expected"] == [current]
    assert all(body["checks"][name]["status"] == "ok" for name in CHECKS - {"migrations"})


def test_an_undelivered_message_older_than_the_bound_fails_the_outbox_check(client, clock, app, make):
    a_worker_beats()
    add_channel("email", "gjj@example.gov.cn", "ministry")
    from linkdesk.models import Ticket

    [ticket_id] = make.tickets(1, utcnow().date() + timedelta(days=20))
    notify("approved", db.session.get(Ticket, ticket_id))
    db.session.commit()
    bound = app.config["LINKDESK_OUTBOX_MAX_AGE_SECONDS"]
    clock.shift(timedelta(seconds=bound))
    heartbeats.beat(heartbeats.WorkerIdentity("test-host:1:abc", "test-host", 1, utcnow()), utcnow(), None)
    status, body = readiness(client)
    assert status == 200 and body["checks"]["outbox"] == {"status": "ok", "backlog": 1, "oldest_age_seconds": bound}
    clock.shift(timedelta(seconds=1))
    status, body = readiness(client)
    assert status == 503 and body["checks"]["outbox"]["status"] == "fail"
    assert body["checks"]["outbox"]["oldest_age_seconds"] == bound + 1 and body["checks"]["worker"]["status"] == "ok"


@pytest.mark.parametrize("with_session", [False, True])
def test_an_unreachable_database_is_503_not_500_and_names_nothing(tmp_path, with_session):
    missing = tmp_path / "gone" / "linkdesk.sqlite3"  # its folder does not exist: SQLite cannot open it
    app = create_app(app_config(f"sqlite:///{missing}"))
    client = app.test_client()
    if with_session:  # a browser signed in earlier: its session cannot be looked up now
        with client.session_transaction() as session:
            session["_user_id"] = "1"
    assert client.get("/healthz").status_code == 200
    answer = client.get("/readyz")
    body = answer.get_json()
    assert answer.status_code == 503 and body["status"] == "fail"
    assert {name: check["status"] for name, check in body["checks"].items()} == dict.fromkeys(CHECKS, "fail")
    shown = answer.get_data(as_text=True)
    for secret in (str(tmp_path), "sqlite", "OperationalError", "unable to open", os.uname().nodename):
        assert secret not in shown
    with app.app_context():
        db.engine.dispose()


def test_a_user_who_must_change_a_password_is_not_sent_from_the_checks_to_the_password_page(client, auth, make, clock):
    from linkdesk.models import User

    a_worker_beats()
    account = make.user()
    auth.login(account.username, account.password)
    db.session.get(User, account.user.id).must_change_password = True
    db.session.commit()
    assert client.get("/").status_code == 302  # everything else leads to the password page
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200
