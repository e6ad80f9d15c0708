"""Importing a notice: the rules of the notice, the schedules in force and the open tickets meet here.

Before an admin confirms an import (CLI or page), :func:`prepare_import` says what it would do:
the schedule that would be stored (an adjustment notice applied onto the year it amends), the days
whose kind changes (before → after), and the open tickets whose earliest cutover E(D) or whose
cutover day changes. Nothing is stored until ``tickets.flags.import_schedule`` is called.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select

from ..extensions import db
from ..models import OPEN_STATUSES, Ticket
from .amendment import apply_adjustment, read_page
from .calendar import FIRST_DAY, WorkingDayCalendar, YearSchedule, provisional_schedule
from .notice import NoticeParseError
from .schedules import calendar_with, current_calendar, schedule_in_force

KIND_LABELS = {"workday": "工作日", "weekend": "周末休息", "holiday": "放假", "makeup_workday": "调休上班"}


@dataclass(frozen=True)
class DayChange:
    """A day whose kind (workday, weekend, holiday, makeup_workday) the import changes."""

    day: date
    before: str
    after: str

    @property
    def working_changes(self) -> bool:
        return (self.before in ("workday", "makeup_workday")) != (self.after in ("workday", "makeup_workday"))


@dataclass(frozen=True)
class TicketChange:
    """An open ticket the import touches: its E(D) before and after, whether its cutover day stays working."""

    ticket: Ticket
    earliest_before: date
    earliest_after: date
    cutover_working_before: bool
    cutover_working_after: bool


YEARLY_STEP, AMENDMENT_STEP, KEPT_STEP = "yearly", "amendment", "kept"
STEP_LABELS = {YEARLY_STEP: "全年安排", AMENDMENT_STEP: "调整通知", KEPT_STEP: "保留现行的调整通知（重新套用在全年安排之上）"}


@dataclass(frozen=True)
class NoticeStep:
    """One notice of an import, in the order applied, and the days it changes from the step before."""

    source: str
    role: str  # YEARLY_STEP, AMENDMENT_STEP or KEPT_STEP
    days: tuple[DayChange, ...]

    @property
    def label(self) -> str:
        return STEP_LABELS[self.role]


@dataclass(frozen=True)
class ImportPlan:
    """What an import would store: the year's schedule and the notices it was built from, in order.

    ``mentions``: titles of notices the page names without carrying them (a link to another
    notice), shown so that nothing that looks like a notice is passed over unsaid; ``dropped``:
    adjustments in force that the admin chose to remove.
    """

    schedule: YearSchedule
    steps: tuple[NoticeStep, ...] = ()
    mentions: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()

    @property
    def amends(self) -> str | None:
        """The adjustment notices applied onto the year in force, when the page carries no yearly notice."""
        if not self.steps or any(step.role != AMENDMENT_STEP for step in self.steps):
            return None
        return "；".join(step.source for step in self.steps)


@dataclass(frozen=True)
class ImportPreview:
    plan: ImportPlan
    days: tuple[DayChange, ...]
    tickets: tuple[TicketChange, ...]

    @property
    def schedule(self) -> YearSchedule:
        return self.plan.schedule

    @property
    def amends(self) -> str | None:
        return self.plan.amends

    @property
    def steps(self) -> tuple[NoticeStep, ...]:
        return self.plan.steps

    @property
    def kept(self) -> tuple[str, ...]:
        """The adjustments in force that the import keeps on top of the yearly notice."""
        return tuple(step.source for step in self.plan.steps if step.role == KEPT_STEP)

    @property
    def nothing_to_do(self) -> bool:
        """Adjustment notices already in force: storing them would change no day."""
        return self.amends is not None and not self.days


def schedule_from_notice(text: str, drop: tuple[str, ...] = ()) -> ImportPlan:
    """The schedule a pasted page of notices gives, and how: its yearly notice (if any), the
    adjustments in force kept on top of it, then the page's adjustment notices in order of issue.

    ``drop``: adjustments in force to remove (each named by part of its title or 文号); only with a
    yearly notice, which gives the year without them.
    """
    page = read_page(text)
    in_force = schedule_in_force(page.year)
    steps: list[NoticeStep] = []
    dropped: list[str] = []
    if page.yearly is not None:
        schedule = page.yearly
        steps.append(NoticeStep(schedule.source, YEARLY_STEP, _schedule_changes(in_force or provisional_schedule(page.year), schedule)))
        on_page = {amendment.source for amendment in page.amendments}
        for adjustment in in_force.adjustments if in_force else ():
            if adjustment.source in on_page:
                continue  # applied below, as the page prints it
            if any(name in adjustment.source for name in drop):
                dropped.append(adjustment.source)
                continue
            before, schedule = schedule, apply_adjustment(schedule, adjustment)
            steps.append(NoticeStep(adjustment.source, KEPT_STEP, _schedule_changes(before, schedule)))
    elif in_force is None:
        raise NoticeParseError(
            f"{page.year} 年还没有正式的节假日安排（目前按法定节假日推算），调整通知“{page.amendments[0].source}”"
            f"无从套用：请先导入《国务院办公厅关于{page.year}年部分节假日安排的通知》，再导入这份调整通知。"
        )
    else:
        schedule = in_force
    unmatched = [name for name in drop if not any(name in source for source in dropped)]
    if unmatched:
        in_force_names = "、".join(f"“{adjustment.source}”" for adjustment in (in_force.adjustments if in_force else ())) or "没有"
        where = "" if page.yearly is not None else "（去掉调整通知须连同全年通知一起导入）"
        raise NoticeParseError(
            f"要去掉的调整通知“{unmatched[0]}”不在 {page.year} 年现行的调整通知之中{where}；现行的调整通知：{in_force_names}。"
        )
    for amendment in page.amendments:
        before, schedule = schedule, amendment.apply(schedule)
        steps.append(NoticeStep(amendment.source, AMENDMENT_STEP, _schedule_changes(before, schedule)))
    return ImportPlan(schedule, tuple(steps), page.mentions, tuple(dropped))


def _kind(schedule: YearSchedule, day: date) -> str:
    if day in schedule.holidays:
        return "holiday"
    if day in schedule.makeup_workdays:
        return "makeup_workday"
    return "weekend" if day.weekday() >= 5 else "workday"


def _schedule_changes(before: YearSchedule, after: YearSchedule) -> tuple[DayChange, ...]:
    """The days of a year whose kind differs between two of its schedules."""
    touched = (before.holidays ^ after.holidays) | (before.makeup_workdays ^ after.makeup_workdays)
    changes = (DayChange(day, _kind(before, day), _kind(after, day)) for day in sorted(touched))
    return tuple(change for change in changes if change.before != change.after)


def prepare_import(plan: ImportPlan | YearSchedule) -> ImportPreview:
    """What storing the plan's schedule would change, computed without storing anything."""
    if isinstance(plan, YearSchedule):
        plan = ImportPlan(plan)
    schedule = plan.schedule
    before, after = current_calendar(), calendar_with(schedule)
    return ImportPreview(plan, tuple(_day_changes(before, after, schedule.year)), tuple(_ticket_changes(before, after, schedule.year)))


def _day_changes(before: WorkingDayCalendar, after: WorkingDayCalendar, year: int) -> list[DayChange]:
    day, last = max(date(year - 1, 12, 1), FIRST_DAY), date(year, 12, 31)
    changes = []
    while day <= last:
        kinds = before.day_kind(day), after.day_kind(day)
        if kinds[0] != kinds[1]:
            changes.append(DayChange(day, *kinds))
        day += timedelta(days=1)
    return changes


def _ticket_changes(before: WorkingDayCalendar, after: WorkingDayCalendar, year: int) -> list[TicketChange]:
    tickets = db.session.scalars(
        select(Ticket)
        .where(
            Ticket.status.in_(OPEN_STATUSES),
            or_(
                Ticket.submitted_on.between(max(date(year - 1, 11, 1), FIRST_DAY), date(year, 12, 31)),
                Ticket.cutover_date.between(date(year - 1, 12, 1), date(year + 1, 1, 31)),
            ),
        )
        .order_by(Ticket.cutover_date, Ticket.id)
    ).all()
    changes = []
    for ticket in tickets:
        change = TicketChange(
            ticket,
            before.earliest_cutover(ticket.submitted_on).earliest_cutover,
            after.earliest_cutover(ticket.submitted_on).earliest_cutover,
            before.is_working_day(ticket.cutover_date),
            after.is_working_day(ticket.cutover_date),
        )
        if (change.earliest_before, change.cutover_working_before) != (change.earliest_after, change.cutover_working_after):
            changes.append(change)
    return changes
