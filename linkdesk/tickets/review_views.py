"""Review queue and decisions. Thin: parse, call operations, render."""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from ..accounts.access import (
    REVIEWER_ROLES,
    awaiting_review,
    roles_required,
    visible_ticket_or_404,
)
from ..extensions import db
from ..models import Role
from ..spreadsheet import csv_lines
from ..web.query_args import ascii_int
from .forms import ActionForm, BulkDecisionForm
from .listing import TicketFilters, overdue_by_province, ticket_page
from .operations import DecisionItem, WorkflowError, decide, decide_many
from .views import current_review_clock, list_choices, refused_action, ticket_neighbours
from .workflow import AUDIT_COLUMNS, audit_rows

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.get("/")
@roles_required(*REVIEWER_ROLES)
def queue():
    filters, errors = TicketFilters.parse(request.args)
    clock = current_review_clock()
    query = awaiting_review(current_user)
    page = ticket_page(
        query,
        filters,
        clock.calendar,
        clock.today,
        urgent_first=True,
        user=current_user,
        clock=clock,
        per_page=current_app.config["LINKDESK_TICKETS_PER_PAGE"],
    )
    overdue = overdue_by_province(query, clock) if current_user.role is Role.MINISTRY_REVIEWER else None
    return render_template(
        "tickets/review_queue.html",
        page=page,
        filters=filters,
        errors=errors,
        overdue=overdue,
        bulk=BulkDecisionForm(),
        **list_choices(current_user),
    ), 422 if errors else 200


def _back_to_queue(filters: TicketFilters):
    return redirect(url_for("review.queue", **filters.args(queue="")))


@bp.post("/<int:ticket_id>/decision", endpoint="decide")
@roles_required(*REVIEWER_ROLES)
def decide_ticket(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    filters = TicketFilters.from_args(request.args)  # the list the page was opened from
    try:
        decide(
            current_user,
            ticket,
            request.form.get("decision", ""),
            form.comment.data,
            form.version_number,
            override=request.form.get("override") == "y",
            require_document=request.form.get("require_document") == "y",
        )
    except WorkflowError as refusal:  # a conflict too: someone acted first, nothing was saved
        return refused_action(ticket_id, form, refusal)
    flash(f"已对工单 {ticket.number} 作出决定：{ticket.status.label}。", "success")
    if request.form.get("then") == "next":
        _, following = ticket_neighbours(ticket, filters)
        if following is not None:
            return redirect(url_for("tickets.show", ticket_id=following, **filters.args()))
    return _back_to_queue(filters)


def _bulk_items(values: list[str], decision: str, comment: str | None) -> list[DecisionItem]:
    """The ticked rows, each "id:version" as the queue showed it; a malformed one is left out."""
    items = []
    for value in values[:MAX_BULK]:
        ticket_id, _, version = value.partition(":")
        number = ascii_int(ticket_id, max_digits=9)
        if number is not None:
            items.append(DecisionItem(number, ascii_int(version, max_digits=9), decision, comment))
    return items


MAX_BULK = 100


@bp.post("/decisions", endpoint="decide_many")
@roles_required(*REVIEWER_ROLES)
def decide_selected():
    """批量审核: each ticked ticket decided on its own version; the page says what became of each."""
    form = BulkDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    filters = TicketFilters.from_args(request.args)
    items = _bulk_items(request.form.getlist("ticket"), request.form.get("decision", ""), form.comment.data)
    if not items:
        flash("请先勾选要审核的工单。", "warning")
        return _back_to_queue(filters)
    outcomes = decide_many(current_user, items)
    return render_template(
        "tickets/bulk_result.html", outcomes=outcomes, filters=filters, decided=sum(1 for o in outcomes if o.status == 200)
    )


@bp.get("/audit.csv", endpoint="audit_csv")
@roles_required(Role.MINISTRY_REVIEWER)
def audit_csv():
    """Every audit event, oldest first, as CSV for the ministry (UTF-8 with BOM for Excel)."""
    return Response(
        csv_lines(AUDIT_COLUMNS, audit_rows(db.engine)),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=linkdesk-audit.csv"},
    )
