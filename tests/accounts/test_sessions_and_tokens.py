"""Issue 15 (3, 4): sessions the server ends, and API tokens that expire and can be revoked."""

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from linkdesk.extensions import db
from linkdesk.models import ApiToken, Role
from tests.helpers import Api

START = "2026-11-25 02:00:00+00:00"
COOKIE = "linkdesk_session"


def copy_session(source, target) -> None:
    """What an attacker with the cookie has: the same session cookie in another browser."""
    target.set_cookie(COOKIE, source.get_cookie(COOKIE).value)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


class TestSessions:
    def test_a_copied_cookie_stops_working_at_logout(self, app, client, auth, make, clock):
        clerk = make.user()
        auth.login(clerk.username, clerk.password)
        thief = app.test_client()
        copy_session(client, thief)
        assert thief.get("/tickets/").status_code == 200
        assert thief.get("/api/v1/tickets").status_code == 200
        auth.logout()
        assert thief.get("/tickets/").status_code == 302
        assert thief.get("/api/v1/tickets").status_code == 401

    def test_deactivation_ends_the_users_sessions(self, app, client, auth, make, clock):
        clerk = make.user()
        auth.login(clerk.username, clerk.password)
        admin_browser = app.test_client()
        admin = make.user(Role.ADMIN)
        admin_browser.post("/login", data={"username": admin.username, "password": admin.password})
        assert admin_browser.post(f"/admin/users/{clerk.user.id}/active/off").status_code == 302
        response = client.get("/tickets/")
        assert response.status_code == 302 and "/login" in response.headers["Location"]

    def test_an_active_session_ends_after_the_absolute_lifetime(self, client, auth, make, clock):
        clerk = make.user()
        auth.login(clerk.username, clerk.password)
        for _ in range(12 * 3):  # a page every 20 minutes, never idle
            clock.shift(timedelta(minutes=20))
            assert client.get("/tickets/").status_code == 200
        clock.shift(timedelta(minutes=1))
        response = client.get("/tickets/", follow_redirects=True)
        assert "最长有效时间" in response.get_data(as_text=True)

    def test_end_other_sessions_from_the_account_page(self, app, client, auth, make, clock):
        clerk = make.user()
        auth.login(clerk.username, clerk.password)
        laptop = app.test_client()
        laptop.post("/login", data={"username": clerk.username, "password": clerk.password})
        page = client.get("/account").get_data(as_text=True)
        assert page.count("<tr>") >= 3 and "当前设备" in page and "退出其他设备" in page
        assert client.post("/account/sessions/end-others").status_code == 302
        assert laptop.get("/").status_code == 302
        assert client.get("/").status_code == 200

    def test_a_cookie_from_before_server_sessions_is_signed_out(self, app, client, auth, make, clock):
        clerk = make.user()
        with client.session_transaction() as session:  # a valid Flask-Login cookie without a server session
            session["_user_id"] = str(clerk.user.id)
            session["_fresh"] = True
        assert client.get("/tickets/").status_code == 302


class TestTokens:
    def test_an_expired_token_is_a_401(self, client, make, clock):
        from linkdesk.accounts.tokens import create_token

        clerk = make.user()
        api = Api(client, create_token(clerk.user, expires_days=1))
        assert api.get("/tickets").status_code == 200
        clock.shift(timedelta(days=1, seconds=1))
        assert api.get("/tickets").status_code == 401

    def test_the_cli_issues_lists_and_revokes_without_showing_a_secret(self, client, runner, make, clock):
        clerk = make.user()
        token = runner.invoke(args=["create-token", clerk.username, "--expires-days", "30"]).output.strip()
        api = Api(client, token)
        assert api.get("/tickets").status_code == 200
        listing = runner.invoke(args=["tokens", "list", clerk.username]).output
        assert token[:8] in listing and token not in listing and "有效" in listing and "2026-12-25" in listing
        revoked = runner.invoke(args=["tokens", "revoke", token[:8]])
        assert revoked.exit_code == 0, revoked.output
        assert api.get("/tickets").status_code == 401
        assert "已吊销" in runner.invoke(args=["tokens", "list"]).output
        assert runner.invoke(args=["tokens", "revoke", token[:8]]).exit_code != 0  # nothing live left
        assert runner.invoke(args=["create-token", clerk.username, "--expires-days", "0"]).exit_code != 0

    def test_last_used_is_written_at_most_once_a_minute(self, client, make, clock):
        clerk = make.user()
        api = Api(client, make.token(clerk))

        def last_used():
            db.session.expire_all()
            return db.session.scalar(select(ApiToken.last_used_at))

        api.get("/services")
        first = last_used()
        assert first is not None
        clock.shift(timedelta(seconds=30))
        api.get("/services")
        assert last_used() == first
        clock.shift(timedelta(seconds=31))
        api.get("/services")
        assert last_used() == first + timedelta(seconds=61)

    def test_the_account_page_shows_a_new_token_once_and_revokes_only_ones_own(self, client, auth, make, clock):
        clerk, other = make.user(), make.user(center="洛阳")
        others_token = make.token(other)
        auth.login(clerk.username, clerk.password)
        issued = client.post("/account/tokens", data={"expires_days": "90"}).get_data(as_text=True)
        token = re.search(r'<code class="token">([^<]+)</code>', issued).group(1)
        assert client.get("/account").get_data(as_text=True).count(token) == 0
        assert token[:8] in client.get("/account").get_data(as_text=True)
        client.post(f"/account/tokens/{others_token[:8]}/revoke")
        assert Api(client, others_token).get("/services").status_code == 200
        client.post(f"/account/tokens/{token[:8]}/revoke")
        assert Api(client, token).get("/services").status_code == 401
        assert client.post("/account/tokens", data={"expires_days": "99999"}).status_code == 422

    def test_the_admin_sees_every_token_and_revokes_any(self, client, auth, make, clock):
        clerk = make.user()
        token = make.token(clerk)
        admin = make.user(Role.ADMIN)
        auth.login(admin.username, admin.password)
        page = client.get("/admin/tokens").get_data(as_text=True)
        assert token[:8] in page and token not in page and clerk.username in page
        assert client.post(f"/admin/tokens/{token[:8]}/revoke").status_code == 302
        assert Api(client, token).get("/services").status_code == 401
