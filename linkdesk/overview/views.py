"""总览 pages: parse the period, ask picture.py, render the tables (and the charts drawn from the
same JSON), or send the Excel file."""

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from ..accounts.access import roles_required
from ..models.types import utcnow
from ..web.ui import as_query, current_query
from ..workdays.calendar import local_date
from ..workdays.schedules import current_calendar
from .export import annex_rows, workbook_bytes
from .picture import RangeError, national_picture, parse_period, rows_of
from .provinces import OVERVIEW_ROLES

bp = Blueprint("overview", __name__, url_prefix="/overview")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _picture() -> tuple[dict, str | None]:
    """The picture for the asked period; a bad period falls back to the default, with the reason."""
    today = local_date(utcnow())
    try:
        period, problem = parse_period(request.args.get("from"), request.args.get("to"), today), None
    except RangeError as error:
        period, problem = parse_period(None, None, today), str(error)
    return national_picture(current_user, today, period, current_calendar()), problem


@bp.get("/")
@roles_required(*OVERVIEW_ROLES)
def index():
    picture, problem = _picture()
    rows, total = rows_of(picture)
    return render_template(
        "overview/index.html",
        picture=picture,
        rows=rows,
        total=total,
        annex=annex_rows(rows),
        problem=problem,
        period_query=as_query(current_query("from", "to")),  # the export is of the period shown
    ), 422 if problem else 200


@bp.get("/export.xlsx")
@roles_required(*OVERVIEW_ROLES)
def export():
    picture, _ = _picture()
    rows, total = rows_of(picture)
    title = f"全国住房公积金小程序接入工作进展情况表（{current_user.scope_label}，{picture['today']}）"
    return Response(
        workbook_bytes(rows, total, title),
        mimetype=XLSX,
        headers={"Content-Disposition": f"attachment; filename=overview-{picture['today']}.xlsx"},
    )
