"""Review deadlines (审核截止): a pending ticket must be decided at least N working days before
its cutover (LINKDESK_REVIEW_DEADLINE_WORKING_DAYS, default 2), so that the mini-program can be
configured in time.

The deadline of a cutover on C is the N-th working day before C. It grows with C, so "overdue"
and "due soon" are cutover-date thresholds computed once per request from today: lists filter
and count them in SQL, with no per-ticket query and no stored column to keep up to date.
"""

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from ..models import Ticket
from ..workdays.calendar import CalendarRangeError, WorkingDayCalendar

DEFAULT_DEADLINE_WORKING_DAYS = 2
DUE_LABELS = {"overdue": "逾期", "soon": "即将逾期"}


@dataclass(frozen=True)
class ReviewClock:
    """Review deadlines as seen on ``today``."""

    calendar: WorkingDayCalendar
    today: date
    working_days: int = DEFAULT_DEADLINE_WORKING_DAYS

    def deadline(self, cutover: date) -> date | None:
        """The last day to decide a ticket cutting over on ``cutover``."""
        try:
            return self.calendar.sub_working_days(cutover, self.working_days)
        except CalendarRangeError:
            return None

    @cached_property
    def _first_working_day(self) -> date:
        # A deadline is a working day: on a Saturday, Friday's deadline has passed and Monday's is next.
        return self.calendar.next_working_day(self.today)

    @cached_property
    def overdue_before(self) -> date:
        """Cutovers before this date have their deadline behind them."""
        return self.calendar.add_working_days(self._first_working_day, self.working_days)

    @cached_property
    def soon_before(self) -> date:
        """Cutovers from ``overdue_before`` up to this date are due today or on the next working day."""
        return self.calendar.add_working_days(self._first_working_day, self.working_days + 2)

    def state(self, cutover: date) -> str | None:
        """ "overdue", "soon" (the deadline is today or the next working day) or None."""
        if cutover < self.overdue_before:
            return "overdue"
        if cutover < self.soon_before:
            return "soon"
        return None

    def due_clause(self, state: str):
        """The SQL condition on Ticket for "overdue" or "soon" (callers add: pending)."""
        if state == "overdue":
            return Ticket.cutover_date < self.overdue_before
        return (Ticket.cutover_date >= self.overdue_before) & (Ticket.cutover_date < self.soon_before)


def review_clock(calendar: WorkingDayCalendar, today: date, config) -> ReviewClock:
    """The clock with the configured number of working days."""
    return ReviewClock(calendar, today, int(config.get("LINKDESK_REVIEW_DEADLINE_WORKING_DAYS", DEFAULT_DEADLINE_WORKING_DAYS)))
