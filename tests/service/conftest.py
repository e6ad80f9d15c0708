"""A second, empty database for the tests that build one from nothing (restore, upgrade drill)."""
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ..conftest import POSTGRES_URL


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
