"""What people do with tickets: file, edit, resubmit, withdraw, decide, cancel.

Each operation checks the request, moves the ticket through the state machine (``workflow.move``),
keeps the overview's figures (``figures``), announces what happened (``events``: notify listens)
and commits, once; a refusal raises WorkflowError (or Conflict, OpenTicketExists) and leaves
nothing behind.
"""

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts.access import scoped_tickets
from ..cutovers.schedule import load_findings
from ..extensions import db
from ..links.filing_probe import request_probe, start_probe
from ..models import Center, Decision, Role, Ticket, TicketStatus, User
from ..models.types import utcnow
from ..workdays.calendar import local_date
from ..workdays.schedules import current_calendar
from . import attachments, figures
from .deadlines import ReviewClock
from .events import announce, remind
from .evidence import Upload
from .filing import MAX_TEXT_LENGTH, Assessment, ChangeRequest, assess
from .workflow import (
    Conflict,
    OpenTicketExists,
    WorkflowError,
    check_transition,
    commit_or_conflict,
    is_open_ticket_violation,
    live_link,
    may_decide,
    may_edit,
    move,
    next_number,
    next_stage,
    open_ticket_for,
    service_by_code,
)

S = TicketStatus
MAX_COMMENT_LENGTH = MAX_TEXT_LENGTH  # as for the free text of a filing


def _assess(request: ChangeRequest, center: Center, service_id: int | None, submitted_at, documents: int = 0) -> Assessment:
    live = live_link(center.id, service_id) if service_id else None
    calendar = current_calendar()
    verdict = assess(
        request,
        submitted_at=submitted_at,
        live_url=live.url if live else None,
        calendar=calendar,
        max_days_ahead=current_app.config["LINKDESK_MAX_CUTOVER_DAYS_AHEAD"],
        attachments=documents,
    )
    if verdict.ok:
        # A full day or a blackout does not stop filing; it warns and blocks final approval.
        verdict.warnings.extend(load_findings(verdict.cutover_date, calendar))
    return verdict


def _apply(ticket: Ticket, request: ChangeRequest, verdict: Assessment, submitted_at) -> None:
    ticket.new_url = verdict.address.url
    ticket.cutover_date = verdict.cutover_date
    ticket.reason = request.reason
    ticket.contact_name = request.contact_name
    ticket.contact_phone = request.contact_phone
    ticket.http_justification = request.http_justification or None
    ticket.icp_number = verdict.icp_number
    ticket.emergency = request.emergency
    ticket.emergency_reason = request.emergency_reason if request.emergency else None
    ticket.warnings = verdict.warnings
    ticket.submitted_at = submitted_at
    ticket.submitted_on = verdict.submitted_on
    ticket.earliest_cutover = verdict.earliest.earliest_cutover
    ticket.provisional = verdict.earliest.provisional


def _service_or_refuse(code: str):
    service = service_by_code(code) if code else None
    if service is None:
        raise WorkflowError({"service": ["请选择业务事项。" if not code else f"没有业务事项“{code}”。"]})
    return service


def _refuse(verdict: Assessment, file_errors: dict, file_status: int) -> None:
    """Raise every problem of the fields and the files together; 413 when a file is too large."""
    if file_errors:
        for name, messages in file_errors.items():
            verdict.errors.setdefault(name, []).extend(messages)
        raise attachments.AttachmentRefused(verdict.errors, file_status)
    if not verdict.ok:
        raise WorkflowError(verdict.errors)


def file_ticket(user: User, request: ChangeRequest, uploads: list[Upload] = ()) -> Ticket:
    """File a new ticket for the user's center, with its documents; it enters review at the first stage.

    Its new address is probed after the commit, off the request (links/filing_probe.py)."""
    if user.role is not Role.CENTER_STAFF:
        raise WorkflowError("只有中心经办人员可以提交变更工单。")
    center = user.center
    service = service_by_code(request.service) if request.service else None
    submitted_at = utcnow()
    files, file_errors, file_status = attachments.check_uploads(list(uploads), 0)
    verdict = _assess(request, center, service.id if service else None, submitted_at, len(files))
    if service is None and request.service:
        verdict.errors["service"] = [f"没有业务事项“{request.service}”。"]
    _refuse(verdict, file_errors, file_status)
    existing = open_ticket_for(center.id, service.id)
    if existing is not None:
        raise OpenTicketExists(existing)
    live = live_link(center.id, service.id)
    ticket = Ticket(
        number=next_number(local_date(submitted_at).year),
        center=center,
        service=service,
        old_url=live.url if live else None,
        created_by=user,
    )
    _apply(ticket, request, verdict, submitted_at)
    request_probe(ticket)
    try:
        # Any statement from here may flush the insert (autoflush): the database's refusal is
        # caught wherever it comes.
        db.session.add(ticket)
        filed = move(ticket, "submit", user, None)
        _, attached = attachments.store(ticket, user, files, None)
        db.session.flush()  # the database decides here; the ticket's id is needed by the message
        figures.count_submission(None, ticket)
        announce(filed, *attached)
        db.session.commit()
    except IntegrityError as error:
        # Two filings for one link at the same moment: the database let one win.
        db.session.rollback()
        if not is_open_ticket_violation(error):
            raise
        raise OpenTicketExists(open_ticket_for(center.id, service.id)) from None
    start_probe(ticket)
    return ticket


def _merged(ticket: Ticket, changes: dict) -> ChangeRequest:
    current = {
        "service": ticket.service.code,
        "new_url": ticket.new_url,
        "cutover_date": ticket.cutover_date.isoformat(),
        "reason": ticket.reason,
        "contact_name": ticket.contact_name,
        "contact_phone": ticket.contact_phone,
        "http_justification": ticket.http_justification or "",
        "emergency": ticket.emergency,
        "emergency_reason": ticket.emergency_reason or "",
        "icp_number": ticket.icp_number or "",
    }
    current.update({key: value for key, value in changes.items() if key in current})
    request = ChangeRequest.from_mapping(current)
    if request.service != ticket.service.code:
        raise WorkflowError({"service": ["工单的业务事项不能修改；如需变更其他事项，请新建工单。"]})
    return request


def _owner_check(user: User, ticket: Ticket) -> None:
    if user.role is not Role.CENTER_STAFF or user.center_id != ticket.center_id:
        raise WorkflowError("只有本中心经办人员可以处理此工单。")


# The fields an edit may change, as the timeline names them.
EDITABLE_FIELDS = {
    "new_url": "新地址",
    "cutover_date": "切换日期",
    "reason": "变更原因",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "http_justification": "http 理由",
    "emergency": "紧急变更",
    "emergency_reason": "紧急变更理由",
    "icp_number": "ICP 备案号",
}


def _snapshot(ticket: Ticket) -> dict:
    return {name: _shown(getattr(ticket, name)) for name in EDITABLE_FIELDS}


def _shown(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def changed_fields(before: dict, ticket: Ticket) -> list[dict]:
    """What an edit changed: [{"field", "old", "new"}], in the form's order."""
    after = _snapshot(ticket)
    return [{"field": name, "old": before[name], "new": after[name]} for name in EDITABLE_FIELDS if before[name] != after[name]]


def _revise(
    user: User, ticket: Ticket, changes: dict, version: int | None, action: str, uploads: list[Upload] = ()
) -> tuple[figures.Submission | None, list[dict], list]:
    """Judge a ticket's new fields (and new documents) and write them; returns the submission as
    it was counted, the fields changed and the documents' moves. Editing and resubmitting differ
    only in what happens next.

    A returned ticket is judged as if submitted now. A pending one nobody decided yet may be
    corrected: a new address restarts the lead time from the edit; a new date or text keeps the
    submission time it was filed with. A new address, and any resubmission, is probed again after
    the commit (the caller's ``start_probe``); otherwise the address's probe result stands."""
    _owner_check(user, ticket)
    check_transition(ticket, action, user, version)
    if not may_edit(ticket):
        raise WorkflowError("审核人员已对该工单作出决定，工单已锁定，不能再修改；如需变更请撤回后重新提交。")
    request = _merged(ticket, changes)
    now = utcnow()
    keeps_submission = ticket.status is S.PENDING and _same_address(request, ticket)
    submitted_at = ticket.submitted_at if keeps_submission else now
    already = attachments.count(ticket)
    files, file_errors, file_status = attachments.check_uploads(list(uploads), already)
    verdict = _assess(request, ticket.center, ticket.service_id, submitted_at, already + len(files))
    if action == "resubmit" and ticket.evidence_requested and not files and not attachments.has_new_document(ticket):
        verdict.refuse("attachments", "审核人员退回时要求补充材料（见退回意见），请上传附件后再重新提交。")
    _refuse(verdict, file_errors, file_status)
    counted, fields = figures.submission(ticket), _snapshot(ticket)
    _apply(ticket, request, verdict, submitted_at)
    changed = changed_fields(fields, ticket)
    if action == "resubmit" or any(change["field"] == "new_url" for change in changed):
        request_probe(ticket)  # otherwise the address keeps its result, or its probe still running
    _, attached = attachments.store(ticket, user, files, version)
    return counted, changed, attached


def _same_address(request: ChangeRequest, ticket: Ticket) -> bool:
    return request.new_url.strip() == ticket.new_url


def edit_ticket(user: User, ticket: Ticket, changes: dict, version: int | None, uploads: list[Upload] = ()) -> Ticket:
    """Correct a returned ticket, or a pending one before any decision; its state stays."""
    counted, fields, attached = _revise(user, ticket, changes, version, "edit", uploads)
    edited = move(ticket, "edit", user, version, changes=fields)
    figures.count_submission(counted, ticket)
    announce(*attached, edited)
    commit_or_conflict()
    start_probe(ticket)
    return ticket


def resubmit_ticket(user: User, ticket: Ticket, changes: dict, version: int | None, uploads: list[Upload] = ()) -> Ticket:
    """Send a returned ticket back to review; the lead time counts again from today."""
    counted, fields, attached = _revise(user, ticket, changes, version, "resubmit", uploads)
    resubmitted = move(ticket, "resubmit", user, version, changes=fields)
    ticket.evidence_requested = False
    figures.count_submission(counted, ticket)
    announce(*attached, resubmitted)
    commit_or_conflict()
    start_probe(ticket)
    return ticket


def withdraw_ticket(user: User, ticket: Ticket, version: int | None, comment: str | None = None) -> Ticket:
    """The center calls off its ticket before approval."""
    _owner_check(user, ticket)
    check_transition(ticket, "withdraw", user, version)
    comment = _comment(comment)
    announce(move(ticket, "withdraw", user, version, comment=comment))
    commit_or_conflict()
    return ticket


def decide(
    user: User,
    ticket: Ticket,
    decision: Decision | str,
    comment: str | None,
    version: int | None,
    *,
    override: bool = False,
    require_document: bool = False,
) -> Ticket:
    """A reviewer approves (to the next stage or to approved), returns or rejects a ticket.

    The final approval of a cutover on a full day or in a blackout window is refused unless
    the reviewer overrides it with a comment. Returning, a reviewer may require a document
    (e.g. 盖章公函): the ticket cannot be resubmitted without a new attachment. The ticket's
    documents are part of the record from this decision on.
    """
    try:
        decision = Decision(decision)
    except ValueError:
        raise WorkflowError({"decision": ["决定只能是 approve（批准）、return（退回修改）或 reject（驳回）。"]}) from None
    comment = _comment(comment)
    check_transition(ticket, decision.value, user, version)
    if ticket.created_by_id == user.id:
        raise WorkflowError("您不能审核自己提交的工单。")
    if not may_decide(user, ticket):
        raise WorkflowError(f"该工单当前处于{ticket.stage.label}阶段，不由您审核。")
    if decision is not Decision.APPROVE and comment is None:
        raise WorkflowError({"comment": ["退回或驳回时必须填写意见，说明需要修改的内容或驳回理由。"]})
    if require_document and decision is not Decision.RETURN:
        raise WorkflowError({"require_document": ["只有退回修改时才能要求补充附件。"]})
    if decision is Decision.APPROVE and ticket.cutover_date < local_date(utcnow()):
        raise WorkflowError(f"切换日期 {ticket.cutover_date.isoformat()} 已过，不能再批准；请退回中心重新选择切换日期。")
    following = next_stage(ticket)
    if decision is Decision.APPROVE and following is None:
        _check_load(ticket, comment, override)
    figures.decided(ticket, ticket.stage, decision, user, comment)
    decided = move(ticket, decision.value, user, version, comment=comment)
    if decision is Decision.RETURN:
        ticket.evidence_requested = require_document
    attachments.lock_reviewed(ticket)
    announce(decided)
    commit_or_conflict()
    return ticket


def remind_review_deadlines(clock: ReviewClock) -> list[Ticket]:
    """Queue the stage's reviewers a reminder for pending tickets whose review deadline is the
    next working day or today; once per ticket, stage and day, however often this runs."""
    tickets = db.session.scalars(
        select(Ticket).where(Ticket.status == S.PENDING, clock.due_clause("soon")).order_by(Ticket.cutover_date, Ticket.id)
    ).all()
    reminded = []
    for ticket in tickets:
        deadline = clock.deadline(ticket.cutover_date)
        note = f"请在 {deadline.isoformat()} 前完成审核（切换前 {clock.working_days} 个工作日），以便小程序按期配置"
        dedupe = f"review_due:{ticket.id}:{ticket.stage.value}:{ticket.cutover_date.isoformat()}:{clock.today.isoformat()}"
        if send_reminder(ticket, "review_due", note, dedupe):
            reminded.append(ticket)
    return reminded


def send_reminder(ticket: Ticket, reminder: str, note: str, dedupe: str) -> bool:
    """Announce one reminder about a ticket and commit it on its own; True when something was queued.

    Its dedupe key makes it once per ticket however often reminders run; two runs at the same
    moment (two servers' cron, a worker and an operator) may both find the key unused, and the
    database's unique key lets one win: the other's insert is refused, rolled back and skipped,
    and the rest of its reminders go on."""
    try:
        queued = remind(ticket, reminder, note, dedupe)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return queued


@dataclass(frozen=True)
class DecisionItem:
    """One ticket of a bulk decision, with the version the reviewer saw."""

    ticket_id: int
    version: int | None
    decision: str
    comment: str | None = None


@dataclass
class DecisionOutcome:
    """What became of one item: 200 decided, 404 not in scope, 409 someone acted first, 422 refused."""

    ticket_id: int
    status: int
    ticket: Ticket | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return "；".join(m.rstrip("。") for ms in self.errors.values() for m in ms) + "。" if self.errors else ""


NOT_FOUND = {"id": ["没有该工单，或不在您的审核范围内。"]}


def decide_many(user: User, items: list[DecisionItem]) -> list[DecisionOutcome]:
    """Decide each ticket on its own version, in its own transaction, with its own audit event.

    One refusal or conflict never undoes the others: a bulk approval of ten tickets where two
    changed meanwhile approves eight and reports two conflicts.
    """
    outcomes = []
    for item in items:
        ticket = db.session.scalar(scoped_tickets(user).where(Ticket.id == item.ticket_id))
        if ticket is None:
            outcomes.append(DecisionOutcome(item.ticket_id, 404, errors=NOT_FOUND))
            continue
        try:
            decide(user, ticket, item.decision, item.comment, item.version)
        except WorkflowError as refusal:
            db.session.rollback()
            outcomes.append(DecisionOutcome(item.ticket_id, refusal.status, db.session.get(Ticket, item.ticket_id), refusal.errors))
        else:
            outcomes.append(DecisionOutcome(item.ticket_id, 200, ticket))
    return outcomes


def _comment(value) -> str | None:
    """A reviewer's or clerk's comment: text, trimmed, bounded; None when empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise WorkflowError({"comment": ["意见应为文字。"]})
    value = value.strip()
    if len(value) > MAX_COMMENT_LENGTH:
        raise WorkflowError({"comment": [f"意见不能超过 {MAX_COMMENT_LENGTH} 个字（现有 {len(value)} 个）。"]})
    return value or None


def _check_load(ticket: Ticket, comment: str | None, override: bool) -> None:
    findings = load_findings(ticket.cutover_date, current_calendar(), exclude_ticket_id=ticket.id)
    if not findings:
        return
    if not override:
        raise WorkflowError(
            {
                "override": [
                    "；".join(f["message"].rstrip("。") for f in findings) + "。如确需在该日切换，请勾选“仍然批准”并在意见中说明理由。"
                ]
            }
        )
    if comment is None:
        raise WorkflowError({"comment": ["超出每日上限或在封网期内批准时，必须在意见中说明理由。"]})


def cancel_ticket(user: User, ticket: Ticket, version: int | None, comment: str | None) -> Ticket:
    """Call off an approved change before its cutover date (the center or the ministry)."""
    check_transition(ticket, "cancel", user, version)
    if user.role is Role.CENTER_STAFF:
        _owner_check(user, ticket)
    comment = _comment(comment)
    if comment is None:
        raise WorkflowError({"comment": ["取消已批准的变更时必须说明理由。"]})
    if ticket.cutover_date <= local_date(utcnow()):
        raise WorkflowError("切换日当天及之后不能再取消，请联系部监管司。")
    announce(move(ticket, "cancel", user, version, comment=comment))
    commit_or_conflict()
    return ticket


__all__ = [
    "Conflict",
    "DecisionItem",
    "DecisionOutcome",
    "OpenTicketExists",
    "WorkflowError",
    "cancel_ticket",
    "decide",
    "decide_many",
    "edit_ticket",
    "file_ticket",
    "resubmit_ticket",
    "withdraw_ticket",
]
