"""API: the national picture (总览), scoped like everything else."""

from flask import jsonify
from flask_login import current_user

from ..accounts.access import api_roles
from ..models.types import utcnow
from ..overview.picture import RangeError, national_picture, parse_period
from ..overview.provinces import OVERVIEW_ROLES
from ..shapes.overview import overview_json
from ..tickets.workflow import WorkflowError
from ..workdays.calendar import local_date
from ..workdays.schedules import current_calendar
from .blueprint import bp
from .bodies import Period, read_query


@bp.get("/overview")
@api_roles(*OVERVIEW_ROLES)
def overview():
    """Per province in the caller's scope (annex-1 columns and counts), with trends over [from, to]."""
    today = local_date(utcnow())
    asked = read_query(Period)
    try:
        period = parse_period(asked.from_, asked.to, today)
    except RangeError as error:
        raise WorkflowError({"range": [str(error)]}) from None
    return jsonify(overview_json(national_picture(current_user, today, period, current_calendar())))
