"""Filing tickets (issue 5): lead time at the hard dates, the address policy, one open change per link."""

import pytest
from sqlalchemy import func, select

from linkdesk import create_app
from linkdesk.extensions import db
from linkdesk.models import AuditEvent, Role, Ticket
from linkdesk.tickets import workflow
from tests.factories import LETTER, ticket_request
from tests.helpers import app_config, at_once, frozen


@pytest.fixture
def clerk(api_as):
    return api_as(Role.CENTER_STAFF, center="郑州")[0]


def _file(api, **overrides):
    return api.post("/tickets", ticket_request(**overrides))


class TestLeadTime:
    def test_friday_design_example_earliest_is_accepted(self, clerk):
        with frozen("2026-11-27 10:00:00+08:00"):
            response = _file(clerk, cutover_date="2026-12-11")
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["earliest_cutover"] == "2026-12-11"
        assert body["submitted_on"] == "2026-11-27"
        assert body["provisional"] is False
        assert body["status"] == "pending" and body["stage"] == "province"
        assert body["number"].startswith("LD-2026-")

    def test_one_working_day_before_the_earliest_is_refused(self, clerk):
        with frozen("2026-11-27 10:00:00+08:00"):
            response = _file(clerk, cutover_date="2026-12-10")
        assert response.status_code == 422
        message = response.get_json()["errors"]["cutover_date"][0]
        assert "2026-12-11" in message and "10 个工作日" in message

    def test_saturday_is_read_as_monday(self, clerk):
        with frozen("2026-11-28 10:00:00+08:00"):
            refused = _file(clerk, cutover_date="2026-12-11")
            accepted = _file(clerk, cutover_date="2026-12-14")
        assert refused.status_code == 422
        assert accepted.status_code == 201 and accepted.get_json()["earliest_cutover"] == "2026-12-14"

    def test_2359_beijing_counts_as_that_day(self, clerk):
        # 23:59 in Beijing is 15:59 UTC on the same day: still Friday the 27th.
        with frozen("2026-11-27 23:59:00+08:00"):
            response = _file(clerk, cutover_date="2026-12-11")
        assert response.status_code == 201
        assert response.get_json()["submitted_on"] == "2026-11-27"

    def test_0001_beijing_counts_as_the_next_day(self, clerk):
        # 00:01 on Saturday in Beijing is still Friday 16:01 UTC: the local date decides.
        with frozen("2026-11-28 00:01:00+08:00"):
            response = _file(clerk, cutover_date="2026-12-11")
        assert response.status_code == 422
        assert "2026-12-14" in response.get_json()["errors"]["cutover_date"][0]

    def test_cutover_on_a_public_holiday_is_refused(self, clerk):
        with frozen("2026-09-01 10:00:00+08:00"):
            response = _file(clerk, cutover_date="2026-10-05")  # 国庆节
        assert response.status_code == 422
        assert "不是工作日" in response.get_json()["errors"]["cutover_date"][0]

    def test_cutover_on_a_normal_sunday_is_refused(self, clerk):
        with frozen("2026-11-27 10:00:00+08:00"):
            response = _file(clerk, cutover_date="2026-12-20")
        assert response.status_code == 422
        assert "不是工作日" in response.get_json()["errors"]["cutover_date"][0]

    def test_cutover_on_a_makeup_saturday_is_allowed(self, clerk):
        with frozen("2026-09-01 10:00:00+08:00"):
            response = _file(clerk, cutover_date="2026-10-10")  # 国庆调休上班
        assert response.status_code == 201, response.get_json()

    def test_more_than_180_days_ahead_is_refused(self, clerk):
        with frozen("2026-11-27 10:00:00+08:00"):
            response = _file(clerk, cutover_date="2027-06-01")
        assert response.status_code == 422
        assert "180" in response.get_json()["errors"]["cutover_date"][0]

    def test_a_provisional_earliest_date_is_marked(self, clerk):
        with frozen("2026-12-28 10:00:00+08:00"):
            response = _file(clerk, cutover_date="2027-01-15")
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["provisional"] is True
        assert "provisional" in {w["code"] for w in body["warnings"]}

    @pytest.mark.parametrize("value", ["2026/12/11", "11-12-2026", "2026-02-30", "tomorrow", 20261211])
    def test_malformed_dates_name_the_field(self, clerk, value):
        with frozen():
            response = _file(clerk, cutover_date=value)
        assert response.status_code == 422
        assert "格式" in response.get_json()["errors"]["cutover_date"][0]


class TestEmergency:
    def test_emergency_lifts_the_lead_time_only(self, clerk):
        with frozen():
            response = clerk.upload(
                "/tickets", ticket_request(cutover_date="2026-11-30", emergency=True, emergency_reason="原系统证书过期，需立即切换"), LETTER
            )
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["emergency"] is True and "emergency" in {w["code"] for w in body["warnings"]}

    def test_emergency_needs_a_reason(self, clerk):
        with frozen():
            response = _file(clerk, cutover_date="2026-11-30", emergency=True)
        assert "emergency_reason" in response.get_json()["errors"]

    def test_emergency_still_needs_a_working_day(self, clerk):
        with frozen():
            response = _file(clerk, cutover_date="2026-11-29", emergency=True, emergency_reason="证书过期需切换")
        assert "不是工作日" in response.get_json()["errors"]["cutover_date"][0]


BAD_ADDRESSES = [
    "javascript:alert(1)",
    "ftp://gjj.example.gov.cn/",
    "https://127.0.0.1/",
    "https://10.0.0.8/",
    "https://169.254.169.254/",
    "https://[::1]/",
    "https://[::ffff:10.0.0.1]/",
    "https://100.64.0.1/",
    "https://user:pw@gjj.example.gov.cn/",
    "https://gjj.example.gov.cn/" + "a" * 3000,
    "https://gjj.example.gov.cn/a b",
]


class TestAddresses:
    @pytest.mark.parametrize("address", BAD_ADDRESSES)
    def test_bad_addresses_are_refused_with_a_field_error(self, clerk, address):
        with frozen():
            response = _file(clerk, cutover_date="2026-12-11", new_url=address)
        assert response.status_code == 422
        assert response.get_json()["errors"]["new_url"]
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0

    def test_http_without_justification_is_refused(self, clerk):
        with frozen():
            response = _file(clerk, cutover_date="2026-12-11", new_url="http://gjj.example.gov.cn/x")
        assert response.status_code == 422
        assert response.get_json()["errors"]["http_justification"]

    def test_http_with_justification_is_accepted_with_a_warning(self, clerk):
        with frozen():
            response = _file(
                clerk,
                cutover_date="2026-12-11",
                new_url="http://gjj.example.gov.cn/x",
                http_justification="内网专线环境暂不支持证书部署，计划明年改造",
            )
        assert response.status_code == 201, response.get_json()
        assert "http" in {w["code"] for w in response.get_json()["warnings"]}

    def test_not_json_is_a_json_error(self, client, clerk):
        response = client.post("/api/v1/tickets", data="not json", headers={**clerk.headers, "Content-Type": "application/json"})
        assert response.status_code == 422 and response.is_json


class TestScope:
    def test_a_clerk_cannot_see_or_touch_another_centers_ticket(self, api_as):
        shangqiu, _ = api_as(Role.CENTER_STAFF, center="商丘")
        zhengzhou, _ = api_as(Role.CENTER_STAFF, center="郑州")
        with frozen():
            ticket = _file(shangqiu, cutover_date="2026-12-11").get_json()
            path = f"/tickets/{ticket['id']}"
            assert zhengzhou.get(path).status_code == 404
            assert zhengzhou.patch(path, {"reason": "篡改", "version": 1}).status_code == 404
            assert zhengzhou.post(f"{path}/withdraw", {"version": 1}).status_code == 404
            assert zhengzhou.post(f"{path}/resubmit", {"version": 1}).status_code == 404
            assert zhengzhou.get("/tickets").get_json() == []

    def test_a_clerk_cannot_file_for_another_center(self, clerk):
        with frozen():
            response = _file(clerk, cutover_date="2026-12-11", center="商丘")
        assert response.status_code == 422 and "center" in response.get_json()["errors"]

    def test_other_centers_tickets_do_not_show_in_counts(self, client, auth, api_as, make):
        shangqiu, _ = api_as(Role.CENTER_STAFF, center="商丘")
        with frozen():
            _file(shangqiu, cutover_date="2026-12-11")
        clerk = make.user(Role.CENTER_STAFF, center="郑州")
        auth.login(clerk.username, clerk.password)
        page = client.get("/").get_data(as_text=True)
        assert 'class="count">0<' in page and 'class="count">1<' not in page


class TestOneOpenChangePerLink:
    def test_a_second_open_ticket_is_refused_with_a_link_to_the_first(self, clerk):
        with frozen():
            first = _file(clerk, cutover_date="2026-12-11").get_json()
            second = _file(clerk, cutover_date="2026-12-14", new_url="https://gjj.example.gov.cn/other")
        assert second.status_code == 409
        body = second.get_json()
        assert body["open_ticket"]["number"] == first["number"]
        assert first["number"] in body["errors"]["service"][0]

    def test_the_database_decides_when_the_check_in_python_is_passed(self, clerk, monkeypatch):
        with frozen():
            first = _file(clerk, cutover_date="2026-12-11").get_json()
            # The Python pre-check runs before the other request commits: it sees nothing.
            checks = []

            def stale_check(center_id, service_id):
                checks.append(center_id)
                return None if len(checks) == 1 else workflow.open_ticket_for(center_id, service_id)

            monkeypatch.setattr("linkdesk.tickets.operations.open_ticket_for", stale_check)
            second = _file(clerk, cutover_date="2026-12-14", new_url="https://gjj.example.gov.cn/other")
        assert second.status_code == 409
        assert second.get_json()["open_ticket"]["number"] == first["number"]
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1

    @pytest.mark.slow
    def test_two_simultaneous_submissions_make_exactly_one_ticket(self, database_url, make):
        account = make.user(Role.CENTER_STAFF, center="郑州")
        token = make.token(account)
        db.session.remove()

        def submitter(n):
            app = create_app(app_config(database_url))  # one app each, as two worker processes have

            def submit():
                with app.app_context():
                    try:
                        response = app.test_client().post(
                            "/api/v1/tickets",
                            headers={"Authorization": f"Bearer {token}"},
                            json=ticket_request(cutover_date="2026-12-11", new_url=f"https://gjj.example.gov.cn/{n}"),
                        )
                        return response.status_code, response.get_json()
                    finally:
                        db.session.remove()
                        db.engine.dispose()

            return submit

        with frozen():
            answers = at_once(submitter(1), submitter(2))
        assert sorted(code for code, _ in answers) == [201, 409]
        loser = next(body for code, body in answers if code == 409)
        assert "未完成的变更工单" in loser["errors"]["service"][0]
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_pages_show_the_badges_of_a_ticket_with_warnings(client, auth, make, api_as):
    """Every page that lists or shows a ticket renders its warnings (http, emergency, host change)."""
    clerk_api, clerk = api_as(Role.CENTER_STAFF, center="郑州")
    with frozen():
        filed = clerk_api.upload(
            "/tickets",
            ticket_request(
                cutover_date="2026-12-01",
                new_url="http://zzgjj.example.com/new",
                http_justification="证书办理中",
                icp_number="豫ICP备12345678号-1",
                emergency=True,
                emergency_reason="原服务器故障，必须尽快切换",
            ),
            LETTER,
        )
        assert filed.status_code == 201, filed.get_json()
        ticket = filed.get_json()
        reviewer = make.user(Role.PROVINCE_REVIEWER, province="河南")
        for account, paths in (
            (clerk, ["/tickets/", f"/tickets/{ticket['id']}"]),
            (reviewer, ["/review/", f"/tickets/{ticket['id']}", "/calendar/?month=2026-12&tentative=1"]),
        ):
            auth.login(account.username, account.password)
            for path in paths:
                page = client.get(path)
                assert page.status_code == 200, path
                assert "紧急" in page.get_data(as_text=True), path
            auth.logout()
