"""Evidence on a ticket (issue 22): the ICP filing number and attachments."""

import hashlib

import pytest
from sqlalchemy import func, select

from linkdesk.extensions import db
from linkdesk.models import AuditEvent, Role, TicketAttachment
from linkdesk.tickets.evidence import clean_filename, normalize_icp, sniff_type
from tests.factories import ticket_request
from tests.helpers import frozen, multipart

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20)
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
CUTOVER = "2026-12-11"  # E(D) for the frozen Friday 2026-11-27
MB = 1024 * 1024


def attachment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(TicketAttachment))


def file_ticket(api, **overrides):
    with frozen():
        response = api.post("/tickets", ticket_request(cutover_date=CUTOVER, **overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def attach(api, ticket, *files, version=None):
    with frozen():
        return api.upload(
            f"/tickets/{ticket['id']}/attachments", {"version": version if version is not None else ticket["version"]}, *files
        )


def decide(api, ticket, decision="approve", **extra):
    with frozen():
        return api.post(f"/tickets/{ticket['id']}/decision", {"decision": decision, "version": ticket["version"], **extra})


@pytest.fixture
def live_zhengzhou(runner, tmp_path):
    """郑州's info_query link is live on its government host."""
    path = tmp_path / "links.csv"
    path.write_text(
        "center_code,service_code,url,effective_date\n410100,info_query,https://gjj.zhengzhou.gov.cn/query,2025-06-01\n", encoding="utf-8"
    )
    assert runner.invoke(args=["registry", "import", str(path)]).exit_code == 0


class TestIcpNumber:
    def test_a_government_host_without_a_change_needs_none(self, team):
        ticket = file_ticket(team["zhengzhou"][0])
        assert ticket["icp_number"] is None

    def test_a_host_outside_gov_cn_needs_one(self, team):
        with frozen():
            response = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date=CUTOVER, new_url="https://zzgjj.com.cn/query"))
        assert response.status_code == 422
        assert "ICP 备案号" in response.get_json()["errors"]["icp_number"][0]

    def test_a_changed_host_needs_one_and_the_warning_says_it_was_given(self, team, live_zhengzhou):
        clerk = team["zhengzhou"][0]
        with frozen():
            refused = clerk.post("/tickets", ticket_request(cutover_date=CUTOVER, new_url="https://wsbs.zhengzhou.gov.cn/q"))
        assert refused.status_code == 422 and "域名与当前在用地址不同" in refused.get_json()["errors"]["icp_number"][0]
        ticket = file_ticket(clerk, new_url="https://wsbs.zhengzhou.gov.cn/q", icp_number="豫ICP备12345678号-1")
        assert ticket["icp_number"] == "豫ICP备12345678号-1"
        changed = next(w for w in ticket["warnings"] if w["code"] == "host_changed")
        assert "已填写 ICP 备案号 豫ICP备12345678号-1" in changed["message"]

    @pytest.mark.parametrize("number", ["12345678", "豫ICP证12345678号", "XICP备12345678号", "豫ICP备号", "豫ICP备1234号-x"])
    def test_a_malformed_number_is_refused(self, team, number):
        with frozen():
            response = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date=CUTOVER, icp_number=number))
        assert response.status_code == 422
        assert "豫ICP备12345678号-1" in response.get_json()["errors"]["icp_number"][0]

    def test_full_width_typing_is_normalized(self):
        assert normalize_icp(" 豫icp备１２３４５６７８号－１ ") == "豫ICP备12345678号-1"

    def test_reviewers_see_it_beside_the_host(self, team, client, auth, make):
        ticket = file_ticket(team["zhengzhou"][0], new_url="https://zzgjj.com.cn/query", icp_number="豫ICP备12345678号-1")
        reviewer = make.user(Role.PROVINCE_REVIEWER, province="河南")
        auth.login(reviewer.username, reviewer.password)
        page = client.get(f"/tickets/{ticket['id']}").get_data(as_text=True)
        assert "豫ICP备12345678号-1" in page and "ICP 备案号" in page


class TestFileTypes:
    def test_a_pdf_named_png_is_stored_as_pdf(self, team):
        clerk = team["zhengzhou"][0]
        ticket = file_ticket(clerk)
        response = attach(clerk, ticket, ("截图.png", PDF))
        assert response.status_code == 201, response.get_json()
        stored = response.get_json()["attachments"][0]
        assert stored["content_type"] == "application/pdf"
        assert stored["filename"] == "截图.png.pdf"
        assert stored["size"] == len(PDF) and stored["sha256"] == hashlib.sha256(PDF).hexdigest()

    def test_an_html_file_named_pdf_is_refused_and_nothing_stored(self, team):
        clerk = team["zhengzhou"][0]
        ticket = file_ticket(clerk)
        response = attach(clerk, ticket, ("公函.pdf", HTML))
        assert response.status_code == 422
        assert "不是 PDF、PNG 或 JPEG" in response.get_json()["errors"]["attachments"][0]
        assert attachment_count() == 0

    def test_eleven_megabytes_is_413_and_nothing_stored(self, team):
        clerk = team["zhengzhou"][0]
        ticket = file_ticket(clerk)
        response = attach(clerk, ticket, ("公函.pdf", PDF + bytes(11 * MB)))
        assert response.status_code == 413 and response.is_json
        assert "10 MB" in response.get_json()["errors"]["attachments"][0]
        assert attachment_count() == 0
        assert team["zhengzhou"][0].get(f"/tickets/{ticket['id']}").get_json()["version"] == ticket["version"]

    def test_a_body_over_the_request_limit_is_413_json(self, team):
        clerk = team["zhengzhou"][0]
        ticket = file_ticket(clerk)
        response = attach(clerk, ticket, *[(f"{i}.pdf", PDF + bytes(10 * MB)) for i in range(6)])
        assert response.status_code == 413 and response.is_json
        assert "10 MB" in response.get_json()["error"]
        assert attachment_count() == 0

    def test_the_signatures(self):
        assert [sniff_type(b) for b in (PDF, PNG, JPEG, HTML, b"")] == ["application/pdf", "image/png", "image/jpeg", None, None]
        assert clean_filename("C:\\scan\\公函.PDF", "application/pdf") == "公函.PDF"
        assert clean_filename('"><x>.jpeg', "image/jpeg") == "x.jpeg"


class TestLimitsAndRemoval:
    def test_the_sixth_attachment_is_refused(self, team):
        clerk = team["zhengzhou"][0]
        ticket = file_ticket(clerk)
        body = attach(clerk, ticket, *[(f"{i}.png", PNG) for i in range(5)]).get_json()
        assert len(body["attachments"]) == 5
        response = attach(clerk, body["ticket"], ("6.jpg", JPEG))
        assert response.status_code == 422
        assert "最多 5 个附件" in response.get_json()["errors"]["attachments"][0]
        assert attachment_count() == 5

    def test_each_add_and_remove_is_an_audit_event_and_bumps_the_version(self, team):
        clerk = team["zhengzhou"][0]
        ticket = file_ticket(clerk)
        body = attach(clerk, ticket, ("公函.pdf", PDF)).get_json()
        added = body["attachments"][0]
        assert body["ticket"]["version"] == ticket["version"] + 1
        stale = clerk.delete(f"/tickets/{ticket['id']}/attachments/{added['id']}", {"version": ticket["version"]})
        assert stale.status_code == 409
        removed = clerk.delete(f"/tickets/{ticket['id']}/attachments/{added['id']}", {"version": body["ticket"]["version"]})
        assert removed.status_code == 200, removed.get_json()
        actions = [(e["action"], e["comment"]) for e in removed.get_json()["history"]]
        assert [a for a, _ in actions] == ["submit", "attach", "detach"]
        assert "公函.pdf" in actions[1][1] and hashlib.sha256(PDF).hexdigest()[:16] in actions[1][1]
        assert removed.get_json()["attachments"] == [] and attachment_count() == 0

    def test_removal_after_a_decision_is_refused(self, team):
        clerk = team["zhengzhou"][0]
        ticket = file_ticket(clerk)
        added = attach(clerk, ticket, ("公函.pdf", PDF)).get_json()
        returned = decide(team["henan"][0], added["ticket"], "return", comment="请补充说明")
        assert returned.status_code == 200, returned.get_json()
        ticket = returned.get_json()
        response = clerk.delete(f"/tickets/{ticket['id']}/attachments/{added['attachments'][0]['id']}", {"version": ticket["version"]})
        assert response.status_code == 422
        assert "不能删除" in response.get_json()["errors"]["attachments"][0]
        assert attachment_count() == 1

    def test_only_the_owning_center_adds(self, team):
        ticket = file_ticket(team["zhengzhou"][0])
        assert attach(team["luoyang"][0], ticket, ("a.pdf", PDF)).status_code == 404
        assert attach(team["henan"][0], ticket, ("a.pdf", PDF)).status_code == 404
        assert attachment_count() == 0


class TestWhoSeesThem:
    def test_reviewers_in_scope_download_it_as_an_attachment_others_get_404(self, team):
        clerk = team["zhengzhou"][0]
        ticket = file_ticket(clerk)
        added = attach(clerk, ticket, ("公函.pdf", PDF)).get_json()["attachments"][0]
        path = f"/tickets/{ticket['id']}/attachments/{added['id']}"
        response = team["henan"][0].get(path)
        assert response.status_code == 200 and response.data == PDF
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert team["ministry"][0].get(path).status_code == 200
        for outsider in ("hubei", "luoyang"):
            api = team[outsider][0]
            assert api.get(path).status_code == 404
            assert api.get(f"/tickets/{ticket['id']}/attachments").status_code == 404
        listing = team["henan"][0].get(f"/tickets/{ticket['id']}/attachments").get_json()
        assert [a["id"] for a in listing] == [added["id"]]

    def test_another_tickets_attachment_id_is_404(self, team):
        clerk = team["zhengzhou"][0]
        first = file_ticket(clerk)
        other = file_ticket(clerk, service="transfer")
        added = attach(clerk, first, ("公函.pdf", PDF)).get_json()["attachments"][0]
        assert clerk.get(f"/tickets/{other['id']}/attachments/{added['id']}").status_code == 404


class TestEmergencyAndRequests:
    def test_an_emergency_without_an_attachment_is_refused_with_a_field_error(self, team):
        with frozen():
            response = team["zhengzhou"][0].post(
                "/tickets", ticket_request(cutover_date="2026-12-01", emergency=True, emergency_reason="原服务器故障，必须尽快切换")
            )
        assert response.status_code == 422
        assert "盖章公函" in response.get_json()["errors"]["attachments"][0]

    def test_an_emergency_filed_as_multipart_with_its_letter(self, team):
        fields = ticket_request(cutover_date="2026-12-01", emergency="true", emergency_reason="原服务器故障，必须尽快切换")
        with frozen():
            response = team["zhengzhou"][0].upload("/tickets", fields, ("紧急变更申请.pdf", PDF))
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["emergency"] is True and [a["filename"] for a in body["attachments"]] == ["紧急变更申请.pdf"]

    def test_the_last_letter_of_an_emergency_cannot_be_removed(self, team):
        fields = ticket_request(cutover_date="2026-12-01", emergency="true", emergency_reason="原服务器故障，必须尽快切换")
        with frozen():
            body = team["zhengzhou"][0].upload("/tickets", fields, ("紧急变更申请.pdf", PDF)).get_json()
        response = team["zhengzhou"][0].delete(
            f"/tickets/{body['id']}/attachments/{body['attachments'][0]['id']}", {"version": body["version"]}
        )
        assert response.status_code == 422 and attachment_count() == 1

    def test_a_reviewer_requires_a_letter_and_resubmission_waits_for_it(self, team):
        clerk = team["zhengzhou"][0]
        ticket = file_ticket(clerk)
        returned = decide(team["henan"][0], ticket, "return", comment="请补充盖章公函", require_document=True)
        assert returned.status_code == 200 and returned.get_json()["evidence_requested"] is True
        ticket = returned.get_json()
        with frozen():
            refused = clerk.post(f"/tickets/{ticket['id']}/resubmit", {"version": ticket["version"]})
        assert refused.status_code == 422 and "补充材料" in refused.get_json()["errors"]["attachments"][0]
        ticket = attach(clerk, ticket, ("盖章公函.pdf", PDF)).get_json()["ticket"]
        with frozen():
            resubmitted = clerk.post(f"/tickets/{ticket['id']}/resubmit", {"version": ticket["version"]})
        assert resubmitted.status_code == 200, resubmitted.get_json()
        assert resubmitted.get_json()["status"] == "pending" and resubmitted.get_json()["evidence_requested"] is False

    def test_requiring_a_document_goes_only_with_a_return(self, team):
        ticket = file_ticket(team["zhengzhou"][0])
        response = decide(team["henan"][0], ticket, "approve", require_document=True)
        assert response.status_code == 422 and "require_document" in response.get_json()["errors"]


class TestPages:
    def test_the_clerk_files_with_a_letter_and_the_reviewer_downloads_it(self, client, auth, make, clock):
        clerk = make.user(Role.CENTER_STAFF, center="郑州")
        auth.login(clerk.username, clerk.password)
        response = client.post("/tickets/new", **multipart(ticket_request(cutover_date=CUTOVER), ("公函.pdf", PDF), field="attachments"))
        assert response.status_code == 302, response.get_data(as_text=True)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "公函.pdf" in page and "上传附件" in page
        attachment = db.session.scalar(select(TicketAttachment))
        url = f"/tickets/{attachment.ticket_id}/attachments/{attachment.id}"
        auth.logout()
        for province, status in (("湖北", 404), ("河南", 200)):
            reviewer = make.user(Role.PROVINCE_REVIEWER, province=province)
            auth.login(reviewer.username, reviewer.password)
            download = client.get(url)
            assert download.status_code == status, province
            auth.logout()
        assert download.data == PDF
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["X-Content-Type-Options"] == "nosniff"

    def test_a_refused_file_on_the_form_keeps_what_was_typed(self, client, auth, make):
        clerk = make.user(Role.CENTER_STAFF, center="郑州")
        with frozen():
            auth.login(clerk.username, clerk.password)
            response = client.post(
                "/tickets/new", **multipart(ticket_request(cutover_date=CUTOVER), ("公函.pdf", HTML), field="attachments")
            )
        assert response.status_code == 422
        text = response.get_data(as_text=True)
        assert "不是 PDF、PNG 或 JPEG" in text and "服务器迁移到政务云" in text
        assert attachment_count() == 0

    def test_an_oversized_page_post_is_a_chinese_413_page(self, client, auth, team):
        api, clerk = team["zhengzhou"]
        ticket = file_ticket(api)
        auth.login(clerk.username, clerk.password)
        response = client.post(f"/tickets/{ticket['id']}/withdraw", data={"comment": "x" * (3 * MB)})
        assert response.status_code == 413
        assert "提交的内容过大" in response.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1  # the filing only


class TestBrokenFileNames:
    """Issue 34, point 6: a file whose name has a line break reaches the desk without its name
    (werkzeug reads the part's header as broken, so the part is text under the file input's name):
    it is refused saying so, not with "请选择要上传的文件" (no file chosen)."""

    NAMES = ["公函\r\n.pdf", "公函\n.pdf", "公函\r.pdf"]
    BINARY_PDF = PDF + b"\x00\x01\xff\xfe stream"  # what a real PDF holds: bytes no text field takes

    @pytest.mark.parametrize("name", NAMES)
    @pytest.mark.parametrize("content", [PDF, BINARY_PDF], ids=["text-like", "binary"])
    def test_the_api_says_the_name_is_the_problem(self, team, name, content):
        api, _ = team["zhengzhou"]
        ticket = file_ticket(api)
        response = attach(api, ticket, (name, content))
        body = response.get_json()
        assert response.status_code == 422 and "file" in body["errors"], body
        assert "文件名中不能有换行" in body["error"] and "请选择要上传的文件" not in body["error"]
        with frozen():
            filed = api.upload("/tickets", ticket_request("transfer", cutover_date=CUTOVER), (name, content))
        assert filed.status_code == 422 and "文件名中不能有换行" in filed.get_json()["error"]
        assert attachment_count() == 0

    @pytest.mark.parametrize("name", NAMES)
    def test_the_pages_say_the_name_is_the_problem(self, client, auth, team, name):
        api, clerk = team["zhengzhou"]
        ticket = file_ticket(api)
        auth.login(clerk.username, clerk.password)
        with frozen():
            added = client.post(
                f"/tickets/{ticket['id']}/attachments",
                **multipart({"version": ticket["version"]}, (name, self.BINARY_PDF), field="attachments"),
            )
            filed = client.post(
                "/tickets/new", **multipart(ticket_request("transfer", cutover_date=CUTOVER), (name, PDF), field="attachments")
            )
        for response in (added, filed):
            text = response.get_data(as_text=True)
            assert response.status_code == 422 and "文件名中不能有换行" in text and "请选择要上传的文件" not in text
        assert attachment_count() == 0

    def test_other_control_characters_in_a_name_are_taken_out(self, team):
        api, _ = team["zhengzhou"]
        ticket = file_ticket(api)
        response = attach(api, ticket, ("公\t函\x01.pdf", PDF))
        assert response.status_code == 201 and response.get_json()["attachments"][0]["filename"] == "公函.pdf"
