"""The reviewer's workbench in a real browser (issue 16): filter the queue, open a ticket, decide
where the eye is, walk with 上一个/下一个, come back to the same filtered list, bulk-approve."""

import pytest

pytestmark = pytest.mark.e2e


def _pending_tickets(app, count: int) -> None:
    """Pending tickets at the ministry's stage, cutting over after the earliest date from today
    (the live server runs on the real clock, so dates are reckoned from it)."""
    from linkdesk.extensions import db
    from linkdesk.models import TicketStatus
    from linkdesk.models.types import utcnow
    from linkdesk.workdays.calendar import local_date
    from linkdesk.workdays.schedules import current_calendar
    from tests.factories import Factory

    with app.app_context():
        calendar = current_calendar()
        day = calendar.add_working_days(calendar.earliest_cutover(local_date(utcnow())).earliest_cutover, 5)
        Factory().tickets(count, day, status=TicketStatus.PENDING)
        db.session.remove()


def test_a_reviewer_filters_decides_walks_and_bulk_approves(page, login, live_server):
    _pending_tickets(live_server.app, 6)
    page.set_viewport_size({"width": 1366, "height": 768})
    login("ministry")
    page.wait_for_url("**/")
    page.click("nav >> text=待审工单")
    page.fill("input[name=q]", "gjj")
    page.select_option("select[name=sort]", "center")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/review/?*sort=center*")
    rows = page.locator("table.tickets tbody tr")
    assert rows.count() == 6

    rows.first.locator("a").first.click()
    page.wait_for_url("**/tickets/*queue=1*")
    approve = page.locator("#decide button[value=approve]")
    box = approve.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 768  # no scrolling to decide
    first_url = page.url
    page.click("nav.walk >> text=下一个")
    page.wait_for_url(lambda url: url != first_url)
    page.click("nav.walk >> text=上一个")
    page.wait_for_url(first_url)

    page.check("#decide input[name=then]")
    approve.click()
    page.wait_for_url(lambda url: url != first_url and "/tickets/" in url and "sort=center" in url)
    assert "已对工单" in page.inner_text("main")
    page.click("#decide button[value=approve]")  # and back to the same filtered, sorted queue
    page.wait_for_url("**/review/?*sort=center*")
    assert "q=gjj" in page.url and page.input_value("input[name=q]") == "gjj"
    assert page.locator("table.tickets tbody tr").count() == 4

    page.check("input[data-select-all]")
    page.click("button[value=approve] >> text=批准所选")
    page.wait_for_url("**/review/decisions*")
    assert "4 / 4 件已处理" in page.inner_text("main")
    page.click("text=返回待审工单")
    assert "暂无待审工单" in page.inner_text("main")
    assert page.console_errors == []
    assert page.outside_requests == []
