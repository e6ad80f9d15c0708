"""Sign-in with 企业微信 (WeCom web login for a self-built app). No Flask requests here.

The flow, as WeCom documents it:

1. the browser goes to ``https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&
   appid=CORPID&agentid=AGENTID&redirect_uri=…&state=…`` and the member scans the QR code;
2. WeCom sends the browser back to ``redirect_uri?code=CODE&state=STATE`` (no ``code`` when the
   member declined);
3. the server gets the app's access token, ``GET {api}/cgi-bin/gettoken?corpid=…&corpsecret=…``
   (kept for its ``expires_in``: WeCom throttles apps that ask too often), then the member,
   ``GET {api}/cgi-bin/auth/getuserinfo?access_token=…&code=…`` → ``{"errcode": 0, "userid": …}``;
   a non-member gets ``openid`` instead of ``userid``.

WeCom's flow is not standard OIDC (no token endpoint, no id_token), so this is a small client of
its own on the standard library rather than an OAuth library. Any errcode ≠ 0, timeout, redirect
or garbage is a ``WeComError`` with a Chinese message; the secret and tokens never appear in one.
"""

import http.client
import json
import re
import ssl
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from ..models.types import utcnow

LOGIN_URL = "https://login.work.weixin.qq.com/wwlogin/sso/login"
DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
# errcodes meaning "this access token is no good any more": fetch a new one and ask again, once.
STALE_TOKEN_ERRCODES = {40014, 42001}
# errcodes of getuserinfo meaning "this code is no good" (不合法的oauth_code, code 已使用, 不合法的请求字符):
# the browser brought a code WeCom never gave or already took, which is the client's fault.
BAD_CODE_ERRCODES = {40029, 40163, 40033}
# What a code WeCom puts on the redirect looks like (32 letters and digits today); leniently, the
# characters a URL carries unescaped, and a bound. Anything else is refused before WeCom is asked.
CODE_FORMAT = re.compile(r"[A-Za-z0-9._~-]{1,512}")
# Renew a little before WeCom's expiry, so that a token is never used in its last seconds.
EXPIRY_MARGIN = timedelta(minutes=5)
MAX_ANSWER_BYTES = 64 * 1024


class WeComError(Exception):
    """WeCom refused or could not be asked; the message is for people, in Chinese."""


class BadCode(WeComError):
    """The callback's code is not one WeCom gave (or it was used already): the browser's fault, not WeCom's."""


class NotAMember(WeComError):
    """The person who scanned is not a member of the corp (WeCom answered an ``openid``)."""


@dataclass(frozen=True)
class WeComSettings:
    corp_id: str
    agent_id: str
    secret: str
    api_base: str = DEFAULT_API_BASE
    timeout: float = 5.0

    @classmethod
    def from_config(cls, config) -> "WeComSettings | None":
        """The settings when sign-in with 企业微信 is configured (corp id, agent id, secret); else None."""
        values = [
            str(config.get(key) or "").strip() for key in ("LINKDESK_WECOM_CORP_ID", "LINKDESK_WECOM_AGENT_ID", "LINKDESK_WECOM_SECRET")
        ]
        if not all(values):
            return None
        base = str(config.get("LINKDESK_WECOM_API_BASE") or DEFAULT_API_BASE).strip().rstrip("/")
        return cls(*values, api_base=base, timeout=float(config.get("LINKDESK_WECOM_TIMEOUT_SECONDS", 5.0)))

    @property
    def cache_key(self) -> tuple[str, str, str]:
        # Each app has its own token (WeCom's rule); the secret is not part of the key, so that
        # it is kept in one place only.
        return self.api_base, self.corp_id, self.agent_id


def authorize_url(settings: WeComSettings, redirect_uri: str, state: str) -> str:
    """Where to send the browser for the QR-code login."""
    return (
        LOGIN_URL
        + "?"
        + urlencode(
            {
                "login_type": "CorpApp",
                "appid": settings.corp_id,
                "agentid": settings.agent_id,
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
    )


class AccessTokenCache:
    """The app's access token per (API base, corp, agent), until shortly before ``expires_in``.

    One per process (kept in ``app.extensions``); a lock makes concurrent logins fetch once.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._tokens: dict[tuple, tuple[str, datetime]] = {}
        self.fetches = 0  # how many times gettoken was called (for the operator, and the tests)

    def get(self, settings: WeComSettings) -> str:
        with self._lock:
            found = self._tokens.get(settings.cache_key)
            if found is not None and utcnow() < found[1]:
                return found[0]
            token, lifetime = _fetch_access_token(settings)
            self.fetches += 1
            self._tokens[settings.cache_key] = (token, utcnow() + max(timedelta(seconds=lifetime) - EXPIRY_MARGIN, timedelta(seconds=0)))
            return token

    def drop(self, settings: WeComSettings, token: str) -> None:
        """Forget the token if it is still the one cached (WeCom said it is no good)."""
        with self._lock:
            found = self._tokens.get(settings.cache_key)
            if found is not None and found[0] == token:
                del self._tokens[settings.cache_key]


def member_userid(settings: WeComSettings, cache: AccessTokenCache, code: str) -> str:
    """The WeCom UserID of the member who scanned, from the callback's ``code``."""
    if not CODE_FORMAT.fullmatch(code):
        raise BadCode("企业微信返回的授权码无效，请重新扫码登录。")
    for attempt in range(2):
        token = cache.get(settings)
        answer = _get_json(settings, "/cgi-bin/auth/getuserinfo", {"access_token": token, "code": code})
        errcode = answer.get("errcode")
        if errcode in STALE_TOKEN_ERRCODES and attempt == 0:
            cache.drop(settings, token)
            continue
        break
    if errcode in BAD_CODE_ERRCODES:
        raise BadCode(f"企业微信授权码无效或已使用（errcode {errcode}），请重新扫码登录。")
    if errcode != 0:
        raise WeComError(f"企业微信拒绝了登录请求（errcode {_code(errcode)}），请稍后再试或联系管理员。")
    userid = answer.get("userid")
    if not isinstance(userid, str) or not userid.strip():
        raise NotAMember("该企业微信账号不是本单位成员，不能登录。")
    return userid.strip()


def _fetch_access_token(settings: WeComSettings) -> tuple[str, int]:
    answer = _get_json(settings, "/cgi-bin/gettoken", {"corpid": settings.corp_id, "corpsecret": settings.secret})
    if answer.get("errcode") != 0:
        raise WeComError(f"无法取得企业微信接口凭证（errcode {_code(answer.get('errcode'))}），请联系管理员检查配置。")
    token, lifetime = answer.get("access_token"), answer.get("expires_in")
    if not isinstance(token, str) or not token or len(token) > 512 or type(lifetime) is not int or lifetime <= 0:
        raise WeComError("企业微信接口凭证的应答无法识别，请稍后再试。")
    return token, lifetime


def _get_json(settings: WeComSettings, path: str, query: dict) -> dict:
    request = urllib.request.Request(f"{settings.api_base}{path}?{urlencode(query)}", headers={"Accept": "application/json"})
    try:
        with _opener().open(request, timeout=settings.timeout) as response:
            body = response.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise WeComError(f"企业微信接口返回 HTTP {error.code}，请稍后再试。") from None
    except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException, ValueError):
        # Never the URL (it carries the secret or a token) in a message or a log line.
        raise WeComError("无法连接企业微信接口，请稍后再试。") from None
    try:
        answer = json.loads(body) if len(body) <= MAX_ANSWER_BYTES else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise WeComError("企业微信接口的应答无法识别，请稍后再试。")
    return answer


def _code(errcode) -> str:
    return str(errcode) if type(errcode) is int else "未知"


def _opener():
    # No redirects: an API answer that sends us elsewhere is a failure, not a hop into the intranet.
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    return urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=ssl.create_default_context()))
