"""What the desk's database says at the moment Prometheus scrapes: outbox backlog and deliveries,
link and filing probes, tickets by status and stage, overdue reviews, workers' heartbeats.

Counted by SQL at scrape time (a custom collector), so that every gunicorn worker and every server
reports the same figures and nothing has to be kept in step. Labels are closed sets (statuses,
stages, channel kinds, probe results, hosts): never a user, a ticket or a path.
"""

import logging

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..links.filing_probe import UNFINISHED_AFTER
from ..models import (
    ChannelKind,
    LinkCheck,
    LinkRecord,
    MessageStatus,
    NotificationChannel,
    OutboxMessage,
    ReviewStage,
    Ticket,
    TicketStatus,
    WorkerHeartbeat,
)
from ..models.tickets import OPEN_STATUSES
from ..models.types import utcnow
from ..tickets.deadlines import review_clock
from ..workdays.calendar import local_date
from ..workdays.schedules import current_calendar

log = logging.getLogger(__name__)

BACKLOG = (MessageStatus.PENDING, MessageStatus.SENDING)
DELIVERY_RESULTS = ("sent", "parked", "sending", "retrying", "queued")
PROBE_STATES = ("pending", "unfinished", "warned", "passed", "none")


class DeskCollector:
    """A prometheus_client collector of the desk's state, read from the database per scrape."""

    def __init__(self, config):
        self.config = config

    def describe(self):
        return []  # computed per scrape: nothing to check at registration

    def collect(self):
        up = GaugeMetricFamily("linkdesk_database_up", "1 when the scrape could read the database, else 0.")
        try:
            families = list(self._families())
        except SQLAlchemyError:
            db.session.rollback()
            log.warning("metrics: the database could not be read", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        finally:
            db.session.rollback()  # end the scrape's read transaction
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self):
        now = utcnow()
        yield from outbox_families(now)
        yield link_family()
        yield filing_probe_family(now)
        yield ticket_family()
        yield overdue_family(now, self.config)
        yield heartbeat_family(now)


def outbox_families(now):
    """Backlog (messages waiting or being sent), its oldest message's age, and every message by
    channel kind and result."""
    backlog, oldest = db.session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)).where(OutboxMessage.status.in_(BACKLOG))
    ).one()
    waiting = GaugeMetricFamily("linkdesk_outbox_backlog_messages", "Notifications not yet delivered (pending or being sent).")
    waiting.add_metric([], backlog)
    age = GaugeMetricFamily("linkdesk_outbox_oldest_age_seconds", "Age of the oldest undelivered notification (0: none).")
    age.add_metric([], _age(now, oldest))
    result = case(
        (OutboxMessage.status == MessageStatus.SENT, "sent"),
        (OutboxMessage.status == MessageStatus.FAILED, "parked"),
        (OutboxMessage.status == MessageStatus.SENDING, "sending"),
        (OutboxMessage.tries > 0, "retrying"),
        else_="queued",
    )
    deliveries = GaugeMetricFamily(
        "linkdesk_outbox_messages",
        "Notifications in the outbox by channel kind and result: sent, parked (failed after the last try), "
        "sending, retrying (failed, tried again later), queued (not tried yet).",
        labels=["channel_kind", "result"],
    )
    rows = db.session.execute(
        select(NotificationChannel.kind, result, func.count(OutboxMessage.id))
        .join(OutboxMessage.channel)
        .group_by(NotificationChannel.kind, result)
    )
    counts = dict.fromkeys(((kind.value, outcome) for kind in ChannelKind for outcome in DELIVERY_RESULTS), 0)
    counts.update({(_value(kind), outcome): count for kind, outcome, count in rows})
    for labels, count in counts.items():
        deliveries.add_metric(list(labels), count)
    return waiting, age, deliveries


def link_family():
    """Links of the registry by the result of their latest check."""
    result = case(
        (LinkRecord.last_check_id.is_(None), "unchecked"),
        (LinkCheck.healthy, "healthy"),
        else_=func.coalesce(LinkCheck.problem, "unhealthy"),
    )
    family = GaugeMetricFamily(
        "linkdesk_links", "Links of the registry by their latest check: healthy, a problem code, or unchecked.", labels=["result"]
    )
    rows = db.session.execute(
        select(result, func.count(LinkRecord.id)).outerjoin(LinkCheck, LinkCheck.id == LinkRecord.last_check_id).group_by(result)
    )
    for outcome, count in rows:
        family.add_metric([outcome], count)
    return family


def filing_probe_family(now):
    """Open tickets by the state of their filing-time probe (linkdesk.links.filing_probe)."""
    state = case(
        (Ticket.probe_requested_at >= now - UNFINISHED_AFTER, "pending"),
        (Ticket.probe_requested_at.is_not(None), "unfinished"),
        (Ticket.probe_warning.is_not(None), "warned"),
        (Ticket.probed_at.is_not(None), "passed"),
        else_="none",
    )
    family = GaugeMetricFamily(
        "linkdesk_filing_probes", "Open tickets by their filing-time probe: pending, unfinished, warned, passed, none.", labels=["state"]
    )
    rows = db.session.execute(select(state, func.count(Ticket.id)).where(Ticket.status.in_(OPEN_STATUSES)).group_by(state))
    counts = dict.fromkeys(PROBE_STATES, 0) | dict(rows.all())
    for name, count in counts.items():
        family.add_metric([name], count)
    return family


def ticket_family():
    """Tickets by status and review stage."""
    family = GaugeMetricFamily(
        "linkdesk_tickets", "Tickets by status and review stage (stage empty when none).", labels=["status", "stage"]
    )
    rows = db.session.execute(select(Ticket.status, Ticket.stage, func.count(Ticket.id)).group_by(Ticket.status, Ticket.stage))
    for status, stage, count in rows:
        family.add_metric([_value(status), _value(stage) if stage is not None else ""], count)
    return family


def overdue_family(now, config):
    """Pending tickets past their review deadline (审核截止), by the stage they wait at."""
    clock = review_clock(current_calendar(), local_date(now), config)
    family = GaugeMetricFamily("linkdesk_reviews_overdue", "Pending tickets past their review deadline, by review stage.", labels=["stage"])
    rows = db.session.execute(
        select(Ticket.stage, func.count(Ticket.id))
        .where(Ticket.status == TicketStatus.PENDING, clock.due_clause("overdue"))
        .group_by(Ticket.stage)
    )
    counts = dict.fromkeys((stage.value for stage in ReviewStage), 0) | {_value(stage): count for stage, count in rows}
    for stage, count in counts.items():
        family.add_metric([stage], count)
    return family


def heartbeat_family(now):
    """Per host, the age of its running workers' latest heartbeat (a worker that stopped cleanly
    is not counted; one killed outright ages until it is restarted)."""
    family = GaugeMetricFamily(
        "linkdesk_worker_heartbeat_age_seconds", "Seconds since the latest heartbeat of a worker, per host.", labels=["host"]
    )
    rows = db.session.execute(
        select(WorkerHeartbeat.host, func.max(WorkerHeartbeat.beat_at))
        .where(WorkerHeartbeat.stopped_at.is_(None))
        .group_by(WorkerHeartbeat.host)
    )
    for host, beat in rows:
        family.add_metric([host or ""], _age(now, beat))
    return family


def _age(now, moment) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment is not None else 0.0


def _value(member) -> str:
    return getattr(member, "value", member)
