"""The API page (/api/v1/docs) in a real browser, under the app's strict CSP: Swagger UI draws the
document, "Try it out" answers as the signed-in user, and nothing is refused or fetched elsewhere."""

import pytest

pytestmark = pytest.mark.e2e


def test_the_api_page_draws_the_document_under_the_csp(page, login):
    login("zhengzhou")
    page.wait_for_url("**/")
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path")
    assert "linkdesk 链接变更工单台 API" in page.inner_text(".info .title")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/tickets/{ticket_id}/decision" in paths and "/workdays/earliest" in paths
    assert "最早切换日期 E(D)" in page.inner_text("#swagger-ui")

    block = page.locator(".opblock-get", has=page.locator("[data-path='/services']"))
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").click()
    block.locator(".responses-table .response .response-col_status").first.wait_for()
    assert "info_query" in block.locator(".live-responses-table").inner_text()

    assert page.console_errors == []  # a refused script or style is a console error
    assert page.outside_requests == []
