"""Calendar pages: parse the query, ask schedule.py and feeds.py, render."""

import hashlib
import re
from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..accounts.access import login_required, roles_required, scope_key, scoped_centers
from ..extensions import db
from ..models import BlackoutWindow, Center, Province, Role, Service
from ..models.types import utcnow
from ..spreadsheet import csv_text
from ..web.errors import abort_with, error_response
from ..web.query_args import WholeNumberField
from ..web.ui import as_query, link_maker
from ..workdays.calendar import FIRST_DAY, LAST_DAY, local_date
from ..workdays.schedules import current_calendar
from .feeds import cached_ical, feed_etag, feed_of, issue_feed, revoke_feed, user_for_feed
from .operations import add_blackout, set_max_per_day
from .operations import delete_blackout as remove_blackout
from .schedule import (
    PAGE_SIZE,
    CalendarFilters,
    RangeError,
    calendar_generation,
    cutovers_between,
    cutovers_by_day,
    cutovers_page,
    day_loads,
    month_weeks,
    parse_cursor,
    parse_range,
    policy,
)

bp = Blueprint("cutovers", __name__, url_prefix="/calendar")

SETTINGS_ROLES = (Role.MINISTRY_REVIEWER, Role.ADMIN)


def _filters() -> CalendarFilters:
    return CalendarFilters.from_args(request.args)


def _filter_choices() -> dict:
    """What the filter boxes offer: only provinces and centers the user may see."""
    centers = db.session.scalars(scoped_centers(current_user).order_by(Center.code)).all()
    province_ids = {center.province_id for center in centers}
    provinces = db.session.scalars(select(Province).where(Province.id.in_(province_ids)).order_by(Province.code)).all()
    services = db.session.scalars(select(Service).order_by(Service.position, Service.code)).all()
    return {"provinces": provinces if len(provinces) > 1 else [], "centers": centers if len(centers) > 1 else [], "services": services}


def _month(today: date) -> tuple[int, int]:
    """The month asked for (``?month=YYYY-MM``), this month when none or unreadable; a month the
    calendar cannot answer for is a 404 page that says which months it can."""
    value = request.args.get("month", "")
    if not value:
        return today.year, today.month
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", value) or not 1 <= int(value[5:]) <= 12:
        flash("月份格式应为 YYYY-MM，已显示本月。", "warning")
        return today.year, today.month
    year, month = int(value[:4]), int(value[5:])
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        abort_with(404, f"切换日历只能显示 {FIRST_DAY:%Y-%m} 至 {LAST_DAY:%Y-%m} 的月份。")
    return year, month


def _day_kinds(weeks: list[list[date]], calendar) -> dict[date, tuple[str, str | None]]:
    """(kind, holiday name) of each day drawn; the grid's days past the calendar's range have none."""
    return {
        day: (calendar.day_kind(day), calendar.holiday_name(day)) if FIRST_DAY <= day <= LAST_DAY else ("", None)
        for week in weeks
        for day in week
    }


@bp.get("/")
@login_required
def month():
    today = local_date(utcnow())
    year, number = _month(today)
    weeks = month_weeks(year, number)
    filters = _filters()
    by_day, day_totals = cutovers_by_day(current_user, weeks[0][0], weeks[-1][-1], filters)
    previous = date(year - (number == 1), 12 if number == 1 else number - 1, 1) if (year, number) > (FIRST_DAY.year, 1) else None
    following = date(year + (number == 12), 1 if number == 12 else number + 1, 1)
    calendar = current_calendar()
    return render_template(
        "cutovers/month.html",
        year=year,
        month=number,
        weeks=weeks,
        by_day=by_day,
        day_totals=day_totals,
        today=today,
        calendar=calendar,
        kinds=_day_kinds(weeks, calendar),
        loads=day_loads(weeks[0][0], weeks[-1][-1]),
        following=following if following <= LAST_DAY else None,
        filters=filters,
        choices=_filter_choices(),
        previous=previous,
        settings=policy(),
        # The list and the CSV of the month shown, with the same filters.
        month_range=as_query(filters, **{"from": date(year, number, 1).isoformat(), "to": (following - timedelta(days=1)).isoformat()}),
        # Links to each chip's ticket and each day's list (up to ~250 and 42 a page).
        ticket_link=link_maker("tickets.show", "ticket_id"),
        day_link=link_maker("cutovers.list_", "from", "to", **as_query(filters)),
    )


@bp.get("/list")
@login_required
def list_():
    today = local_date(utcnow())
    filters = _filters()
    try:
        first, last = parse_range(request.args.get("from"), request.args.get("to"), today=today)
    except RangeError as error:
        flash(str(error), "error")
        first, last = parse_range(None, None, today=today)
    try:
        after = parse_cursor(request.args["cursor"]) if request.args.get("cursor") else None
    except RangeError as error:
        flash(str(error), "error")
        after = None
    page, following = cutovers_page(current_user, first, last, filters, after=after)
    return render_template(
        "cutovers/list.html",
        cutovers=page,
        first=first,
        last=last,
        filters=filters,
        following=following,
        paged=after is not None,
        page_size=PAGE_SIZE,
        choices=_filter_choices(),
        calendar=current_calendar(),
        today=today,
    )


@bp.get("/export.csv")
@login_required
def export_csv():
    today = local_date(utcnow())
    try:
        first, last = parse_range(request.args.get("from"), request.args.get("to"), today=today)
    except RangeError as error:
        return error_response(400, str(error))  # the Chinese reason, not a generic page
    etag = export_etag(current_user, request.query_string)
    if etag in request.if_none_match:
        return Response(status=304, headers={"ETag": f'"{etag}"', "Cache-Control": "private, no-cache"})
    text = csv_text(
        ["切换日期", "工单号", "状态", "紧急", "省份", "中心代码", "中心", "业务事项代码", "业务事项", "原地址", "新地址"],
        (
            [
                c.cutover_date.isoformat(),
                c.number,
                c.status.label,
                "是" if c.emergency else "",
                c.province_short_name,
                c.center_code,
                c.center_name,
                c.service_code,
                c.service_name,
                c.old_url,
                c.new_url,
            ]
            for c in cutovers_between(current_user, first, last, _filters())
        ),
    )
    name = f"cutovers-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}", "ETag": f'"{etag}"', "Cache-Control": "private, no-cache"},
    )


def export_etag(user, query: bytes) -> str:
    """The CSV's entity tag: the same user's scope, query, day and calendar generation give the same file."""
    key = b"|".join([scope_key(user).encode(), query, local_date(utcnow()).isoformat().encode(), str(calendar_generation()).encode()])
    return hashlib.sha256(key).hexdigest()[:32]


# --- the iCalendar feed ----------------------------------------------------------------


@bp.get("/feed/<token>.ics")
def feed(token: str):
    """The subscribed feed: no session, the secret address is the key."""
    user = user_for_feed(token)
    if user is None:
        abort(404)
    today = local_date(utcnow())
    etag = feed_etag(user, today, request.url_root)
    headers = {"Cache-Control": "private, max-age=300", "ETag": f'"{etag}"'}
    if etag in request.if_none_match:
        return Response(status=304, headers=headers)
    body = cached_ical(user, today, etag, lambda ticket_id: url_for("tickets.show", ticket_id=ticket_id, _external=True))
    return Response(body, mimetype="text/calendar", headers=headers)


class FeedForm(FlaskForm):
    pass


@bp.route("/subscribe", methods=["GET", "POST"])
@login_required
def subscribe():
    form = FeedForm()
    feed_url = None
    if form.validate_on_submit():
        if request.form.get("action") == "revoke":
            flash("订阅地址已停用，日历程序将不再收到更新。" if revoke_feed(current_user) else "您没有订阅地址。", "success")
            return redirect(url_for("cutovers.subscribe"))
        token = issue_feed(current_user)
        # Shown once, on this page only: it is a password for the calendar.
        feed_url = url_for("cutovers.feed", token=token, _external=True)
    return render_template("cutovers/subscribe.html", form=form, feed=feed_of(current_user), feed_url=feed_url)


# --- the ministry's settings ------------------------------------------------------------


class LimitForm(FlaskForm):
    max_per_day = WholeNumberField(
        "每日切换上限（留空为不限）", validators=[Optional(), NumberRange(min=1, max=1000, message="请输入 1 至 1000 之间的整数。")]
    )


class BlackoutForm(FlaskForm):
    first_day = DateField("开始日期", validators=[DataRequired("请选择开始日期。")])
    last_day = DateField("结束日期", validators=[DataRequired("请选择结束日期。")])
    reason = StringField("原因", validators=[DataRequired("请填写封网原因。"), Length(max=200)])

    def validate_last_day(self, field):
        if self.first_day.data and field.data and field.data < self.first_day.data:
            raise ValidationError("结束日期不能早于开始日期。")


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(*SETTINGS_ROLES)
def settings():
    current = policy()
    limit_form = LimitForm(prefix="limit", max_per_day=current.max_per_day)
    blackout_form = BlackoutForm(prefix="blackout")
    status = 200
    if request.method == "POST":
        if "limit-max_per_day" in request.form and limit_form.validate_on_submit():
            set_max_per_day(current_user, limit_form.max_per_day.data)
            flash("每日切换上限已保存。", "success")
            return redirect(url_for("cutovers.settings"))
        if "blackout-reason" in request.form and blackout_form.validate_on_submit():
            add_blackout(current_user, blackout_form.first_day.data, blackout_form.last_day.data, blackout_form.reason.data)
            flash("封网期已添加。", "success")
            return redirect(url_for("cutovers.settings"))
        status = 422
    windows = db.session.scalars(
        select(BlackoutWindow).where(BlackoutWindow.last_day >= local_date(utcnow())).order_by(BlackoutWindow.first_day)
    ).all()
    return render_template(
        "cutovers/settings.html", limit_form=limit_form, blackout_form=blackout_form, windows=windows, delete_form=FeedForm()
    ), status


@bp.post("/settings/blackouts/<int:window_id>/delete")
@roles_required(*SETTINGS_ROLES)
def delete_blackout(window_id: int):
    if not FeedForm().validate_on_submit():
        abort(400)
    if not remove_blackout(window_id):
        abort(404)
    flash("封网期已删除。", "success")
    return redirect(url_for("cutovers.settings"))
