"""API: the earliest allowed cutover date, and the days as the filing form's picker shows them."""

from datetime import timedelta

from flask import current_app, jsonify

from ..accounts.access import api_roles
from ..cutovers.schedule import RangeError, day_loads, parse_range
from ..models.types import utcnow
from ..shapes.calendar import PickerDay, PickerDays, earliest_json
from ..tickets.workflow import WorkflowError
from ..workdays.calendar import FIRST_DAY, LAST_DAY, CalendarRangeError, local_date
from ..workdays.schedules import current_calendar
from .blueprint import bp
from .bodies import EarliestQuery, Period, read_query


@bp.get("/workdays/earliest")
@api_roles()
def earliest():
    submitted = read_query(EarliestQuery).submitted
    try:
        answer = current_calendar().earliest_cutover(submitted)
    except CalendarRangeError as error:
        raise WorkflowError({"submitted": [str(error)]}) from None
    return jsonify(earliest_json(answer))


@bp.get("/workdays/days")
@api_roles()
def days():
    """Each day of [from, to] as the filing form's date picker shows it: the official calendar
    (working, holiday, make-up working day, provisional) and the day's national load (a count,
    full, blackout — never whose cutovers), with E(today) for a filing made now."""
    calendar = current_calendar()
    today = local_date(utcnow())
    asked = read_query(Period)
    try:
        first, last = parse_range(asked.from_, asked.to, default_days=62, today=today)
        if first < FIRST_DAY or last > LAST_DAY:
            raise RangeError(f"日期应在 {FIRST_DAY} 至 {LAST_DAY} 之间。")
        earliest = calendar.earliest_cutover(today)
    except (RangeError, CalendarRangeError) as error:
        raise WorkflowError({"from": [str(error)]}) from None
    loads = day_loads(first, last)
    answer = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        load = loads.get(day)
        answer.append(
            PickerDay(
                date=day,
                kind=calendar.day_kind(day),
                holiday=calendar.holiday_name(day),
                working=calendar.is_working_day(day),
                provisional=calendar.is_provisional(day),
                count=load.count if load else 0,
                full=bool(load and load.full),
                blackout=load.blackout if load else None,
            )
        )
    latest = today + timedelta(days=current_app.config["LINKDESK_MAX_CUTOVER_DAYS_AHEAD"])
    return jsonify(
        PickerDays(
            today=today, earliest_cutover=earliest.earliest_cutover, provisional=earliest.provisional, latest_cutover=latest, days=answer
        ).as_json()
    )
