"""Evidence in a real browser (issue 22): a letter attached at filing, downloaded by the
province, asked for again on return, added and resubmitted by the clerk."""

from datetime import datetime

import pytest

from linkdesk.workdays.calendar import default_calendar, local_date

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def sign_out(page):
    page.click("text=退出")
    page.wait_for_url("**/login**")


def test_letter_at_filing_download_return_for_the_letter_and_resubmit(page, login):
    today = local_date(datetime.now().astimezone())
    earliest = default_calendar().earliest_cutover(today).earliest_cutover
    login("zhengzhou")
    page.wait_for_url("**/")
    page.goto("/tickets/new")
    page.select_option("select[name=service]", "loan_early_repayment")
    page.fill("input[name=new_url]", "https://gjj.zhengzhou.gov.cn/wsbs/early-repayment")
    page.fill("input[name=cutover_date]", earliest.isoformat())
    page.fill("textarea[name=reason]", "迁移到政务云平台")
    page.fill("input[name=contact_name]", "张经办")
    page.fill("input[name=contact_phone]", "0371-12345678")
    page.set_input_files("input[name=attachments]", files=[pdf("新页面截图.pdf")])
    page.click("#ticket-form button[type=submit]")
    page.wait_for_url("**/tickets/*")
    ticket_url = page.url
    assert "新页面截图.pdf" in page.inner_text("#attachments")

    sign_out(page)
    login("henan")
    page.wait_for_url("**/")
    page.goto(ticket_url)
    with page.expect_download() as download:
        page.click("#attachments a:has-text('新页面截图.pdf')")
    with open(download.value.path(), "rb") as handle:
        assert handle.read() == PDF
    page.fill("#decide textarea[name=comment]", "请补充盖章公函")
    page.check("input[name=require_document]")
    page.click("#decide button[value=return]")
    page.wait_for_url("**/review/**")

    sign_out(page)
    login("zhengzhou")
    page.wait_for_url("**/")
    page.goto(ticket_url)
    assert "要求补充材料" in page.inner_text("#attachments")
    page.click("text=修改并重新提交")
    page.wait_for_url("**/edit")
    page.set_input_files("input[name=attachments]", files=[pdf("盖章公函.pdf")])
    page.click("button[name=submit_for_review]")
    page.wait_for_url(ticket_url)
    assert "审核中" in page.inner_text(".heading")
    listed = page.inner_text("#attachments")
    assert "新页面截图.pdf" in listed and "盖章公函.pdf" in listed
    assert page.console_errors == [] and page.outside_requests == []
