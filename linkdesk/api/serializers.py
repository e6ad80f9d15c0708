"""How objects look in the JSON API (design.md, Interfaces)."""
from flask import url_for

from ..links.filing_probe import probe_state
from ..models import Center, Ticket, TicketAttachment


def center_json(center: Center) -> dict:
    """A center, the same shape wherever the API shows one."""
    return {"code": center.code, "name": center.name, "short_name": center.short_name,
            "province": center.province.short_name}


def attachment_json(attachment: TicketAttachment) -> dict:
    """A document's description (never its bytes: those are at ``url``)."""
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_at": attachment.uploaded_at.isoformat(),
        "uploaded_by": attachment.uploaded_by.username,
        "reviewed": attachment.reviewed,
        "url": url_for("api.get_attachment", ticket_id=attachment.ticket_id, attachment_id=attachment.id),
    }


def probe_json(ticket: Ticket) -> dict:
    """Where the filing-time probe of the new address stands; its warning is in ``warnings``."""
    return {
        "state": probe_state(ticket).value,
        "requested_at": ticket.probe_requested_at.isoformat() if ticket.probe_requested_at else None,
        "probed_at": ticket.probed_at.isoformat() if ticket.probed_at else None,
    }


def ticket_json(ticket: Ticket, *, history: bool = True) -> dict:
    """A ticket with the fields of design.md; in detail (``history``) also its documents and audit trail.

    A list shows the same object without ``attachments`` and ``history`` (the document says so).
    """
    body = {
        "id": ticket.id,
        "number": ticket.number,
        "center": center_json(ticket.center),
        "service": ticket.service.code,
        "old_url": ticket.old_url,
        "new_url": ticket.new_url,
        "cutover_date": ticket.cutover_date.isoformat(),
        "submitted_on": ticket.submitted_on.isoformat(),
        "earliest_cutover": ticket.earliest_cutover.isoformat(),
        "provisional": ticket.provisional,
        "emergency": ticket.emergency,
        "emergency_reason": ticket.emergency_reason,
        "http_justification": ticket.http_justification,
        "icp_number": ticket.icp_number,
        "evidence_requested": ticket.evidence_requested,
        "reason": ticket.reason,
        "contact_name": ticket.contact_name,
        "contact_phone": ticket.contact_phone,
        "status": ticket.status.value,
        "stage": ticket.stage.value if ticket.stage else None,
        "warnings": ticket.all_warnings,
        "probe": probe_json(ticket),
        "version": ticket.version,
    }
    if history:
        body["attachments"] = [attachment_json(a) for a in ticket.attachments]
        body["history"] = [
            {
                "at": event.at.isoformat(),
                "actor": event.actor.username if event.actor else None,
                "role": event.actor_role,
                "action": event.action,
                "from_status": event.from_status,
                "from_stage": event.from_stage,
                "to_status": event.to_status,
                "to_stage": event.to_stage,
                "comment": event.comment,
                "changes": event.changes or [],
            }
            for event in ticket.events
        ]
    return body
