"""API: tickets — file, list, read, edit, resubmit, withdraw, decide, cancel."""
from flask import jsonify, request, url_for
from flask_login import current_user
from sqlalchemy.orm import contains_eager, selectinload

from ..accounts.access import api_roles, awaiting_review, scoped_tickets, visible_ticket_or_404
from ..extensions import db
from ..models import Role, Ticket, TicketStatus
from ..query_args import int_arg
from ..tickets.attachments import read_uploads
from ..tickets.filing import FIELDS, ChangeRequest
from ..tickets.listing import TicketFilters, filtered_tickets
from ..tickets.operations import (
    OpenTicketExists,
    WorkflowError,
    cancel_ticket,
    decide,
    edit_ticket,
    file_ticket,
    resubmit_ticket,
    withdraw_ticket,
)
from ..tickets.workflow import REVIEWER_STAGE
from . import bp
from .serializers import ticket_json

# The JSON type of every field a ticket call reads. Another type is refused by name: true, []
# or {"a": 1} where a text belongs were stored as their Python repr.
FIELD_TYPES: dict[str, type] = {
    **{name: str for name in FIELDS if name not in ("emergency", "cutover_date")},  # a date: the filing says its format
    "emergency": bool, "center": str, "decision": str, "override": bool, "require_document": bool, "version": int,
    # comment: the workflow checks it with its own message
}
TYPE_NAMES = {str: "字符串", bool: "布尔值 true/false", int: "整数"}


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise WorkflowError({"body": ["请求体必须是 JSON 对象。"]})
    errors = {
        name: [f"{name} 应为{TYPE_NAMES[kind]}。"]
        for name, kind in FIELD_TYPES.items()
        if data.get(name) is not None and (type(data[name]) is not kind)  # bool is not an int here
    }
    if errors:
        raise WorkflowError(errors)
    return data


def _version(data: dict) -> int | None:
    """The body's version (its type checked by _body); a missing one is refused by the workflow, like a page's."""
    return data.get("version")


@bp.errorhandler(WorkflowError)
def workflow_refused(error: WorkflowError):
    body = {"errors": error.errors, "error": error.message, "status": error.status}
    if isinstance(error, OpenTicketExists) and error.existing is not None:
        body["open_ticket"] = {
            "id": error.existing.id,
            "number": error.existing.number,
            "url": url_for("api.get_ticket", ticket_id=error.existing.id),
        }
    return jsonify(body), error.status


@bp.post("/tickets")
@api_roles(Role.CENTER_STAFF)
def create_ticket():
    # JSON, or multipart/form-data with the same fields and the documents as `file` parts
    # (an emergency change needs its letter at filing).
    if request.mimetype == "multipart/form-data":
        data, uploads = request.form, read_uploads(request.files.getlist("file"))
    else:
        data, uploads = _body(), []
    center = data.get("center")
    if center not in (None, "", current_user.center.code, current_user.center.short_name):
        raise WorkflowError({"center": ["只能为本中心提交工单。"]})
    ticket = file_ticket(current_user, ChangeRequest.from_mapping(data), uploads)
    response = jsonify(ticket_json(ticket))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_ticket", ticket_id=ticket.id)
    return response


@bp.get("/tickets")
@api_roles()
def list_tickets():
    status = request.args.get("status")
    if status and status not in {s.value for s in TicketStatus}:
        raise WorkflowError({"status": [f"未知状态“{status}”。"]})
    if request.args.get("awaiting_me") and current_user.role in REVIEWER_STAGE:
        query = awaiting_review(current_user)
    else:
        query = scoped_tickets(current_user)
    query = filtered_tickets(query, TicketFilters.from_args(request.args)).order_by(Ticket.id.desc())
    limit = int_arg(request.args, "limit", 100, low=1, high=500)
    offset = int_arg(request.args, "offset", 0, low=0, high=10**9)
    query = query.options(contains_eager(Ticket.center), selectinload(Ticket.service))
    tickets = db.session.scalars(query.limit(limit).offset(offset)).all()
    return jsonify([ticket_json(ticket, history=False) for ticket in tickets])


@bp.get("/tickets/<int:ticket_id>")
@api_roles()
def get_ticket(ticket_id: int):
    return jsonify(ticket_json(visible_ticket_or_404(current_user, ticket_id)))


@bp.patch("/tickets/<int:ticket_id>")
@api_roles(Role.CENTER_STAFF)
def patch_ticket(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    data = _body()
    return jsonify(ticket_json(edit_ticket(current_user, ticket, data, _version(data))))


@bp.post("/tickets/<int:ticket_id>/resubmit")
@api_roles(Role.CENTER_STAFF)
def resubmit(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    data = _body()
    return jsonify(ticket_json(resubmit_ticket(current_user, ticket, data, _version(data))))


@bp.post("/tickets/<int:ticket_id>/withdraw")
@api_roles(Role.CENTER_STAFF)
def withdraw(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    data = _body()
    return jsonify(ticket_json(withdraw_ticket(current_user, ticket, _version(data), data.get("comment"))))


@bp.post("/tickets/<int:ticket_id>/decision")
@api_roles(Role.PROVINCE_REVIEWER, Role.MINISTRY_REVIEWER)
def decision(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    data = _body()
    decided = decide(current_user, ticket, data.get("decision"), data.get("comment"), _version(data),
                     override=data.get("override") is True, require_document=data.get("require_document") is True)
    return jsonify(ticket_json(decided))


@bp.post("/tickets/<int:ticket_id>/cancel")
@api_roles(Role.CENTER_STAFF, Role.MINISTRY_REVIEWER)
def cancel(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    data = _body()
    return jsonify(ticket_json(cancel_ticket(current_user, ticket, _version(data), data.get("comment"))))

