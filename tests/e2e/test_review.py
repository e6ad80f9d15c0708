"""A reviewer's day in a real browser: the queue, the ticket page, a decision."""

import pytest

pytestmark = pytest.mark.e2e


def test_ministry_returns_a_ticket_with_a_comment_and_the_clerk_sees_why(page, login, live_server):
    from linkdesk.extensions import db
    from linkdesk.seed import seed_demo_tickets

    with live_server.app.app_context():
        seed_demo_tickets()
        db.session.remove()
    login("ministry")
    page.wait_for_url("**/")
    page.click("nav >> text=待审工单")
    page.wait_for_url("**/review/**")
    row = page.locator("table tbody tr", has_text="郑州")
    assert row.count() == 1  # the 郑州 ticket the 河南 reviewer already approved
    assert "http" in row.inner_text()  # its badge
    row.locator("a").first.click()
    page.wait_for_url("**/tickets/*")
    assert "原地址" in page.inner_text("main") or "现行地址" in page.inner_text("main")
    page.click("#decide button[value=return]")  # no comment: refused, page kept
    assert "必须填写意见" in page.inner_text("main")
    page.fill("#decide textarea[name=comment]", "请改用 https 地址后重新提交")
    page.click("#decide button[value=return]")
    page.wait_for_url("**/review/**")
    assert page.locator("table tbody tr", has_text="郑州").count() == 0
    page.click("text=退出")
    login("zhengzhou")
    page.wait_for_url("**/")
    page.goto("/tickets/?status=returned")
    page.locator("table tbody tr a").first.click()
    assert "请改用 https 地址后重新提交" in page.inner_text("main")
    assert [e for e in page.console_errors if "status of 422" not in e] == []
    assert page.outside_requests == []
