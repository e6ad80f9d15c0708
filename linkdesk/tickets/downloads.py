"""Handing a stored document back: always as a download, never rendered by the browser."""

from io import BytesIO

from flask import abort, send_file

from ..models import Ticket, TicketAttachment
from . import attachments


def attachment_or_404(ticket: Ticket, attachment_id: int) -> TicketAttachment:
    """One document of a ticket the caller may already see; 404 for any other id."""
    attachment = attachments.find(ticket, attachment_id)
    if attachment is None:
        abort(404)
    return attachment


def send_attachment(attachment: TicketAttachment):
    """The bytes as ``Content-Disposition: attachment`` with the type the bytes proved, under
    ``nosniff`` and a sandboxing CSP, so that no upload can ever run as a page of this site."""
    response = send_file(
        BytesIO(attachment.data),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
        etag=attachment.sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
