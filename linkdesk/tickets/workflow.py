"""The ticket workflow: routing, the state machine, and the audit trail.

``TRANSITIONS`` declares every action: the states it may start from, who may take it, and where
it leads. ``move()`` is the only way a ticket's status or stage changes: it checks the move
(a stale version loses with a Conflict), sets the status and stage, writes the ticket's row (which
bumps its version) and the audit event, keeps the day counts, and returns the domain event, which
the operation announces (``events``) before its one commit. Views, the API and the CLI call the
operations; none of them commit on their own.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import (
    OPEN_STATUSES,
    REVIEWER_STAGE,
    STAGE_REVIEWER,  # noqa: F401  (importable from the workflow, as before)
    AuditEvent,
    Center,
    LinkRecord,
    ProvinceKind,
    ReviewStage,
    Role,
    Service,
    Ticket,
    TicketStatus,
    User,
)
from ..models.types import utcnow
from ..workdays.calendar import BEIJING
from . import figures
from .errors import Conflict, WorkflowError
from .events import TicketMoved

S = TicketStatus


class OpenTicketExists(WorkflowError):
    """The link already has an open ticket; carries it so the message can link to it."""

    status = 409

    def __init__(self, existing: Ticket):
        self.existing = existing
        super().__init__(
            f"该业务事项已有未完成的变更工单 {existing.number}（{existing.status.label}），请在该工单上修改，或撤回后再新建。",
            "service",
        )


# Where a ticket goes, by the kind of province its center belongs to (design.md, Routing).
REVIEW_PATHS: dict[ProvinceKind, tuple[ReviewStage, ...]] = {
    ProvinceKind.PROVINCE: (ReviewStage.PROVINCE, ReviewStage.MINISTRY),
    ProvinceKind.AUTONOMOUS_REGION: (ReviewStage.PROVINCE, ReviewStage.MINISTRY),
    ProvinceKind.MUNICIPALITY: (ReviewStage.MINISTRY,),
    ProvinceKind.XPCC: (ReviewStage.MINISTRY,),
}
ACTION_LABELS = {
    "submit": "提交",
    "edit": "修改",
    "resubmit": "重新提交",
    "withdraw": "撤回",
    "approve": "批准",
    "return": "退回修改",
    "reject": "驳回",
    "cancel": "取消",
    "complete": "完成切换",
    "flag": "标记提示",
    "attach": "添加附件",
    "detach": "删除附件",
}


def review_path(center: Center) -> tuple[ReviewStage, ...]:
    """The stages a ticket of this center passes, in order; every path ends at the ministry."""
    return REVIEW_PATHS[center.province.kind]


def next_stage(ticket: Ticket) -> ReviewStage | None:
    """The stage after the ticket's current one, or None when this is the last."""
    path = review_path(ticket.center)
    position = path.index(ticket.stage)
    return path[position + 1] if position + 1 < len(path) else None


def live_link(center_id: int, service_id: int) -> LinkRecord | None:
    """The registry entry that is live now for a center and service."""
    return db.session.scalar(select(LinkRecord).where(LinkRecord.center_id == center_id, LinkRecord.service_id == service_id))


def open_ticket_for(center_id: int, service_id: int) -> Ticket | None:
    """The open ticket of a link, if there is one."""
    return db.session.scalar(
        select(Ticket).where(
            Ticket.center_id == center_id,
            Ticket.service_id == service_id,
            Ticket.status.in_(OPEN_STATUSES),
        )
    )


def may_decide(user: User, ticket: Ticket) -> bool:
    """True when the user reviews at the ticket's stage, in its scope, and did not file it."""
    if ticket.status is not S.PENDING or REVIEWER_STAGE.get(user.role) is not ticket.stage:
        return False
    if user.role is Role.PROVINCE_REVIEWER and ticket.center.province_id != user.province_id:
        return False
    return ticket.created_by_id != user.id


def may_edit(ticket: Ticket) -> bool:
    """A clerk may correct a returned ticket, or a pending one nobody has decided yet (still at
    its first stage); once a reviewer decided, a pending ticket is locked."""
    if ticket.status is S.RETURNED:
        return True
    return ticket.status is S.PENDING and ticket.stage is review_path(ticket.center)[0]


def latest_change(ticket: Ticket) -> str:
    """Who last changed the ticket and how, for a conflict message: "2026-11-27 10:05 部监管司 张三 退回修改"."""
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.ticket_id == ticket.id).order_by(AuditEvent.id.desc()).limit(1))
    if event is None:
        return ""
    when = event.at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    who = event.actor.display_name if event.actor else "系统"
    return f"最新变化：{when} {who}{ACTION_LABELS.get(event.action, event.action)}（现为“{ticket.status.label}”）。"


# -- The state machine ---------------------------------------------------------------------------

Target = Callable[[Ticket], tuple[TicketStatus, ReviewStage | None]]


def _stays(ticket: Ticket) -> tuple[TicketStatus, ReviewStage | None]:
    """A change to the ticket that is audited and versioned like a move, in the same state."""
    return ticket.status, ticket.stage


def _first_stage(ticket: Ticket) -> tuple[TicketStatus, ReviewStage | None]:
    """Into review at the first stage of the ticket's path."""
    return S.PENDING, review_path(ticket.center)[0]


def _onward(ticket: Ticket) -> tuple[TicketStatus, ReviewStage | None]:
    """To the next stage of the path, or approved after the last."""
    following = next_stage(ticket)
    return (S.PENDING, following) if following else (S.APPROVED, None)


def _to(status: TicketStatus) -> Target:
    """Out of review, into ``status``."""
    return lambda ticket: (status, None)


@dataclass(frozen=True)
class Transition:
    """An action of the state machine: the states it may start from (None: a ticket not filed
    yet), who may take it (nobody: only the system), and the (status, stage) it leads to."""

    sources: tuple[TicketStatus | None, ...]
    roles: tuple[Role, ...]
    target: Target


CLERK, REVIEWERS = (Role.CENTER_STAFF,), (Role.PROVINCE_REVIEWER, Role.MINISTRY_REVIEWER)
TRANSITIONS: dict[str, Transition] = {
    "submit": Transition((None,), CLERK, _first_stage),
    "edit": Transition((S.RETURNED, S.PENDING), CLERK, _stays),  # pending: only before any decision (may_edit)
    "resubmit": Transition((S.RETURNED,), CLERK, _first_stage),
    "withdraw": Transition((S.PENDING, S.RETURNED), CLERK, _to(S.WITHDRAWN)),
    "approve": Transition((S.PENDING,), REVIEWERS, _onward),
    "return": Transition((S.PENDING,), REVIEWERS, _to(S.RETURNED)),
    "reject": Transition((S.PENDING,), REVIEWERS, _to(S.REJECTED)),
    "cancel": Transition((S.APPROVED,), (Role.CENTER_STAFF, Role.MINISTRY_REVIEWER), _to(S.CANCELLED)),
    "complete": Transition((S.APPROVED,), (), _to(S.COMPLETED)),  # the system, applying a cutover
    # Not moves between states, but changes to the ticket that are audited and versioned alike.
    "attach": Transition((S.PENDING, S.RETURNED), CLERK, _stays),
    "detach": Transition((S.PENDING, S.RETURNED), CLERK, _stays),
    "flag": Transition(OPEN_STATUSES, (Role.ADMIN,), _stays),  # a calendar import (the admin, or the CLI)
}


def check_transition(ticket: Ticket, action: str, actor: User | None, version: int | None) -> None:
    """Refuse a move the state machine does not allow, or one made on a stale version; ``move``
    checks again, this lets an operation refuse before it does any other work."""
    transition = TRANSITIONS[action]
    if actor is not None and actor.role not in transition.roles:
        raise WorkflowError(f"您的角色不能{ACTION_LABELS[action]}工单。", "ticket")
    stored = ticket.version is not None  # a ticket being filed has no version yet
    if actor is not None and stored and version is None:  # a person acts on the version they saw, always
        raise WorkflowError({"version": ["缺少工单版本号：请按您看到的工单版本提交（页面请刷新后重试），以免覆盖他人的修改。"]})
    if version is not None and version != ticket.version:
        raise Conflict()
    if ticket.status not in transition.sources:
        state = f"工单当前状态为“{ticket.status.label}”" if ticket.status else "工单尚未提交"
        raise WorkflowError(f"{state}，不能{ACTION_LABELS[action]}。", "ticket")


def move(
    ticket: Ticket, action: str, actor: User | None, version: int | None, *, comment: str | None = None, changes: list[dict] | None = None
) -> TicketMoved:
    """Take ``action`` on the ticket, as ``actor`` (None: the system) on the ``version`` they saw.

    Checks the move, sets the status and stage the action leads to, marks the ticket's row to be
    written (its version is bumped then; a concurrent writer makes the commit fail, see
    ``commit_or_conflict``), appends the audit event (``changes``: the fields an edit changed, each
    {"field", "old", "new"}) and counts a filing or completion, all in the caller's transaction.
    Returns the domain event for the operation to announce.
    """
    # Loading the actor or the ticket's path must not write the ticket (and move its version) midway,
    # nor insert one being filed before it has its status.
    with db.session.no_autoflush:
        check_transition(ticket, action, actor, version)
        before = (ticket.status, ticket.stage)
        ticket.status, ticket.stage = TRANSITIONS[action].target(ticket)
    now = utcnow()
    if ticket.version is not None:
        # Written even when nothing else changed: the version moves on with every move, so a page
        # opened before it is stale, and a concurrent move loses instead of passing a limit.
        ticket.updated_at = now
        flag_modified(ticket, "updated_at")
    db.session.add(
        AuditEvent(
            ticket=ticket,
            actor=actor,
            actor_role=actor.role.value if actor else "system",
            at=now,
            action=action,
            from_status=before[0].value if before[0] else None,
            from_stage=before[1].value if before[1] else None,
            to_status=ticket.status.value,
            to_stage=ticket.stage.value if ticket.stage else None,
            comment=comment,
            changes=changes or None,
        )
    )
    figures.count_event(ticket, action, now)
    return TicketMoved(action, ticket, actor, before[0], before[1], comment)


AUDIT_COLUMNS = [
    "事件编号",
    "工单号",
    "中心",
    "时间（北京时间）",
    "操作人",
    "角色",
    "操作",
    "原状态",
    "原审核阶段",
    "新状态",
    "新审核阶段",
    "意见",
]


def audit_rows(engine: Engine, chunk: int = 1000) -> Iterator[list]:
    """Every audit event, oldest first, as rows of AUDIT_COLUMNS, for a streamed export.

    Read a chunk at a time, each in its own short transaction on ``engine``: a slow download
    then holds no transaction open (nor, on SQLite, the write lock), and no ORM session has
    to outlive the request that started the download.
    """
    query = (
        select(
            AuditEvent.id,
            Ticket.number,
            Center.name,
            AuditEvent.at,
            User.username,
            AuditEvent.actor_role,
            AuditEvent.action,
            AuditEvent.from_status,
            AuditEvent.from_stage,
            AuditEvent.to_status,
            AuditEvent.to_stage,
            AuditEvent.comment,
        )
        .outerjoin(Ticket, AuditEvent.ticket_id == Ticket.id)
        .outerjoin(Center, Ticket.center_id == Center.id)
        .outerjoin(User, AuditEvent.actor_id == User.id)
        .order_by(AuditEvent.id)
        .limit(chunk)
    )
    last = 0
    while True:
        with engine.connect() as connection:
            rows = connection.execute(query.where(AuditEvent.id > last)).all()
        for row in rows:
            yield [
                row[0],
                row[1],
                row[2],
                row[3].astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                row[4] or "系统",
                _label(Role, row[5]),
                ACTION_LABELS.get(row[6], row[6]),
                _label(TicketStatus, row[7]),
                _label(ReviewStage, row[8]),
                _label(TicketStatus, row[9]),
                _label(ReviewStage, row[10]),
                row[11],
            ]
        if len(rows) < chunk:
            return
        last = rows[-1][0]


def _label(kind, code: str | None) -> str:
    """The Chinese word for a stored code (a role, status or stage); the code if it is not known."""
    if code is None:
        return ""
    try:
        return kind(code).label
    except ValueError:
        return code


def next_number(year: int) -> str:
    """LD-YYYY-NNNNNN, from a per-year counter row that concurrent transactions take in turn."""
    last = db.session.execute(
        text(
            "INSERT INTO ticket_number_counter (year, last) VALUES (:year, 1) "
            "ON CONFLICT (year) DO UPDATE SET last = ticket_number_counter.last + 1 RETURNING last"
        ),
        {"year": year},
    ).scalar_one()
    return f"LD-{year}-{last:06d}"


def commit_or_conflict() -> None:
    """Commit; a lost race on the version turns into Conflict and nothing is written."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict() from None


def service_by_code(code: str) -> Service | None:
    return db.session.scalar(select(Service).where(Service.code == code))


def is_open_ticket_violation(error: IntegrityError) -> bool:
    """True when the database refused a second open ticket for one link."""
    text_ = str(error.orig)
    return "uq_ticket_open_per_link" in text_ or "ticket.center_id, ticket.service_id" in text_
