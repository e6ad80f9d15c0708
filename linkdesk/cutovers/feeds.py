"""Secret iCalendar feeds of the cutover calendar, one per user, revocable."""
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select

from ..accounts.passwords import new_token, token_digest
from ..extensions import db
from ..models import CalendarFeed, User
from ..models.types import utcnow
from .schedule import Cutover, cutovers_between

PAST_DAYS, FUTURE_DAYS = 60, 200  # what a subscribed calendar program is sent


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
    feed.last_used_at = utcnow()
    db.session.commit()
    return feed.user


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
    event.add("description", f"工单 {cutover.number}（{cutover.status.label}）\n"
                             f"原地址：{cutover.old_url or '（无）'}\n新地址：{cutover.new_url}")
    event.add("url", url)
    event.add("status", "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    return event
