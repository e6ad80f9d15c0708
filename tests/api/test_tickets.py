"""The JSON API skeleton: auth, centers, services, JSON errors."""

import pytest

from linkdesk.models import Role

# Every center named in annex 1 of the notice (建司局函金〔2021〕30号).
ANNEX_CENTERS = [
    "北京",
    "邯郸",
    "巴彦淖尔",
    "锦州",
    "盘锦",
    "葫芦岛",
    "四平",
    "白山",
    "黑河",
    "徐州",
    "淮安",
    "盐城",
    "常州",
    "南通",
    "扬州",
    "镇江",
    "泰州",
    "湖州",
    "芜湖",
    "蚌埠",
    "淮南",
    "安庆",
    "滁州",
    "亳州",
    "池州",
    "宣城",
    "厦门",
    "泉州",
    "萍乡",
    "抚州",
    "烟台",
    "泰安",
    "淄博",
    "威海",
    "济宁",
    "郑州",
    "商丘",
    "许昌",
    "漯河",
    "驻马店",
    "武汉",
    "荆州",
    "咸宁",
    "恩施",
    "潜江",
    "长沙",
    "永州",
    "怀化",
    "湘西",
    "百色",
    "来宾",
    "海南",
    "重庆",
    "内江",
    "绵阳",
    "宜宾",
    "遵义",
    "贵阳",
    "毕节",
    "保山",
    "普洱",
    "丽江",
    "迪庆",
    "怒江",
    "铜川",
    "陇南",
    "兰州",
    "天水",
    "临夏",
]


@pytest.fixture
def token(make):
    return make.token(make.user(Role.CENTER_STAFF))


def _get(client, path, token):
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_centers_by_name_with_a_token(client, token):
    response = _get(client, "/api/v1/centers?q=郑州", token)
    assert response.status_code == 200
    assert response.get_json() == [{"code": "410100", "name": "郑州住房公积金管理中心", "short_name": "郑州", "province": "河南"}]


@pytest.mark.parametrize("short_name", ANNEX_CENTERS)
def test_every_annex_center_is_found(client, token, short_name):
    found = _get(client, f"/api/v1/centers?q={short_name}", token).get_json()
    assert short_name in {center["short_name"] for center in found}


def test_all_centers_without_q(client, token):
    assert len(_get(client, "/api/v1/centers", token).get_json()) >= 300


def test_like_wildcards_are_literal(client, token):
    assert _get(client, "/api/v1/centers?q=%25", token).get_json() == []


def test_services(client, token):
    codes = [s["code"] for s in _get(client, "/api/v1/services", token).get_json()]
    assert codes == [
        "info_query",
        "deposit_certificate",
        "retirement_withdrawal",
        "unit_registration",
        "deposit_change",
        "purchase_withdrawal",
        "loan_clearance_certificate",
        "loan_early_repayment",
        "transfer",
    ]


def test_no_token_is_401_json(client):
    response = client.get("/api/v1/centers")
    assert response.status_code == 401
    assert response.is_json and response.get_json()["error"]


def test_a_bad_token_is_401_json(client):
    response = _get(client, "/api/v1/centers", "ld_not-a-token")
    assert response.status_code == 401 and response.is_json


def test_a_deactivated_users_token_stops_working(client, make):
    account = make.user()
    token = make.token(account)
    from linkdesk.accounts.users import set_active

    set_active(account.user, False)
    assert _get(client, "/api/v1/services", token).status_code == 401


def test_session_auth_works_for_the_api(client, auth, make):
    clerk = make.user()
    auth.login(clerk.username, clerk.password)
    assert client.get("/api/v1/services").status_code == 200


def test_unknown_api_path_is_404_json(client, token):
    response = _get(client, "/api/v1/nothing-here", token)
    assert response.status_code == 404 and response.is_json


def test_wrong_method_is_405_json(client, token):
    response = client.delete("/api/v1/services", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 405 and response.is_json
    assert "GET" in response.headers["Allow"]


def test_an_unexpected_error_is_500_json_without_a_traceback(app, client, token):
    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = _get(client, "/api/v1/boom", token)
    assert response.status_code == 500 and response.is_json
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_an_unexpected_page_error_is_a_chinese_page(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "服务器内部错误" in response.get_data(as_text=True)
