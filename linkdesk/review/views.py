"""Review queue and decisions. Thin: parse, call ticket_operations, render."""
import csv
import io

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..access import (
    REVIEWER_ROLES,
    awaiting_review,
    center_clause,
    roles_required,
    visible_ticket_or_404,
)
from ..extensions import db
from ..filing import local_date
from ..models import AuditEvent, Center, Province, Role, Service, Ticket
from ..models.types import utcnow
from ..schedules import current_calendar
from ..ticket_operations import Conflict, WorkflowError, decide
from ..tickets.forms import ActionForm
from ..tickets.listing import TicketFilters, ticket_page
from ..tickets.views import render_ticket
from . import bp


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
    return render_template("review/queue.html", page=page, filters=filters, provinces=provinces, services=services)


@bp.post("/<int:ticket_id>/decision", endpoint="decide")
@roles_required(*REVIEWER_ROLES)
def decide_ticket(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    version = int(form.version.data) if (form.version.data or "").isdigit() else None
    try:
        decide(current_user, ticket, request.form.get("decision", ""), form.comment.data, version,
               override=request.form.get("override") == "y")
    except Conflict:
        db.session.rollback()
        flash("该工单已被其他审核人员处理或被中心修改，您的决定没有保存。请查看最新状态后再操作。", "error")
    except WorkflowError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        # Back to the page with the comment as typed: a refusal must not cost the reviewer's text.
        form.comment.errors = list(refusal.errors.get("comment", []))
        return render_ticket(visible_ticket_or_404(current_user, ticket_id), form, 422)
    else:
        flash(f"已对工单 {ticket.number} 作出决定：{ticket.status.label}。", "success")
        return redirect(url_for("review.queue"))
    return redirect(url_for("tickets.show", ticket_id=ticket_id))



@bp.get("/audit.csv", endpoint="audit_csv")
@roles_required(Role.MINISTRY_REVIEWER)
def audit_csv():
    """Every audit event, oldest first, as CSV for the ministry (UTF-8 with BOM for Excel)."""
    query = (
        select(AuditEvent, Ticket.number, Center.name)
        .outerjoin(AuditEvent.ticket)
        .outerjoin(Ticket.center)
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.id)
        .execution_options(yield_per=500)
    )

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["event_id", "ticket", "center", "at_utc", "actor", "role", "action",
                         "from_status", "from_stage", "to_status", "to_stage", "comment"])
        yield "\ufeff" + buffer.getvalue()
        for event, number, center in db.session.execute(query):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([event.id, number or "", center or "", event.at.isoformat(),
                             event.actor.username if event.actor else "system", event.actor_role, event.action,
                             event.from_status or "", event.from_stage or "", event.to_status or "",
                             event.to_stage or "", event.comment or ""])
            yield buffer.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=linkdesk-audit.csv"})
