"""Fixtures: an app on a real database (a SQLite file, or PostgreSQL when
LINKDESK_TEST_DATABASE_URL is set), a client, the CLI runner, and an auth helper."""

import contextvars
import os
import shutil
import uuid
from datetime import UTC, datetime

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

import linkdesk.models  # noqa: F401 (every table in the metadata, for PER_TEST_TABLES)
from linkdesk import create_app
from linkdesk.extensions import db
from linkdesk.links.filing_probe import wait_for_probes
from linkdesk.seed import seed_registry
from tests.factories import Factory
from tests.helpers import app_config as _config
from tests.helpers import frozen

POSTGRES_URL = os.environ.get("LINKDESK_TEST_DATABASE_URL")
# The registry (provinces, centers, services) is loaded once and shared; every other table's rows
# belong to one test. Derived from the models, so that a new table is emptied too.
SHARED_TABLES = {"province", "center", "service"}
PER_TEST_TABLES = tuple(table.name for table in db.metadata.sorted_tables if table.name not in SHARED_TABLES)


def _migrate_and_seed(url: str) -> None:
    app = create_app(_config(url))
    with app.app_context():
        upgrade()
        seed_registry()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Build the schema by the migrations and load the registry, once per run."""
    if POSTGRES_URL:
        base = make_url(POSTGRES_URL)
        name = f"linkdesk_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)  # closed on release
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
        _migrate_and_seed(url)
        yield url
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "linkdesk.sqlite3"
        _migrate_and_seed(f"sqlite:///{path}")
        yield path


@pytest.fixture
def database_url(database_template, tmp_path):
    """A database for one test: a copy of the template file, or the shared PostgreSQL
    database emptied of the previous test's rows."""
    if POSTGRES_URL:
        yield database_template
        engine = create_engine(database_template)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(PER_TEST_TABLES)} RESTART IDENTITY CASCADE"))
        engine.dispose()
    else:
        path = tmp_path / "linkdesk.sqlite3"
        shutil.copyfile(database_template, path)
        yield f"sqlite:///{path}"


class RequestClient(FlaskClient):
    """A test client whose requests run as they do in a server: each in its own app context,
    with its own ``g`` and its own database session, not inside the test's context."""

    def open(self, *args, **kwargs):
        if not has_app_context():  # a redirect being followed: already outside the test's context
            return super().open(*args, **kwargs)
        # End the test's transaction first: it must neither hold SQLite's write lock during
        # the request nor keep serving rows from before it.
        db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(database_url):
    app = create_app(_config(database_url))
    app.test_client_class = RequestClient
    with app.app_context():
        yield app
        db.session.remove()  # ends the test's transaction: a filing probe still running can write
        assert wait_for_probes(60), "a filing probe still running after 60 s"
        db.engine.dispose()


@pytest.fixture
def clock():
    """The clock frozen at ``helpers.BEIJING_FRIDAY`` for the whole test, fixtures' rows included.

    For scenarios that reason about "now" from start to end (queued messages, leases, rate
    limits): a row stamped by a default and an instant the test passes are then the same clock,
    whatever the real date. ``clock.shift(timedelta)`` or ``clock.move_to(moment)`` moves it.
    """
    with frozen() as traveller:
        yield traveller


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """Factories for users, tokens and (later) tickets, on the real database."""
    return Factory()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username: str, password: str):
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def api_as(client, make):
    """api_as(role, center=…, province=…) -> (Api, Account): a token-authenticated API client."""
    from linkdesk.models import Role
    from tests.helpers import Api

    def build(role=Role.CENTER_STAFF, **scope):
        account = make.user(role, **scope)
        return Api(client, make.token(account)), account

    return build


@pytest.fixture
def team(api_as):
    """Clerks, reviewers and the ministry as (Api, Account) pairs, by name."""
    from linkdesk.models import Role

    return {
        name: api_as(role, **scope)
        for name, (role, scope) in {
            "zhengzhou": (Role.CENTER_STAFF, {"center": "郑州"}),
            "luoyang": (Role.CENTER_STAFF, {"center": "洛阳"}),
            "beijing": (Role.CENTER_STAFF, {"center": "北京"}),
            "henan": (Role.PROVINCE_REVIEWER, {"province": "河南"}),
            "hubei": (Role.PROVINCE_REVIEWER, {"province": "湖北"}),
            "ministry": (Role.MINISTRY_REVIEWER, {}),
        }.items()
    }


def pytest_sessionstart(session):
    """Say in the JUnit report which database the suite ran on and when (CI checks both).

    Written by the process that writes the report: the only one, or pytest-xdist's controller
    (its workers' ``record_testsuite_property`` never reaches the report). ``xml_key`` is pytest's
    own handle on the report writer; it has no public one."""
    from _pytest.junitxml import xml_key

    if hasattr(session.config, "workerinput"):
        return
    report = session.config.stash.get(xml_key, None)
    if report is not None:
        report.add_global_property("database", "postgresql" if POSTGRES_URL else "sqlite")
        # The system clock as the run began (UTC), so that CI can tell a shifted clock took effect.
        report.add_global_property("clock", datetime.now(UTC).isoformat(timespec="seconds"))


# libfaketime (CI's shifted-clock runs) moves the clocks that timed waits compute their deadline
# from, but not the kernel's: a wait that relies on its timeout running out never returns there.
UNDER_FAKETIME = "faketime" in os.environ.get("LD_PRELOAD", "")


def pytest_collection_modifyitems(config, items):
    if not UNDER_FAKETIME:
        return
    skip = pytest.mark.skip(reason="waits for a timeout to run out; libfaketime's shifted clock never lets it")
    for item in items:
        if item.get_closest_marker("realtime"):
            item.add_marker(skip)


def pytest_report_header(config):
    return f"linkdesk test database: {'PostgreSQL (LINKDESK_TEST_DATABASE_URL)' if POSTGRES_URL else 'SQLite file per test'}"


def pytest_terminal_summary(terminalreporter):
    """How many requests Schemathesis sent (tests/api/test_openapi.py), so that CI's log shows it."""
    from tests.api import test_openapi

    if test_openapi.SENT:
        cases = sum(test_openapi.SENT.values())
        terminalreporter.write_line(
            f"schemathesis: {cases} cases in {len(test_openapi.SENT)} passing operation×role runs "
            f"(at most {test_openapi.PER_ROLE} per role, {test_openapi.EXAMPLES} per operation) "
            f"on {'PostgreSQL' if POSTGRES_URL else 'SQLite'}"
        )
