"""Sign-in with 企业微信: the button's redirect to WeCom, and the callback. Off (404) unless
configured. ``state`` is random, kept in this browser's session and usable once (CSRF)."""

import hmac
import secrets

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_login import login_user

from .sessions import sign_in
from .users import note_login, user_for_wecom
from .views import bp, wecom_settings
from .wecom import AccessTokenCache, BadCode, NotAMember, WeComError, authorize_url, member_userid

STATE_KEY = "wecom_state"
UNKNOWN_MEMBER = "该企业微信账号尚未开通，请联系管理员。"


def token_cache() -> AccessTokenCache:
    """The app's WeCom access-token cache (one per process)."""
    return current_app.extensions.setdefault("linkdesk_wecom_tokens", AccessTokenCache())


@bp.get("/login/wecom")
def wecom_login():
    """企业微信扫码登录: off to WeCom's QR-code page, with a fresh single-use state."""
    settings = wecom_settings()
    if settings is None:
        abort(404)
    state = secrets.token_urlsafe(24)
    session[STATE_KEY] = state
    return redirect(authorize_url(settings, callback_url(), state))


def callback_url() -> str:
    """Where WeCom sends the browser back: on the address people open (LINKDESK_BASE_URL), never
    on the Host header of this request, which whoever sends it chooses."""
    return current_app.config["LINKDESK_BASE_URL"].rstrip("/") + url_for("accounts.wecom_callback")


@bp.get("/login/wecom/callback")
def wecom_callback():
    settings = wecom_settings()
    if settings is None:
        abort(404)
    expected = session.pop(STATE_KEY, None)  # single-use, whatever happens next
    state = request.args.get("state", "")
    if not expected or not state or not hmac.compare_digest(expected.encode(), state.encode()):
        return _refused("登录请求已失效或不是从本页面发起的，请重新扫码登录。", 400)
    code = request.args.get("code", "")
    if not code:
        return _refused("您没有在企业微信中确认登录。", 400)
    try:
        userid = member_userid(settings, token_cache(), code)
    except (BadCode, NotAMember) as error:
        # What the browser brought is no good: its answer, not an upstream failure.
        return _refused(str(error), 400 if isinstance(error, BadCode) else 403)
    except WeComError as error:
        current_app.logger.warning("企业微信登录失败：%s", error)
        return _refused(str(error), 502)
    user = user_for_wecom(userid)
    if user is None:
        return _refused(UNKNOWN_MEMBER, 403)
    note_login(user)
    session.clear()  # a fresh session at login: no fixation
    login_user(user)
    sign_in(user)
    return redirect(url_for("main.home"))


def _refused(message: str, status: int):
    return render_template("accounts/wecom_refused.html", message=message), status
