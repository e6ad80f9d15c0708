"""Each answer of the API is its declaration (issue 28): what the API writes is what the pydantic
model in ``linkdesk.shapes`` declares — field by field, null never missing, moments as
``isoformat`` writes them — and the OpenAPI document's schemas are those models' own."""

import ast
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from linkdesk import shapes
from linkdesk.api.openapi import REF, document
from linkdesk.extensions import db
from linkdesk.models import OutboxMessage, Role
from linkdesk.notify.events import add_channel
from linkdesk.shapes import DocumentSchema
from linkdesk.shapes.calendar import CutoverPage
from linkdesk.shapes.registry import Center
from linkdesk.shapes.tickets import Ticket, TicketListItem

from .. import notify_servers
from ..factories import ticket_request
from ..helpers import frozen

receiver = notify_servers.receiver  # fixture
CUTOVER = "2026-12-11"
pytestmark = pytest.mark.usefixtures("clock")


def _filed(team) -> dict:
    response = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date=CUTOVER))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_ticket_answer_is_exactly_its_model(team):
    detail = _filed(team)
    assert Ticket.model_validate(detail).as_json() == detail
    assert sorted(detail) == sorted(Ticket.model_fields)  # every declared field and no other (jsonify sorts keys)
    [item] = team["zhengzhou"][0].get("/tickets").get_json()
    assert sorted(item) == sorted(TicketListItem.model_fields)
    assert TicketListItem.model_validate(item).as_json() == item


def test_nulls_are_written_and_moments_keep_their_utc_offset(team):
    detail = _filed(team)
    assert detail["emergency_reason"] is None and detail["http_justification"] is None and "icp_number" in detail
    [filing] = detail["history"]
    assert filing["at"] == "2026-11-27T02:00:00+00:00"  # datetime.isoformat, not pydantic's "…Z"
    assert filing["actor"] and filing["changes"] == []


def test_a_webhook_carries_the_list_items_shape_in_its_declared_order(team, receiver):
    add_channel("webhook", receiver.url(), "center:郑州", "submitted")
    ticket = _filed(team)
    [body] = [json.loads(m.body) for m in db.session.scalars(select(OutboxMessage))]
    [item] = team["zhengzhou"][0].get("/tickets").get_json()
    assert body["ticket"] == item and body["ticket"]["id"] == ticket["id"]
    assert list(body["ticket"]) == list(TicketListItem.model_fields)  # the body is signed as written


def test_a_cutover_page_writes_from_by_its_name(team):
    with frozen():
        page = team["ministry"][0].get(f"/cutovers?from={CUTOVER}&to={CUTOVER}").get_json()
    assert sorted(page) == ["cutovers", "from", "next_cursor", "to"]
    assert CutoverPage.model_validate(page).as_json() == page


def test_the_documents_schemas_are_the_models_own():
    schemas = document()["components"]["schemas"]
    for model in (Center, Ticket, TicketListItem):
        own = model.model_json_schema(ref_template=REF, schema_generator=DocumentSchema, mode="serialization")
        own.pop("$defs", None)
        assert schemas[model.__name__] == own, model.__name__


def test_the_document_is_built_once_and_handed_out_as_a_copy():
    first = document()
    first["paths"].clear()
    assert document()["paths"]


def test_shapes_import_nothing_above_them():
    """The package sits below the API and notify (the circle notify → api → links → notify is gone)."""
    upward = ("api", "notify", "views", "operations", "overview", "cutovers")
    for source in Path(shapes.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                parts = (node.module or "").split(".")
                assert not set(parts) & set(upward), (source.name, node.module)


def test_a_center_is_one_shape_for_every_role(api_as):
    for role, scope in ((Role.CENTER_STAFF, {"center": "郑州"}), (Role.MINISTRY_REVIEWER, {})):
        api, _ = api_as(role, **scope)
        [center] = api.get("/centers?q=410100").get_json()
        assert Center.model_validate(center).as_json() == center and sorted(center) == sorted(Center.model_fields)
