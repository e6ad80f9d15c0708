"""The State Council holiday notice parser (linkdesk/holiday_notice.py) and the data files it produced."""
import json
import warnings
from datetime import date
from pathlib import Path

import pytest

from linkdesk.holiday_notice import NoticeParseError, parse_notice
from linkdesk.workdays import YearSchedule, parse_schedule_file

ROOT = Path(__file__).resolve().parent.parent
NOTICES = ROOT / "tests" / "data" / "notices"
SHIPPED = ROOT / "linkdesk" / "data" / "holidays"
D = date.fromisoformat

HEADER = "国务院办公厅关于2026年部分节假日安排的通知\n国办发明电〔2025〕7号\n"


def notice(year: int) -> str:
    return (NOTICES / f"{year}.txt").read_text(encoding="utf-8")


def shipped(year: int) -> dict:
    return json.loads((SHIPPED / f"{year}.json").read_text(encoding="utf-8"))


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
        assert sorted(schedule.makeup_workdays) == [D(day) for day in (
            "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")]
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


class TestVariants:
    def test_one_line_with_half_width_brackets(self):
        text = (
            "国务院办公厅关于2026年部分节假日安排的通知 国办发明电〔2025〕7号 经国务院批准，现将安排通知如下。"
            "一、元旦：1月1日(周四)至3日(周六)放假调休，共3天。1月4日(周日)上班。"
            "二、春节：2月15日(农历腊月二十八、周日)至23日(农历正月初七、周一)放假调休，共9天。"
            "2月14日(周六)、2月28日(周六)上班。节假日期间，各地区要妥善安排好值班。"
        )
        schedule = parse_notice(text)
        assert schedule.periods == (("元旦", D("2026-01-01"), D("2026-01-03")), ("春节", D("2026-02-15"), D("2026-02-23")))
        assert schedule.makeup_workdays == {D("2026-01-04"), D("2026-02-14"), D("2026-02-28")}
        assert schedule.source == "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）"

    def test_across_the_year_end_and_without_document_number(self):
        text = (
            "国务院办公厅关于2019年部分节假日安排的通知\n"
            "一、元旦：2018年12月30日至2019年1月1日放假调休，共3天。2018年12月29日（星期六）上班。\n"
            "二、春节：2月4日至10日放假调休，共7天。2月2日（星期六）、2月3日（星期日）上班。\n"
            "三、端午节：6月7日放假，与周末连休。\n"
        )
        schedule = parse_notice(text)
        assert schedule.year == 2019 and schedule.source == "国务院办公厅关于2019年部分节假日安排的通知"
        assert schedule.periods[0] == ("元旦", D("2018-12-30"), D("2019-01-01"))
        assert schedule.periods[2] == ("端午节", D("2019-06-07"), D("2019-06-09"))
        assert D("2018-12-29") in schedule.makeup_workdays
        assert len(schedule.holidays) == 3 + 7 + 3

    def test_full_width_digits_and_a_single_day_with_count(self):
        schedule = parse_notice(HEADER + "一、清明节：４月５日放假，共１天。")
        assert schedule.holidays == {D("2026-04-05")}
        assert schedule.makeup_workdays == frozenset()


def error_for(text: str) -> str:
    with pytest.raises(NoticeParseError) as caught:
        parse_notice(text)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    return message


class TestErrors:
    def test_wrong_weekday(self):
        sentence = "一、元旦：1月1日（周五）至3日（周六）放假调休，共3天。"
        message = error_for(HEADER + sentence + "1月4日（周日）上班。")
        assert f"“{sentence}”" in message and "周四" in message

    def test_wrong_weekday_on_a_makeup_day(self):
        sentence = "2月14日（周日）、2月28日（周六）上班。"
        message = error_for(HEADER + "一、春节：2月15日至23日放假调休，共9天。" + sentence)
        assert f"“{sentence}”" in message

    def test_wrong_lunar_date(self):
        sentence = "二、春节：2月15日（农历腊月二十九、周日）至23日（农历正月初七、周一）放假调休，共9天。"
        message = error_for(HEADER + sentence)
        assert f"“{sentence}”" in message and "腊月二十九" in message

    def test_wrong_day_count(self):
        sentence = "七、国庆节：10月1日（周四）至7日（周三）放假调休，共8天。"
        message = error_for(HEADER + sentence)
        assert f"“{sentence}”" in message and "共8天" in message and "7天" in message

    def test_makeup_on_a_weekday(self):
        sentence = "5月8日（周五）上班。"
        message = error_for(HEADER + "四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。" + sentence)
        assert f"“{sentence}”" in message and "周六或周日" in message

    def test_makeup_inside_the_holiday(self):
        sentence = "5月2日（周六）上班。"
        message = error_for(HEADER + "四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。" + sentence)
        assert f"“{sentence}”" in message

    def test_garbled_sentence(self):
        sentence = "二、春节：2月15日至农历正月初七放假调休，共9天。"
        message = error_for(HEADER + "一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。\n" + sentence)
        assert f"“{sentence}”" in message

    def test_garbled_makeup_sentence(self):
        sentence = "2月14日（周六）和下周六上班。"
        message = error_for(HEADER + "二、春节：2月15日至23日放假调休，共9天。" + sentence)
        assert f"“{sentence}”" in message

    def test_impossible_date(self):
        sentence = "二、春节：2月25日至30日放假调休，共6天。"
        message = error_for(HEADER + sentence)
        assert f"“{sentence}”" in message and "2月30日" in message

    def test_item_without_dates(self):
        sentence = "三、清明节：另行通知。"
        message = error_for(HEADER + "一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。\n" + sentence)
        assert f"“{sentence}”" in message

    def test_missing_title(self):
        opening = "经国务院批准，现将2026年元旦放假日期的具体安排通知如下。"
        message = error_for(opening + "\n一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。")
        assert f"“{opening}”" in message and "关于YYYY年部分节假日安排的通知" in message

    def test_no_numbered_items(self):
        message = error_for(HEADER + "经国务院批准，安排如下：元旦放三天。")
        assert "元旦放三天" in message

    @pytest.mark.parametrize("text", ["", "   \n\t "])
    def test_empty_text(self, text):
        assert "为空" in error_for(text)

    def test_nothing_half_parsed(self):
        # The first items are fine; the last one is not: the whole notice is refused.
        text = notice(2026).replace("9月20日（周日）", "9月21日（周一）")
        message = error_for(text)
        assert "“9月21日（周一）、10月10日（周六）上班。”" in message
