"""The working-day calendar as a workalendar calendar: workalendar's questions, the notices' answers.

Three checks: the calendar answers workalendar's API (signatures and conventions included); its
index (the binary searches and the E(D) table) agrees with workalendar's own day-by-day algorithms
run over the same data; and for every year workalendar's ``China`` table covers, the notices'
data agree with it except for the days listed below, each with the notice that decides it.
"""

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workalendar.asia import china as workalendar_china
from workalendar.core import ChineseNewYearCalendar, CoreCalendar
from workalendar.exceptions import CalendarError

from linkdesk.workdays.calendar import (
    FIRST_DAY,
    LAST_DAY,
    CalendarRangeError,
    WorkingDayCalendar,
    default_calendar,
    load_shipped_schedules,
)

D = date.fromisoformat


@pytest.fixture(scope="module")
def calendar():
    return default_calendar()


def every_day(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


class TestWorkalendarLanguage:
    def test_is_a_workalendar_calendar_built_like_china(self):
        calendar = WorkingDayCalendar()  # no arguments: the shipped schedules, as China() has its table
        assert isinstance(calendar, ChineseNewYearCalendar)  # the base of workalendar's China
        assert calendar.get_weekend_days() == (5, 6)
        assert calendar.name.startswith("China")
        assert calendar.is_official(2026) and calendar.is_provisional(D("2027-03-01"))

    def test_holidays_of_a_year_are_the_notice(self, calendar):
        holidays = calendar.holidays(2026)
        assert holidays == sorted(holidays)
        assert holidays[:3] == [(D("2026-01-01"), "元旦"), (D("2026-01-02"), "元旦"), (D("2026-01-03"), "元旦")]
        spring = [day for day, name in holidays if name == "春节"]
        assert (spring[0], spring[-1], len(spring)) == (D("2026-02-15"), D("2026-02-23"), 9)
        assert len(holidays) == 33  # 3 + 9 + 3 + 5 + 3 + 3 + 7 days off in the 2026 notice
        assert calendar.holidays_set(2026) == {day for day, _ in holidays}
        assert calendar.get_holiday_label(D("2026-10-07")) == "国庆节"
        assert calendar.get_holiday_label(D("2026-10-08")) is None
        assert calendar.is_holiday(D("2026-02-21")) and not calendar.is_holiday(D("2026-02-14"))

    def test_a_year_off_the_notice_is_the_statutory_one(self, calendar):
        assert [day for day, name in calendar.holidays(2027) if name == "春节"] == [
            D("2027-02-05"),
            D("2027-02-06"),
            D("2027-02-07"),
            D("2027-02-08"),
            D("2027-02-09"),
            D("2027-02-10"),
        ]
        assert not [day for day in calendar.extra_working_days if day.year == 2027]  # no make-up day is guessed

    def test_new_year_holiday_in_december_belongs_to_the_december_year(self, calendar):
        # workalendar lists days by calendar year: the 2024 notice's 30–31 December 2023 are in 2023.
        assert (D("2023-12-30"), "元旦") in calendar.holidays(2023)
        assert calendar.holidays(2024)[0] == (D("2024-01-01"), "元旦")

    def test_make_up_days_are_extra_working_days(self, calendar):
        assert {D("2026-01-04"), D("2026-02-14"), D("2026-02-28"), D("2026-05-09"), D("2026-09-20"), D("2026-10-10")} == {
            day for day in calendar.extra_working_days if day.year == 2026
        }
        assert calendar.extra_working_days == sorted(calendar.extra_working_days)
        assert calendar.is_working_day(D("2026-02-14")) and calendar.is_working_day(datetime(2026, 2, 14, 9, 30))
        assert not calendar.is_working_day(D("2026-02-16"))

    def test_add_and_sub_working_days_as_in_workalendar(self, calendar):
        assert calendar.add_working_days(D("2026-02-13"), 10) == D("2026-03-05")  # across the Spring Festival
        assert calendar.add_working_days(D("2026-02-13"), 0) == D("2026-02-13")
        assert calendar.add_working_days(D("2026-03-05"), -10) == D("2026-02-13")
        assert calendar.sub_working_days(D("2026-03-05"), 10) == calendar.sub_working_days(D("2026-03-05"), -10)
        assert calendar.add_working_days(D("2026-02-09"), 5) == D("2026-02-14")  # lands on a make-up Saturday
        assert calendar.add_working_days(datetime(2026, 2, 13, 16, 45), 10) == D("2026-03-05")
        assert calendar.add_working_days(datetime(2026, 2, 13, 16, 45), 10, keep_datetime=True) == datetime(2026, 3, 5, 16, 45)
        assert calendar.sub_working_days(datetime(2026, 3, 5, 8), 10, keep_datetime=True) == datetime(2026, 2, 13, 8)

    def test_working_days_delta_as_in_workalendar(self, calendar):
        assert calendar.get_working_days_delta(D("2026-02-13"), D("2026-03-05")) == 10
        assert calendar.get_working_days_delta(D("2026-03-05"), D("2026-02-13")) == 10  # either order
        assert calendar.get_working_days_delta(D("2026-02-13"), D("2026-03-05"), include_start=True) == 11
        assert calendar.get_working_days_delta(D("2026-02-15"), D("2026-02-24"), include_start=True) == 1  # 15th is off
        assert calendar.get_working_days_delta(D("2026-02-13"), D("2026-02-13"), include_start=True) == 0
        assert calendar.working_days_between(D("2026-03-05"), D("2026-02-13")) == -10  # ours keeps the sign

    def test_extra_days_take_workalendars_walk(self, calendar):
        assert not calendar.is_working_day(D("2026-11-27"), extra_holidays=[D("2026-11-27")])
        assert calendar.is_working_day(D("2026-11-28"), extra_working_days=[D("2026-11-28")])
        assert calendar.is_working_day(D("2026-02-14"), extra_holidays=[D("2026-11-27")])  # make-up days still work
        assert calendar.add_working_days(D("2026-11-26"), 1, extra_holidays=[D("2026-11-27")]) == D("2026-11-30")
        assert calendar.sub_working_days(D("2026-11-30"), 1, extra_holidays=[D("2026-11-27")]) == D("2026-11-26")
        assert calendar.get_working_days_delta(D("2026-11-26"), D("2026-11-30"), extra_holidays=[D("2026-11-27")]) == 1

    def test_outside_the_range_is_a_calendar_error(self, calendar):
        for ask in (
            lambda: calendar.holidays(2017),
            lambda: calendar.is_working_day(D("2017-12-31")),
            lambda: calendar.add_working_days(D("2099-12-30"), 5),
            lambda: calendar.sub_working_days(D("2018-01-03"), 5),
            lambda: calendar.is_holiday(D("2100-01-01")),
        ):
            with pytest.raises(CalendarRangeError, match="超出工作日历的范围") as raised:
                ask()
            assert isinstance(raised.value, CalendarError) and isinstance(raised.value, ValueError)


class TestIndexAgreesWithWorkalendarsAlgorithms:
    def test_every_day_by_workalendars_rule(self, calendar):
        # workalendar's generic is_working_day over our holidays(year) and extra_working_days.
        wrong = [
            day
            for day in every_day(FIRST_DAY, LAST_DAY)
            if CoreCalendar.is_working_day(calendar, day, extra_working_days=calendar.extra_working_days)
            is not calendar.is_working_day(day)
        ]
        assert wrong == []

    def test_earliest_cutover_is_add_working_days_from_the_next_working_day(self, calendar):
        wrong = []
        for day in every_day(FIRST_DAY, date(2099, 12, 1)):
            expected = calendar.add_working_days(calendar.next_working_day(day), calendar.lead_days)
            if calendar.earliest_cutover(day).earliest_cutover != expected:
                wrong.append(day)
        assert wrong == []

    @settings(max_examples=300, deadline=None)
    @given(
        # The walk below may go up to 119 days past ``day``: it stays inside the range (to 2099-12-31).
        st.dates(min_value=date(2018, 3, 1), max_value=date(2099, 8, 1)),
        st.dates(min_value=date(2018, 3, 1), max_value=date(2099, 10, 1)),
        st.integers(min_value=-25, max_value=25),
        st.booleans(),
    )
    def test_searches_agree_with_the_walk(self, day, other, delta, include_start):
        calendar = default_calendar()
        assert calendar.add_working_days(day, delta) == CoreCalendar.add_working_days(calendar, day, delta)
        assert calendar.sub_working_days(day, delta) == CoreCalendar.sub_working_days(calendar, day, delta)
        other = day + (other - day) % timedelta(days=120)  # a walk of at most four months
        assert calendar.get_working_days_delta(day, other, include_start) == CoreCalendar.get_working_days_delta(
            calendar, day, other, include_start
        )

    def test_an_imported_year_changes_holidays_and_extra_working_days(self):
        from linkdesk.workdays.calendar import YearSchedule

        schedule = YearSchedule(
            2027,
            frozenset(D("2027-01-01") + timedelta(days=n) for n in range(3)),
            frozenset({D("2027-01-09")}),
            "测试通知",
            (("元旦", D("2027-01-01"), D("2027-01-03")),),
        )
        imported = WorkingDayCalendar([*load_shipped_schedules(), schedule])
        assert imported.holidays(2027)[:3] == [(D("2027-01-01"), "元旦"), (D("2027-01-02"), "元旦"), (D("2027-01-03"), "元旦")]
        assert D("2027-01-09") in imported.extra_working_days and imported.is_working_day(D("2027-01-09"))
        assert imported.add_working_days(D("2027-01-08"), 1) == D("2027-01-09")


# --- workalendar's China as the cross-check ----------------------------------------------------

# Days off in our data that China's holidays(year) does not list, each group with the notice that
# decides it. Apart from the two 2020 days below, every one is a Saturday or Sunday that the notice
# puts inside a holiday period ("与周末连休", "1月1日至3日放假"): China lists only the weekdays.
ONLY_IN_THE_NOTICES = {
    "国务院办公厅关于2018年部分节假日安排的通知（国办发明电〔2017〕12号）：端午节 6月18日、中秋节 9月24日放假，与周末连休": [
        "2018-06-16",
        "2018-06-17",
        "2018-09-22",
        "2018-09-23",
    ],
    "国务院办公厅关于2019年部分节假日安排的通知（国办发明电〔2018〕15号）：清明节、端午节、中秋节放假，与周末连休": [
        "2019-04-06",
        "2019-04-07",
        "2019-06-08",
        "2019-06-09",
        "2019-09-14",
        "2019-09-15",
    ],
    "国务院办公厅关于调整2019年劳动节假期安排的通知（国办发明电〔2019〕3号）：5月1日至4日放假调休，共4天": ["2019-05-04"],
    "国务院办公厅关于延长2020年春节假期的通知（国办发明电〔2020〕1号）：延长2020年春节假期至2月2日": [
        "2020-01-31",
        "2020-02-01",
        "2020-02-02",
    ],
    "国务院办公厅关于2021年部分节假日安排的通知（国办发明电〔2020〕27号）：元旦 2021年1月1日至3日放假，共3天": ["2021-01-02", "2021-01-03"],
    "国务院办公厅关于2022年部分节假日安排的通知（国办发明电〔2021〕11号）：元旦 2022年1月1日至3日放假，共3天": ["2022-01-02"],
    "国务院办公厅关于2023年部分节假日安排的通知（国办发明电〔2022〕16号）：元旦 2022年12月31日至2023年1月2日放假调休": ["2022-12-31"],
    "国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号）：元旦 1月1日放假，与周末连休": ["2023-12-30", "2023-12-31"],
}
# Working days that differ: China still has the 2020 Spring Festival as first announced, with
# 1 February a make-up Saturday; the extension (国办发明电〔2020〕1号) gave 31 January and 1 February off.
CHINA_WORKS_THE_NOTICES_DO_NOT = ["2020-01-31", "2020-02-01"]
CHINA_MAKE_UP_DAYS_NOT_IN_THE_NOTICES = ["2020-02-01"]


def china_years() -> list[int]:
    years = sorted(workalendar_china.holidays)
    assert set(range(2018, 2024)) <= set(years)  # the cross-check cannot quietly become empty
    return years


@pytest.fixture(scope="module")
def china():
    return workalendar_china.China()


@pytest.mark.filterwarnings("ignore:Support years:UserWarning")  # China's "need update every year"
@pytest.mark.filterwarnings("ignore:toSolarDate is deprecated:DeprecationWarning")  # China's lunardate call
class TestWorkalendarChinaCrossCheck:
    def test_holidays_differ_only_by_the_listed_notices(self, calendar, china):
        only_ours, only_china = [], []
        for year in china_years():
            ours, theirs = calendar.holidays_set(year), china.holidays_set(year)
            only_ours += sorted(ours - theirs)
            only_china += sorted(theirs - ours)
        assert only_china == []
        assert only_ours == sorted(D(day) for days in ONLY_IN_THE_NOTICES.values() for day in days)
        weekdays = [day for day in only_ours if day.weekday() < 5]
        assert weekdays == [D("2020-01-31")]  # every other one is a weekend day inside a period

    def test_names_agree(self, calendar, china):
        from linkdesk.workdays.calendar import WORKALENDAR_NAMES

        differ = []
        for year in china_years():
            ours = dict(calendar.holidays(year))
            for day, label in china.holidays(year):
                if WORKALENDAR_NAMES[label] not in ours[day]:  # ours may be a combined "国庆节、中秋节"
                    differ.append((day, label, ours[day]))
        assert differ == []

    def test_make_up_days_differ_only_by_the_2020_extension(self, calendar, china):
        years = china_years()
        ours = {day for day in calendar.extra_working_days if day.year in years}
        theirs = {day for day in china.extra_working_days if day.year in years}
        assert ours <= theirs
        assert sorted(theirs - ours) == [D(day) for day in CHINA_MAKE_UP_DAYS_NOT_IN_THE_NOTICES]

    def test_working_days_differ_only_by_the_2020_extension(self, calendar, china):
        years = china_years()
        differ = [
            day
            for day in every_day(date(years[0], 1, 1), date(years[-1], 12, 31))
            if china.is_working_day(day) is not calendar.is_working_day(day)
        ]
        assert differ == [D(day) for day in CHINA_WORKS_THE_NOTICES_DO_NOT]
        assert all(china.is_working_day(day) for day in differ)
