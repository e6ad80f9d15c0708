"""The overview's figures kept at write time, so that reading them does not grow with the history
(issue 23: "counts from indexes or maintained counters, aggregates by SQL not Python").

Two kinds of fact, each written in the transaction of the change it describes, by an explicit call
of the operation (or of ``workflow.move``) that makes the change:

- ``decided``: each ``ReviewDecision`` is created here with the ticket's province and
  ``waited_seconds``, how long the ticket had been at the decided stage since its latest *move*
  into it (filed, resubmitted after a return, or forwarded by the province; an edit, an attachment
  or a calendar flag while it waits is not a move). A decision never changes, so neither does its
  wait; it is added to its week's histogram of waits (``wait_weeks``), from which the medians are
  taken, instead of replaying every decision's audit trail in Python.
- ``TicketDayCount``, one row per (Beijing day, province): the day's "submit" and "complete"
  audit events (``count_event``, called by ``workflow.move``), and the tickets whose current
  submission time falls on the day with how many of them ask for the earliest cutover E(D)
  (``count_submission``, called by the operations that file, edit and resubmit). A ticket
  resubmitted or given a new address moves from one day's row to another's (-1, +1).
  ``NationDayCount`` holds the same counts summed over the provinces, one row a day: a year of
  trends then reads 366 rows in any scope, whatever the number of tickets.

Rows written around these calls (the benchmarks' bulk loads) are counted again by ``rebuild``; the
migrations that introduced the rows (0014, 0017) computed them for the history they found.

Per province, not per center: every scope that may see the overview (a province, the nation) is
a set of provinces, and a province's rows stay few (a center's would be ~11 times as many).
"""

from collections import Counter
from datetime import date, datetime

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import (
    AuditEvent,
    Center,
    Decision,
    NationDayCount,
    ReviewDecision,
    ReviewStage,
    Ticket,
    TicketDayCount,
    TicketStatus,
    User,
)
from ..models.types import utcnow
from ..workdays.calendar import local_date
from . import wait_weeks

FILED, COMPLETED = "submit", "complete"  # the audit actions counted as filed and completed
COUNTS = ("filed", "completed", "submitted", "minimum_lead")
Submission = tuple[date, int, bool]  # (Beijing day of the submission, center id, asks for E(D))


def moved_into(stage):
    """The condition on AuditEvent "the ticket moved into pending at ``stage`` here" (a stage's
    value, or a column holding one)."""
    return (
        (AuditEvent.to_status == TicketStatus.PENDING.value)
        & (AuditEvent.to_stage == stage)
        & or_(AuditEvent.from_status.is_distinct_from(TicketStatus.PENDING.value), AuditEvent.from_stage.is_distinct_from(stage))
    )


# -- Decisions -----------------------------------------------------------------------------------


def decided(
    ticket: Ticket, stage: ReviewStage, decision: Decision, reviewer: User, comment: str | None = None, decided_at: datetime | None = None
) -> ReviewDecision:
    """Add a reviewer's decision on the ticket's current version, with its province and its wait,
    and count the wait in its week's histogram; in the caller's transaction."""
    decided_at = decided_at or utcnow()
    since = db.session.scalar(
        select(func.max(AuditEvent.at)).where(AuditEvent.ticket_id == ticket.id, moved_into(stage.value), AuditEvent.at <= decided_at)
    )
    row = ReviewDecision(
        ticket=ticket,
        stage=stage,
        decision=decision,
        comment=comment,
        reviewer=reviewer,
        ticket_version=ticket.version,
        decided_at=decided_at,
        province_id=ticket.center.province_id,
        waited_seconds=None if since is None else (decided_at - since).total_seconds(),
    )
    db.session.add(row)
    if row.waited_seconds is not None:
        wait_weeks.add(
            db.session.connection(), {(row.province_id, stage, wait_weeks.week_of(local_date(decided_at))): [row.waited_seconds]}
        )
    return row


# -- Day counts ----------------------------------------------------------------------------------


def submission(ticket: Ticket) -> Submission | None:
    """(day, center, asks for E(D)) of a ticket as it stands, or None before it has a submission."""
    center_id = ticket.center_id if ticket.center_id is not None else (ticket.center.id if ticket.center else None)
    if ticket.submitted_at is None or center_id is None:
        return None
    minimum = ticket.cutover_date is not None and ticket.earliest_cutover is not None and ticket.cutover_date <= ticket.earliest_cutover
    return local_date(ticket.submitted_at), center_id, minimum


def count_submission(before: Submission | None, ticket: Ticket) -> None:
    """Move the ticket's submission from the day it was counted on (``before``, None for a new
    ticket) to the day it has now, when that changed."""
    after = submission(ticket)
    if before == after:
        return
    deltas: dict[tuple[date, int], Counter] = {}
    for counted, sign in ((before, -1), (after, 1)):
        if counted is not None:
            day, center_id, minimum = counted
            counts = deltas.setdefault((day, center_id), Counter())
            counts["submitted"] += sign
            counts["minimum_lead"] += sign if minimum else 0
    _apply(db.session.connection(), deltas)


def count_event(ticket: Ticket, action: str, at: datetime) -> None:
    """Count a filing ("submit") or a completion ("complete") on its Beijing day."""
    if action not in (FILED, COMPLETED):
        return
    center_id = ticket.center_id if ticket.center_id is not None else ticket.center.id
    column = "filed" if action == FILED else "completed"
    _apply(db.session.connection(), {(local_date(at), center_id): Counter({column: 1})})


def _apply(connection, deltas: dict[tuple[date, int], Counter]) -> None:
    """Add the deltas to ticket_day_count by (day, province), then to nation_day_count by day.
    Rows are taken in one order (the provinces' by key, then the nation's by day): no deadlock
    between writers."""
    provinces = dict(connection.execute(select(Center.id, Center.province_id).where(Center.id.in_({center for _, center in deltas}))).all())
    by_province: dict[tuple[date, int], Counter] = {}
    by_day: dict[date, Counter] = {}
    for (day, center_id), counts in deltas.items():
        by_province.setdefault((day, provinces[center_id]), Counter()).update(counts)
        by_day.setdefault(day, Counter()).update(counts)
    for (day, province_id), counts in sorted(by_province.items()):
        _add_counts(connection, TicketDayCount.__table__, {"day": day, "province_id": province_id}, counts)
    for day, counts in sorted(by_day.items()):
        _add_counts(connection, NationDayCount.__table__, {"day": day}, counts)


def _add_counts(connection, table, key: dict, counts: Counter) -> None:
    """Upsert one row's deltas."""
    values = {column: counts[column] for column in COUNTS}
    if not any(values.values()):
        return
    if min(values.values()) < 0:
        # Taking back a counted submission: its row exists (and an insert's candidate row
        # would already fail the check on negative counts).
        connection.execute(
            update(table)
            .where(*(table.c[name] == value for name, value in key.items()))
            .values({column: table.c[column] + values[column] for column in COUNTS})
        )
        return
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(**key, **values)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c[name] for name in key],
            set_={column: table.c[column] + statement.excluded[column] for column in COUNTS},
        )
    )


def count_new_tickets(tickets) -> None:
    """Count tickets written straight to the database (the tests' bulk factory), as filing would
    have counted their submissions."""
    for ticket in tickets:
        count_submission(None, ticket)


# -- Rebuilding ----------------------------------------------------------------------------------


def rebuild() -> None:
    """Compute every maintained figure again from the tickets, the audit trail and the decisions
    (after rows were written around the operations, as the benchmarks' bulk loads do). The caller
    commits."""
    _rebuild_decisions()
    wait_weeks.rebuild()
    db.session.execute(delete(TicketDayCount))
    db.session.execute(delete(NationDayCount))
    deltas: dict[tuple[date, int], Counter] = {}
    events = (
        select(AuditEvent.at, AuditEvent.action, Ticket.center_id)
        .join(Ticket, Ticket.id == AuditEvent.ticket_id)
        .where(AuditEvent.action.in_((FILED, COMPLETED)))
    )
    for at, action, center_id in db.session.execute(events):
        deltas.setdefault((local_date(at), center_id), Counter())["filed" if action == FILED else "completed"] += 1
    tickets = select(Ticket.submitted_at, Ticket.center_id, case((Ticket.cutover_date <= Ticket.earliest_cutover, 1), else_=0))
    for submitted_at, center_id, minimum in db.session.execute(tickets):
        counts = deltas.setdefault((local_date(submitted_at), center_id), Counter())
        counts["submitted"] += 1
        counts["minimum_lead"] += minimum
    if deltas:
        _apply(db.session.connection(), deltas)


def _rebuild_decisions() -> None:
    reached = (
        select(func.max(AuditEvent.at))
        .where(
            AuditEvent.ticket_id == ReviewDecision.ticket_id, AuditEvent.at <= ReviewDecision.decided_at, moved_into(ReviewDecision.stage)
        )
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(ReviewDecision.id, Center.province_id, ReviewDecision.decided_at, reached)
        .join(Ticket, Ticket.id == ReviewDecision.ticket_id)
        .join(Center, Center.id == Ticket.center_id)
    ).all()
    db.session.execute(
        db.update(ReviewDecision),
        [
            {"id": id_, "province_id": province_id, "waited_seconds": None if since is None else (decided_at - since).total_seconds()}
            for id_, province_id, decided_at, since in rows
        ],
    )
