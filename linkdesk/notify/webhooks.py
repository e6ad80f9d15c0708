"""Webhooks for automation: signed JSON events, delivered through the durable outbox.

A webhook channel (``channels add webhook URL --scope S --events approved,applied,cancelled``) takes
the event types it lists, for the tickets and links in its scope. Each event is one JSON object,
``{"id", "type", "occurred_at", "ticket"}`` (or ``"link"``), written into the outbox in the same
transaction as the change it reports, and sent by the outbox worker (retries with backoff) as a
POST with these headers:

- ``X-Linkdesk-Event``: the type; ``X-Linkdesk-Delivery``: the event's id (the same on every retry,
  so that a receiver drops duplicates);
- ``X-Linkdesk-Timestamp``: Unix seconds when this attempt was sent, also in the body as
  ``sent_at``;
- ``X-Linkdesk-Signature``: ``sha256=`` and the hex HMAC-SHA256 of the raw body, keyed with the
  channel's secret. ``sent_at`` is inside what is signed, so a receiver that refuses an old one
  (say, five minutes) refuses a replayed request.

The address follows the link prober's rules: http(s) only, no user:password, the ports of
``LINKDESK_PROBE_PORTS``, and only public addresses unless ``LINKDESK_PROBE_ALLOW_NETWORKS`` lists
the network — checked when the channel is added and again at every send, where the connection
goes to the address just checked (no second lookup) and no redirect is followed.
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
import uuid

from flask import current_app
from sqlalchemy import or_, select

from ..extensions import db
from ..links.probe import AddressRefused, destination
from ..models import ChannelKind, ChannelScope, NotificationChannel, OutboxMessage
from ..models.types import utcnow

USER_AGENT = "linkdesk-webhook/1"
REFUSALS = {
    "bad_url": "地址无效：只接受 http 或 https 地址，且不能包含用户名和密码。",
    "port_not_allowed": "不允许的端口（见 LINKDESK_PROBE_PORTS）。",
    "dns_failure": "无法解析该地址的主机名。",
    "private_address": "该地址指向内网、本机或其他非公网地址，不允许连接。",
}


class WebhookRefused(ValueError):
    """A webhook that cannot be configured or sent to (Chinese message)."""


class WebhookError(Exception):
    """A send that failed (Chinese message; never the secret)."""


def new_secret() -> str:
    """A signing secret: shown once when the channel is added."""
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, body: bytes) -> str:
    """The X-Linkdesk-Signature value of a raw body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def parse_events(text: str | None, known) -> str:
    """``approved,applied,cancelled`` checked against the known event types; stored as written, in order."""
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if not names or unknown:
        named = "“" + "、".join(unknown) + "”" if unknown else ""
        raise WebhookRefused(f"事件类型{named}无效：应为 {','.join(known)} 中的一个或多个，用逗号分隔。")
    return ",".join(dict.fromkeys(names))


def _guard() -> dict:
    config = current_app.config
    return {
        "timeout": config["LINKDESK_NOTIFY_TIMEOUT_SECONDS"],
        "allow_networks": tuple(ipaddress.ip_network(net) for net in config["LINKDESK_PROBE_ALLOW_NETWORKS"]),
        "allowed_ports": tuple(config["LINKDESK_PROBE_PORTS"]),
    }


def check_address(url: str):
    """The checked destination of a webhook address; WebhookRefused by the prober's rules."""
    if len(url) > 2048:
        raise WebhookRefused("地址不能超过 2048 个字符。")
    try:
        return destination(url, **_guard())
    except AddressRefused as refusal:
        raise WebhookRefused(REFUSALS.get(refusal.code, "不允许连接该地址。")) from None


# --- queueing ---------------------------------------------------------------------------


def channels_for(center, event: str) -> list[NotificationChannel]:
    """The webhooks whose scope covers this center and whose events include this one."""
    with db.session.no_autoflush:
        found = db.session.scalars(
            select(NotificationChannel)
            .where(
                NotificationChannel.kind == ChannelKind.WEBHOOK,
                or_(
                    NotificationChannel.scope == ChannelScope.MINISTRY,
                    (NotificationChannel.scope == ChannelScope.PROVINCE) & (NotificationChannel.province_id == center.province_id),
                    (NotificationChannel.scope == ChannelScope.CENTER) & (NotificationChannel.center_id == center.id),
                ),
            )
            .order_by(NotificationChannel.id)
        ).all()
    return [channel for channel in found if event in (channel.events or "").split(",")]


def queue(event: str, center, subject: str, subject_object: tuple[str, dict], dedupe: str | None) -> list[OutboxMessage]:
    """One outbox row per webhook concerned, its body the event's JSON; with a dedupe key, once per channel."""
    key_name, value = subject_object
    messages = []
    for channel in channels_for(center, event):
        key = f"{dedupe}:{channel.id}" if dedupe else None
        with db.session.no_autoflush:
            if key and db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
                continue
        uid = str(uuid.uuid4())
        body = json.dumps(
            {"id": uid, "type": event, "occurred_at": utcnow().isoformat(), key_name: value}, ensure_ascii=False, separators=(",", ":")
        )
        message = OutboxMessage(
            uid=uid,
            channel=channel,
            event=event,
            ticket_id=value.get("id") if key_name == "ticket" else None,
            dedupe_key=key,
            subject=subject[:255],
            body=body,
        )
        db.session.add(message)
        messages.append(message)
    return messages


# --- sending ----------------------------------------------------------------------------


class _PinnedHTTP(http.client.HTTPConnection):
    """A connection to an address already checked, whatever the host name would resolve to now."""

    def __init__(self, address: str, host: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(_PinnedHTTP):
    def connect(self):
        super().connect()
        self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)


def send(url: str, secret: str, body: str, uid: str, event: str) -> None:
    """POST one event, signed; a 2xx answer is delivered, anything else a WebhookError (retried)."""
    try:
        target = check_address(url)
    except WebhookRefused as refusal:
        raise WebhookError(f"Webhook 地址被拒绝：{refusal}") from None
    sent_at = int(time.time())
    # The send time goes inside the signed body: one HMAC over the raw body then covers it.
    raw = json.dumps({**json.loads(body), "sent_at": sent_at}, ensure_ascii=False).encode()
    timestamp = str(sent_at)
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Linkdesk-Event": event,
        "X-Linkdesk-Delivery": uid,
        "X-Linkdesk-Timestamp": timestamp,
        "X-Linkdesk-Signature": sign(secret, raw),
    }
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    problem = None
    for address in target.addresses:
        connection = kind(str(address), target.host, target.port, current_app.config["LINKDESK_NOTIFY_TIMEOUT_SECONDS"])
        try:
            connection.request("POST", target.request_target, body=raw, headers=headers)
            status = connection.getresponse().status
        except (OSError, http.client.HTTPException) as error:
            problem = f"无法连接 Webhook：{type(error).__name__}"
            continue
        finally:
            connection.close()
        if 200 <= status < 300:
            return
        raise WebhookError(f"Webhook 返回 HTTP {status}")
    raise WebhookError(problem or "无法连接 Webhook")
