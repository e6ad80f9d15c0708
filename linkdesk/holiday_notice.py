"""Read the State Council's yearly holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知).

``parse_notice(text)`` takes the notice as published (pasted from gov.cn or a Xinhua release)
and returns its :class:`~linkdesk.workdays.YearSchedule`. Each numbered item ("一、元旦：…")
is one holiday period: its first sentence names the days off, e.g.

- ``1月1日（周四）至3日（周六）放假调休，共3天。`` (a range within one month)
- ``1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。`` (across months)
- ``2018年12月30日至2019年1月1日放假调休，共3天。`` (across the year end)
- ``1月1日（周三）放假1天，不调休。`` / ``4月5日放假，共1天。`` (a single day)
- ``6月10日放假，与周末连休。`` (the day plus the adjacent Saturday and Sunday)

and a sentence ending in ``上班`` lists the make-up working days (``2月14日（周六）、2月28日（周六）上班。``).
Other sentences of an item (``鼓励各单位……安排职工在除夕（2月9日）休息。``) are not part of the schedule.

The notice is checked as it is read, and anything that does not add up raises
:class:`NoticeParseError` quoting the sentence: a day count (共N天) that differs from the range,
a weekday or lunar date in parentheses that does not fit the date, a make-up day that is not a
Saturday or Sunday, an item with no dates. Nothing is returned unless the whole notice was read.
"""
import re
from datetime import date, timedelta

from lunardate import LunarDate

from .workdays import YearSchedule


class NoticeParseError(ValueError):
    """A notice that cannot be read; the message (Chinese) quotes the sentence at fault."""


# Full-width forms the notices use, mapped to the half-width forms the patterns expect.
_NORMALIZE = str.maketrans({
    "（": "(", "）": ")", "：": ":", "，": ",", "；": ";", "〔": "[", "〕": "]", "［": "[", "］": "]",
    "【": "[", "】": "]", "﹝": "[", "﹞": "]", "～": "至", "~": "至", "—": "至", "－": "至",
    **{chr(0xFF10 + digit): str(digit) for digit in range(10)},
})
_NUMERALS = "一二三四五六七八九十"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAY_NAMES = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
_LUNAR_MONTHS = {"正": 1, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
                 "十": 10, "冬": 11, "十一": 11, "腊": 12, "十二": 12}

_TITLE = re.compile(r"(国务院办公厅)?\s*关于\s*(\d{4})\s*年\s*部分节假日安排的通知")
_NUMBER = re.compile(r"国办发明电\s*[\[(]\s*(\d{4})\s*[\])]\s*(\d+)\s*号")
_SIGNED = re.compile(r"(?:^|\n)[ \t\u3000]*(\d{4})年(\d{1,2})月(\d{1,2})日[ \t\u3000]*(?=\n|$)")
_ITEM_START = re.compile(rf"(?:^|(?<=[\s。]))(?=[{_NUMERALS}]{{1,3}}、[^:：。\n]{{1,20}}[:：])")
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
_MAKEUP = re.compile(rf"^{_DATE}{_NOTE}(?:[、和及]{_DATE}{_NOTE})*(?:调休)?上班$")


def _fail(sentence: str, reason: str) -> NoticeParseError:
    return NoticeParseError(f"无法读取这句话：“{sentence}”——{reason}")


def _sentences(text: str) -> list[str]:
    """The notice cut into sentences: at 。 and before every numbered item (一、二、…)."""
    pieces = []
    for part in re.split(r"(?<=。)", text):
        pieces.extend(_ITEM_START.split(part))
    return [piece for piece in (" ".join(piece.split()) for piece in pieces) if piece]


def _compact(sentence: str) -> str:
    """A sentence as the patterns read it: half-width forms, no spaces, no final full stop."""
    return re.sub(r"\s+", "", sentence.translate(_NORMALIZE)).rstrip("。.")


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
        raise _fail(sentence, f"{day.month}月{day.day}日是{_WEEKDAY_NAMES[day.weekday()]}，"
                              f"括号里却写着“{weekday.group(0)}”。")
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
            raise _fail(sentence, f"{day.month}月{day.day}日是{_WEEKDAY_NAMES[day.weekday()]}，"
                                  "调休上班日应为周六或周日。")
        days.append(day)
    return days


def _source(text: str, title: re.Match, year: int) -> str:
    source = f"{'国务院办公厅' if title.group(1) else ''}关于{year}年部分节假日安排的通知"
    number = _NUMBER.search(text.translate(_NORMALIZE))
    if number:
        source += f"（国办发明电〔{number.group(1)}〕{number.group(2)}号）"
    signed = [m for m in _SIGNED.finditer(text.translate(_NORMALIZE)) if m.start() > title.end()]
    if signed:
        y, m, d = signed[-1].groups()
        source += f"，{int(y)}年{int(m)}月{int(d)}日发布"
    return source


def parse_notice(text: str) -> YearSchedule:
    """The schedule a notice announces; :class:`NoticeParseError` if any part of it cannot be read."""
    if not text or not text.strip():
        raise NoticeParseError("通知内容为空：请粘贴“国务院办公厅关于YYYY年部分节假日安排的通知”的全文。")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    title = _TITLE.search(text)
    sentences = _sentences(text)
    if not title:
        opening = sentences[0] if sentences else text.strip()
        if len(opening) > 80:
            opening = opening[:80] + "……"
        raise _fail(opening, "找不到标题“关于YYYY年部分节假日安排的通知”，无法确定年份。")
    year = int(title.group(2))
    if not 1999 <= year <= 2099:
        raise _fail(" ".join(title.group(0).split()), f"{year} 年不在可处理的范围内。")

    # Group sentences into numbered items; sentences before the first item are the preamble.
    items: list[tuple[str, list[str]]] = []
    for sentence in sentences:
        heading = _HEADING.match(sentence.translate(_NORMALIZE))
        if heading:
            items.append((heading.group(2).strip(), [sentence]))
        elif items:
            items[-1][1].append(sentence)
    if not items:
        raise NoticeParseError(f"通知中没有编号的放假安排（如“一、元旦：1月1日放假……”）：“{sentences[-1][:80]}”")

    allowed_from, allowed_to = date(year - 1, 12, 1), date(year, 12, 31)
    periods: list[tuple[str, date, date]] = []
    holidays: set[date] = set()
    makeup: dict[date, str] = {}
    for name, item_sentences in items:
        ranges: list[tuple[date, date, str]] = []
        for index, sentence in enumerate(item_sentences):
            compact = _compact(sentence)
            if index == 0:
                compact = _HEADING.match(compact).group(3)
            if "放假" in compact:
                if ranges:
                    raise _fail(sentence, "一项里只能有一段放假日期。")
                first, last = _holiday_range(compact, sentence, year)
                ranges.append((first, last, sentence))
            elif compact.endswith("上班"):
                for day in _makeup_days(compact, sentence, year):
                    makeup[day] = sentence
            elif index == 0:
                raise _fail(sentence, "这一项没有放假日期。")
        if not ranges:
            raise _fail(item_sentences[0], "这一项没有读出任何放假日期。")
        first, last, sentence = ranges[0]
        if first < allowed_from or last > allowed_to:
            raise _fail(sentence, f"日期不属于 {year} 年的节假日安排。")
        periods.append((name, first, last))
        holidays.update(first + timedelta(days=offset) for offset in range((last - first).days + 1))
    for day, sentence in makeup.items():
        if not allowed_from <= day <= allowed_to:
            raise _fail(sentence, f"{day.isoformat()} 不属于 {year} 年的节假日安排。")
        if day in holidays:
            raise _fail(sentence, f"{day.month}月{day.day}日已在放假日期之内，不能又调休上班。")
    return YearSchedule(
        year=year,
        holidays=frozenset(holidays),
        makeup_workdays=frozenset(makeup),
        source=_source(text, title, year),
        periods=tuple(periods),
    )
