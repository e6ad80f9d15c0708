"""How objects look in the JSON API (design.md, Interfaces)."""
from ..models import Ticket


def ticket_json(ticket: Ticket, *, history: bool = True) -> dict:
    """A ticket with the fields of design.md; its audit trail as `history`."""
    body = {
        "id": ticket.id,
        "number": ticket.number,
        "center": ticket.center.code,
        "center_name": ticket.center.name,
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
        "reason": ticket.reason,
        "contact_name": ticket.contact_name,
        "contact_phone": ticket.contact_phone,
        "status": ticket.status.value,
        "stage": ticket.stage.value if ticket.stage else None,
        "warnings": ticket.warnings,
        "version": ticket.version,
    }
    if history:
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
            }
            for event in ticket.events
        ]
    return body
