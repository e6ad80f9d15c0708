"""API: tickets — file, list, read, edit, resubmit, withdraw, decide, cancel."""

from flask import current_app, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy.orm import contains_eager, selectinload

from ..accounts.access import api_roles, awaiting_review, countable_tickets, scoped_tickets, visible_ticket_or_404
from ..extensions import db
from ..models import Center, Role, Ticket
from ..models.types import utcnow
from ..shapes.errors import OpenTicket, refusal_json
from ..shapes.tickets import DecisionResult, decision_result_json, ticket_json, ticket_of
from ..tickets.attachments import read_uploads
from ..tickets.deadlines import review_clock
from ..tickets.filing import ChangeRequest
from ..tickets.listing import TicketFilters, count_matching, ordered, page_and_count
from ..tickets.operations import (
    DecisionItem,
    OpenTicketExists,
    WorkflowError,
    cancel_ticket,
    decide,
    decide_many,
    edit_ticket,
    file_ticket,
    resubmit_ticket,
    withdraw_ticket,
)
from ..tickets.workflow import REVIEWER_STAGE
from ..workdays.calendar import local_date
from ..workdays.schedules import current_calendar
from .blueprint import bp
from .bodies import (
    BulkDecisions,
    Decision,
    Invalid,
    NewTicket,
    TicketChanges,
    TicketQuery,
    VersionedComment,
    read_json,
    read_query,
    refusals,
    validated,
)
from .bodies import DecisionItem as DecisionBody


@bp.errorhandler(WorkflowError)
def workflow_refused(error: WorkflowError):
    existing = error.existing if isinstance(error, OpenTicketExists) else None
    open_ticket = existing and OpenTicket(id=existing.id, number=existing.number, url=url_for("api.get_ticket", ticket_id=existing.id))
    return jsonify(refusal_json(error.errors, error.message, error.status, open_ticket)), error.status


@bp.post("/tickets")
@api_roles(Role.CENTER_STAFF)
def create_ticket():
    # JSON, or multipart/form-data with the same fields and the documents as `file` parts
    # (an emergency change needs its letter at filing).
    if request.mimetype == "multipart/form-data":
        data, uploads = request.form, read_uploads(request.files.getlist("file"))
    else:
        data, uploads = read_json(NewTicket).model_dump(), []
    center = data.get("center")
    if center not in (None, "", current_user.center.code, current_user.center.short_name):
        raise WorkflowError({"center": ["只能为本中心提交工单。"]})
    ticket = file_ticket(current_user, ChangeRequest.from_mapping(data), uploads)
    response = jsonify(ticket_json(ticket))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_ticket", ticket_id=ticket.id)
    return response


@bp.get("/tickets")
@api_roles()
def list_tickets():
    """Tickets in scope: search, filters and sort as on the pages; ``limit``/``offset`` (or
    ``page``), the next and previous pages in ``Link``, the total in ``X-Total-Count``: exact up to
    ``COUNT_LIMIT`` matches (or the page's end, if further), else that number with
    ``X-Total-Count-Exact: false``. The same statements whatever the number of matches."""
    asked = read_query(TicketQuery)
    filters, errors = TicketFilters.parse(request.args)
    if errors:
        raise WorkflowError(errors)
    if asked.awaiting_me and current_user.role in REVIEWER_STAGE:
        query, default_sort = awaiting_review(current_user), "cutover"
        counted = query
    else:
        query, default_sort = scoped_tickets(current_user), "-filed"
        counted = countable_tickets(current_user)
    clock = review_clock(current_calendar(), local_date(utcnow()), current_app.config)
    query, counted = page_and_count(query, counted, filters, current_user, clock)
    limit, offset = asked.limit, asked.offset
    if "offset" not in asked.model_fields_set and "page" in asked.model_fields_set:
        offset = (asked.page - 1) * limit
    total = count_matching(counted, past=offset + limit)
    page = ordered(query, filters, default_sort).options(
        contains_eager(Ticket.center).selectinload(Center.province), selectinload(Ticket.service), selectinload(Ticket.warning_rows)
    )
    tickets = db.session.scalars(page.limit(limit).offset(offset)).all()
    response = jsonify([ticket_json(ticket, history=False) for ticket in tickets])
    response.headers["X-Total-Count"] = str(total.count)
    response.headers["X-Total-Count-Exact"] = "true" if total.exact else "false"
    links = []
    if offset + limit < total.count:
        links.append(f'<{_page_url(filters, limit, offset + limit)}>; rel="next"')
    if offset > 0:
        links.append(f'<{_page_url(filters, limit, max(offset - limit, 0))}>; rel="prev"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


def _page_url(filters: TicketFilters, limit: int, offset: int) -> str:
    extra = {"awaiting_me": "1"} if request.args.get("awaiting_me") else {}
    return url_for("api.list_tickets", **filters.args(page=1), **extra, limit=limit, offset=offset)


def _decision_item(raw) -> tuple[DecisionItem | None, DecisionResult | None]:
    """One item of a bulk decision, or the 422 result that keeps it from being tried."""
    if not isinstance(raw, dict):
        return None, DecisionResult(id=None, status=422, errors={"item": ["每一项应为 JSON 对象。"]})
    try:
        item = DecisionBody.model_validate(raw)
    except Invalid as error:
        identifier = raw.get("id") if type(raw.get("id")) is int else None
        return None, DecisionResult(id=identifier, status=422, errors=refusals(error))
    return DecisionItem(item.id, item.version, item.decision or "", item.comment), None


@bp.post("/decisions")
@api_roles(Role.PROVINCE_REVIEWER, Role.MINISTRY_REVIEWER)
def decisions():
    """Bulk decisions: each item on its own version and in its own transaction; one failing
    item never undoes the others. ``{"results": [{"id", "status", "ticket" | "errors"}]}``."""
    data = request.get_json(silent=True)
    items = validated(BulkDecisions, data if isinstance(data, dict) else {}).items
    results: list[DecisionResult | None] = []
    valid: list[tuple[int, DecisionItem]] = []
    for position, raw in enumerate(items):
        item, refused = _decision_item(raw)
        results.append(refused)
        if item is not None:
            valid.append((position, item))
    for (position, _), outcome in zip(valid, decide_many(current_user, [item for _, item in valid]), strict=True):
        result = DecisionResult(id=outcome.ticket_id, status=outcome.status)
        if outcome.status == 200:
            result.ticket = ticket_of(outcome.ticket, history=False)
        else:
            result.errors = outcome.errors
            if outcome.ticket is not None and outcome.status == 409:
                result.version = outcome.ticket.version  # what the ticket is now, to decide again on
        results[position] = result
    return jsonify({"results": [decision_result_json(result) for result in results]})


@bp.get("/tickets/<int:ticket_id>")
@api_roles()
def get_ticket(ticket_id: int):
    return jsonify(ticket_json(visible_ticket_or_404(current_user, ticket_id)))


@bp.patch("/tickets/<int:ticket_id>")
@api_roles(Role.CENTER_STAFF)
def patch_ticket(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    changes = read_json(TicketChanges)
    return jsonify(ticket_json(edit_ticket(current_user, ticket, changes.model_dump(exclude_unset=True), changes.version)))


@bp.post("/tickets/<int:ticket_id>/resubmit")
@api_roles(Role.CENTER_STAFF)
def resubmit(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    changes = read_json(TicketChanges)
    return jsonify(ticket_json(resubmit_ticket(current_user, ticket, changes.model_dump(exclude_unset=True), changes.version)))


@bp.post("/tickets/<int:ticket_id>/withdraw")
@api_roles(Role.CENTER_STAFF)
def withdraw(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    body = read_json(VersionedComment)
    return jsonify(ticket_json(withdraw_ticket(current_user, ticket, body.version, body.comment)))


@bp.post("/tickets/<int:ticket_id>/decision")
@api_roles(Role.PROVINCE_REVIEWER, Role.MINISTRY_REVIEWER)
def decision(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    body = read_json(Decision)
    decided = decide(
        current_user,
        ticket,
        body.decision,
        body.comment,
        body.version,
        override=body.override is True,
        require_document=body.require_document is True,
    )
    return jsonify(ticket_json(decided))


@bp.post("/tickets/<int:ticket_id>/cancel")
@api_roles(Role.CENTER_STAFF, Role.MINISTRY_REVIEWER)
def cancel(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    body = read_json(VersionedComment)
    return jsonify(ticket_json(cancel_ticket(current_user, ticket, body.version, body.comment)))
