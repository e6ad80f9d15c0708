"""Login and logout pages."""
from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from ..accounts import ThrottlePolicy, authenticate
from . import bp
from .forms import LoginForm


def _throttle_policy() -> ThrottlePolicy:
    config = current_app.config
    return ThrottlePolicy(
        free_failures=config["LINKDESK_LOGIN_FREE_FAILURES"],
        max_delay_seconds=config["LINKDESK_LOGIN_MAX_DELAY_SECONDS"],
        window_seconds=config["LINKDESK_LOGIN_WINDOW_SECONDS"],
    )


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing tool.
    if target and target.startswith("/") and not target.startswith("//"):
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
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))
