"""Backup and restore of the whole database — tickets, audit trail, accounts and the attachments,
whose bytes live in the database (``ticket_attachment.data``).

A backup is ONE file, a tar archive of two members:

- ``manifest.json``: what the backup holds, checked before and after a restore::

      {"format": "linkdesk-backup", "format_version": 1,
       "created_at": "2026-12-08T02:00:00Z", "database": "sqlite" | "postgresql",
       "schema_revision": "0018_warning_indexes",
       "tables": {"audit_event": 812, "ticket": 97, …},            # every table's rows
       "attachments": {"count": 12, "bytes": 3145728,
                       "sha256": "…"}}   # SHA-256 of the lines "<id> <SHA-256 of its bytes>\\n", by id

- the database itself: ``database.sqlite3`` (SQLite's online backup API: a consistent copy taken
  while the desk runs, in rollback-journal mode so that it is one file), or ``database.pgdump``
  (``pg_dump --format=custom``, taken in the very snapshot the manifest was counted in).

A restore refuses a file that is not such an archive, a backup of the other kind of database,
one from a newer schema than this code knows (its revision is not among our migrations), and a
target database that holds data (unless forced). Afterwards it counts every table and hashes every
attachment again, and says whether they match the manifest.

The connection's password reaches ``pg_dump``/``pg_restore`` through ``PGPASSWORD`` in their
environment, never on a command line that ``ps`` shows.
"""

import glob
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import column, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from ..models.types import utcnow

FORMAT = "linkdesk-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
KIND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# A target holding rows in any of these has a desk's data: a restore would replace it.
DATA_TABLES = ("ticket", "user_account", "audit_event", "ticket_attachment")
ATTACHMENTS = table("ticket_attachment", column("id"), column("data"))


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in Chinese and English."""


@dataclass
class Verification:
    """A restored database's counts against its manifest."""

    manifest: dict
    found: dict
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- what a database holds ---------------------------------------------------------------------


def summarize(connection: Connection) -> dict:
    """Every table's row count and the attachments' count, size and combined SHA-256."""
    names = sorted(inspect(connection).get_table_names())
    tables = {name: connection.scalar(select(func.count()).select_from(table(name))) for name in names}
    digest, count, size = hashlib.sha256(), 0, 0
    if "ticket_attachment" in tables:
        rows = connection.execution_options(yield_per=20).execute(select(ATTACHMENTS.c.id, ATTACHMENTS.c.data).order_by(ATTACHMENTS.c.id))
        for attachment_id, data in rows:
            digest.update(f"{attachment_id} {hashlib.sha256(data).hexdigest()}\n".encode())
            count, size = count + 1, size + len(data)
    return {"tables": tables, "attachments": {"count": count, "bytes": size, "sha256": digest.hexdigest()}}


def schema_revision(connection: Connection) -> str | None:
    """The Alembic revision a database is at (None: no schema yet)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.scalar(text("SELECT version_num FROM alembic_version"))


def head_revision() -> str:
    """The newest migration this code has."""
    return _scripts().get_current_head()


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def is_known_revision(revision: str) -> bool:
    """Whether a revision is one of our migrations (a newer linkdesk's is not)."""
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def has_data(engine: Engine) -> bool:
    """Whether the database holds a desk's data (tickets, users, events or attachments)."""
    with engine.connect() as connection:
        inspector = inspect(connection)
        return any(inspector.has_table(name) and connection.scalar(select(func.count()).select_from(table(name))) for name in DATA_TABLES)


# --- backup ------------------------------------------------------------------------------------


def take_backup(engine: Engine, target: Path) -> dict:
    """Write a backup of the database to ``target`` (replaced atomically); returns its manifest."""
    kind = _kind(engine)
    target = Path(target)
    if not target.parent.is_dir():
        raise BackupError(f"目录不存在：{target.parent} / No such directory: {target.parent}")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".linkdesk-backup-") as work:
        copy = Path(work) / MEMBERS[kind]
        summary = _copy_sqlite(engine, copy) if kind == "sqlite" else _dump_postgresql(engine, copy)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": utcnow().isoformat(timespec="seconds").replace("+00:00", "Z"),
            "database": kind,
            **summary,
        }
        partial = Path(work) / "backup.tar"
        with tarfile.open(partial, "w") as archive:
            body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(body), int(utcnow().timestamp())
            archive.addfile(info, io.BytesIO(body))
            archive.add(copy, arcname=MEMBERS[kind])
        os.replace(partial, target)
    return manifest


def _copy_sqlite(engine: Engine, copy: Path) -> dict:
    source = sqlite3.connect(engine.url.database)
    destination = sqlite3.connect(copy)
    try:
        source.backup(destination)  # page by page, consistent, while others read and write
        destination.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        destination.close()
        source.close()
    return _summarize_sqlite_file(copy)


def _summarize_sqlite_file(path: Path) -> dict:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return {"schema_revision": schema_revision(connection), **summarize(connection)}
    finally:
        engine.dispose()


def _dump_postgresql(engine: Engine, dump: Path) -> dict:
    # The manifest is counted in the snapshot pg_dump copies: a repeatable-read transaction
    # exports it, pg_dump takes it over, and the counts are read in that same transaction.
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
            _run_postgresql_tool("pg_dump", engine, ["--format=custom", f"--snapshot={snapshot}", f"--file={dump}"])
            return {"schema_revision": schema_revision(connection), **summarize(connection)}


# --- restore -----------------------------------------------------------------------------------


def read_manifest(path: Path) -> dict:
    """The manifest of a backup file, or a BackupError saying what the file is not."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到备份文件：{path} / Backup file not found: {path}")
    not_ours = BackupError(
        f"{path} 不是 linkdesk 备份文件（应为 flask --app linkdesk backup 生成的文件）。"
        f" / {path} is not a linkdesk backup (made by `flask --app linkdesk backup`)."
    )
    try:
        with tarfile.open(path, "r") as archive:
            member = archive.extractfile(MANIFEST)
            manifest = json.loads(member.read()) if member is not None else None
            names = set(archive.getnames())
    except (tarfile.TarError, KeyError, ValueError, OSError):
        raise not_ours from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or manifest.get("database") not in MEMBERS
        or MEMBERS[manifest["database"]] not in names
    ):
        raise not_ours
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"备份文件格式版本 {manifest.get('format_version')} 不受支持，请使用更新的 linkdesk 恢复。"
            f" / Backup format version {manifest.get('format_version')} is not supported by this linkdesk."
        )
    return manifest


def check_restorable(engine: Engine, manifest: dict, force: bool) -> None:
    """Refuse a backup of the other database kind, of a newer schema, or onto a database with data."""
    kind = _kind(engine)
    if manifest["database"] != kind:
        raise BackupError(
            f"这是 {KIND_NAMES[manifest['database']]} 数据库的备份，不能恢复到 {KIND_NAMES[kind]}。"
            f" / This is a {KIND_NAMES[manifest['database']]} backup; it cannot be restored into {KIND_NAMES[kind]}."
        )
    revision = manifest.get("schema_revision")
    if not revision or not is_known_revision(revision):
        raise BackupError(
            f"备份的数据库结构版本 {revision} 比本程序支持的最新版本 {head_revision()} 新（或不是本程序的），"
            f"不能恢复；请先升级 linkdesk。 / The backup's schema revision {revision} is newer than this "
            f"linkdesk's newest ({head_revision()}); upgrade linkdesk first."
        )
    if not force and has_data(engine):
        raise BackupError(
            "目标数据库已有数据（工单、用户或审计记录），恢复会覆盖它们；确认无误后加 --force 重试。"
            " / The target database already holds data; restoring replaces it. Add --force to do so."
        )


def restore_backup(engine: Engine, path: Path, force: bool = False) -> Verification:
    """Restore a backup file into the app's database, then verify it against the manifest."""
    manifest = read_manifest(path)
    check_restorable(engine, manifest, force)
    kind = manifest["database"]
    with tempfile.TemporaryDirectory(prefix="linkdesk-restore-") as work:
        copy = Path(work) / MEMBERS[kind]
        with tarfile.open(path, "r") as archive, copy.open("wb") as out:
            shutil.copyfileobj(archive.extractfile(MEMBERS[kind]), out)
        if kind == "sqlite":
            _restore_sqlite(engine, copy, manifest)
        else:
            _run_postgresql_tool(
                "pg_restore", engine, ["--clean", "--if-exists", "--no-owner", "--exit-on-error", "--single-transaction", str(copy)]
            )
    engine.dispose()  # no pooled connection keeps a view of the database before
    with engine.connect() as connection:
        found = {"schema_revision": schema_revision(connection), **summarize(connection)}
    return verify(manifest, found)


def _restore_sqlite(engine: Engine, copy: Path, manifest: dict) -> None:
    source = sqlite3.connect(copy)
    try:
        revision = source.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision is None or revision[0] != manifest["schema_revision"]:
            raise BackupError(
                "备份文件中的数据库与其清单不符，文件可能已损坏。 / The database inside the backup does not match its manifest."
            )
        engine.dispose()
        destination = sqlite3.connect(engine.url.database)
        try:
            source.backup(destination)
        finally:
            destination.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(
            f"备份文件中的 SQLite 数据库无法读取：{error} / The SQLite database in the backup cannot be read: {error}"
        ) from None
    finally:
        source.close()


def verify(manifest: dict, found: dict) -> Verification:
    """Compare a restored database's counts and attachments with the manifest."""
    result = Verification(manifest, found)
    if found["schema_revision"] != manifest["schema_revision"]:
        result.problems.append(f"数据库结构版本 {found['schema_revision']}，清单为 {manifest['schema_revision']}")
    for name, rows in sorted(manifest["tables"].items()):
        if found["tables"].get(name) != rows:
            result.problems.append(f"表 {name}：{found['tables'].get(name)} 行，清单为 {rows} 行")
    if found["attachments"] != manifest["attachments"]:
        result.problems.append(f"附件：{found['attachments']}，清单为 {manifest['attachments']}")
    return result


# --- helpers -----------------------------------------------------------------------------------


def _kind(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in MEMBERS:
        raise BackupError(f"不支持的数据库：{name} / Unsupported database: {name}")
    return name


def postgresql_tool(name: str) -> str:
    """pg_dump or pg_restore: on PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> int:
        number = Path(path).parts[-3]  # /usr/lib/postgresql/<version>/bin/<name>
        return int(number) if number.isdigit() else 0

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    if not candidates:
        raise BackupError(f"找不到 {name}，请安装 PostgreSQL 客户端（postgresql-client）。 / {name} not found: install postgresql-client.")
    return candidates[-1]


def _run_postgresql_tool(name: str, engine: Engine, arguments: list[str]) -> None:
    url = engine.url
    settings = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username, "PGDATABASE": url.database, "PGPASSWORD": url.password}
    environment = {**os.environ, **{name: str(value) for name, value in settings.items() if value}}
    for option in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if option in url.query:
            environment[f"PG{option.upper()}"] = str(url.query[option])
    database = [] if name == "pg_dump" else [f"--dbname={url.database}"]
    finished = subprocess.run(
        [postgresql_tool(name), "--no-password", *database, *arguments], env=environment, capture_output=True, text=True, check=False
    )
    if finished.returncode != 0:
        raise BackupError(f"{name} 失败（退出码 {finished.returncode}） / {name} failed:\n{finished.stderr.strip()}")
