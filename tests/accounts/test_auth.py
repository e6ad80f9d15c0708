"""Logging in and out, password storage, throttling, CSRF, idle sessions."""

import re

import pytest
import time_machine
from sqlalchemy import select

from linkdesk import create_app
from linkdesk.accounts.passwords import verify_password
from linkdesk.extensions import db
from linkdesk.models import LoginAttempt, Role
from tests.helpers import app_config


def test_login_page_is_chinese(client):
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page and 'lang="zh-CN"' in page


def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_and_logout(client, auth, make):
    clerk = make.user(Role.CENTER_STAFF)
    response = auth.login(clerk.username, clerk.password)
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "郑州住房公积金管理中心" in home
    auth.logout()
    assert client.get("/").status_code == 302


def test_wrong_password_shows_a_chinese_error(auth, make):
    clerk = make.user()
    response = auth.login(clerk.username, "not-the-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_unknown_user_gets_the_same_answer(auth):
    response = auth.login("nobody", "whatever-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_deactivated_user_cannot_log_in(auth, make):
    clerk = make.user()
    clerk.user.active = False
    db.session.commit()
    assert auth.login(clerk.username, clerk.password).status_code == 401


def test_passwords_are_stored_as_argon2id_at_owasp_parameters(make):
    account = make.user()
    stored = account.user.password_hash
    assert stored.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in stored
    assert account.password not in stored
    assert verify_password(stored, account.password)
    assert not verify_password(stored, account.password + "x")


def test_open_redirect_after_login_is_refused(client, make):
    clerk = make.user()
    response = client.post("/login?next=//evil.example/x", data={"username": clerk.username, "password": clerk.password})
    assert response.headers["Location"] == "/"


def test_next_parameter_is_followed_when_local(client, make):
    admin = make.user(Role.ADMIN)
    response = client.post("/login?next=/admin/users", data={"username": admin.username, "password": admin.password})
    assert response.headers["Location"] == "/admin/users"


class TestThrottling:
    def test_ten_wrong_passwords_slow_the_attacker_down(self, client, auth, make):
        clerk = make.user()
        with time_machine.travel("2026-11-25 02:00:00+00:00", tick=False):
            answers = [auth.login(clerk.username, f"guess-{n}").status_code for n in range(10)]
        assert answers[:5] == [401] * 5
        assert 429 in answers[5:]
        with time_machine.travel("2026-11-25 02:00:00+00:00", tick=False):
            throttled = auth.login(clerk.username, clerk.password)
        assert throttled.status_code == 429
        assert "秒后再试" in throttled.get_data(as_text=True)

    def test_the_real_user_from_another_address_is_not_locked_out(self, app, make):
        clerk = make.user()
        attacker = app.test_client()
        with time_machine.travel("2026-11-25 02:00:00+00:00", tick=False):
            for n in range(12):
                attacker.post("/login", data={"username": clerk.username, "password": f"g{n}"}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
            real = app.test_client().post(
                "/login", data={"username": clerk.username, "password": clerk.password}, environ_base={"REMOTE_ADDR": "198.51.100.7"}
            )
        assert real.status_code == 302

    def test_the_delay_ends_so_nobody_is_locked_out_for_good(self, client, auth, make):
        clerk = make.user()
        with time_machine.travel("2026-11-25 02:00:00+00:00", tick=False):
            for n in range(8):
                auth.login(clerk.username, f"guess-{n}")
        with time_machine.travel("2026-11-25 02:20:00+00:00", tick=False):
            assert auth.login(clerk.username, clerk.password).status_code == 302

    def test_success_clears_the_failures(self, client, auth, make):
        clerk = make.user()
        for n in range(3):
            auth.login(clerk.username, f"guess-{n}")
        auth.login(clerk.username, clerk.password)
        assert db.session.scalars(select(LoginAttempt)).all() == []


def test_a_login_form_without_csrf_token_is_refused(database_url, make):
    app = create_app(app_config(database_url, WTF_CSRF_ENABLED=True))
    with app.app_context():
        clerk = make.user()
        client = app.test_client()
        response = client.post("/login", data={"username": clerk.username, "password": clerk.password})
        assert response.status_code == 400
        assert "表单已过期" in response.get_data(as_text=True)
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post("/login", data={"username": clerk.username, "password": clerk.password, "csrf_token": token})
        assert response.status_code == 302
        db.session.remove()
        db.engine.dispose()  # this app's own pool: a connection left open leaks to the garbage collector


def test_session_ends_after_inactivity(client, auth, make):
    clerk = make.user()
    with time_machine.travel("2026-11-25 02:00:00+00:00", tick=False):
        auth.login(clerk.username, clerk.password)
        assert client.get("/").status_code == 200
    with time_machine.travel("2026-11-25 02:25:00+00:00", tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel("2026-11-25 03:00:00+00:00", tick=False):
        response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_session_cookie_flags(client, auth, make):
    clerk = make.user()
    response = auth.login(clerk.username, clerk.password)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("role", list(Role))
def test_home_page_tells_each_role_its_work(client, auth, make, role):
    account = make.user(role)
    auth.login(account.username, account.password)
    page = client.get("/").get_data(as_text=True)
    assert account.user.role.label in page
