"""flask --app linkdesk outbox … and channels …"""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..models import NotificationChannel

outbox_group = AppGroup("outbox", help="Deliver queued notifications.")
channels_group = AppGroup("channels", help="WeCom robots, e-mail addresses and webhooks that receive notifications.")


@outbox_group.command("deliver")
@click.option("--once", is_flag=True, help="Deliver what is due now and exit (for cron).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
def deliver_command(once: bool, interval: float):
    """Send due messages; without --once, keep running until stopped."""
    from .outbox import deliver_once, run

    if once:
        report = deliver_once()
        click.echo(f"sent {report.sent}, failed {report.failed}, deferred {report.deferred}")
        return
    try:
        run(interval)
    except KeyboardInterrupt:
        click.echo("stopped")


@outbox_group.command("remind")
@click.option("--date", "day", help="Today's date (default: today in Beijing).")
def remind_command(day: str | None):
    """Queue reminders for approved cutovers two working days ahead, and for review deadlines (run daily)."""
    from ..cutovers.operations import remind_upcoming
    from ..models.types import utcnow
    from ..workdays.calendar import local_date, parse_date
    from ..workdays.schedules import current_calendar

    today = parse_date(day) if day else local_date(utcnow())
    if today is None:
        raise click.ClickException(f"“{day}”不是有效日期。")
    from flask import current_app

    from ..tickets.deadlines import review_clock
    from ..tickets.operations import remind_review_deadlines
    from .inbox import purge

    tickets = remind_upcoming(today, current_calendar())
    click.echo(f"queued reminders for {len(tickets)} ticket(s)")
    due = remind_review_deadlines(review_clock(current_calendar(), today, current_app.config))
    click.echo(f"reminded reviewers of {len(due)} review deadline(s)")
    # Daily, like this command: the inbox keeps 180 days.
    click.echo(f"removed {purge()} inbox message(s) older than 180 days")


@channels_group.command("add")
@click.argument("kind", type=click.Choice(["wecom", "email", "webhook"]))
@click.argument("target")
@click.option("--scope", required=True, help="ministry, province:河南 or center:郑州")
@click.option("--events", help="webhook only: event types, e.g. approved,applied,cancelled")
def add_command(kind: str, target: str, scope: str, events: str | None):
    """Add a WeCom robot (webhook URL), an e-mail address, or a webhook for automation, for a scope."""
    from .events import ChannelError, add_channel, mask, scope_label

    if events and kind != "webhook":
        raise click.ClickException("--events 只用于 webhook 渠道。")
    try:
        channel = add_channel(kind, target, scope, events)
    except ChannelError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{channel.id} {channel.kind.value} {scope_label(channel)} {mask(channel)}")
    if channel.secret:
        click.echo(f"signing secret (shown once; keep it with the receiver): {channel.secret}")


@channels_group.command("list")
def list_command():
    """List channels (robot keys masked)."""
    from .events import mask, scope_label

    for channel in db.session.scalars(select(NotificationChannel).order_by(NotificationChannel.id)):
        click.echo(f"{channel.id} {channel.kind.value} {scope_label(channel)} {mask(channel)}")


@channels_group.command("remove")
@click.argument("channel_id", type=int)
def remove_command(channel_id: int):
    """Remove a channel and its queued messages."""
    from .events import remove_channel

    if not remove_channel(channel_id):
        raise click.ClickException(f"没有编号为 {channel_id} 的渠道。")
    click.echo(f"removed {channel_id}")
