"""Account pages: login and logout, and the admin's user list (create, activate, deactivate)."""
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user
from sqlalchemy import select

from ..extensions import db
from ..models import Role, User
from .access import roles_required
from .forms import ActiveForm, LoginForm, UserForm
from .sessions import sign_in, sign_out
from .users import AccountError, ThrottlePolicy, authenticate, create_user, set_active

bp = Blueprint("accounts", __name__)


def _throttle_policy() -> ThrottlePolicy:
    config = current_app.config
    return ThrottlePolicy(
        free_failures=config["LINKDESK_LOGIN_FREE_FAILURES"],
        max_delay_seconds=config["LINKDESK_LOGIN_MAX_DELAY_SECONDS"],
        window_seconds=config["LINKDESK_LOGIN_WINDOW_SECONDS"],
    )


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing tool. No control
    # characters either: CR/LF in a Location header is a header injection (and a 500).
    if target and target.startswith("/") and not target.startswith("//") and target.isprintable():
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = authenticate(
            form.username.data, form.password.data, request.remote_addr or "unknown", _throttle_policy()
        )
        if result.throttled:
            form.password.errors.append(f"登录失败次数过多，请 {result.retry_after} 秒后再试。")
            status = 429
        elif result.user is None:
            form.password.errors.append("用户名或密码错误。")
            status = 401
        else:
            session.clear()  # a fresh session at login: no fixation
            login_user(result.user)
            sign_in(result.user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 422
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    sign_out()
    flash("您已安全退出。", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/admin/users", methods=["GET", "POST"])
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
            return redirect(url_for("accounts.users"))
    elif form.is_submitted():
        status = 422
    listing = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    return render_template("accounts/users.html", form=form, users=listing, toggle=ActiveForm()), status


@bp.route("/admin/users/<int:user_id>/active/<any(on, off):state>", methods=["POST"])
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
    return redirect(url_for("accounts.users"))
