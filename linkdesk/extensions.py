"""Flask extensions, created unbound here and bound to the app in create_app()."""

import re
import sqlite3
from pathlib import Path

from flask import has_request_context, request
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Boolean, MetaData, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.functions import FunctionElement

# Stable constraint names, so that Alembic migrations name (and can drop) them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _render_migration_type(kind, obj, autogen_context):
    # Migrations must not import the app's own column types: render them as plain SQLAlchemy.
    if kind == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


db = SQLAlchemy(model_class=Base)
migrate = Migrate(
    directory=str(Path(__file__).parent / "migrations"),
    render_as_batch=True,
    compare_type=True,
    render_item=_render_migration_type,
)
login_manager = LoginManager()
csrf = CSRFProtect()

SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record):
    """Foreign keys on, WAL, a busy timeout; and let SQLAlchemy (not pysqlite) open transactions."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Requests that only read by the HTTP contract; their transactions start deferred.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITING_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
_DEFERRED = "linkdesk_sqlite_deferred"


def _reading_request() -> bool:
    return has_request_context() and request.method in READING_METHODS


@event.listens_for(Engine, "begin")
def _begin_on_sqlite(connection):
    """SQLite: a reading request's transaction starts deferred (no lock, so a slow feed or page
    never holds up a writer), every other one with ``BEGIN IMMEDIATE``.

    A deferred transaction that reads and then writes would fail at once with "database is
    locked" when another writer got there first (SQLite does not wait on a lock upgrade), so
    the writing transactions (forms, API calls, the CLI, workers) take the write lock at BEGIN
    and wait their turn; a reading request that does write (a session's last-seen time, a
    token's last use) takes it at its first write, see below.
    """
    if connection.dialect.name != "sqlite":
        return
    deferred = _reading_request()
    connection.info[_DEFERRED] = deferred
    connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


@event.listens_for(Engine, "before_cursor_execute")
def _write_lock_on_first_write(connection, _cursor, statement, _parameters, context, _executemany):
    """In a deferred SQLite transaction, the first write (or ``SELECT … FOR UPDATE``, which SQLite
    drops) ends the read snapshot and starts ``BEGIN IMMEDIATE``, which waits for the lock.

    What was read before is then as on PostgreSQL's READ COMMITTED: the write sees the latest
    rows, and version checks and conditional updates decide as they do there.
    """
    if not connection.info.get(_DEFERRED) or connection.dialect.name != "sqlite":
        return
    if not (_WRITING_STATEMENT.match(statement) or _locks_rows(context)):
        return
    connection.info[_DEFERRED] = False
    if connection.in_nested_transaction():  # a savepoint cannot be ended early: upgrade in place
        return
    raw = connection.connection.dbapi_connection
    raw.execute("COMMIT")
    raw.execute("BEGIN IMMEDIATE")


def _locks_rows(context) -> bool:
    compiled_statement = getattr(getattr(context, "compiled", None), "statement", None)
    return getattr(compiled_statement, "_for_update_arg", None) is not None


def refresh_planner_statistics() -> None:
    """SQLite: ``PRAGMA optimize`` (re-runs ANALYZE where the tables changed enough), so that the
    planner keeps choosing the indexes as history grows; PostgreSQL's autovacuum does this itself.
    Run daily by ``apply-cutovers``."""
    if db.engine.dialect.name == "sqlite":
        db.session.commit()  # on the session's own connection: a second one would wait for its lock
        db.session.execute(text("PRAGMA optimize"))
        db.session.commit()


class broad(FunctionElement):  # lower case: used as a SQL function, broad(condition)
    """A condition that holds for a large share of the rows (a province's tickets), as the
    planner should take it. SQLite's, lacking statistics on how the rows spread, reads a province
    condition as narrow: it collects the province's tickets by center and sorts them all, where an
    ordered, limited list had better walk its sort's index (8 ms against 0.1 at 100,000 tickets).
    On SQLite this is ``likelihood(condition, 0.9)``; elsewhere the condition itself."""

    type = Boolean()
    inherit_cache = True
    name = "broad"


@compiles(broad)
def _broad(element, compiler, **kw):
    (condition,) = element.clauses.clauses
    return compiler.process(condition, **kw)


@compiles(broad, "sqlite")
def _broad_on_sqlite(element, compiler, **kw):
    (condition,) = element.clauses.clauses
    return f"likelihood({compiler.process(condition, **kw)}, 0.9)"


def init_app(app) -> None:
    """Bind every extension to the app."""
    db.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录。"
    login_manager.session_protection = "basic"
