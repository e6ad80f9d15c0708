"""Attachments on a ticket: add and remove them, each in the ticket's transaction with its
audit event; lock them once a reviewer has decided on them.

The clerk of the ticket's center adds documents at filing, while the ticket is under review
or returned, and on resubmission; every addition or removal bumps the ticket's version, so a
reviewer never decides on a ticket whose documents changed under their eyes. A document a
reviewer has decided on is part of the record: it can no longer be removed.
"""

from flask import current_app
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Role, Ticket, TicketAttachment, User
from .events import TicketMoved, announce
from .evidence import MEGABYTE, CheckedFile, FileRefused, Upload, check_upload, describe
from .workflow import WorkflowError, check_transition, commit_or_conflict, move

FIELD = "attachments"


class AttachmentRefused(WorkflowError):
    """Files refused: 413 when one is too large, 422 otherwise; messages under ``attachments``."""

    def __init__(self, errors: dict[str, list[str]], status: int = 422):
        super().__init__(errors)
        self.status = status


def limits() -> tuple[int, int]:
    """(largest file in bytes, most files on one ticket), from the configuration."""
    config = current_app.config
    return config["LINKDESK_ATTACHMENT_MAX_BYTES"], config["LINKDESK_ATTACHMENTS_PER_TICKET"]


def upload_request_limit(config) -> int:
    """The largest request body that may carry attachments: a full ticket's worth, plus the form."""
    return config["LINKDESK_ATTACHMENTS_PER_TICKET"] * config["LINKDESK_ATTACHMENT_MAX_BYTES"] + MEGABYTE


def read_uploads(files) -> list[Upload]:
    """Werkzeug FileStorage parts as Uploads, each read to at most one byte past the limit
    (enough to tell it is too large). Empty parts — a file input left blank — are skipped."""
    max_bytes, _ = limits()
    uploads = []
    for part in files:
        data = part.stream.read(max_bytes + 1)
        if not part.filename and not data:
            continue
        uploads.append(Upload(part.filename or "", data))
    return uploads


def check_uploads(uploads: list[Upload], already: int) -> tuple[list[CheckedFile], dict[str, list[str]], int]:
    """Judge every file at once, so the clerk sees all problems together.

    Returns the accepted files, errors under ``attachments`` and the status they call for
    (413 when a file is too large, else 422).
    """
    max_bytes, most = limits()
    checked, messages, status = [], [], 422
    for upload in uploads:
        try:
            checked.append(check_upload(upload, max_bytes))
        except FileRefused as refusal:
            messages.append(refusal.message)
            if refusal.status == 413:
                status = 413
    if already + len(uploads) > most:
        messages.append(f"每个工单最多 {most} 个附件（已有 {already} 个，本次上传 {len(uploads)} 个）。")
    return checked, ({FIELD: messages} if messages else {}), status


def count(ticket: Ticket) -> int:
    """How many documents the ticket carries now."""
    if ticket.id is None:
        return 0
    return db.session.scalar(select(func.count()).where(TicketAttachment.ticket_id == ticket.id))


def store(ticket: Ticket, user: User, files: list[CheckedFile], version: int | None) -> tuple[list[TicketAttachment], list[TicketMoved]]:
    """Add accepted files to the ticket (on the ``version`` the clerk saw), each an "attach" move
    of the state machine with its audit event, in the caller's transaction; returns the rows and
    the moves for the caller to announce."""
    rows, moves = [], []
    for file in files:
        row = TicketAttachment(
            ticket=ticket,
            filename=file.filename,
            content_type=file.content_type,
            size=file.size,
            sha256=file.sha256,
            data=file.data,
            uploaded_by=user,
        )
        db.session.add(row)
        moves.append(move(ticket, "attach", user, version, comment=describe(file.filename, file.content_type, file.size, file.sha256)))
        rows.append(row)
    return rows, moves


def has_new_document(ticket: Ticket) -> bool:
    """True when a document was added since the last decision (none has been reviewed yet)."""
    return db.session.scalar(select(func.count()).where(TicketAttachment.ticket_id == ticket.id, TicketAttachment.reviewed.is_(False))) > 0


def lock_reviewed(ticket: Ticket) -> None:
    """A reviewer decided on the ticket: its documents are now part of the record."""
    db.session.execute(
        update(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id, TicketAttachment.reviewed.is_(False)).values(reviewed=True)
    )


def find(ticket: Ticket, attachment_id: int) -> TicketAttachment | None:
    """One of the ticket's documents, or None (someone else's id included)."""
    return db.session.scalar(select(TicketAttachment).where(TicketAttachment.id == attachment_id, TicketAttachment.ticket_id == ticket.id))


def _owner_check(user: User, ticket: Ticket) -> None:
    if user.role is not Role.CENTER_STAFF or user.center_id != ticket.center_id:
        raise WorkflowError("只有本中心经办人员可以处理此工单的附件。", FIELD)


def add_attachments(user: User, ticket: Ticket, uploads: list[Upload], version: int | None) -> list[TicketAttachment]:
    """The clerk adds documents to a ticket under review or returned; one commit."""
    _owner_check(user, ticket)
    check_transition(ticket, "attach", user, version)
    if not uploads:
        raise AttachmentRefused({FIELD: ["请选择要上传的文件（PDF、PNG 或 JPEG）。"]})
    files, errors, status = check_uploads(uploads, count(ticket))
    if errors:
        raise AttachmentRefused(errors, status)
    rows, moves = store(ticket, user, files, version)
    announce(*moves)
    commit_or_conflict()
    return rows


def remove_attachment(user: User, ticket: Ticket, attachment: TicketAttachment, version: int | None) -> None:
    """The clerk removes a document no reviewer has decided on yet; one commit."""
    _owner_check(user, ticket)
    check_transition(ticket, "detach", user, version)
    if attachment.reviewed:
        raise WorkflowError("审核人员已据此附件作出决定，它已成为工单记录的一部分，不能删除；如有更正，请上传新的附件。", FIELD)
    if ticket.emergency and count(ticket) <= 1:
        raise WorkflowError("紧急变更须保留至少一个附件（申请紧急变更的盖章公函）；请先上传替换的文件再删除。", FIELD)
    detached = move(
        ticket, "detach", user, version, comment=describe(attachment.filename, attachment.content_type, attachment.size, attachment.sha256)
    )
    db.session.delete(attachment)
    announce(detached)
    commit_or_conflict()
