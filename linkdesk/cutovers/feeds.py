"""Secret iCalendar feeds of the cutover calendar, one per user, revocable.

A calendar program polls its feed every few minutes. The feed covers a bounded window
(PAST_DAYS back, FUTURE_DAYS ahead), answers ``If-None-Match`` without rendering anything,
renders once per scope (the ministry, a province, a center) until the calendar changes, and
writes the feed's ``last_used_at`` at most hourly.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import or_, select, update

from ..accounts.access import scope_key
from ..accounts.passwords import new_token, token_digest
from ..extensions import db
from ..models import CalendarFeed, User
from ..models.types import utcnow
from .schedule import Cutover, calendar_generation, cutovers_between

PAST_DAYS, FUTURE_DAYS = 90, 400  # what a subscribed calendar program is sent
LAST_USED_PRECISION = timedelta(hours=1)
RENDER_CACHE_BYTES = 64 * 1024 * 1024  # per process; a national feed is a few MB


def issue_feed(user: User) -> str:
    """A new secret feed token for the user; any earlier one stops working."""
    token = new_token()
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        db.session.add(feed)
    feed.digest, feed.created_at, feed.last_used_at = token_digest(token), utcnow(), None
    db.session.commit()
    return token


def revoke_feed(user: User) -> bool:
    """Stop the user's feed; True when there was one."""
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        return False
    db.session.delete(feed)
    db.session.commit()
    return True


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def user_for_feed(token: str) -> User | None:
    """The active user whose feed this token opens, or None (unknown, revoked, deactivated)."""
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.digest == token_digest(token)))
    if feed is None or not feed.user.active:
        return None
    user, now = feed.user, utcnow()
    if feed.last_used_at is None or now - feed.last_used_at >= LAST_USED_PRECISION:
        # Conditional: a poll within the hour writes nothing, two polls at once write once.
        db.session.execute(
            update(CalendarFeed)
            .where(
                CalendarFeed.id == feed.id,
                or_(CalendarFeed.last_used_at.is_(None), CalendarFeed.last_used_at <= now - LAST_USED_PRECISION),
            )
            .values(last_used_at=now)
        )
        db.session.commit()
    return user


def feed_etag(user: User, today: date, base_url: str) -> str:
    """The entity tag of the user's feed today: it changes when the calendar does (any ticket
    change), with the day (the window moves) and with the scope, and costs one indexed query."""
    key = f"{scope_key(user)}|{today}|{PAST_DAYS}|{FUTURE_DAYS}|{calendar_generation()}|{base_url}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def cached_ical(user: User, today: date, etag: str, link_for: Callable[[int], str]) -> bytes:
    """``ical_for`` rendered once per scope and entity tag in this process, then served from memory."""
    key = (scope_key(user), etag)
    body = _rendered.get(key)
    if body is None:
        body = ical_for(user, today, link_for)
        _rendered.put(key, body)
    return body


class _RenderCache:
    """Rendered feeds, least recently used dropped first beyond ``limit`` bytes; thread-safe."""

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key: tuple, body: bytes) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = body
            self.size += len(body)
            while self.size > self.limit and len(self._items) > 1:
                self.size -= len(self._items.popitem(last=False)[1])


_rendered = _RenderCache(RENDER_CACHE_BYTES)


def ical_for(user: User, today: date, link_for) -> bytes:
    """The user's cutovers from PAST_DAYS ago to FUTURE_DAYS ahead as iCalendar, one all-day
    event per ticket with a UID that never changes (calendar programs update, not duplicate)."""
    calendar = Calendar()
    calendar.add("prodid", "-//linkdesk//cutover calendar//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "公积金小程序链接切换日历")
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    stamp = utcnow()
    for cutover in cutovers_between(user, today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS)):
        calendar.add_component(_event(cutover, stamp, link_for(cutover.ticket_id)))
    return calendar.to_ical()


def _event(cutover: Cutover, stamp: datetime, url: str) -> Event:
    event = Event()
    event.add("uid", f"{cutover.number}@linkdesk")
    event.add("dtstamp", stamp)
    event.add("dtstart", cutover.cutover_date)
    event.add("dtend", cutover.cutover_date + timedelta(days=1))
    prefix = "【紧急】" if cutover.emergency else ""
    event.add("summary", f"{prefix}{cutover.center_name} · {cutover.service_name} 链接切换")
    event.add(
        "description", f"工单 {cutover.number}（{cutover.status.label}）\n原地址：{cutover.old_url or '（无）'}\n新地址：{cutover.new_url}"
    )
    event.add("url", url)
    event.add("status", "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    return event
