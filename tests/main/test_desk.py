"""Link health where clerks look (issue 19): the clerk's home lists the center's failing links with
the named problem and a rate-limited 重新检测; the registry pages show each link's last check."""

from datetime import date, timedelta

from sqlalchemy import func, select

from linkdesk.extensions import db
from linkdesk.links.health import check_links
from linkdesk.models import LinkCheck, Role, TicketStatus
from tests.links.test_health import add_link, probing, site  # noqa: F401  (a local TLS site, loopback allowed)


def _checks() -> int:
    return db.session.scalar(select(func.count()).select_from(LinkCheck))


def test_home_shows_failing_links_and_recheck_is_rate_limited(app, probing, client, auth, make, clock):  # noqa: F811
    probing.routes["/broken"] = (500, {})
    broken = add_link("郑州", "transfer", f"https://127.0.0.1:{probing.port}/broken")
    add_link("洛阳", "transfer", f"https://127.0.0.1:{probing.port}/broken")
    check_links(db.session.scalars(select(type(broken))).all())
    clerk = make.user(Role.CENTER_STAFF, center="郑州")
    auth.login(clerk.username, clerk.password)
    home = client.get("/").get_data(as_text=True)
    assert "本中心异常链接（1）" in home and "网页返回错误（HTTP 500）" in home and "重新检测" in home
    assert "洛阳" not in home

    before = _checks()
    too_soon = client.post(f"/links/{broken.id}/recheck", data={"back": "home"}, follow_redirects=True)
    assert "请 10 分钟后再重新检测" in too_soon.get_data(as_text=True) and _checks() == before

    clock.shift(timedelta(minutes=11))
    probing.routes["/broken"] = (200, {})
    done = client.post(f"/links/{broken.id}/recheck", data={"back": "home"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "重新检测完成：链接正常" in page and "本中心异常链接（0）" in page
    assert _checks() == before + 1


def test_recheck_of_another_centers_link_is_404(app, probing, client, auth, make, clock):  # noqa: F811
    other = add_link("洛阳", "transfer", f"https://127.0.0.1:{probing.port}/ok")
    clerk = make.user(Role.CENTER_STAFF, center="郑州")
    auth.login(clerk.username, clerk.password)
    assert client.post(f"/links/{other.id}/recheck").status_code == 404
    assert _checks() == 0


def test_registry_pages_show_the_last_check(app, probing, client, auth, make, clock):  # noqa: F811
    link = add_link("郑州", "info_query", f"https://127.0.0.1:{probing.port}/ok")
    unchecked = add_link("郑州", "transfer", "https://gjj.example.gov.cn/transfer")
    check_links([link])
    clerk = make.user(Role.CENTER_STAFF, center="郑州")
    auth.login(clerk.username, clerk.password)
    registry = client.get("/links/").get_data(as_text=True)
    assert "最近检测" in registry and "正常" in registry and "未检测" in registry
    show = client.get("/links/410100/info_query").get_data(as_text=True)
    assert "最近检测" in show and "正常" in show and "重新检测" in show
    assert unchecked.id


def test_home_lists_returned_tickets_and_upcoming_cutovers(app, client, auth, make, clock):
    clerk = make.user(Role.CENTER_STAFF, center="郑州")
    make.tickets(400, date(2026, 12, 4), TicketStatus.APPROVED)  # 郑州's among many centers'
    auth.login(clerk.username, clerk.password)
    home = client.get("/").get_data(as_text=True)
    assert "近期切换（30 天内已批准）" in home and "2026-12-04" in home
    assert "gjj410100.gov.cn" in home and "gjj410300.gov.cn" not in home  # not 洛阳's
