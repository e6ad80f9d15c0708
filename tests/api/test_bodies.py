"""The API reads its requests through the models in ``api.bodies`` (issue 28), and refuses them
as it always has: a 422 whose ``errors`` name each field in Chinese. The document's bodies and
query parameters are those models'."""

import pytest
from pydantic import ValidationError

from linkdesk.api.bodies import BulkDecisions, Decision, DecisionItem, NewTicket, TicketQuery, refusals
from linkdesk.api.openapi import document

from ..factories import ticket_request

CUTOVER = "2026-12-11"
pytestmark = pytest.mark.usefixtures("clock")


def _refusals(model, data) -> dict:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return refusals(caught.value)


def test_a_wrong_json_type_is_named_by_field_and_type():
    assert _refusals(NewTicket, {"reason": True, "emergency": "yes", "service": ["info_query"]}) == {
        "service": ["service 应为字符串。"],
        "reason": ["reason 应为字符串。"],
        "emergency": ["emergency 应为布尔值 true/false。"],
    }
    assert _refusals(Decision, {"decision": "approve", "version": True}) == {"version": ["version 应为整数。"]}
    assert _refusals(Decision, {"decision": "approve", "version": 1.0, "override": 1}) == {
        "version": ["version 应为整数。"],
        "override": ["override 应为布尔值 true/false。"],
    }


def test_null_is_an_absent_field_and_unknown_keys_are_left_alone():
    body = NewTicket.model_validate({"reason": None, "something": [1]})
    assert body.reason is None and "something" not in body.model_dump()
    # A date and a comment are judged by their rules, with their own messages, whatever their type.
    assert Decision.model_validate({"comment": 5}).comment == 5
    assert NewTicket.model_validate({"cutover_date": 20261211}).cutover_date == 20261211


def test_a_bulk_items_refusals():
    assert _refusals(DecisionItem, {"decision": "approve"}) == {"id": ["缺少工单 id。"]}
    assert _refusals(DecisionItem, {"id": 2**31}) == {"id": ["没有该工单。"]}
    assert _refusals(DecisionItem, {"id": "7", "comment": 5}) == {"id": ["id 应为整数。"], "comment": ["comment 应为字符串。"]}
    assert _refusals(BulkDecisions, {"items": []})["items"][0].startswith('请求体应为 {"items": [{"id"')
    assert _refusals(BulkDecisions, {"items": [{}] * 101}) == {"items": ["一次最多 100 项（现有 101 项）。"]}


def test_the_list_arguments_are_pulled_into_range_never_refused():
    query = TicketQuery.model_validate({"limit": "9" * 5000, "offset": "-5", "page": "²"})
    assert (query.limit, query.offset, query.page) == (500, 0, 1)
    assert TicketQuery.model_validate({}).limit == 100


class TestOverHttp:
    def test_a_body_that_is_not_an_object(self, api_as):
        clerk, _ = api_as(center="郑州")
        response = clerk.client.post("/api/v1/tickets", data="[1, 2]", headers=clerk.headers, content_type="application/json")
        assert response.status_code == 422
        assert response.get_json() == {"error": "请求体必须是 JSON 对象。", "errors": {"body": ["请求体必须是 JSON 对象。"]}, "status": 422}

    def test_a_wrong_type_on_filing_is_the_old_answer_exactly(self, api_as):
        clerk, _ = api_as(center="郑州")
        response = clerk.post("/tickets", ticket_request(cutover_date=CUTOVER, contact_phone=12345678))
        assert response.status_code == 422
        assert response.get_json() == {
            "error": "contact_phone 应为字符串。",
            "errors": {"contact_phone": ["contact_phone 应为字符串。"]},
            "status": 422,
        }

    def test_bulk_decisions_keep_each_items_answer(self, team):
        ticket = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
        response = team["henan"][0].post(
            "/decisions",
            {
                "items": [
                    "x",
                    {"id": "1"},
                    {"id": 2**31, "decision": "approve"},
                    {"id": ticket["id"], "version": ticket["version"], "decision": "approve"},
                ]
            },
        )
        assert response.status_code == 200
        [not_object, bad_id, too_big, approved] = response.get_json()["results"]
        assert not_object == {"id": None, "status": 422, "errors": {"item": ["每一项应为 JSON 对象。"]}}
        assert bad_id == {"id": None, "status": 422, "errors": {"id": ["id 应为整数。"]}}
        assert too_big == {"id": 2**31, "status": 422, "errors": {"id": ["没有该工单。"]}}
        assert approved["id"] == ticket["id"] and approved["status"] == 200 and "errors" not in approved
        assert "history" not in approved["ticket"] and approved["ticket"]["stage"] == "ministry"

    def test_a_bulk_body_without_items(self, team):
        for body in ({}, {"items": "x"}):
            response = team["henan"][0].post("/decisions", body)
            assert response.status_code == 422 and list(response.get_json()["errors"]) == ["items"]

    def test_query_refusals_name_their_argument(self, api_as):
        clerk, _ = api_as(center="郑州")
        earliest = clerk.get("/workdays/earliest")
        assert earliest.get_json()["errors"] == {"submitted": ["submitted 必须是 YYYY-MM-DD 格式的有效日期。"]}
        cursor = clerk.get("/cutovers?from=2026-12-01&to=2026-12-31&cursor=abc")
        assert cursor.get_json()["errors"] == {"cursor": ["分页游标无效，请使用上一页返回的 next_cursor。"]}
        both = clerk.get("/cutovers?from=2026-12-01&to=2026-12-31&cursor=abc&limit=0")
        assert set(both.get_json()["errors"]) == {"cursor", "limit"}

    def test_a_page_without_offset_starts_where_the_page_does(self, api_as):
        clerk, _ = api_as(center="郑州")
        for service in ("info_query", "transfer", "unit_registration"):
            assert clerk.post("/tickets", ticket_request(service, cutover_date=CUTOVER)).status_code == 201
        everything = [t["id"] for t in clerk.get("/tickets").get_json()]
        assert [t["id"] for t in clerk.get("/tickets?limit=1&page=2").get_json()] == everything[1:2]
        assert [t["id"] for t in clerk.get("/tickets?limit=1&page=2&offset=0").get_json()] == everything[:1]


def test_every_query_field_is_a_documented_parameter_and_no_other():
    operation = document()["paths"]["/tickets"]["get"]
    names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert names == {field.alias or name for name, field in TicketQuery.model_fields.items()}
    earliest = document()["paths"]["/workdays/earliest"]["get"]["parameters"]
    assert earliest == [
        {
            "name": "submitted",
            "in": "query",
            "required": True,
            "description": "提交日期 D，YYYY-MM-DD",
            "schema": {"type": "string", "format": "date"},
        }
    ]
