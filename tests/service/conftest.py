"""A second, empty database for the tests that build one from nothing (restore, upgrade drill)."""

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from linkdesk import create_app
from linkdesk.extensions import db

from ..conftest import POSTGRES_URL, RequestClient
from ..helpers import app_config


@pytest.fixture
def empty_database_url(tmp_path):
    """An empty database on the test server: a new SQLite file, or a new PostgreSQL database
    (dropped afterwards)."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    base = make_url(POSTGRES_URL)
    name = f"linkdesk_empty_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def build_app(database_url):
    """build_app(**settings): another app on the test's database (after the test's own ``app``, if
    the test asks for it: the last app built sets the logging); its connections closed afterwards."""
    built = []

    def build(**settings):
        app = create_app(app_config(database_url, **settings))
        app.test_client_class = RequestClient  # ends the test's own transaction before each request
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
