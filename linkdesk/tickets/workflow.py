"""The ticket workflow: routing, the state machine, decisions and the audit trail.

Every change of state goes through transition(), which checks the move against TRANSITIONS,
bumps the version (a stale version loses with a Conflict), and writes the audit event in the
same transaction. Views, the API and the CLI call these functions; none of them commit on
their own.
"""
from collections.abc import Iterator

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import (
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
from ..workdays.calendar import BEIJING

S = TicketStatus


class WorkflowError(Exception):
    """A refusal, with Chinese messages by field (422 in the API)."""

    status = 422

    def __init__(self, errors: dict[str, list[str]] | str, field: str = "ticket"):
        self.errors = {field: [errors]} if isinstance(errors, str) else errors
        super().__init__("; ".join(m for ms in self.errors.values() for m in ms))

    @property
    def message(self) -> str:
        return "；".join(m.rstrip("。") for ms in self.errors.values() for m in ms) + "。"


class Conflict(WorkflowError):
    """Someone else changed the ticket first (409)."""

    status = 409

    MESSAGE = "该工单已被他人处理或修改，您的操作没有保存。请查看最新状态后再操作。"

    def __init__(self, message: str = MESSAGE):
        super().__init__(message, "version")


class OpenTicketExists(WorkflowError):
    """The link already has an open ticket; carries it so the message can link to it."""

    status = 409

    def __init__(self, existing: Ticket):
        self.existing = existing
        super().__init__(
            f"该业务事项已有未完成的变更工单 {existing.number}（{existing.status.label}），"
            "请在该工单上修改，或撤回后再新建。",
            "service",
        )


# Where a ticket goes, by the kind of province its center belongs to (design.md, Routing).
REVIEW_PATHS: dict[ProvinceKind, tuple[ReviewStage, ...]] = {
    ProvinceKind.PROVINCE: (ReviewStage.PROVINCE, ReviewStage.MINISTRY),
    ProvinceKind.AUTONOMOUS_REGION: (ReviewStage.PROVINCE, ReviewStage.MINISTRY),
    ProvinceKind.MUNICIPALITY: (ReviewStage.MINISTRY,),
    ProvinceKind.XPCC: (ReviewStage.MINISTRY,),
}
# Who reviews at each stage.
STAGE_REVIEWER: dict[ReviewStage, Role] = {
    ReviewStage.PROVINCE: Role.PROVINCE_REVIEWER,
    ReviewStage.MINISTRY: Role.MINISTRY_REVIEWER,
}
REVIEWER_STAGE = {role: stage for stage, role in STAGE_REVIEWER.items()}

# action -> (states it may start from, who may take it)
TRANSITIONS: dict[str, tuple[tuple[TicketStatus, ...], tuple[Role, ...]]] = {
    "edit": ((S.RETURNED, S.PENDING), (Role.CENTER_STAFF,)),  # pending: only before any decision (may_edit)
    "resubmit": ((S.RETURNED,), (Role.CENTER_STAFF,)),
    "withdraw": ((S.PENDING, S.RETURNED), (Role.CENTER_STAFF,)),
    "approve": ((S.PENDING,), (Role.PROVINCE_REVIEWER, Role.MINISTRY_REVIEWER)),
    "return": ((S.PENDING,), (Role.PROVINCE_REVIEWER, Role.MINISTRY_REVIEWER)),
    "reject": ((S.PENDING,), (Role.PROVINCE_REVIEWER, Role.MINISTRY_REVIEWER)),
    "cancel": ((S.APPROVED,), (Role.CENTER_STAFF, Role.MINISTRY_REVIEWER)),
    "complete": ((S.APPROVED,), ()),  # the system, applying a cutover
    # Not moves between states, but changes to the ticket that are audited and versioned alike.
    "attach": ((S.PENDING, S.RETURNED), (Role.CENTER_STAFF,)),
    "detach": ((S.PENDING, S.RETURNED), (Role.CENTER_STAFF,)),
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
    return db.session.scalar(
        select(LinkRecord).where(LinkRecord.center_id == center_id, LinkRecord.service_id == service_id)
    )


def open_ticket_for(center_id: int, service_id: int) -> Ticket | None:
    """The open ticket of a link, if there is one."""
    return db.session.scalar(
        select(Ticket).where(
            Ticket.center_id == center_id,
            Ticket.service_id == service_id,
            Ticket.status.in_([S.PENDING, S.RETURNED, S.APPROVED]),
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


def record(ticket: Ticket, actor: User | None, action: str, before: tuple, comment: str | None = None,
           changes: list[dict] | None = None) -> AuditEvent:
    """Append the audit event of a change (in the caller's transaction); ``changes`` lists the
    fields an edit changed, each {"field", "old", "new"}."""
    event = AuditEvent(
        ticket=ticket,
        actor=actor,
        actor_role=actor.role.value if actor else "system",
        action=action,
        from_status=before[0].value if before[0] else None,
        from_stage=before[1].value if before[1] else None,
        to_status=ticket.status.value,
        to_stage=ticket.stage.value if ticket.stage else None,
        comment=comment,
        changes=changes or None,
    )
    db.session.add(event)
    return event


AUDIT_COLUMNS = ["事件编号", "工单号", "中心", "时间（北京时间）", "操作人", "角色", "操作",
                 "原状态", "原审核阶段", "新状态", "新审核阶段", "意见"]


def audit_rows(engine: Engine, chunk: int = 1000) -> Iterator[list]:
    """Every audit event, oldest first, as rows of AUDIT_COLUMNS, for a streamed export.

    Read a chunk at a time, each in its own short transaction on ``engine``: a slow download
    then holds no transaction open (nor, on SQLite, the write lock), and no ORM session has
    to outlive the request that started the download.
    """
    query = (
        select(AuditEvent.id, Ticket.number, Center.name, AuditEvent.at, User.username, AuditEvent.actor_role,
               AuditEvent.action, AuditEvent.from_status, AuditEvent.from_stage, AuditEvent.to_status,
               AuditEvent.to_stage, AuditEvent.comment)
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
            yield [row[0], row[1], row[2], row[3].astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"), row[4] or "系统",
                   _label(Role, row[5]), ACTION_LABELS.get(row[6], row[6]), _label(TicketStatus, row[7]),
                   _label(ReviewStage, row[8]), _label(TicketStatus, row[9]), _label(ReviewStage, row[10]), row[11]]
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


def check_transition(ticket: Ticket, action: str, actor: User | None, version: int | None) -> None:
    """Refuse a move the state machine does not allow, or one made on a stale version."""
    sources, roles = TRANSITIONS[action]
    if actor is not None and actor.role not in roles:
        raise WorkflowError(f"您的角色不能{ACTION_LABELS[action]}工单。", "ticket")
    if actor is not None and version is None:  # a person acts on the version they saw, always
        raise WorkflowError({"version": ["缺少工单版本号：请按您看到的工单版本提交（页面请刷新后重试），以免覆盖他人的修改。"]})
    if version is not None and version != ticket.version:
        raise Conflict()
    if ticket.status not in sources:
        raise WorkflowError(
            f"工单当前状态为“{ticket.status.label}”，不能{ACTION_LABELS[action]}。", "ticket"
        )


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
