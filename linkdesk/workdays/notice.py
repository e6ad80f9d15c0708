"""Read the State Council's yearly holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知).

``parse_notice(text)`` takes the notice as published (pasted from gov.cn or a Xinhua release,
with the page's header and footer: :mod:`.notice_page` keeps the title-to-signature part)
and returns its :class:`~linkdesk.workdays.YearSchedule`. Adjustment notices (调整/延长) are
read by :mod:`.amendment`. Each numbered item ("一、元旦：…")
is one holiday period: its first sentence names the days off, e.g.

- ``1月1日（周四）至3日（周六）放假调休，共3天。`` (a range within one month)
- ``1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。`` (across months)
- ``2018年12月30日至2019年1月1日放假调休，共3天。`` (across the year end)
- ``1月1日（周三）放假1天，不调休。`` / ``4月5日放假，共1天。`` (a single day)
- ``6月10日放假，与周末连休。`` (the day plus the adjacent Saturday and Sunday)

and a sentence ending in ``上班`` (or ``上班工作``; then 。，； or the end) lists the make-up
working days, joined by 、 or 和 (``2月14日（周六）、2月28日（周六）上班。``). Every other
sentence of an item must be prose without a date (``节假日期间，各地区、各部门要妥善安排好值班……``)
or a recommendation (``鼓励各单位……安排职工在除夕（2月9日）休息。``): neither is part of the
schedule. A sentence that mentions a date, or 放假/上班/调休, and is none of these is an error,
so that no make-up day is lost to a typo.

The notice is checked as it is read, and anything that does not add up raises
:class:`NoticeParseError` naming the item and quoting the sentence: items numbered out of order or
twice, a day count (共N天) that differs from the range, a weekday or lunar date in parentheses that
does not fit the date, a make-up day that is not a Saturday or Sunday, an item with no dates, and
a statutory holiday (元旦 … 国庆节) that has no item or whose statutory days its item leaves out.
Nothing is returned unless the whole notice was read.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from lunardate import LunarDate

from .calendar import FIRST_DAY, LAST_DAY, YearSchedule, statutory_periods
from .notice_page import YEARLY, NoticeText, find_notice, find_notices


class NoticeParseError(ValueError):
    """A notice that cannot be read; the message (Chinese) quotes the sentence at fault."""


@dataclass(frozen=True)
class _Period:
    """One numbered item as read: its holiday range and the sentence that gave it."""

    label: str  # 第七项（国庆节）, for messages
    name: str  # 国庆节, or 国庆节、中秋节 for a combined item
    first: date
    last: date
    sentence: str


# Full-width forms the notices use, mapped to the half-width forms the patterns expect.
_NORMALIZE = str.maketrans(
    {
        "（": "(",
        "）": ")",
        "：": ":",
        "，": ",",
        "；": ";",
        "〔": "[",
        "〕": "]",
        "［": "[",
        "］": "]",
        "【": "[",
        "】": "]",
        "﹝": "[",
        "﹞": "]",
        "～": "至",
        "~": "至",
        "—": "至",
        "－": "至",
        **{chr(0xFF10 + digit): str(digit) for digit in range(10)},
    }
)
_NUMERALS = "一二三四五六七八九十"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAY_NAMES = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
_LUNAR_MONTHS = {
    "正": 1,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "冬": 11,
    "十一": 11,
    "腊": 12,
    "十二": 12,
}

_ITEM_START = re.compile(rf"(?:^|(?<=[\s。；;，,]))(?=[{_NUMERALS}]{{1,3}}、[^:：。\n]{{1,20}}[:：])")
_HEADING = re.compile(rf"^([{_NUMERALS}]{{1,3}})、([^:。]{{1,20}}):(.*)$", re.S)

_DATE = r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日"
_END_DATE = r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日"
_NOTE = r"(?:\(([^()]*)\))?"
_HOLIDAY = re.compile(
    rf"^{_DATE}{_NOTE}(?:至{_END_DATE}{_NOTE})?"
    r"放假(?:调休)?"
    r"(?:,?共?(\d+)天)?"
    r"(,?与周末连休)?"
    r"(?:,?不调休)?$"
)
_LUNAR = re.compile(
    r"农历(除夕|(正|一|二|三|四|五|六|七|八|九|十一|十二|十|冬|腊)月"
    r"(初[一二三四五六七八九十]|二十[一二三四五六七八九]?|三十|廿[一二三四五六七八九]|十[一二三四五六七八九]?))"
)
_MAKEUP_DAY = re.compile(rf"{_DATE}{_NOTE}")
_MAKEUP_LIST = rf"{_DATE}{_NOTE}(?:[、和及]{_DATE}{_NOTE})*(?:调休)?上班(?:工作)?"
_MAKEUP = re.compile(rf"^{_MAKEUP_LIST}(?:,{_MAKEUP_LIST})*$")
# A clause that mentions a date or the schedule's own words must be read, never skipped.
_SCHEDULE_MENTION = re.compile(r"\d+月|\d+日|放假|上班|调休|补休|补班")
_SIGNATURE = re.compile(r"^(?:国务院办公厅)?\d{4}年\d{1,2}月\d{1,2}日(?:\(此件公开发布\))?$")
# 国务院令第798号 (in force from 2025) added 除夕 to 春节 and 2 May to 劳动节.
_RULES_OF_2025 = 2025


def _fail(sentence: str, reason: str, item: str = "") -> NoticeParseError:
    where = f"{item}：" if item else ""
    return NoticeParseError(f"{where}无法读取这句话：“{sentence}”——{reason}")


def _sentences(text: str) -> list[str]:
    """The notice cut into sentences: at 。 and before every numbered item (一、二、…)."""
    pieces = []
    for part in re.split(r"(?<=。)", text):
        pieces.extend(_ITEM_START.split(part))
    return [piece for piece in (" ".join(piece.split()) for piece in pieces) if piece]


def _compact(sentence: str) -> str:
    """A sentence as the patterns read it: half-width forms, no spaces, no final 。 ； or ，."""
    return re.sub(r"\s+", "", sentence.translate(_NORMALIZE)).rstrip("。.;,")


def _lunar_day(text: str) -> int | None:
    """初一…初十, 十一…十九, 二十, 廿一…廿九 (or 二十一…), 三十 as a number."""
    units = "一二三四五六七八九十"
    if text.startswith("初") and len(text) == 2:
        return units.find(text[1]) + 1 or None
    if text in ("二十", "三十"):
        return 20 if text == "二十" else 30
    for prefix, tens in (("十", 10), ("廿", 20), ("二十", 20)):
        if text.startswith(prefix) and len(text) == len(prefix) + 1 and text[-1] in units[:9]:
            return tens + units.find(text[-1]) + 1
    return None


def _check_note(note: str | None, day: date, sentence: str) -> None:
    """A weekday (周一…周日, 星期一…星期日) or lunar date (农历正月初七, 农历除夕) must fit the date."""
    if not note:
        return
    weekday = re.search(r"(?:周|星期)([一二三四五六日天])", note)
    if weekday and _WEEKDAYS[weekday.group(1)] != day.weekday():
        raise _fail(sentence, f"{day.month}月{day.day}日是{_WEEKDAY_NAMES[day.weekday()]}，括号里却写着“{weekday.group(0)}”。")
    lunar = _LUNAR.search(note)
    if not lunar:
        return
    if lunar.group(1) == "除夕":
        following = day + timedelta(days=1)
        new_year = LunarDate.from_solar_date(following.year, following.month, following.day)
        fits = (new_year.month, new_year.day, new_year.is_leap_month) == (1, 1, False)
    else:
        actual = LunarDate.from_solar_date(day.year, day.month, day.day)
        fits = (actual.month, actual.day) == (_LUNAR_MONTHS[lunar.group(2)], _lunar_day(lunar.group(3)))
    if not fits:
        raise _fail(sentence, f"{day.month}月{day.day}日不是{lunar.group(0)}。")


def _date(year: int, month: int, day: int, sentence: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _fail(sentence, f"{year}年{month}月{day}日不是有效日期。") from None


def _holiday_range(compact: str, sentence: str, year: int) -> tuple[date, date]:
    """The first and last day off of an item's first sentence, checked against its notes and count."""
    match = _HOLIDAY.match(compact)
    if not match:
        raise _fail(sentence, "看不懂放假日期的写法（应如“1月1日（周四）至3日（周六）放假调休，共3天”）。")
    (y1, m1, d1, note1, y2, m2, d2, note2, count, with_weekend) = match.groups()
    first = _date(int(y1 or year), int(m1), int(d1), sentence)
    last = first
    if d2:
        month2 = int(m2) if m2 else first.month
        year2 = int(y2) if y2 else first.year + (1 if month2 < first.month else 0)
        last = _date(year2, month2, int(d2), sentence)
        if last < first:
            raise _fail(sentence, "结束日期早于开始日期。")
    _check_note(note1, first, sentence)
    _check_note(note2, last, sentence)
    days = (last - first).days + 1
    if count is not None and int(count) != days:
        raise _fail(sentence, f"写的是共{count}天，但{first.month}月{first.day}日至{last.month}月{last.day}日是{days}天。")
    if days > 15:
        raise _fail(sentence, f"一个假期不会有{days}天，请检查日期。")
    if with_weekend:
        # “与周末连休”: the Saturday and Sunday next to the day off are part of the holiday.
        stated = (first, last)
        while (first - timedelta(days=1)).weekday() >= 5:
            first -= timedelta(days=1)
        while (last + timedelta(days=1)).weekday() >= 5:
            last += timedelta(days=1)
        if (first, last) == stated:
            raise _fail(sentence, "写的是“与周末连休”，但这几天不挨着周六、周日。")
    return first, last


def _makeup_days(compact: str, sentence: str, year: int) -> list[date]:
    if not _MAKEUP.match(compact):
        raise _fail(sentence, "看不懂调休上班日期的写法（应如“2月14日（周六）、2月28日（周六）上班”）。")
    days = []
    for y, m, d, note in _MAKEUP_DAY.findall(compact):
        day = _date(int(y or year), int(m), int(d), sentence)
        _check_note(note, day, sentence)
        if day.weekday() < 5:
            raise _fail(sentence, f"{day.month}月{day.day}日是{_WEEKDAY_NAMES[day.weekday()]}，调休上班日应为周六或周日。")
        days.append(day)
    return days


def _item_number(numeral: str) -> int | None:
    """一 … 九十九 as a number; None for a numeral that is not one (一一, 十十)."""
    units = "一二三四五六七八九"
    tens, ten, ones = numeral.partition("十")
    if not ten:
        tens, ones = "", tens
    if any(len(part) > 1 or (part and part not in units) for part in (tens, ones)):
        return None
    return (units.index(tens) + 1 if tens else int(bool(ten))) * 10 + (units.index(ones) + 1 if ones else 0)


def _items(sentences: list[str]) -> list[tuple[str, str, list[str]]]:
    """The numbered items as (label, name, sentences), numbered 一、二、三… without gaps or repeats.

    Sentences before the first item are the preamble and are not returned.
    """
    items: list[tuple[str, str, list[str]]] = []
    numerals: list[str] = []
    for sentence in sentences:
        heading = _HEADING.match(sentence.translate(_NORMALIZE))
        if not heading:
            if items:
                items[-1][2].append(sentence)
            continue
        numeral, name = heading.group(1), re.sub(r"^\d{4}年", "", heading.group(2).strip())
        if numeral in numerals:
            raise _fail(sentence, f"编号“{numeral}、”在前面已经出现过，一个编号只能有一项。")
        if _item_number(numeral) != len(items) + 1:
            expected = f"前一项是“{numerals[-1]}、”，这一项应接着编号" if numerals else "第一项的编号应为“一、”"
            raise _fail(sentence, f"{expected}，这里却是“{numeral}、”（各项应按一、二、三……的顺序排列）。")
        numerals.append(numeral)
        items.append((f"第{numeral}项（{name}）", name, [sentence]))
    return items


def _read_item(label: str, name: str, sentences: list[str], year: int) -> tuple[_Period, dict[date, str]]:
    """One item's holiday range and make-up days (each with the sentence that names it)."""
    ranges: list[tuple[date, date, str]] = []
    makeup: dict[date, str] = {}
    for index, sentence in enumerate(sentences):
        compact = _compact(sentence)
        if index == 0:
            compact = _HEADING.match(compact).group(3)
        if _SIGNATURE.match(compact):
            continue  # 国务院办公厅 2025年11月4日: the notice's signature after its last item
        if compact.startswith("鼓励") and not re.search("放假|上班", compact):
            continue  # a recommendation (鼓励……在除夕（2月9日）休息), not part of the schedule
        for clause in compact.split(";"):
            clause = clause.strip(",")
            if "放假" in clause:
                if ranges:
                    raise _fail(sentence, "一项里只能有一段放假日期。")
                ranges.append((*_holiday_range(clause, sentence, year), sentence))
            elif _MAKEUP.match(clause):
                makeup.update((day, sentence) for day in _makeup_days(clause, sentence, year))
            elif clause.endswith("上班") or clause.endswith("上班工作"):
                _makeup_days(clause, sentence, year)  # raises: the list of days cannot be read
            elif _SCHEDULE_MENTION.search(clause):
                raise _fail(
                    sentence,
                    "这句话提到了日期或放假、上班，但既不是放假日期也不是调休上班日期的写法"
                    "（应如“1月4日（周日）上班。”）；为免漏掉调休上班日，整份通知不予导入。",
                )
    if not ranges:
        raise _fail(sentences[0], "这一项没有读出任何放假日期。")
    first, last, sentence = ranges[0]
    if first < date(year - 1, 12, 1) or last > date(year, 12, 31):
        raise _fail(sentence, f"日期不属于 {year} 年的节假日安排。")
    return _Period(label, name, first, last, sentence), makeup


def _statutory_days(year: int) -> dict[str, list[date]]:
    """Each statutory holiday of the year and the days the law gives it (全国年节及纪念日放假办法).

    The rules of :func:`~linkdesk.workdays.statutory_periods` (国务院令第798号, from 2025); before
    2025 (国务院令第644号) 春节 was 初一 to 初三, without 除夕, and 劳动节 was 1 May alone.
    """
    days = {
        name: [first + timedelta(days=offset) for offset in range((last - first).days + 1)] for name, first, last in statutory_periods(year)
    }
    if year < _RULES_OF_2025:
        days["春节"], days["劳动节"] = days["春节"][1:], days["劳动节"][:1]
    return days


def _check_statutory(periods: list[_Period], year: int) -> None:
    """Every statutory holiday has one item (中秋节 and 国庆节 may share one) holding its statutory days."""
    for holiday, days in _statutory_days(year).items():
        named = [period for period in periods if holiday in re.split(r"[、和及,]", period.name)]
        if not named:
            raise NoticeParseError(
                f"通知中没有“{holiday}”的放假安排：{year} 年的元旦、春节、清明节、劳动节、端午节、中秋节、"
                "国庆节都应各有一项（中秋节和国庆节可以合为一项），请检查是否漏贴了一项。"
            )
        if len(named) > 1:
            raise NoticeParseError(f"“{holiday}”出现在两项里：{named[0].label}和{named[1].label}。")
        period = named[0]
        missing = [day for day in days if not period.first <= day <= period.last]
        if missing:
            listed = "、".join(f"{day.month}月{day.day}日" for day in missing)
            raise _fail(period.sentence, f"{listed}是{holiday}的法定假日，却不在这一项的放假日期之内。", item=period.label)


def parse_notice(text: str) -> YearSchedule:
    """The schedule a yearly notice announces; :class:`NoticeParseError` if any part of it cannot be read.

    The notice may be pasted with the page around it: see :func:`~.notice_page.find_notice`.
    """
    found = _find(text)
    if found.kind != YEARLY:
        raise NoticeParseError(
            f"“{found.title}”是调整已公布安排的通知，不是全年的节假日安排：它只能套用在 {found.year} 年"
            "现有的安排上（命令行 workdays import-notice 或管理页面的“导入节假日安排”会这样做）。"
        )
    return read_yearly(found)


def read_yearly(found: NoticeText) -> YearSchedule:
    """The schedule of a yearly notice found on a page; :class:`NoticeParseError` if any part is unreadable."""
    year = found.year
    items = _items(_sentences(found.body))
    if not items:
        last = (_sentences(found.body) or [found.title])[-1]
        raise NoticeParseError(f"通知中没有编号的放假安排（如“一、元旦：1月1日放假……”）：“{last[:80]}”")
    periods, makeup = _read_items(items, year)
    _check_makeup(makeup, periods, year)
    _check_statutory(periods, year)
    return YearSchedule(
        year=year,
        holidays=frozenset(_period_days(periods)),
        makeup_workdays=frozenset(makeup),
        source=found.source,
        periods=tuple((period.name, period.first, period.last) for period in periods),
    )


def find_all(text: str) -> tuple[list[NoticeText], list[str]]:
    """Every notice on a pasted page (see :func:`~.notice_page.find_notices`), each of a year the
    calendar covers, and the titles the page only mentions; refused with the reason otherwise."""
    notices, mentions = find_notices(text or "")
    if not notices:
        return [_find(text)], mentions
    for found in notices:
        _check_year(found)
    return notices, mentions


def _find(text: str) -> NoticeText:
    """The notice in a pasted text, with a year the calendar covers; refused with the reason otherwise."""
    if not text or not text.strip():
        raise NoticeParseError("通知内容为空：请粘贴“国务院办公厅关于YYYY年部分节假日安排的通知”的全文。")
    found = find_notice(text)
    if found is None:
        sentences = _sentences(text)
        opening = sentences[0] if sentences else text.strip()
        if len(opening) > 80:
            opening = opening[:80] + "……"
        raise _fail(opening, "找不到标题“关于YYYY年部分节假日安排的通知”（或调整某年假期安排的通知），无法确定年份。")
    return _check_year(found)


def _check_year(found: NoticeText) -> NoticeText:
    if not FIRST_DAY.year <= found.year <= LAST_DAY.year:
        raise _fail(found.title, f"{found.year} 年不在工作日历的范围内（{FIRST_DAY.year} 至 {LAST_DAY.year} 年）。")
    return found


def _period_days(periods) -> set[date]:
    return {period.first + timedelta(days=offset) for period in periods for offset in range((period.last - period.first).days + 1)}


def _read_items(items, year: int) -> tuple[list[_Period], dict[date, tuple[str, str]]]:
    """Each item's period, and every make-up day with the item and sentence that named it."""
    periods: list[_Period] = []
    makeup: dict[date, tuple[str, str]] = {}
    for label, name, item_sentences in items:
        try:
            period, item_makeup = _read_item(label, name, item_sentences, year)
        except NoticeParseError as error:
            raise NoticeParseError(f"{label}：{error}") from None
        periods.append(period)
        makeup.update((day, (label, sentence)) for day, sentence in item_makeup.items())
    return periods, makeup


def _check_makeup(makeup: dict[date, tuple[str, str]], periods, year: int) -> None:
    """Make-up days belong to the year and are not also days off."""
    holidays = _period_days(periods)
    for day, (label, sentence) in makeup.items():
        if not date(year - 1, 12, 1) <= day <= date(year, 12, 31):
            raise _fail(sentence, f"{day.isoformat()} 不属于 {year} 年的节假日安排。", item=label)
        if day in holidays:
            raise _fail(sentence, f"{day.month}月{day.day}日已在放假日期之内，不能又调休上班。", item=label)
