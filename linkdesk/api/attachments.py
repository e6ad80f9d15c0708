"""API: a ticket's documents — add (multipart `file`, `version`), list, download, remove."""
from flask import jsonify, request, url_for
from flask_login import current_user

from ..accounts.access import api_roles, visible_ticket_or_404
from ..models import Role
from ..query_args import ascii_int
from ..tickets.attachments import add_attachments, read_uploads, remove_attachment
from ..tickets.downloads import attachment_or_404, send_attachment
from ..tickets.workflow import WorkflowError
from . import bp
from .serializers import attachment_json, ticket_json


def _version_field(value) -> int | None:
    """``version`` from a form field, a query argument or JSON; missing is refused by the workflow."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = ascii_int(value, max_digits=9) if isinstance(value, str) else None
    if number is not None:
        return number
    raise WorkflowError({"version": ["工单版本号 version 应为整数。"]})


@bp.post("/tickets/<int:ticket_id>/attachments", endpoint="add_attachments")
@api_roles(Role.CENTER_STAFF)
def add(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    if request.mimetype != "multipart/form-data":
        raise WorkflowError({"file": ["请以 multipart/form-data 上传：文件放在 file 字段，工单版本号放在 version 字段。"]})
    uploads = read_uploads(request.files.getlist("file"))
    added = add_attachments(current_user, ticket, uploads, _version_field(request.form.get("version")))
    response = jsonify({"attachments": [attachment_json(a) for a in added], "ticket": ticket_json(ticket)})
    response.status_code = 201
    if len(added) == 1:
        response.headers["Location"] = url_for("api.get_attachment", ticket_id=ticket.id, attachment_id=added[0].id)
    return response


@bp.get("/tickets/<int:ticket_id>/attachments", endpoint="list_attachments")
@api_roles()
def listing(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    return jsonify([attachment_json(a) for a in ticket.attachments])


@bp.get("/tickets/<int:ticket_id>/attachments/<int:attachment_id>", endpoint="get_attachment")
@api_roles()
def download(ticket_id: int, attachment_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    return send_attachment(attachment_or_404(ticket, attachment_id))


@bp.delete("/tickets/<int:ticket_id>/attachments/<int:attachment_id>", endpoint="delete_attachment")
@api_roles(Role.CENTER_STAFF)
def delete(ticket_id: int, attachment_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    attachment = attachment_or_404(ticket, attachment_id)
    body = request.get_json(silent=True)
    version = body.get("version") if isinstance(body, dict) else request.args.get("version")
    remove_attachment(current_user, ticket, attachment, _version_field(version))
    return jsonify(ticket_json(ticket))
