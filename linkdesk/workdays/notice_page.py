"""Finding a State Council holiday notice inside what an admin pastes.

People paste the notice as published: a gov.cn page, a provincial site, a news release. The text
then carries a header (site menus, "上一篇：…" links that may name another year's notice, a table
with the 文号), wrapped lines (a title or a heading broken in two), and a footer after the
signature (责任编辑, 扫一扫在手机打开当前页, 【打印】【关闭】, （新华社北京电）, share bars,
related links, a newspaper's 《人民日报》（…第04版）（责编：…） 分享让更多人看到 返回顶部 — which ends a
copy printed without the signature), HTML markup pasted as text (literal ``<br>``, ``<p>``, entities),
and hard wraps anywhere, even inside the title's year ("201" / "8年") or the 文号.
:func:`find_notices` finds every notice of a page (a yearly notice and its adjustments, in any
order); a copy without a title is known by the notice's standard sentence (现将2024年元旦、春节……的
具体安排通知如下). :func:`find_notice` keeps only the notice: from its title to its signature
(国务院办公厅 and the date), with the line breaks and spaces inside sentences taken out.

Two kinds of title are known: the yearly notice (关于YYYY年部分节假日安排的通知) and a notice that
changes a published schedule (关于调整2019年劳动节假期安排的通知, 关于延长2020年春节假期的通知).
"""

import html
import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from opencc import OpenCC

YEARLY, AMENDMENT = "yearly", "amendment"

_NUMERALS = "一二三四五六七八九十"
_FULL_WIDTH_DIGITS = str.maketrans({chr(0xFF10 + digit): str(digit) for digit in range(10)})


def _spaced(literal: str) -> str:
    """A regex for a literal that tolerates spaces and line breaks between its characters."""
    return r"\s*".join(re.escape(char) for char in literal)


_OFFICE = _spaced("国务院办公厅")
# A year's digits may be wrapped apart ("201" / "8年"): spaces are taken out when it is read.
_YEAR = r"(\d(?:\s*\d){3})\s*年"
_YEARLY_TITLE = re.compile(rf"(?<!《)({_OFFICE})?\s*{_spaced('关于')}\s*{_YEAR}\s*{_spaced('部分节假日安排的通知')}")
_AMENDMENT_TITLE = re.compile(
    rf"(?<!《)({_OFFICE})?\s*{_spaced('关于')}\s*((?:调\s*整|延\s*长|变\s*更|更\s*改))\s*{_YEAR}\s*"
    r"((?:[^\s，。,：:《》]\s*){2,24}?)\s*(?:假\s*期|放\s*假)\s*(?:安\s*排|时\s*间)?\s*的\s*通\s*知"
)
_NUMBER = re.compile(r"国\s*办\s*发\s*明\s*电\s*[〔\[（(［﹝]\s*(\d(?:\s*\d){3})\s*[〕\]）)］﹞]\s*(\d+)\s*号")
# The first item of a notice: 一、 followed closely by a date (一、元旦：1月1日…, 一、2019年5月1日…).
_FIRST_ITEM = re.compile(r"一\s*、[^。]{0,40}?\d{1,2}\s*月\s*\d{1,2}\s*日")
_SIGNATURE = re.compile(
    rf"{_OFFICE}[\s,，、]*(?:[（(]\s*印\s*[)）])?[\s,，、]*(\d(?:\s*\d){{3}})\s*年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*日"
)
_DATE_LINE = re.compile(r"(?m)^[ \t\u3000\xa0]*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日[ \t\u3000\xa0]*$")
# Page furniture that ends a notice printed without its signature (a newspaper's copy of the
# Xinhua release): the paper's footer, the editor, share and back-to-top buttons.
_FOOTER = re.compile(
    "|".join(
        _spaced(marker)
        for marker in (
            "《人民日报》",
            "（责编",
            "(责编",
            "责任编辑",
            "分享让更多人看到",
            "返回顶部",
            "【打印】",
            "【关闭】",
            "扫一扫在手机打开",
        )
    )
)
# The notice's standard sentence, for a copy pasted without its title: 现将2024年元旦、春节……的具体安排通知如下.
# (The empty first group stands for the title's 国务院办公厅, which such a copy does not show.)
_STANDARD_SENTENCE = re.compile(rf"((?!))?{_spaced('现将')}\s*{_YEAR}\s*(?:元\s*旦|春\s*节)[^。]{{0,80}}?{_spaced('安排通知如下')}")
# Pinyin printed in brackets after each character, as some copies do: 國(guó)務(wù)院.
_PINYIN = re.compile(r"(?<=[\u3400-\u9fff])\s*[（(]\s*[a-zA-Z\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f]{1,8}[1-5]?\s*[)）]")
# HTML pasted as text: line breaks and paragraphs become line breaks, other tags go.
_HTML_BREAK = re.compile(r"(?i)<\s*(?:br|/?p|/div|/li|/tr|/h\d)\b[^<>]*>")
_HTML_TAG = re.compile(r"(?i)</?[a-z!][^<>]*>")
# Whitespace is only kept where an item (二、三、…) begins; elsewhere it is a wrapped line or an indent.
_INNER_SPACE = re.compile(rf"\s+(?![{_NUMERALS}]{{1,3}}\s*、)")


@dataclass(frozen=True)
class NoticeText:
    """The notice found in a pasted text: what its title says and its body up to the signature."""

    kind: str  # YEARLY or AMENDMENT
    year: int
    title: str  # as the notice names itself, without line breaks: 国务院办公厅关于2026年部分节假日安排的通知
    body: str  # from after the title to before the signature, spaces inside sentences taken out
    number: str | None  # 国办发明电〔2025〕7号
    signed: date | None
    action: str = ""  # for an amendment: 调整 or 延长
    holiday: str = ""  # for an amendment: the holiday it changes, as the title names it

    @property
    def source(self) -> str:
        """The notice as the calendar cites it: title, 文号 and date of issue."""
        source = self.title
        if self.number:
            source += f"（{self.number}）"
        if self.signed:
            source += f"，{self.signed.year}年{self.signed.month}月{self.signed.day}日发布"
        return source


def _titles(text: str) -> list[tuple[str, re.Match]]:
    found = [(YEARLY, match) for match in _YEARLY_TITLE.finditer(text)]
    found += [(AMENDMENT, match) for match in _AMENDMENT_TITLE.finditer(text)]
    return sorted(found, key=lambda pair: pair[1].start())


def _signature(segment: str) -> tuple[int, date | None]:
    """Where the body ends in the text after the first item, and the date it was signed.

    The body ends at the signature, or at page furniture (a newspaper's footer, share buttons)
    when that comes first: a copy printed without the signature ends there.
    """
    match = _SIGNATURE.search(segment) or _DATE_LINE.search(segment)
    footer = _FOOTER.search(segment)
    end = min(match.start() if match else len(segment), footer.start() if footer else len(segment))
    if not match:
        return end, None
    try:
        signed = date(*(int(re.sub(r"\s", "", part)) for part in match.groups()))
    except ValueError:
        signed = None
    return end, signed


def flatten(text: str) -> str:
    """Spaces and line breaks taken out, except a line break before each numbered item."""
    return re.sub(r"\s", "\n", _INNER_SPACE.sub("", text).strip())


def _prepared(text: str) -> str:
    """The pasted text with uniform line breaks and digits, and any HTML markup taken out."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "<" in text or "&" in text:
        text = html.unescape(_HTML_TAG.sub("", _HTML_BREAK.sub("\n", text)))
    return _PINYIN.sub("", simplified(text)).translate(_FULL_WIDTH_DIGITS)


@cache
def _converter() -> OpenCC:
    return OpenCC("t2s")


def simplified(text: str) -> str:
    """The text in simplified characters (a copy of a Xinhua release in traditional characters:
    國務院辦公廳關於……), converted with OpenCC's dictionaries (phrases first, then characters)."""
    return _converter().convert(text)


def find_notices(text: str) -> tuple[list[NoticeText], list[str]]:
    """Every notice in a pasted text, in page order, and the titles it only mentions.

    A title followed by numbered items (before the next title) is a notice: a page may carry a
    yearly notice and its adjustment notices, in any order. A title with no items after it (a
    link to another year's notice, the page's header) is returned among the mentions, so that the
    preview can name it; one inside 《》 is only a reference and is not returned at all.
    """
    text = _prepared(text)
    titles = _titles(text)
    notices: list[NoticeText] = []
    mentions: list[str] = []
    since = 0
    for index, (kind, match) in enumerate(titles):
        following = titles[index + 1][1].start() if index + 1 < len(titles) else len(text)
        if _FIRST_ITEM.search(text, match.end(), following):
            notice, since = _notice_at(text, kind, match, following, since)
            notices.append(notice)
        else:
            mentions.append(_title_of(kind, match)[0])
    if not notices:
        untitled = _STANDARD_SENTENCE.search(text)
        if untitled and _FIRST_ITEM.search(text, untitled.end()):
            notices.append(_notice_at(text, YEARLY, untitled, len(text), 0)[0])
    named = {notice.title.removeprefix("国务院办公厅") for notice in notices}
    mentions = list(dict.fromkeys(title for title in mentions if title.removeprefix("国务院办公厅") not in named))
    return notices, mentions


def find_notice(text: str) -> NoticeText | None:
    """The (first) notice in a pasted text, or None when no title of a holiday notice is in it.

    Of several titles (a page header, a link to last year's notice, the notice itself), the one
    followed by the numbered items is the notice; a title inside 《》 is only a reference to one.
    """
    notices, _ = find_notices(text)
    if notices:
        return notices[0]
    text = _prepared(text)
    titles = _titles(text)
    if not titles:
        return None
    kind, match = titles[0]
    return _notice_at(text, kind, match, titles[1][1].start() if len(titles) > 1 else len(text), 0)[0]


def _title_of(kind: str, match: re.Match) -> tuple[str, int, str, str]:
    """(title, year, action, holiday) as a title match names them."""
    office = "国务院办公厅" if match.group(1) else ""
    if kind == YEARLY:
        year = int(re.sub(r"\s", "", match.group(2)))
        return f"{office}关于{year}年部分节假日安排的通知", year, "", ""
    action, year = re.sub(r"\s", "", match.group(2)), int(re.sub(r"\s", "", match.group(3)))
    return re.sub(r"\s", "", match.group(0)), year, action, re.sub(r"\s", "", match.group(4))


def _notice_at(text: str, kind: str, match: re.Match, following: int, since: int) -> tuple[NoticeText, int]:
    """The notice whose title is ``match`` (its text ends before ``following``), and where it ends.

    ``since`` is where the notice before it ended: a 文号 printed above this title is looked for
    after that point only.
    """
    first_item = _FIRST_ITEM.search(text, match.end(), following)
    if first_item:
        end, signed = _signature(text[first_item.start() : following])
        body = text[match.end() : first_item.start() + end]
    else:
        body, signed = text[match.end() : following], None
    ends = match.end() + len(body)
    number = _NUMBER.search(text, match.end(), ends) or _last(_NUMBER, text[since : match.start()])
    title, year, action, holiday = _title_of(kind, match)
    notice = NoticeText(
        kind=kind,
        year=year,
        title=title,
        body=flatten(body),
        number=f"国办发明电〔{_digits(number.group(1))}〕{number.group(2)}号" if number else None,
        signed=signed,
        action=action,
        holiday=holiday,
    )
    return notice, ends


def _digits(text: str) -> str:
    """Digits wrapped apart, joined again."""
    return re.sub(r"\s", "", text)


def _last(pattern: re.Pattern, text: str) -> re.Match | None:
    """The last match in a text (a 文号 in the page's header is the one nearest the title)."""
    matches = list(pattern.finditer(text[-400:]))
    return matches[-1] if matches else None
