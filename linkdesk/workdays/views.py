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
from ..tickets.flags import import_schedule  # flags the open tickets the new year breaks
from ..web.query_args import int_arg
from .calendar import ScheduleError, local_date, parse_schedule_file
from .notice import NoticeParseError
from .operations import KIND_LABELS, ImportPlan, prepare_import, schedule_from_notice
from .schedules import current_calendar

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
        [
            [day if day.month == number else None for day in week]
            for week in month_grid.Calendar(firstweekday=0).monthdatescalendar(shown, number)
        ]
        for number in range(1, 13)
    ]
    return render_template(
        "workdays/year.html",
        year=shown,
        months=months,
        calendar=calendar,
        today=today,
        official=calendar.is_official(shown),
        source=calendar.source(shown),
    )


def _parse(kind: str, text: str) -> ImportPlan:
    """What an upload or a pasted page of notices would store, and from which notices."""
    return ImportPlan(parse_schedule_file(text)) if kind == "file" else schedule_from_notice(text)


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
            preview = prepare_import(_parse(kind, text))
        except (NoticeParseError, ScheduleError, UnicodeDecodeError) as refusal:
            error = str(refusal) if not isinstance(refusal, UnicodeDecodeError) else "文件不是 UTF-8 编码的文本。"
        else:
            if preview.nothing_to_do:
                error = "这份调整通知的安排已在现行安排之中，没有任何日期变化，无需导入。"
            elif request.form.get("confirm"):
                schedule = preview.schedule
                result = import_schedule(schedule, current_user)
                flash(
                    f"已导入 {schedule.year} 年节假日安排（{schedule.source}）；"
                    f"{len(result.flagged)} 张未完成工单的切换日期受影响并已标记。",
                    "success",
                )
                return redirect(url_for("workdays.year", year=schedule.year))
            else:
                form.previewed.data = json.dumps([kind, text], ensure_ascii=False)
    status = 422 if error else 200
    schedule = preview.schedule if preview and not error else None
    days = sorted([(d, "holiday") for d in schedule.holidays] + [(d, "makeup") for d in schedule.makeup_workdays]) if schedule else []
    return render_template(
        "workdays/import.html",
        form=form,
        preview=schedule,
        changes=preview if schedule else None,
        kind_labels=KIND_LABELS,
        days=days,
        error=error,
    ), status
