"""Bad input gets a clear answer, never a 500 or a number the database cannot take; rules that
stop a decision from reaching a state nobody can undo; exports that a spreadsheet cannot run."""

import csv
import io

import pytest

from linkdesk.models import Role
from tests.cutovers.test_schedule import CUTOVER, file_and_approve
from tests.factories import ticket_request
from tests.helpers import frozen

HUGE = "99999999999999999999"


class TestQueryArguments:
    @pytest.mark.parametrize(
        "path",
        [
            f"/review/?page={HUGE}",
            "/review/?page=-3",
            "/review/?page=abc",
            f"/links/?page={HUGE}",
            "/links/?page=0",
            f"/calendar/?month={HUGE}-1",
            "/calendar/?month=2026-13",
            "/calendar/?month=--",
            "/calendar/list?from=9999-12-30",
            "/calendar/list?from=abc",
            f"/workdays/?year={HUGE}",
        ],
    )
    def test_pages_answer_every_query_without_an_error(self, client, auth, make, path):
        ministry = make.user(Role.MINISTRY_REVIEWER)
        auth.login(ministry.username, ministry.password)
        response = client.get(path)
        assert response.status_code in (200, 400), (path, response.status_code)
        assert "服务器内部错误" not in response.get_data(as_text=True)

    def test_a_clerk_asking_for_a_page_past_the_last_sees_an_empty_list(self, client, auth, make):
        clerk = make.user(Role.CENTER_STAFF, center="郑州")
        auth.login(clerk.username, clerk.password)
        assert client.get(f"/tickets/?page={HUGE}").status_code == 200

    def test_a_range_past_the_last_date_is_a_clear_error(self, team):
        response = team["ministry"][0].get("/cutovers?from=9999-12-30")
        assert response.status_code == 422
        assert response.get_json()["errors"]["range"] == ["日期超出范围。"]

    def test_limit_and_offset_are_bounded(self, team):
        with frozen():
            for n in range(3):
                assert (
                    team["zhengzhou"][0]
                    .post("/tickets", ticket_request(("info_query", "transfer", "unit_registration")[n], cutover_date=CUTOVER))
                    .status_code
                    == 201
                )
        api = team["ministry"][0]
        assert len(api.get("/tickets?limit=-1").get_json()) == 1  # at least one, not "no limit"
        assert len(api.get("/tickets?limit=2").get_json()) == 2
        assert len(api.get(f"/tickets?offset={HUGE}").get_json()) == 0
        assert len(api.get("/tickets?offset=-5&limit=abc").get_json()) == 3


class TestDecisionRules:
    def test_a_ticket_whose_date_has_passed_cannot_be_approved(self, team):
        with frozen():
            ticket = team["beijing"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
        with frozen("2026-12-14 09:00:00+08:00"):  # the Monday after the cutover Friday
            late = team["ministry"][0].post(f"/tickets/{ticket['id']}/decision", {"decision": "approve", "version": ticket["version"]})
            assert late.status_code == 422
            assert "已过，不能再批准" in late.get_json()["error"]
            returned = team["ministry"][0].post(
                f"/tickets/{ticket['id']}/decision", {"decision": "return", "comment": "请重新选择切换日期", "version": ticket["version"]}
            )
        assert returned.get_json()["status"] == "returned"

    def test_on_the_cutover_day_itself_approval_is_still_possible(self, team):
        with frozen():
            ticket = team["beijing"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
        with frozen(f"{CUTOVER} 08:30:00+08:00"):
            approved = team["ministry"][0].post(f"/tickets/{ticket['id']}/decision", {"decision": "approve", "version": ticket["version"]})
        assert approved.get_json()["status"] == "approved"

    @pytest.mark.parametrize("comment", [5, ["请补充"], {"text": "x"}, True])
    def test_a_comment_that_is_not_text_is_a_422(self, team, comment):
        with frozen():
            ticket = team["beijing"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
            response = team["ministry"][0].post(
                f"/tickets/{ticket['id']}/decision", {"decision": "reject", "comment": comment, "version": ticket["version"]}
            )
        assert response.status_code == 422
        assert response.get_json()["errors"]["comment"] == ["意见应为文字。"]

    def test_an_overlong_comment_is_refused_with_its_length(self, team):
        with frozen():
            ticket = team["beijing"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
            response = team["ministry"][0].post(
                f"/tickets/{ticket['id']}/decision", {"decision": "reject", "comment": "理由" * 1001, "version": ticket["version"]}
            )
        assert response.status_code == 422 and "现有 2002 个" in response.get_json()["errors"]["comment"][0]

    def test_withdraw_with_a_bad_version_on_the_page_is_refused_not_a_500(self, team, client, auth, make):
        clerk = make.user(Role.CENTER_STAFF, center="北京")
        with frozen():
            ticket = team["beijing"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
            auth.login(clerk.username, clerk.password)
            page = client.post(f"/tickets/{ticket['id']}/withdraw", data={"version": "abc"})
        assert page.status_code == 422 and "缺少工单版本号" in page.get_data(as_text=True)
        assert team["beijing"][0].get(f"/tickets/{ticket['id']}").get_json()["status"] == "pending"


class TestSpreadsheetExports:
    FORMULA = '=HYPERLINK("http://evil.example","点此")'

    def test_free_text_cannot_become_a_formula_in_the_audit_export(self, team, client, auth, make):
        ministry = make.user(Role.MINISTRY_REVIEWER)
        with frozen():
            ticket = team["beijing"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
            team["beijing"][0].post(f"/tickets/{ticket['id']}/withdraw", {"version": ticket["version"], "comment": self.FORMULA})
        auth.login(ministry.username, ministry.password)
        response = client.get("/review/audit.csv", buffered=True)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert text.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
        assert [row["操作"] for row in rows] == ["提交", "撤回"]
        assert rows[1]["意见"] == "'" + self.FORMULA
        assert rows[0]["工单号"] == ticket["number"] and rows[0]["操作人"]
        assert rows[0]["时间（北京时间）"] == "2026-11-27 10:00:00" and rows[0]["角色"] == "中心经办人员"
        assert rows[1]["原状态"] == "审核中" and rows[1]["新状态"] == "已撤回"

    def test_the_calendar_export_quotes_cells_that_start_like_formulas(self, team, client, auth, make):
        with frozen():
            file_and_approve(team)
        clerk = make.user(Role.CENTER_STAFF, center="郑州")
        auth.login(clerk.username, clerk.password)
        text = client.get(f"/calendar/export.csv?from={CUTOVER}&to={CUTOVER}").get_data(as_text=True)
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert rows[0][0] == "切换日期" and rows[1][0] == CUTOVER and len(rows) == 2


def test_a_multipart_part_without_a_name_is_refused_not_a_server_error(api_as):
    """Found by Schemathesis (issue 20): werkzeug reads a part with no ``name`` as the field None."""
    api, _ = api_as(Role.CENTER_STAFF, center="郑州")
    body = b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n"
    with frozen():
        response = api.client.post("/api/v1/tickets", data=body, headers=api.headers, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 422 and response.is_json
