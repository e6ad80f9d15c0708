"""Issue 15: what an outside audit sent and got a 500 (or a wrong answer) for. Each test fails on
the code before the fix; all run on SQLite and on PostgreSQL."""

import io
import json
import re

import pytest
from sqlalchemy import func, select

from linkdesk.extensions import db
from linkdesk.models import OutboxMessage, Role, Ticket
from linkdesk.notify.events import add_channel
from tests.factories import ticket_request
from tests.helpers import frozen

pytestmark = pytest.mark.usefixtures("clock")  # filings are judged on BEIJING_FRIDAY (E = 2026-12-11)
CUTOVER = "2026-12-11"


def tickets_in_database() -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket))


@pytest.fixture
def clerk(api_as):
    return api_as(Role.CENTER_STAFF, center="郑州")[0]


class TestControlCharacters:
    def test_a_nul_in_the_login_form_is_a_chinese_422_not_a_500(self, client):
        response = client.post("/login", data={"username": "admin\x00", "password": "x" * 12})
        assert response.status_code == 422
        assert "控制字符" in response.get_data(as_text=True) and "username" in response.get_data(as_text=True)

    def test_a_nul_in_a_search_is_a_json_422_naming_the_field(self, clerk):
        response = clerk.get("/centers?q=%00")
        assert response.status_code == 422 and "q" in response.get_json()["errors"]

    @pytest.mark.parametrize("field", ["reason", "contact_name", "new_url", "http_justification"])
    def test_a_nul_in_a_ticket_field_saves_nothing(self, clerk, field):
        response = clerk.post("/tickets", ticket_request(cutover_date=CUTOVER, **{field: "abc\u0000def"}))
        assert response.status_code == 422 and field in response.get_json()["errors"]
        assert tickets_in_database() == 0

    def test_other_control_characters_are_refused_and_line_breaks_are_text(self, clerk):
        assert clerk.post("/tickets", ticket_request(cutover_date=CUTOVER, reason="迁移\x1b[31m")).status_code == 422
        accepted = clerk.post("/tickets", ticket_request(cutover_date=CUTOVER, reason="第一行\r\n第二行\t说明"))
        assert accepted.status_code == 201, accepted.get_json()

    def test_a_nul_in_a_decision_comment_or_a_path_segment(self, team, client, auth, make):
        ticket = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
        refused = team["henan"][0].post(
            f"/tickets/{ticket['id']}/decision", {"decision": "return", "comment": "请\x00补充", "version": ticket["version"]}
        )
        assert refused.status_code == 422 and "comment" in refused.get_json()["errors"]
        clerk = make.user(Role.CENTER_STAFF, center="郑州")
        auth.login(clerk.username, clerk.password)
        assert client.get("/links/%00/x").status_code == 404


def test_two_filings_for_one_link_racing_past_the_python_check_give_409(app, make, monkeypatch):
    """PostgreSQL flushed the loser's insert inside record() (the user had expired), outside the try."""
    from linkdesk.models import Service
    from linkdesk.tickets import operations
    from linkdesk.tickets.filing import ChangeRequest
    from linkdesk.tickets.workflow import OpenTicketExists

    account = make.user(Role.CENTER_STAFF, center="郑州")
    first = operations.file_ticket(account.user, ChangeRequest.from_mapping(ticket_request(cutover_date=CUTOVER)))
    real_check, calls = operations.open_ticket_for, []
    # The race: the second filing's check ran before the first committed; later lookups are real.
    monkeypatch.setattr(operations, "open_ticket_for", lambda *args: calls.append(1) or (None if len(calls) == 1 else real_check(*args)))
    db.session.expire_all()  # as the probe's commit leaves the session
    with pytest.raises(OpenTicketExists):
        operations.file_ticket(account.user, ChangeRequest.from_mapping(ticket_request(cutover_date="2026-12-14")))
    assert db.session.scalars(
        select(Ticket.id).where(Ticket.service_id == db.session.scalar(select(Service.id).where(Service.code == "info_query")))
    ).all() == [first.id]


@pytest.mark.parametrize(
    "path", ["/tickets/?page=²", "/links/?page=²", "/review/?page=²", "/workdays/?year=²", "/tickets/?page=١٢", "/calendar/list?page=①"]
)
def test_unicode_digits_in_numbers_are_ignored_not_a_500(client, auth, make, path):
    role = Role.PROVINCE_REVIEWER if path.startswith("/review") else Role.CENTER_STAFF
    account = make.user(role)
    auth.login(account.username, account.password)
    assert client.get(path).status_code == 200


def test_unicode_digits_in_the_api_and_in_a_form_version(clerk, team, client, auth, make):
    assert clerk.get("/tickets?limit=①&offset=²").status_code == 200
    ticket = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
    reviewer = make.user(Role.PROVINCE_REVIEWER, province="河南")
    auth.login(reviewer.username, reviewer.password)
    response = client.post(f"/review/{ticket['id']}/decision", data={"decision": "approve", "version": "²"})
    assert response.status_code in (302, 409, 422)


@pytest.mark.parametrize("path", ["/links/", "/links/health", "/calendar/", "/calendar/list"])
@pytest.mark.parametrize("query", ["kind=x", "endpoint=x", "_method=POST", "_external=1", "values=x&province=41"])
def test_query_parameters_named_like_url_for_arguments(client, auth, make, path, query):
    ministry = make.user(Role.MINISTRY_REVIEWER)
    auth.login(ministry.username, ministry.password)
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200
    if "province=41" in query:  # a known filter still reaches the links built from the page
        assert "province=41" in response.get_data(as_text=True)


class TestCalendarMonths:
    @pytest.fixture(autouse=True)
    def _login(self, clock, client, auth, make):  # after the clock: a cookie signed later is refused
        clerk = make.user()
        auth.login(clerk.username, clerk.password)

    def test_the_last_month_shows_and_offers_no_next(self, client):
        page = client.get("/calendar/?month=2099-12")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "2099 年 12 月" in text and "下月 →" not in text and "← 上月" in text

    def test_the_first_month_offers_no_previous(self, client):
        text = client.get("/calendar/?month=2018-01").get_data(as_text=True)
        assert "2018 年 1 月" in text and "← 上月" not in text

    @pytest.mark.parametrize("month", ["2100-01", "2017-12", "9999-12", "0001-01"])
    def test_months_outside_the_calendar_are_a_404_that_says_which_exist(self, client, month):
        response = client.get(f"/calendar/?month={month}")
        assert response.status_code == 404
        assert "2018-01 至 2099-12" in response.get_data(as_text=True)


def test_json_nested_a_thousand_deep_is_a_json_400(clerk):
    body = "[" * 1000 + "]" * 1000
    response = clerk.client.post("/api/v1/tickets", data=body, headers={**clerk.headers, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.is_json
    assert "嵌套" in response.get_json()["errors"]["body"][0]


@pytest.mark.parametrize("number", ["2147483648", "9223372036854775808", "99999999999999999999999"])
def test_ids_past_the_integer_column_are_404(clerk, client, auth, make, number):
    assert clerk.get(f"/tickets/{number}").status_code == 404
    assert clerk.post(f"/tickets/{number}/withdraw", {"version": 1}).status_code == 404
    account = make.user()
    auth.login(account.username, account.password)
    assert client.get(f"/tickets/{number}").status_code == 404


def test_crlf_in_next_leads_a_correct_login_home(client, make):
    clerk = make.user()
    response = client.post("/login?next=/%0D%0ASet-Cookie:%20x=1", data={"username": clerk.username, "password": clerk.password})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "x=1" not in response.headers.get("Set-Cookie", "")


def test_simultaneous_wrong_passwords_are_checked_no_more_than_the_free_failures(app, make):
    from tests.helpers import at_once

    username = make.user().username  # read here: the threads have no app context to load it in
    db.session.commit()
    free = app.config["LINKDESK_LOGIN_FREE_FAILURES"]

    def guess(n):
        def call():
            return app.test_client().post("/login", data={"username": username, "password": f"guess-{n}"}).status_code

        return call

    with frozen():
        answers = at_once(*(guess(n) for n in range(16)))
    assert answers.count(401) <= free and answers.count(429) >= 16 - free, answers


class TestJsonTypes:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("reason", True),
            ("contact_name", []),
            ("contact_phone", {"a": 1}),
            ("new_url", 5),
            ("emergency", "yes"),
            ("service", ["info_query"]),
        ],
    )
    def test_a_wrong_type_is_a_422_naming_the_field_and_nothing_is_stored(self, clerk, field, value):
        response = clerk.post("/tickets", ticket_request(cutover_date=CUTOVER, **{field: value}))
        assert response.status_code == 422
        assert field in response.get_json()["errors"]
        assert tickets_in_database() == 0

    def test_a_wrong_type_on_a_decision(self, team):
        ticket = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
        for body in (
            {"decision": ["approve"], "version": ticket["version"]},
            {"decision": "approve", "version": True},
            {"decision": "approve", "version": ticket["version"], "override": "yes"},
        ):
            response = team["henan"][0].post(f"/tickets/{ticket['id']}/decision", body)
            assert response.status_code == 422, body


class TestImports:
    @pytest.fixture
    def admin(self, client, auth, make):
        account = make.user(Role.ADMIN)
        auth.login(account.username, account.password)
        return account

    def test_a_cr_only_registry_csv_is_read_like_any_other(self, client, admin):
        text = "center_code,service_code,url,effective_date\r410100,info_query,https://gjj.zhengzhou.gov.cn/query,2025-06-01\r"
        response = client.post(
            "/links/import", data={"registry_file": (io.BytesIO(text.encode()), "mac.csv")}, content_type="multipart/form-data"
        )
        assert response.status_code == 302

    def test_a_field_past_the_csv_limit_is_a_refusal_on_both_imports(self, client, admin):
        huge = "center_code,service_code,url,effective_date\n410100,info_query,https://x.gov.cn/" + "a" * 140_000 + ",2025-06-01\n"
        registry = client.post(
            "/links/import", data={"registry_file": (io.BytesIO(huge.encode()), "big.csv")}, content_type="multipart/form-data"
        )
        assert registry.status_code == 422 and "CSV" in registry.get_data(as_text=True)
        schedule = "# source: 测试\ndate,kind,name\n2027-01-01,holiday," + "元" * 140_000 + "\n"
        imported = client.post(
            "/workdays/import",
            data={"schedule_file": (io.BytesIO(schedule.encode()), "big.csv"), "preview": "1"},
            content_type="multipart/form-data",
        )
        assert imported.status_code == 422 and "CSV" in imported.get_data(as_text=True)

    @pytest.mark.parametrize(
        "periods",
        [
            5,
            "abc",
            [{"name": "全年", "first": "0001-01-01", "last": "9999-12-31"}] * 4,
            [{"name": "长假", "first": "2027-01-01", "last": "2027-06-30"}],
        ],
    )
    def test_schedule_periods_are_checked_before_any_day_is_listed(self, client, admin, periods):
        body = json.dumps({"year": 2027, "source": "测试", "periods": periods, "holidays": [], "makeup_workdays": []})
        response = client.post(
            "/workdays/import",
            data={"schedule_file": (io.BytesIO(body.encode()), "s.json"), "preview": "1"},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422
        assert "periods" in response.get_data(as_text=True)


def test_a_search_past_a_hundred_characters_is_a_422(clerk):
    response = clerk.get("/centers?q=" + "郑" * 60_000)
    assert response.status_code == 422 and "q" in response.get_json()["errors"]
    assert clerk.get("/centers?q=" + "郑" * 100).status_code == 200


def test_free_text_cannot_make_a_link_in_a_robot_message(clerk, team):
    add_channel("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=henan", "province:河南")
    address = "https://gjj.example.gov.cn/a?x=[点此登录复核](https://evil.example/login)"
    response = clerk.post(
        "/tickets", ticket_request(cutover_date=CUTOVER, new_url=address, reason='迁移\n### 假标题 <font color="info">通过</font>')
    )
    assert response.status_code == 201, response.get_json()
    ticket = response.get_json()
    team["henan"][0].post(
        f"/tickets/{ticket['id']}/decision",
        {"decision": "return", "comment": "见 [官方说明](https://evil.example/)", "version": ticket["version"]},
    )
    bodies = [m.body for m in db.session.scalars(select(OutboxMessage))]
    assert bodies
    for body in bodies:
        assert "](https://evil.example" not in body.replace("\\](", "")
        assert "\n### 假标题" not in body and '<font color="info">通过' not in body


@pytest.mark.parametrize("path", ["/login", "/api/v1/services", "/static/linkdesk.css", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    response.close()  # a static file is streamed from an open file
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_every_template_passes_the_csp_no_inline_script_or_style():
    from pathlib import Path

    from linkdesk import REPO_ROOT

    for template in Path(REPO_ROOT, "templates").rglob("*.html"):
        text = template.read_text()
        assert "<script>" not in text and "style=" not in text, template
        assert not re.search(r"\son[a-z]+=", text), template  # inline event handlers


@pytest.mark.parametrize("version", ["²", "١", "9" * 5000])
def test_a_version_in_unicode_digits_on_an_upload_is_a_422(clerk, version):
    ticket = clerk.post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
    response = clerk.upload(f"/tickets/{ticket['id']}/attachments", {"version": version}, ("公函.pdf", b"%PDF-1.4\n%%EOF\n"))
    assert response.status_code == 422 and "version" in response.get_json()["errors"]


@pytest.mark.parametrize("limit", ["²", "9" * 5000, "0", "1001"])
def test_a_cutovers_page_size_that_is_not_a_small_ascii_number_is_a_422(clerk, limit):
    response = clerk.get(f"/cutovers?from=2026-12-01&to=2026-12-31&limit={limit}")
    assert response.status_code == 422 and "limit" in response.get_json()["errors"]
