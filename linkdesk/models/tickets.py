"""Link-change tickets (工单), review decisions and the append-only audit trail."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
    false,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .registry import Center, Service
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
# SQLite's search index over ticket number and addresses: an FTS5 trigram table, external content
# (rowid = ticket.id), kept in step with ``ticket`` by triggers (migration 0012).
SEARCH_TABLE = "ticket_search"
POSTGRESQL_ONLY_INDEXES = {"ix_ticket_search_trgm"}


class ReviewStage(StrEnum):
    PROVINCE = "province"
    MINISTRY = "ministry"

    @property
    def label(self) -> str:
        return {ReviewStage.PROVINCE: "省级审核", ReviewStage.MINISTRY: "部级审核"}[self]


class Decision(StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"

    @property
    def label(self) -> str:
        return {Decision.APPROVE: "批准", Decision.RETURN: "退回修改", Decision.REJECT: "驳回"}[self]


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
        # Any part of the number or of an address (issue 16), on PostgreSQL. SQLite's trigram index
        # is an FTS5 table that a model cannot declare: SEARCH_TABLE, built by migration 0012.
        Index(
            "ix_ticket_search_trgm",
            "number",
            "old_url",
            "new_url",
            postgresql_using="gin",
            postgresql_ops={"number": "gin_trgm_ops", "old_url": "gin_trgm_ops", "new_url": "gin_trgm_ops"},
            postgresql_with={"fastupdate": "off"},
        ).ddl_if(dialect="postgresql"),
        CheckConstraint(
            "(status = 'pending') = (stage IS NOT NULL)", name="stage_only_while_pending"
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(
            "emergency = false OR emergency_reason IS NOT NULL", name="emergency_needs_reason"
        ),
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
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[TicketStatus] = mapped_column(enum_column(TicketStatus, "ticket_status"), index=True)
    stage: Mapped[ReviewStage | None] = mapped_column(enum_column(ReviewStage, "review_stage"))
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    center: Mapped[Center] = relationship()
    service: Mapped[Service] = relationship()
    created_by: Mapped[User] = relationship()
    events: Mapped[list["AuditEvent"]] = relationship(
        back_populates="ticket", order_by="AuditEvent.id", viewonly=True
    )
    attachments: Mapped[list["TicketAttachment"]] = relationship(
        back_populates="ticket", order_by="TicketAttachment.id", viewonly=True
    )

    # Every UPDATE checks and bumps the version: a concurrent writer loses with StaleDataError.
    __mapper_args__ = {"version_id_col": version}

    @property
    def current_warnings(self) -> list[dict]:
        """The warnings that still concern the ticket: a full day or a blackout matters only
        while the cutover is still to come (not on a cancelled, rejected or completed ticket)."""
        if self.status in OPEN_STATUSES:
            return self.warnings or []
        return [w for w in self.warnings or [] if w.get("code") not in LOAD_WARNINGS]

    def __repr__(self) -> str:
        return f"<Ticket {self.number} {self.status}>"


class TicketNumberCounter(db.Model):
    """The last ticket number handed out in a year; numbers are never reused."""

    __tablename__ = "ticket_number_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class ReviewDecision(db.Model):
    """A reviewer's decision on one version of a ticket at one stage."""

    __tablename__ = "review_decision"
    __table_args__ = (
        CheckConstraint(
            "decision = 'approve' OR comment IS NOT NULL", name="comment_unless_approve"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    stage: Mapped[ReviewStage] = mapped_column(enum_column(ReviewStage, "decision_stage"))
    decision: Mapped[Decision] = mapped_column(enum_column(Decision, "decision"))
    comment: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)  # decided_by=me
    ticket_version: Mapped[int]
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    reviewer: Mapped[User] = relationship()


ATTACHMENT_TYPES = ("application/pdf", "image/png", "image/jpeg")


class TicketAttachment(db.Model):
    """A document on a ticket (盖章公函, ICP filing screenshot…), its bytes kept in the database.

    Stored in the ticket's own transaction, so a backup of the database is a backup of the
    evidence and several app servers share it. ``reviewed`` is set once a reviewer decides on
    the ticket while the file is attached: from then on it is part of the record and stays.
    """

    __tablename__ = "ticket_attachment"
    __table_args__ = (
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint(
            "content_type IN ('application/pdf', 'image/png', 'image/jpeg')", name="known_content_type"
        ),
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
