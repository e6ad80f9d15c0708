"""Roles and scope: pages, the admin area, the create-user and create-token commands."""

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from linkdesk.accounts.access import center_clause, scoped_centers
from linkdesk.extensions import db
from linkdesk.models import Role, User


def test_admin_pages_are_403_for_other_roles(client, auth, make):
    clerk = make.user()
    auth.login(clerk.username, clerk.password)
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "没有权限" in response.get_data(as_text=True)


def test_admin_creates_and_deactivates_a_user(client, auth, make):
    admin = make.user(Role.ADMIN)
    auth.login(admin.username, admin.password)
    response = client.post(
        "/admin/users",
        data={
            "username": "shangqiu1",
            "display_name": "商丘经办",
            "role": "center_staff",
            "center": "商丘",
            "province": "",
            "password": "a-long-enough-password",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "shangqiu1"))
    assert user.center.short_name == "商丘"
    client.post(f"/admin/users/{user.id}/active/off")
    db.session.refresh(user)
    assert user.active is False


def test_admin_form_errors_are_chinese_and_keep_the_input(client, auth, make):
    admin = make.user(Role.ADMIN)
    auth.login(admin.username, admin.password)
    response = client.post(
        "/admin/users", data={"username": "x1", "role": "center_staff", "center": "不存在", "password": "a-long-enough-password"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "找不到中心“不存在”" in page and 'value="x1"' in page


def test_admin_cannot_deactivate_themselves(client, auth, make):
    admin = make.user(Role.ADMIN)
    auth.login(admin.username, admin.password)
    client.post(f"/admin/users/{admin.user.id}/active/off")
    db.session.refresh(admin.user)
    assert admin.user.active


@pytest.mark.parametrize(
    ("role", "scope", "expected"),
    [
        (Role.CENTER_STAFF, {"center": "郑州"}, {"郑州"}),
        (Role.PROVINCE_REVIEWER, {"province": "河南"}, None),
        (Role.MINISTRY_REVIEWER, {}, None),
    ],
)
def test_scoped_centers(make, role, scope, expected):
    user = make.user(role, **scope).user
    names = {c.short_name for c in db.session.scalars(scoped_centers(user))}
    if role is Role.CENTER_STAFF:
        assert names == expected
    elif role is Role.PROVINCE_REVIEWER:
        assert {"郑州", "商丘"} <= names and "武汉" not in names
    else:
        assert len(names) >= 300


def test_create_user_command(runner):
    result = runner.invoke(
        args=["create-user", "zz2", "--role", "center_staff", "--center", "410100", "--password", "a-long-enough-password"]
    )
    assert result.exit_code == 0, result.output
    assert "郑州住房公积金管理中心" in result.output


def test_create_user_command_refuses_a_missing_scope(runner):
    result = runner.invoke(args=["create-user", "hn2", "--role", "province_reviewer", "--password", "a-long-enough-password"])
    assert result.exit_code != 0
    assert "必须指定省份" in result.output


def test_create_user_command_refuses_a_short_password(runner):
    result = runner.invoke(args=["create-user", "m2", "--role", "ministry_reviewer", "--password", "short"])
    assert result.exit_code != 0 and "至少需要" in result.output


def test_create_token_prints_a_token_stored_only_as_a_digest(runner, make, client):
    clerk = make.user()
    result = runner.invoke(args=["create-token", clerk.username])
    token = result.output.strip()
    assert token.startswith("ld_")
    from linkdesk.models import ApiToken

    stored = db.session.scalar(select(ApiToken))
    assert token not in (stored.digest, stored.prefix)
    assert client.get("/api/v1/services", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_bearer_token_wins_over_the_session_cookie(client, auth, api_as):
    from tests.factories import ticket_request
    from tests.helpers import frozen

    clerk_api, clerk = api_as(Role.CENTER_STAFF, center="郑州")
    hubei, _ = api_as(Role.PROVINCE_REVIEWER, province="湖北")
    with frozen():
        assert clerk_api.post("/tickets", ticket_request(cutover_date="2026-12-11")).status_code == 201
        auth.login(clerk.username, clerk.password)  # the browser now holds the clerk's session
        assert len(client.get("/api/v1/tickets").get_json()) == 1
        bad = client.get("/api/v1/tickets", headers={"Authorization": "Bearer ld_not-a-real-token"})
        assert bad.status_code == 401 and bad.is_json
        assert hubei.get("/tickets").get_json() == []


def test_a_province_scope_is_told_broad_to_sqlite_and_is_plain_sql_elsewhere(app, make):
    """extensions.broad: SQLite's planner hears that a province's condition holds for many rows
    (likelihood), so that a province's list walks its sort's index; PostgreSQL gets the condition."""
    reviewer = make.user(Role.PROVINCE_REVIEWER, province="河南").user
    clause = center_clause(reviewer)
    assert str(clause.compile(dialect=sqlite.dialect())) == "likelihood(center.province_id = ?, 0.9)"
    assert str(clause.compile(dialect=postgresql.dialect())) == "center.province_id = %(province_id_1)s::INTEGER"
