"""Link-change tickets (工单), review decisions and the append-only audit trail."""

from contextlib import nullcontext
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    inspect,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, object_session, relationship

from ..extensions import db
from .accounts import Role, User
from .registry import Center, Province, Service
from .types import UTCDateTime, enum_column, utcnow


class TicketStatus(StrEnum):
    PENDING = "pending"
    RETURNED = "returned"
    APPROVED = "approved"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    TicketStatus.PENDING: "审核中",
    TicketStatus.RETURNED: "已退回修改",
    TicketStatus.APPROVED: "已批准待切换",
    TicketStatus.COMPLETED: "已切换",
    TicketStatus.REJECTED: "已驳回",
    TicketStatus.WITHDRAWN: "已撤回",
    TicketStatus.CANCELLED: "已取消",
}

# A link has at most one ticket in these states: the change is still under way.
OPEN_STATUSES = (TicketStatus.PENDING, TicketStatus.RETURNED, TicketStatus.APPROVED)
LOAD_WARNINGS = ("day_full", "blackout")  # about the cutover day's load, set at filing and at decisions
_OPEN_SQL = "status IN ('pending', 'returned', 'approved')"
# On the cutover calendar for good (approved or completed): the month grid's partial index.
SCHEDULED_STATUSES = (TicketStatus.APPROVED, TicketStatus.COMPLETED)
_SCHEDULED_SQL = "status IN ('approved', 'completed')"
# The warnings a list can be narrowed to. Emergency and provisional are columns and the probe's
# warning has its own: each of these is found by the condition its partial index states (the list's
# filter states it literally, as SQLite requires to use it), on SQLite and on PostgreSQL. The others
# are codes of the filing rules' warnings, rows of ``ticket_warning`` found by its (code, ticket) index.
COLUMN_WARNING_SQL = {
    "emergency": ("emergency = 1", "emergency"),
    "provisional": ("provisional = 1", "provisional"),
    "probe": ("probe_warning IS NOT NULL",) * 2,
}
WARNING_FILTERS = ("http", "emergency", "host_changed", "day_full", "blackout", "provisional", "probe", "non_gov_domain")
# SQLite's search index over ticket number and addresses: an FTS5 trigram table, external content
# (rowid = ticket.id), kept in step with ``ticket`` by triggers (migration 0015).
SEARCH_TABLE = "ticket_search"
POSTGRESQL_ONLY_INDEXES = {"ix_ticket_search_trgm"}


class ReviewStage(StrEnum):
    PROVINCE = "province"
    MINISTRY = "ministry"

    @property
    def label(self) -> str:
        return {ReviewStage.PROVINCE: "省级审核", ReviewStage.MINISTRY: "部级审核"}[self]


# Who reviews at each stage, and the stage each reviewer role decides at.
STAGE_REVIEWER: dict[ReviewStage, Role] = {
    ReviewStage.PROVINCE: Role.PROVINCE_REVIEWER,
    ReviewStage.MINISTRY: Role.MINISTRY_REVIEWER,
}
REVIEWER_STAGE: dict[Role, ReviewStage] = {role: stage for stage, role in STAGE_REVIEWER.items()}


class Decision(StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"

    @property
    def label(self) -> str:
        return {Decision.APPROVE: "批准", Decision.RETURN: "退回修改", Decision.REJECT: "驳回"}[self]


def _no_autoflush(row):
    """A block in which reading the row's relationships flushes nothing of its session: a ticket
    being changed is written by the workflow's move, on the version the actor saw, not midway."""
    session = object_session(row)
    return session.no_autoflush if session is not None else nullcontext()


class Ticket(db.Model):
    """A center's request to change one link address on a cutover date."""

    __tablename__ = "ticket"
    __table_args__ = (
        # One open change per link, decided by the database itself so that two requests
        # posted at the same moment cannot both win.
        Index(
            "uq_ticket_open_per_link",
            "center_id",
            "service_id",
            unique=True,
            sqlite_where=db.text(_OPEN_SQL),
            postgresql_where=db.text(_OPEN_SQL),
        ),
        # The calendar, its feeds and the API's pages; the home page's open counts (issue 23).
        Index("ix_ticket_status_cutover_date", "status", "cutover_date"),
        Index("ix_ticket_cutover_date_id", "cutover_date", "id"),
        Index("ix_ticket_status_center_id", "status", "center_id"),
        # The month grid: each day's first cutovers and its totals in any scope, read from the
        # index alone however long the history (a query must state the condition literally).
        Index(
            "ix_ticket_scheduled_day",
            "cutover_date",
            "center_id",
            "service_id",
            "id",
            sqlite_where=db.text(_SCHEDULED_SQL),
            postgresql_where=db.text(_SCHEDULED_SQL),
        ),
        # A list narrowed to a warning that few tickets carry (an emergency) reads them from these
        # instead of walking every ticket (issue 23); the codes of ``warnings`` have their own table.
        *(
            Index(
                f"ix_ticket_warning_{code}", "submitted_at", "id", sqlite_where=db.text(on_sqlite), postgresql_where=db.text(on_postgresql)
            )
            for code, (on_sqlite, on_postgresql) in COLUMN_WARNING_SQL.items()
        ),
        # Any part of the number or of an address (issue 16), on PostgreSQL. SQLite's trigram index
        # is an FTS5 table that a model cannot declare: SEARCH_TABLE, built by migration 0015.
        Index(
            "ix_ticket_search_trgm",
            "number",
            "old_url",
            "new_url",
            postgresql_using="gin",
            postgresql_ops={"number": "gin_trgm_ops", "old_url": "gin_trgm_ops", "new_url": "gin_trgm_ops"},
            postgresql_with={"fastupdate": "off"},
        ).ddl_if(dialect="postgresql"),
        CheckConstraint("(status = 'pending') = (stage IS NOT NULL)", name="stage_only_while_pending"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("emergency = false OR emergency_reason IS NOT NULL", name="emergency_needs_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("center.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    old_url: Mapped[str | None] = mapped_column(Text)
    new_url: Mapped[str] = mapped_column(Text)
    cutover_date: Mapped[date] = mapped_column(Date, index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # lists sorted by filing time
    submitted_on: Mapped[date] = mapped_column(Date)  # D: local date in Asia/Shanghai
    earliest_cutover: Mapped[date] = mapped_column(Date)  # E(D) it was judged by
    provisional: Mapped[bool] = mapped_column(default=False)
    emergency: Mapped[bool] = mapped_column(default=False)
    emergency_reason: Mapped[str | None] = mapped_column(Text)
    http_justification: Mapped[str | None] = mapped_column(Text)
    icp_number: Mapped[str | None] = mapped_column(String(32))  # ICP备案号 of the new address's host
    # A reviewer returned the ticket asking for a document (e.g. 盖章公函): resubmission needs a new one.
    evidence_requested: Mapped[bool] = mapped_column(default=False, server_default=false())
    reason: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(String(64))
    contact_phone: Mapped[str] = mapped_column(String(32))
    # The filing-time probe of new_url (links/filing_probe.py), run after the commit, off the
    # request: when it was asked for (None once it finished, or when none was), when it finished,
    # and its warning when the address was not healthy. Only that probe and a change of address
    # write these three, so the probe stores its result without touching ``warnings`` and without
    # bumping ``version``.
    probe_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    probed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    probe_warning: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    status: Mapped[TicketStatus] = mapped_column(enum_column(TicketStatus, "ticket_status"), index=True)
    stage: Mapped[ReviewStage | None] = mapped_column(enum_column(ReviewStage, "review_stage"))
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    center: Mapped[Center] = relationship()
    service: Mapped[Service] = relationship()
    created_by: Mapped[User] = relationship()
    events: Mapped[list["AuditEvent"]] = relationship(back_populates="ticket", order_by="AuditEvent.id", viewonly=True)
    attachments: Mapped[list["TicketAttachment"]] = relationship(back_populates="ticket", order_by="TicketAttachment.id", viewonly=True)
    # Read and written as ``warnings``; a list of tickets that shows them loads them with
    # ``selectinload(Ticket.warning_rows)`` (one statement for the page).
    warning_rows: Mapped[list["TicketWarning"]] = relationship(
        back_populates="ticket", order_by="TicketWarning.position", cascade="all, delete-orphan"
    )

    # Every UPDATE checks and bumps the version: a concurrent writer loses with StaleDataError.
    __mapper_args__ = {"version_id_col": version}

    @property
    def warnings(self) -> list[dict]:
        """The filing rules' warnings for reviewers, in the order they were given: ``{"code", "message"}``
        each (the filing rules, the cutover day's load, a calendar import)."""
        with _no_autoflush(self):
            return [row.as_dict() for row in self.warning_rows]

    @warnings.setter
    def warnings(self, warnings: list[dict]) -> None:
        """Replace the warnings by ``warnings`` (at most one of a code). A code the ticket keeps keeps
        its row; when the list changes, the ticket's row is written too, so that its version moves
        as when the warnings were a column of it."""
        given = [TicketWarning.fields_of(warning) for warning in warnings or ()]
        codes = [code for code, _ in given]
        if len(set(codes)) != len(codes):
            raise ValueError(f"a ticket holds one warning of a code: {codes}")
        with _no_autoflush(self):  # loading the rows must not write the ticket's pending change (and its version)
            current = list(self.warning_rows)
        if [row.as_dict() for row in current] == [{"code": c, "message": m} for c, m in given]:
            return
        rows = {row.code: row for row in current}
        kept = []
        for position, (code, message) in enumerate(given):
            row = rows.get(code) or TicketWarning(code=code)
            row.position, row.message = position, message
            kept.append(row)
        self.warning_rows = kept
        if inspect(self).has_identity:
            self.updated_at = utcnow()

    @property
    def all_warnings(self) -> list[dict]:
        """The filing rules' warnings, then the filing-time probe's (when it found a problem)."""
        return (self.warnings or []) + ([self.probe_warning] if self.probe_warning else [])

    @property
    def current_warnings(self) -> list[dict]:
        """The warnings that still concern the ticket: a full day or a blackout matters only
        while the cutover is still to come (not on a cancelled, rejected or completed ticket)."""
        if self.status in OPEN_STATUSES:
            return self.all_warnings
        return [w for w in self.all_warnings if w.get("code") not in LOAD_WARNINGS]

    def __repr__(self) -> str:
        return f"<Ticket {self.number} {self.status}>"


class TicketWarning(db.Model):
    """One of a ticket's warnings for reviewers (提示): the code a rule names it by (``http``,
    ``host_changed``, ``day_full``, ``calendar_changed``…) and the message shown; read and written
    through ``Ticket.warnings``. A ticket holds at most one warning of a code, kept at its place
    in the list (``position``). A list narrowed to a code finds its tickets by (code, ticket)."""

    __tablename__ = "ticket_warning"
    __table_args__ = (
        UniqueConstraint("ticket_id", "code"),  # one warning of a code per ticket, as every rule writes them
        Index("ix_ticket_warning_code_ticket", "code", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="warning_rows")

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}

    @staticmethod
    def fields_of(warning: dict) -> tuple[str, str]:
        """(code, message) of a warning given as a dict; anything else in it would be lost, so refused."""
        if not isinstance(warning, dict) or not set(warning) <= {"code", "message"} or not warning.get("code"):
            raise ValueError(f"a ticket warning is {{'code', 'message'}}, not {warning!r}")
        return warning["code"], warning.get("message") or ""


class TicketNumberCounter(db.Model):
    """The last ticket number handed out in a year; numbers are never reused."""

    __tablename__ = "ticket_number_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class ReviewDecision(db.Model):
    """A reviewer's decision on one version of a ticket at one stage.

    ``province_id`` and ``waited_seconds`` are facts of the moment the decision is written (the
    ticket's province, and how long the ticket had been at the stage since its latest move into
    it), set by ``tickets.figures.decided`` as the decision is made and never changed: the overview's median review times
    read them from one index instead of replaying the audit trail (issue 23).
    """

    __tablename__ = "review_decision"
    __table_args__ = (
        CheckConstraint("decision = 'approve' OR comment IS NOT NULL", name="comment_unless_approve"),
        # The overview's review times over a period: national, and in one province.
        Index("ix_review_decision_waits", "decided_at", "province_id", "stage", "waited_seconds"),
        Index("ix_review_decision_province_waits", "province_id", "decided_at", "stage", "waited_seconds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    stage: Mapped[ReviewStage] = mapped_column(enum_column(ReviewStage, "decision_stage"))
    decision: Mapped[Decision] = mapped_column(enum_column(Decision, "decision"))
    comment: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)  # decided_by=me
    ticket_version: Mapped[int]
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"))
    # None only when the audit trail shows no move into the stage (never for a decision made here).
    waited_seconds: Mapped[float | None] = mapped_column(Double)

    ticket: Mapped[Ticket] = relationship()
    reviewer: Mapped[User] = relationship()
    province: Mapped[Province] = relationship()


ATTACHMENT_TYPES = ("application/pdf", "image/png", "image/jpeg")


class DayCounts:
    """The overview's counts of one Beijing day, kept by ``tickets.figures`` in the transaction
    of each change they count (issue 23):

    - ``filed``, ``completed``: the day's "submit" and "complete" audit events (append-only);
    - ``submitted``: tickets whose current submission time falls on the day (a resubmission or a
      new address moves a ticket to another day), ``minimum_lead`` those of them asking for the
      earliest allowed cutover E(D).
    """

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    filed: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    submitted: Mapped[int] = mapped_column(default=0)
    minimum_lead: Mapped[int] = mapped_column(default=0)


COUNTS_NOT_NEGATIVE = "filed >= 0 AND completed >= 0 AND submitted >= 0 AND minimum_lead >= 0"


class TicketDayCount(DayCounts, db.Model):
    """A day's counts in one province (``DayCounts``)."""

    __tablename__ = "ticket_day_count"
    __table_args__ = (
        Index("ix_ticket_day_count_province_day", "province_id", "day"),
        CheckConstraint(COUNTS_NOT_NEGATIVE, name="counts_not_negative"),
    )

    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), primary_key=True, sort_order=1)  # key (day, province)


class NationDayCount(DayCounts, db.Model):
    """A day's counts in the whole country: the sum of its ``TicketDayCount`` rows, kept with
    them, so that the national trends read one row a day rather than one per province."""

    __tablename__ = "nation_day_count"
    __table_args__ = (CheckConstraint(COUNTS_NOT_NEGATIVE, name="counts_not_negative"),)


class ReviewWaitWeek(db.Model):
    """The review waits of one province at one stage, from the first decision up to the Sunday
    ending the week that starts on ``week`` (a Monday, Beijing days): a histogram of
    ``tickets.wait_weeks`` (``Waits.stored``). Kept by that module in the transaction of each
    decision (issue 23), so that a period's median wait reads two of these rows per province and
    stage, not every decision."""

    __tablename__ = "review_wait_week"

    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), primary_key=True)
    stage: Mapped[ReviewStage] = mapped_column(enum_column(ReviewStage, "wait_stage"), primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    waits: Mapped[dict] = mapped_column(JSON)


class TicketAttachment(db.Model):
    """A document on a ticket (盖章公函, ICP filing screenshot…), its bytes kept in the database.

    Stored in the ticket's own transaction, so a backup of the database is a backup of the
    evidence and several app servers share it. ``reviewed`` is set once a reviewer decides on
    the ticket while the file is attached: from then on it is part of the record and stays.
    """

    __tablename__ = "ticket_attachment"
    __table_args__ = (
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint("content_type IN ('application/pdf', 'image/png', 'image/jpeg')", name="known_content_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Deferred: lists and pages read the metadata; only a download loads the bytes.
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed: Mapped[bool] = mapped_column(default=False)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User] = relationship()


class AuditEvent(db.Model):
    """An append-only record of a state change or decision: who, role, when (UTC), from, to."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    from_stage: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    to_stage: Mapped[str | None] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(Text)
    # An edit's or resubmission's changed fields: [{"field", "old", "new"}] (None for other events).
    changes: Mapped[list | None] = mapped_column(JSON)

    ticket: Mapped[Ticket | None] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _audit_events_are_append_only(_mapper, _connection, target):
    raise ValueError("audit events are append-only")
