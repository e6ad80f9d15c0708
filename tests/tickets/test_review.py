"""Review (issue 6): routing, decisions, the state machine, concurrency and the audit trail."""

import pytest
from sqlalchemy import func, select

from linkdesk import create_app
from linkdesk.extensions import db
from linkdesk.models import AuditEvent, ReviewDecision, Role, Ticket
from tests.helpers import app_config, at_once, file_ticket, frozen, statements_of_page


@pytest.fixture
def people(api_as):
    return {
        "zhengzhou": api_as(Role.CENTER_STAFF, center="郑州")[0],
        "beijing": api_as(Role.CENTER_STAFF, center="北京")[0],
        "henan": api_as(Role.PROVINCE_REVIEWER, province="河南")[0],
        "hubei": api_as(Role.PROVINCE_REVIEWER, province="湖北")[0],
        "ministry": api_as(Role.MINISTRY_REVIEWER)[0],
    }


def _decide(api, ticket, decision, comment=None, version=None):
    return api.post(
        f"/tickets/{ticket['id']}/decision", {"decision": decision, "comment": comment, "version": version or ticket["version"]}
    )


def test_zhengzhou_goes_province_then_ministry_then_approved(people):
    with frozen():
        ticket = file_ticket(people["zhengzhou"])
        assert ticket["stage"] == "province"
        assert _decide(people["ministry"], ticket, "approve").status_code == 422  # not its stage yet
        step = _decide(people["henan"], ticket, "approve").get_json()
        assert (step["status"], step["stage"]) == ("pending", "ministry")
        final = _decide(people["ministry"], step, "approve").get_json()
    assert (final["status"], final["stage"]) == ("approved", None)
    assert [e["action"] for e in final["history"]] == ["submit", "approve", "approve"]
    assert [e["role"] for e in final["history"]] == ["center_staff", "province_reviewer", "ministry_reviewer"]


def test_beijing_goes_straight_to_the_ministry(people):
    with frozen():
        ticket = file_ticket(people["beijing"])
        assert ticket["stage"] == "ministry"
        assert _decide(people["ministry"], ticket, "approve").get_json()["status"] == "approved"


@pytest.mark.parametrize("center", ["天津", "上海", "重庆", "兵团"])
def test_municipalities_and_xpcc_go_to_the_ministry_only(api_as, center):
    clerk, _ = api_as(Role.CENTER_STAFF, center=center)
    with frozen():
        assert file_ticket(clerk)["stage"] == "ministry"


def test_an_autonomous_region_goes_to_its_province_first(api_as):
    clerk, _ = api_as(Role.CENTER_STAFF, center="百色")
    with frozen():
        assert file_ticket(clerk)["stage"] == "province"


def test_hubei_reviewer_never_sees_a_zhengzhou_ticket(people, client, auth, make):
    with frozen():
        ticket = file_ticket(people["zhengzhou"])
        hubei = people["hubei"]
        assert hubei.get(f"/tickets/{ticket['id']}").status_code == 404
        assert _decide(hubei, ticket, "approve").status_code == 404
        assert hubei.get("/tickets").get_json() == []
        reviewer = make.user(Role.PROVINCE_REVIEWER, province="湖北")
        auth.login(reviewer.username, reviewer.password)
        assert ticket["number"] not in client.get("/review/").get_data(as_text=True)
        assert client.get(f"/tickets/{ticket['id']}").status_code == 404
        assert 'class="count">0<' in client.get("/").get_data(as_text=True)


def test_a_center_clerk_cannot_decide(people):
    with frozen():
        ticket = file_ticket(people["zhengzhou"])
        assert _decide(people["zhengzhou"], ticket, "approve").status_code == 404


def test_return_needs_a_comment(people):
    with frozen():
        ticket = file_ticket(people["zhengzhou"])
        response = _decide(people["henan"], ticket, "return")
        assert response.status_code == 422 and "comment" in response.get_json()["errors"]
        assert _decide(people["henan"], ticket, "reject", comment="  ").status_code == 422


def test_returned_resubmitted_with_a_now_too_early_date_is_refused_with_the_new_earliest(people):
    with frozen("2026-11-27 10:00:00+08:00"):
        ticket = file_ticket(people["zhengzhou"])
        returned = _decide(people["henan"], ticket, "return", comment="请补充新系统的备案信息").get_json()
    assert returned["status"] == "returned" and returned["stage"] is None
    with frozen("2026-12-02 10:00:00+08:00"):
        refused = people["zhengzhou"].post(f"/tickets/{ticket['id']}/resubmit", {"version": returned["version"]})
        assert refused.status_code == 422
        message = refused.get_json()["errors"]["cutover_date"][0]
        assert "2026-12-16" in message
        edited = people["zhengzhou"].patch(
            f"/tickets/{ticket['id']}", {"reason": "补充：已完成备案", "cutover_date": "2026-12-16", "version": returned["version"]}
        )
        assert edited.status_code == 200, edited.get_json()
        assert edited.get_json()["status"] == "returned"
        again = people["zhengzhou"].post(f"/tickets/{ticket['id']}/resubmit", {"version": edited.get_json()["version"]})
    assert again.status_code == 200, again.get_json()
    body = again.get_json()
    assert (body["status"], body["stage"]) == ("pending", "province")
    assert (body["submitted_on"], body["earliest_cutover"]) == ("2026-12-02", "2026-12-16")


def test_reject_is_final(people):
    with frozen():
        ticket = file_ticket(people["zhengzhou"])
        rejected = _decide(people["henan"], ticket, "reject", comment="该地址不是中心官方域名").get_json()
        assert rejected["status"] == "rejected"
        assert _decide(people["henan"], rejected, "approve").status_code == 422
        assert people["zhengzhou"].post(f"/tickets/{ticket['id']}/resubmit", {"version": rejected["version"]}).status_code == 422


def test_stale_version_is_409_and_changes_nothing(people):
    with frozen():
        ticket = file_ticket(people["zhengzhou"])
        _decide(people["henan"], ticket, "approve")
        response = _decide(people["henan"], ticket, "reject", comment="晚了一步", version=ticket["version"])
    assert response.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(ReviewDecision)) == 1


def test_the_filer_can_never_approve(api_as, make):
    # A ministry reviewer who also files (via a clerk account of their own) is a different user;
    # here the same user record would need two roles, so check the rule at the operation level.
    from linkdesk.tickets.operations import WorkflowError, decide

    clerk, account = api_as(Role.CENTER_STAFF, center="北京")
    with frozen():
        ticket = db.session.get(Ticket, file_ticket(clerk)["id"])
    account.user.role = Role.MINISTRY_REVIEWER
    account.user.center_id = None
    with pytest.raises(WorkflowError, match="自己提交"):
        decide(account.user, ticket, "approve", None, ticket.version)
    db.session.rollback()


class TestTransitions:
    def test_withdraw_while_pending(self, people):
        with frozen():
            ticket = file_ticket(people["zhengzhou"])
            done = people["zhengzhou"].post(f"/tickets/{ticket['id']}/withdraw", {"version": ticket["version"]}).get_json()
        assert done["status"] == "withdrawn"

    def test_withdraw_while_returned(self, people):
        with frozen():
            ticket = file_ticket(people["zhengzhou"])
            returned = _decide(people["henan"], ticket, "return", comment="请修改").get_json()
            done = people["zhengzhou"].post(f"/tickets/{ticket['id']}/withdraw", {"version": returned["version"]})
        assert done.get_json()["status"] == "withdrawn"

    def test_approve_a_withdrawn_ticket_is_refused(self, people):
        with frozen():
            ticket = file_ticket(people["zhengzhou"])
            withdrawn = people["zhengzhou"].post(f"/tickets/{ticket['id']}/withdraw", {"version": ticket["version"]}).get_json()
            response = _decide(people["henan"], withdrawn, "approve")
        assert response.status_code == 422 and "已撤回" in response.get_json()["error"]

    def test_withdraw_an_approved_ticket_is_refused(self, people):
        with frozen():
            ticket = file_ticket(people["beijing"])
            approved = _decide(people["ministry"], ticket, "approve").get_json()
            response = people["beijing"].post(f"/tickets/{ticket['id']}/withdraw", {"version": approved["version"]})
        assert response.status_code == 422

    def test_cancel_an_approved_ticket_before_its_date(self, people):
        with frozen():
            ticket = file_ticket(people["beijing"])
            approved = _decide(people["ministry"], ticket, "approve").get_json()
            assert people["beijing"].post(f"/tickets/{ticket['id']}/cancel", {"version": approved["version"]}).status_code == 422
            done = (
                people["beijing"]
                .post(f"/tickets/{ticket['id']}/cancel", {"version": approved["version"], "comment": "新系统延期上线"})
                .get_json()
            )
        assert done["status"] == "cancelled"

    def test_cancel_a_pending_ticket_is_refused(self, people):
        with frozen():
            ticket = file_ticket(people["beijing"])
            response = people["beijing"].post(f"/tickets/{ticket['id']}/cancel", {"version": ticket["version"], "comment": "不需要了"})
        assert response.status_code == 422

    def test_decide_at_the_wrong_stage_is_refused(self, people):
        with frozen():
            ticket = file_ticket(people["zhengzhou"])
            step = _decide(people["henan"], ticket, "approve").get_json()
            response = _decide(people["henan"], step, "approve")
        assert response.status_code == 422 and "部级审核" in response.get_json()["error"]

    def test_edit_once_a_reviewer_decided_is_refused(self, people):
        """Issue 16: a pending ticket may be corrected until someone decides it; then it is locked."""
        with frozen():
            ticket = file_ticket(people["zhengzhou"])
            step = _decide(people["henan"], ticket, "approve").get_json()
            response = people["zhengzhou"].patch(f"/tickets/{ticket['id']}", {"reason": "再改改", "version": step["version"]})
        assert response.status_code == 422 and "锁定" in response.get_json()["error"]

    def test_unknown_decision_is_422(self, people):
        with frozen():
            ticket = file_ticket(people["zhengzhou"])
            response = _decide(people["henan"], ticket, "maybe")
        assert response.status_code == 422 and "decision" in response.get_json()["errors"]

    def test_missing_version_is_422(self, people):
        with frozen():
            ticket = file_ticket(people["zhengzhou"])
            response = people["henan"].post(f"/tickets/{ticket['id']}/decision", {"decision": "approve"})
        assert response.status_code == 422 and "version" in response.get_json()["errors"]


@pytest.mark.slow
def test_two_reviewers_deciding_at_once_record_exactly_one_decision(database_url, make):
    clerk = make.user(Role.CENTER_STAFF, center="北京")
    reviewers = [make.user(Role.MINISTRY_REVIEWER) for _ in range(2)]
    tokens = [make.token(r) for r in reviewers]
    app = create_app(app_config(database_url))
    with frozen():
        from tests.helpers import Api

        ticket = file_ticket(Api(app.test_client(), make.token(clerk)))
    with app.app_context():
        db.engine.dispose()  # this app's pooled connection, or it leaks to the garbage collector
    db.session.remove()

    def reviewer(token, decision):
        worker = create_app(app_config(database_url))  # one app each, as two worker processes have

        def review():
            with worker.app_context():
                try:
                    return (
                        worker.test_client()
                        .post(
                            f"/api/v1/tickets/{ticket['id']}/decision",
                            headers={"Authorization": f"Bearer {token}"},
                            json={"decision": decision, "comment": "意见", "version": ticket["version"]},
                        )
                        .status_code
                    )
                finally:
                    db.session.remove()
                    db.engine.dispose()

        return review

    with frozen():
        answers = at_once(reviewer(tokens[0], "approve"), reviewer(tokens[1], "reject"))
    assert sorted(answers) == [200, 409]
    assert db.session.scalar(select(func.count()).select_from(ReviewDecision)) == 1
    decisions = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.in_(["approve", "reject"])))
    assert decisions == 1


def test_the_queue_asks_the_same_number_of_queries_for_ten_or_a_thousand_tickets(client, auth, make):
    """Paginated, with badges and days left, and no query per row."""
    from datetime import date

    from linkdesk.models import TicketStatus

    ministry = make.user(Role.MINISTRY_REVIEWER)

    def statements():
        return statements_of_page(client, auth, ministry, "/review/", db.engine)

    make.tickets(10, date(2026, 12, 14), status=TicketStatus.PENDING)
    statements()  # the first request also builds the calendar cache
    few, _ = statements()
    make.tickets(1000, date(2026, 12, 15), status=TicketStatus.PENDING)
    many, page = statements()
    assert len(many) == len(few)
    assert "共 1010 条" in page


class TestPages:
    """The reviewer's and the clerk's forms: refusals come back with what was typed."""

    def test_a_refused_decision_keeps_the_comment(self, people, client, auth, make):
        from linkdesk.cutovers.operations import set_max_per_day

        ministry = make.user(Role.MINISTRY_REVIEWER)
        with frozen():
            first = file_ticket(people["beijing"], service="transfer")
            assert _decide(people["ministry"], first, "approve").status_code == 200
            set_max_per_day(ministry.user, 1)
            ticket = file_ticket(people["beijing"])
            auth.login(ministry.username, ministry.password)
            page = client.post(
                f"/review/{ticket['id']}/decision",
                data={"decision": "approve", "version": ticket["version"], "comment": "同意，请按期切换"},
            )
        body = page.get_data(as_text=True)
        assert page.status_code == 422
        assert "达到每日上限" in body and "同意，请按期切换" in body and 'name="override"' in body

    def test_a_decision_on_a_stale_page_says_so_and_changes_nothing(self, people, client, auth, make):
        ministry = make.user(Role.MINISTRY_REVIEWER)
        with frozen():
            ticket = file_ticket(people["beijing"])
            assert _decide(people["ministry"], ticket, "return", "请补充材料").status_code == 200
            auth.login(ministry.username, ministry.password)
            page = client.post(
                f"/review/{ticket['id']}/decision", data={"decision": "approve", "version": ticket["version"], "comment": "同意"}
            )
        assert page.status_code == 409
        assert "您的操作没有保存" in page.get_data(as_text=True)
        assert people["beijing"].get(f"/tickets/{ticket['id']}").get_json()["status"] == "returned"

    def test_a_pending_ticket_whose_day_has_passed_says_so(self, people, client, auth, make):
        ministry = make.user(Role.MINISTRY_REVIEWER)
        with frozen():
            ticket = file_ticket(people["beijing"])  # cutover Friday 2026-12-11
        with frozen("2026-12-12 10:00:00+08:00"):  # the Saturday after: no working day in between
            auth.login(ministry.username, ministry.password)
            row = client.get("/review/").get_data(as_text=True).split(ticket["number"])[0].rsplit("<tr", 1)[1]
            page = client.get(f"/tickets/{ticket['id']}").get_data(as_text=True)
        assert "已过期" in row and "已过期" in page

    def test_after_a_conflict_the_page_keeps_the_comment_and_shows_the_new_version(self, people, client, auth, make):
        """Returned and resubmitted while a second reviewer was writing: their text survives,
        and acting again is a decision on the ticket as it now is."""
        second = make.user(Role.PROVINCE_REVIEWER, province="河南")
        with frozen():
            seen = file_ticket(people["zhengzhou"])
            returned = _decide(people["henan"], seen, "return", "请补充说明").get_json()
            now = people["zhengzhou"].post(f"/tickets/{seen['id']}/resubmit", {"version": returned["version"]}).get_json()
            auth.login(second.username, second.password)
            page = client.post(
                f"/review/{seen['id']}/decision",
                data={"decision": "reject", "version": seen["version"], "comment": "该域名不是中心官方域名"},
            )
            assert page.status_code == 409
            body = page.get_data(as_text=True)
            assert "该域名不是中心官方域名" in body and f'name="version" type="hidden" value="{now["version"]}"' in body
            again = client.post(
                f"/review/{seen['id']}/decision",
                data={"decision": "reject", "version": now["version"], "comment": "该域名不是中心官方域名"},
            )
        assert again.status_code == 302
        assert people["zhengzhou"].get(f"/tickets/{seen['id']}").get_json()["status"] == "rejected"

    def test_a_page_posted_without_a_version_decides_nothing(self, people, client, auth, make):
        henan = make.user(Role.PROVINCE_REVIEWER, province="河南")
        with frozen():
            ticket = file_ticket(people["zhengzhou"])
            auth.login(henan.username, henan.password)
            for version in (None, "", "abc", "99999999999999999999"):
                data = {"decision": "approve"} | ({} if version is None else {"version": version})
                page = client.post(f"/review/{ticket['id']}/decision", data=data)
                assert page.status_code == 422, version
                assert "缺少工单版本号" in page.get_data(as_text=True)
        assert people["zhengzhou"].get(f"/tickets/{ticket['id']}").get_json()["stage"] == "province"

    def test_cancel_without_a_reason_comes_back_to_the_page(self, people, client, auth, make):
        clerk = make.user(Role.CENTER_STAFF, center="北京")
        with frozen():
            ticket = file_ticket(people["beijing"])
            approved = _decide(people["ministry"], ticket, "approve").get_json()
            auth.login(clerk.username, clerk.password)
            page = client.post(f"/tickets/{ticket['id']}/cancel", data={"version": approved["version"], "comment": ""})
        assert page.status_code == 422 and "必须说明理由" in page.get_data(as_text=True)
