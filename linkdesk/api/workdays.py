"""API: the earliest allowed cutover date."""
from flask import jsonify, request

from ..accounts.access import api_roles
from ..tickets.workflow import WorkflowError
from ..workdays.calendar import CalendarRangeError, parse_date
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
