"""Logs (linkdesk.service.logs): a request id on every answer and in every line logged during the
request, one line per request with its fields, JSON when asked for."""

import json
import logging
import re

import pytest

from linkdesk.models import Role

MADE_ID = re.compile(r"[0-9a-f]{32}")


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def json_app(app, build_app, capfd):
    """An app logging JSON to the stderr this test captures, with a route that fails and one that logs.

    Built after the test's ``app`` (whose factories the test may use): the last app built sets the logging."""
    capfd.readouterr()
    logging_app = build_app(LINKDESK_LOG_FORMAT="json")

    @logging_app.get("/test-only/boom")
    def boom():
        raise RuntimeError("the view broke")

    @logging_app.get("/test-only/chatty")
    def chatty():
        logging.getLogger("linkdesk.test").warning("inside the request", extra={"job": "deliver", "message_id": 7})
        return "ok"

    return logging_app


def request_lines(lines: list[dict], request_id: str) -> list[dict]:
    return [line for line in lines if line["logger"] == "linkdesk.request" and line.get("request_id") == request_id]


class TestRequestId:
    @pytest.mark.parametrize("given", ["proxy-123", "a" * 128, "0b5f:1.2_3-x", "Z"])
    def test_a_sane_id_is_echoed(self, client, given):
        assert client.get("/login", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given

    @pytest.mark.parametrize("given", ["", "a" * 129, "two words", "<script>", "编号1", "a/b", "a;b"])
    def test_anything_else_is_replaced_by_a_new_id(self, client, given):
        answered = client.get("/login", headers={"X-Request-ID": given}).headers["X-Request-ID"]
        assert MADE_ID.fullmatch(answered) and answered != given

    def test_each_request_gets_its_own(self, client):
        assert client.get("/login").headers["X-Request-ID"] != client.get("/login").headers["X-Request-ID"]

    @pytest.mark.parametrize(
        ("path", "status"),
        [
            ("/no-such-page", 404),
            ("/api/v1/no-such-thing", 404),
            ("/api/v1/tickets", 401),
            ("/static/linkdesk.css", 200),
            ("/static/no-such.css", 404),
            ("/tickets/99999999999", 404),
            ("/login?next=%01", 422),  # refused by the input guard, before any view
            ("/metrics", 200),
        ],
    )
    def test_every_kind_of_answer_carries_it(self, client, path, status):
        answer = client.get(path, headers={"X-Request-ID": "edge-1"})
        assert answer.status_code == status
        assert answer.headers["X-Request-ID"] == "edge-1"
        answer.close()

    def test_a_method_not_allowed_and_an_api_error_carry_it(self, api_as):
        clerk, _ = api_as(Role.CENTER_STAFF)
        refused = clerk.client.put("/login", headers={"X-Request-ID": "put-1"})
        assert refused.status_code == 405 and refused.headers["X-Request-ID"] == "put-1"
        invalid = clerk.client.post("/api/v1/tickets", json={"service": "nope"}, headers={**clerk.headers, "X-Request-ID": "api-1"})
        assert invalid.status_code == 422 and invalid.headers["X-Request-ID"] == "api-1"


class TestRequestLines:
    def test_one_json_line_per_request_with_its_fields(self, json_app, capfd, make):
        account = make.user(Role.CENTER_STAFF)
        client = json_app.test_client()
        client.post("/login", data={"username": account.username, "password": account.password})
        answer = client.get("/tickets/", headers={"X-Request-ID": "list-1"})
        assert answer.status_code == 200
        [line] = request_lines(json_lines(capfd.readouterr().err), "list-1")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
        assert line["level"] == "INFO" and line["message"].startswith("GET /tickets/ 200")
        assert (line["endpoint"], line["method"], line["path"], line["status"]) == ("tickets.index", "GET", "/tickets/", 200)
        assert line["user_id"] == account.user.id
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0

    def test_an_anonymous_404_logs_one_line_without_a_user(self, json_app, capfd):
        answer = json_app.test_client().get("/no-such-page")
        [line] = request_lines(json_lines(capfd.readouterr().err), answer.headers["X-Request-ID"])
        assert (line["status"], line["user_id"], line["endpoint"]) == (404, None, None)

    def test_a_500_logs_one_traceback_and_one_request_line_with_the_id(self, json_app, capfd):
        answer = json_app.test_client().get("/test-only/boom", headers={"X-Request-ID": "boom-1"})
        assert answer.status_code == 500 and answer.headers["X-Request-ID"] == "boom-1"
        assert "服务器内部错误" in answer.get_data(as_text=True) and "RuntimeError" not in answer.get_data(as_text=True)
        lines = [line for line in json_lines(capfd.readouterr().err) if line.get("request_id") == "boom-1"]
        [traceback] = [line for line in lines if "exc_info" in line]
        assert "RuntimeError: the view broke" in traceback["exc_info"] and traceback["level"] == "ERROR"
        [request] = [line for line in lines if line["logger"] == "linkdesk.request"]
        assert request["status"] == 500 and request["level"] == "ERROR" and "exc_info" not in request
        assert len(lines) == 2

    def test_lines_logged_during_a_request_carry_its_id_and_their_fields(self, json_app, capfd):
        json_app.test_client().get("/test-only/chatty", headers={"X-Request-ID": "chat-1"})
        [inside] = [line for line in json_lines(capfd.readouterr().err) if line["logger"] == "linkdesk.test"]
        assert (inside["request_id"], inside["job"], inside["message_id"]) == ("chat-1", "deliver", 7)
        assert inside["message"] == "inside the request"

    def test_outside_a_request_a_line_has_its_fields_and_no_request_id(self, json_app, capfd):
        logging.getLogger("linkdesk.worker").info("outbox round", extra={"job": "deliver", "message_id": 12})
        [line] = [line for line in json_lines(capfd.readouterr().err) if line["logger"] == "linkdesk.worker"]
        assert line["job"] == "deliver" and line["message_id"] == 12 and "request_id" not in line

    def test_a_secret_in_the_path_is_not_logged(self, json_app, capfd):
        json_app.test_client().get("/calendar/feed/a-secret-feed-token.ics", headers={"X-Request-ID": "feed-1"})
        err = capfd.readouterr().err
        [line] = request_lines(json_lines(err), "feed-1")
        assert line["path"] == "/calendar/feed/***.ics" and "a-secret-feed-token" not in err


class TestConfiguration:
    def test_text_by_default_with_the_request_id(self, build_app, capfd):
        app = build_app()
        app.test_client().get("/login", headers={"X-Request-ID": "text-1"})
        [line] = [line for line in capfd.readouterr().err.splitlines() if "[text-1]" in line]
        assert " INFO linkdesk.request [text-1] GET /login 200 " in line and "endpoint=accounts.login" in line
        assert not line.startswith("{")

    def test_a_text_line_cannot_be_split_by_a_path(self, build_app, capfd):
        app = build_app()
        app.test_client().get("/forged%0A2026-01-01T00:00:00.000Z%20INFO%20fake", headers={"X-Request-ID": "split-1"})
        lines = [line for line in capfd.readouterr().err.splitlines() if "fake" in line]
        assert len(lines) == 1 and "[split-1]" in lines[0]

    def test_building_apps_again_keeps_one_handler(self, build_app):
        for _ in range(3):
            build_app(LINKDESK_LOG_FORMAT="json")
        handlers = [handler for handler in logging.getLogger().handlers if handler.get_name() == "linkdesk"]
        assert len(handlers) == 1
        assert not logging.getLogger("linkdesk").handlers  # Flask's default handler would say each line twice

    def test_format_and_level_come_from_the_environment(self, build_app, monkeypatch):
        monkeypatch.setenv("LINKDESK_LOG_FORMAT", "json")
        monkeypatch.setenv("LINKDESK_LOG_LEVEL", "warning")
        app = build_app()
        assert app.config["LINKDESK_LOG_FORMAT"] == "json"
        assert logging.getLogger("linkdesk").level == logging.WARNING
