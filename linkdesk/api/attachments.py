"""API: a ticket's documents — add (multipart `file`, `version`), list, download, remove."""

from flask import jsonify, request, url_for
from flask_login import current_user

from ..accounts.access import api_roles, visible_ticket_or_404
from ..models import Role
from ..shapes.tickets import AttachmentsAdded, attachment_json, attachment_of, ticket_json, ticket_of
from ..tickets.attachments import add_attachments, read_uploads, remove_attachment
from ..tickets.downloads import attachment_or_404, send_attachment
from ..tickets.workflow import WorkflowError
from .blueprint import bp
from .bodies import AttachmentVersion, validated


@bp.post("/tickets/<int:ticket_id>/attachments", endpoint="add_attachments")
@api_roles(Role.CENTER_STAFF)
def add(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    if request.mimetype != "multipart/form-data":
        raise WorkflowError({"file": ["请以 multipart/form-data 上传：文件放在 file 字段，工单版本号放在 version 字段。"]})
    uploads = read_uploads(request.files.getlist("file"))
    version = validated(AttachmentVersion, {"version": request.form.get("version")}).version
    added = add_attachments(current_user, ticket, uploads, version)
    response = jsonify(AttachmentsAdded(attachments=[attachment_of(a) for a in added], ticket=ticket_of(ticket)).as_json())
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
    # The version in a JSON body, else in the query string.
    given = {"version": body.get("version")} if isinstance(body, dict) else request.args.to_dict()
    version = validated(AttachmentVersion, given).version
    remove_attachment(current_user, ticket, attachment, version)
    return jsonify(ticket_json(ticket))
