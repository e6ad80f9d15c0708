"""API: the cutover calendar and the link registry."""
from datetime import date

from flask import jsonify, request
from flask_login import current_user

from ..accounts.access import api_roles
from ..cutovers.schedule import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    CalendarFilters,
    RangeError,
    cutovers_page,
    parse_cursor,
    parse_range,
)
from ..extensions import db
from ..links.registry import export_rows, filtered, link_filters, scoped_links
from ..models.types import utcnow
from ..query_args import ascii_int
from ..tickets.workflow import WorkflowError
from ..workdays.calendar import local_date
from . import bp
from .serializers import center_json


@bp.get("/cutovers")
@api_roles()
def cutovers():
    """Scheduled (approved) and completed cutovers in [from, to], in the caller's scope, by
    (date, ticket id), ``limit`` at a time; ``next_cursor`` asks for the following page."""
    try:
        first, last = parse_range(request.args.get("from"), request.args.get("to"), today=local_date(utcnow()))
    except RangeError as error:
        raise WorkflowError({"range": [str(error)]}) from None
    limit, after = _page_args()
    filters = CalendarFilters.from_args(request.args)
    page, following = cutovers_page(current_user, first, last, filters, limit=limit, after=after)
    return jsonify({
        "from": first.isoformat(),
        "to": last.isoformat(),
        "next_cursor": following,
        "cutovers": [
            {
                "ticket_id": c.ticket_id, "number": c.number, "cutover_date": c.cutover_date.isoformat(),
                "status": c.status.value, "emergency": c.emergency,
                "center": {"code": c.center_code, "name": c.center_full_name, "short_name": c.center_name,
                           "province": c.province_short_name},
                "service": c.service_code, "old_url": c.old_url, "new_url": c.new_url,
            }
            for c in page
        ],
    })


def _page_args() -> tuple[int, tuple[date, int] | None]:
    """``limit`` (1 to MAX_PAGE_SIZE, PAGE_SIZE when absent) and ``cursor`` (``YYYY-MM-DD_ID``)."""
    errors = {}
    limit = ascii_int(request.args.get("limit", str(PAGE_SIZE)), max_digits=4)
    if limit is None or not 1 <= limit <= MAX_PAGE_SIZE:
        errors["limit"] = [f"每页条数应为 1 至 {MAX_PAGE_SIZE} 之间的整数。"]
    after = None
    if cursor := request.args.get("cursor"):
        try:
            after = parse_cursor(cursor)
        except RangeError as error:
            errors["cursor"] = [str(error)]
    if errors:
        raise WorkflowError(errors)
    return limit, after


@bp.get("/links")
@api_roles()
def links():
    """The live addresses in the caller's scope, in the operators' export form, with their health."""
    query = filtered(scoped_links(current_user), **link_filters(request.args))
    links = db.session.scalars(query).unique().all()
    return jsonify({"links": [
        {"center": center_json(link.center), **row, "health": _health(link)}
        for row, link in zip(export_rows(links), links, strict=True)
    ]})


def _health(link) -> dict | None:
    check = link.last_check
    if check is None:
        return None
    return {
        "healthy": check.healthy, "problem": check.problem, "problem_label": check.problem_label,
        "status": check.status, "checked_at": check.checked_at.isoformat(),
        "unhealthy_since": link.unhealthy_since.isoformat() if link.unhealthy_since else None,
    }
