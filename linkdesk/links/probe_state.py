"""Where a ticket's filing-time probe stands (提交时检测的状态): a rule over the ticket's columns.

Kept apart from ``filing_probe`` (which runs probes, and so reaches ``health`` and its
notifications) so that the JSON shapes of a ticket and the pages can say the state without
importing the machinery that probes.
"""

from datetime import datetime, timedelta
from enum import StrEnum

from ..models import Ticket
from ..models.types import utcnow

# Far longer than a probe takes (LINKDESK_FILING_PROBE_TIMEOUT_SECONDS, plus its wait in the
# queue): a probe still pending after this was lost with its process.
UNFINISHED_AFTER = timedelta(minutes=10)


class ProbeState(StrEnum):
    """Where a ticket's filing-time probe stands, for the page and the API."""

    NONE = "none"  # never asked (probing at filing is off, or the ticket predates it)
    PENDING = "pending"  # asked for, running or about to
    DONE = "done"  # finished: its warning, if any, is among the ticket's warnings
    UNFINISHED = "unfinished"  # asked for too long ago: the result is unknown

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    ProbeState.NONE: "未检测新地址",
    ProbeState.PENDING: "正在检测新地址…",
    ProbeState.DONE: "新地址已检测",
    ProbeState.UNFINISHED: "新地址检测未完成，结果未知",
}


def probe_state(ticket: Ticket, now: datetime | None = None) -> ProbeState:
    """The state of the ticket's filing-time probe at ``now`` (default: now)."""
    if ticket.probe_requested_at is not None:
        age = (now or utcnow()) - ticket.probe_requested_at
        return ProbeState.PENDING if age < UNFINISHED_AFTER else ProbeState.UNFINISHED
    return ProbeState.DONE if ticket.probed_at is not None else ProbeState.NONE
