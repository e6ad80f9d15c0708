"""Issue 17: sign-in with 企业微信, against a local server that speaks WeCom's API."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from linkdesk.accounts.users import set_active
from linkdesk.extensions import db
from linkdesk.models import Role, User
from tests.wecom_server import AGENT_ID, CORP_ID, SECRET, WeComApiServer

LOGIN_URL = "https://login.work.weixin.qq.com/wwlogin/sso/login"
BASE_URL = "https://desk.example.gov.cn"


@pytest.fixture
def wecom(app):
    server = WeComApiServer()
    app.config.update(
        LINKDESK_WECOM_CORP_ID=CORP_ID,
        LINKDESK_WECOM_AGENT_ID=AGENT_ID,
        LINKDESK_WECOM_SECRET=SECRET,
        LINKDESK_WECOM_API_BASE=server.base,
        LINKDESK_BASE_URL=BASE_URL + "/",
    )
    yield server
    server.stop()


def start(browser, **headers) -> str:
    """Press 企业微信扫码登录: the state the app sent to WeCom."""
    response = browser.get("/login/wecom", headers=headers)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == LOGIN_URL
    query = {key: values[0] for key, values in parse_qs(location.query).items()}
    assert query["login_type"] == "CorpApp" and query["appid"] == CORP_ID and query["agentid"] == AGENT_ID
    assert query["redirect_uri"] == f"{BASE_URL}/login/wecom/callback"
    return query["state"]


def back_from_wecom(browser, **query):
    return browser.get("/login/wecom/callback", query_string=query)


def signed_out(browser) -> bool:
    response = browser.get("/tickets/")
    return response.status_code == 302 and "/login" in response.headers["Location"]


def with_wecom_id(make, userid: str, role=Role.CENTER_STAFF, **scope):
    account = make.user(role, **scope)
    account.user.wecom_userid = userid.lower()
    db.session.commit()
    return account


class TestSignIn:
    def test_a_known_member_is_signed_in_as_their_user_with_their_scope(self, app, client, make, wecom, clock):
        clerk = with_wecom_id(make, "ZhangSan", center="洛阳")
        state = start(client)
        response = back_from_wecom(client, code=wecom.code_for("ZhangSan"), state=state)
        assert response.status_code == 302 and response.headers["Location"] == "/"
        page = client.get("/account").get_data(as_text=True)
        assert clerk.username in page and "洛阳" in page
        assert client.get("/api/v1/links").status_code == 200

    def test_the_access_token_is_fetched_once_for_several_logins(self, app, make, wecom, clock):
        for name in ("wang", "li", "zhao"):
            with_wecom_id(make, name)
        for name in ("wang", "li", "zhao"):
            browser = app.test_client()
            assert back_from_wecom(browser, code=wecom.code_for(name), state=start(browser)).status_code == 302
            assert not signed_out(browser)
        assert wecom.gettoken_calls == 1 and wecom.getuserinfo_calls == 3
        clock.shift(timedelta(hours=2))  # past expires_in: a new token
        browser = app.test_client()
        assert back_from_wecom(browser, code=wecom.code_for("wang"), state=start(browser)).status_code == 302
        assert wecom.gettoken_calls == 2

    def test_a_token_wecom_ended_early_is_fetched_again(self, app, client, make, wecom, clock):
        with_wecom_id(make, "wang")
        browser = app.test_client()
        back_from_wecom(browser, code=wecom.code_for("wang"), state=start(browser))
        wecom.expire_tokens()
        assert back_from_wecom(client, code=wecom.code_for("wang"), state=start(client)).status_code == 302
        assert not signed_out(client) and wecom.gettoken_calls == 2

    def test_the_login_page_shows_the_button_only_when_configured(self, app, client, wecom):
        assert "企业微信扫码登录" in client.get("/login").get_data(as_text=True)
        app.config["LINKDESK_WECOM_SECRET"] = None
        assert "企业微信扫码登录" not in client.get("/login").get_data(as_text=True)
        assert client.get("/login/wecom").status_code == 404
        assert client.get("/login/wecom/callback?code=x&state=y").status_code == 404


class TestRefusals:
    def test_an_unknown_member_is_refused_and_never_created(self, app, client, make, wecom, clock):
        response = back_from_wecom(client, code=wecom.code_for("stranger"), state=start(client))
        assert response.status_code == 403
        assert "该企业微信账号尚未开通，请联系管理员" in response.get_data(as_text=True)
        assert signed_out(client)
        assert db.session.query(User).count() == 0

    def test_a_deactivated_user_is_refused(self, app, client, make, wecom, clock):
        clerk = with_wecom_id(make, "wang")
        set_active(clerk.user, False)
        response = back_from_wecom(client, code=wecom.code_for("wang"), state=start(client))
        assert response.status_code == 403 and signed_out(client)

    def test_a_non_member_is_refused(self, client, wecom, clock):
        response = back_from_wecom(client, code=wecom.code_for(None), state=start(client))
        assert response.status_code == 403 and "不是本单位成员" in response.get_data(as_text=True)
        assert signed_out(client)

    def test_a_bad_code_is_refused(self, client, make, wecom, clock):
        with_wecom_id(make, "wang")
        response = back_from_wecom(client, code="made-up-code", state=start(client))
        assert response.status_code == 400 and "40029" in response.get_data(as_text=True)
        assert signed_out(client)

    def test_a_replayed_state_is_refused(self, app, client, make, wecom, clock):
        with_wecom_id(make, "wang")
        state = start(client)
        assert back_from_wecom(client, code="made-up-code", state=state).status_code == 400
        response = back_from_wecom(client, code=wecom.code_for("wang"), state=state)  # the same state again
        assert response.status_code == 400 and "重新扫码登录" in response.get_data(as_text=True)
        assert signed_out(client)
        assert wecom.getuserinfo_calls == 1  # the replay never reached WeCom

    def test_a_state_after_a_successful_login_is_refused(self, app, client, make, wecom, clock):
        with_wecom_id(make, "wang")
        state = start(client)
        assert back_from_wecom(client, code=wecom.code_for("wang"), state=state).status_code == 302
        client.post("/logout")
        assert back_from_wecom(client, code=wecom.code_for("wang"), state=state).status_code == 400
        assert signed_out(client)

    def test_a_missing_state_is_refused(self, client, make, wecom, clock):
        with_wecom_id(make, "wang")
        start(client)
        response = back_from_wecom(client, code=wecom.code_for("wang"))
        assert response.status_code == 400 and signed_out(client)

    def test_a_state_from_another_browser_is_refused(self, app, client, make, wecom, clock):
        with_wecom_id(make, "wang")
        victim = app.test_client()
        state = start(client)  # the attacker's own login attempt, sent to the victim
        response = back_from_wecom(victim, code=wecom.code_for("wang"), state=state)
        assert response.status_code == 400 and signed_out(victim)

    def test_a_declined_login_has_no_code(self, client, wecom, clock):
        response = back_from_wecom(client, state=start(client))
        assert response.status_code == 400 and "没有在企业微信中确认登录" in response.get_data(as_text=True)

    def test_a_wrong_secret_is_refused_without_showing_it(self, app, client, make, wecom, clock):
        with_wecom_id(make, "wang")
        app.config["LINKDESK_WECOM_SECRET"] = "not-the-secret-4242"
        response = back_from_wecom(client, code=wecom.code_for("wang"), state=start(client))
        text = response.get_data(as_text=True)
        assert response.status_code == 502 and "40001" in text and "not-the-secret-4242" not in text
        assert signed_out(client)

    @pytest.mark.parametrize("mode", ["http500", "garbage", "html", "list"])
    def test_a_broken_answer_is_a_clear_refusal(self, client, make, wecom, clock, mode):
        with_wecom_id(make, "wang")
        code, state = wecom.code_for("wang"), start(client)
        wecom.mode = mode
        response = back_from_wecom(client, code=code, state=state)
        assert response.status_code == 502 and "企业微信" in response.get_data(as_text=True)
        assert signed_out(client)

    def test_an_unreachable_wecom_is_a_clear_refusal(self, client, make, wecom, clock):
        with_wecom_id(make, "wang")
        code, state = wecom.code_for("wang"), start(client)
        wecom.stop()
        response = back_from_wecom(client, code=code, state=state)
        assert response.status_code == 502 and "无法连接企业微信接口" in response.get_data(as_text=True)
        assert signed_out(client)


class TestTheBrowsersCode:
    """Issue 34: a code the browser brings is the browser's fault when it is no good (400), and one
    that cannot be a code is refused without asking WeCom; a WeCom-side failure stays 502 (above)."""

    @pytest.mark.parametrize("code", ["bogus", "a" * 512])
    def test_a_code_wecom_does_not_know_is_a_400(self, client, make, wecom, clock, code):
        with_wecom_id(make, "wang")
        response = back_from_wecom(client, code=code, state=start(client))
        text = response.get_data(as_text=True)
        assert response.status_code == 400 and "40029" in text and "重新扫码登录" in text
        assert wecom.getuserinfo_calls == 1 and signed_out(client)

    def test_a_used_code_is_a_400(self, client, make, wecom, clock):
        with_wecom_id(make, "wang")
        code = wecom.code_for("wang")
        assert back_from_wecom(client, code=code, state=start(client)).status_code == 302
        client.post("/logout")
        response = back_from_wecom(client, code=code, state=start(client))
        assert response.status_code == 400 and "重新扫码登录" in response.get_data(as_text=True)

    @pytest.mark.parametrize("code", ["é", "a" * 600, "code\r\nx", "code x", "代码", "a/b", "a%00"])
    def test_a_code_that_cannot_be_one_never_reaches_wecom(self, client, make, wecom, clock, code):
        with_wecom_id(make, "wang")
        response = back_from_wecom(client, code=code, state=start(client))
        text = response.get_data(as_text=True)
        assert response.status_code == 400 and "授权码无效" in text and "<html" in text.lower()
        assert wecom.getuserinfo_calls == 0 and wecom.gettoken_calls == 0
        assert signed_out(client)

    def test_the_callback_address_is_the_desks_not_the_host_header(self, client, wecom):
        # start() checks redirect_uri against LINKDESK_BASE_URL.
        start(client, Host="evil.example")
        start(client, **{"X-Forwarded-Host": "evil.example"})
