"""The overview's figures kept at write time, so that reading them does not grow with the history
(issue 23: "counts from indexes or maintained counters, aggregates by SQL not Python").

Two kinds of fact, each written in the transaction of the change it describes:

- On each ``ReviewDecision``, as it is inserted: the ticket's province, and ``waited_seconds``,
  how long the ticket had been at the decided stage since its latest *move* into it (filed,
  resubmitted after a return, or forwarded by the province; an edit, an attachment or a calendar
  flag while it waits is not a move). A decision never changes, so neither does its wait;
  ``review_waits`` adds it to its week's histogram of waits, from which the medians are taken,
  instead of replaying every decision's audit trail in Python.
- ``TicketDayCount``, one row per (Beijing day, province): the day's "submit" and "complete"
  audit events, and the tickets whose current submission time falls on the day with how many of
  them ask for the earliest cutover E(D). Audit events are append-only, so their counts only
  grow; a ticket resubmitted or given a new address moves from one day's row to another's (-1,
  +1), in the same flush. ``NationDayCount`` holds the same counts summed over the provinces,
  one row a day, kept in the same statement batch: a year of trends then reads 366 rows in any
  scope, whatever the number of tickets.

The rows are kept by SQLAlchemy flush events, not by calls in each operation: every ORM write
(the workflow, the CLI, the factories in the tests) counts, and no operation can forget to.
Rows written around the ORM (the benchmarks' bulk loads) are counted again by ``rebuild``; the
migrations that introduced the rows (0014, 0017) computed them for the history they found.

Per province, not per center: every scope that may see the overview (a province, the nation) is
a set of provinces, and a province's rows stay few (a center's would be ~11 times as many).
"""
from collections import Counter
from datetime import date

from sqlalchemy import case, delete, event, func, inspect, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import AuditEvent, Center, NationDayCount, ReviewDecision, Ticket, TicketDayCount, TicketStatus
from ..models.types import utcnow
from ..workdays.calendar import local_date
from . import review_waits

FILED, COMPLETED = "submit", "complete"  # the audit actions counted as filed and completed
COUNTS = ("filed", "completed", "submitted", "minimum_lead")


def moved_into(stage):
    """The condition on AuditEvent "the ticket moved into pending at ``stage`` here" (a stage's
    value, or a column holding one)."""
    return (
        (AuditEvent.to_status == TicketStatus.PENDING.value)
        & (AuditEvent.to_stage == stage)
        & or_(AuditEvent.from_status.is_distinct_from(TicketStatus.PENDING.value),
              AuditEvent.from_stage.is_distinct_from(stage))
    )


@event.listens_for(ReviewDecision, "before_insert")
def _decision_facts(_mapper, connection, decision: ReviewDecision) -> None:
    """The decision's province and wait, read in one statement as it is inserted."""
    if decision.decided_at is None:
        decision.decided_at = utcnow()
    stage = decision.stage.value
    reached = (
        select(func.max(AuditEvent.at))
        .where(AuditEvent.ticket_id == decision.ticket_id, moved_into(stage), AuditEvent.at <= decision.decided_at)
        .scalar_subquery()
    )
    province = (
        select(Center.province_id).join(Ticket, Ticket.center_id == Center.id)
        .where(Ticket.id == decision.ticket_id).scalar_subquery()
    )
    decision.province_id, since = connection.execute(select(province, reached)).one()
    decision.waited_seconds = None if since is None else (decision.decided_at - since).total_seconds()


def _submission(ticket: Ticket, state: dict) -> tuple[date, int, bool] | None:
    """(day, center, asks for E(D)) of a ticket's state, or None when it has no submission."""
    if state["submitted_at"] is None or state["center_id"] is None:
        return None
    minimum = state["cutover_date"] is not None and state["earliest_cutover"] is not None \
        and state["cutover_date"] <= state["earliest_cutover"]
    return local_date(state["submitted_at"]), state["center_id"], minimum


TRACKED = ("submitted_at", "center_id", "cutover_date", "earliest_cutover")


def _states(ticket: Ticket, is_new: bool) -> tuple[dict | None, dict]:
    """The tracked attributes before and after this flush (before is None for a new ticket)."""
    after = {name: getattr(ticket, name) for name in TRACKED}
    if is_new:
        return None, after
    before, changed = {}, False
    for name in TRACKED:
        history = inspect(ticket).attrs[name].history
        changed = changed or history.has_changes()
        before[name] = history.deleted[0] if history.deleted else after[name]
    return (before if changed else after), after


def _ticket_center(connection, event_row: AuditEvent) -> int | None:
    ticket = event_row.__dict__.get("ticket")  # set by workflow.record; otherwise ask the database
    if ticket is not None and ticket.center_id is not None:
        return ticket.center_id
    return connection.scalar(select(Ticket.center_id).where(Ticket.id == event_row.ticket_id))


@event.listens_for(Session, "after_flush")
def _count_changes(session: Session, _context) -> None:
    """Add this flush's filings, completions and submissions to their days' rows."""
    deltas: dict[tuple[date, int], Counter] = {}

    def add(day: date, center_id: int, column: str, amount: int) -> None:
        deltas.setdefault((day, center_id), Counter())[column] += amount

    connection = None
    for row in session.new:
        if isinstance(row, AuditEvent) and row.action in (FILED, COMPLETED) and row.ticket_id is not None:
            connection = connection or session.connection()
            center_id = _ticket_center(connection, row)
            if center_id is not None:
                add(local_date(row.at), center_id, "filed" if row.action == FILED else "completed", 1)
    for row in (*session.new, *session.dirty):
        if not isinstance(row, Ticket):
            continue
        before, after = _states(row, row in session.new)
        old, new = (_submission(row, before) if before else None), _submission(row, after)
        if old == new:
            continue
        for submission, sign in ((old, -1), (new, 1)):
            if submission is not None:
                day, center_id, minimum = submission
                add(day, center_id, "submitted", sign)
                add(day, center_id, "minimum_lead", sign if minimum else 0)
    if deltas:
        _apply(connection or session.connection(), deltas)


def _apply(connection, deltas: dict[tuple[date, int], Counter]) -> None:
    """Add the deltas to ticket_day_count by (day, province), then to nation_day_count by day.
    Rows are taken in one order (the provinces' by key, then the nation's by day): no deadlock
    between writers."""
    provinces = dict(connection.execute(
        select(Center.id, Center.province_id).where(Center.id.in_({center for _, center in deltas}))
    ).all())
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
        connection.execute(update(table).where(*(table.c[name] == value for name, value in key.items()))
                           .values({column: table.c[column] + values[column] for column in COUNTS}))
        return
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(**key, **values)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in key],
        set_={column: table.c[column] + statement.excluded[column] for column in COUNTS},
    ))


def rebuild() -> None:
    """Compute every maintained figure again from the tickets, the audit trail and the decisions
    (after rows were written around the ORM, as the benchmarks' bulk loads do). The caller commits."""
    _rebuild_decisions()
    review_waits.rebuild()
    db.session.execute(delete(TicketDayCount))
    db.session.execute(delete(NationDayCount))
    deltas: dict[tuple[date, int], Counter] = {}
    events = select(AuditEvent.at, AuditEvent.action, Ticket.center_id).join(Ticket, Ticket.id == AuditEvent.ticket_id) \
        .where(AuditEvent.action.in_((FILED, COMPLETED)))
    for at, action, center_id in db.session.execute(events):
        deltas.setdefault((local_date(at), center_id), Counter())["filed" if action == FILED else "completed"] += 1
    tickets = select(Ticket.submitted_at, Ticket.center_id,
                     case((Ticket.cutover_date <= Ticket.earliest_cutover, 1), else_=0))
    for submitted_at, center_id, minimum in db.session.execute(tickets):
        counts = deltas.setdefault((local_date(submitted_at), center_id), Counter())
        counts["submitted"] += 1
        counts["minimum_lead"] += minimum
    if deltas:
        _apply(db.session.connection(), deltas)


def _rebuild_decisions() -> None:
    reached = (
        select(func.max(AuditEvent.at))
        .where(AuditEvent.ticket_id == ReviewDecision.ticket_id, AuditEvent.at <= ReviewDecision.decided_at,
               moved_into(ReviewDecision.stage))
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(ReviewDecision.id, Center.province_id, ReviewDecision.decided_at, reached)
        .join(Ticket, Ticket.id == ReviewDecision.ticket_id).join(Center, Center.id == Ticket.center_id)
    ).all()
    db.session.execute(db.update(ReviewDecision), [
        {"id": id_, "province_id": province_id,
         "waited_seconds": None if since is None else (decided_at - since).total_seconds()}
        for id_, province_id, decided_at, since in rows
    ])
