"""API: the cutover calendar and the link registry."""
from flask import jsonify, request
from flask_login import current_user

from ..accounts.access import api_roles
from ..cutovers.schedule import CalendarFilters, RangeError, cutovers_between, parse_range
from ..extensions import db
from ..links.registry import export_rows, filtered, link_filters, scoped_links
from ..models.types import utcnow
from ..tickets.workflow import WorkflowError
from ..workdays.calendar import local_date
from . import bp
from .serializers import center_json


@bp.get("/cutovers")
@api_roles()
def cutovers():
    """Scheduled (approved) and completed cutovers in [from, to], in the caller's scope."""
    try:
        first, last = parse_range(request.args.get("from"), request.args.get("to"), today=local_date(utcnow()))
    except RangeError as error:
        raise WorkflowError({"range": [str(error)]}) from None
    filters = CalendarFilters.from_args(request.args)
    return jsonify({
        "from": first.isoformat(),
        "to": last.isoformat(),
        "cutovers": [
            {
                "ticket_id": c.ticket_id, "number": c.number, "cutover_date": c.cutover_date.isoformat(),
                "status": c.status.value, "emergency": c.emergency,
                "center": {"code": c.center_code, "name": c.center_full_name, "short_name": c.center_name,
                           "province": c.province_short_name},
                "service": c.service_code, "old_url": c.old_url, "new_url": c.new_url,
            }
            for c in cutovers_between(current_user, first, last, filters)
        ],
    })


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
