"""API: the cutover calendar and the link registry."""

from flask import jsonify, request
from flask_login import current_user

from ..accounts.access import api_roles
from ..cutovers.schedule import CalendarFilters, RangeError, cutovers_page, parse_range
from ..extensions import db
from ..links.registry import filtered, link_filters, scoped_links
from ..models.types import utcnow
from ..shapes.calendar import CutoverPage, cutover_of
from ..shapes.links import LinkList, link_of
from ..tickets.workflow import WorkflowError
from ..workdays.calendar import local_date
from .blueprint import bp
from .bodies import CutoverQuery, LinkQuery, read_query


@bp.get("/cutovers")
@api_roles()
def cutovers():
    """Scheduled (approved) and completed cutovers in [from, to], in the caller's scope, by
    (date, ticket id), ``limit`` at a time; ``next_cursor`` asks for the following page."""
    try:
        first, last = parse_range(request.args.get("from"), request.args.get("to"), today=local_date(utcnow()))
    except RangeError as error:
        raise WorkflowError({"range": [str(error)]}) from None
    query = read_query(CutoverQuery)
    filters = CalendarFilters.from_args(request.args)
    page, following = cutovers_page(current_user, first, last, filters, limit=query.limit, after=query.cursor)
    return jsonify(CutoverPage(from_=first, to=last, next_cursor=following, cutovers=[cutover_of(c) for c in page]).as_json())


@bp.get("/links")
@api_roles()
def links():
    """The live addresses in the caller's scope, in the operators' export form, with their health."""
    query = filtered(scoped_links(current_user), **link_filters(read_query(LinkQuery).model_dump()))
    return jsonify(LinkList(links=[link_of(link) for link in db.session.scalars(query).unique()]).as_json())
