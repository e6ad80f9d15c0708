"""Passwords: changing one's own, the set-password page of a one-time link, and the rule that a
user whose password someone else chose sets their own before anything else."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..extensions import db
from ..web.errors import error_response
from .access import authenticated_by_token, login_required
from .credentials import change_password, complete_reset, reset_target
from .forms import ChangePasswordForm, SetPasswordForm
from .sessions import SESSION_KEY, skips_session
from .users import AccountError
from .views import bp

# What a user who must set their own password may still reach.
BEFORE_OWN_PASSWORD = {"accounts.change_password", "accounts.logout", "accounts.reset_password", "static"}


@bp.before_app_request
def own_password_first():
    """A temporary password (chosen by the admin) opens only the page that replaces it."""
    if request.endpoint in BEFORE_OWN_PASSWORD or skips_session() or not current_user.is_authenticated or authenticated_by_token():
        return None
    if not current_user.must_change_password:
        return None
    if request.path.startswith("/api/"):
        return error_response(403, "请先在网页上设置您自己的密码。")
    return redirect(url_for("accounts.change_password"))


@bp.route("/account/password", methods=["GET", "POST"], endpoint="change_password")
@login_required
def change_password_page():
    """修改密码: the old password, the new one twice; other sessions end."""
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            ended = change_password(current_user, form.old_password.data, form.new_password.data, keep_key=session.get(SESSION_KEY))
        except AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "new_password").errors.append(error.message)
            status = 422
        else:
            flash(f"密码已修改，其他 {ended} 处登录已退出。" if ended else "密码已修改。", "success")
            return redirect(url_for("accounts.account"))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/change_password.html", form=form), status


@bp.route("/password/reset/<key>", methods=["GET", "POST"])
def reset_password(key: str):
    """The set-password page a one-time link leads to; no login needed."""
    user = reset_target(key)
    if user is None:
        return error_response(404, "该链接无效、已使用或已过期，请联系管理员重新生成。")
    form = SetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            complete_reset(key, form.new_password.data)
        except AccountError as error:
            db.session.rollback()
            form.new_password.errors.append(error.message)
            status = 422
        else:
            flash("密码已设置，请用新密码登录。", "success")
            return redirect(url_for("accounts.login"))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/set_password.html", form=form, user=user), status
