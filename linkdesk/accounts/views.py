"""Account pages: login and logout, one's own account (账号设置), the admin's user list.

The admin's page for one user is in ``admin_views``, passwords in ``password_views``, sign-in
with 企业微信 in ``wecom_views``: all on this blueprint.
"""

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
from ..models.types import utcnow
from .access import login_required, roles_required
from .forms import ActiveForm, LoginForm, TokenForm, UserForm
from .passwords import token_digest
from .sessions import SESSION_KEY, limits, live_sessions, sign_in, sign_out, sign_out_elsewhere
from .tokens import TokenError, create_token, revoke_token, tokens_of
from .users import AccountError, ThrottlePolicy, authenticate, create_user, set_active
from .wecom import WeComSettings

bp = Blueprint("accounts", __name__)


def _throttle_policy() -> ThrottlePolicy:
    config = current_app.config
    return ThrottlePolicy(
        free_failures=config["LINKDESK_LOGIN_FREE_FAILURES"],
        max_delay_seconds=config["LINKDESK_LOGIN_MAX_DELAY_SECONDS"],
        window_seconds=config["LINKDESK_LOGIN_WINDOW_SECONDS"],
    )


def wecom_settings() -> WeComSettings | None:
    """The 企业微信 sign-in settings, or None when it is not configured (the button is hidden)."""
    return WeComSettings.from_config(current_app.config)


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
        result = authenticate(form.username.data, form.password.data, request.remote_addr or "unknown", _throttle_policy())
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
    return render_template("accounts/login.html", form=form, wecom_enabled=wecom_settings() is not None), status


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
                contact=form.contact.data or "",
                wecom_userid=form.wecom_userid.data or None,
                temporary=True,  # the admin chose it: the user sets their own at first login
                actor=current_user,
            )
        except AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "username").errors.append(error.message)
            status = 422
        else:
            flash(f"已创建用户 {user.username}。首次登录时须设置自己的密码。", "success")
            return redirect(url_for("accounts.user_detail", user_id=user.id))
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
        set_active(user, state == "on", actor=current_user)
        flash(f"已{'启用' if state == 'on' else '停用'}用户 {user.username}。", "success")
    return redirect(url_for("accounts.users"))


# --- one's own account: tokens and sessions --------------------------------------------------


@bp.get("/account")
@login_required
def account():
    """账号设置: one's API tokens and the sessions signed in elsewhere."""
    return _account_page(TokenForm(), None)


def _account_page(form: TokenForm, new_token: str | None, status: int = 200):
    now = utcnow()
    return render_template(
        "accounts/account.html",
        form=form,
        new_token=new_token,
        tokens=tokens_of(current_user),
        now=now,
        sessions=live_sessions(current_user, now, limits()),
        current_key_digest=token_digest(session.get(SESSION_KEY, "")),
        action=ActiveForm(),
    ), status


@bp.post("/account/tokens")
@login_required
def issue_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _account_page(form, None, 422)
    try:
        token = create_token(current_user, form.expires_days.data)
    except TokenError as error:
        form.expires_days.errors.append(str(error))
        return _account_page(form, None, 422)
    # Shown once, on this page only: never stored, never flashed into the session cookie.
    return _account_page(TokenForm(formdata=None), token)


@bp.post("/account/tokens/<prefix>/revoke")
@login_required
def revoke_own_token(prefix: str):
    if not ActiveForm().validate_on_submit():
        abort(400)
    try:
        revoke_token(prefix, owner=current_user)
    except TokenError as error:
        flash(str(error), "error")
    else:
        flash(f"已吊销令牌 {prefix}。", "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    if not ActiveForm().validate_on_submit():
        abort(400)
    ended = sign_out_elsewhere(current_user, session.get(SESSION_KEY))
    flash(f"已退出其他 {ended} 处登录。", "success")
    return redirect(url_for("accounts.account"))


@bp.get("/admin/tokens")
@roles_required(Role.ADMIN)
def all_tokens():
    """Every API token (never a secret), for the admin to revoke one."""
    return render_template("accounts/tokens.html", tokens=tokens_of(), now=utcnow(), action=ActiveForm())


@bp.post("/admin/tokens/<prefix>/revoke")
@roles_required(Role.ADMIN)
def revoke_any_token(prefix: str):
    if not ActiveForm().validate_on_submit():
        abort(400)
    try:
        row = revoke_token(prefix)
    except TokenError as error:
        flash(str(error), "error")
    else:
        flash(f"已吊销 {row.username} 的令牌 {row.prefix}。", "success")
    return redirect(url_for("accounts.all_tokens"))
