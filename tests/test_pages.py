"""Pages that work for everyone (issue 18), the parts a browser is not needed for: the picker's
calendar data, the month view's load marks, one lit menu item, clean exports, honest cards."""

from datetime import date

import pytest
from sqlalchemy import select

from linkdesk.cutovers.operations import add_blackout, set_max_per_day
from linkdesk.extensions import db
from linkdesk.models import Role, Ticket, TicketStatus
from tests.helpers import frozen

pytestmark = pytest.mark.usefixtures("clock")  # BEIJING_FRIDAY, 2026-11-27: E(D) = 2026-12-11


class TestPickerDays:
    def test_days_around_national_day_as_the_picker_reads_them(self, api_as):
        clerk, _ = api_as(Role.CENTER_STAFF, center="郑州")
        with frozen("2026-09-18 10:00:00+08:00"):
            answer = clerk.get("/workdays/days?from=2026-09-28&to=2026-10-11").get_json()
        assert answer["earliest_cutover"] == "2026-10-09" and answer["today"] == "2026-09-18"
        by_day = {day["date"]: day for day in answer["days"]}
        assert [d for d in by_day if not by_day[d]["working"]] == [f"2026-10-{n:02d}" for n in (1, 2, 3, 4, 5, 6, 7, 11)]
        assert by_day["2026-10-08"]["working"]  # a working day, but before E(D): the picker disables it
        assert by_day["2026-10-01"]["holiday"] and by_day["2026-10-01"]["kind"] == "holiday"
        assert by_day["2026-09-28"]["kind"] == "workday"
        assert by_day["2026-10-10"]["working"] and by_day["2026-10-10"]["kind"] == "makeup_workday"

    def test_load_is_counts_and_windows_never_names(self, api_as, team, make):
        admin = make.user(Role.MINISTRY_REVIEWER)
        set_max_per_day(admin.user, 1)
        add_blackout(admin.user, date(2026, 12, 21), date(2026, 12, 22), "年终系统封网")
        from tests.cutovers.test_schedule import file_and_approve

        file_and_approve(team, clerk="beijing")
        luoyang, _ = api_as(Role.CENTER_STAFF, center="洛阳")
        answer = luoyang.get("/workdays/days?from=2026-12-11&to=2026-12-22")
        by_day = {day["date"]: day for day in answer.get_json()["days"]}
        assert by_day["2026-12-11"]["count"] == 1 and by_day["2026-12-11"]["full"] is True
        assert by_day["2026-12-21"]["blackout"] == "年终系统封网" and by_day["2026-12-14"]["count"] == 0
        assert "北京" not in answer.get_data(as_text=True)

    @pytest.mark.parametrize(
        "query",
        [
            "from=2026-12-01&to=2028-06-01",
            "from=2100-01-01&to=2100-01-05",
            "from=2017-12-01&to=2017-12-31",
            "from=x",
            "from=2026-12-10&to=2026-12-01",
        ],
    )
    def test_bad_ranges_are_a_422(self, api_as, query):
        clerk, _ = api_as(Role.CENTER_STAFF, center="郑州")
        response = clerk.get(f"/workdays/days?{query}")
        assert response.status_code == 422 and "from" in response.get_json()["errors"]


def test_the_month_view_marks_blackout_and_full_days_and_its_legend(client, auth, make, team):
    ministry = make.user(Role.MINISTRY_REVIEWER)
    set_max_per_day(ministry.user, 1)
    add_blackout(ministry.user, date(2026, 12, 21), date(2026, 12, 22), "年终系统封网")
    from tests.cutovers.test_schedule import file_and_approve

    file_and_approve(team)
    auth.login(ministry.username, ministry.password)
    page = client.get("/calendar/?month=2026-12").get_data(as_text=True)
    full_cell = page.split('data-date="2026-12-11"')[0].rsplit("<td", 1)[1]
    assert " full" in full_cell and "已满" in page.split('data-date="2026-12-11"')[1].split("</td>")[0]
    assert " blackout" in page.split('data-date="2026-12-21"')[0].rsplit("<td", 1)[1]
    legend = page.split('<ul class="legend"')[1].split("</ul>")[0]
    assert all(word in legend for word in ("节假日", "调休上班日", "暂定", "封网期", "当日已满"))
    assert legend.count("班") == 2  # the chip's 班 and its label's, not 班班


@pytest.mark.parametrize(
    ("path", "lit"),
    [("/tickets/new", "新建工单"), ("/tickets/", "我的工单"), ("/", "首页"), ("/links/health", "链接健康"), ("/links/", "链接台账")],
)
def test_one_menu_item_is_lit(client, auth, make, path, lit):
    clerk = make.user()
    auth.login(clerk.username, clerk.password)
    page = client.get(path).get_data(as_text=True)
    nav = page.split('<nav class="mainnav"')[1].split("</nav>")[0]
    assert nav.count('aria-current="page"') == 1
    assert nav.split('aria-current="page">')[1].startswith(lit)


def test_exports_say_their_charset_once(client, auth, make):
    ministry = make.user(Role.MINISTRY_REVIEWER)
    auth.login(ministry.username, ministry.password)
    for path in ("/calendar/export.csv", "/links/export.csv", "/links/health?format=csv", "/review/audit.csv"):
        response = client.get(path)
        response.close()
        assert response.headers["Content-Type"].count("charset") == 1, path


def test_a_cancelled_ticket_no_longer_says_its_day_is_full(client, auth, make, team):
    set_max_per_day(make.user(Role.MINISTRY_REVIEWER).user, 1)
    from tests.cutovers.test_schedule import file_and_approve

    file_and_approve(team, clerk="beijing")
    second = file_and_approve(team, decision={"override": True, "comment": "已与北京错开时段"}).get_json()
    assert "day_full" in {w["code"] for w in second["warnings"]}
    team["zhengzhou"][0].post(f"/tickets/{second['id']}/cancel", {"version": second["version"], "comment": "改期"})
    clerk = make.user(Role.CENTER_STAFF, center="郑州")
    auth.login(clerk.username, clerk.password)
    page = client.get(f"/tickets/{second['id']}").get_data(as_text=True)
    assert db.session.get(Ticket, second["id"]).status is TicketStatus.CANCELLED
    assert "当日已满" not in page


def test_an_approved_ticket_shows_its_clerk_no_empty_card_and_demo_links_have_history(client, auth, app):
    from linkdesk.seed import seed_demo, seed_demo_tickets

    logins = seed_demo()
    seed_demo_tickets()
    auth.login("beijing", logins["beijing"])
    approved = db.session.scalar(select(Ticket).where(Ticket.status == TicketStatus.APPROVED))
    page = client.get(f"/tickets/{approved.id}").get_data(as_text=True)
    assert '<section class="card actions">' not in page
    history = page.split("该链接的台账历史")[1]
    assert "台账导入（演示数据）" in history and "还没有该链接的记录" not in history
