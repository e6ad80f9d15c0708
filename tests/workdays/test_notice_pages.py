"""Notices as people paste them (issue 21): web pages around the notice, adjustment notices, 2018–2023."""

import json
import warnings
from datetime import date, timedelta
from pathlib import Path

import pytest

from linkdesk.workdays.amendment import Amendment, parse_amendment, read_notice
from linkdesk.workdays.calendar import WorkingDayCalendar, default_calendar, parse_schedule_file, workalendar_schedules
from linkdesk.workdays.notice import NoticeParseError, parse_notice

ROOT = Path(__file__).resolve().parents[2]
NOTICES = ROOT / "tests" / "data" / "notices"
SHIPPED = ROOT / "linkdesk" / "data" / "holidays"
D = date.fromisoformat
ADJUSTMENTS = {2019: "2019-labour-day-adjustment", 2020: "2020-spring-festival-extension"}


def text(name: str) -> str:
    return (NOTICES / f"{name}.txt").read_text(encoding="utf-8")


def official(year: int):
    """The year as its notices give it: the yearly notice, with its adjustment applied."""
    schedule = parse_notice(text(str(year)))
    if year in ADJUSTMENTS:
        schedule = parse_amendment(text(ADJUSTMENTS[year])).apply(schedule)
    return schedule


def refusal(pasted: str) -> str:
    with pytest.raises(NoticeParseError) as caught:
        read_notice(pasted)
    return str(caught.value)


class TestShipped2018To2023:
    @pytest.mark.parametrize("year", range(2018, 2024))
    def test_data_file_is_what_the_notices_say(self, year):
        data = json.loads((SHIPPED / f"{year}.json").read_text(encoding="utf-8"))
        assert parse_schedule_file((SHIPPED / f"{year}.json").read_text(encoding="utf-8")) == official(year)
        assert [notice["url"].split("/")[2] for notice in data["notices"]] == ["www.gov.cn"] * len(data["notices"])
        assert len(data["notices"]) == (2 if year in ADJUSTMENTS else 1)
        assert data["source"] == "；".join(notice["source"] for notice in data["notices"])

    def test_2020_spring_festival_runs_to_2_february(self):
        calendar = default_calendar()
        assert not calendar.is_working_day(D("2020-01-31"))
        assert not calendar.is_working_day(D("2020-02-01"))  # was a make-up Saturday before the extension
        assert calendar.is_working_day(D("2020-01-19")) and calendar.is_working_day(D("2020-02-03"))
        answer = calendar.earliest_cutover(D("2020-01-20"))
        # 21–23 Jan, then 3–7 and 10–11 Feb: the 10th working day after Monday 20 January.
        assert answer.earliest_cutover == D("2020-02-11") and not answer.provisional

    def test_2019_labour_day_is_four_days(self):
        calendar = default_calendar()
        assert [calendar.is_working_day(D(f"2019-05-0{day}")) for day in range(1, 6)] == [False] * 4 + [True]
        assert calendar.is_working_day(D("2019-04-28"))

    def test_workalendar_agrees_except_the_2020_extension(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            engine = WorkingDayCalendar(workalendar_schedules())
        ours, day, differ = default_calendar(), D("2018-01-01"), []
        while day <= D("2023-12-31"):
            if ours.is_working_day(day) != engine.is_working_day(day):
                differ.append(day)
            day += timedelta(days=1)
        assert differ == [D("2020-01-31"), D("2020-02-01")]


class TestWebCopies:
    @pytest.mark.parametrize(
        ("copy", "year"),
        [
            ("2021-provincial-site", 2021),
            ("2022-beijing-gov", 2022),
            ("2024-peoples-daily", 2024),
            ("2025-repost-same-line-footer", 2025),
        ],
    )
    def test_yearly_notice_from_a_page(self, copy, year):
        schedule = parse_notice(text(f"web/{copy}"))
        clean = parse_notice(text(str(year)))
        assert (schedule.year, schedule.holidays, schedule.makeup_workdays, schedule.periods) == (
            clean.year,
            clean.holidays,
            clean.makeup_workdays,
            clean.periods,
        )

    @pytest.mark.parametrize(
        ("copy", "year"),
        [
            ("2019-adjustment-beijing-gov", 2019),
            ("2019-adjustment-news-site", 2019),
            ("2020-extension-news-site", 2020),
        ],
    )
    def test_adjustment_from_a_page(self, copy, year):
        amendment = read_notice(text(f"web/{copy}"))
        assert isinstance(amendment, Amendment) and amendment.year == year
        applied = amendment.apply(parse_notice(text(str(year))))
        assert (applied.holidays, applied.makeup_workdays) == (official(year).holidays, official(year).makeup_workdays)

    @pytest.mark.parametrize(
        "footer",
        [
            "责任编辑：××",
            "扫一扫在手机打开当前页",
            "【打印】【关闭】",
            "（新华社北京电）",
            "分享到：微信 微博 QQ空间",
            "相关链接：\n国务院办公厅关于2025年部分节假日安排的通知\n国务院办公厅关于2024年部分节假日安排的通知",
            "【我要纠错】 责任编辑：×× 2025-11-04 17:00\n上一篇：2026年1月1日起施行的新规",
        ],
    )
    def test_footer_after_the_signature_is_ignored(self, footer):
        pasted = text("2026") + "\n" + footer + "\n"
        assert parse_notice(pasted) == parse_notice(text("2026"))
        same_line = text("2026").rstrip() + " " + footer
        assert parse_notice(same_line) == parse_notice(text("2026"))

    def test_header_naming_another_years_notice_is_ignored(self):
        header = (
            "首页 > 政策 > 最新\n上一篇：国务院办公厅关于2025年部分节假日安排的通知\n"
            "（受权发布）国务院办公厅关于2026年部分节假日安排的通知\n2025-11-04 17:00 来源：新华社\n"
        )
        assert parse_notice(header + text("2026")) == parse_notice(text("2026"))

    def test_line_breaks_inside_title_and_heading(self):
        wrapped = text("2025").replace("国务院办公厅关于2025年\n部分节假日安排的通知", "国务院办公厅关于2025年部分节\n假日安排的通知")
        wrapped = wrapped.replace("六、国庆节、中秋节：", "六、国庆节\n、中秋节：").replace("共8天。1月26日", "共8\n天。1月26日")
        assert wrapped != text("2025")
        assert parse_notice(wrapped) == parse_notice(text("2025"))

    def test_a_wrong_sentence_is_named_even_with_a_footer(self):
        pasted = text("2026").replace("9月20日（周日）、10月10日（周六）上班。", "9月20日（周日）、10月10日（周六）上斑。")
        message = refusal(pasted + "\n责任编辑：××\n扫一扫在手机打开当前页\n【打印】【关闭】\n")
        assert message.startswith("第七项（国庆节）") and "“9月20日（周日）、10月10日（周六）上斑。”" in message
        assert "扫一扫" not in message and "责任编辑" not in message


class TestAdjustmentRefusals:
    def test_resuming_work_on_the_wrong_day_contradicts_the_extension(self):
        pasted = text("2020-spring-festival-extension").replace("2月3日（星期一）起正常上班", "2月4日（星期二）起正常上班")
        assert "前后矛盾" in refusal(pasted) and "2月4日" in refusal(pasted)

    def test_a_makeup_day_inside_the_new_holiday(self):
        pasted = text("2019-labour-day-adjustment").replace("5月5日（星期日）上班", "5月4日（星期六）上班")
        message = refusal(pasted)
        assert "5月4日在放假日期之内" in message and "“4月28日（星期日）、5月4日（星期六）上班。”" in message

    def test_a_wrong_weekday(self):
        pasted = text("2020-spring-festival-extension").replace("（农历正月初九，星期日）", "（农历正月初九，星期六）")
        assert "2月2日是周日" in refusal(pasted)

    def test_an_extension_that_shortens_the_holiday(self):
        extension = parse_amendment(
            text("2020-spring-festival-extension").replace("至2月2日（农历正月初九，星期日），2月3日（星期一）", "至1月28日，1月29日")
        )
        with pytest.raises(NoticeParseError, match="前后矛盾"):
            extension.apply(parse_notice(text("2020")))

    def test_a_holiday_the_year_does_not_have(self):
        with pytest.raises(NoticeParseError, match="看不出调整的是哪个假期"):
            read_notice(text("2019-labour-day-adjustment").replace("2019年劳动节假期", "2019年植树节假期"))

    def test_a_dated_sentence_that_cannot_be_read(self):
        pasted = text("2019-labour-day-adjustment").replace("5月5日（星期日）上班。", "5月5日（星期日）上班。5月6日另行安排。")
        assert "“5月6日另行安排。”" in refusal(pasted)


def _signature_removed(notice: str) -> str:
    """The notice as a newspaper prints the Xinhua release: no 国务院办公厅 and date at the end."""
    lines = notice.rstrip().splitlines()
    assert lines[-2].strip() == "国务院办公厅" and lines[-1].strip().endswith("日")
    return "\n".join(lines[:-2])


def _wrapped(notice: str, width: int) -> str:
    """Every line cut every ``width`` characters, as a copy from a narrow column or a PDF."""
    return "\n".join(line[start : start + width] for line in notice.splitlines() for start in range(0, max(len(line), 1), width))


# Made-up clutter around the repository's notice texts (issue 33): each keeps the notice's words.
CLUTTER = {
    "newspaper-footer": lambda notice: notice + "\n《人民日报》（2025年11月05日第04版）（责编：××、××）\n分享让更多人看到\n返回顶部\n",
    "newspaper-footer-no-signature": lambda notice: (
        _signature_removed(notice) + "\n《人民日报》（2025年11月05日第04版）\n（责编：××）\n\n分享让更多人看到\n\n返回顶部"
    ),
    "literal-br": lambda notice: notice.replace("\n", "<br>"),
    "br-and-paragraph-tags": lambda notice: "<div><p>" + notice.replace("\n\n", "</p>\n<p>").replace("\n", "<br />") + "</p></div>",
    "entities-and-spans": lambda notice: notice.replace("，", "&#xff0c;", 3).replace("一、", '<span class="b">一、</span>', 1),
    "title-year-wrapped": lambda notice: notice.replace("关于20", "关于20\n", 1).replace("关于20\n1", "关于201\n", 1),
    "wrapped-every-13": lambda notice: _wrapped(notice, 13),
    "wrapped-every-7": lambda notice: _wrapped(notice, 7),
    "no-title": lambda notice: notice[notice.index("各省") :],
}
CLUTTERED_YEARS = (2018, 2021, 2022, 2024, 2025, 2026)


class TestClutter:
    @pytest.mark.parametrize("year", CLUTTERED_YEARS)
    @pytest.mark.parametrize("kind", sorted(CLUTTER))
    def test_yearly_notice_reads_the_same(self, kind, year):
        pasted = CLUTTER[kind](text(str(year)))
        assert pasted != text(str(year))
        schedule, clean = parse_notice(pasted), parse_notice(text(str(year)))
        assert (schedule.year, schedule.holidays, schedule.makeup_workdays, schedule.periods) == (
            clean.year,
            clean.holidays,
            clean.makeup_workdays,
            clean.periods,
        )

    @pytest.mark.parametrize("kind", sorted(set(CLUTTER) - {"no-title", "newspaper-footer-no-signature"}))
    @pytest.mark.parametrize("year", sorted(ADJUSTMENTS))
    def test_adjustment_notice_reads_the_same(self, kind, year):
        amendment = read_notice(CLUTTER[kind](text(ADJUSTMENTS[year])))
        assert amendment == parse_amendment(text(ADJUSTMENTS[year]))

    def test_a_title_wrapped_inside_its_year_keeps_the_document_number_and_date(self):
        schedule = parse_notice(text("2018").replace("关于2018年", "关于201\n8年", 1))
        assert schedule.source == parse_notice(text("2018")).source
        assert "国办发明电〔2017〕12号" in schedule.source

    def test_a_copy_without_a_title_is_named_by_its_standard_sentence(self):
        schedule = parse_notice(CLUTTER["no-title"](text("2024")))
        assert schedule.source.startswith("关于2024年部分节假日安排的通知")

    def test_a_footer_does_not_hide_a_wrong_sentence(self):
        pasted = CLUTTER["newspaper-footer-no-signature"](text("2026").replace("10月10日（周六）上班。", "10月10日（周六）上斑。"))
        message = refusal(pasted)
        assert "上斑" in message and "人民日报" not in message and "分享" not in message

    def test_a_literal_br_is_not_quoted_as_an_item(self):
        pasted = CLUTTER["literal-br"](text("2026").replace("10月10日（周六）上班。", "10月10日（周六）上斑。"))
        message = refusal(pasted)
        assert "上斑" in message and "<br>" not in message


# An adjustment notice made up in the wording of the import page's own example (issue 33):
# items headed by the holiday's name, as a yearly notice writes them.
PAGE_EXAMPLE_ADJUSTMENT = """国务院办公厅关于调整2026年元旦假期安排的通知
国办发明电〔2025〕99号

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：

经国务院批准，现将调整后的2026年元旦假期安排通知如下：

一、元旦：1月1日（周四）至4日（周日）放假，共4天。

国务院办公厅
2025年12月1日
"""


class TestAdjustmentInTheYearlyWording:
    def test_the_import_pages_example_parses(self):
        example = PAGE_EXAMPLE_ADJUSTMENT.replace("至4日（周日）放假，共4天。", "至3日（周六）放假调休，共3天。1月4日（周日）上班。")
        amendment = read_notice(example)
        assert isinstance(amendment, Amendment)
        assert amendment.apply(parse_notice(text("2026"))).holidays == parse_notice(text("2026")).holidays

    def test_it_changes_the_days(self):
        applied = read_notice(PAGE_EXAMPLE_ADJUSTMENT).apply(parse_notice(text("2026")))
        assert D("2026-01-04") in applied.holidays and D("2026-01-04") not in applied.makeup_workdays
        assert applied.source.endswith("国务院办公厅关于调整2026年元旦假期安排的通知（国办发明电〔2025〕99号），2025年12月1日发布")

    def test_an_item_naming_another_holiday_is_refused(self):
        message = refusal(PAGE_EXAMPLE_ADJUSTMENT.replace("一、元旦：", "一、春节："))
        assert "标题说调整的是元旦，这一项写的却是“春节”" in message


def _traditional(notice: str, config: str) -> str:
    from opencc import OpenCC

    return OpenCC(config).convert(notice)


def _with_pinyin(notice: str) -> str:
    """Pinyin in brackets after the characters of the title's first words, as some copies print it."""
    return notice.replace("國務院辦公廳", "國(guó)務(wù)院（yuàn）辦(bàn)公(gōng)廳(tīng)", 1)


class TestTraditionalCharacters:
    @pytest.mark.parametrize("year", CLUTTERED_YEARS)
    @pytest.mark.parametrize("config", ["s2t", "s2tw", "s2hk"])
    def test_a_traditional_copy_reads_the_same(self, config, year):
        pasted = _traditional(text(str(year)), config)
        assert "國務院辦公廳關於" in pasted
        schedule, clean = parse_notice(pasted), parse_notice(text(str(year)))
        assert (schedule.holidays, schedule.makeup_workdays, schedule.periods, schedule.source) == (
            clean.holidays,
            clean.makeup_workdays,
            clean.periods,
            clean.source,
        )

    @pytest.mark.parametrize("year", sorted(ADJUSTMENTS))
    def test_a_traditional_adjustment_reads_the_same(self, year):
        assert read_notice(_traditional(text(ADJUSTMENTS[year]), "s2t")) == parse_amendment(text(ADJUSTMENTS[year]))

    @pytest.mark.parametrize("year", (2020, 2025))
    def test_bracketed_pinyin(self, year):
        pasted = _with_pinyin(_traditional(text(str(year)), "s2t"))
        assert "國(guó)務(wù)院" in pasted
        assert parse_notice(pasted) == parse_notice(text(str(year)))

    def test_a_traditional_copy_with_a_wrong_sentence_is_refused_naming_it(self):
        pasted = _traditional(text("2026").replace("10月10日（周六）上班。", "10月10日（周六）上斑。"), "s2t")
        assert "“9月20日（周日）、10月10日（周六）上斑。”" in refusal(pasted)
