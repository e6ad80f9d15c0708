"""Center clerk pages. Thin: parse, call operations, render."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ..accounts.access import (
    REVIEWER_ROLES,
    awaiting_review,
    center_clause,
    countable_tickets,
    login_required,
    roles_required,
    scoped_tickets,
    visible_ticket_or_404,
)
from ..cutovers.schedule import load_findings
from ..extensions import db
from ..models import Center, LinkRecord, LinkRevision, Province, ReviewStage, Role, Service, TicketStatus
from ..models.types import utcnow
from ..workdays.calendar import local_date
from ..workdays.schedules import current_calendar
from .attachments import add_attachments, read_uploads, remove_attachment
from .deadlines import DUE_LABELS, review_clock
from .downloads import attachment_or_404, send_attachment
from .filing import ChangeRequest
from .forms import ActionForm, AttachmentForm, TicketForm, version_number
from .listing import DUE_FILTERS, SORT_LABELS, TicketFilters, days_left_until, neighbours, ticket_page, warning_choices
from .operations import (
    Conflict,
    OpenTicketExists,
    WorkflowError,
    cancel_ticket,
    edit_ticket,
    file_ticket,
    resubmit_ticket,
    withdraw_ticket,
)
from .workflow import latest_change, may_decide, may_edit, next_stage

bp = Blueprint("tickets", __name__, url_prefix="/tickets")


def attach_errors(form, errors: dict[str, list[str]]) -> list[str]:
    """Put each message under its field; return those that belong to no field."""
    general = []
    for name, messages in errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors") and name != "version":
            field.errors = list(field.errors) + messages
        else:
            general.extend(messages)
    return general


def _services():
    return db.session.scalars(select(Service).order_by(Service.position)).all()


def _live_links(center_id: int) -> dict[str, LinkRecord]:
    rows = db.session.scalars(select(LinkRecord).where(LinkRecord.center_id == center_id))
    return {row.service.code: row for row in rows}


def _form_page(form, template: str, ticket=None, general=(), status=200, open_ticket=None):
    calendar = current_calendar()
    today = local_date(utcnow())
    form.service.choices = [SelectChoice("", "请选择…")] + [SelectChoice(s.code, s.name) for s in _services()]
    return render_template(
        template,
        form=form,
        ticket=ticket,
        general_errors=general,
        earliest=calendar.earliest_cutover(today),
        today=today,
        live_links=_live_links(current_user.center_id),
        open_ticket=open_ticket,
    ), status


def current_review_clock():
    return review_clock(current_calendar(), local_date(utcnow()), current_app.config)


def list_choices(user) -> dict:
    """What a list's filter form offers: provinces in the user's scope, services, statuses, sorts."""
    provinces = db.session.scalars(
        select(Province).where(Province.id.in_(select(Center.province_id).where(center_clause(user)))).order_by(Province.code)
    ).all()
    return {
        "provinces": provinces,
        "services": _services(),
        "statuses": list(TicketStatus),
        "stages": list(ReviewStage),
        "warnings": warning_choices(),
        "dues": DUE_FILTERS,
        "sorts": SORT_LABELS,
        "due_labels": DUE_LABELS,
        "reviewer": user.role in REVIEWER_ROLES,
    }


@bp.get("/")
@login_required
def index():
    """Every ticket in the user's scope: search, filters, sort (工单查询; the clerk's 我的工单)."""
    filters, errors = TicketFilters.parse(request.args)
    clock = current_review_clock()
    page = ticket_page(
        scoped_tickets(current_user),
        filters,
        clock.calendar,
        clock.today,
        user=current_user,
        clock=clock,
        per_page=current_app.config["LINKDESK_TICKETS_PER_PAGE"],
        counted=countable_tickets(current_user),
    )
    return render_template(
        "tickets/index.html", page=page, filters=filters, errors=errors, **list_choices(current_user)
    ), 422 if errors else 200


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.CENTER_STAFF)
def new():
    form = TicketForm()
    if request.method == "GET":
        form.service.data = request.args.get("service", "")
        form.contact_name.data = current_user.display_name
        return _form_page(form, "tickets/new.html")
    if not form.validate_on_submit():
        return _form_page(form, "tickets/new.html", general=["表单已过期，请重新提交。"], status=400)
    try:
        ticket = file_ticket(current_user, ChangeRequest.from_mapping(request.form), read_uploads(request.files.getlist("attachments")))
    except OpenTicketExists as refusal:
        return _form_page(form, "tickets/new.html", general=[refusal.message], status=409, open_ticket=refusal.existing)
    except WorkflowError as refusal:
        return _form_page(form, "tickets/new.html", general=attach_errors(form, refusal.errors), status=422)
    flash(f"工单 {ticket.number} 已提交，等待{ticket.stage.label}。", "success")
    return redirect(url_for("tickets.show", ticket_id=ticket.id))


@bp.get("/<int:ticket_id>")
@login_required
def show(ticket_id: int):
    return render_ticket(visible_ticket_or_404(current_user, ticket_id))


def list_base(filters: TicketFilters):
    """The list a ticket page walks with 上一个/下一个: the review queue, or everything in scope."""
    if filters.queue and current_user.role in REVIEWER_ROLES:
        return awaiting_review(current_user), "cutover"
    return scoped_tickets(current_user), "-filed"


def ticket_neighbours(ticket, filters: TicketFilters) -> tuple[int | None, int | None]:
    query, default = list_base(filters)
    return neighbours(query, filters, default, ticket, current_user, current_review_clock())


def render_ticket(ticket, action: ActionForm | None = None, status: int = 200):
    """The ticket page; a refused decision comes back here with what the reviewer typed.

    The filters of the list it was opened from travel in the query string: 上一个/下一个 walk
    that list, and a decision returns to it."""
    filters = TicketFilters.from_args(request.args)
    previous_id, next_id = ticket_neighbours(ticket, filters)
    history = db.session.scalars(
        select(LinkRevision)
        .where(LinkRevision.center_id == ticket.center_id, LinkRevision.service_id == ticket.service_id)
        .order_by(LinkRevision.effective_date.desc(), LinkRevision.id.desc())
    ).all()
    clock = current_review_clock()
    calendar, today = clock.calendar, clock.today
    can_decide = may_decide(current_user, ticket)
    final_stage = can_decide and next_stage(ticket) is None
    return render_template(
        "tickets/show.html",
        ticket=ticket,
        history=history,
        action=action or ActionForm(version=ticket.version),
        upload=AttachmentForm(version=ticket.version),
        can_decide=can_decide,
        can_edit=current_user.role is Role.CENTER_STAFF and may_edit(ticket),
        load_warnings=load_findings(ticket.cutover_date, calendar, ticket.id) if final_stage else [],
        days_left=days_left_until(ticket.cutover_date, calendar, today),
        deadline=clock.deadline(ticket.cutover_date),
        due=clock.state(ticket.cutover_date) if ticket.status is TicketStatus.PENDING else None,
        due_labels=DUE_LABELS,
        filters=filters,
        previous_id=previous_id,
        next_id=next_id,
    ), status


@bp.route("/<int:ticket_id>/edit", methods=["GET", "POST"])
@roles_required(Role.CENTER_STAFF)
def edit(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    if not may_edit(ticket):
        flash("只有被退回、或尚未有审核人员作出决定的工单可以修改。", "warning")
        return redirect(url_for("tickets.show", ticket_id=ticket.id))
    form = TicketForm(obj=ticket if request.method == "GET" else None)
    if request.method == "GET":
        form.service.data = ticket.service.code
        form.cutover_date.data = ticket.cutover_date.isoformat()
        form.version.data = ticket.version
        return _form_page(form, "tickets/edit.html", ticket)
    if not form.validate_on_submit():
        return _form_page(form, "tickets/edit.html", ticket, ["表单已过期，请重新提交。"], 400)
    returned = ticket.status is TicketStatus.RETURNED
    operation = resubmit_ticket if returned and request.form.get("submit_for_review") else edit_ticket
    version = version_number(request.form.get("version"))
    changes = {key: request.form.get(key, "") for key in request.form if key not in ("csrf_token", "version")}
    changes["emergency"] = "emergency" in request.form
    try:
        operation(current_user, ticket, changes, version, read_uploads(request.files.getlist("attachments")))
    except WorkflowError as refusal:
        # The form comes back with what was typed; after a conflict it says who changed what.
        db.session.rollback()
        ticket = visible_ticket_or_404(current_user, ticket_id)
        general = attach_errors(form, refusal.errors)
        if isinstance(refusal, Conflict):
            general.append(latest_change(ticket))
        return _form_page(form, "tickets/edit.html", ticket, general, refusal.status)
    if operation is resubmit_ticket:
        flash("已重新提交审核。", "success")
    else:
        flash("修改已保存，尚未重新提交。" if returned else "修改已保存，审核人员将看到修改后的内容。", "success")
    return redirect(url_for("tickets.show", ticket_id=ticket.id))


def _simple_action(ticket_id: int, operation, done: str):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        operation(current_user, ticket, form.version_number, form.comment.data)
    except WorkflowError as refusal:  # a conflict too: someone acted first, nothing was saved
        return refused_action(ticket_id, form, refusal)
    flash(done, "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


def refused_action(ticket_id: int, form: ActionForm, refusal: WorkflowError):
    """Back to the ticket as it is now, with the refusal and the comment as typed: a refusal
    must not cost anyone their text. After a conflict the form carries the new version, so
    that acting again is a decision taken on what the page now shows."""
    db.session.rollback()
    ticket = visible_ticket_or_404(current_user, ticket_id)
    flash(refusal.message + (latest_change(ticket) if isinstance(refusal, Conflict) else ""), "error")
    form.comment.errors = list(refusal.errors.get("comment", []))
    form.version.data = str(ticket.version)
    return render_ticket(ticket, form, refusal.status)


@bp.post("/<int:ticket_id>/withdraw")
@roles_required(Role.CENTER_STAFF)
def withdraw(ticket_id: int):
    return _simple_action(ticket_id, withdraw_ticket, "工单已撤回。")


@bp.post("/<int:ticket_id>/cancel")
@roles_required(Role.CENTER_STAFF, Role.MINISTRY_REVIEWER)
def cancel(ticket_id: int):
    return _simple_action(ticket_id, cancel_ticket, "已取消该变更，切换日历中不再显示。")


@bp.get("/<int:ticket_id>/attachments/<int:attachment_id>")
@login_required
def download_attachment(ticket_id: int, attachment_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    return send_attachment(attachment_or_404(ticket, attachment_id))


@bp.post("/<int:ticket_id>/attachments", endpoint="add_attachments")
@roles_required(Role.CENTER_STAFF)
def add_attachments_view(ticket_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        added = add_attachments(current_user, ticket, read_uploads(request.files.getlist("attachments")), version_number(form.version.data))
    except WorkflowError as refusal:
        return refused_action(ticket_id, ActionForm(version=form.version.data), refusal)
    flash(f"已添加 {len(added)} 个附件。", "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id) + "#attachments")


@bp.post("/<int:ticket_id>/attachments/<int:attachment_id>/delete", endpoint="remove_attachment")
@roles_required(Role.CENTER_STAFF)
def remove_attachment_view(ticket_id: int, attachment_id: int):
    ticket = visible_ticket_or_404(current_user, ticket_id)
    attachment = attachment_or_404(ticket, attachment_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        remove_attachment(current_user, ticket, attachment, form.version_number)
    except WorkflowError as refusal:
        return refused_action(ticket_id, form, refusal)
    flash("附件已删除。", "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id) + "#attachments")
