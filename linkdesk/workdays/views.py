"""Year view of official working days, and the admin's import of a new year's schedule."""
import calendar as month_grid
import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import FileField, HiddenField, TextAreaField

from ..accounts.access import login_required, roles_required
from ..models import Role
from ..models.types import utcnow
from ..query_args import int_arg
from .calendar import ScheduleError, local_date, parse_schedule_file
from .notice import NoticeParseError, parse_notice
from .schedules import current_calendar, import_schedule

bp = Blueprint("workdays", __name__, url_prefix="/workdays")


class ImportForm(FlaskForm):
    notice = TextAreaField("国务院办公厅节假日安排通知全文", render_kw={"rows": 12})
    schedule_file = FileField("或上传日程文件（JSON / CSV）")
    # What the preview was made from, carried to the confirmation: the admin confirms exactly
    # what they checked (an upload is not sent twice; an edit after the preview needs a new one).
    previewed = HiddenField()


@bp.get("/")
@login_required
def year():
    today = local_date(utcnow())
    shown = int_arg(request.args, "year", today.year, low=2018, high=2099)
    calendar = current_calendar()
    months = [
        [[day if day.month == number else None for day in week]
         for week in month_grid.Calendar(firstweekday=0).monthdatescalendar(shown, number)]
        for number in range(1, 13)
    ]
    return render_template(
        "workdays/year.html", year=shown, months=months, calendar=calendar, today=today,
        official=calendar.is_official(shown), source=calendar.source(shown),
    )


def _parse(kind: str, text: str):
    return parse_schedule_file(text) if kind == "file" else parse_notice(text)


def _submitted(form: ImportForm) -> tuple[str, str]:
    """(kind, text) to parse: on confirmation what was previewed, else the upload or the text."""
    if request.form.get("confirm"):
        try:
            kind, text = json.loads(form.previewed.data or "")
        except (ValueError, TypeError):
            raise NoticeParseError("请先点击“解析预览”，核对后再确认导入。") from None
        return str(kind), str(text)
    upload = request.files.get("schedule_file")
    if upload and upload.filename:
        return "file", upload.read().decode("utf-8-sig")
    return "notice", form.notice.data or ""


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_():
    form = ImportForm()
    preview = error = None
    if form.validate_on_submit():
        try:
            kind, text = _submitted(form)
            preview = _parse(kind, text)
        except (NoticeParseError, ScheduleError, UnicodeDecodeError) as refusal:
            error = str(refusal) if not isinstance(refusal, UnicodeDecodeError) else "文件不是 UTF-8 编码的文本。"
        else:
            if request.form.get("confirm"):
                result = import_schedule(preview, current_user)
                flash(f"已导入 {preview.year} 年节假日安排（{preview.source}）；"
                      f"{len(result.flagged)} 张未完成工单的切换日期受影响并已标记。", "success")
                return redirect(url_for("workdays.year", year=preview.year))
            form.previewed.data = json.dumps([kind, text], ensure_ascii=False)
    status = 422 if error else 200
    days = sorted([(d, "holiday") for d in preview.holidays] + [(d, "makeup") for d in preview.makeup_workdays]) if preview else []
    return render_template("workdays/import.html", form=form, preview=preview, days=days, error=error), status

