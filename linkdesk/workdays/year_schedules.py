"""One year's official schedule (节假日安排): read from a State Council notice's data file, or
estimated from the statutory rules for a year with no notice yet.

The schedules are the data of the working-day calendar (``calendar.py``), which is a workalendar
calendar built on them:

- every year from 2018 is shipped as a data file in ``linkdesk/data/holidays/``, read from the
  notices it rests on (国务院办公厅关于YYYY年部分节假日安排的通知, adjustment notices included; the
  file names them in ``source`` and ``notices``);
- schedules an admin imports (see ``schedules.py``) win over the shipped files;
- a year with neither is *provisional*: its holidays follow the statutory rules
  (全国年节及纪念日放假办法, as amended by 国务院令第798号, in force from 2025), without make-up days.

workalendar's own ``China`` table (2018–2023) is not part of the data: it lacks the extension of the
2020 Spring Festival (国办发明电〔2020〕1号) and the fourth day of the 2019 Labour Day holiday
(国办发明电〔2019〕3号). ``workalendar_schedules`` turns it into schedules so that the tests can
cross-check the shipped files against it.
"""

import csv
import io
import json
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from importlib import resources

from lunardate import LunarDate

FIRST_DAY = date(2018, 1, 1)  # the first year of the shipped notices
LAST_DAY = date(2099, 12, 31)  # the lunar tables (lunardate) end here
MAX_PERIOD_DAYS = 31  # no holiday period of a schedule file is longer

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


class ScheduleError(ValueError):
    """A schedule file that cannot be read; the message (Chinese) says what is wrong."""


@dataclass(frozen=True)
class Adjustment:
    """An adjustment notice in force on a year (调整/延长): the holiday it changes and how.

    ``first`` None: the holiday is extended to ``last`` (延长); otherwise its days become
    ``first`` … ``last`` (调整). ``makeup_workdays`` are the make-up days the notice sets for it.
    Kept with the year so that a yearly notice imported again is re-amended, not reverted.
    """

    source: str
    holiday: str
    first: date | None
    last: date
    makeup_workdays: frozenset[date] = frozenset()

    def to_json(self) -> dict:
        return {
            "holiday": self.holiday,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat(),
            "makeup_workdays": sorted(day.isoformat() for day in self.makeup_workdays),
        }

    @classmethod
    def from_json(cls, source: str, data: dict) -> "Adjustment":
        """The adjustment of a schedule file's or a stored row's entry; :class:`ScheduleError` if malformed."""
        if not isinstance(data, dict) or not isinstance(data.get("holiday"), str) or not data.get("last"):
            raise ScheduleError(f"调整通知“{source}”的 adjusts 应包含 holiday、first（延长时为 null）、last、makeup_workdays。")
        first = _date(data["first"], f"调整通知“{source}”") if data.get("first") else None
        makeup = data.get("makeup_workdays") or []
        if not isinstance(makeup, list):
            raise ScheduleError(f"调整通知“{source}”的 makeup_workdays 应为列表。")
        return cls(
            source,
            data["holiday"],
            first,
            _date(data["last"], f"调整通知“{source}”"),
            frozenset(_date(day, "makeup_workdays") for day in makeup),
        )


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: every day off in its holiday periods and its make-up days.

    ``adjustments``: the adjustment notices in force on the year, in the order they were applied
    (their days are already in ``holidays`` and ``makeup_workdays``).
    """

    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    source: str
    periods: tuple[tuple[str, date, date], ...] = ()
    adjustments: tuple[Adjustment, ...] = ()


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
    """The years workalendar's China calendar knows (2018–2023), as schedules: the tests' cross-check."""
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
            schedules.append(
                YearSchedule(
                    year=year,
                    holidays=frozenset(day for day, _ in named),
                    makeup_workdays=frozenset(day for day in china.extra_working_days if day.year == year),
                    source=WORKALENDAR_SOURCE,
                    periods=_periods_of(named),
                )
            )
    return schedules


@cache
def load_shipped_schedules() -> tuple[YearSchedule, ...]:
    """The data files shipped in the package, one schedule per year, in order of year; read once."""
    by_year: dict[int, YearSchedule] = {}
    folder = resources.files("linkdesk") / "data" / "holidays"
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".json"):
            schedule = parse_schedule_file(entry.read_text(encoding="utf-8"))
            by_year[schedule.year] = schedule
    return tuple(by_year[year] for year in sorted(by_year))


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
    adjustments = []
    for number, notice in enumerate(_list(data, "notices"), start=1):
        if not isinstance(notice, dict) or not str(notice.get("source") or "").strip():
            raise ScheduleError(f"notices 第 {number} 项应包含 source（通知名称、文号和发布日期）。")
        if "adjusts" in notice:
            adjustments.append(Adjustment.from_json(str(notice["source"]).strip(), notice["adjusts"]))
    schedule = _validated(year, data.get("source"), holidays, makeup, periods)
    return replace(schedule, adjustments=tuple(adjustments))


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
        elif row.get("kind") == "makeup_workday":
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
