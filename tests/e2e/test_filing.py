"""Filing a ticket and reading the calendar in a real browser."""

from datetime import datetime, timedelta

import pytest

from linkdesk.workdays.calendar import default_calendar, local_date

pytestmark = pytest.mark.e2e


def earliest_today():
    today = local_date(datetime.now().astimezone())
    return today, default_calendar().earliest_cutover(today).earliest_cutover


def test_the_form_shows_the_earliest_date_and_the_picker_cannot_go_below_it(page, login):
    today, earliest = earliest_today()
    login("zhengzhou")
    page.wait_for_url("**/")
    page.goto("/tickets/new")
    assert earliest.isoformat() in page.inner_text("#earliest")
    date_input = page.locator("input[name=cutover_date]")
    assert date_input.get_attribute("min") == earliest.isoformat()
    page.check("input[name=emergency]")
    assert date_input.get_attribute("min") == today.isoformat()  # an emergency may go earlier
    page.uncheck("input[name=emergency]")
    assert date_input.get_attribute("min") == earliest.isoformat()
    assert page.console_errors == [] and page.outside_requests == []


def test_http_asks_for_a_justification_as_the_user_types(page, login):
    login("zhengzhou")
    page.wait_for_url("**/")
    page.goto("/tickets/new")
    block = page.locator("#http-block")
    assert block.is_hidden()
    page.fill("input[name=new_url]", "http://gjj.zhengzhou.gov.cn/new")
    assert block.is_visible()
    page.fill("input[name=new_url]", "https://gjj.zhengzhou.gov.cn/new")
    assert block.is_hidden()


def test_a_refused_date_comes_back_with_everything_typed(page, login):
    _, earliest = earliest_today()
    login("zhengzhou")
    page.wait_for_url("**/")
    page.goto("/tickets/new")
    page.select_option("select[name=service]", "info_query")
    page.fill("input[name=new_url]", "https://gjj.zhengzhou.gov.cn/wsbs/v2")
    page.fill("textarea[name=reason]", "迁移到政务云平台")
    page.fill("input[name=contact_name]", "张经办")
    page.fill("input[name=contact_phone]", "0371-12345678")
    too_early = earliest - timedelta(days=1)
    # Post the date the browser's picker would not offer, as a hand-made request would.
    page.evaluate("d => { const i = document.querySelector('input[name=cutover_date]'); i.min = ''; i.value = d; }", too_early.isoformat())
    page.click("#ticket-form button[type=submit]")
    assert "最早可在" in page.inner_text(".field.has-error")
    assert page.input_value("input[name=new_url]") == "https://gjj.zhengzhou.gov.cn/wsbs/v2"
    assert page.input_value("input[name=contact_phone]") == "0371-12345678"
    page.fill("input[name=cutover_date]", earliest.isoformat())
    page.click("#ticket-form button[type=submit]")
    page.wait_for_url("**/tickets/*")
    assert "LD-" in page.inner_text("h1")
    # Chromium logs the refused post's 422 status as a console error; nothing else may appear.
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def test_reviewer_sees_the_month_calendar(page, login):
    login("ministry")
    page.wait_for_url("**/")
    page.click("text=切换日历")
    page.wait_for_url("**/calendar/**")
    assert page.locator("table.cutover-month td.today").count() == 1
    assert page.locator("table.cutover-month tbody tr td").count() % 7 == 0
    assert page.console_errors == [] and page.outside_requests == []
