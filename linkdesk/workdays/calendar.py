"""The official Chinese working-day calendar: the one place that knows what a working day is.

A day is a working day unless it is a public holiday, or a Saturday or Sunday that is not a
make-up working day (调休上班). The official schedules come from the State Council's yearly
notice (国务院办公厅关于YYYY年部分节假日安排的通知):

- workalendar's ``China`` calendar (2018–2023) is the engine's base, but its data lacks the
  extension of the 2020 Spring Festival (国办发明电〔2020〕1号), so every year from 2018 is also
  shipped as a data file in ``linkdesk/data/holidays/``, read from the notices it rests on (the
  file lists them, adjustment notices included); a file wins over workalendar's year;
- schedules an admin imports (see ``linkdesk/workdays/schedules.py``) win over both.

A year with no official schedule is *provisional*: its holidays follow the statutory rules
(全国年节及纪念日放假办法, as amended by 国务院令第798号, in force from 2025) without make-up
days, and every answer that depends on a day of such a year says so. Nothing here raises at a
user for a year it does not know, except outside the range the lunar tables cover.

The calendar is an index built once: a cumulative count of working days per day ordinal, so
adding working days is a binary search rather than a day-by-day walk.
"""
import csv
import io
import json
import re
import warnings
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

from lunardate import LunarDate

FIRST_DAY = date(2018, 1, 1)  # workalendar's China data starts here
LAST_DAY = date(2099, 12, 31)  # the lunar tables (lunardate) end here
DEFAULT_LEAD_DAYS = 10
MAX_PERIOD_DAYS = 31  # no holiday period of a schedule file is longer
BEIJING = ZoneInfo("Asia/Shanghai")  # the calendar's days are days in Beijing

WORKDAY, WEEKEND, HOLIDAY, MAKEUP_WORKDAY = "workday", "weekend", "holiday", "makeup_workday"

# workalendar's English names for China's holidays, in the words of the notices.
WORKALENDAR_NAMES = {
    "New year": "元旦",
    "New Year shift": "元旦",
    "Chinese New Year's eve": "春节",
    "Chinese New Year": "春节",
    "Spring Festival": "春节",
    "Ching Ming Festival": "清明节",
    "Labour Day Holiday": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-Autumn Festival": "中秋节",
    "National Day": "国庆节",
}
WORKALENDAR_SOURCE = "workalendar China 日历（数据依据国务院办公厅历年部分节假日安排的通知）"


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


class CalendarRangeError(ValueError):
    """A date outside the years the calendar can answer for at all (before 2018, after 2099)."""


class ScheduleError(ValueError):
    """A schedule file that cannot be read; the message (Chinese) says what is wrong."""


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: every day off in its holiday periods and its make-up days."""

    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    source: str
    periods: tuple[tuple[str, date, date], ...] = ()


@dataclass(frozen=True, slots=True)
class Earliest:
    """E(D): the earliest cutover date for a request submitted on ``submitted``."""

    submitted: date
    earliest_cutover: date
    provisional: bool


def _check_range(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise CalendarRangeError(
            f"{day.isoformat()} 超出工作日历的范围（{FIRST_DAY.isoformat()} 至 {LAST_DAY.isoformat()}）。"
        )


def qingming(year: int) -> date:
    """The day of the Qingming solar term (清明) in a year of the 21st century.

    The usual closed form ``[Y·0.2422 + C] − [Y/4]`` with C = 4.81 for 2001–2099; it agrees with
    the astronomical term for every year of the century.
    """
    y = year % 100
    return date(year, 4, int(y * 0.2422 + 4.81) - y // 4)


@cache
def statutory_periods(year: int) -> tuple[tuple[str, date, date], ...]:
    """The statutory holidays of a year, without the State Council's shifts and make-up days.

    元旦 1 day, 春节 4 days (除夕 and 初一 to 初三), 清明 1, 劳动节 2 (1–2 May), 端午 1,
    中秋 1, 国庆节 3 (1–3 October): the rules in force since 1 January 2025.
    """
    def lunar(year: int, month: int, day: int) -> date:
        return LunarDate(year, month, day).to_solar_date()

    new_year = lunar(year, 1, 1)
    return (
        ("元旦", date(year, 1, 1), date(year, 1, 1)),
        ("春节", new_year - timedelta(days=1), new_year + timedelta(days=2)),
        ("清明节", qingming(year), qingming(year)),
        ("劳动节", date(year, 5, 1), date(year, 5, 2)),
        ("端午节", lunar(year, 5, 5), lunar(year, 5, 5)),
        ("中秋节", lunar(year, 8, 15), lunar(year, 8, 15)),
        ("国庆节", date(year, 10, 1), date(year, 10, 3)),
    )


def _days(first: date, last: date) -> Iterable[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def provisional_schedule(year: int) -> YearSchedule:
    """A year computed from the statutory rules alone: no make-up days, not official.

    A statutory holiday that falls on a Saturday or Sunday gives a working day off after the
    holiday (补假, 《全国年节及纪念日放假办法》第六条); the State Council's shifts and make-up
    working days (调休) are only known from its notice.
    """
    statutory = statutory_periods(year)
    holidays = {day for _, first, last in statutory for day in _days(first, last)}
    periods = []
    for name, first, last in statutory:
        owed = sum(1 for day in _days(first, last) if day.weekday() >= 5)
        day = last
        while owed:
            day += timedelta(days=1)
            if day.weekday() < 5 and day not in holidays:
                holidays.add(day)
                last, owed = day, owed - 1
        periods.append((name, first, last))
    return YearSchedule(year, frozenset(holidays), frozenset(), "按法定节假日推算（尚无国务院办公厅通知）", tuple(periods))


def _periods_of(named_days: list[tuple[date, str]]) -> tuple[tuple[str, date, date], ...]:
    """Group consecutive days of the same name into (name, first, last) periods."""
    periods: list[list] = []
    for day, name in sorted(named_days):
        if periods and periods[-1][0] == name and periods[-1][2] + timedelta(days=1) == day:
            periods[-1][2] = day
        else:
            periods.append([name, day, day])
    return tuple(tuple(period) for period in periods)


def workalendar_schedules() -> list[YearSchedule]:
    """The years workalendar's China calendar knows (2018–2023), as schedules."""
    from workalendar.asia.china import China
    from workalendar.asia.china import holidays as known_years

    china = China()
    schedules = []
    with warnings.catch_warnings():
        # It warns on every call that it needs updating every year (that is this module's job),
        # and it calls a lunardate function that lunardate has deprecated.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        for year in sorted(known_years):
            named = [(day, WORKALENDAR_NAMES.get(name, name)) for day, name in china.holidays(year)]
            schedules.append(YearSchedule(
                year=year,
                holidays=frozenset(day for day, _ in named),
                makeup_workdays=frozenset(day for day in china.extra_working_days if day.year == year),
                source=WORKALENDAR_SOURCE,
                periods=_periods_of(named),
            ))
    return schedules


@cache
def load_shipped_schedules() -> tuple[YearSchedule, ...]:
    """workalendar's years plus the data files shipped in the package (a file wins); read once."""
    by_year = {schedule.year: schedule for schedule in workalendar_schedules()}
    folder = resources.files("linkdesk") / "data" / "holidays"
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".json"):
            schedule = parse_schedule_file(entry.read_text(encoding="utf-8"))
            by_year[schedule.year] = schedule
    return tuple(by_year[year] for year in sorted(by_year))


class WorkingDayCalendar:
    """Working days from 2018 to 2099: official where a schedule exists, provisional elsewhere."""

    def __init__(self, schedules: Iterable[YearSchedule], lead_days: int = DEFAULT_LEAD_DAYS):
        self.lead_days = lead_days
        self._schedules = {schedule.year: schedule for schedule in schedules}
        holidays: dict[date, str] = {}
        makeup: set[date] = set()
        for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
            schedule = self._schedules.get(year) or provisional_schedule(year)
            for name, first, last in schedule.periods:
                for day in _days(first, last):
                    holidays.setdefault(day, name)
            for day in schedule.holidays:
                holidays.setdefault(day, "")
        for schedule in self._schedules.values():
            makeup |= schedule.makeup_workdays
        self._holidays = holidays
        self._makeup = frozenset(makeup)
        # _count[i] = working days among the first i days of the range (day i excluded).
        count, running = [0], 0
        for offset in range((LAST_DAY - FIRST_DAY).days + 1):
            running += self._compute_working(FIRST_DAY + timedelta(days=offset))
            count.append(running)
        self._count = count
        self._earliest = None  # E(D) for every day, built on first use

    def _compute_working(self, day: date) -> bool:
        if day in self._makeup:
            return True
        if day in self._holidays:
            return False
        return day.weekday() < 5

    def _index(self, day: date) -> int:
        _check_range(day)
        return (day - FIRST_DAY).days

    # --- questions about one day -------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Whether a day is a working day (make-up Saturdays included, holidays excluded)."""
        index = self._index(day)
        return self._count[index + 1] > self._count[index]

    def day_kind(self, day: date) -> str:
        """``workday``, ``weekend``, ``holiday`` or ``makeup_workday``."""
        _check_range(day)
        if day in self._makeup:
            return MAKEUP_WORKDAY
        if day in self._holidays:
            return HOLIDAY
        return WEEKEND if day.weekday() >= 5 else WORKDAY

    def holiday_name(self, day: date) -> str | None:
        """The holiday a day belongs to (e.g. 春节), or None."""
        return self._holidays.get(day) or None

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
        """The first working day on or after ``day``."""
        position = bisect_left(self._count, self._count[self._index(day)] + 1)
        if position >= len(self._count):
            raise CalendarRangeError(f"{day.isoformat()} 之后没有工作日历范围内的工作日。")
        return FIRST_DAY + timedelta(days=position - 1)

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (count ≥ 1; ``day`` itself never counts)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        wanted = self._count[self._index(day) + 1] + count
        position = bisect_left(self._count, wanted)
        if position >= len(self._count):
            raise CalendarRangeError(f"{day.isoformat()} 之后第 {count} 个工作日超出工作日历的范围。")
        return FIRST_DAY + timedelta(days=position - 1)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        return self._count[self._index(end) + 1] - self._count[self._index(start) + 1]

    def sub_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day before ``day`` (``day`` itself never counts)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        wanted = self._count[self._index(day)] - count + 1  # working days up to and including it
        if wanted < 1:
            raise CalendarRangeError(f"{day.isoformat()} 之前第 {count} 个工作日超出工作日历的范围。")
        return FIRST_DAY + timedelta(days=bisect_left(self._count, wanted) - 1)

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


# --- schedule files --------------------------------------------------------------------


def _date(value, where: str) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ScheduleError(f"{where}：“{value}”不是 YYYY-MM-DD 格式的日期。") from None


def parse_schedule_file(text: str) -> YearSchedule:
    """Read a schedule from JSON or CSV text (format in ``linkdesk/data/holidays/README.md``)."""
    stripped = text.lstrip()
    if not stripped:
        raise ScheduleError("文件是空的。")
    if stripped.startswith("{"):
        return _from_json(stripped)
    return _from_csv(stripped)


def _from_json(text: str) -> YearSchedule:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ScheduleError(f"JSON 格式错误（第 {error.lineno} 行）：{error.msg}") from None
    if not isinstance(data, dict):
        raise ScheduleError("JSON 顶层应为对象，包含 year、source、holidays、makeup_workdays。")
    year = _year(data.get("year"))
    periods = []
    for number, period in enumerate(_list(data, "periods"), start=1):
        if not isinstance(period, dict) or not {"name", "first", "last"} <= period.keys():
            raise ScheduleError(f"periods 第 {number} 项应包含 name、first、last。")
        first, last = _date(period["first"], f"periods 第 {number} 项"), _date(period["last"], f"periods 第 {number} 项")
        # Checked before the days are listed: 0001-01-01..9999-12-31 must not become 3.6 million dates.
        if not (year - 1 <= first.year <= year + 1 and first <= last and (last - first).days < MAX_PERIOD_DAYS):
            raise ScheduleError(f"periods 第 {number} 项的日期应在 {year} 年前后，且一段假期不超过 {MAX_PERIOD_DAYS} 天。")
        periods.append((str(period["name"]), first, last))
    holidays = [_date(value, "holidays") for value in _list(data, "holidays")]
    holidays += [day for _, first, last in periods for day in _days(first, last)]
    makeup = [_date(value, "makeup_workdays") for value in _list(data, "makeup_workdays")]
    for number, notice in enumerate(_list(data, "notices"), start=1):
        if not isinstance(notice, dict) or not str(notice.get("source") or "").strip():
            raise ScheduleError(f"notices 第 {number} 项应包含 source（通知名称、文号和发布日期）。")
    return _validated(year, data.get("source"), holidays, makeup, periods)


def _list(data: dict, key: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ScheduleError(f"{key} 应为列表。")
    return value


def _from_csv(text: str) -> YearSchedule:
    try:
        return _read_csv(text)
    except csv.Error as error:  # a field past the csv module's limit, a stray quote …
        raise ScheduleError(f"CSV 格式错误：{error}。") from None


def _read_csv(text: str) -> YearSchedule:
    lines = text.splitlines()
    source = None
    if lines and lines[0].startswith("#"):
        comment = lines.pop(0).lstrip("#").strip()
        if comment.lower().startswith("source:"):
            source = comment.split(":", 1)[1].strip()
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    if not reader.fieldnames or not {"date", "kind"} <= {name.strip() for name in reader.fieldnames}:
        raise ScheduleError("CSV 首行应为“# source: 通知名称和文号”，第二行表头应为 date,kind,name。")
    holidays, makeup, named = [], [], []
    for number, row in enumerate(reader, start=3):
        row = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        day = _date(row.get("date"), f"第 {number} 行")
        if row.get("kind") == "holiday":
            holidays.append(day)
            if row.get("name"):
                named.append((day, row["name"]))
        elif row.get("kind") == MAKEUP_WORKDAY:
            makeup.append(day)
        else:
            raise ScheduleError(f"第 {number} 行：kind 应为 holiday 或 makeup_workday，而不是“{row.get('kind')}”。")
    year = max(day.year for day in holidays) if holidays else None
    return _validated(year, source, holidays, makeup, list(_periods_of(named)))


def _year(year) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise ScheduleError(f"年份“{year}”无效，应为 {FIRST_DAY.year} 至 {LAST_DAY.year} 之间的整数。")
    return year


def _validated(year, source, holidays: list[date], makeup: list[date], periods) -> YearSchedule:
    year = _year(year)
    if not isinstance(source, str) or not source.strip():
        raise ScheduleError("必须注明来源（国务院办公厅通知的名称和文号）。")
    if not holidays:
        raise ScheduleError(f"{year} 年的安排中没有任何放假日期。")
    allowed_from = date(year - 1, 12, 1)  # a New Year holiday may begin in the December before
    for day in holidays + makeup:
        if not allowed_from <= day <= date(year, 12, 31):
            raise ScheduleError(f"{day.isoformat()} 不属于 {year} 年的节假日安排。")
    both = sorted(set(holidays) & set(makeup))
    if both:
        raise ScheduleError(f"{both[0].isoformat()} 不能既放假又调休上班。")
    weekday_makeup = sorted(day for day in makeup if day.weekday() < 5)
    if weekday_makeup:
        raise ScheduleError(f"{weekday_makeup[0].isoformat()} 是工作日（周一至周五），不需要调休上班。")
    return YearSchedule(year, frozenset(holidays), frozenset(makeup), source.strip(), tuple(periods))
