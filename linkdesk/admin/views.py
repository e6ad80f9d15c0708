"""Admin pages: list, create, deactivate users."""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..access import roles_required
from ..accounts import AccountError, create_user, set_active
from ..extensions import db
from ..models import Role, User
from . import bp
from .forms import ActiveForm, UserForm


@bp.route("/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users():
    form = UserForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = create_user(
                form.username.data,
                form.password.data,
                form.role.data,
                display_name=form.display_name.data or None,
                center=form.center.data or None,
                province=form.province.data or None,
            )
        except AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "username").errors.append(error.message)
            status = 422
        else:
            flash(f"已创建用户 {user.username}。", "success")
            return redirect(url_for("admin.users"))
    elif form.is_submitted():
        status = 422
    listing = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    return render_template("admin/users.html", form=form, users=listing, toggle=ActiveForm()), status


@bp.route("/users/<int:user_id>/active/<any(on, off):state>", methods=["POST"])
@roles_required(Role.ADMIN)
def set_user_active(user_id: int, state: str):
    if not ActiveForm().validate_on_submit():
        abort(400)
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id and state == "off":
        flash("不能停用自己的账号。", "error")
    else:
        set_active(user, state == "on")
        flash(f"已{'启用' if state == 'on' else '停用'}用户 {user.username}。", "success")
    return redirect(url_for("admin.users"))
