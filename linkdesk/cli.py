"""Command-line interface: flask --app linkdesk …"""
from pathlib import Path

import click
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import select

from . import accounts, seed
from .extensions import db
from .models import Role, User


@click.command("init-db")
def init_db_command():
    """Create or upgrade the database schema (Alembic migrations)."""
    upgrade()
    click.echo("数据库结构已是最新。")


@click.command("seed")
@click.option("--demo", is_flag=True, help="Also add demo users (random passwords, printed once).")
def seed_command(demo: bool):
    """Load provinces, centers and services (idempotent); --demo adds demo users."""
    for name, report in seed.seed_registry().items():
        click.echo(f"{name}: {report.created} created, {report.updated} updated")
    if demo:
        logins = Path(current_app.instance_path) / "demo_logins.txt"
        for username, password in seed.seed_demo(logins).items():
            click.echo(f"demo user {username}  password {password}")


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--center", help="Center code or short name (center_staff).")
@click.option("--province", help="Province code or short name (province_reviewer).")
@click.option("--name", "display_name", help="Display name.")
@click.password_option(help="Password (prompted when omitted).")
def create_user_command(username, role, center, province, display_name, password):
    """Create a user with a role and its scope."""
    try:
        user = accounts.create_user(
            username, password, role, display_name=display_name, center=center, province=province
        )
    except accounts.AccountError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"created {user.username} ({user.role.value}, {user.scope_label})")


@click.command("create-token")
@click.argument("username")
def create_token_command(username):
    """Print a new API token for the user (shown once; only its digest is stored)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise click.ClickException(f"找不到有效用户“{username}”。")
    click.echo(accounts.create_token(user))


def init_app(app) -> None:
    """Register the commands."""
    from .workdays_cli import workdays

    for command in (init_db_command, seed_command, create_user_command, create_token_command, workdays):
        app.cli.add_command(command)
