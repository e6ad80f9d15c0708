"""Issue 34, point 5: the desk reads a number only when it is written in ASCII digits — in a path,
a query string, a form or a JSON body. ``int('１')`` is 1 and werkzeug's ``<int:…>`` matches ``\\d+``;
here ``１`` (full width), ``١`` (Arabic-Indic) and ``²`` are not numbers."""

import pytest

from linkdesk.models import Role
from linkdesk.web.query_args import ascii_int
from tests.helpers import file_ticket, frozen

NOT_ASCII = ["\uff11", "\u0661", "\u00b9", "\U0001d7cf"]  # １ ١ ¹ 𝟏: each is 1 to int() or to \d


@pytest.fixture
def ticket(api_as, clock):
    api, clerk = api_as(Role.CENTER_STAFF, center="郑州")
    with frozen():
        filed = file_ticket(api)
        file_ticket(api, service="transfer")
    assert filed["id"] == 1
    return api, clerk, filed


@pytest.mark.parametrize("one", NOT_ASCII)
def test_a_path_id_in_other_digits_is_no_ticket(client, auth, ticket, one):
    api, clerk, _ = ticket
    assert api.get("/tickets/1").status_code == 200
    answer = api.get(f"/tickets/{one}")
    assert answer.status_code == 404 and answer.is_json and answer.get_json()["status"] == 404
    auth.login(clerk.username, clerk.password)
    assert client.get("/tickets/1").status_code == 200
    assert client.get(f"/tickets/{one}").status_code == 404


@pytest.mark.parametrize("one", NOT_ASCII)
def test_a_query_number_in_other_digits_is_not_read(ticket, one):
    api, _, _ = ticket
    assert len(api.get("/tickets?limit=1").get_json()) == 1
    assert len(api.get(f"/tickets?limit={one}").get_json()) == 2  # the default, as for any text that is not a number
    refused = api.get(f"/cutovers?limit={one}")
    assert refused.status_code == 422 and "limit" in refused.get_json()["errors"]


@pytest.mark.parametrize("one", NOT_ASCII)
def test_a_json_version_in_other_digits_is_refused(ticket, one):
    api, _, filed = ticket
    answer = api.post(f"/tickets/{filed['id']}/withdraw", {"version": one})
    assert answer.status_code == 422 and "version" in answer.get_json()["errors"]


@pytest.mark.parametrize("days", ["\uff13\uff10", "3\u0660", "1_0", " +30", "-30", "3" * 40])
def test_a_form_number_in_other_digits_is_refused_in_chinese(client, auth, make, clock, days):
    clerk = make.user()
    auth.login(clerk.username, clerk.password)
    refused = client.post("/account/tokens", data={"expires_days": days})
    assert refused.status_code == 422 and '<code class="token">' not in refused.get_data(as_text=True)
    assert "Not a valid integer" not in refused.get_data(as_text=True)
    assert client.post("/account/tokens", data={"expires_days": " 30 "}).status_code == 200


def test_the_ministrys_daily_limit_takes_ascii_digits_only(client, auth, make, clock):
    ministry = make.user(Role.MINISTRY_REVIEWER)
    auth.login(ministry.username, ministry.password)
    refused = client.post("/calendar/settings", data={"limit-max_per_day": "\uff12\uff10"})
    assert refused.status_code == 422 and "半角数字" in refused.get_data(as_text=True)
    assert client.post("/calendar/settings", data={"limit-max_per_day": "20"}).status_code == 302


def test_the_reader():
    assert ascii_int("42") == 42 and ascii_int(" 7 ") == 7
    assert [ascii_int(text) for text in ("\uff14\uff12", "٤٢", "4²", "-4", "+4", "4_2", "", None, "9" * 19)] == [None] * 9
