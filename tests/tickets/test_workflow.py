"""The ticket state machine (tickets.workflow.move), table-driven: every action from every
status, on the real test database — the allowed target or the Chinese refusal, the audit event,
and the version bump. The tables here are written out by hand from design.md, not read from
``TRANSITIONS``, so that a wrong declaration fails."""

from datetime import date

import pytest
from sqlalchemy import func, select

from linkdesk.extensions import db
from linkdesk.models import AuditEvent, ReviewStage, Role, Service, Ticket, TicketStatus
from linkdesk.tickets.events import TicketMoved
from linkdesk.tickets.workflow import TRANSITIONS, Conflict, WorkflowError, move

S, P, M = TicketStatus, ReviewStage.PROVINCE, ReviewStage.MINISTRY
CUTOVER = date(2027, 3, 1)

# Who takes each action in the table (None: the system).
ACTORS = {
    "submit": Role.CENTER_STAFF,
    "edit": Role.CENTER_STAFF,
    "resubmit": Role.CENTER_STAFF,
    "withdraw": Role.CENTER_STAFF,
    "approve": Role.MINISTRY_REVIEWER,
    "return": Role.MINISTRY_REVIEWER,
    "reject": Role.MINISTRY_REVIEWER,
    "cancel": Role.CENTER_STAFF,
    "complete": None,
    "flag": Role.ADMIN,
    "attach": Role.CENTER_STAFF,
    "detach": Role.CENTER_STAFF,
}
LABELS = {
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
# action -> {status it may start from: (status, stage) it leads to}, for a ticket of 郑州 (河南, a
# province: its path is province then ministry) waiting, when pending, at the ministry.
ALLOWED = {
    "submit": {},  # only a ticket not filed yet (below)
    "edit": {S.PENDING: (S.PENDING, M), S.RETURNED: (S.RETURNED, None)},
    "resubmit": {S.RETURNED: (S.PENDING, P)},
    "withdraw": {S.PENDING: (S.WITHDRAWN, None), S.RETURNED: (S.WITHDRAWN, None)},
    "approve": {S.PENDING: (S.APPROVED, None)},  # the ministry is the last stage
    "return": {S.PENDING: (S.RETURNED, None)},
    "reject": {S.PENDING: (S.REJECTED, None)},
    "cancel": {S.APPROVED: (S.CANCELLED, None)},
    "complete": {S.APPROVED: (S.COMPLETED, None)},
    "flag": {S.PENDING: (S.PENDING, M), S.RETURNED: (S.RETURNED, None), S.APPROVED: (S.APPROVED, None)},
    "attach": {S.PENDING: (S.PENDING, M), S.RETURNED: (S.RETURNED, None)},
    "detach": {S.PENDING: (S.PENDING, M), S.RETURNED: (S.RETURNED, None)},
}


def test_the_table_covers_every_action_of_the_machine():
    assert set(ALLOWED) == set(TRANSITIONS) == set(ACTORS)


def _ticket(make, status: TicketStatus, stage: ReviewStage | None = None, center: str = "郑州") -> Ticket:
    (ticket_id,) = make.tickets(1, CUTOVER, status, stage=stage, center=center)
    return db.session.get(Ticket, ticket_id)


def _actor(make, role: Role | None):
    if role is None:
        return None
    scope = {"center": "郑州"} if role is Role.CENTER_STAFF else {}
    return make.user(role, **scope).user


def _events(ticket: Ticket) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.ticket_id == ticket.id).order_by(AuditEvent.id)).all()


@pytest.mark.parametrize("status", list(TicketStatus))
@pytest.mark.parametrize("action", list(ALLOWED))
def test_every_action_from_every_status(make, action, status):
    ticket = _ticket(make, status)
    actor = _actor(make, ACTORS[action])
    version, stage = ticket.version, ticket.stage
    target = ALLOWED[action].get(status)
    if target is None:
        with pytest.raises(WorkflowError) as refusal:
            move(ticket, action, actor, version, comment="意见")
        assert refusal.value.status == 422
        assert refusal.value.errors == {"ticket": [f"工单当前状态为“{status.label}”，不能{LABELS[action]}。"]}
        db.session.rollback()
        ticket = db.session.get(Ticket, ticket.id)
        assert (ticket.status, ticket.stage, ticket.version) == (status, stage, version)
        assert _events(ticket) == []
        return
    moved = move(ticket, action, actor, version, comment="意见")
    db.session.commit()
    assert moved == TicketMoved(action, ticket, actor, status, stage, "意见")
    ticket = db.session.get(Ticket, ticket.id)
    assert (ticket.status, ticket.stage) == target
    assert ticket.version == version + 1
    (event,) = _events(ticket)
    assert (event.action, event.actor_id, event.actor_role, event.comment) == (
        action,
        actor.id if actor else None,
        actor.role.value if actor else "system",
        "意见",
    )
    assert (event.from_status, event.from_stage) == (status.value, stage.value if stage else None)
    assert (event.to_status, event.to_stage) == (target[0].value, target[1].value if target[1] else None)


@pytest.mark.parametrize(
    ("center", "stage", "action", "target"),
    [
        ("郑州", P, "approve", (S.PENDING, M)),  # a province's approval forwards to the ministry
        ("北京", M, "approve", (S.APPROVED, None)),  # a municipality has the ministry's stage only
    ],
)
def test_approval_goes_to_the_next_stage_of_the_path_or_to_approved(make, center, stage, action, target):
    ticket = _ticket(make, S.PENDING, stage, center)
    reviewer = make.user(Role.PROVINCE_REVIEWER if stage is P else Role.MINISTRY_REVIEWER).user
    move(ticket, action, reviewer, ticket.version)
    db.session.commit()
    assert (ticket.status, ticket.stage) == target


@pytest.mark.parametrize(("center", "first"), [("郑州", P), ("北京", M)])
def test_resubmission_and_filing_enter_review_at_the_first_stage(make, center, first):
    ticket = _ticket(make, S.RETURNED, center=center)
    clerk = make.user(Role.CENTER_STAFF, center=center).user
    move(ticket, "resubmit", clerk, ticket.version)
    db.session.commit()
    assert (ticket.status, ticket.stage) == (S.PENDING, first)
    # A ticket not filed yet has no status and no version; filing ("submit") is its first move.
    other = db.session.scalar(select(Service).where(Service.id != ticket.service_id).order_by(Service.position))
    new = Ticket(
        center=ticket.center,
        service=other,
        new_url=ticket.new_url,
        cutover_date=CUTOVER,
        submitted_at=ticket.submitted_at,
        submitted_on=ticket.submitted_on,
        earliest_cutover=CUTOVER,
        reason="测试",
        contact_name="测试",
        contact_phone="0371-12345678",
        created_by=clerk,
        warnings=[],
        number="LD-T-NEW",
    )
    db.session.add(new)
    with pytest.raises(WorkflowError, match="工单尚未提交，不能修改"):
        move(new, "edit", clerk, None)
    moved = move(new, "submit", clerk, None)
    db.session.commit()
    assert (moved.from_status, moved.from_stage) == (None, None)
    assert (new.status, new.stage, new.version) == (S.PENDING, first, 1)
    assert [(e.action, e.from_status, e.to_status, e.to_stage) for e in _events(new)] == [("submit", None, "pending", first.value)]


def test_a_stale_version_is_a_conflict_and_a_missing_one_a_refusal(make):
    ticket = _ticket(make, S.PENDING)
    reviewer = make.user(Role.MINISTRY_REVIEWER).user
    with pytest.raises(Conflict) as conflict:
        move(ticket, "approve", reviewer, ticket.version - 1 if ticket.version > 1 else ticket.version + 1)
    assert conflict.value.status == 409 and "已被他人处理或修改" in conflict.value.message
    with pytest.raises(WorkflowError) as missing:
        move(ticket, "approve", reviewer, None)
    assert list(missing.value.errors) == ["version"] and "缺少工单版本号" in missing.value.message
    assert (ticket.status, ticket.stage) == (S.PENDING, M)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


@pytest.mark.parametrize(
    ("action", "role"),
    [("approve", Role.CENTER_STAFF), ("withdraw", Role.MINISTRY_REVIEWER), ("complete", Role.ADMIN), ("flag", Role.CENTER_STAFF)],
)
def test_a_role_that_may_not_take_the_action_is_refused(make, action, role):
    ticket = _ticket(make, S.PENDING)
    with pytest.raises(WorkflowError) as refusal:
        move(ticket, action, _actor(make, role), ticket.version)
    assert refusal.value.errors == {"ticket": [f"您的角色不能{LABELS[action]}工单。"]}
