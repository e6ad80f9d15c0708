"""Pages that work for everyone (issue 18): every page of the menu, as every role, at a desktop
and at a phone width — no sideways scrolling of the page, no console error, and no accessibility
violation of impact serious or critical (axe-core, WCAG 2.1 AA); print; the date picker."""

from datetime import timedelta

import pytest
import time_machine
from axe_playwright_python.sync_playwright import Axe

from linkdesk.extensions import db
from linkdesk.seed import seed_demo_tickets

pytestmark = pytest.mark.e2e

ROLES = ["zhengzhou", "henan", "ministry", "admin"]
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, "resultTypes": ["violations"]}


def with_demo_tickets(live_server) -> None:
    with live_server.app.app_context():
        seed_demo_tickets()
        db.session.remove()


def serious_violations(page) -> list[str]:
    results = Axe().run(page, options=AXE_RULES)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def menu_paths(page) -> list[str]:
    return page.eval_on_selector_all("nav.mainnav a", "links => links.map(a => a.getAttribute('href'))")


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_menu_fits_the_screen_and_passes_axe(page, login, live_server, role, width):
    with_demo_tickets(live_server)
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    login(role)
    page.wait_for_url("**/")
    paths = menu_paths(page)
    assert paths, "no menu"
    if role == "zhengzhou":
        paths += ["/tickets/1", "/account"]
    problems = []
    for path in paths:
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 1:
            problems.append(f"{path}: the page scrolls sideways by {overflow} px")
        problems += [f"{path}: {v}" for v in serious_violations(page)]
    assert problems == [], "\n".join(problems)
    assert page.console_errors == []
    assert page.outside_requests == []


def test_one_menu_item_is_lit_and_the_skip_link_comes_first(page, login):
    login("zhengzhou")
    page.wait_for_url("**/")
    page.goto("/tickets/new")
    assert page.locator("nav.mainnav a[aria-current=page]").all_inner_texts() == ["新建工单"]
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到主要内容"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_a_printed_ticket_is_the_record_without_navigation_or_forms(page, login, live_server):
    with_demo_tickets(live_server)
    login("zhengzhou")
    page.wait_for_url("**/")
    page.goto("/tickets/1")
    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()
    assert [form for form in page.locator("form").all() if form.is_visible()] == []
    text = page.inner_text("main")
    assert "工单" in text and "处理记录" in text and "地址对比" in text


# A session signed at a moment before the browser's real clock: the cookie must outlive it.
@pytest.mark.app_config(PERMANENT_SESSION_LIFETIME=timedelta(days=3650))
def test_the_date_picker_knows_the_national_day_holiday(page, login):
    with time_machine.travel("2026-09-18 10:00:00+08:00", tick=True):  # a Friday
        login("zhengzhou")
        page.wait_for_url("**/")
        page.goto("/tickets/new")
        assert page.get_attribute("#earliest", "data-earliest") == "2026-10-09"
        picker = page.locator(".picker")  # opens on the month of the earliest day
        picker.locator("button[data-date='2026-10-31']").wait_for()
        assert "2026 年 10 月" in picker.inner_text()
        assert picker.locator("button[data-date='2026-09-30']").is_disabled()  # a working day, before E(D)
        for day in range(1, 9):
            assert picker.locator(f"button[data-date='2026-10-{day:02d}']").is_disabled(), day
        first = picker.locator("button[data-date^='2026-10']:not([disabled])").first
        assert first.get_attribute("data-date") == "2026-10-09"
        saturday = picker.locator("button[data-date='2026-10-10']")
        assert saturday.is_enabled() and "班" in saturday.inner_text()
        saturday.click()
        assert page.input_value("[name=cutover_date]") == "2026-10-10"
        assert picker.locator("button[data-date='2026-10-11']").is_disabled()  # an ordinary Sunday
        picker.get_by_role("button", name="上一个月").click()
        picker.locator("button[data-date='2026-09-01']").wait_for()
        assert picker.locator("button[data-date^='2026-09']:not([disabled])").count() == 0
    assert page.console_errors == []
