"""Command-line interface: flask --app linkdesk …"""

from pathlib import Path

import click
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import select

from . import seed
from .accounts import tokens, users
from .extensions import db
from .models import Role, User
from .tickets import wait_weeks


@click.command("init-db")
def init_db_command():
    """Create or upgrade the database schema (Alembic migrations)."""
    upgrade()
    if wait_weeks.missing():
        wait_weeks.rebuild()
        db.session.commit()
        click.echo("已按审核记录重新统计审核等待时间。")
    click.echo("数据库结构已是最新。")


@click.command("seed")
@click.option("--demo", is_flag=True, help="Also add demo users (random passwords, printed once).")
def seed_command(demo: bool):
    """Load provinces, centers and services (idempotent); --demo adds demo users."""
    for name, report in seed.seed_registry().items():
        click.echo(f"{name}: {report.created} created, {report.updated} updated")
    if demo:
        # The logins file belongs to the instance's own database; for any other database the
        # passwords are printed here only.
        own = db.engine.url.database == str(Path(current_app.instance_path) / "linkdesk.sqlite3")
        logins = Path(current_app.instance_path) / "demo_logins.txt" if own else None
        for username, password in seed.seed_demo(logins).items():
            click.echo(f"demo user {username}  password {password}")
        click.echo(f"demo e-mail channels: {seed.seed_demo_channels()} created")
        click.echo(f"demo tickets: {seed.seed_demo_tickets()} created")
        click.echo(f"demo emergency change due for the worker: {seed.seed_demo_cutover()} created")


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--center", help="Center code or short name (center_staff).")
@click.option("--province", help="Province code or short name (province_reviewer).")
@click.option("--name", "display_name", help="Display name.")
@click.option("--contact", default="", help="Telephone or e-mail.")
@click.option("--wecom-userid", help="The user's 企业微信 UserID, for signing in with 企业微信.")
@click.option("--temporary", is_flag=True, help="The user must set their own password at first login.")
@click.password_option(help="Password (prompted when omitted).")
def create_user_command(username, role, center, province, display_name, contact, wecom_userid, temporary, password):
    """Create a user with a role and its scope."""
    try:
        user = users.create_user(
            username,
            password,
            role,
            display_name=display_name,
            center=center,
            province=province,
            contact=contact,
            wecom_userid=wecom_userid,
            temporary=temporary,
        )
    except users.AccountError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"created {user.username} ({user.role.value}, {user.scope_label})")


@click.command("create-token")
@click.argument("username")
@click.option("--expires-days", type=int, default=tokens.DEFAULT_EXPIRY_DAYS, show_default=True, help="Days until the token stops working.")
def create_token_command(username, expires_days):
    """Print a new API token for the user (shown once; only its digest is stored)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise click.ClickException(f"找不到有效用户“{username}”。")
    try:
        click.echo(tokens.create_token(user, expires_days))
    except tokens.TokenError as error:
        raise click.ClickException(str(error)) from None


@click.command("reset-password")
@click.argument("username")
def reset_password_command(username):
    """Print a one-time set-password link for the user (valid 24 hours; earlier links end)."""
    from flask import url_for

    from .accounts.credentials import issue_reset

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"找不到用户“{username}”。")
    try:
        key = issue_reset(user, actor=None)
    except users.AccountError as error:
        raise click.ClickException(error.message) from None
    # No request here: the link is built on the address people open (LINKDESK_BASE_URL).
    with current_app.test_request_context(base_url=current_app.config["LINKDESK_BASE_URL"]):
        click.echo(url_for("accounts.reset_password", key=key, _external=True))


@click.command("apply-cutovers")
@click.option("--date", "day", help="Apply tickets due on or before this date (default: today in Beijing).")
def apply_cutovers_command(day: str | None):
    """Complete approved tickets that are due and make their addresses live (for cron)."""
    from .cutovers.operations import apply_due, probe_applied
    from .models.types import utcnow
    from .workdays.calendar import local_date, parse_date

    today = local_date(utcnow())
    due = parse_date(day) if day else today
    if due is None:
        raise click.ClickException(f"“{day}”不是有效日期，格式应为 YYYY-MM-DD。")
    if due > today:  # a link goes live on its day, never sooner
        raise click.ClickException(f"{due.isoformat()} 还没到（今天是 {today.isoformat()}），不能提前切换。")
    applied = apply_due(due)
    for ticket in applied:
        click.echo(f"{ticket.number} {ticket.center.short_name} {ticket.service.code} -> {ticket.new_url}")
    click.echo(f"截至 {due.isoformat()}：本次完成切换 {len(applied)} 个。")
    run = probe_applied(applied)
    if run is not None:
        click.echo(f"新地址检测：{run.healthy}/{run.checked} 正常。")


@click.group("registry")
def registry_group():
    """The link registry (链接台账)."""


@registry_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def registry_import_command(path: Path):
    """Load live addresses from CSV (center_code,service_code,url,effective_date): all rows or none."""
    from .links.registry import RegistryImportError, load_registry, parse_registry_csv

    try:
        rows = parse_registry_csv(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise click.ClickException("文件不是 UTF-8 编码。") from None
    except RegistryImportError as refusal:
        for problem in refusal.problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"文件有 {len(refusal.problems)} 处错误，未导入任何一行。") from None
    added, changed = load_registry(rows)
    click.echo(f"已导入 {len(rows)} 行：新增 {added} 条，更新 {changed} 条。")


def init_app(app) -> None:
    """Register the commands."""
    from .accounts.cli import tokens_group
    from .links.cli import links_group
    from .notify.cli import channels_group, outbox_group
    from .service.cli import worker_command
    from .workdays.cli import workdays

    for command in (
        init_db_command,
        seed_command,
        create_user_command,
        create_token_command,
        reset_password_command,
        workdays,
        apply_cutovers_command,
        registry_group,
        outbox_group,
        channels_group,
        links_group,
        tokens_group,
        worker_command,
    ):
        app.cli.add_command(command)
