"""The official Chinese working-day calendar, as a workalendar calendar: the one place that knows
what a working day is.

A day is a working day unless it is a public holiday, or a Saturday or Sunday that is not a
make-up working day (调休上班). ``WorkingDayCalendar`` is a calendar of workalendar, on the base
of workalendar's own ``China`` (``ChineseNewYearCalendar``), whose data are the State Council's
yearly schedules (``year_schedules.py``): ``holidays(year)`` gives the days off of the notices, or
of the statutory rules in a year with no notice yet (provisional), and ``extra_working_days`` the
make-up working days, the attribute workalendar's ``China`` keeps them in. So whoever knows
workalendar asks the usual questions and gets the official answers::

    calendar = WorkingDayCalendar()                  # the shipped schedules, as China() is
    calendar.is_working_day(date(2026, 2, 14))      # True: a make-up Saturday
    calendar.add_working_days(date(2026, 2, 13), 10)                  # date(2026, 3, 5)
    calendar.get_working_days_delta(date(2026, 2, 13), date(2026, 3, 5))  # 10
    calendar.holidays(2026)                          # [(date(2026, 1, 1), '元旦'), …]

They are answered from an index built once from those same holidays and make-up days (a
cumulative count of working days per day), so adding working days is a binary search rather than
workalendar's day-by-day walk, and E(D), the earliest cutover for a filing on D, is a table
lookup. Asked with ``extra_working_days`` or ``extra_holidays``, the methods take workalendar's
own walk.

linkdesk's questions sit beside workalendar's: ``earliest_cutover``, ``next_working_day``,
``working_days_between`` (signed), ``day_kind``, ``holiday_name``, ``is_official``,
``is_provisional`` and ``source``. Nothing here raises at a user for a year it does not know,
except outside the range the lunar tables cover (``CalendarRangeError``, a workalendar
``CalendarError``).

The schedules themselves (``YearSchedule``, ``parse_schedule_file``, ``load_shipped_schedules``,
the statutory rules) live in ``year_schedules.py``; their names are importable from here too.
"""

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from workalendar.core import SAT, SUN, ChineseNewYearCalendar, cleaned_date
from workalendar.exceptions import CalendarError

from .year_schedules import (
    FIRST_DAY,
    LAST_DAY,
    MAX_PERIOD_DAYS,
    WORKALENDAR_NAMES,
    WORKALENDAR_SOURCE,
    Adjustment,
    ScheduleError,
    YearSchedule,
    _days,
    load_shipped_schedules,
    parse_schedule_file,
    provisional_schedule,
    qingming,
    statutory_periods,
    workalendar_schedules,
)

__all__ = [
    "BEIJING",
    "DEFAULT_LEAD_DAYS",
    "FIRST_DAY",
    "HOLIDAY",
    "LAST_DAY",
    "MAKEUP_WORKDAY",
    "MAX_PERIOD_DAYS",
    "WEEKEND",
    "WORKALENDAR_NAMES",
    "WORKALENDAR_SOURCE",
    "WORKDAY",
    "Adjustment",
    "CalendarRangeError",
    "Earliest",
    "ScheduleError",
    "WorkingDayCalendar",
    "YearSchedule",
    "calendar_for",
    "default_calendar",
    "load_shipped_schedules",
    "local_date",
    "parse_date",
    "parse_schedule_file",
    "provisional_schedule",
    "qingming",
    "statutory_periods",
    "workalendar_schedules",
]

DEFAULT_LEAD_DAYS = 10
BEIJING = ZoneInfo("Asia/Shanghai")  # the calendar's days are days in Beijing
UNNAMED_HOLIDAY = "节假日"  # the label of a day off that its schedule lists outside any named period

WORKDAY, WEEKEND, HOLIDAY, MAKEUP_WORKDAY = "workday", "weekend", "holiday", "makeup_workday"


def local_date(moment: datetime) -> date:
    """The date in Beijing of a moment: the D that the lead-time rule counts from."""
    return moment.astimezone(BEIJING).date()


def parse_date(value) -> date | None:
    """A date from a date or an ISO string; None when it is not one."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


class CalendarRangeError(CalendarError, ValueError):
    """A date outside the years the calendar can answer for at all (before 2018, after 2099)."""


@dataclass(frozen=True, slots=True)
class Earliest:
    """E(D): the earliest cutover date for a request submitted on ``submitted``."""

    submitted: date
    earliest_cutover: date
    provisional: bool


def _check_range(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise CalendarRangeError(f"{day.isoformat()} 超出工作日历的范围（{FIRST_DAY.isoformat()} 至 {LAST_DAY.isoformat()}）。")


def _as_date(day) -> date:
    """A date from a date or datetime, as workalendar's methods take either."""
    return day if type(day) is date else cleaned_date(day)


def _landed(start, found: date):
    """``found``, at the time of day of ``start`` when that is a datetime (workalendar's ``keep_datetime``)."""
    return start + (found - start.date()) if isinstance(start, datetime) else found


class WorkingDayCalendar(ChineseNewYearCalendar):
    """China (official): the State Council's holidays and make-up working days, 2018–2099.

    ``schedules`` are the official years (the shipped files when omitted); every other year is
    provisional, its holidays by the statutory rules. ``lead_days`` is the lead time that
    ``earliest_cutover`` counts.
    """

    WEEKEND_DAYS = (SAT, SUN)

    def __init__(self, schedules: Iterable[YearSchedule] | None = None, lead_days: int = DEFAULT_LEAD_DAYS):
        super().__init__()
        self.lead_days = lead_days
        if schedules is None:
            schedules = load_shipped_schedules()
        self._schedules = {schedule.year: schedule for schedule in schedules}
        self._names = self._holiday_names()
        self._days_off: dict[int, list[tuple[date, str]]] = {year: [] for year in range(FIRST_DAY.year, LAST_DAY.year + 1)}
        for day, name in self._names.items():
            if FIRST_DAY <= day <= LAST_DAY:
                self._days_off[day.year].append((day, name or UNNAMED_HOLIDAY))
        # workalendar China's name for the days that work although they are weekend days.
        self.extra_working_days = sorted({day for schedule in self._schedules.values() for day in schedule.makeup_workdays})
        self._makeup = frozenset(self.extra_working_days)
        self._count = self._cumulative_working_days()
        self._earliest = None  # E(D) for every day, built on first use

    def _holiday_names(self) -> dict[date, str]:
        """Every day off of every year, with its period's name ("" when its schedule names none)."""
        names: dict[date, str] = {}
        for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
            schedule = self._schedules.get(year) or provisional_schedule(year)
            for name, first, last in schedule.periods:
                for day in _days(first, last):
                    names.setdefault(day, name)
            for day in schedule.holidays:
                names.setdefault(day, "")
        return names

    def _cumulative_working_days(self) -> list[int]:
        """``_count[i]``: working days among the first i days of the range (day i excluded).

        workalendar's rule, over workalendar's ``holidays(year)`` and ``extra_working_days``: an
        extra working day works; otherwise a weekend day or a holiday does not.
        """
        weekend = set(self.get_weekend_days())
        count, running, day = [0], 0, FIRST_DAY
        for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
            off = self.holidays_set(year)
            while day.year == year:
                running += day in self._makeup or (day.weekday() not in weekend and day not in off)
                count.append(running)
                day += timedelta(days=1)
        return count

    def _index(self, day: date) -> int:
        _check_range(day)
        return (day - FIRST_DAY).days

    # --- workalendar's calendar -----------------------------------------------------------

    def get_calendar_holidays(self, year: int) -> list[tuple[date, str]]:
        """workalendar's source of ``holidays(year)``: the year's days off, named as in the notices.

        Weekend days inside a holiday period are listed too, as workalendar's ``China`` does.
        """
        if year not in self._days_off:
            raise CalendarRangeError(f"{year} 年超出工作日历的范围（{FIRST_DAY.year} 至 {LAST_DAY.year} 年）。")
        return list(self._days_off[year])

    def is_working_day(self, day, extra_working_days=None, extra_holidays=None) -> bool:
        """Whether a day is a working day (make-up Saturdays included, holidays excluded).

        workalendar's method, answered from the index; with ``extra_working_days`` or
        ``extra_holidays`` it is workalendar's rule, the make-up days counting as extra working days
        (as in workalendar's ``China``).
        """
        index = self._index(_as_date(day))
        if extra_working_days or extra_holidays:
            extra = [*self.extra_working_days, *(extra_working_days or ())]
            return super().is_working_day(day, extra_working_days=extra, extra_holidays=extra_holidays)
        return self._count[index + 1] > self._count[index]

    def add_working_days(self, day, delta, extra_working_days=None, extra_holidays=None, keep_datetime=False):
        """The ``delta``-th working day after ``day`` (``day`` itself never counts).

        workalendar's method, a binary search in the index: a negative ``delta`` counts back,
        0 gives ``day``; a datetime stays one with ``keep_datetime``.
        """
        if extra_working_days or extra_holidays:
            return super().add_working_days(day, delta, extra_working_days, extra_holidays, keep_datetime)
        if delta < 0:
            return self.sub_working_days(day, delta, keep_datetime=keep_datetime)
        start = day if type(day) is date else cleaned_date(day, keep_datetime)
        if delta == 0:
            return start
        on = _as_date(start)
        position = bisect_left(self._count, self._count[self._index(on) + 1] + delta)
        if position >= len(self._count):
            raise CalendarRangeError(f"{on.isoformat()} 之后第 {delta} 个工作日超出工作日历的范围。")
        found = FIRST_DAY + timedelta(days=position - 1)
        return found if start is on else _landed(start, found)

    def sub_working_days(self, day, delta, extra_working_days=None, extra_holidays=None, keep_datetime=False):
        """The ``abs(delta)``-th working day before ``day`` (``day`` itself never counts).

        workalendar's method, a binary search in the index.
        """
        if extra_working_days or extra_holidays:
            return super().sub_working_days(day, delta, extra_working_days, extra_holidays, keep_datetime)
        delta = abs(delta)
        start = day if type(day) is date else cleaned_date(day, keep_datetime)
        if delta == 0:
            return start
        on = _as_date(start)
        wanted = self._count[self._index(on)] - delta + 1  # working days up to and including it
        if wanted < 1:
            raise CalendarRangeError(f"{on.isoformat()} 之前第 {delta} 个工作日超出工作日历的范围。")
        found = FIRST_DAY + timedelta(days=bisect_left(self._count, wanted) - 1)
        return found if start is on else _landed(start, found)

    def get_working_days_delta(self, start, end, include_start=False, extra_working_days=None, extra_holidays=None) -> int:
        """Working days after the earlier day up to the later (in either order), the earlier too
        with ``include_start`` when it is one. workalendar's method, from the index."""
        if extra_working_days or extra_holidays:
            return super().get_working_days_delta(start, end, include_start, extra_working_days, extra_holidays)
        start, end = sorted((_as_date(start), _as_date(end)))
        if start == end:
            return 0
        return self.working_days_between(start, end) + int(include_start and self.is_working_day(start))

    # --- questions about one day -------------------------------------------------------

    def day_kind(self, day: date) -> str:
        """``workday``, ``weekend``, ``holiday`` or ``makeup_workday``."""
        _check_range(day)
        if day in self._makeup:
            return MAKEUP_WORKDAY
        if day in self._names:
            return HOLIDAY
        return WEEKEND if day.weekday() >= 5 else WORKDAY

    def holiday_name(self, day: date) -> str | None:
        """The holiday a day belongs to (e.g. 春节), or None (also for a day off its schedule leaves unnamed)."""
        return self._names.get(day) or None

    def is_official(self, year: int) -> bool:
        """Whether the year's schedule is an official one rather than a statutory estimate."""
        return year in self._schedules

    def is_provisional(self, day: date) -> bool:
        """Whether the answer for this day is an estimate (its year has no official schedule)."""
        return not self.is_official(day.year)

    def source(self, year: int) -> str | None:
        """Where the year's schedule comes from, or None for a provisional year."""
        schedule = self._schedules.get(year)
        return schedule.source if schedule else None

    # --- counting ------------------------------------------------------------------------

    def next_working_day(self, day: date) -> date:
        """The first working day on or after ``day`` (unlike workalendar's
        ``find_following_working_day``, which knows only weekends)."""
        position = bisect_left(self._count, self._count[self._index(day)] + 1)
        if position >= len(self._count):
            raise CalendarRangeError(f"{day.isoformat()} 之后没有工作日历范围内的工作日。")
        return FIRST_DAY + timedelta(days=position - 1)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start (a signed
        ``get_working_days_delta``)."""
        return self._count[self._index(end) + 1] - self._count[self._index(start) + 1]

    def earliest_cutover(self, submitted: date) -> Earliest:
        """E(D): the lead-th working day after D, or after the next working day when D is not one.

        Provisional when any day from D to E(D) lies in a year without an official schedule.
        Answered from a table built on first use: it is asked for every form, queue row and
        calendar cell.
        """
        index = self._index(submitted)
        if self._earliest is None:  # one table per calendar; a race only builds it twice
            self._earliest = self._earliest_table()
        answer = self._earliest[index]
        if answer is None:
            raise CalendarRangeError(f"{submitted.isoformat()} 的最早切换日期超出工作日历的范围。")
        return answer

    def _earliest_table(self) -> list[Earliest | None]:
        count, lead, official = self._count, self.lead_days, self._schedules
        days = len(count) - 1
        table: list[Earliest | None] = []
        for index in range(days):
            through_d = count[index + 1]
            # Working days up to and including E: those through W(D), then the lead after it.
            wanted = through_d + lead + (0 if through_d > count[index] else 1)
            position = bisect_left(count, wanted, lo=index + 1)
            if position > days:
                table.append(None)
                continue
            submitted, earliest = FIRST_DAY + timedelta(days=index), FIRST_DAY + timedelta(days=position - 1)
            provisional = any(year not in official for year in range(submitted.year, earliest.year + 1))
            table.append(Earliest(submitted, earliest, provisional))  # immutable: shared by every caller
        return table


def default_calendar(lead_days: int = DEFAULT_LEAD_DAYS) -> WorkingDayCalendar:
    """The calendar of the shipped schedules alone (no admin imports)."""
    return calendar_for(load_shipped_schedules(), lead_days)


@lru_cache(maxsize=8)
def calendar_for(schedules: tuple[YearSchedule, ...], lead_days: int) -> WorkingDayCalendar:
    """One calendar per set of schedules and lead, shared by every app in the process."""
    return WorkingDayCalendar(schedules, lead_days)
