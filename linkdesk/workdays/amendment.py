"""Notices that change a published schedule (调整/延长 … 假期安排的通知), and applying them.

The State Council has twice changed a year after its yearly notice:

- 国办发明电〔2019〕3号, 关于调整2019年劳动节假期安排的通知: "一、2019年5月1日至4日放假调休，
  共4天。4月28日（星期日）、5月5日（星期日）上班。" — the holiday's days are replaced;
- 国办发明电〔2020〕1号, 关于延长2020年春节假期的通知: "一、延长2020年春节假期至2月2日（农历
  正月初九，星期日），2月3日（星期一）起正常上班。" — the holiday runs on to a later day, and
  a make-up working day inside the longer holiday (2020-02-01) becomes a day off.

:func:`parse_amendment` reads such a notice (pasted as published, like a yearly one) into an
:class:`Amendment`; :meth:`Amendment.apply` gives the amended :class:`YearSchedule` of the year it
changes. Anything that does not add up — in the notice itself or against the schedule it
changes — raises :class:`NoticeParseError`, and nothing is applied.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from .calendar import Adjustment, YearSchedule
from .notice import (
    _DATE,
    _MAKEUP,
    _NOTE,
    NoticeParseError,
    _check_note,
    _compact,
    _date,
    _fail,
    _find,
    _holiday_range,
    _makeup_days,
    _sentences,
    _statutory_days,
    find_all,
    parse_notice,
    read_yearly,
)
from .notice_page import AMENDMENT, NoticeText

_HOLIDAYS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
_ALIASES = {"五一": "劳动节", "清明": "清明节", "端午": "端午节", "中秋": "中秋节", "国庆": "国庆节", "新年": "元旦"}
_ITEM = re.compile(r"^([一二三四五六七八九十]{1,3})、(.*)$", re.S)
_EXTEND = re.compile(rf"^延长(?:\d{{4}}年)?(.{{1,12}}?)假期至{_DATE}{_NOTE}(?:,{_DATE}{_NOTE}起?(?:正常)?上班(?:工作)?)?$")
_DATED = re.compile(r"\d+月|\d+日")
# An item headed by its holiday's name, as in a yearly notice: 元旦:1月1日(周四)至3日(周六)放假调休 (compacted).
_HEADING = re.compile(r"^((?:\d{4}年)?[^\d:,;()]{1,12}):(.*)$")


@dataclass(frozen=True)
class HolidayChange:
    """One holiday's new days: a new range (调整), or a later last day (延长, ``first`` None)."""

    holiday: str
    first: date | None
    last: date
    makeup_workdays: frozenset[date]
    sentence: str


@dataclass(frozen=True)
class Amendment:
    """A notice that changes the published schedule of ``year``."""

    year: int
    source: str
    changes: tuple[HolidayChange, ...]
    signed: date | None = None

    @property
    def adjustments(self) -> tuple[Adjustment, ...]:
        """What the notice changes, as the year keeps it."""
        return tuple(Adjustment(self.source, change.holiday, change.first, change.last, change.makeup_workdays) for change in self.changes)

    def apply(self, schedule: YearSchedule) -> YearSchedule:
        """The year's schedule with this notice applied; refused whole if it does not fit."""
        if schedule.year != self.year:
            raise NoticeParseError(f"这份通知调整的是 {self.year} 年的安排，不能套用在 {schedule.year} 年上。")
        for change, adjustment in zip(self.changes, self.adjustments, strict=True):
            schedule = apply_adjustment(schedule, adjustment, change.sentence)
        return schedule


def apply_adjustment(schedule: YearSchedule, adjustment: Adjustment, sentence: str = "") -> YearSchedule:
    """The schedule with one adjustment applied (again), which it then keeps among its adjustments.

    ``sentence``: the notice's sentence, quoted if the adjustment does not fit the schedule
    (an adjustment kept from an earlier import is named by its source instead).
    """
    sentence = sentence or adjustment.source
    holidays, makeup = set(schedule.holidays), set(schedule.makeup_workdays)
    periods = list(schedule.periods)
    index = _period_of(periods, adjustment.holiday, schedule.year)
    name, old_first, old_last = periods[index]
    old_days = set(_days(old_first, old_last))
    if adjustment.first is None:  # 延长: the holiday runs on to a later day
        if adjustment.last < old_last:
            raise _fail(sentence, f"现行安排中{adjustment.holiday}已放到{_md(old_last)}，通知却写延长至{_md(adjustment.last)}，前后矛盾。")
        first = old_first
    else:  # 调整: the holiday's days are replaced, with its make-up days
        first = adjustment.first
        holidays -= old_days
        makeup -= {day for day in makeup if _nearest(periods, day) == index}
    new_days = set(_days(first, adjustment.last))
    holidays |= new_days
    makeup = (makeup - new_days) | adjustment.makeup_workdays
    periods[index] = (name, first, adjustment.last)
    source = schedule.source if adjustment.source in schedule.source else f"{schedule.source}；{adjustment.source}"
    kept = tuple(earlier for earlier in schedule.adjustments if earlier.source != adjustment.source)
    return YearSchedule(schedule.year, frozenset(holidays), frozenset(makeup), source, tuple(periods), (*kept, adjustment))


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _period_of(periods, holiday: str, year: int) -> int:
    for index, (name, _, _) in enumerate(periods):
        if holiday in re.split(r"[、和及,，]", name):
            return index
    raise NoticeParseError(f"{year} 年现行的安排中没有“{holiday}”这一假期，无法套用这份调整通知。")


def _nearest(periods, day: date) -> int:
    """The period a make-up day belongs to: the one nearest to it."""

    def distance(period) -> int:
        _, first, last = period
        return 0 if first <= day <= last else min(abs((day - first).days), abs((day - last).days))

    return min(range(len(periods)), key=lambda index: distance(periods[index]))


def _holiday_name(text: str, title: str) -> str:
    name = _ALIASES.get(text, text)
    if name not in _HOLIDAYS:
        raise _fail(title, f"看不出调整的是哪个假期（应为{'、'.join(_HOLIDAYS)}之一），这里写的是“{text}”。")
    return name


def parse_amendment(text: str) -> Amendment:
    """The changes a notice like 关于调整2019年劳动节假期安排的通知 makes; refused whole if unreadable."""
    found = _find(text)
    if found.kind != AMENDMENT:
        raise NoticeParseError(f"“{found.title}”是全年的节假日安排，不是调整通知。")
    return _read(found)


def _read(found: NoticeText) -> Amendment:
    holiday = _holiday_name(found.holiday, found.title)
    changes: list[HolidayChange] = []
    makeup: dict[date, str] = {}
    # The body keeps a line break before each item: an item is read on its own even when the
    # preamble before it ends in a colon (通知如下：) rather than a full stop.
    sentences = [sentence for part in found.body.split("\n") for sentence in _sentences(part)]
    in_items = False
    for sentence in sentences:
        compact = _compact(sentence)
        item = _ITEM.match(compact)
        in_items = in_items or bool(item)
        if not in_items:
            continue  # the preamble: 各省、自治区……：经国务院批准，现将……通知如下
        if item:
            compact = _without_heading(item.group(2), holiday, sentence)
        for clause in compact.split(";"):
            clause = clause.strip(",")
            extend = _EXTEND.match(clause)
            if extend:
                changes.append(_extension(extend, holiday, sentence, found))
            elif "放假" in clause and _DATED.search(clause):
                first, last = _holiday_range(clause, sentence, found.year)
                changes.append(HolidayChange(holiday, first, last, frozenset(), sentence))
            elif _MAKEUP.match(clause):
                makeup.update((day, sentence) for day in _makeup_days(clause, sentence, found.year))
            elif _DATED.search(clause):
                raise _fail(
                    sentence, "这句话提到了日期，但既不是放假日期、延长假期，也不是调休上班日期的写法；为免漏掉一天，整份通知不予导入。"
                )
    if not changes:
        raise NoticeParseError(f"“{found.title}”中没有读出任何放假日期（如“一、2019年5月1日至4日放假调休，共4天。”）。")
    if len(changes) > 1:
        raise _fail(changes[1].sentence, f"这份通知调整的是{holiday}，却写了两段放假日期，前后矛盾。")
    change = changes[0]
    change = HolidayChange(change.holiday, change.first, change.last, frozenset(makeup), change.sentence)
    _check(change, makeup, found.year)
    return Amendment(found.year, found.source, (change,), found.signed)


def _without_heading(compact: str, holiday: str, sentence: str) -> str:
    """An item's text without the holiday's name before it, as a yearly notice writes its items
    (一、元旦：1月1日（周四）至3日（周六）放假调休……); the name must be the holiday the title adjusts."""
    heading = _HEADING.match(compact)
    if not heading:
        return compact
    name = re.sub(r"^\d{4}年", "", heading.group(1))
    if _ALIASES.get(name, name) != holiday:
        raise _fail(sentence, f"标题说调整的是{holiday}，这一项写的却是“{name}”。")
    return heading.group(2)


def _extension(match: re.Match, holiday: str, sentence: str, found: NoticeText) -> HolidayChange:
    name, y1, m1, d1, note1, y2, m2, d2, note2 = match.groups()
    if _ALIASES.get(name, name) != holiday:
        raise _fail(sentence, f"标题说调整的是{holiday}，这句话延长的却是“{name}”。")
    last = _date(int(y1 or found.year), int(m1), int(d1), sentence)
    _check_note(note1, last, sentence)
    if d2:
        resume = _date(int(y2 or found.year), int(m2), int(d2), sentence)
        _check_note(note2, resume, sentence)
        if resume != last + timedelta(days=1):
            raise _fail(sentence, f"假期延长至{_md(last)}，恢复上班的日子却是{_md(resume)}，前后矛盾。")
    return HolidayChange(holiday, None, last, frozenset(), sentence)


def _check(change: HolidayChange, makeup: dict[date, str], year: int) -> None:
    """The notice agrees with itself and with the law: no day both off and working, statutory days kept."""
    if not date(year - 1, 12, 1) <= change.last <= date(year, 12, 31):
        raise _fail(change.sentence, f"日期不属于 {year} 年的节假日安排。")
    first = change.first or change.last
    for day, sentence in makeup.items():
        if first <= day <= change.last:
            raise _fail(sentence, f"{_md(day)}在放假日期之内，通知又写它调休上班，前后矛盾。")
    if change.first is not None:
        missing = [day for day in _statutory_days(year)[change.holiday] if not change.first <= day <= change.last]
        if missing:
            raise _fail(
                change.sentence, f"{'、'.join(_md(day) for day in missing)}是{change.holiday}的法定假日，却不在调整后的放假日期之内。"
            )


def read_notice(text: str) -> YearSchedule | Amendment:
    """A pasted notice: a yearly schedule, or the changes an adjustment notice makes to one."""
    found = _find(text)
    if found.kind == AMENDMENT:
        return _read(found)
    return parse_notice(text)


@dataclass(frozen=True)
class PageNotices:
    """The notices on one pasted page, all for ``year``: its yearly notice (if the page carries
    one), its adjustment notices in the order they were issued, and the titles it only mentions."""

    year: int
    yearly: YearSchedule | None
    amendments: tuple[Amendment, ...]
    mentions: tuple[str, ...]


def read_page(text: str) -> PageNotices:
    """Every notice on a pasted page, each read whole; refused whole if any of them cannot be read.

    The page may carry a yearly notice and its adjustment notices in any order (a news page
    prints the 2020 extension under the 2019 notice for 2020): the adjustments are returned in
    the order they were issued (their signature's date; page order when a date is missing).
    """
    notices, mentions = find_all(text)
    years = sorted({found.year for found in notices})
    if len(years) > 1:
        listed = "、".join(f"“{found.title}”" for found in notices)
        raise NoticeParseError(f"这段文字里有不同年份的通知：{listed}。一次只能导入一年的安排，请分开粘贴。")
    yearly: list[YearSchedule] = []
    amendments: list[Amendment] = []
    for found in notices:
        try:
            if found.kind == AMENDMENT:
                amendments.append(_read(found))
            else:
                yearly.append(read_yearly(found))
        except NoticeParseError as error:
            if len(notices) == 1:
                raise
            raise NoticeParseError(f"《{found.title}》：{error}") from None
    if any(schedule != yearly[0] for schedule in yearly[1:]):
        raise NoticeParseError(f"这段文字里有两份不同的“{notices[0].title}”，无法确定以哪一份为准，请只粘贴一份。")
    ordered = sorted(amendments, key=lambda amendment: amendment.signed or date.max)
    unique: dict[str, Amendment] = {}
    for amendment in ordered:
        unique.setdefault(amendment.source, amendment)  # the same notice printed twice is read once
    return PageNotices(years[0], yearly[0] if yearly else None, tuple(unique.values()), tuple(mentions))
