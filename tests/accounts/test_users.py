"""Issue 17: accounts people run themselves — own password change, the admin's user page
(role, scope, name, contact, 企业微信 id), one-time set-password links, first login with a
temporary password, and the audit trail of every admin change."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from linkdesk.extensions import db
from linkdesk.models import AccountEvent, Role, User
from tests.factories import ticket_request
from tests.helpers import Api

NEW_PASSWORD = "a-brand-new-passphrase"
LINK = re.compile(r"http://[^\s<\"]+/password/reset/[A-Za-z0-9_-]+")


def browser_of(app, account, password=None):
    """A browser signed in as ``account`` (call inside the frozen clock)."""
    browser = app.test_client()
    response = browser.post("/login", data={"username": account.username, "password": password or account.password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def events(user: User) -> list[tuple[str, str | None, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(AccountEvent).where(AccountEvent.user_id == user.id).order_by(AccountEvent.id)).all()
    return [(row.action, row.actor.username if row.actor else None, row.detail) for row in rows]


def reset_link_from(response) -> str:
    [link] = LINK.findall(response.get_data(as_text=True))
    return link.removeprefix("http://localhost")


class TestOwnPassword:
    def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(self, app, make, clock):
        clerk = make.user()
        here, elsewhere = browser_of(app, clerk), browser_of(app, clerk)
        response = here.post(
            "/account/password", data={"old_password": clerk.password, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        )
        assert response.status_code == 302 and response.headers["Location"] == "/account"
        assert "其他 1 处登录已退出" in here.get("/account").get_data(as_text=True)
        response = elsewhere.get("/tickets/")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert app.test_client().post("/login", data={"username": clerk.username, "password": clerk.password}).status_code == 401
        browser_of(app, clerk, NEW_PASSWORD)
        assert events(clerk.user)[-1][:2] == ("password_changed", clerk.username)

    @pytest.mark.parametrize(
        ("old", "new", "confirm", "message"),
        [
            ("wrong-old-password", NEW_PASSWORD, NEW_PASSWORD, "当前密码不正确。"),
            (None, "short", "short", "密码至少需要 10 个字符。"),
            (None, NEW_PASSWORD, NEW_PASSWORD + "x", "两次输入的新密码不一致。"),
            (None, None, None, "新密码不能与当前密码相同。"),
        ],
    )
    def test_a_refused_change_says_why_and_changes_nothing(self, app, make, clock, old, new, confirm, message):
        clerk = make.user()
        browser = browser_of(app, clerk)
        response = browser.post(
            "/account/password",
            data={"old_password": old or clerk.password, "new_password": new or clerk.password, "confirm": confirm or clerk.password},
        )
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        browser_of(app, clerk)  # the old password still works

    def test_the_account_page_links_to_the_password_change(self, app, make, clock):
        browser = browser_of(app, make.user())
        assert 'href="/account/password"' in browser.get("/account").get_data(as_text=True)


class TestResetLinks:
    def test_the_admin_issues_a_link_that_works_once(self, app, make, clock):
        clerk, admin = make.user(), make.user(Role.ADMIN)
        clerk_browser = browser_of(app, clerk)
        response = browser_of(app, admin).post(f"/admin/users/{clerk.user.id}/reset-link")
        assert response.status_code == 200
        link = reset_link_from(response)
        visitor = app.test_client()
        page = visitor.get(link)
        assert page.status_code == 200 and clerk.username in page.get_data(as_text=True)
        response = visitor.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert response.status_code == 302 and response.headers["Location"] == "/login"
        # every session of the clerk ends; the new password works, the link does not again
        assert clerk_browser.get("/tickets/").status_code == 302
        browser_of(app, clerk, NEW_PASSWORD)
        again = visitor.post(link, data={"new_password": "yet-another-password", "confirm": "yet-another-password"})
        assert again.status_code == 404 and "已使用或已过期" in again.get_data(as_text=True)
        assert [(action, actor) for action, actor, _ in events(clerk.user)][-2:] == [
            ("reset_link_issued", admin.username),
            ("password_reset", clerk.username),
        ]

    def test_a_link_expires_after_24_hours(self, app, make, clock):
        clerk, admin = make.user(), make.user(Role.ADMIN)
        link = reset_link_from(browser_of(app, admin).post(f"/admin/users/{clerk.user.id}/reset-link"))
        clock.shift(timedelta(hours=23, minutes=59))
        assert app.test_client().get(link).status_code == 200
        clock.shift(timedelta(minutes=1))
        assert app.test_client().get(link).status_code == 404
        response = app.test_client().post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert response.status_code == 404
        browser_of(app, clerk)  # the password did not change

    def test_a_new_link_ends_the_older_one(self, app, make, clock):
        clerk, admin = make.user(), make.user(Role.ADMIN)
        admin_browser = browser_of(app, admin)
        first = reset_link_from(admin_browser.post(f"/admin/users/{clerk.user.id}/reset-link"))
        second = reset_link_from(admin_browser.post(f"/admin/users/{clerk.user.id}/reset-link"))
        assert app.test_client().get(first).status_code == 404
        assert app.test_client().get(second).status_code == 200

    def test_a_weak_password_is_refused_and_the_link_still_works(self, app, make, clock):
        clerk, admin = make.user(), make.user(Role.ADMIN)
        link = reset_link_from(browser_of(app, admin).post(f"/admin/users/{clerk.user.id}/reset-link"))
        response = app.test_client().post(link, data={"new_password": "short", "confirm": "short"})
        assert response.status_code == 422 and "至少需要 10 个字符" in response.get_data(as_text=True)
        assert app.test_client().get(link).status_code == 200

    def test_a_made_up_link_is_a_clear_404(self, client):
        response = client.get("/password/reset/not-a-real-key")
        assert response.status_code == 404 and "联系管理员" in response.get_data(as_text=True)

    def test_the_cli_prints_a_link_on_the_base_url(self, app, make, runner, clock):
        clerk = make.user()
        app.config["LINKDESK_BASE_URL"] = "https://linkdesk.example.gov.cn"
        result = runner.invoke(args=["reset-password", clerk.username])
        assert result.exit_code == 0, result.output
        link = result.output.strip()
        assert link.startswith("https://linkdesk.example.gov.cn/password/reset/")
        path = link.removeprefix("https://linkdesk.example.gov.cn")
        assert app.test_client().post(path, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
        browser_of(app, clerk, NEW_PASSWORD)
        assert events(clerk.user)[-2][:2] == ("reset_link_issued", None)  # None: the command line

    def test_the_cli_names_an_unknown_user(self, runner):
        result = runner.invoke(args=["reset-password", "nobody"])
        assert result.exit_code != 0 and "找不到用户" in result.output


class TestFirstLogin:
    def test_a_user_the_admin_created_sets_their_own_password_first(self, app, make, clock):
        admin = make.user(Role.ADMIN)
        response = browser_of(app, admin).post(
            "/admin/users",
            data={
                "username": "zz-new",
                "display_name": "新经办",
                "role": "center_staff",
                "center": "郑州",
                "contact": "0371-66668888",
                "password": "temporary-password-1",
            },
        )
        assert response.status_code == 302
        new = db.session.scalar(select(User).where(User.username == "zz-new"))
        assert new.must_change_password and new.contact == "0371-66668888"
        browser = app.test_client()
        response = browser.post("/login", data={"username": "zz-new", "password": "temporary-password-1"})
        assert response.status_code == 302
        for path in ("/", "/tickets/", "/account"):
            response = browser.get(path)
            assert response.status_code == 302 and response.headers["Location"] == "/account/password"
        assert browser.get("/api/v1/tickets").status_code == 403
        assert "临时密码" in browser.get("/account/password").get_data(as_text=True)
        response = browser.post(
            "/account/password", data={"old_password": "temporary-password-1", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        )
        assert response.status_code == 302
        assert browser.get("/tickets/").status_code == 200
        assert [action for action, _, _ in events(new)] == ["created", "password_changed"]

    def test_the_cli_creates_a_user_with_a_wecom_id_and_a_temporary_password(self, runner):
        result = runner.invoke(
            args=[
                "create-user",
                "shangqiu",
                "--role",
                "center_staff",
                "--center",
                "商丘",
                "--wecom-userid",
                "ZhangSan",
                "--temporary",
                "--password",
                "temporary-password-1",
            ]
        )
        assert result.exit_code == 0, result.output
        user = db.session.scalar(select(User).where(User.username == "shangqiu"))
        assert user.wecom_userid == "zhangsan" and user.must_change_password


class TestAdminEdits:
    def test_a_clerk_moved_to_another_center_sees_it_at_the_next_request(self, app, make, clock):
        clerk, colleague, admin = make.user(center="郑州"), make.user(center="郑州"), make.user(Role.ADMIN)
        Api(app.test_client(), make.token(colleague)).post("/tickets", ticket_request(cutover_date="2026-12-11"))
        clerk_browser = browser_of(app, clerk)
        assert len(clerk_browser.get("/api/v1/tickets").get_json()) == 1
        response = browser_of(app, admin).post(
            f"/admin/users/{clerk.user.id}",
            data={"display_name": "调岗经办", "contact": "0370-1234567", "role": "center_staff", "center": "商丘", "province": "河南"},
        )
        assert response.status_code == 302
        assert clerk_browser.get("/api/v1/tickets").get_json() == []
        assert "商丘" in clerk_browser.get("/account").get_data(as_text=True)
        [(_, actor, detail)] = [e for e in events(clerk.user) if e[0] == "updated"]
        assert actor == admin.username
        assert "范围：郑州住房公积金管理中心 → 商丘市住房公积金管理中心" in detail
        assert "姓名：" in detail and "联系方式：（空） → 0370-1234567" in detail

    def test_a_role_change_is_on_the_users_admin_page(self, app, make, clock):
        clerk, admin = make.user(), make.user(Role.ADMIN)
        admin_browser = browser_of(app, admin)
        response = admin_browser.post(
            f"/admin/users/{clerk.user.id}",
            data={"display_name": clerk.user.display_name, "role": "province_reviewer", "center": "郑州", "province": "河南"},
        )
        assert response.status_code == 302
        page = admin_browser.get(f"/admin/users/{clerk.user.id}").get_data(as_text=True)
        assert "角色：中心经办人员 → 省级审核人员" in page and admin.username in page

    @pytest.mark.parametrize(
        ("change", "field_message"),
        [
            ({"center": "火星"}, "找不到中心“火星”"),
            ({"role": "province_reviewer", "province": ""}, "该角色必须指定省份"),
            ({"display_name": ""}, "请输入姓名"),
            ({"wecom_userid": "not valid!"}, "企业微信账号（UserID）为"),
        ],
    )
    def test_a_refused_edit_says_why_and_changes_nothing(self, app, make, clock, change, field_message):
        clerk, admin = make.user(), make.user(Role.ADMIN)
        data = {"display_name": "经办", "role": "center_staff", "center": "郑州", **change}
        response = browser_of(app, admin).post(f"/admin/users/{clerk.user.id}", data=data)
        assert response.status_code == 422
        assert field_message in response.get_data(as_text=True)
        db.session.expire_all()
        assert clerk.user.center.short_name == "郑州" and clerk.user.role is Role.CENTER_STAFF
        assert [action for action, _, _ in events(clerk.user)] == ["created"]

    def test_a_wecom_id_belongs_to_one_user(self, app, make, clock):
        first, second, admin = make.user(), make.user(), make.user(Role.ADMIN)
        admin_browser = browser_of(app, admin)
        data = {"display_name": "经办", "role": "center_staff", "center": "郑州", "wecom_userid": "LiSi"}
        assert admin_browser.post(f"/admin/users/{first.user.id}", data=data).status_code == 302
        response = admin_browser.post(f"/admin/users/{second.user.id}", data={**data, "wecom_userid": "lisi"})
        assert response.status_code == 422 and f"已对应用户 {first.username}" in response.get_data(as_text=True)

    def test_activation_changes_are_audited(self, app, make, clock):
        clerk, admin = make.user(), make.user(Role.ADMIN)
        admin_browser = browser_of(app, admin)
        admin_browser.post(f"/admin/users/{clerk.user.id}/active/off")
        admin_browser.post(f"/admin/users/{clerk.user.id}/active/on")
        assert [(a, actor) for a, actor, _ in events(clerk.user)][1:] == [("deactivated", admin.username), ("activated", admin.username)]
        page = admin_browser.get(f"/admin/users/{clerk.user.id}").get_data(as_text=True)
        assert "停用账号" in page and "启用账号" in page

    def test_an_admin_cannot_take_away_their_own_role(self, app, make, clock):
        admin = make.user(Role.ADMIN)
        response = browser_of(app, admin).post(
            f"/admin/users/{admin.user.id}", data={"display_name": "管理员", "role": "center_staff", "center": "郑州"}
        )
        assert response.status_code == 422 and "不能修改自己的角色" in response.get_data(as_text=True)

    def test_only_the_admin_reaches_a_users_page(self, app, make, clock):
        clerk, ministry = make.user(), make.user(Role.MINISTRY_REVIEWER)
        browser = browser_of(app, ministry)
        assert browser.get(f"/admin/users/{clerk.user.id}").status_code == 403
        assert browser.post(f"/admin/users/{clerk.user.id}/reset-link").status_code == 403

    def test_an_unknown_user_is_404(self, app, make, clock):
        browser = browser_of(app, make.user(Role.ADMIN))
        assert browser.get("/admin/users/999999").status_code == 404
