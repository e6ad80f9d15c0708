"""Logging in and out in a real browser."""

import pytest

pytestmark = pytest.mark.e2e


def test_demo_clerk_logs_in_and_sees_the_chinese_home_page(page, login):
    login("zhengzhou")
    page.wait_for_url("**/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "郑州住房公积金管理中心" in page.inner_text("header")
    assert page.locator(".tile").count() >= 3
    assert page.console_errors == []
    assert page.outside_requests == []


def test_wrong_password_shows_the_error(page, login):
    login("zhengzhou", "definitely-wrong")
    assert page.locator(".error").inner_text() == "用户名或密码错误。"
    assert "/login" in page.url
    assert page.outside_requests == []


def test_logout(page, login):
    login("zhengzhou")
    page.wait_for_url("**/")
    page.click("text=退出")
    page.wait_for_url("**/login")
    assert "您已安全退出" in page.inner_text("main")
    page.goto("/")
    assert "/login" in page.url
