"""A ticket as the API and webhooks show it: in a list, in detail (with its documents and audit
trail), and the pieces it is made of."""

from typing import Any, Literal

from flask import url_for
from pydantic import ConfigDict, Field

from .. import models
from ..links.probe_state import ProbeState, probe_state
from ..models import ReviewStage, TicketStatus
from . import Day, Shape, Timestamp
from .registry import Center, center_of

ContentType = Literal["application/pdf", "image/png", "image/jpeg"]


class Attachment(Shape):
    """工单附件（证明材料）的说明，不含内容。"""

    id: int
    filename: str
    content_type: ContentType
    size: int
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    uploaded_at: Timestamp
    uploaded_by: str
    reviewed: bool = Field(description="审核人员已据此作出决定；此后不能删除")
    url: str = Field(description="下载地址（总是作为附件下载）")


class HistoryEvent(Shape):
    """审计记录：谁、何时（UTC）、从何状态到何状态、意见。只增不改。"""

    at: Timestamp
    actor: str | None
    role: str
    action: str
    from_status: str | None
    from_stage: str | None
    to_status: str | None
    to_stage: str | None
    comment: str | None
    changes: list[dict[str, Any]] = Field(description="修改了哪些字段（修改、重新提交时）")


class TicketWarning(Shape):
    """提示审核人员的一项发现。"""

    model_config = ConfigDict(extra="allow")

    code: str


class Probe(Shape):
    """新地址的提交时检测：提交、改地址或重新提交后在后台进行，不影响提交"""

    state: ProbeState = Field(
        description="none 未检测（提交时检测已关闭）；pending 正在检测；done 已检测（未通过时 warnings 中有 probe）；"
        "unfinished 检测未完成、结果未知（不代表地址可用）"
    )
    requested_at: Timestamp | None = Field(description="检测请求时间（pending、unfinished 时）")
    probed_at: Timestamp | None = Field(description="检测完成时间（done 时）")


class TicketListItem(Shape):
    """工单（列表中）：与详情相同，但不含 attachments 和 history。"""

    id: int
    number: str = Field(description="工单号")
    center: Center
    service: str = Field(description="业务事项代码，见 GET /services")
    old_url: str | None = Field(description="提交时的现行地址")
    new_url: str
    cutover_date: Day = Field(description="切换日期（工作日）")
    submitted_on: Day = Field(description="提交（或重新提交）的北京时间日期 D")
    earliest_cutover: Day = Field(description="E(D)：最早可切换日期")
    provisional: bool = Field(description="E(D) 依据的年份尚无国务院办公厅安排，为推算值")
    emergency: bool = Field(description="紧急变更")
    emergency_reason: str | None
    http_justification: str | None
    icp_number: str | None
    evidence_requested: bool = Field(description="审核人员要求补充证明材料")
    reason: str
    contact_name: str
    contact_phone: str
    status: TicketStatus
    stage: ReviewStage | None
    warnings: list[TicketWarning] = Field(
        description="提示审核人员的发现（http、不同主机、无法访问等）；新地址检测的结果（probe）在检测完成后加入"
    )
    probe: Probe
    version: int = Field(description="版本号：修改、审核、撤回时带上，他人先改则 409")


class Ticket(TicketListItem):
    """工单（详情）：列表中的字段，加上附件 attachments 和审计记录 history。"""

    attachments: list[Attachment]
    history: list[HistoryEvent]


def attachment_of(attachment: models.TicketAttachment) -> Attachment:
    return Attachment(
        id=attachment.id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
        uploaded_at=attachment.uploaded_at,
        uploaded_by=attachment.uploaded_by.username,
        reviewed=attachment.reviewed,
        url=url_for("api.get_attachment", ticket_id=attachment.ticket_id, attachment_id=attachment.id),
    )


def attachment_json(attachment: models.TicketAttachment) -> dict:
    """A document's description (never its bytes: those are at ``url``)."""
    return attachment_of(attachment).as_json()


def _history(event: models.AuditEvent) -> HistoryEvent:
    return HistoryEvent(
        at=event.at,
        actor=event.actor.username if event.actor else None,
        role=event.actor_role,
        action=event.action,
        from_status=event.from_status,
        from_stage=event.from_stage,
        to_status=event.to_status,
        to_stage=event.to_stage,
        comment=event.comment,
        changes=event.changes or [],
    )


def ticket_of(ticket: models.Ticket, *, history: bool = True) -> TicketListItem:
    """The ticket's shape: in detail (``history``) a Ticket, else a TicketListItem."""
    fields = dict(
        id=ticket.id,
        number=ticket.number,
        center=center_of(ticket.center),
        service=ticket.service.code,
        old_url=ticket.old_url,
        new_url=ticket.new_url,
        cutover_date=ticket.cutover_date,
        submitted_on=ticket.submitted_on,
        earliest_cutover=ticket.earliest_cutover,
        provisional=ticket.provisional,
        emergency=ticket.emergency,
        emergency_reason=ticket.emergency_reason,
        http_justification=ticket.http_justification,
        icp_number=ticket.icp_number,
        evidence_requested=ticket.evidence_requested,
        reason=ticket.reason,
        contact_name=ticket.contact_name,
        contact_phone=ticket.contact_phone,
        status=ticket.status,
        stage=ticket.stage,
        warnings=ticket.all_warnings,
        probe=Probe(state=probe_state(ticket), requested_at=ticket.probe_requested_at, probed_at=ticket.probed_at),
        version=ticket.version,
    )
    if not history:
        return TicketListItem(**fields)
    return Ticket(
        **fields, attachments=[attachment_of(a) for a in ticket.attachments], history=[_history(event) for event in ticket.events]
    )


def ticket_json(ticket: models.Ticket, *, history: bool = True) -> dict:
    """A ticket with the fields of design.md; in detail (``history``) also its documents and audit trail.

    A list shows the same object without ``attachments`` and ``history`` (the document says so).
    """
    return ticket_of(ticket, history=history).as_json()


class AttachmentsAdded(Shape):
    """已保存的附件，与上传后的工单。"""

    attachments: list[Attachment]
    ticket: Ticket


class DecisionResult(Shape):
    """批量审核中一项的结果。"""

    id: int | None
    status: int = Field(description="该项的结果：200、404、409、422")
    ticket: TicketListItem = Field(None, description="200 时：审核后的工单")
    errors: dict[str, list[str]] = Field(None, description="未成功时：按字段的中文说明")
    version: int = Field(None, description="409 时工单现在的 version")


class DecisionResults(Shape):
    """每项各自的结果，顺序同请求。"""

    results: list[DecisionResult]


def decision_result_json(result: DecisionResult) -> dict:
    """One item's result: only the fields it has (``ticket`` or ``errors``, ``version`` on a 409)."""
    return result.model_dump(mode="json", exclude_unset=True)
