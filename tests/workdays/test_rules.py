"""The working-day calendar on the hard cases: Spring Festival, National Day, make-up days, year ends."""

import json
import warnings
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workalendar.asia.china import China

from linkdesk.workdays.calendar import (
    FIRST_DAY,
    CalendarRangeError,
    ScheduleError,
    WorkingDayCalendar,
    YearSchedule,
    default_calendar,
    load_shipped_schedules,
    parse_schedule_file,
    qingming,
    statutory_periods,
)

D = date.fromisoformat


@pytest.fixture(scope="module")
def calendar():
    return default_calendar()


def walk_earliest(calendar, submitted: date, lead: int = 10) -> date:
    """E(D) counted the slow, obvious way, day by day, to check the index against."""
    day = submitted
    if not calendar.is_working_day(day):
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
    counted = 0
    while counted < lead:
        day += timedelta(days=1)
        counted += calendar.is_working_day(day)
    return day


class TestEarliestCutover:
    @pytest.mark.parametrize(
        ("submitted", "earliest"),
        [
            ("2026-11-27", "2026-12-11"),  # a Friday: ten working days later
            ("2026-11-28", "2026-12-14"),  # a Saturday: counted from the Monday after
            ("2026-12-02", "2026-12-16"),
            # Spring Festival 2026: off 15–23 Feb, make-up Saturdays 14 and 28 Feb.
            ("2026-02-13", "2026-03-05"),
            ("2026-02-14", "2026-03-06"),  # the make-up Saturday is itself a working day
            ("2026-02-15", "2026-03-09"),  # first day of the holiday: start from 24 Feb
            ("2026-02-23", "2026-03-09"),
            # National Day 2026: off 1–7 Oct, make-up 20 Sep (Sun) and 10 Oct (Sat).
            ("2026-09-30", "2026-10-20"),
            ("2026-10-01", "2026-10-21"),
            ("2026-10-10", "2026-10-23"),
            # National Day + Mid-Autumn 2025: off 1–8 Oct, make-up 28 Sep and 11 Oct.
            ("2025-09-26", "2025-10-16"),
            # New Year 2026: off 1–3 Jan, make-up Sunday 4 Jan.
            ("2025-12-31", "2026-01-15"),
            # 2024 Spring Festival: off 10–17 Feb, make-up 4 Feb (Sun) and 18 Feb (Sun).
            ("2024-02-02", "2024-02-21"),
        ],
    )
    def test_official_years(self, calendar, submitted, earliest):
        answer = calendar.earliest_cutover(D(submitted))
        assert answer.earliest_cutover == D(earliest)
        assert answer.earliest_cutover == walk_earliest(calendar, D(submitted))
        assert answer.provisional is False

    def test_year_end_into_a_year_without_a_notice_is_provisional(self, calendar):
        answer = calendar.earliest_cutover(D("2026-12-28"))
        # 29–31 Dec, then 1 Jan 2027 is the statutory New Year's Day: 4–8, 11, 12 Jan.
        assert answer.earliest_cutover == D("2027-01-12")
        assert answer.provisional is True

    def test_entirely_official_span_is_not_provisional_even_in_december(self, calendar):
        assert calendar.earliest_cutover(D("2026-12-14")).provisional is False
        assert calendar.earliest_cutover(D("2026-12-18")).provisional is True  # E = 2027-01-04

    def test_lead_comes_from_the_caller(self):
        short = WorkingDayCalendar(load_shipped_schedules(), lead_days=3)
        assert short.earliest_cutover(D("2026-11-27")).earliest_cutover == D("2026-12-02")

    def test_workalendar_years_agree_with_workalendar(self, calendar):
        china = China()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "need update every year"
            warnings.simplefilter("ignore", DeprecationWarning)  # its use of lunardate
            for submitted in (D("2023-01-19"), D("2022-09-29"), D("2019-12-31"), D("2021-02-08")):
                start = submitted if china.is_working_day(submitted) else china.add_working_days(submitted, 1)
                assert calendar.earliest_cutover(submitted).earliest_cutover == china.add_working_days(start, 10)


class TestDays:
    @pytest.mark.parametrize(
        ("day", "kind", "name"),
        [
            ("2026-02-14", "makeup_workday", None),
            ("2026-02-16", "holiday", "春节"),
            ("2026-02-28", "makeup_workday", None),
            ("2026-10-10", "makeup_workday", None),
            ("2026-10-07", "holiday", "国庆节"),
            ("2026-01-04", "makeup_workday", None),
            ("2026-01-03", "holiday", "元旦"),
            ("2026-11-28", "weekend", None),
            ("2026-11-27", "workday", None),
            ("2025-10-08", "holiday", "国庆节、中秋节"),
            ("2023-01-28", "makeup_workday", None),
            ("2023-01-24", "holiday", "春节"),
        ],
    )
    def test_kind_and_name(self, calendar, day, kind, name):
        assert calendar.day_kind(D(day)) == kind
        assert calendar.holiday_name(D(day)) == name
        assert calendar.is_working_day(D(day)) is (kind in ("workday", "makeup_workday"))

    def test_outside_the_range_is_a_clear_error(self, calendar):
        with pytest.raises(CalendarRangeError, match="超出工作日历的范围"):
            calendar.is_working_day(D("2017-12-31"))
        with pytest.raises(CalendarRangeError):
            calendar.earliest_cutover(D("2099-12-30"))

    def test_official_and_provisional_years(self, calendar):
        assert [calendar.is_official(year) for year in (2018, 2023, 2024, 2026, 2027)] == [True] * 4 + [False]
        assert "2026" in calendar.source(2026) and calendar.source(2027) is None
        assert calendar.is_provisional(D("2027-03-01"))


class TestProvisionalYears:
    @pytest.mark.parametrize(
        ("year", "spring_festival", "dragon_boat", "mid_autumn", "qingming_day"),
        [
            # Lunar new year's eve, Dragon Boat (5/5) and Mid-Autumn (8/15) checked against the
            # official notices of the same years.
            (2024, "2024-02-09", "2024-06-10", "2024-09-17", "2024-04-04"),
            (2025, "2025-01-28", "2025-05-31", "2025-10-06", "2025-04-04"),
            (2026, "2026-02-16", "2026-06-19", "2026-09-25", "2026-04-05"),
            (2027, "2027-02-05", "2027-06-09", "2027-09-15", "2027-04-05"),
        ],
    )
    def test_statutory_rules(self, year, spring_festival, dragon_boat, mid_autumn, qingming_day):
        periods = {name: (first, last) for name, first, last in statutory_periods(year)}
        assert periods["春节"] == (D(spring_festival), D(spring_festival) + timedelta(days=3))
        assert periods["端午节"][0] == D(dragon_boat)
        assert periods["中秋节"][0] == D(mid_autumn)
        assert periods["清明节"][0] == qingming(year) == D(qingming_day)
        assert periods["国庆节"] == (D(f"{year}-10-01"), D(f"{year}-10-03"))

    def test_statutory_holidays_agree_with_the_official_years(self, calendar):
        # Every statutory day off is a day off in the official schedule (which adds more).
        # 除夕 has been a statutory day off only since 2025 (国务院令第798号).
        for year in (2025, 2026):
            for _, first, last in statutory_periods(year):
                day = first
                while day <= last:
                    assert not calendar.is_working_day(day), day
                    day += timedelta(days=1)

    def test_provisional_2027_spring_festival(self, calendar):
        # 除夕 Fri 5 Feb to 初三 Mon 8 Feb; 初一 and 初二 fall on the weekend, so the law gives
        # Tuesday 9 and Wednesday 10 off instead (补假); no make-up Saturday is guessed.
        for day in ("2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10"):
            assert calendar.day_kind(D(day)) == "holiday", day
        assert calendar.is_working_day(D("2027-02-11"))
        assert not calendar.is_working_day(D("2027-02-20"))  # a plain Saturday until a notice says otherwise
        answer = calendar.earliest_cutover(D("2027-02-04"))
        assert answer.provisional and answer.earliest_cutover == walk_earliest(calendar, D("2027-02-04"))
        assert answer.earliest_cutover == D("2027-02-24")  # 11, 12, 15–19, 22, 23, 24 February

    @pytest.mark.parametrize(
        ("owed", "off"),
        [
            ("2027-05-01 2027-05-02", "2027-05-03 2027-05-04"),  # 劳动节 on a weekend: Monday and Tuesday
            ("2027-10-02 2027-10-03", "2027-10-04 2027-10-05"),  # 国庆节 Fri–Sun: Monday and Tuesday
            ("2028-01-01", "2028-01-03"),  # 元旦 on a Saturday: the Monday
        ],
    )
    def test_provisional_years_give_a_weekday_off_for_a_holiday_on_a_weekend(self, calendar, owed, off):
        for day in owed.split():
            assert D(day).weekday() >= 5 and calendar.day_kind(D(day)) == "holiday", day
        for day in off.split():
            assert D(day).weekday() < 5 and calendar.day_kind(D(day)) == "holiday", day

    def test_an_imported_year_makes_it_official(self):
        schedule = YearSchedule(
            2027,
            frozenset(D("2027-01-01") + timedelta(days=n) for n in range(3)),
            frozenset({D("2027-01-09")}),
            "测试通知",
        )
        imported = WorkingDayCalendar([*load_shipped_schedules(), schedule])
        assert imported.is_official(2027) and imported.is_working_day(D("2027-01-09"))
        assert not imported.is_working_day(D("2027-01-01"))


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=FIRST_DAY, max_value=date(2099, 10, 1)))
def test_index_agrees_with_a_day_by_day_walk(submitted):
    calendar = _shared_calendar()
    answer = calendar.earliest_cutover(submitted)
    assert answer.earliest_cutover == walk_earliest(calendar, submitted)
    # Ten working days after D, plus the next working day itself when D is not one.
    expected = 10 if calendar.is_working_day(submitted) else 11
    assert calendar.working_days_between(submitted, answer.earliest_cutover) == expected
    assert calendar.is_working_day(answer.earliest_cutover)


_CACHE = {}


def _shared_calendar():
    if "calendar" not in _CACHE:
        _CACHE["calendar"] = default_calendar()
    return _CACHE["calendar"]


class TestScheduleFiles:
    def test_shipped_files_name_their_notice(self):
        for schedule in load_shipped_schedules():
            if schedule.year >= 2024:
                assert "国务院办公厅关于" in schedule.source and str(schedule.year) in schedule.source

    def test_json_and_csv_read_the_same(self):
        as_json = json.dumps(
            {
                "year": 2027,
                "source": "测试",
                "holidays": ["2027-01-01"],
                "makeup_workdays": ["2027-01-09"],
            }
        )
        as_csv = "# source: 测试\ndate,kind,name\n2027-01-01,holiday,元旦\n2027-01-09,makeup_workday,\n"
        one, other = parse_schedule_file(as_json), parse_schedule_file(as_csv)
        assert (one.year, one.holidays, one.makeup_workdays) == (other.year, other.holidays, other.makeup_workdays)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "空"),
            ("{", "JSON 格式错误"),
            ('{"year": 2027, "holidays": ["2027-01-01"]}', "来源"),
            ('{"year": 2027, "source": "x", "holidays": ["2027-02-30"]}', "2027-02-30"),
            ('{"year": 2027, "source": "x", "holidays": []}', "没有任何放假日期"),
            ('{"year": 2027, "source": "x", "holidays": ["2027-01-01"], "makeup_workdays": ["2027-01-05"]}', "不需要调休上班"),
            ('{"year": 2027, "source": "x", "holidays": ["2027-01-09"], "makeup_workdays": ["2027-01-09"]}', "既放假又调休上班"),
            ('{"year": 2027, "source": "x", "holidays": ["2025-05-01"]}', "不属于 2027 年"),
            ("date,kind\n2027-01-01,vacation\n", "kind 应为"),
        ],
    )
    def test_bad_files_say_what_is_wrong(self, text, message):
        with pytest.raises(ScheduleError, match=message):
            parse_schedule_file(text)


# The State Council schedules typed out here from the notices (tests/data/notices/), apart from
# the shipped data files, so that a slip in either shows. (first, last) days off; make-up days.
OFFICIAL = {
    2024: (
        [
            ("2023-12-30", "2024-01-01"),
            ("2024-02-10", "2024-02-17"),
            ("2024-04-04", "2024-04-06"),
            ("2024-05-01", "2024-05-05"),
            ("2024-06-08", "2024-06-10"),
            ("2024-09-15", "2024-09-17"),
            ("2024-10-01", "2024-10-07"),
        ],
        ["2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14", "2024-09-29", "2024-10-12"],
    ),
    2025: (
        [
            ("2025-01-01", "2025-01-01"),
            ("2025-01-28", "2025-02-04"),
            ("2025-04-04", "2025-04-06"),
            ("2025-05-01", "2025-05-05"),
            ("2025-05-31", "2025-06-02"),
            ("2025-10-01", "2025-10-08"),
        ],
        ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
    ),
    2026: (
        [
            ("2026-01-01", "2026-01-03"),
            ("2026-02-15", "2026-02-23"),
            ("2026-04-04", "2026-04-06"),
            ("2026-05-01", "2026-05-05"),
            ("2026-06-19", "2026-06-21"),
            ("2026-09-25", "2026-09-27"),
            ("2026-10-01", "2026-10-07"),
        ],
        ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
    ),
}


def official_working_day(day: date) -> bool:
    periods, makeup = OFFICIAL[day.year]
    if day.isoformat() in makeup:
        return True
    if any(D(first) <= day <= D(last) for first, last in periods):
        return False
    return day.weekday() < 5


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_every_day_of_the_official_years_agrees_with_the_notices(calendar, year):
    day, wrong = date(year, 1, 1), []
    while day.year == year:
        if calendar.is_working_day(day) is not official_working_day(day):
            wrong.append(day.isoformat())
        day += timedelta(days=1)
    assert wrong == []


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_every_earliest_date_of_the_official_years_counts_ten_notice_working_days(calendar, year):
    day = date(year, 1, 1)
    while day.year == year and day <= date(2026, 12, 14):  # later D reach into 2027 (provisional)
        start = day
        while not official_working_day(start):
            start += timedelta(days=1)
        expected, counted = start, 0
        while counted < 10:
            expected += timedelta(days=1)
            counted += official_working_day(expected) if expected.year in OFFICIAL else calendar.is_working_day(expected)
        answer = calendar.earliest_cutover(day)
        assert (answer.earliest_cutover, answer.provisional) == (expected, False), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("case", "submitted", "earliest"),
    [
        ("the Friday before the 2026 Spring Festival", "2026-02-13", "2026-03-05"),
        ("on the make-up Saturday before the 2026 Spring Festival", "2026-02-14", "2026-03-06"),
        ("E(D) lands on the make-up Saturday after the Spring Festival", "2026-02-09", "2026-02-28"),
        ("on a make-up Sunday, across Mid-Autumn and National Day, E(D) on a make-up Saturday", "2026-09-20", "2026-10-10"),
        ("across the 2026 New Year, E(D) on a make-up Sunday", "2025-12-18", "2026-01-04"),
        ("on the last day of the 2026 National Day holiday", "2026-10-07", "2026-10-21"),
        ("across the 2025 National Day and Mid-Autumn (eight days)", "2025-09-26", "2025-10-16"),
    ],
)
def test_named_hard_cases(calendar, case, submitted, earliest):
    answer = calendar.earliest_cutover(D(submitted))
    assert answer.earliest_cutover == D(earliest), case
    assert not answer.provisional


@settings(max_examples=500, deadline=None)
@given(st.dates(min_value=FIRST_DAY, max_value=date(2099, 10, 1)))
def test_ten_working_days_lie_between_w_and_e(submitted):
    calendar = _shared_calendar()
    earliest = calendar.earliest_cutover(submitted).earliest_cutover
    w = calendar.next_working_day(submitted)
    assert calendar.working_days_between(w, earliest) == 10
    assert calendar.is_working_day(earliest)
    assert calendar.sub_working_days(earliest, 10) >= submitted
    before_e = calendar.sub_working_days(earliest, 1)
    if before_e - timedelta(days=400) > FIRST_DAY:
        assert calendar.sub_working_days(before_e, 10) < submitted
