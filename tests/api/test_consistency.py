"""One convention across /api/v1 (issue 20): a center has one shape everywhere; province and center
filters take a code, a short name or a full name on every list; list items are the detail without
attachments and history."""

import pytest

from linkdesk.api.openapi import document
from tests.cutovers.test_schedule import CUTOVER, file_and_approve
from tests.helpers import frozen

ZHENGZHOU = {"code": "410100", "name": "郑州住房公积金管理中心", "short_name": "郑州", "province": "河南"}


def _apply(runner):
    with frozen(f"{CUTOVER} 06:00:00+08:00"):
        assert "本次完成切换" in runner.invoke(args=["apply-cutovers"]).output


def test_a_center_has_one_shape_in_centers_tickets_cutovers_and_links(team, runner):
    ministry = team["ministry"][0]
    with frozen():
        ticket = file_and_approve(team).get_json()
        assert ministry.get("/centers?q=郑州").get_json()[0] == ZHENGZHOU
        assert ticket["center"] == ZHENGZHOU
        assert ministry.get("/tickets").get_json()[0]["center"] == ZHENGZHOU
        [cutover] = ministry.get(f"/cutovers?from={CUTOVER}&to={CUTOVER}").get_json()["cutovers"]
        assert cutover["center"] == ZHENGZHOU
    _apply(runner)
    with frozen(f"{CUTOVER} 09:00:00+08:00"):
        [link] = ministry.get("/links?center=郑州").get_json()["links"]
    assert link["center"] == ZHENGZHOU
    assert (link["center_code"], link["center_name"]) == ("410100", ZHENGZHOU["name"])


@pytest.mark.parametrize(("province", "center"), [("41", "410100"), ("河南", "郑州"), ("河南省", "郑州住房公积金管理中心")])
def test_province_and_center_filters_take_a_code_or_a_name_on_every_list(team, runner, province, center):
    ministry = team["ministry"][0]
    with frozen():
        file_and_approve(team)
        file_and_approve(team, clerk="beijing")

        period = f"from={CUTOVER}&to={CUTOVER}"
        for query in (f"province={province}", f"center={center}", f"province={province}&center={center}"):
            tickets = ministry.get(f"/tickets?{query}").get_json()
            cutovers = ministry.get(f"/cutovers?{period}&{query}").get_json()["cutovers"]
            assert [item["center"]["code"] for item in tickets] == ["410100"], query
            assert [item["center"]["code"] for item in cutovers] == ["410100"], query
        assert ministry.get(f"/tickets?province=北京&center={center}").get_json() == []
    _apply(runner)
    with frozen(f"{CUTOVER} 09:00:00+08:00"):
        for query in (f"province={province}", f"center={center}"):
            assert [link["center"]["code"] for link in ministry.get(f"/links?{query}").get_json()["links"]] == ["410100"]


def test_a_list_item_is_the_detail_without_attachments_and_history(team):
    clerk = team["zhengzhou"][0]
    with frozen():
        file_and_approve(team)
        [item] = clerk.get("/tickets").get_json()
        detail = clerk.get(f"/tickets/{item['id']}").get_json()
    assert set(detail) - set(item) == {"attachments", "history"}
    assert {key: detail[key] for key in item} == item
    schemas = document()["components"]["schemas"]
    assert set(schemas["Ticket"]["properties"]) - set(schemas["TicketListItem"]["properties"]) == {"attachments", "history"}
