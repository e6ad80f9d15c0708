"""The national picture (issue 19): per province as in annex 1, scoped, the same numbers in the
page, the JSON and the Excel file, and a fixed number of queries whatever the data size."""

import io
import json
import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from linkdesk.extensions import db
from linkdesk.links.health import check_links
from linkdesk.models import Center, LinkRecord, Role, Service, TicketStatus
from tests.factories import ticket_request
from tests.helpers import frozen, recorded_statements, statements_of_page
from tests.links.test_health import probing, site  # noqa: F401  (fixtures: a local TLS site, loopback allowed)

UNLINKED = ("开封", "武汉", "拉萨")  # three centers with no live link at all


@pytest.fixture
def registry(app, probing):  # noqa: F811
    """Every active center has a live link except three; 郑州's answers 500 and 商丘's redirects
    off-domain; 洛阳's is healthy. Only those three are probed."""
    probing.routes.update({"/broken": (500, {}), "/away": (302, {"Location": "https://elsewhere.example.gov.cn/"})})
    service = db.session.scalar(select(Service).where(Service.code == "info_query"))
    centers = db.session.scalars(select(Center).where(Center.active.is_(True))).all()
    special = {"郑州": "/broken", "商丘": "/away", "洛阳": "/ok"}
    links = {}
    for center in centers:
        if center.short_name in UNLINKED:
            continue
        path = special.get(center.short_name)
        url = f"https://127.0.0.1:{probing.port}{path}" if path else f"https://gjj{center.code}.example.gov.cn/"
        links[center.short_name] = LinkRecord(center=center, service=service, url=url, effective_date=date(2025, 1, 1))
    db.session.add_all(links.values())
    db.session.commit()
    run = check_links([links[name] for name in special])
    assert (run.checked, run.healthy) == (3, 1)
    return links


def henan_row(body):
    return next(row for row in body["provinces"] if row["name"] == "河南")


def test_json_lists_failing_and_unlinked_centers_as_annex_one(registry, team):
    ministry, _ = team["ministry"]
    with frozen():
        body = ministry.get("/overview").get_json()
    names = [row["name"] for row in body["provinces"]]
    assert names[0] == "北京市" and names[-1] == "兵团" and len(names) == 32
    assert names.index("河北") < names.index("河南") < names.index("湖北") < names.index("重庆市")
    henan = henan_row(body)
    assert henan["failing_centers"] == ["郑州", "商丘"]
    assert henan["unlinked_centers"] == ["开封"]
    unlinked = [name for row in body["provinces"] for name in row["unlinked_centers"]]
    failing = [name for row in body["provinces"] for name in row["failing_centers"]]
    assert sorted(unlinked) == sorted(UNLINKED) and sorted(failing) == ["商丘", "郑州"]
    assert body["totals"]["links"] == len(registry)
    assert body["totals"]["centers"] == len(registry) + 3


def test_a_province_sees_only_its_own_row_and_center_staff_none(registry, team):
    hubei, _ = team["hubei"]
    with frozen():
        body = hubei.get("/overview").get_json()
    assert [row["name"] for row in body["provinces"]] == ["湖北"]
    assert "郑州" not in str(body) and body["totals"]["unlinked_centers"] == []
    assert body["provinces"][0]["unlinked_centers"] == ["武汉"]
    clerk, _ = team["zhengzhou"]
    assert clerk.get("/overview").status_code == 404


def test_page_and_excel_show_the_same_as_the_json(registry, team, client, auth, make):
    ministry = make.user(Role.MINISTRY_REVIEWER)
    with frozen():
        auth.login(ministry.username, ministry.password)
        page = client.get("/overview/").get_data(as_text=True)
        response = client.get("/overview/export.xlsx")
        api = client.get("/api/v1/overview").get_json()
        henan = henan_row(api)
        script = client.get("/static/vendor/echarts/echarts.common.min.js")
    embedded = re.search(r'<script type="application/json" id="overview-data">(.*?)</script>', page, re.S).group(1)
    assert json.loads(embedded) == api  # the charts draw from the very mapping the API answers
    assert script.status_code == 200 and b"echarts" in script.data[:2000]
    script.close()
    assert '<th scope="row">河南</th><td>郑州、商丘</td><td>开封</td>' in page
    assert '<th scope="row">湖北</th><td></td><td>武汉</td>' in page
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    annex, counts = book.worksheets
    assert [cell.value for cell in annex[2]] == ["省（区、市）", "链接未正常跳转的中心", "未完成链接接入的中心"]
    rows = {row[0]: row[1:] for row in annex.iter_rows(min_row=3, values_only=True)}
    assert rows["河南"] == ("郑州、商丘", "开封")
    assert rows["西藏"] == (None, "拉萨") and rows["北京市"] == (None, None)
    assert next(iter(rows)) == "北京市" and list(rows)[-1] == "兵团"
    count_rows = {row[0]: row for row in counts.iter_rows(min_row=3, values_only=True)}
    assert count_rows["河南"][1:4] == (henan["centers"], henan["links"], henan["possible_links"])
    assert count_rows["合计"][2] == len(registry)


def test_open_tickets_overdue_reviews_and_upcoming_cutovers(app, team, make):
    with frozen():
        make.tickets(3, date(2026, 12, 4), TicketStatus.APPROVED)  # within 10 working days of 2026-11-27
        make.tickets(2, date(2027, 1, 29), TicketStatus.APPROVED)  # later
        make.tickets(4, date(2027, 1, 29), TicketStatus.PENDING)  # at the ministry since 2026-11-02: overdue
        body = team["ministry"][0].get("/overview").get_json()
    totals = body["totals"]
    assert totals["open_tickets"] == {"province": 0, "ministry": 4, "returned": 0, "approved": 5}
    assert totals["upcoming_cutovers"] == 3 and totals["overdue_reviews"] == 4
    assert body["upcoming_until"] == "2026-12-11"
    assert sum(row["open_tickets"]["approved"] for row in body["provinces"]) == 5


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-01",
        "from=x&to=y",
        "from=2026-11-27&to=2026-01-01",
        "from=2020-01-01&to=2026-01-01",
        "from=9999-12-31",
        "to=0001-01-01",
        "from=0001-01-01&to=0001-01-02",
        "from=2026-11-01&to=２０２６-11-02",
    ],
)
def test_bad_periods_are_422_in_json_and_never_500(team, client, auth, make, query):
    with frozen():
        response = team["ministry"][0].get(f"/overview?{query}")
        assert response.status_code == 422 and "range" in response.get_json()["errors"]
        ministry = make.user(Role.MINISTRY_REVIEWER)
        auth.login(ministry.username, ministry.password)
        assert client.get(f"/overview/?{query}").status_code == 422


def test_the_page_is_for_reviewers_and_the_ministry(client, auth, make):
    clerk = make.user(Role.CENTER_STAFF)
    auth.login(clerk.username, clerk.password)
    assert client.get("/overview/").status_code == 403
    assert client.get("/overview/export.xlsx").status_code == 403
    assert "总览" not in client.get("/").get_data(as_text=True)


def test_statements_do_not_grow_with_the_number_of_tickets(app, client, auth, make):
    ministry = make.user(Role.MINISTRY_REVIEWER)
    make.tickets(20, date(2026, 12, 4))
    statements_of_page(client, auth, ministry, "/overview/", db.engine)  # the calendar's cache is built once
    few, _ = statements_of_page(client, auth, ministry, "/overview/", db.engine)
    make.tickets(600, date(2026, 12, 10), TicketStatus.PENDING)
    many, _ = statements_of_page(client, auth, ministry, "/overview/", db.engine)
    assert len(many) == len(few), (few, many)
    with frozen(), recorded_statements(db.engine) as seen:
        client.get("/api/v1/overview")
    assert len(seen) <= len(few)


def test_trends_weekly_counts_review_medians_and_minimum_lead(team):
    clerk, beijing, henan, ministry = (team[name][0] for name in ("zhengzhou", "beijing", "henan", "ministry"))
    with frozen("2026-11-23 10:00:00+08:00"):
        earliest = clerk.get("/workdays/earliest?submitted=2026-11-23").get_json()["earliest_cutover"]
        ticket = clerk.post("/tickets", ticket_request(cutover_date=earliest)).get_json()
    with frozen("2026-11-24 10:00:00+08:00"):
        ticket = henan.post(f"/tickets/{ticket['id']}/decision", {"decision": "approve", "version": ticket["version"]}).get_json()
    with frozen("2026-11-24 16:00:00+08:00"):
        assert ministry.post(f"/tickets/{ticket['id']}/decision", {"decision": "approve", "version": ticket["version"]}).status_code == 200
    with frozen():
        assert beijing.post("/tickets", ticket_request(cutover_date="2026-12-18")).status_code == 201
        body = ministry.get("/overview?from=2026-11-16&to=2026-11-29").get_json()
        hubei = team["hubei"][0].get("/overview?from=2026-11-16&to=2026-11-29").get_json()
    trends = body["trends"]
    assert trends["weeks"] == [{"week": "2026-11-16", "filed": 0, "completed": 0}, {"week": "2026-11-23", "filed": 2, "completed": 0}]
    assert [(r["name"], r["stage"], r["median_hours"]) for r in trends["review_hours"]] == [
        ("河南", "ministry", 6.0),
        ("河南", "province", 24.0),
    ]
    assert trends["minimum_lead"] == {"filed": 2, "minimum_lead": 1, "share": 0.5}
    assert hubei["trends"]["weeks"][1]["filed"] == 0 and hubei["trends"]["review_hours"] == []
