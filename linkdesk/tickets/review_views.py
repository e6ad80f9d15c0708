"""Review queue and decisions. Thin: parse, call operations, render."""

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from ..accounts.access import (
    REVIEWER_ROLES,
    awaiting_review,
    center_clause,
    roles_required,
    visible_ticket_or_404,
)
from ..extensions import db
from ..models import Center, Province, Role, Service
from ..models.types import utcnow
from ..spreadsheet import csv_lines
from ..workdays.calendar import local_date
from ..workdays.schedules import current_calendar
from .forms import ActionForm
from .listing import TicketFilters, ticket_page
from .operations import WorkflowError, decide
from .views import refused_action
from .workflow import AUDIT_COLUMNS, audit_rows

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.get("/")
@roles_required(*REVIEWER_ROLES)
def queue():
    filters = TicketFilters.from_args(request.args)
    page = ticket_page(awaiting_review(current_user), filters, current_calendar(), local_date(utcnow()), urgent_first=True)
    provinces = db.session.scalars(
        select(Province)
        .where(Province.id.in_(select(Center.province_id).where(center_clause(current_user))))
        .order_by(Province.code)
    ).all()
    services = db.session.scalars(select(Service).order_by(Service.position)).all()
    return render_template("tickets/review_queue.html", page=page, filters=filters, provinces=provinces, services=services)


@bp.post("/<int:ticket_id>/decision", endpoint="decide")
@roles_required(*REVIEWER_ROLES)
def decide_ticket(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        decide(current_user, ticket, request.form.get("decision", ""), form.comment.data, form.version_number,
               override=request.form.get("override") == "y", require_document=request.form.get("require_document") == "y")
    except WorkflowError as refusal:  # a conflict too: someone acted first, nothing was saved
        return refused_action(ticket_id, form, refusal)
    flash(f"已对工单 {ticket.number} 作出决定：{ticket.status.label}。", "success")
    return redirect(url_for("review.queue"))



@bp.get("/audit.csv", endpoint="audit_csv")
@roles_required(Role.MINISTRY_REVIEWER)
def audit_csv():
    """Every audit event, oldest first, as CSV for the ministry (UTF-8 with BOM for Excel)."""
    return Response(csv_lines(AUDIT_COLUMNS, audit_rows(db.engine)), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=linkdesk-audit.csv"})
