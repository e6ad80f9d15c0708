"""Who hears about what: notification events, their audiences, the messages, and the channels.

The features announce what happened (``tickets.events``, ``links.events``); ``subscribe()``
connects the listeners here, which turn each announcement into its messages. ``notify()`` only
adds outbox rows to the caller's session, so a message exists exactly when the change that caused
it is committed (a rolled-back change leaves none). ``notify.outbox`` delivers.
"""

import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from flask import current_app
from sqlalchemy import or_, select

from ..accounts.users import find_center, find_province
from ..extensions import db
from ..labels import WARNING_LABELS, weekday_zh
from ..links.events import link_failed
from ..models import (
    ChannelKind,
    ChannelScope,
    Decision,
    NotificationChannel,
    OutboxMessage,
    ReviewStage,
    Ticket,
    TicketStatus,
)
from ..tickets.events import TicketMoved, ticket_moved, ticket_reminder
from . import inbox, webhooks

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WECOM_MAX_BYTES = 4096  # a robot message's content, in UTF-8 bytes (the robot API's documented limit)
# A body leaves room for the line with the message id that the outbox adds when sending.
BODY_MAX_BYTES = WECOM_MAX_BYTES - 128
LINE_MAX_BYTES = 512  # an address or a probe's finding is shown shortened; the page has it whole

# event -> (title tag, audiences). Audiences: the center, the reviewers of the ticket's current
# stage, the ministry.
EVENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "submitted": ("待审核", ("stage",)),
    "resubmitted": ("重新提交待审核", ("stage",)),
    "forwarded": ("待部级审核", ("stage",)),
    "decided": ("审核结果", ("center",)),
    "approved": ("已批准", ("center", "ministry")),
    "reminder": ("两个工作日后切换", ("center", "ministry")),
    "review_due": ("审核即将截止", ("stage",)),
    "applied": ("已完成切换", ("center", "ministry")),
    "cancelled": ("已取消切换", ("center", "ministry")),
    "flagged": ("节假日安排变化，请确认", ("stage",)),
    "link_unhealthy": ("链接异常", ("center",)),
}


class ChannelError(ValueError):
    """A channel that cannot be configured (Chinese message), and the field at fault."""

    def __init__(self, message: str, field: str = "target"):
        self.field = field
        super().__init__(message)


def _audience_clause(ticket: Ticket, audience: str):
    center = ticket.center
    if audience == "center":
        return (NotificationChannel.scope == ChannelScope.CENTER) & (NotificationChannel.center_id == center.id)
    if audience == "ministry" or (audience == "stage" and ticket.stage is not ReviewStage.PROVINCE):
        return NotificationChannel.scope == ChannelScope.MINISTRY
    return (NotificationChannel.scope == ChannelScope.PROVINCE) & (NotificationChannel.province_id == center.province_id)


def channels_for(ticket: Ticket, event: str) -> list[NotificationChannel]:
    """The channels an event on this ticket goes to."""
    _, audiences = EVENTS[event]
    clauses = [_audience_clause(ticket, audience) for audience in audiences]
    # Reading channels must not flush the caller's pending change: its version check belongs to
    # the caller's commit, where a lost race becomes a clean conflict.
    with db.session.no_autoflush:
        return list(
            db.session.scalars(
                select(NotificationChannel)
                .where(NotificationChannel.kind != ChannelKind.WEBHOOK, or_(*clauses))
                .order_by(NotificationChannel.id)
            )
        )


def render(event: str, ticket: Ticket, note: str | None = None) -> tuple[str, str]:
    """(subject, WeCom markdown body) of an event on a ticket, in Chinese."""
    tag, _ = EVENTS[event]
    base = current_app.config["LINKDESK_BASE_URL"].rstrip("/")
    subject = f"【{tag}】{markdown_text(ticket.center.name)} · {markdown_text(ticket.service.name)}"
    badges = [WARNING_LABELS.get(w.get("code"), w.get("code")) for w in ticket.all_warnings]
    if ticket.emergency and "紧急" not in badges:
        badges.insert(0, "紧急")
    lines = [
        f"### {subject}",
        f"> 工单：**{ticket.number}**（{ticket.status.label}{' · ' + ticket.stage.label if ticket.stage else ''}）",
        f"> 切换日期：{ticket.cutover_date.isoformat()}（{weekday_zh(ticket.cutover_date)}）",
        f"> 新地址：{clip(markdown_text(ticket.new_url), LINE_MAX_BYTES)}",
    ]
    if badges:
        lines.append("> 标记：" + " ".join(f'<font color="warning">{badge}</font>' for badge in dict.fromkeys(badges)))
    link = f"[查看工单]({base}/tickets/{ticket.id})"
    if note:  # free text gets what the robot's limit leaves; the number and the link stay whole
        prefix = "> 说明："
        room = BODY_MAX_BYTES - utf8_size("\n".join([*lines, prefix, link]))
        lines.append(prefix + clip(markdown_text(note), room))
    lines.append(link)
    return subject, "\n".join(lines)


_MARKDOWN_SPECIAL = str.maketrans({char: "\\" + char for char in "\\`*[]()#!|~"} | {"<": "&lt;", ">": "&gt;"})


def markdown_text(value: str) -> str:
    """A value typed by someone, safe inside the robot's markdown: it stays text. No link, font
    tag, heading or emphasis of its own, and on one line (a line break could start a heading)."""
    return " ".join(value.split()).translate(_MARKDOWN_SPECIAL)


def utf8_size(text: str) -> int:
    """Bytes of ``text`` in UTF-8, the unit of the robot's limit."""
    return len(text.encode())


def clip(text: str, max_bytes: int) -> str:
    """``text`` shortened to at most ``max_bytes`` in UTF-8, ending with an ellipsis when cut."""
    if utf8_size(text) <= max_bytes:
        return text
    ellipsis = "…"
    room = max_bytes - utf8_size(ellipsis)
    return text.encode()[:room].decode(errors="ignore") + ellipsis if room >= 0 else ""


def notify(event: str, ticket: Ticket, note: str | None = None, dedupe: str | None = None) -> list[OutboxMessage]:
    """Queue an event's message for every channel of its audiences, in the caller's transaction."""
    subject, body = render(event, ticket, note)
    inbox.deliver(
        event,
        EVENTS[event][1],
        ticket.center,
        subject,
        body,
        stage=ticket.stage,
        ticket=ticket,
        path=f"/tickets/{ticket.id}",
        dedupe=dedupe,
    )
    from ..shapes.tickets import ticket_json  # the API's own shape, so that automation reads one

    hooks = webhooks.queue(event, ticket.center, subject, ("ticket", ticket_json(ticket, history=False)), dedupe)
    return _queue(channels_for(ticket, event), event, subject, body, ticket.id, dedupe) + hooks


def _queue(channels, event: str, subject: str, body: str, ticket_id: int | None, dedupe: str | None) -> list[OutboxMessage]:
    """One outbox row per channel; with a dedupe key, a channel that already has it gets none."""
    messages = []
    for channel in channels:
        key = f"{dedupe}:{channel.id}" if dedupe else None
        with db.session.no_autoflush:
            if key and db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
                continue
        message = OutboxMessage(
            uid=str(uuid.uuid4()), channel=channel, event=event, ticket_id=ticket_id, dedupe_key=key, subject=subject, body=body
        )
        db.session.add(message)
        messages.append(message)
    return messages


def notify_link(event: str, link, note: str, dedupe: str | None = None) -> list[OutboxMessage]:
    """Queue a message about a registry link (not a ticket) to its center's channels."""
    tag, _ = EVENTS[event]
    base = current_app.config["LINKDESK_BASE_URL"].rstrip("/")
    subject = f"【{tag}】{link.center.name} · {link.service.name}"
    body = "\n".join(
        [
            f"### {subject}",
            f"> 地址：{clip(markdown_text(link.url), LINE_MAX_BYTES)}",
            f'> 问题：<font color="warning">{clip(markdown_text(note), LINE_MAX_BYTES)}</font>',
            f"[查看链接健康]({base}/links/health?center={link.center.code})",
        ]
    )
    inbox.deliver(event, EVENTS[event][1], link.center, subject, body, path=f"/links/{link.center.code}/{link.service.code}", dedupe=dedupe)
    with db.session.no_autoflush:
        channels = db.session.scalars(
            select(NotificationChannel).where(
                NotificationChannel.kind != ChannelKind.WEBHOOK,
                NotificationChannel.scope == ChannelScope.CENTER,
                NotificationChannel.center_id == link.center_id,
            )
        ).all()
    from ..shapes.registry import center_json

    hooks = webhooks.queue(
        event,
        link.center,
        subject,
        ("link", {"center": center_json(link.center), "service": link.service.code, "url": link.url, "problem": note}),
        dedupe,
    )
    return _queue(channels, event, subject, body, None, dedupe) + hooks


# --- what the features announce -----------------------------------------------------

# The moves of the state machine that tell someone, by the event they send ("approve" depends on
# where the ticket went); edits, attachments and withdrawals tell nobody.
MOVE_EVENTS = {"submit": "submitted", "resubmit": "resubmitted", "cancel": "cancelled", "complete": "applied", "flag": "flagged"}
DECISIONS = {decision.value for decision in Decision}


def on_ticket_moved(moved: TicketMoved) -> None:
    """Queue the messages of a move, in the transaction of the operation that announced it."""
    ticket, action = moved.ticket, moved.action
    if action in MOVE_EVENTS:
        notify(MOVE_EVENTS[action], ticket, moved.comment)
    elif action in DECISIONS and ticket.status is TicketStatus.APPROVED:
        notify("approved", ticket, moved.comment)
    elif action in DECISIONS:
        comment = f"。意见：{moved.comment}" if moved.comment else ""
        notify("decided", ticket, f"{moved.actor.scope_label}：{Decision(action).label}{comment}")
        if ticket.status is TicketStatus.PENDING:
            notify("forwarded", ticket)


def on_ticket_reminder(ticket: Ticket, *, reminder: str, note: str, dedupe: str) -> list[OutboxMessage]:
    """Queue a reminder about a ticket (once per dedupe key); returns what was queued."""
    return notify(reminder, ticket, note, dedupe=dedupe)


def on_link_failed(link, *, note: str, dedupe: str) -> list[OutboxMessage]:
    """Tell a link's center once that it started failing."""
    return notify_link("link_unhealthy", link, note, dedupe=dedupe)


def subscribe() -> None:
    """Listen to the features' announcements (the app factory calls this; connecting twice is harmless)."""
    ticket_moved.connect(on_ticket_moved)
    ticket_reminder.connect(on_ticket_reminder)
    link_failed.connect(on_link_failed)


# --- channels ------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    kind: ChannelScope
    province_id: int | None = None
    center_id: int | None = None
    label: str = "部监管司"


def parse_scope(text: str) -> Scope:
    """``ministry``, ``province:河南`` or ``center:郑州`` (code, short or full name)."""
    kind, _, key = (text or "").partition(":")
    if kind == "ministry" and not key:
        return Scope(ChannelScope.MINISTRY)
    if kind == "province" and key and (province := find_province(key)):
        return Scope(ChannelScope.PROVINCE, province_id=province.id, label=province.name)
    if kind == "center" and key and (center := find_center(key)):
        return Scope(ChannelScope.CENTER, center_id=center.id, label=center.name)
    raise ChannelError(f"范围“{text}”无效：应为 ministry、province:省份 或 center:中心，且省份或中心必须存在。", "scope")


def mask(channel: NotificationChannel) -> str:
    """The channel's address with a robot key reduced to its first four characters; a webhook's
    address with its events (its secret is never shown again)."""
    if channel.kind is ChannelKind.EMAIL:
        return channel.target
    if channel.kind is ChannelKind.WEBHOOK:
        return f"{channel.target} events={channel.events}"
    parts = urlsplit(channel.target)
    key = dict(parse_qsl(parts.query)).get("key", "")
    return f"{parts.scheme}://{parts.netloc}{parts.path}?key={key[:4]}…"


def add_channel(kind: str, target: str, scope_text: str, events: str | None = None) -> NotificationChannel:
    """Configure a WeCom robot (its webhook address), an e-mail address, or a webhook for automation
    (its address and event types; its new signing secret is on the returned channel, to show once)."""
    try:
        kind = ChannelKind(kind)
    except ValueError:
        raise ChannelError("渠道类型只能是 wecom（企业微信群机器人）、email（电子邮件）或 webhook（自动化系统）。") from None
    target = (target or "").strip()
    secret = None
    if kind is ChannelKind.WEBHOOK:
        try:
            events = webhooks.parse_events(events, tuple(EVENTS))
            webhooks.check_address(target)
        except webhooks.WebhookRefused as refusal:
            raise ChannelError(str(refusal), "events" if "事件" in str(refusal) else "target") from None
        secret = webhooks.new_secret()
    elif kind is ChannelKind.WECOM:
        prefixes = current_app.config["LINKDESK_WECOM_WEBHOOK_PREFIXES"]
        key = dict(parse_qsl(urlsplit(target).query)).get("key", "")
        if not any(target.startswith(prefix) for prefix in prefixes) or not key:
            raise ChannelError("企业微信机器人地址应形如 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…")
    elif not EMAIL.match(target) or len(target) > 254:
        raise ChannelError(f"“{target}”不是有效的电子邮件地址。")
    scope = parse_scope(scope_text)
    channel = NotificationChannel(
        kind=kind,
        target=target,
        scope=scope.kind,
        secret=secret,
        events=events if kind is ChannelKind.WEBHOOK else None,
        province_id=scope.province_id,
        center_id=scope.center_id,
    )
    db.session.add(channel)
    db.session.commit()
    return channel


def remove_channel(channel_id: int) -> bool:
    """Remove a channel and its queued messages."""
    channel = db.session.get(NotificationChannel, channel_id)
    if channel is None:
        return False
    db.session.execute(OutboxMessage.__table__.delete().where(OutboxMessage.channel_id == channel_id))
    db.session.delete(channel)
    db.session.commit()
    return True


def scope_label(channel: NotificationChannel) -> str:
    if channel.scope is ChannelScope.PROVINCE:
        return f"省级：{channel.province.name}"
    if channel.scope is ChannelScope.CENTER:
        return f"中心：{channel.center.name}"
    return "部监管司"
