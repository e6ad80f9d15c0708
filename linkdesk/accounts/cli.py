"""``flask --app linkdesk tokens …``: list and revoke API tokens (never showing a secret)."""

import click
from sqlalchemy import select

from ..extensions import db
from ..models import User
from ..models.types import utcnow
from .tokens import TokenError, revoke_token, tokens_of


def _moment(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


@click.group("tokens")
def tokens_group():
    """API tokens: list them, revoke one."""


@tokens_group.command("list")
@click.argument("username", required=False)
def list_command(username):
    """Tokens of one user, or of everyone: prefix, user, created, last used, expires, state (UTC)."""
    user = None
    if username:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"找不到用户“{username}”。")
    now = utcnow()
    for row in tokens_of(user):
        click.echo(
            f"{row.prefix}  {row.username}  创建 {_moment(row.created_at)}  最近使用 {_moment(row.last_used_at)}"
            f"  到期 {_moment(row.expires_at)}  {row.state(now)}"
        )


@tokens_group.command("revoke")
@click.argument("prefix")
def revoke_command(prefix):
    """Revoke the live token whose prefix this is."""
    try:
        row = revoke_token(prefix)
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"已吊销 {row.username} 的令牌 {row.prefix}。")
