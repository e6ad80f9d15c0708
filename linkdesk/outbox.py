"""Delivering the outbox: claim due messages, send them, retry with backoff, park failures.

Several workers may drain one outbox: a message is claimed by one conditional UPDATE (the
database decides who wins) and held for a lease; a worker that dies mid-send leaves the claim to
expire, and the message goes out again with the same id for receivers to drop. WeCom robots take
20 messages a minute: when more are due for one robot they are merged into digests of at most
4,096 bytes, never dropped.
"""
import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from .extensions import db
from .models import ChannelKind, MessageStatus, NotificationChannel, OutboxMessage
from .models.types import utcnow

log = logging.getLogger(__name__)
M = MessageStatus
WECOM_MAX_BYTES = 4096
LEASE = timedelta(seconds=120)
BATCH = 200


class DeliveryError(Exception):
    """A send that did not succeed; the message is retried later."""


@dataclass
class Report:
    sent: int = 0
    failed: int = 0  # attempts that failed (retried later or parked)
    deferred: int = 0  # due but held back by a robot's rate limit


def _due_clause(now: datetime):
    return or_(
        and_(OutboxMessage.status == M.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == M.SENDING, OutboxMessage.locked_until < now),
    )


def claim(now: datetime, limit: int = BATCH) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for this worker; each is claimed by exactly one worker."""
    candidates = db.session.scalars(
        select(OutboxMessage.id).where(_due_clause(now)).order_by(OutboxMessage.id).limit(limit)
    ).all()
    claimed = []
    for message_id in candidates:
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, _due_clause(now))
            .values(status=M.SENDING, locked_until=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            claimed.append(message_id)
        db.session.commit()  # one short transaction per claim: other workers are never blocked long
    if not claimed:
        return []
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    ))


def deliver_once(now: datetime | None = None) -> Report:
    """Claim and send what is due now; returns what happened."""
    now = now or utcnow()
    report = Report()
    by_channel: dict[int, list[OutboxMessage]] = {}
    for message in claim(now):
        by_channel.setdefault(message.channel_id, []).append(message)
    for messages in by_channel.values():
        channel = messages[0].channel
        if channel.kind is ChannelKind.WECOM:
            _deliver_wecom(channel, messages, now, report)
        else:
            for message in messages:
                _attempt(message.channel, [message], now, report)
    return report


def _deliver_wecom(channel: NotificationChannel, messages: list[OutboxMessage], now: datetime, report: Report) -> None:
    per_minute = current_app.config["LINKDESK_WECOM_PER_MINUTE"]
    used = db.session.scalar(
        select(func.count(func.distinct(OutboxMessage.delivery_id))).where(
            OutboxMessage.channel_id == channel.id, OutboxMessage.status == M.SENT,
            OutboxMessage.sent_at > now - timedelta(seconds=60),
        )
    )
    slots = per_minute - used
    if slots <= 0:
        _release(messages, now + timedelta(seconds=60), report)
        return
    groups = [[message] for message in messages] if len(messages) <= slots else _digests(messages)
    for group in groups[:slots]:
        _attempt(channel, group, now, report)
    for group in groups[slots:]:
        _release(group, now + timedelta(seconds=60), report)


def _digests(messages: list[OutboxMessage]) -> list[list[OutboxMessage]]:
    """Merge messages into groups whose combined markdown fits in one robot message."""
    groups, size = [], 0
    for message in messages:
        length = len(message.body.encode()) + 64
        if groups and size + length <= WECOM_MAX_BYTES - 128:
            groups[-1].append(message)
            size += length
        else:
            groups.append([message])
            size = length + 128
    return groups


def digest_body(group: list[OutboxMessage]) -> str:
    """One message, or several joined under a digest heading; each keeps its stable id."""
    if len(group) == 1:
        return group[0].body + f"\n<font color=\"comment\">消息编号 {group[0].uid}</font>"
    parts = [f"## 工单动态汇总（{len(group)} 条）"]
    parts += [f"{message.body}\n<font color=\"comment\">消息编号 {message.uid}</font>" for message in group]
    body = "\n\n".join(parts)
    return body if len(body.encode()) <= WECOM_MAX_BYTES else body.encode()[:WECOM_MAX_BYTES].decode(errors="ignore")


def _release(messages: list[OutboxMessage], when: datetime, report: Report) -> None:
    for message in messages:
        message.status, message.locked_until, message.next_attempt_at = M.PENDING, None, when
        report.deferred += 1
    db.session.commit()


def _attempt(channel: NotificationChannel, group: list[OutboxMessage], now: datetime, report: Report) -> None:
    try:
        if channel.kind is ChannelKind.WECOM:
            send_wecom(channel.target, digest_body(group))
        else:
            send_email(channel.target, group[0].subject, group[0].body, group[0].uid)
    except DeliveryError as error:
        _failed(group, str(error), now, report)
        log.warning("delivery to channel %s failed: %s", channel.id, error)
        return
    delivery = str(uuid.uuid4())
    for message in group:
        message.status, message.sent_at, message.delivery_id = M.SENT, now, delivery
        message.tries += 1
        message.locked_until, message.last_error = None, None
        report.sent += 1
    db.session.commit()


def _failed(group: list[OutboxMessage], error: str, now: datetime, report: Report) -> None:
    config = current_app.config
    for message in group:
        message.tries += 1
        message.last_error = error[:500]
        message.locked_until = None
        if message.tries >= config["LINKDESK_NOTIFY_MAX_TRIES"]:
            message.status = M.FAILED
        else:
            delay = min(config["LINKDESK_NOTIFY_BACKOFF_SECONDS"] * 2 ** (message.tries - 1), 3600)
            message.status, message.next_attempt_at = M.PENDING, now + timedelta(seconds=delay)
        report.failed += 1
    db.session.commit()


def retry(message_id: int) -> bool:
    """Send a parked message again (the admin's button)."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status is not M.FAILED:
        return False
    message.status, message.next_attempt_at, message.locked_until = M.PENDING, utcnow(), None
    db.session.commit()
    return True


def run(interval: float, stop=lambda: False) -> None:
    """Deliver until stopped: the worker of ``flask outbox deliver``."""
    while not stop():
        report = deliver_once()
        if report.sent or report.failed:
            log.info("outbox: %s sent, %s failed, %s deferred", report.sent, report.failed, report.deferred)
        db.session.remove()
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
    except ValueError:
        raise DeliveryError("企业微信接口的应答不是 JSON") from None
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
        with smtplib.SMTP(config["LINKDESK_SMTP_HOST"], config["LINKDESK_SMTP_PORT"],
                          timeout=config["LINKDESK_NOTIFY_TIMEOUT_SECONDS"]) as smtp:
            if config["LINKDESK_SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["LINKDESK_SMTP_USERNAME"]:
                smtp.login(config["LINKDESK_SMTP_USERNAME"], config["LINKDESK_SMTP_PASSWORD"] or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"邮件发送失败：{type(error).__name__}") from None
