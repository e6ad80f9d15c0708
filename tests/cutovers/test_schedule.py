"""Cutover calendar (issue 7): scope, tentative tickets, limits and blackouts, feeds, exports."""

import html
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for
from icalendar import Calendar
from sqlalchemy import func, select

from linkdesk.accounts import users
from linkdesk.cutovers.operations import add_blackout, set_max_per_day
from linkdesk.cutovers.schedule import PAGE_SIZE, SHOWN_PER_DAY, CalendarFilters, cutovers_by_day
from linkdesk.extensions import db
from linkdesk.models import Center, Province, Role, Ticket, TicketStatus
from linkdesk.web.ui import link_maker
from tests.factories import ticket_request
from tests.helpers import frozen, statements_of_page

CUTOVER = "2026-12-11"  # E(D) for a filing on Friday 2026-11-27


def file_and_approve(team, clerk="zhengzhou", service="info_query", cutover=CUTOVER, decision=None, **extra):
    """File a ticket (``extra``: more filing fields) and approve it through every stage; ``decision``:
    more fields of the final approval (an override, its comment)."""
    api = team[clerk][0]
    ticket = api.post("/tickets", ticket_request(service, cutover_date=cutover, **extra)).get_json()
    assert "id" in ticket, ticket
    if ticket["stage"] == "province":
        ticket = (
            team["henan"][0].post(f"/tickets/{ticket['id']}/decision", {"decision": "approve", "version": ticket["version"]}).get_json()
        )
    return team["ministry"][0].post(
        f"/tickets/{ticket['id']}/decision", {"decision": "approve", "version": ticket["version"], **(decision or {})}
    )


def numbers_on_calendar(api, first=CUTOVER, last=CUTOVER, **args):
    query = "&".join(f"{k}={v}" for k, v in {"from": first, "to": last, **args}.items())
    response = api.get(f"/cutovers?{query}")
    assert response.status_code == 200, response.get_json()
    return {c["number"] for c in response.get_json()["cutovers"]}


class TestScope:
    def test_approved_cutover_is_seen_by_its_center_province_and_ministry_only(self, team):
        with frozen():
            approved = file_and_approve(team).get_json()
            assert approved["status"] == "approved"
            number = approved["number"]
            for name in ("zhengzhou", "henan", "ministry"):
                assert numbers_on_calendar(team[name][0]) == {number}, name
            for name in ("luoyang", "beijing", "hubei"):
                assert numbers_on_calendar(team[name][0]) == set(), name
            assert numbers_on_calendar(team["ministry"][0], first="2026-12-10", last="2026-12-10") == set()

    def test_pending_tickets_show_only_as_tentative(self, team):
        with frozen():
            pending = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
            assert numbers_on_calendar(team["henan"][0]) == set()
            assert numbers_on_calendar(team["henan"][0], tentative="1") == {pending["number"]}
            assert numbers_on_calendar(team["hubei"][0], tentative="1") == set()

    def test_month_page_shows_the_cutover_on_its_day_to_the_center_and_not_to_others(self, client, auth, make, team):
        with frozen():
            number = file_and_approve(team).get_json()["number"]
            clerk = make.user(Role.CENTER_STAFF, center="郑州")
            auth.login(clerk.username, clerk.password)
            page = client.get("/calendar/?month=2026-12").get_data(as_text=True)
            cell = page.split('data-date="2026-12-11"', 1)[1].split("</td>", 1)[0]
            assert number in cell and "郑州" in cell
            auth.logout()
            other = make.user(Role.CENTER_STAFF, center="洛阳")
            auth.login(other.username, other.password)
            assert number not in client.get("/calendar/?month=2026-12").get_data(as_text=True)

    def test_the_month_links_to_its_own_list_and_csv_with_the_filters(self, client, auth, make, team):
        with frozen():
            number = file_and_approve(team).get_json()["number"]
            ministry = make.user(Role.MINISTRY_REVIEWER)
            auth.login(ministry.username, ministry.password)
            page = client.get("/calendar/?month=2026-12&province=41").get_data(as_text=True)
            csv_link = html.unescape(re.search(r'href="([^"]*export\.csv[^"]*)"', page).group(1))
            list_link = html.unescape(re.search(r'href="(/calendar/list[^"]*)"', page).group(1))
            for link in (csv_link, list_link):
                query = parse_qs(urlsplit(link).query)
                assert query == {"province": ["41"], "from": ["2026-12-01"], "to": ["2026-12-31"]}, link
            assert number in client.get(csv_link).get_data(as_text=True)
            assert number in client.get(list_link).get_data(as_text=True)

    def test_month_page_marks_holidays_makeup_days_and_provisional_years(self, client, auth, make):
        clerk = make.user()
        with frozen():
            auth.login(clerk.username, clerk.password)
            february = client.get("/calendar/?month=2026-02").get_data(as_text=True)
            january_2027 = client.get("/calendar/?month=2027-01").get_data(as_text=True)
        assert 'class="day holiday' in february.split('data-date="2026-02-17"')[0].rsplit("<td", 1)[1]
        assert "调休上班" in february.split('data-date="2026-02-28"')[1].split("</td>")[0]
        assert "推算" in january_2027
        assert "推算" not in february

    def test_cancelled_approved_ticket_leaves_the_calendar(self, team):
        with frozen():
            approved = file_and_approve(team).get_json()
            cancelled = team["zhengzhou"][0].post(
                f"/tickets/{approved['id']}/cancel", {"version": approved["version"], "comment": "推迟升级"}
            )
            assert cancelled.get_json()["status"] == "cancelled"
            assert numbers_on_calendar(team["ministry"][0], tentative="1") == set()


class TestRanges:
    @pytest.mark.parametrize(
        "query", ["from=2026-13-01&to=2026-12-31", "from=2026-12-31&to=2026-12-01", "from=2026-01-01&to=2027-12-31", "from=x"]
    )
    def test_bad_ranges_are_422_with_a_chinese_message(self, team, query):
        response = team["ministry"][0].get(f"/cutovers?{query}")
        assert response.status_code == 422
        assert "range" in response.get_json()["errors"]


class TestLoadAndBlackouts:
    def test_a_day_stays_full_once_its_cutovers_are_completed(self, team, make):
        make.tickets(1, date(2026, 12, 11), status=TicketStatus.COMPLETED)
        with frozen():
            set_max_per_day(team["ministry"][1].user, 1)
            filed = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
        assert "day_full" in {w["code"] for w in filed["warnings"]}

    def test_full_day_warns_at_filing_and_blocks_final_approval_without_override(self, team):
        ministry = team["ministry"][1].user
        with frozen():
            file_and_approve(team, clerk="beijing")
            set_max_per_day(ministry, 1)
            filed = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
            warning = next(w for w in filed["warnings"] if w["code"] == "day_full")
            assert "2026-12-14" in warning["message"]  # the next free working day is suggested
            step = (
                team["henan"][0].post(f"/tickets/{filed['id']}/decision", {"decision": "approve", "version": filed["version"]}).get_json()
            )
            refused = team["ministry"][0].post(f"/tickets/{filed['id']}/decision", {"decision": "approve", "version": step["version"]})
            assert refused.status_code == 422 and "override" in refused.get_json()["errors"]
            no_comment = team["ministry"][0].post(
                f"/tickets/{filed['id']}/decision", {"decision": "approve", "version": step["version"], "override": True}
            )
            assert "comment" in no_comment.get_json()["errors"]
            forced = team["ministry"][0].post(
                f"/tickets/{filed['id']}/decision",
                {
                    "decision": "approve",
                    "version": step["version"],
                    "override": True,
                    "comment": "部领导同意当日切换",
                },
            )
        assert forced.get_json()["status"] == "approved"
        assert forced.get_json()["history"][-1]["comment"] == "部领导同意当日切换"

    def test_blackout_window_warns_and_blocks(self, team):
        with frozen():
            add_blackout(team["ministry"][1].user, date(2026, 12, 10), date(2026, 12, 11), "小程序发版")
            filed = team["beijing"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
            warning = next(w for w in filed["warnings"] if w["code"] == "blackout")
            assert "小程序发版" in warning["message"] and "2026-12-14" in warning["message"]
            refused = team["ministry"][0].post(f"/tickets/{filed['id']}/decision", {"decision": "approve", "version": filed["version"]})
        assert refused.status_code == 422

    def test_settings_page_is_for_the_ministry(self, client, auth, make):
        clerk = make.user()
        auth.login(clerk.username, clerk.password)
        assert client.get("/calendar/settings").status_code == 403
        auth.logout()
        ministry = make.user(Role.MINISTRY_REVIEWER)
        auth.login(ministry.username, ministry.password)
        saved = client.post("/calendar/settings", data={"limit-max_per_day": "20"})
        assert saved.status_code == 302
        bad = client.post(
            "/calendar/settings", data={"blackout-first_day": "2026-12-11", "blackout-last_day": "2026-12-01", "blackout-reason": "发版"}
        )
        assert bad.status_code == 422 and "结束日期不能早于开始日期" in bad.get_data(as_text=True)


class TestFeeds:
    def _feed_path(self, client, auth, account):
        auth.login(account.username, account.password)
        page = client.post("/calendar/subscribe", data={"action": "issue"}).get_data(as_text=True)
        url = page.split('id="feed-url">', 1)[1].split("<", 1)[0]
        auth.logout()
        return url.replace("http://localhost", "")

    def test_feed_has_one_event_per_cutover_with_stable_uids(self, client, auth, make, team):
        with frozen():
            first = file_and_approve(team).get_json()
            second = file_and_approve(team, clerk="luoyang").get_json()
            reviewer = make.user(Role.PROVINCE_REVIEWER, province="河南")
            path = self._feed_path(client, auth, reviewer)
            body = client.get(path)
            again = client.get(path)
        assert body.status_code == 200 and body.mimetype == "text/calendar"
        events = Calendar.from_ical(body.data).walk("VEVENT")
        assert sorted(str(e["uid"]) for e in events) == sorted(f"{t['number']}@linkdesk" for t in (first, second))
        assert all(e.decoded("dtstart") == date(2026, 12, 11) for e in events)
        assert [str(e["uid"]) for e in Calendar.from_ical(again.data).walk("VEVENT")] == [str(e["uid"]) for e in events]

    def test_feed_stops_for_a_deactivated_user_and_after_revocation(self, client, auth, make):
        clerk = make.user()
        path = self._feed_path(client, auth, clerk)
        assert client.get(path).status_code == 200
        users.set_active(clerk.user, False)
        assert client.get(path).status_code == 404
        users.set_active(clerk.user, True)
        auth.login(clerk.username, clerk.password)
        client.post("/calendar/subscribe", data={"action": "revoke"})
        assert client.get(path).status_code == 404

    def test_reissuing_replaces_the_old_address(self, client, auth, make):
        clerk = make.user()
        old = self._feed_path(client, auth, clerk)
        new = self._feed_path(client, auth, clerk)
        assert client.get(old).status_code == 404 and client.get(new).status_code == 200

    def test_an_unchanged_feed_answers_304_and_a_change_gives_a_new_tag(self, client, auth, make, team):
        with frozen():
            first = file_and_approve(team).get_json()
            path = self._feed_path(client, auth, make.user(Role.MINISTRY_REVIEWER))
            body = client.get(path)
            tag = body.headers["ETag"]
            unchanged = client.get(path, headers={"If-None-Match": tag})
            file_and_approve(team, clerk="luoyang")
            changed = client.get(path, headers={"If-None-Match": tag})
        assert body.status_code == 200 and first["number"] in body.get_data(as_text=True)
        assert unchanged.status_code == 304 and unchanged.data == b"" and unchanged.headers["ETag"] == tag
        assert changed.status_code == 200 and changed.headers["ETag"] != tag
        assert len(Calendar.from_ical(changed.data).walk("VEVENT")) == 2

    def test_polling_writes_last_used_at_at_most_hourly(self, client, auth, make):
        from linkdesk.models import CalendarFeed

        clerk = make.user()
        with frozen("2026-11-27 10:00:00+08:00"):
            path = self._feed_path(client, auth, clerk)
            client.get(path)
        with frozen("2026-11-27 10:59:00+08:00"):
            client.get(path)
        first = db.session.scalar(select(CalendarFeed.last_used_at))
        with frozen("2026-11-27 11:00:00+08:00"):
            client.get(path)
        db.session.expire_all()
        later = db.session.scalar(select(CalendarFeed.last_used_at))
        assert first.hour == 2 and first.minute == 0 and later.hour == 3

    def test_csv_export_answers_304_until_the_calendar_changes(self, client, auth, make, team):
        with frozen():
            file_and_approve(team)
            ministry = make.user(Role.MINISTRY_REVIEWER)
            auth.login(ministry.username, ministry.password)
            path = f"/calendar/export.csv?from={CUTOVER}&to={CUTOVER}"
            tag = client.get(path).headers["ETag"]
            unchanged = client.get(path, headers={"If-None-Match": tag})
            other_range = client.get(f"/calendar/export.csv?from={CUTOVER}&to=2026-12-12", headers={"If-None-Match": tag})
            file_and_approve(team, clerk="luoyang")
            changed = client.get(path, headers={"If-None-Match": tag})
        assert unchanged.status_code == 304 and unchanged.data == b""
        assert other_range.status_code == 200 and changed.status_code == 200
        assert changed.get_data(as_text=True).count(CUTOVER) == 2

    def test_csv_export_of_the_visible_range(self, client, auth, make, team):
        with frozen():
            number = file_and_approve(team).get_json()["number"]
            clerk = make.user(Role.CENTER_STAFF, center="洛阳")
            auth.login(clerk.username, clerk.password)
            other = client.get(f"/calendar/export.csv?from={CUTOVER}&to={CUTOVER}").get_data(as_text=True)
            auth.logout()
            ministry = make.user(Role.MINISTRY_REVIEWER)
            auth.login(ministry.username, ministry.password)
            mine = client.get(f"/calendar/export.csv?from={CUTOVER}&to={CUTOVER}").get_data(as_text=True)
        assert number in mine and number not in other


def test_month_with_2000_cutovers_takes_a_fixed_number_of_queries(app, client, auth, make):
    """The month page asks for each day's first cutovers, the scope's day totals and the national
    loads: three statements on tickets, however many cutovers there are."""
    ministry = make.user(Role.MINISTRY_REVIEWER)

    def statements_for_month():
        return statements_of_page(client, auth, ministry, "/calendar/?month=2026-12", db.engine)

    make.tickets(10, date(2026, 12, 14))
    statements_for_month()  # the first request also builds the working-day calendar's cache
    few, _ = statements_for_month()
    make.tickets(2000, date(2026, 12, 15))
    many, page = statements_for_month()
    assert db.session.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == TicketStatus.APPROVED)) >= 2000
    assert len(many) == len(few)
    assert sum(" ticket" in s.lower() and "from ticket" in s.lower() for s in many) == 3
    assert "另有" in page  # a busy day shows a few and links to the list


def test_csv_export_of_a_reversed_range_says_why_in_chinese(client, auth, make):
    clerk = make.user()
    auth.login(clerk.username, clerk.password)
    response = client.get("/calendar/export.csv?from=2026-12-31&to=2026-12-01")
    assert response.status_code == 400 and "结束日期不能早于开始日期" in response.get_data(as_text=True)


def test_a_busy_day_shows_its_first_six_by_center_and_counts_the_rest_in_scope(app, make):
    """The month grid's chips and totals, as the ministry, a province and with filters."""
    first, last = date(2026, 11, 30), date(2027, 1, 10)
    busy, quiet = date(2026, 12, 15), date(2026, 12, 16)
    make.tickets(400, busy)  # every center once for the first service, then the second …
    make.tickets(3, quiet)
    make.tickets(20, quiet, status=TicketStatus.PENDING)
    ministry, henan = make.user(Role.MINISTRY_REVIEWER).user, make.user(Role.PROVINCE_REVIEWER).user
    by_status = select(Ticket.cutover_date, func.count()).where(Ticket.status == TicketStatus.APPROVED)

    chips, totals = cutovers_by_day(ministry, first, last)
    assert totals == dict(db.session.execute(by_status.group_by(Ticket.cutover_date)).all())
    assert totals[busy] == 400 and totals[quiet] == 3 and set(totals) == {busy, quiet}
    expected = (
        db.session.execute(
            select(Ticket.id)
            .join(Ticket.center)
            .where(Ticket.cutover_date == busy, Ticket.status == TicketStatus.APPROVED)
            .order_by(Center.code, Ticket.service_id)
            .limit(SHOWN_PER_DAY)
        )
        .scalars()
        .all()
    )
    assert [c.ticket_id for c in chips[busy]] == expected
    assert len(chips[quiet]) == 3

    chips, totals = cutovers_by_day(henan, first, last)
    in_henan = by_status.join(Ticket.center).join(Center.province).where(Province.short_name == "河南")
    assert totals[busy] == db.session.execute(in_henan.group_by(Ticket.cutover_date)).one()[1] < 400
    assert {c.province_short_name for day in chips.values() for c in day} == {"河南"}

    chips, totals = cutovers_by_day(ministry, first, last, CalendarFilters(province="湖北", service="info_query"))
    hubei = db.session.scalar(select(func.count()).select_from(Center).join(Center.province).where(Province.short_name == "湖北"))
    assert totals == {busy: hubei} and hubei > SHOWN_PER_DAY
    assert {(c.province_short_name, c.service_code) for c in chips[busy]} == {("湖北", "info_query")}
    assert len(chips[busy]) == SHOWN_PER_DAY

    chips, totals = cutovers_by_day(ministry, first, last, CalendarFilters(tentative=True))
    assert totals[quiet] == 23 and len(chips[quiet]) == SHOWN_PER_DAY


def test_the_list_pages_through_a_busy_range_a_hundred_at_a_time(client, auth, make):
    make.tickets(150, date(2026, 12, 15))
    make.tickets(80, date(2026, 12, 16))
    ministry = make.user(Role.MINISTRY_REVIEWER)
    with frozen():
        auth.login(ministry.username, ministry.password)
        path, seen, pages = "/calendar/list?from=2026-12-01&to=2026-12-31", [], 0
        while path:
            page = client.get(path).get_data(as_text=True)
            rows = re.findall(r'href="/tickets/(\d+)"', page)
            assert 0 < len(rows) <= PAGE_SIZE
            seen += rows
            pages += 1
            following = re.search(r'href="([^"]*cursor=[^"]*)">下一页', page)
            path = html.unescape(following.group(1)) if following else None
        assert pages == 3 and len(seen) == len(set(seen)) == 230
        broken = client.get("/calendar/list?from=2026-12-01&to=2026-12-31&cursor=2026-13-01_5").get_data(as_text=True)
        assert "分页游标无效" in broken and len(re.findall(r'href="/tickets/(\d+)"', broken)) == PAGE_SIZE


def test_the_month_grid_links_each_chip_to_its_ticket_and_a_busy_day_to_its_list_with_the_filters(app, client, auth, make):
    ministry = make.user(Role.MINISTRY_REVIEWER)
    ids = make.tickets(40, date(2026, 12, 15))
    with frozen():
        auth.login(ministry.username, ministry.password)
        page = client.get("/calendar/?month=2026-12&service=info_query&province=11").get_data(as_text=True)
        page_all = client.get("/calendar/?month=2026-12").get_data(as_text=True)
    chips = re.findall(r'class="chip[^"]*" href="([^"]+)"', page_all)
    assert len(chips) == 6 and all(re.fullmatch(r"/tickets/\d+", href) for href in chips)
    assert {int(href.rsplit("/", 1)[1]) for href in chips} <= set(ids)
    more = re.findall(r'class="more" href="([^"]+)"', page_all)
    assert [html.unescape(href) for href in more] == ["/calendar/list?from=2026-12-15&to=2026-12-15"]
    assert "另有" not in page  # 北京 has one center: one chip that day
    with frozen():
        assert client.get(chips[0]).status_code == 200
    ids_many = make.tickets(300, date(2026, 12, 16))
    assert ids_many
    with frozen():
        page = client.get("/calendar/?month=2026-12&service=info_query").get_data(as_text=True)
    more = [html.unescape(href) for href in re.findall(r'class="more" href="([^"]+)"', page)]
    assert more == [
        "/calendar/list?service=info_query&from=2026-12-15&to=2026-12-15",
        "/calendar/list?service=info_query&from=2026-12-16&to=2026-12-16",
    ]


def test_link_maker_gives_what_url_for_gives_even_when_a_value_holds_its_marker(app):
    with app.test_request_context("/"):
        for values in ({}, {"service": "info_query"}, {"center": "7777777777"}):
            day = link_maker("cutovers.list_", "from", "to", **values)
            assert day("2026-12-15") == url_for("cutovers.list_", **values, **{"from": "2026-12-15", "to": "2026-12-15"})
        assert link_maker("tickets.show", "ticket_id")(42) == url_for("tickets.show", ticket_id=42)
