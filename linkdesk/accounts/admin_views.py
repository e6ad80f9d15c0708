"""The admin's page for one user: edit role, scope, name, contact and 企业微信 id; issue a
set-password link (shown once); the user's audit trail."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..models import Role, User
from .access import roles_required
from .audit import ACTION_LABELS, events_of
from .credentials import RESET_LIFETIME, issue_reset
from .forms import ActiveForm, EditUserForm
from .users import AccountError, update_user
from .views import bp


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_detail(user_id: int):
    user = db.get_or_404(User, user_id)
    form = EditUserForm(data=None if request.method == "POST" else _form_data(user))
    status = 200
    if form.validate_on_submit():
        try:
            changes = update_user(
                user,
                current_user,
                display_name=form.display_name.data,
                contact=form.contact.data or "",
                role=form.role.data,
                center=form.center.data or None,
                province=form.province.data or None,
                wecom_userid=form.wecom_userid.data or None,
            )
        except AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "display_name").errors.append(error.message)
            status = 422
        else:
            flash(f"已保存：{'；'.join(changes)}。" if changes else "没有需要保存的修改。", "success" if changes else "info")
            return redirect(url_for("accounts.user_detail", user_id=user.id))
    elif form.is_submitted():
        status = 422
    return _page(user, form, None, status)


@bp.post("/admin/users/<int:user_id>/reset-link")
@roles_required(Role.ADMIN)
def issue_reset_link(user_id: int):
    if not ActiveForm().validate_on_submit():
        abort(400)
    user = db.get_or_404(User, user_id)
    try:
        key = issue_reset(user, current_user)
    except AccountError as error:
        flash(error.message, "error")
        return redirect(url_for("accounts.user_detail", user_id=user.id))
    # Shown once, in this answer only: never stored, never flashed into the session cookie.
    link = url_for("accounts.reset_password", key=key, _external=True)
    return _page(user, EditUserForm(data=_form_data(user)), link)


def _page(user: User, form: EditUserForm, reset_link: str | None, status: int = 200):
    return render_template(
        "accounts/user.html",
        user=user,
        form=form,
        reset_link=reset_link,
        events=events_of(user),
        action_labels=ACTION_LABELS,
        action=ActiveForm(),
        reset_hours=int(RESET_LIFETIME.total_seconds() // 3600),
    ), status


def _form_data(user: User) -> dict:
    return {
        "display_name": user.display_name,
        "contact": user.contact,
        "role": user.role.value,
        "center": user.center.short_name if user.center else "",
        "province": user.province.short_name if user.province else "",
        "wecom_userid": user.wecom_userid or "",
    }
