"""API: the earliest allowed cutover date, and the days as the filing form's picker shows them."""
from datetime import timedelta

from flask import current_app, jsonify, request

from ..accounts.access import api_roles
from ..cutovers.schedule import RangeError, day_loads, parse_range
from ..models.types import utcnow
from ..tickets.workflow import WorkflowError
from ..workdays.calendar import FIRST_DAY, LAST_DAY, CalendarRangeError, local_date, parse_date
from ..workdays.schedules import current_calendar
from . import bp


@bp.get("/workdays/earliest")
@api_roles()
def earliest():
    submitted = parse_date(request.args.get("submitted", ""))
    if submitted is None:
        raise WorkflowError({"submitted": ["submitted 必须是 YYYY-MM-DD 格式的有效日期。"]})
    try:
        answer = current_calendar().earliest_cutover(submitted)
    except CalendarRangeError as error:
        raise WorkflowError({"submitted": [str(error)]}) from None
    return jsonify({
        "submitted": submitted.isoformat(),
        "earliest_cutover": answer.earliest_cutover.isoformat(),
        "provisional": answer.provisional,
    })


@bp.get("/workdays/days")
@api_roles()
def days():
    """Each day of [from, to] as the filing form's date picker shows it: the official calendar
    (working, holiday, make-up working day, provisional) and the day's national load (a count,
    full, blackout — never whose cutovers), with E(today) for a filing made now."""
    calendar = current_calendar()
    today = local_date(utcnow())
    try:
        first, last = parse_range(request.args.get("from"), request.args.get("to"), default_days=62, today=today)
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
        answer.append({
            "date": day.isoformat(), "kind": calendar.day_kind(day), "holiday": calendar.holiday_name(day),
            "working": calendar.is_working_day(day), "provisional": calendar.is_provisional(day),
            "count": load.count if load else 0, "full": bool(load and load.full),
            "blackout": load.blackout if load else None,
        })
    latest = today + timedelta(days=current_app.config["LINKDESK_MAX_CUTOVER_DAYS_AHEAD"])
    return jsonify({"today": today.isoformat(), "earliest_cutover": earliest.earliest_cutover.isoformat(),
                    "provisional": earliest.provisional, "latest_cutover": latest.isoformat(), "days": answer})
