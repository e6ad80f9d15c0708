"""The State Council holiday notice parser (linkdesk/workdays/notice.py) and the data files it produced."""

import json
import warnings
from datetime import date
from pathlib import Path

import pytest

from linkdesk.workdays.calendar import YearSchedule, parse_schedule_file
from linkdesk.workdays.notice import NoticeParseError, parse_notice

ROOT = Path(__file__).resolve().parents[2]
NOTICES = ROOT / "tests" / "data" / "notices"
SHIPPED = ROOT / "linkdesk" / "data" / "holidays"
D = date.fromisoformat


def notice(year: int) -> str:
    return (NOTICES / f"{year}.txt").read_text(encoding="utf-8")


def shipped(year: int) -> dict:
    return json.loads((SHIPPED / f"{year}.json").read_text(encoding="utf-8"))


def edited(published: str, replacement: str, year: int = 2026) -> str:
    """The year's notice with one passage changed (the passage must be there)."""
    text = notice(year)
    assert published in text
    return text.replace(published, replacement, 1)


def error_for(text: str) -> str:
    with pytest.raises(NoticeParseError) as caught:
        parse_notice(text)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    return message


class TestShippedYears:
    @pytest.mark.parametrize("year", [2024, 2025, 2026])
    def test_notice_reproduces_the_shipped_file(self, year):
        schedule = parse_notice(notice(year))
        data = shipped(year)
        assert isinstance(schedule, YearSchedule)
        assert schedule.year == data["year"] == year
        assert sorted(day.isoformat() for day in schedule.holidays) == data["holidays"]
        assert sorted(day.isoformat() for day in schedule.makeup_workdays) == data["makeup_workdays"]
        assert [(name, first.isoformat(), last.isoformat()) for name, first, last in schedule.periods] == [
            (period["name"], period["first"], period["last"]) for period in data["periods"]
        ]
        assert schedule.source == data["source"]
        assert data["url"].startswith("https://www.gov.cn/")

    @pytest.mark.parametrize("year", [2024, 2025, 2026])
    def test_shipped_file_reads_back_the_same(self, year):
        from_file = parse_schedule_file((SHIPPED / f"{year}.json").read_text(encoding="utf-8"))
        assert from_file == parse_notice(notice(year))

    def test_2026_dates(self):
        schedule = parse_notice(notice(2026))
        assert schedule.source == "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号），2025年11月4日发布"
        assert schedule.periods[1] == ("春节", D("2026-02-15"), D("2026-02-23"))
        assert sorted(schedule.makeup_workdays) == [
            D(day) for day in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")
        ]
        assert len(schedule.holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7

    def test_2025_single_day_and_combined_heading(self):
        schedule = parse_notice(notice(2025))
        assert schedule.periods[0] == ("元旦", D("2025-01-01"), D("2025-01-01"))
        assert schedule.periods[-1] == ("国庆节、中秋节", D("2025-10-01"), D("2025-10-08"))
        assert schedule.periods[4] == ("端午节", D("2025-05-31"), D("2025-06-02"))  # across months

    def test_2024_with_the_weekend_and_no_weekday_notes(self):
        schedule = parse_notice(notice(2024))
        periods = {name: (first, last) for name, first, last in schedule.periods}
        assert periods["端午节"] == (D("2024-06-08"), D("2024-06-10"))  # 6月10日放假，与周末连休
        assert periods["元旦"] == (D("2023-12-30"), D("2024-01-01"))
        assert D("2024-02-09") not in schedule.holidays  # 除夕: only "encouraged" to be given off
        assert D("2024-05-11") in schedule.makeup_workdays


def test_2023_agrees_with_workalendar():
    from workalendar.asia.china import China

    schedule = parse_notice(notice(2023))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        china = China()
        holidays = {day for day, _ in china.holidays(2023)}
        extra = {day for day in china.extra_working_days if day.year == 2023}
    assert {day for day in schedule.holidays if day.year == 2023} == holidays
    assert schedule.makeup_workdays == extra
    assert schedule.periods[0] == ("元旦", D("2022-12-31"), D("2023-01-02"))
    assert schedule.source == "国务院办公厅关于2023年部分节假日安排的通知（国办发明电〔2022〕16号），2022年12月8日发布"


NOTICE_2019 = """国务院办公厅关于2019年部分节假日安排的通知
一、元旦：2018年12月30日至2019年1月1日放假调休，共3天。2018年12月29日（星期六）上班。
二、春节：2月4日至10日放假调休，共7天。2月2日（星期六）、2月3日（星期日）上班。
三、清明节：4月5日放假，与周末连休。
四、劳动节：5月1日至4日放假调休，共4天。4月28日（星期日）、5月5日（星期日）上班。
五、端午节：6月7日放假，与周末连休。
六、中秋节：9月13日放假，与周末连休。
七、国庆节：10月1日至7日放假调休，共7天。9月29日（星期日）、10月12日（星期六）上班。
"""


class TestVariants:
    def test_one_line_with_half_width_brackets(self):
        text = " ".join(notice(2026).split()).replace("（", "(").replace("）", ")")
        schedule = parse_notice(text)
        assert schedule.periods[:2] == (("元旦", D("2026-01-01"), D("2026-01-03")), ("春节", D("2026-02-15"), D("2026-02-23")))
        assert schedule.holidays == parse_notice(notice(2026)).holidays
        assert {D("2026-01-04"), D("2026-02-14"), D("2026-02-28")} <= schedule.makeup_workdays
        # The signature (国务院办公厅 and the date) is found on one line too.
        assert schedule.source == parse_notice(notice(2026)).source

    def test_across_the_year_end_and_without_document_number(self):
        schedule = parse_notice(NOTICE_2019)
        assert schedule.year == 2019 and schedule.source == "国务院办公厅关于2019年部分节假日安排的通知"
        assert schedule.periods[0] == ("元旦", D("2018-12-30"), D("2019-01-01"))
        assert schedule.periods[4] == ("端午节", D("2019-06-07"), D("2019-06-09"))
        assert D("2018-12-29") in schedule.makeup_workdays
        assert len(schedule.holidays) == 3 + 7 + 3 + 4 + 3 + 3 + 7

    def test_full_width_digits(self):
        text = edited("4月4日（周六）至6日（周一）放假，共3天", "４月４日（周六）至６日（周一）放假，共３天")
        assert parse_notice(text) == parse_notice(notice(2026))

    def test_a_year_after_the_real_notices_under_the_rules_of_2025(self):
        schedule = parse_notice((NOTICES / "synthetic-2027.txt").read_text(encoding="utf-8"))
        assert schedule.year == 2027
        assert schedule.periods[1] == ("春节", D("2027-02-05"), D("2027-02-12"))
        assert D("2027-02-20") in schedule.makeup_workdays


class TestSentencesOfAnItem:
    """Every sentence of an item is read as dates or is prose without one; nothing is skipped."""

    @pytest.mark.parametrize(
        ("published", "variant"),
        [
            ("1月4日（周日）上班。", "1月4日（周日）上班；"),
            ("1月4日（周日）上班。", "1月4日（周日）上班，"),
            ("1月4日（周日）上班。", "1月4日（周日）上班"),
            ("5月9日（周六）上班。", "5月9日（周六）上班工作。"),
            ("2月14日（周六）、2月28日（周六）上班。", "2月14日（周六）、2月28日（周六）上班，"),
            ("2月14日（周六）、2月28日（周六）上班。", "2月14日（周六）和2月28日（周六）上班。"),
            ("2月14日（周六）、2月28日（周六）上班。", "2月14日（周六）上班，2月28日（周六）上班。"),
            ("共3天。1月4日（周日）上班。", "共3天；1月4日（周日）上班。"),
        ],
    )
    def test_makeup_sentence_variants_keep_every_makeup_day(self, published, variant):
        text = edited(published, variant)
        assert parse_notice(text) == parse_notice(notice(2026))

    def test_next_item_on_the_same_line_after_a_semicolon(self):
        text = edited("1月4日（周日）上班。\n\n二、", "1月4日（周日）上班；二、")
        assert parse_notice(text) == parse_notice(notice(2026))

    def test_prose_without_a_date_is_fine(self):
        prose = "节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作。"
        text = edited("1月4日（周日）上班。", "1月4日（周日）上班。" + prose)
        assert parse_notice(text) == parse_notice(notice(2026))

    @pytest.mark.parametrize(
        ("item", "published", "unreadable"),
        [
            ("第一项（元旦）", "1月4日（周日）上班。", "1月4日（周日）上斑。"),
            ("第一项（元旦）", "1月4日（周日）上班。", "1月4日（周日）补班。"),
            ("第四项（劳动节）", "5月9日（周六）上班。", "5月9日（周六）照常上班工作安排。"),
            ("第七项（国庆节）", "9月20日（周日）、10月10日（周六）上班。", "9月20日（周日）、10月10日（周六）上班，10月11日补休。"),
            ("第二项（春节）", "2月14日（周六）、2月28日（周六）上班。", "鼓励各单位安排职工在2月14日（周六）放假。"),
        ],
    )
    def test_a_sentence_with_a_date_that_cannot_be_read_is_refused(self, item, published, unreadable):
        message = error_for(edited(published, unreadable))
        assert message.startswith(item) and f"“{unreadable}”" in message


class TestNumberingAndCompleteness:
    def test_duplicate_item_number(self):
        message = error_for(edited("七、国庆节", "六、国庆节"))
        assert "“六、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。”" in message and "已经出现过" in message

    def test_items_out_of_order(self):
        text = edited("六、中秋节", "七、中秋节").replace("七、国庆节", "六、国庆节")
        message = error_for(text)
        assert "“七、中秋节：9月25日（周五）至27日（周日）放假，共3天。”" in message and "“五、”" in message

    def test_a_gap_in_the_numbering(self):
        message = error_for(edited("三、清明节", "四、清明节"))
        assert "“四、清明节" in message and "“二、”" in message

    def test_truncated_notice_names_the_missing_holiday(self):
        complete = notice(2026)
        text = complete[: complete.index("七、国庆节")] + complete[complete.index("鼓励单位") :]
        message = error_for(text)
        assert "国庆节" in message and "漏" in message

    def test_missing_mid_autumn(self):
        complete = notice(2026)
        text = complete[: complete.index("六、中秋节")] + complete[complete.index("七、国庆节") :].replace("七、", "六、")
        assert "中秋节" in error_for(text)

    def test_item_that_leaves_out_a_statutory_day(self):
        text = edited("10月1日（周四）至7日（周三）放假调休，共7天", "10月2日（周五）至7日（周三）放假调休，共6天")
        message = error_for(text)
        assert message.startswith("第七项（国庆节）") and "10月1日是国庆节的法定假日" in message

    def test_spring_festival_eve_is_statutory_from_2025(self):
        text = edited(
            "1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天",
            "1月29日（农历正月初一、周三）至2月4日（农历正月初七、周二）放假调休，共7天",
            year=2025,
        )
        assert "1月28日是春节的法定假日" in error_for(text)

    def test_a_holiday_in_two_items(self):
        text = edited("六、国庆节、中秋节", "六、国庆节、春节", year=2025)
        assert "“春节”出现在两项里" in error_for(text)

    def test_year_outside_the_calendar(self):
        text = edited("关于2026年", "关于2017年")
        assert "2017 年不在工作日历的范围内" in error_for(text)


class TestErrors:
    """Each error names the item and quotes the sentence at fault; nothing is returned."""

    def test_wrong_weekday(self):
        sentence = "一、元旦：1月1日（周五）至3日（周六）放假调休，共3天。"
        message = error_for(edited("一、元旦：1月1日（周四）", "一、元旦：1月1日（周五）"))
        assert message.startswith("第一项（元旦）") and f"“{sentence}”" in message and "周四" in message

    def test_wrong_weekday_on_a_makeup_day(self):
        sentence = "2月14日（周日）、2月28日（周六）上班。"
        message = error_for(edited("2月14日（周六）、", "2月14日（周日）、"))
        assert message.startswith("第二项（春节）") and f"“{sentence}”" in message

    def test_wrong_lunar_date(self):
        sentence = "二、春节：2月15日（农历腊月二十九、周日）至23日（农历正月初七、周一）放假调休，共9天。"
        message = error_for(edited("腊月二十八", "腊月二十九"))
        assert f"“{sentence}”" in message and "2月15日不是农历腊月二十九" in message

    def test_wrong_day_count(self):
        sentence = "七、国庆节：10月1日（周四）至7日（周三）放假调休，共8天。"
        message = error_for(edited("至7日（周三）放假调休，共7天", "至7日（周三）放假调休，共8天"))
        assert f"“{sentence}”" in message and "共8天" in message and "7天" in message

    def test_makeup_on_a_weekday(self):
        sentence = "5月8日（周五）上班。"
        message = error_for(edited("5月9日（周六）上班。", sentence))
        assert message.startswith("第四项（劳动节）") and f"“{sentence}”" in message and "周六或周日" in message

    def test_makeup_inside_the_holiday(self):
        sentence = "5月2日（周六）上班。"
        message = error_for(edited("5月9日（周六）上班。", sentence))
        assert message.startswith("第四项（劳动节）") and f"“{sentence}”" in message and "已在放假日期之内" in message

    def test_garbled_sentence(self):
        sentence = "二、春节：2月15日至农历正月初七放假调休，共9天。"
        message = error_for(edited("二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。", sentence))
        assert f"“{sentence}”" in message

    def test_garbled_makeup_sentence(self):
        sentence = "2月14日（周六）和下周六上班。"
        message = error_for(edited("2月14日（周六）、2月28日（周六）上班。", sentence))
        assert message.startswith("第二项（春节）") and f"“{sentence}”" in message

    def test_impossible_date(self):
        sentence = "二、春节：2月25日至30日放假调休，共6天。"
        message = error_for(edited("二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。", sentence))
        assert f"“{sentence}”" in message and "2月30日" in message

    def test_item_without_dates(self):
        sentence = "三、清明节：另行通知。"
        message = error_for(edited("三、清明节：4月4日（周六）至6日（周一）放假，共3天。", sentence))
        assert message.startswith("第三项（清明节）") and f"“{sentence}”" in message

    def test_missing_title(self):
        opening = "经国务院批准，元旦放假日期安排如下。"
        message = error_for(opening + "\n一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。")
        assert f"“{opening}”" in message and "关于YYYY年部分节假日安排的通知" in message

    def test_missing_title_with_the_standard_sentence_is_read_for_its_year(self):
        # Issue 33: the standard sentence (现将2026年元旦……的具体安排通知如下) names the year; the
        # copy is then read as the 2026 notice, and refused for what it lacks.
        opening = "经国务院批准，现将2026年元旦放假日期的具体安排通知如下。"
        message = error_for(opening + "\n一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。")
        assert "通知中没有“春节”的放假安排：2026 年的" in message

    def test_no_numbered_items(self):
        message = error_for("国务院办公厅关于2026年部分节假日安排的通知\n经国务院批准，安排如下：元旦放三天。")
        assert "元旦放三天" in message

    @pytest.mark.parametrize("text", ["", "   \n\t "])
    def test_empty_text(self, text):
        assert "为空" in error_for(text)

    def test_nothing_half_parsed(self):
        # The first items are fine; the last one is not: the whole notice is refused.
        text = edited("9月20日（周日）", "9月21日（周一）")
        message = error_for(text)
        assert "“9月21日（周一）、10月10日（周六）上班。”" in message
