"""API: tickets — file, list, read, edit, resubmit, withdraw, decide, cancel."""
from flask import current_app, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy.orm import contains_eager, selectinload

from ..accounts.access import api_roles, awaiting_review, countable_tickets, scoped_tickets, visible_ticket_or_404
from ..extensions import db
from ..models import Center, Role, Ticket
from ..models.types import utcnow
from ..query_args import int_arg
from ..tickets.attachments import read_uploads
from ..tickets.deadlines import review_clock
from ..tickets.filing import FIELDS, ChangeRequest
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
from . import bp
from .serializers import ticket_json

# The JSON type of every field a ticket call reads. Another type is refused by name: true, []
# or {"a": 1} where a text belongs were stored as their Python repr.
FIELD_TYPES: dict[str, type] = {
    **{name: str for name in FIELDS if name not in ("emergency", "cutover_date")},  # a date: the filing says its format
    "emergency": bool, "center": str, "decision": str, "override": bool, "require_document": bool, "version": int,
    # comment: the workflow checks it with its own message
}
TYPE_NAMES = {str: "字符串", bool: "布尔值 true/false", int: "整数"}


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise WorkflowError({"body": ["请求体必须是 JSON 对象。"]})
    errors = {
        name: [f"{name} 应为{TYPE_NAMES[kind]}。"]
        for name, kind in FIELD_TYPES.items()
        if data.get(name) is not None and (type(data[name]) is not kind)  # bool is not an int here
    }
    if errors:
        raise WorkflowError(errors)
    return data


def _version(data: dict) -> int | None:
    """The body's version (its type checked by _body); a missing one is refused by the workflow, like a page's."""
    return data.get("version")


@bp.errorhandler(WorkflowError)
def workflow_refused(error: WorkflowError):
    body = {"errors": error.errors, "error": error.message, "status": error.status}
    if isinstance(error, OpenTicketExists) and error.existing is not None:
        body["open_ticket"] = {
            "id": error.existing.id,
            "number": error.existing.number,
            "url": url_for("api.get_ticket", ticket_id=error.existing.id),
        }
    return jsonify(body), error.status


@bp.post("/tickets")
@api_roles(Role.CENTER_STAFF)
def create_ticket():
    # JSON, or multipart/form-data with the same fields and the documents as `file` parts
    # (an emergency change needs its letter at filing).
    if request.mimetype == "multipart/form-data":
        data, uploads = request.form, read_uploads(request.files.getlist("file"))
    else:
        data, uploads = _body(), []
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
    filters, errors = TicketFilters.parse(request.args)
    if errors:
        raise WorkflowError(errors)
    if request.args.get("awaiting_me") and current_user.role in REVIEWER_STAGE:
        query, default_sort = awaiting_review(current_user), "cutover"
        counted = query
    else:
        query, default_sort = scoped_tickets(current_user), "-filed"
        counted = countable_tickets(current_user)
    clock = review_clock(current_calendar(), local_date(utcnow()), current_app.config)
    query, counted = page_and_count(query, counted, filters, current_user, clock)
    limit = int_arg(request.args, "limit", 100, low=1, high=500)
    offset = int_arg(request.args, "offset", 0, low=0, high=10**9)
    if "offset" not in request.args and "page" in request.args:
        offset = (filters.page - 1) * limit
    total = count_matching(counted, past=offset + limit)
    page = ordered(query, filters, default_sort).options(
        contains_eager(Ticket.center).selectinload(Center.province), selectinload(Ticket.service),
        selectinload(Ticket.warning_rows))
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


MAX_DECISION_ITEMS = 100
ITEM_TYPES = {"id": int, "version": int, "decision": str, "comment": str}


def _decision_item(raw) -> tuple[DecisionItem | None, dict]:
    """One item of a bulk decision, or the errors that keep it from being tried."""
    if not isinstance(raw, dict):
        return None, {"item": ["每一项应为 JSON 对象。"]}
    errors = {name: [f"{name} 应为{TYPE_NAMES[kind]}。"] for name, kind in ITEM_TYPES.items()
              if raw.get(name) is not None and type(raw[name]) is not kind}
    if raw.get("id") is None:
        errors.setdefault("id", ["缺少工单 id。"])
    elif "id" not in errors and not 0 < raw["id"] < 2**31:
        errors["id"] = ["没有该工单。"]  # and no number the database cannot take
    if errors:
        return None, errors
    return DecisionItem(raw["id"], raw.get("version"), raw.get("decision") or "", raw.get("comment")), {}


@bp.post("/decisions")
@api_roles(Role.PROVINCE_REVIEWER, Role.MINISTRY_REVIEWER)
def decisions():
    """Bulk decisions: each item on its own version and in its own transaction; one failing
    item never undoes the others. ``{"results": [{"id", "status", "ticket" | "errors"}]}``."""
    data = request.get_json(silent=True)
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise WorkflowError({"items": ["请求体应为 {\"items\": [{\"id\", \"version\", \"decision\", \"comment\"}]}，至少一项。"]})
    if len(items) > MAX_DECISION_ITEMS:
        raise WorkflowError({"items": [f"一次最多 {MAX_DECISION_ITEMS} 项（现有 {len(items)} 项）。"]})
    results: list[dict | None] = []
    valid: list[tuple[int, DecisionItem]] = []
    for position, raw in enumerate(items):
        item, errors = _decision_item(raw)
        if item is None:
            identifier = raw.get("id") if isinstance(raw, dict) and type(raw.get("id")) is int else None
            results.append({"id": identifier, "status": 422, "errors": errors})
        else:
            results.append(None)
            valid.append((position, item))
    for (position, _), outcome in zip(valid, decide_many(current_user, [item for _, item in valid]), strict=True):
        entry = {"id": outcome.ticket_id, "status": outcome.status}
        if outcome.status == 200:
            entry["ticket"] = ticket_json(outcome.ticket, history=False)
        else:
            entry["errors"] = outcome.errors
            if outcome.ticket is not None and outcome.status == 409:
                entry["version"] = outcome.ticket.version  # what the ticket is now, to decide again on
        results[position] = entry
    return jsonify({"results": results})


@bp.get("/tickets/<int:ticket_id>")
@api_roles()
def get_ticket(ticket_id: int):
    return jsonify(ticket_json(visible_ticket_or_404(current_user, ticket_id)))


@bp.patch("/tickets/<int:ticket_id>")
@api_roles(Role.CENTER_STAFF)
def patch_ticket(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    data = _body()
    return jsonify(ticket_json(edit_ticket(current_user, ticket, data, _version(data))))


@bp.post("/tickets/<int:ticket_id>/resubmit")
@api_roles(Role.CENTER_STAFF)
def resubmit(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    data = _body()
    return jsonify(ticket_json(resubmit_ticket(current_user, ticket, data, _version(data))))


@bp.post("/tickets/<int:ticket_id>/withdraw")
@api_roles(Role.CENTER_STAFF)
def withdraw(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    data = _body()
    return jsonify(ticket_json(withdraw_ticket(current_user, ticket, _version(data), data.get("comment"))))


@bp.post("/tickets/<int:ticket_id>/decision")
@api_roles(Role.PROVINCE_REVIEWER, Role.MINISTRY_REVIEWER)
def decision(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    data = _body()
    decided = decide(current_user, ticket, data.get("decision"), data.get("comment"), _version(data),
                     override=data.get("override") is True, require_document=data.get("require_document") is True)
    return jsonify(ticket_json(decided))


@bp.post("/tickets/<int:ticket_id>/cancel")
@api_roles(Role.CENTER_STAFF, Role.MINISTRY_REVIEWER)
def cancel(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    data = _body()
    return jsonify(ticket_json(cancel_ticket(current_user, ticket, _version(data), data.get("comment"))))

