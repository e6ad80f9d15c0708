"""The reviewer's workbench (issue 16): search and lists in scope, decided_by=me, sort, filters that
survive a decision, 上一个/下一个, bulk decisions, review deadlines."""

from datetime import date

import pytest
from sqlalchemy import func, select, text

from linkdesk.extensions import db
from linkdesk.models import AuditEvent, Role, Ticket, TicketStatus
from linkdesk.models.tickets import COLUMN_WARNING_SQL
from linkdesk.tickets import listing
from linkdesk.tickets.deadlines import ReviewClock
from linkdesk.workdays.calendar import default_calendar
from tests.helpers import Api, file_ticket, frozen, recorded_statements


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [ticket["number"] for ticket in response.get_json()]


@pytest.fixture
def filed(team):
    """A 郑州 ticket (host gjj.zhengzhou-move.gov.cn), a 洛阳 one and a 北京 one, filed on the frozen Friday."""
    with frozen():
        zz = file_ticket(team["zhengzhou"][0], new_url="https://gjj.zhengzhou-move.gov.cn/query")
        ly = file_ticket(team["luoyang"][0], service="transfer", new_url="https://gjj.luoyang.gov.cn/transfer")
        bj = file_ticket(team["beijing"][0], cutover="2026-12-14")
    return {"zhengzhou": zz, "luoyang": ly, "beijing": bj}


class TestSearch:
    @pytest.mark.parametrize("query", ["LD-2026-000001", "zhengzhou-move", "郑州住房公积金"])
    def test_search_finds_exactly_the_scoped_tickets(self, team, filed, query):
        with frozen():
            assert _numbers(team["henan"][0].get("/tickets", query_string={"q": query})) == [filed["zhengzhou"]["number"]]
            assert _numbers(team["ministry"][0].get("/tickets", query_string={"q": query})) == [filed["zhengzhou"]["number"]]
            hubei = team["hubei"][0].get("/tickets", query_string={"q": query})
            assert _numbers(hubei) == [] and hubei.headers["X-Total-Count"] == "0"

    def test_the_page_searches_in_scope_too(self, team, filed, client, auth, make):
        hubei = make.user(Role.PROVINCE_REVIEWER, province="湖北")
        henan = make.user(Role.PROVINCE_REVIEWER, province="河南")
        with frozen():
            auth.login(hubei.username, hubei.password)
            page = client.get("/tickets/", query_string={"q": "郑州"}).get_data(as_text=True)
            assert filed["zhengzhou"]["number"] not in page and "共 0 条" in page
            auth.logout()
            auth.login(henan.username, henan.password)
            page = client.get("/tickets/", query_string={"q": "zhengzhou-move"}).get_data(as_text=True)
        assert filed["zhengzhou"]["number"] in page and filed["luoyang"]["number"] not in page

    def test_a_search_pattern_is_text_not_a_wildcard(self, team, filed):
        with frozen():
            assert _numbers(team["ministry"][0].get("/tickets?q=%25")) == []
            assert _numbers(team["ministry"][0].get("/tickets?q=gjj_example")) == []  # "_" is no wildcard

    def test_filters_combine_and_the_total_counts_all_pages(self, team, filed):
        ministry = team["ministry"][0]
        with frozen():
            response = ministry.get("/tickets?stage=province&limit=1&sort=center")
            assert response.headers["X-Total-Count"] == "2" and 'rel="next"' in response.headers["Link"]
            assert _numbers(response) == [filed["zhengzhou"]["number"]]  # 郑州 4101.. before 洛阳 4103..
            assert _numbers(ministry.get("/tickets?province=河南&service=transfer")) == [filed["luoyang"]["number"]]
            assert _numbers(ministry.get("/tickets?from=2026-12-14&to=2026-12-14")) == [filed["beijing"]["number"]]
            assert set(_numbers(ministry.get("/tickets?sort=-cutover"))[:1]) == {filed["beijing"]["number"]}

    def test_warnings_filter_by_code(self, team, filed):
        with frozen():
            http = file_ticket(
                team["beijing"][0], service="transfer", new_url="http://gjj.beijing.gov.cn/t", http_justification="旧系统暂不支持 https"
            )
            assert _numbers(team["ministry"][0].get("/tickets?warning=http")) == [http["number"]]

    @pytest.mark.parametrize("query", ["status=nope", "from=2026-13-01", "sort=bogus", "decided_by=you", "q=" + "x" * 101])
    def test_bad_filters_are_refused_by_name(self, team, query):
        with frozen():
            response = team["ministry"][0].get(f"/tickets?{query}")
        assert response.status_code == 422
        assert query.split("=")[0] in response.get_json()["errors"]

    def test_reviewers_now_have_the_list_page(self, team, filed, client, auth, make):
        ministry = make.user(Role.MINISTRY_REVIEWER)
        with frozen():
            auth.login(ministry.username, ministry.password)
            page = client.get("/tickets/?sort=cutover")
        assert page.status_code == 200 and "工单查询" in page.get_data(as_text=True)


def test_decided_by_me_lists_what_i_decided_after_it_moved_on(team, filed):
    henan = team["henan"][0]
    with frozen():
        ticket = filed["zhengzhou"]
        assert henan.post(f"/tickets/{ticket['id']}/decision", {"decision": "approve", "version": ticket["version"]}).status_code == 200
        moved = henan.get("/tickets?decided_by=me").get_json()
        assert [(t["number"], t["stage"]) for t in moved] == [(ticket["number"], "ministry")]
        assert henan.get("/tickets?decided_by=me&awaiting_me=1").get_json() == []  # no longer waiting for me
        assert team["hubei"][0].get("/tickets?decided_by=me").get_json() == []


def test_the_list_asks_the_same_number_of_queries_for_ten_or_a_thousand_matches(team, make):
    ministry = team["ministry"][0]
    make.tickets(10, date(2026, 12, 14), status=TicketStatus.PENDING)

    def statements(query):
        with frozen(), recorded_statements(db.engine) as seen:
            response = ministry.get(query)
        assert response.status_code == 200
        return [s for s in seen if "api_token" not in s and "user_account" not in s]

    statements("/tickets?q=gjj")  # the calendar cache
    few = statements("/tickets?q=gjj&sort=days_left&warning=emergency&due=overdue&decided_by=me")
    few_plain = statements("/tickets?q=gjj&sort=center")
    make.tickets(1000, date(2026, 12, 15), status=TicketStatus.PENDING)
    many = statements("/tickets?q=gjj&sort=days_left&warning=emergency&due=overdue&decided_by=me")
    many_plain = statements("/tickets?q=gjj&sort=center")
    assert len(many) == len(few) and len(many_plain) == len(few_plain)


def test_a_long_list_counts_to_the_limit_and_says_so(team, make, monkeypatch):
    """Past COUNT_LIMIT matches the total is a floor (X-Total-Count-Exact: false); the pages' links
    stay right, as the count always reaches past the asked page."""
    monkeypatch.setattr(listing, "COUNT_LIMIT", 5)
    make.tickets(8, date(2026, 12, 14), status=TicketStatus.PENDING)
    ministry = team["ministry"][0]
    with frozen():
        first = ministry.get("/tickets?limit=2")
        deep = ministry.get("/tickets?limit=2&offset=4")
        last = ministry.get("/tickets?limit=2&offset=6")
        few = ministry.get("/tickets?limit=2&to=2026-12-13")
    assert (first.headers["X-Total-Count"], first.headers["X-Total-Count-Exact"]) == ("5", "false")
    assert 'rel="next"' in first.headers["Link"]
    assert (deep.headers["X-Total-Count"], deep.headers["X-Total-Count-Exact"]) == ("7", "false")
    assert 'rel="next"' in deep.headers["Link"] and len(_numbers(deep)) == 2
    assert (last.headers["X-Total-Count"], last.headers["X-Total-Count-Exact"]) == ("8", "true")
    assert 'rel="next"' not in last.headers["Link"] and len(_numbers(last)) == 2
    assert (few.headers["X-Total-Count"], few.headers["X-Total-Count-Exact"]) == ("0", "true")


class TestDecisionPages:
    def test_filters_and_sort_survive_a_decision(self, team, filed, client, auth, make):
        ministry = make.user(Role.MINISTRY_REVIEWER)
        ticket = filed["beijing"]
        with frozen():
            auth.login(ministry.username, ministry.password)
            query = {"q": "北京", "sort": "-cutover", "service": "info_query", "queue": "1"}
            page = client.get(f"/tickets/{ticket['id']}", query_string=query).get_data(as_text=True)
            assert 'id="decide"' in page and "sort=-cutover" in page
            done = client.post(
                f"/review/{ticket['id']}/decision", query_string=query, data={"decision": "approve", "version": ticket["version"]}
            )
        assert done.status_code == 302
        location = done.headers["Location"]
        assert location.startswith("/review/?") and "q=%E5%8C%97%E4%BA%AC" in location
        assert "sort=-cutover" in location and "service=info_query" in location and "queue" not in location

    def test_decide_then_open_the_next_in_the_queue(self, team, client, auth, make):
        ministry = make.user(Role.MINISTRY_REVIEWER)
        ids = make.tickets(3, date(2026, 12, 14), status=TicketStatus.PENDING)
        with frozen():
            auth.login(ministry.username, ministry.password)
            first = client.get(f"/tickets/{ids[0]}?queue=1").get_data(as_text=True)
            assert f"/tickets/{ids[1]}?queue=1" in first and 'rel="prev"' not in first
            middle = client.get(f"/tickets/{ids[1]}?queue=1").get_data(as_text=True)
            assert f"/tickets/{ids[0]}?queue=1" in middle and f"/tickets/{ids[2]}?queue=1" in middle
            done = client.post(f"/review/{ids[0]}/decision?queue=1", data={"decision": "approve", "version": "1", "then": "next"})
        assert done.headers["Location"] == f"/tickets/{ids[1]}?queue=1"

    def test_a_bulk_approval_on_the_page_says_what_became_of_each(self, team, client, auth, make):
        ministry = make.user(Role.MINISTRY_REVIEWER)
        ids = make.tickets(3, date(2026, 12, 14), status=TicketStatus.PENDING)
        with frozen():
            auth.login(ministry.username, ministry.password)
            assert 'name="ticket"' in client.get("/review/").get_data(as_text=True)
            team["ministry"][0].post(f"/tickets/{ids[2]}/decision", {"decision": "return", "comment": "请补充", "version": 1})
            page = client.post(
                "/review/decisions?sort=center", data={"ticket": [f"{ids[0]}:1", f"{ids[1]}:1", f"{ids[2]}:1"], "decision": "approve"}
            )
        body = page.get_data(as_text=True)
        assert page.status_code == 200 and "2 / 3 件已处理" in body and "他人已先处理" in body
        assert "/review/?sort=center" in body


class TestBulkApi:
    def test_ten_where_two_changed_meanwhile(self, team, make):
        ministry, ministry_account = team["ministry"]
        ids = make.tickets(10, date(2026, 12, 14), status=TicketStatus.PENDING)
        with frozen():
            for ticket_id in ids[3:5]:  # a colleague acts first on two of them
                other = make.user(Role.MINISTRY_REVIEWER)
                Api(ministry.client, make.token(other)).post(
                    f"/tickets/{ticket_id}/decision", {"decision": "return", "comment": "请补充材料", "version": 1}
                )
            before = db.session.scalar(select(func.count(AuditEvent.id)))
            response = ministry.post("/decisions", {"items": [{"id": ticket_id, "version": 1, "decision": "approve"} for ticket_id in ids]})
        assert response.status_code == 200
        results = response.get_json()["results"]
        assert [r["id"] for r in results] == ids
        assert [r["status"] for r in results] == [200] * 3 + [409] * 2 + [200] * 5
        assert all(r["ticket"]["status"] == "approved" for r in results if r["status"] == 200)
        assert "version" in results[3]["errors"]
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > 0).order_by(AuditEvent.id)).all()
        approvals = [e for e in events[before:] if e.action == "approve" and e.actor_id == ministry_account.user.id]
        assert len(approvals) == 8 == len(events) - before
        assert db.session.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == TicketStatus.APPROVED)) == 8

    def test_each_item_on_its_own(self, team, filed):
        ministry, henan = team["ministry"][0], team["henan"][0]
        bj, zz = filed["beijing"], filed["zhengzhou"]
        with frozen():
            results = ministry.post(
                "/decisions",
                {
                    "items": [
                        {"id": bj["id"], "version": bj["version"], "decision": "return"},  # no comment
                        {"id": zz["id"], "version": zz["version"], "decision": "approve"},  # the province's stage
                        {"id": 999999, "version": 1, "decision": "approve"},
                        {"id": "x", "version": 1},
                        {"id": 2**70, "version": 1, "decision": "approve"},
                        "not an object",
                        {"id": bj["id"], "version": bj["version"], "decision": "return", "comment": "请补充盖章公函"},
                    ]
                },
            ).get_json()["results"]
            assert [r["status"] for r in results] == [422, 422, 404, 422, 422, 422, 200]
            assert "comment" in results[0]["errors"] and results[6]["ticket"]["status"] == "returned"
            # outside the caller's scope reads as absent, as everywhere
            hubei = team["hubei"][0].post("/decisions", {"items": [{"id": zz["id"], "version": 1, "decision": "approve"}]})
            assert hubei.get_json()["results"][0]["status"] == 404
            assert henan.post("/decisions", {"items": []}).status_code == 422
            assert henan.post("/decisions", {"items": [{"id": 1}] * 101}).status_code == 422
            assert team["zhengzhou"][0].post("/decisions", {"items": [{"id": zz["id"]}]}).status_code == 404


class TestDeadlines:
    def test_the_deadline_is_n_working_days_before_the_cutover(self):
        calendar = default_calendar()
        friday = ReviewClock(calendar, date(2026, 11, 27), 2)
        assert friday.deadline(date(2026, 12, 2)) == date(2026, 11, 30)  # Wednesday's: Monday
        assert friday.state(date(2026, 11, 30)) == "overdue"  # its deadline was Thursday
        assert friday.state(date(2026, 12, 1)) == "soon"  # today
        assert friday.state(date(2026, 12, 2)) == "soon"  # the next working day
        assert friday.state(date(2026, 12, 3)) is None
        saturday = ReviewClock(calendar, date(2026, 11, 28), 2)
        assert saturday.state(date(2026, 12, 1)) == "overdue"  # its deadline was Friday
        assert saturday.state(date(2026, 12, 3)) == "soon"  # Tuesday's, the working day after Monday
        assert ReviewClock(calendar, date(2026, 11, 27), 5).deadline(date(2026, 12, 4)) == date(2026, 11, 27)

    def test_queues_and_home_show_overdue_and_soon(self, team, client, auth, make):
        ministry = make.user(Role.MINISTRY_REVIEWER)
        make.tickets(2, date(2026, 12, 1), status=TicketStatus.PENDING)  # deadline Friday 11-27: due today
        make.tickets(1, date(2026, 11, 30), status=TicketStatus.PENDING)  # deadline Thursday: overdue
        with frozen():
            auth.login(ministry.username, ministry.password)
            home = client.get("/").get_data(as_text=True)
            queue = client.get("/review/").get_data(as_text=True)
            overdue = client.get("/review/?due=overdue").get_data(as_text=True)
            api = team["ministry"][0].get("/tickets?due=soon")
        assert "审核逾期" in home and "即将逾期" in home
        assert "逾期未审（按省）" in queue and queue.count('badge-danger">逾期') == 1
        assert "共 1 条" in overdue
        assert api.headers["X-Total-Count"] == "2"


class TestClerkEdits:
    def test_a_pending_ticket_is_corrected_before_any_decision(self, team, filed):
        clerk = team["zhengzhou"][0]
        ticket = filed["zhengzhou"]
        with frozen("2026-12-01 10:00:00+08:00"):  # four days after filing
            dated = clerk.patch(
                f"/tickets/{ticket['id']}", {"cutover_date": "2026-12-14", "reason": "系统升级改期", "version": ticket["version"]}
            ).get_json()
            assert (dated["status"], dated["stage"], dated["submitted_on"]) == ("pending", "province", "2026-11-27")
            edit = dated["history"][-1]
            assert edit["action"] == "edit"
            assert {c["field"]: (c["old"], c["new"]) for c in edit["changes"]} == {
                "cutover_date": ("2026-12-11", "2026-12-14"),
                "reason": ("服务器迁移到政务云", "系统升级改期"),
            }
            moved = clerk.patch(f"/tickets/{ticket['id']}", {"new_url": "https://gjj.zhengzhou.gov.cn/new", "version": dated["version"]})
            # a new address restarts the lead time from the edit (Tuesday 12-01: E = 12-15)
            assert moved.status_code == 422 and "cutover_date" in moved.get_json()["errors"]
            moved = clerk.patch(
                f"/tickets/{ticket['id']}",
                {"new_url": "https://gjj.zhengzhou.gov.cn/new", "cutover_date": "2026-12-15", "version": dated["version"]},
            )
            assert moved.get_json()["submitted_on"] == "2026-12-01"

    def test_the_page_keeps_what_was_typed_and_says_who_acted_first(self, team, filed, client, auth, make):
        clerk = make.user(Role.CENTER_STAFF, center="郑州")
        ticket = filed["zhengzhou"]
        with frozen():
            auth.login(clerk.username, clerk.password)
            form = client.get(f"/tickets/{ticket['id']}/edit").get_data(as_text=True)
            assert "保存并重新提交审核" not in form  # pending: it is in review already
            team["henan"][0].post(
                f"/tickets/{ticket['id']}/decision", {"decision": "return", "comment": "请改地址", "version": ticket["version"]}
            )
            page = client.post(
                f"/tickets/{ticket['id']}/edit",
                data={
                    "service": "info_query",
                    "new_url": "https://gjj.zhengzhou.gov.cn/typed",
                    "cutover_date": "2026-12-11",
                    "reason": "我刚输入的理由",
                    "contact_name": "张经办",
                    "contact_phone": "0371-12345678",
                    "version": str(ticket["version"]),
                },
            )
        body = page.get_data(as_text=True)
        assert page.status_code == 409
        assert "我刚输入的理由" in body and "https://gjj.zhengzhou.gov.cn/typed" in body
        assert "最新变化" in body and "退回修改" in body


def test_reviewers_are_reminded_the_day_before_and_on_the_deadline_once(team, make, runner):
    from linkdesk.models import InboxMessage

    make.tickets(1, date(2026, 12, 2), status=TicketStatus.PENDING)  # deadline Monday 11-30
    make.tickets(1, date(2026, 12, 10), status=TicketStatus.PENDING)  # not yet
    ministry = team["ministry"][1].user

    def reminders():
        return db.session.scalar(
            select(func.count(InboxMessage.id)).where(InboxMessage.user_id == ministry.id, InboxMessage.event == "review_due")
        )

    with frozen():
        for day, expected in (("2026-11-26", 0), ("2026-11-27", 1), ("2026-11-27", 1), ("2026-11-30", 2), ("2026-12-01", 2)):
            result = runner.invoke(args=["outbox", "remind", "--date", day])
            assert result.exit_code == 0, result.output
            assert reminders() == expected, day


@pytest.mark.parametrize("code", listing.WARNING_FILTERS)
def test_each_warning_filter_finds_exactly_the_tickets_that_carry_it(app, team, make, code):
    """Forty tickets, every fifth carrying the warning (as a column, the probe's own, or a code among
    the ticket's warnings): the filter lists those, counts them, and on SQLite reads them from the
    column's partial index (the filter states its condition as the index does) or from the
    warnings' (code, ticket) index."""
    ids = make.tickets(40, date(2026, 12, 14), status=TicketStatus.PENDING)
    carrying = set(ids[::5])
    for ticket in db.session.scalars(select(Ticket).where(Ticket.id.in_(ids))):
        has = ticket.id in carrying
        ticket.warnings = [{"code": "other", "message": "其他"}] + ([{"code": code, "message": "提示"}] if has else [])
        if code in ("emergency", "provisional"):
            setattr(ticket, code, has)
            ticket.emergency_reason = "系统故障" if has and code == "emergency" else ticket.emergency_reason
        if code == "probe":
            ticket.probe_warning = {"code": "probe", "message": "无法访问"} if has else None
    db.session.commit()
    expected = {number for (number,) in db.session.execute(select(Ticket.number).where(Ticket.id.in_(carrying)))}
    with frozen():
        response = team["ministry"][0].get(f"/tickets?warning={code}&limit=100")
    assert set(_numbers(response)) == expected and response.headers["X-Total-Count"] == str(len(expected))
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("ANALYZE"))
        query = listing.ordered(
            listing.filtered_tickets(select(Ticket), listing.TicketFilters(warning=code)), listing.TicketFilters(), "-filed"
        ).limit(25)
        sql = str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(row) for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
        index = f"ix_ticket_warning_{code}" if code in COLUMN_WARNING_SQL else "ix_ticket_warning_code_ticket"
        assert index in plan, plan
