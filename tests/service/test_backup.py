"""Backup and restore (linkdesk.service.backup): a round trip into an empty database keeps every
table's rows and the attachments' bytes; a file that is not a backup, from a newer schema, or onto
a database with data is refused with a clear message and a failing exit code."""

import io
import json
import tarfile

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from linkdesk import create_app
from linkdesk.extensions import db
from linkdesk.service.backup import head_revision, summarize
from tests.cutovers.test_schedule import file_and_approve

from ..factories import LETTER, ticket_request
from ..helpers import app_config

pytestmark = pytest.mark.usefixtures("clock")  # BEIJING_FRIDAY, 2026-11-27: E(D) = 2026-12-11
PNG = ("截图.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)


def desk_with_data(team) -> None:
    """Tickets in several states, decisions, audit events and two attachments."""
    assert file_and_approve(team).status_code == 200
    clerk = team["zhengzhou"][0]
    ticket = clerk.post("/tickets", ticket_request("transfer", cutover_date="2026-12-14")).get_json()
    answer = clerk.upload(f"/tickets/{ticket['id']}/attachments", {"version": ticket["version"]}, LETTER, PNG)
    assert answer.status_code == 201, answer.get_json()
    returned = team["henan"][0].post(
        f"/tickets/{ticket['id']}/decision",
        {"decision": "return", "comment": "请补充说明", "version": answer.get_json()["ticket"]["version"]},
    )
    assert returned.status_code == 200, returned.get_json()
    assert team["beijing"][0].post("/tickets", ticket_request(cutover_date="2026-12-15")).status_code == 201


def contents(url: str) -> tuple[dict, list]:
    """Every table's rows and every attachment's bytes, read straight from a database."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            summary = summarize(connection)
            attachments = connection.execute(text("SELECT id, filename, sha256, data FROM ticket_attachment ORDER BY id")).all()
    finally:
        engine.dispose()
    return summary, [(row.id, row.filename, row.sha256, bytes(row.data)) for row in attachments]


def invoke_on(url: str, args: list[str]):
    """Run a command as ``flask --app linkdesk`` does on another database (in that app's context,
    not the test's)."""
    other = create_app(app_config(url))
    with other.app_context():
        try:
            return other.test_cli_runner().invoke(args=args)
        finally:
            db.session.remove()
            db.engine.dispose()


def test_backup_then_restore_into_an_empty_database_keeps_every_row_and_byte(team, runner, database_url, empty_database_url, tmp_path):
    desk_with_data(team)
    db.session.commit()
    backup = tmp_path / "linkdesk-backup.tar"
    made = runner.invoke(args=["backup", str(backup)])
    assert made.exit_code == 0, made.output
    assert "工单 tickets: 3" in made.output and "附件 attachments: 2" in made.output

    restored = invoke_on(empty_database_url, ["restore", str(backup)])
    assert restored.exit_code == 0, restored.output
    assert "均与备份清单一致" in restored.output and "工单 tickets: 3" in restored.output

    source, target = contents(database_url), contents(empty_database_url)
    assert target[0]["tables"] == source[0]["tables"] and source[0]["tables"]["ticket"] == 3
    assert target[0]["attachments"] == source[0]["attachments"]
    assert target[1] == source[1] and {row[3] for row in target[1]} == {LETTER[1], PNG[1]}


def test_the_manifest_says_what_the_backup_holds(team, runner, database_url, tmp_path):
    desk_with_data(team)
    db.session.commit()
    backup = tmp_path / "backup.tar"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    with tarfile.open(backup) as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())
        names = archive.getnames()
    summary, _ = contents(database_url)
    assert manifest["format"] == "linkdesk-backup" and manifest["schema_revision"] == head_revision()
    member = "database.sqlite3" if manifest["database"] == "sqlite" else "database.pgdump"
    assert manifest["database"] == db.engine.dialect.name and names == ["manifest.json", member]
    assert manifest["tables"] == summary["tables"] and manifest["attachments"]["count"] == 2


def rewrite_manifest(backup, out, **changes) -> None:
    with tarfile.open(backup) as source, tarfile.open(out, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps({**json.loads(data), **changes}).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))


def test_a_backup_from_a_newer_schema_is_refused(runner, empty_database_url, tmp_path):
    backup, future = tmp_path / "backup.tar", tmp_path / "future.tar"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    rewrite_manifest(backup, future, schema_revision="0099_from_the_future")
    refused = invoke_on(empty_database_url, ["restore", str(future)])
    assert refused.exit_code != 0
    assert "0099_from_the_future" in refused.output and "比本程序支持的最新版本" in refused.output and "newer" in refused.output
    engine = create_engine(empty_database_url, poolclass=NullPool)
    with engine.connect() as connection:  # nothing was written
        assert connection.execute(text("SELECT 1")).scalar() == 1
        from sqlalchemy import inspect

        assert inspect(connection).get_table_names() == []
    engine.dispose()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "找不到备份文件"),
        (b"ticket,status\n1,pending\n", "不是 linkdesk 备份文件"),
        (b"SQLite format 3\x00" + bytes(100), "不是 linkdesk 备份文件"),
    ],
)
def test_a_missing_or_wrong_file_is_refused_clearly(runner, tmp_path, content, message):
    path = tmp_path / "backup.tar"
    if content is not None:
        path.write_bytes(content)
    refused = runner.invoke(args=["restore", str(path)])
    assert refused.exit_code != 0 and message in refused.output and "Traceback" not in refused.output


def test_a_database_with_data_is_replaced_only_when_forced(team, runner, tmp_path):
    desk_with_data(team)
    db.session.commit()
    backup = tmp_path / "backup.tar"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    team["luoyang"][0].post("/tickets", ticket_request(cutover_date="2026-12-16"))
    db.session.commit()
    refused = runner.invoke(args=["restore", str(backup)])
    assert refused.exit_code != 0 and "--force" in refused.output
    db.session.remove()
    forced = runner.invoke(args=["restore", "--force", str(backup)])
    assert forced.exit_code == 0, forced.output
    assert db.session.scalar(select(text("count(*)")).select_from(text("ticket"))) == 3  # the later ticket is gone
