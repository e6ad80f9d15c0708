"""Delivering the outbox: claim due messages, send them, retry with backoff, park failures.

Several workers may drain one outbox. A claim is one short transaction per channel that locks the
channel (SQLite: the write lock every transaction takes; PostgreSQL: the channel's row), counts
the robot's messages of the last minute *with* other workers' claims still in flight, and marks
what it takes with a token of its own (``delivery_id``), for a lease. Right before each send the
worker renews the lease by that token and skips what it no longer holds: a message whose lease
ran out and that another worker took is not sent again. A worker that dies mid-send leaves the
claim to expire, and the message goes out again with the same id for receivers to drop.

No transaction is open while a message is sent (on SQLite it would hold the database's write
lock): what a send needs is copied into plain values, and the result is recorded in a new short
transaction. Any exception from a send is a failed try of that message, never the end of the
worker.

WeCom robots take 20 messages a minute: when more are due for one robot they are merged into
digests of at most 4,096 bytes, never dropped.
"""

import http.client
import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from ..extensions import db
from ..models import ChannelKind, MessageStatus, NotificationChannel, OutboxMessage
from ..models.types import utcnow
from . import webhooks
from .events import WECOM_MAX_BYTES, clip, utf8_size

log = logging.getLogger(__name__)
M = MessageStatus
# A claim's lease: renewed right before each send, so it needs to outlast one send (bounded by
# the 10 s timeout) and no more. A worker killed mid-send leaves its claims for this long only.
LEASE = timedelta(seconds=30)
BATCH = 10  # sends per round
DUE_PER_CHANNEL = 400  # due messages of one channel a claim looks at (a minute's digests hold fewer)
RATE_WINDOW = timedelta(seconds=60)
WECOM_RATE_LIMITED = 45009  # the robot's "too many messages" answer: wait, it is not a failure


class DeliveryError(Exception):
    """A send that did not succeed; the message is retried later."""


class RateLimited(DeliveryError):
    """The robot refused for now because of its rate limit; the message waits a minute, no try used."""


@dataclass
class Report:
    """What a round did, in messages."""

    sent: int = 0
    failed: int = 0  # attempts that failed (retried later or parked)
    deferred: int = 0  # due but held back by a robot's rate limit
    lost: int = 0  # claims another worker took over after their lease ran out: not sent by this one


@dataclass(frozen=True)
class Outgoing:
    """A claimed message's content, copied out of the session."""

    id: int
    uid: str
    subject: str
    body: str
    event: str = ""


@dataclass(frozen=True)
class Batch:
    """What one send delivers to one channel: one message, or a robot's digest of several.

    Plain values, so that sending needs no open transaction. ``token`` is the ``delivery_id``
    written into the messages when they were claimed: it marks them as this worker's.
    """

    token: str
    channel_id: int
    kind: ChannelKind
    target: str
    messages: tuple[Outgoing, ...]
    secret: str | None = None  # a webhook's signing key


def _due_clause(now: datetime):
    return or_(
        and_(OutboxMessage.status == M.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == M.SENDING, OutboxMessage.locked_until < now),
    )


def deliver_once(now: datetime | None = None) -> Report:
    """Claim and send what is due now; returns what happened."""
    report = Report()
    return deliver(claim(now or utcnow(), report=report), now, report)


def claim(now: datetime, limit: int = BATCH, report: Report | None = None) -> list[Batch]:
    """Take due messages for at most ``limit`` sends; each message is claimed by exactly one worker.

    Messages beyond a robot's rate limit are put off by a minute (counted in ``report.deferred``).
    Every transaction is committed on return.
    """
    report = Report() if report is None else report
    channel_ids = db.session.scalars(
        select(OutboxMessage.channel_id).where(_due_clause(now)).distinct().order_by(OutboxMessage.channel_id)
    ).all()
    db.session.commit()
    batches: list[Batch] = []
    for channel_id in channel_ids:
        if len(batches) >= limit:
            break
        batches += _claim_for_channel(channel_id, now, limit - len(batches), report)
        db.session.commit()  # one short transaction per channel: other workers wait only briefly
    return batches


def _claim_for_channel(channel_id: int, now: datetime, room: int, report: Report) -> list[Batch]:
    # Locking the channel first serialises its claims, so the rate check below and the claims
    # it allows are one step: two workers cannot both see the same free slots.
    channel = db.session.scalars(select(NotificationChannel).where(NotificationChannel.id == channel_id).with_for_update()).one_or_none()
    if channel is None:  # removed meanwhile, with its messages
        return []
    due = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.channel_id == channel_id, _due_clause(now))
        .order_by(OutboxMessage.id)
        .limit(DUE_PER_CHANNEL if channel.kind is ChannelKind.WECOM else room)
    ).all()
    if channel.kind is ChannelKind.WECOM:
        slots = max(current_app.config["LINKDESK_WECOM_PER_MINUTE"] - _robot_messages_in_window(channel_id, now), 0)
        groups = [[message] for message in due] if len(due) <= slots else _digests(due)
        _put_off([message.id for group in groups[slots:] for message in group], now, report)
        groups = groups[: min(slots, room)]
    else:
        groups = [[message] for message in due]
    batches = [_take(channel, group, now) for group in groups]
    return [batch for batch in batches if batch.messages]


def _robot_messages_in_window(channel_id: int, now: datetime) -> int:
    """A robot's messages of the last minute: sent, or claimed by some worker and not yet sent."""
    return db.session.scalar(
        select(func.count(func.distinct(OutboxMessage.delivery_id))).where(
            OutboxMessage.channel_id == channel_id,
            or_(
                and_(OutboxMessage.status == M.SENT, OutboxMessage.sent_at > now - RATE_WINDOW),
                and_(OutboxMessage.status == M.SENDING, OutboxMessage.locked_until >= now),
            ),
        )
    )


def _put_off(message_ids: list[int], now: datetime, report: Report) -> None:
    if not message_ids:
        return
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), _due_clause(now))
        .values(status=M.PENDING, locked_until=None, delivery_id=None, next_attempt_at=now + RATE_WINDOW)
        .execution_options(synchronize_session=False)
    )
    report.deferred += result.rowcount


def _take(channel: NotificationChannel, group: list[OutboxMessage], now: datetime) -> Batch:
    token = str(uuid.uuid4())
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([message.id for message in group]), _due_clause(now))
        .values(status=M.SENDING, locked_until=now + LEASE, delivery_id=token)
        .execution_options(synchronize_session=False)
    )
    taken = set(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.delivery_id == token)))
    messages = tuple(Outgoing(m.id, m.uid, m.subject, m.body, m.event) for m in group if m.id in taken)
    return Batch(token, channel.id, channel.kind, channel.target, messages, channel.secret)


def deliver(batches: list[Batch], now: datetime | None = None, report: Report | None = None) -> Report:
    """Send claimed batches, each only while this worker still holds its claim; record the results.

    ``now`` fixes the clock (tests); by default each step reads the current time.
    """
    report = Report() if report is None else report
    clock = (lambda: now) if now else utcnow
    for batch in batches:
        _send(batch, clock, report)
    return report


def _send(batch: Batch, clock: Callable[[], datetime], report: Report) -> None:
    messages = _renew(batch, clock())
    report.lost += len(batch.messages) - len(messages)
    if not messages:
        return
    try:
        if batch.kind is ChannelKind.WECOM:
            send_wecom(batch.target, digest_body(messages))
        elif batch.kind is ChannelKind.WEBHOOK:
            [message] = messages
            try:
                webhooks.send(batch.target, batch.secret or "", message.body, message.uid, message.event)
            except webhooks.WebhookError as error:
                raise DeliveryError(str(error)) from None
        else:
            [message] = messages
            send_email(batch.target, message.subject, message.body, message.uid)
    except RateLimited as error:
        report.deferred += _update_held(
            batch.token, status=M.PENDING, next_attempt_at=clock() + RATE_WINDOW, locked_until=None, delivery_id=None, last_error=str(error)
        )
    except Exception as error:
        # Any surprise in an answer is a failed try too. Of one that is not a DeliveryError only
        # the type is kept: its text might quote the webhook address, whose key is a secret.
        reason = str(error) if isinstance(error, DeliveryError) else f"发送时出错：{type(error).__name__}"
        _record_failure(batch.token, reason, clock(), report)
        log.warning("delivery to channel %s failed: %s", batch.channel_id, reason)
    else:
        report.sent += _update_held(
            batch.token, status=M.SENT, sent_at=clock(), tries=OutboxMessage.tries + 1, locked_until=None, last_error=None
        )


def _renew(batch: Batch, now: datetime) -> list[Outgoing]:
    """Extend the lease of the batch's messages this worker still holds, and return those."""
    held = and_(OutboxMessage.delivery_id == batch.token, OutboxMessage.status == M.SENDING, OutboxMessage.locked_until >= now)
    db.session.execute(update(OutboxMessage).where(held).values(locked_until=now + LEASE).execution_options(synchronize_session=False))
    still_held = set(db.session.scalars(select(OutboxMessage.id).where(held)))
    db.session.commit()
    return [message for message in batch.messages if message.id in still_held]


def _update_held(token: str, **values) -> int:
    """Record a send's result on the messages held under ``token``, in a short transaction."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.delivery_id == token, OutboxMessage.status == M.SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


def _record_failure(token: str, error: str, now: datetime, report: Report) -> None:
    config = current_app.config
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.delivery_id == token, OutboxMessage.status == M.SENDING)).all()
    for message in messages:
        message.tries += 1
        message.last_error = error[:500]
        message.locked_until, message.delivery_id = None, None
        if message.tries >= config["LINKDESK_NOTIFY_MAX_TRIES"]:
            message.status = M.FAILED
        else:
            delay = min(config["LINKDESK_NOTIFY_BACKOFF_SECONDS"] * 2 ** (message.tries - 1), 3600)
            message.status, message.next_attempt_at = M.PENDING, now + timedelta(seconds=delay)
        report.failed += 1
    db.session.commit()


# --- robot messages --------------------------------------------------------------------


def _with_id(message) -> str:
    """The message's markdown and its stable id, within the robot's limit.

    Bodies are rendered to fit; one queued before that and too long is shortened, keeping its
    last line (the link).
    """
    footer = f'\n<font color="comment">消息编号 {message.uid}</font>'
    body = message.body
    if utf8_size(body + footer) > WECOM_MAX_BYTES:
        text, _, link = body.rpartition("\n")
        room = WECOM_MAX_BYTES - utf8_size(footer + "\n" + link)
        body = clip(text, room) + "\n" + link if room > 0 else clip(body, WECOM_MAX_BYTES - utf8_size(footer))
    return body + footer


def _heading(count: int) -> str:
    return f"## 工单动态汇总（{count} 条）"


def _digests(messages: list[OutboxMessage]) -> list[list[OutboxMessage]]:
    """Merge messages, in order, into groups whose digest fits in one robot message."""
    groups: list[list[OutboxMessage]] = []
    size = 0  # bytes of the last group's parts, each with the blank line before it
    for message in messages:
        part = utf8_size(_with_id(message)) + 2
        if groups and utf8_size(_heading(len(groups[-1]) + 1)) + size + part <= WECOM_MAX_BYTES:
            groups[-1].append(message)
            size += part
        else:
            groups.append([message])
            size = part
    return groups


def digest_body(group) -> str:
    """One message, or several joined under a digest heading; each keeps its stable id.

    ``group`` holds messages (anything with ``body`` and ``uid``) as ``_digests`` groups them:
    the result is at most 4,096 bytes.
    """
    if len(group) == 1:
        return _with_id(group[0])
    return "\n\n".join([_heading(len(group)), *(_with_id(message) for message in group)])


def retry(message_id: int) -> bool:
    """Send a parked message again (the admin's button)."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status is not M.FAILED:
        return False
    message.status, message.next_attempt_at, message.locked_until = M.PENDING, utcnow(), None
    db.session.commit()
    return True


def log_round(report: Report) -> None:
    """Log what a delivery round did, when it did something (with the figures as fields)."""
    if report.sent or report.failed or report.deferred or report.lost:
        log.info(
            "outbox: %s sent, %s failed, %s deferred, %s lost to other workers",
            report.sent,
            report.failed,
            report.deferred,
            report.lost,
            extra={"job": "outbox", "sent": report.sent, "failed": report.failed, "deferred": report.deferred, "lost": report.lost},
        )


def run(interval: float, stop=lambda: False) -> None:
    """Deliver until stopped: the worker of ``flask outbox deliver``.

    A round that fails (the database away or locked, say) is logged and rolled back, and the
    worker goes on; its claims come back to the pool when their lease runs out.
    """
    while not stop():
        try:
            log_round(deliver_once())
        except Exception:
            log.exception("outbox: a round failed; the next starts in %s s", interval)
        finally:
            db.session.remove()  # rolls back whatever the round left open
        time.sleep(interval)


# --- the two channels ----------------------------------------------------------------


def send_wecom(webhook: str, markdown: str) -> None:
    """POST a markdown message to a WeCom group robot; a non-zero errcode is a failure.

    The webhook address (with its key) is never put into an error or a log line.
    """
    body = json.dumps({"msgtype": "markdown", "markdown": {"content": markdown}}, ensure_ascii=False).encode()
    request = urllib.request.Request(webhook, data=body, headers={"Content-Type": "application/json; charset=utf-8"})
    timeout = current_app.config["LINKDESK_NOTIFY_TIMEOUT_SECONDS"]
    try:
        with _opener().open(request, timeout=timeout) as response:
            answer = json.loads(response.read(65536) or b"{}")
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"企业微信接口返回 HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"无法连接企业微信接口：{type(reason).__name__}") from None
    except http.client.HTTPException as error:  # a garbled status line, a cut-off answer
        raise DeliveryError(f"企业微信接口的应答无法读取：{type(error).__name__}") from None
    except ValueError:
        raise DeliveryError("企业微信接口的应答不是 JSON") from None
    if not isinstance(answer, dict):
        raise DeliveryError("企业微信接口的应答不是 JSON 对象")
    if answer.get("errcode") == WECOM_RATE_LIMITED:
        raise RateLimited(f"企业微信机器人限流 errcode={WECOM_RATE_LIMITED}，一分钟后再发")
    if answer.get("errcode") != 0:
        raise DeliveryError(f"企业微信接口错误 errcode={answer.get('errcode')} {str(answer.get('errmsg', ''))[:100]}")


def _opener():
    # No redirects: a webhook that redirects elsewhere is a failure, not a hop into the intranet.
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    return urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=ssl.create_default_context()))


def send_email(address: str, subject: str, markdown: str, uid: str) -> None:
    """Send one message by SMTP; the stable id is the Message-ID."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["LINKDESK_MAIL_FROM"]
    message["To"] = address
    message["Subject"] = subject
    message["Message-ID"] = f"<{uid}@linkdesk>"
    message.set_content(markdown.replace("> ", "").replace("### ", ""))
    try:
        with smtplib.SMTP(
            config["LINKDESK_SMTP_HOST"], config["LINKDESK_SMTP_PORT"], timeout=config["LINKDESK_NOTIFY_TIMEOUT_SECONDS"]
        ) as smtp:
            if config["LINKDESK_SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["LINKDESK_SMTP_USERNAME"]:
                smtp.login(config["LINKDESK_SMTP_USERNAME"], config["LINKDESK_SMTP_PASSWORD"] or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"邮件发送失败：{type(error).__name__}") from None
