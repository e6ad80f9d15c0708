"""What happened to a ticket, announced to whoever listens (notify subscribes).

``workflow.move`` returns a ``TicketMoved``; the operation that made the move announces it, in its
own transaction and before its commit, so that a listener's rows (notify's outbox) are written or
rolled back with the change. Imports only the models: any layer may announce or listen.
"""

from dataclasses import dataclass

from blinker import Namespace

from ..models import ReviewStage, Ticket, TicketStatus, User

signals = Namespace()
ticket_moved = signals.signal("ticket-moved")  # sender: a TicketMoved
# A reminder about a ticket that did not move (a review deadline, a cutover ahead). sender: the
# Ticket; keyword arguments: reminder ("review_due" or "reminder"), note, dedupe. Listeners answer
# with what they queued (nothing when the dedupe key was used already).
ticket_reminder = signals.signal("ticket-reminder")


@dataclass(frozen=True)
class TicketMoved:
    """One move of the state machine: which action, on which ticket, by whom (None: the system),
    from which status and stage, with which comment."""

    action: str
    ticket: Ticket
    actor: User | None
    from_status: TicketStatus | None
    from_stage: ReviewStage | None
    comment: str | None = None


def announce(*moves: TicketMoved) -> None:
    """Tell the listeners of ``ticket_moved`` about each move, in order."""
    for moved in moves:
        ticket_moved.send(moved)


def remind(ticket: Ticket, reminder: str, note: str, dedupe: str) -> bool:
    """Announce a reminder about the ticket; True when a listener queued something for it."""
    return any(queued for _, queued in ticket_reminder.send(ticket, reminder=reminder, note=note, dedupe=dedupe))
