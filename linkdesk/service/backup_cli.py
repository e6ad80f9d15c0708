"""``flask --app linkdesk backup FILE`` and ``restore FILE``: the database with its attachments,
in one file (see linkdesk.service.backup for what the file holds)."""

from pathlib import Path

import click

from ..extensions import db
from .backup import BackupError, head_revision, restore_backup, take_backup


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path):
    """Back up the database (SQLite: online backup API; PostgreSQL: pg_dump) to FILE, with a manifest."""
    try:
        manifest = take_backup(db.engine, file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"已备份到 {file}（数据库结构 {manifest['schema_revision']}）。 / Backed up to {file}.")
    _echo_counts(manifest)


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(file: Path, force: bool):
    """Restore FILE (made by `backup`) into the configured database, then check its counts.

    Stop the web servers and workers first: they would keep writing to the database being replaced.
    """
    try:
        result = restore_backup(db.engine, file, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    _echo_counts(result.found)
    if not result.ok:
        for problem in result.problems:
            click.echo(f"不一致：{problem}", err=True)
        raise click.ClickException("恢复后的数据与备份清单不一致。 / The restored database does not match the backup's manifest.")
    click.echo(f"已从 {file} 恢复，表行数与附件 SHA-256 均与备份清单一致。 / Restored from {file}; counts and attachments match.")
    if result.found["schema_revision"] != head_revision():
        click.echo(
            f"备份的数据库结构为 {result.found['schema_revision']}，请运行 flask --app linkdesk init-db 升级到 "
            f"{head_revision()}。 / Run `flask --app linkdesk init-db` to upgrade the schema."
        )


def _echo_counts(summary: dict) -> None:
    tables, attachments = summary["tables"], summary["attachments"]
    click.echo(
        f"工单 tickets: {tables.get('ticket', 0)}  审计记录 audit events: {tables.get('audit_event', 0)}  "
        f"附件 attachments: {attachments['count']}（{attachments['bytes']} 字节 bytes）"
    )
    click.echo(f"附件 SHA-256: {attachments['sha256']}")


def init_app(app) -> None:
    """Register the backup and restore commands."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
