"""Accounts in a real browser (issue 17): the admin resets a clerk's password with a one-time
link; the clerk sets a new password through it and logs in."""

import pytest

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "zhengzhou-new-passphrase"


def test_admin_resets_a_clerks_password_and_the_clerk_sets_a_new_one(page, login, live_server):
    login("admin")
    page.wait_for_url("**/")
    page.goto("/admin/users")
    page.locator("table tbody tr", has_text="zhengzhou").locator("a").first.click()
    page.wait_for_url("**/admin/users/*")
    page.click("text=生成重置密码链接")
    link = page.locator("#reset-link").inner_text().strip()
    assert "/password/reset/" in link
    assert "生成重置密码链接" in page.inner_text("main")  # the audit trail names it
    page.click("text=退出")
    page.wait_for_url("**/login")

    page.goto(link)
    assert "zhengzhou" in page.inner_text("main")
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=confirm]", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/login")
    assert "密码已设置" in page.inner_text("main")

    login("zhengzhou")  # the old password no longer works
    assert page.locator(".error").inner_text() == "用户名或密码错误。"
    login("zhengzhou", NEW_PASSWORD)
    page.wait_for_url("**/")
    assert "郑州住房公积金管理中心" in page.inner_text("header")

    page.goto(link)  # used once: gone
    assert "已使用或已过期" in page.inner_text("main")
    assert [e for e in page.console_errors if "status of 401" not in e and "status of 404" not in e] == []
    assert page.outside_requests == []
