"""Link health (issue 9): checking the registry, the table by province, notifications, filing."""

import ipaddress
import os
import socket
import sqlite3
import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from linkdesk.extensions import db
from linkdesk.links.filing_probe import wait_for_probes
from linkdesk.models import Center, LinkCheck, LinkRecord, OutboxMessage, Role, Service, Ticket
from linkdesk.notify.events import add_channel
from tests.factories import ticket_request
from tests.helpers import frozen, probes_finished
from tests.links.test_probe import PKI, Server
from tests.notify_servers import WeComRobotServer


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    pki = PKI(directory)
    (directory / "ca.pem").write_text(pki.pem)
    server = Server(pki.server_context("site", ["127.0.0.1"]))
    server.routes.update({"/gone": (404, {}), "/moved": (302, {"Location": "/ok"})})
    server.ca_file = str(directory / "ca.pem")
    yield server
    server.stop()


@pytest.fixture
def probing(app, site):
    """Probe the local test site: its CA trusted, loopback allowed — configuration, as in an intranet."""
    app.config.update(
        LINKDESK_PROBE_CA_FILE=site.ca_file,
        LINKDESK_PROBE_ALLOW_NETWORKS=("127.0.0.0/8",),
        LINKDESK_PROBE_PORTS=(80, 443, site.port, 9),
        LINKDESK_PROBE_TIMEOUT_SECONDS=3.0,
    )
    return site


def add_link(center: str, service: str, url: str) -> LinkRecord:
    link = LinkRecord(
        center=db.session.scalar(select(Center).where(Center.short_name == center)),
        service=db.session.scalar(select(Service).where(Service.code == service)),
        url=url,
        effective_date=date(2025, 1, 1),
    )
    db.session.add(link)
    db.session.commit()
    return link


@pytest.fixture
def links(probing):
    return {
        "zhengzhou_ok": add_link("郑州", "info_query", f"https://127.0.0.1:{probing.port}/ok"),
        "zhengzhou_gone": add_link("郑州", "transfer", f"https://127.0.0.1:{probing.port}/gone"),
        "luoyang_refused": add_link("洛阳", "info_query", "https://127.0.0.1:9/"),
        "wuhan_moved": add_link("武汉", "info_query", f"https://127.0.0.1:{probing.port}/moved"),
    }


def test_check_stores_every_result_and_names_the_problems(runner, links):
    result = runner.invoke(args=["links", "check", "--all"])
    assert result.exit_code == 0, result.output
    assert "已检测 4 条链接：正常 2，异常 2" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(LinkCheck)) == 4
    gone, refused, moved = (db.session.get(LinkRecord, links[name].id) for name in ("zhengzhou_gone", "luoyang_refused", "wuhan_moved"))
    assert gone.last_check.problem == "http_error" and gone.last_check.status == 404 and gone.unhealthy_since
    assert refused.last_check.problem == "refused"
    assert moved.unhealthy_since is None and len(moved.last_check.hops) == 2


def test_a_link_turning_unhealthy_tells_its_center_once(runner, links, app):
    robot = WeComRobotServer()
    try:
        app.config["LINKDESK_WECOM_WEBHOOK_PREFIXES"] = (robot.prefix,)
        add_channel("wecom", robot.webhook("zhengzhou-key"), "center:郑州")
        runner.invoke(args=["links", "check", "--all"])
        runner.invoke(args=["links", "check", "--all"])
        messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.event == "link_unhealthy")).all()
        assert len(messages) == 1 and "网页返回错误（HTTP 404）" in messages[0].body
    finally:
        robot.stop()


def test_recovery_clears_since_when(runner, links, probing):
    runner.invoke(args=["links", "check", "--center", "郑州"])
    probing.routes["/gone"] = (200, {})
    try:
        runner.invoke(args=["links", "check", "--center", "郑州"])
    finally:
        probing.routes["/gone"] = (404, {})
    db.session.expire_all()
    assert db.session.get(LinkRecord, links["zhengzhou_gone"].id).unhealthy_since is None
    assert db.session.scalar(select(func.count()).select_from(LinkCheck)) == 4  # two runs, two links of 郑州


def test_health_table_is_scoped_and_exports_csv(runner, links, client, auth, make, api_as):
    runner.invoke(args=["links", "check", "--all"])
    ministry = make.user(Role.MINISTRY_REVIEWER)
    auth.login(ministry.username, ministry.password)
    page = client.get("/links/health").get_data(as_text=True)
    assert "河南（2）" in page and "网页返回错误（HTTP 404）" in page and "连接被拒绝" in page
    csv_text = client.get("/links/health?format=csv").get_data(as_text=True)
    assert csv_text.count("\r\n") == 3 and "410300" in csv_text
    auth.logout()
    clerk = make.user(Role.CENTER_STAFF, center="洛阳")
    auth.login(clerk.username, clerk.password)
    own = client.get("/links/health").get_data(as_text=True)
    assert "洛阳" in own and "HTTP 404" not in own
    hubei, _ = api_as(Role.PROVINCE_REVIEWER, province="湖北")
    body = hubei.get("/links").get_json()
    [wuhan] = body["links"]
    assert wuhan["health"]["healthy"] is True and wuhan["health"]["unhealthy_since"] is None


def test_probe_command_prints_the_chain(runner, probing):
    result = runner.invoke(args=["links", "probe", f"https://127.0.0.1:{probing.port}/moved"])
    assert result.exit_code == 0 and "正常" in result.output
    assert "1. 302" in result.output and "2. 200" in result.output


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://localhost/",
    ],
)
def test_default_configuration_refuses_private_addresses(runner, url):
    result = runner.invoke(args=["links", "probe", url])
    assert result.exit_code == 1 and "指向内网地址" in result.output


def probe_warnings(body: dict) -> list[dict]:
    return [w for w in body["warnings"] if w["code"] == "probe"]


def test_filing_warns_when_the_new_address_does_not_resolve_but_still_files(app, team, monkeypatch, clock):
    def no_such_host(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr("linkdesk.links.probe.system_resolver", no_such_host)  # DNS as the test decides, not the machine's
    app.config.update(LINKDESK_PROBE_ON_FILING=True, LINKDESK_FILING_PROBE_TIMEOUT_SECONDS=1.0)
    clerk = team["zhengzhou"][0]
    response = clerk.post("/tickets", ticket_request(cutover_date="2026-12-11", new_url="https://no-such-host.linkdesk-test.gov.cn/new"))
    assert response.status_code == 201
    probes_finished()
    ticket = clerk.get(f"/tickets/{response.get_json()['id']}").get_json()
    [warning] = probe_warnings(ticket)
    assert warning["message"] == "新地址检测未通过：域名解析失败（仅供参考，不影响提交）。"
    assert ticket["probe"]["state"] == "done" and ticket["probe"]["requested_at"] is None
    listed = clerk.get("/tickets?warning=probe").get_json()
    assert [t["id"] for t in listed] == [ticket["id"]]


@pytest.mark.realtime
def test_a_filing_with_a_resolver_that_never_answers_ends_at_the_probe_limit(app, team, monkeypatch):
    """getaddrinfo has no timeout: the lookup is bounded by the probe's limit all the same, and
    the filing answers at once, before the probe has even ended."""
    released = threading.Event()

    def stuck_resolver(host, port):
        released.wait(60)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr("linkdesk.links.probe.system_resolver", stuck_resolver)
    app.config.update(LINKDESK_PROBE_ON_FILING=True, LINKDESK_FILING_PROBE_TIMEOUT_SECONDS=2.0)
    clerk = team["zhengzhou"][0]
    try:
        with frozen():
            started = time.monotonic()
            response = clerk.post(
                "/tickets", ticket_request(cutover_date="2026-12-11", new_url="https://slow-dns.linkdesk-test.gov.cn/new")
            )
            answered_in = time.monotonic() - started
            answered_while_probing = not wait_for_probes(0)
            assert response.status_code == 201 and response.get_json()["probe"]["state"] == "pending"
            assert not probe_warnings(response.get_json())
            probes_finished()  # the probe gives up at its limit, the resolver still stuck
            answered_while_stuck = not released.is_set()
            ticket = clerk.get(f"/tickets/{response.get_json()['id']}").get_json()
    finally:
        released.set()
    assert answered_while_probing and answered_while_stuck and answered_in < 2.0
    [warning] = probe_warnings(ticket)
    assert warning["message"] == "新地址检测未通过：访问超时（仅供参考，不影响提交）。"
    assert ticket["probe"]["state"] == "done"


def test_the_filing_probe_holds_no_database_lock_while_the_network_answers(app, team, monkeypatch, probing):
    """On SQLite every transaction takes the write lock: the probe must not keep it while a slow
    server takes its time, or every other clerk and reviewer would wait for that server."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        pytest.skip("the lock that matters here is SQLite's; PostgreSQL writers do not wait for readers")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    app.config.update(LINKDESK_PROBE_ON_FILING=True, LINKDESK_FILING_PROBE_TIMEOUT_SECONDS=5.0, LINKDESK_PROBE_PORTS=(port,))
    monkeypatch.setattr("linkdesk.links.probe.system_resolver", lambda host, port: ["127.0.0.1"])
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    seen = {}

    def slow_site():
        connection, _ = listener.accept()  # the probe is waiting for this server now
        try:
            other = sqlite3.connect(database, timeout=0.2)
            try:
                other.execute("BEGIN IMMEDIATE")  # what any other request's transaction does
                other.execute("UPDATE service SET position = position")
                other.commit()
                seen["other_writer"] = "wrote"
            except sqlite3.OperationalError as error:
                seen["other_writer"] = str(error)
            finally:
                other.close()
        finally:
            connection.close()  # no TLS: the probe fails, as a site not yet live does

    server = threading.Thread(target=slow_site, daemon=True)
    server.start()
    with frozen():
        response = team["zhengzhou"][0].post(
            "/tickets", ticket_request(cutover_date="2026-12-11", new_url=f"https://gjj.linkdesk-test.gov.cn:{port}/new")
        )
        probes_finished()
    server.join(10)
    listener.close()
    assert response.status_code == 201, response.get_json()
    assert seen == {"other_writer": "wrote"}
    assert db.session.get(Ticket, response.get_json()["id"]).probe_warning["code"] == "probe"


class GatedResolver:
    """DNS as the test decides: a host is held at its gate until the test opens it, then does not
    resolve; hosts listed in ``answers`` resolve at once to their addresses."""

    def __init__(self, **answers):
        self.gates: dict[str, threading.Event] = {}
        self.answers = answers

    def hold(self, host: str) -> threading.Event:
        self.gates[host] = threading.Event()
        return self.gates[host]

    def open_all(self):
        for gate in self.gates.values():
            gate.set()

    def __call__(self, host, port):
        if host in self.answers:
            return [self.answers[host]]
        gate = self.gates.get(host)
        if gate is not None:
            gate.wait(30)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.fixture
def gated_dns(app, monkeypatch, probing):
    """Probing at filing on, with DNS held by the test; the gates are opened at the end whatever happens."""
    resolver = GatedResolver(**{"refused.linkdesk-test.gov.cn": "127.0.0.1"})
    monkeypatch.setattr("linkdesk.links.probe.system_resolver", resolver)
    app.config.update(LINKDESK_PROBE_ON_FILING=True, LINKDESK_FILING_PROBE_TIMEOUT_SECONDS=20.0)
    yield resolver
    resolver.open_all()


SLOW = "https://slow.linkdesk-test.gov.cn/new"
REFUSED = "https://refused.linkdesk-test.gov.cn:9/new"  # resolves to 127.0.0.1, whose port 9 refuses


def test_while_the_probe_runs_the_ticket_says_so_and_does_not_look_healthy(team, gated_dns, clock, client, auth):
    gate = gated_dns.hold("slow.linkdesk-test.gov.cn")
    (clerk, _), (ministry, reviewer) = team["beijing"], team["ministry"]
    filed = clerk.post("/tickets", ticket_request(cutover_date="2026-12-11", new_url=SLOW)).get_json()
    assert filed["probe"] == {"state": "pending", "requested_at": "2026-11-27T02:00:00+00:00", "probed_at": None}
    auth.login(reviewer.username, reviewer.password)
    page = client.get(f"/tickets/{filed['id']}").get_data(as_text=True)
    assert "正在检测新地址…" in page and "检测通过" not in page
    assert "检测中" in client.get("/review/").get_data(as_text=True)
    gate.set()
    probes_finished()
    page = client.get(f"/tickets/{filed['id']}").get_data(as_text=True)
    assert "正在检测新地址…" not in page and "新地址检测未通过：域名解析失败" in page
    assert ministry.get(f"/tickets/{filed['id']}").get_json()["version"] == filed["version"]


def test_an_edit_to_another_address_while_the_probe_runs_does_not_get_the_old_address_warning(team, gated_dns, clock):
    gate = gated_dns.hold("slow.linkdesk-test.gov.cn")
    clerk = team["zhengzhou"][0]
    filed = clerk.post("/tickets", ticket_request(cutover_date="2026-12-11", new_url=SLOW)).get_json()
    edited = clerk.patch(f"/tickets/{filed['id']}", {"new_url": REFUSED, "version": filed["version"]})
    assert edited.status_code == 200, edited.get_json()
    gate.set()  # the old address's probe ends after the edit, with its own (now stale) verdict
    probes_finished()
    ticket = clerk.get(f"/tickets/{filed['id']}").get_json()
    assert [w["message"] for w in probe_warnings(ticket)] == ["新地址检测未通过：连接被拒绝（仅供参考，不影响提交）。"]
    assert ticket["new_url"] == REFUSED and ticket["probe"]["state"] == "done"


def test_an_edit_to_another_address_on_the_version_seen_before_the_probe_ended_drops_its_warning(team, gated_dns, clock):
    clerk = team["zhengzhou"][0]
    filed = clerk.post("/tickets", ticket_request(cutover_date="2026-12-11", new_url=REFUSED)).get_json()
    probes_finished()
    assert probe_warnings(clerk.get(f"/tickets/{filed['id']}").get_json())
    gate = gated_dns.hold("slow.linkdesk-test.gov.cn")
    edited = clerk.patch(f"/tickets/{filed['id']}", {"new_url": SLOW, "version": filed["version"]})
    assert edited.status_code == 200, edited.get_json()
    assert not probe_warnings(edited.get_json()) and edited.get_json()["probe"]["state"] == "pending"
    gate.set()
    probes_finished()
    ticket = clerk.get(f"/tickets/{filed['id']}").get_json()
    assert [w["message"] for w in probe_warnings(ticket)] == ["新地址检测未通过：域名解析失败（仅供参考，不影响提交）。"]


def test_a_decision_and_a_clerk_save_around_the_probe_are_neither_lost_nor_refused(team, gated_dns, clock):
    """The probe writes no version: a reviewer and a clerk acting on the version they saw before
    it ended still succeed, and the warning stays through both."""
    gate = gated_dns.hold("slow.linkdesk-test.gov.cn")
    (clerk, _), (henan, _) = team["zhengzhou"], team["henan"]
    filed = clerk.post("/tickets", ticket_request(cutover_date="2026-12-11", new_url=SLOW)).get_json()
    seen_by_clerk = clerk.get(f"/tickets/{filed['id']}").get_json()["version"]
    edited = clerk.patch(f"/tickets/{filed['id']}", {"reason": "迁移到省政务云", "version": seen_by_clerk})
    assert edited.status_code == 200 and edited.get_json()["probe"]["state"] == "pending"
    seen_by_reviewer = henan.get(f"/tickets/{filed['id']}").get_json()["version"]
    gate.set()
    probes_finished()  # the warning lands between the reviewer's reading and deciding
    decided = henan.post(f"/tickets/{filed['id']}/decision", {"decision": "approve", "comment": None, "version": seen_by_reviewer})
    assert decided.status_code == 200, decided.get_json()
    ticket = decided.get_json()
    assert ticket["status"] == "pending" and ticket["stage"] == "ministry" and ticket["reason"] == "迁移到省政务云"
    assert [w["code"] for w in probe_warnings(ticket)] == ["probe"]
    assert [e["action"] for e in ticket["history"]] == ["submit", "edit", "approve"]


def test_a_decision_while_the_probe_runs_is_kept_when_it_ends(team, gated_dns, clock):
    gate = gated_dns.hold("slow.linkdesk-test.gov.cn")
    (clerk, _), (ministry, _) = team["beijing"], team["ministry"]
    filed = clerk.post("/tickets", ticket_request(cutover_date="2026-12-11", new_url=SLOW)).get_json()
    returned = ministry.post(
        f"/tickets/{filed['id']}/decision", {"decision": "return", "comment": "请补充说明", "version": filed["version"]}
    )
    assert returned.status_code == 200
    gate.set()
    probes_finished()
    ticket = clerk.get(f"/tickets/{filed['id']}").get_json()
    assert ticket["status"] == "returned" and ticket["version"] == returned.get_json()["version"]
    assert probe_warnings(ticket) and ticket["probe"]["state"] == "done"


def test_a_probe_lost_with_its_process_turns_unknown_and_cron_probes_it_again(team, gated_dns, clock, monkeypatch, runner):
    monkeypatch.setattr("linkdesk.tickets.operations.start_probe", lambda ticket: None)  # the process dies first
    clerk = team["zhengzhou"][0]
    filed = clerk.post("/tickets", ticket_request(cutover_date="2026-12-11", new_url=REFUSED)).get_json()
    assert filed["probe"]["state"] == "pending"
    assert runner.invoke(args=["links", "probe-filings"]).output.startswith("已重新检测 0 个")  # not given up yet
    clock.shift(timedelta(minutes=11))
    assert clerk.get(f"/tickets/{filed['id']}").get_json()["probe"]["state"] == "unfinished"
    result = runner.invoke(args=["links", "probe-filings"])
    assert result.exit_code == 0 and "已重新检测 1 个未完成检测的工单新地址，记录结果 1 个" in result.output, result.output
    ticket = clerk.get(f"/tickets/{filed['id']}").get_json()
    assert ticket["probe"]["state"] == "done" and ticket["version"] == filed["version"]
    assert [w["message"] for w in probe_warnings(ticket)] == ["新地址检测未通过：连接被拒绝（仅供参考，不影响提交）。"]


def test_a_resubmission_probes_the_address_again(team, gated_dns, clock):
    (clerk, _), (ministry, _) = team["beijing"], team["ministry"]
    filed = clerk.post("/tickets", ticket_request(cutover_date="2026-12-11", new_url=REFUSED)).get_json()
    probes_finished()
    returned = ministry.post(
        f"/tickets/{filed['id']}/decision", {"decision": "return", "comment": "请补充说明", "version": filed["version"]}
    ).get_json()
    assert probe_warnings(returned) and returned["probe"]["state"] == "done"
    resubmitted = clerk.post(f"/tickets/{filed['id']}/resubmit", {"version": returned["version"]})
    assert resubmitted.status_code == 200, resubmitted.get_json()
    assert resubmitted.get_json()["probe"]["state"] == "pending" and not probe_warnings(resubmitted.get_json())
    probes_finished()
    ticket = clerk.get(f"/tickets/{filed['id']}").get_json()
    assert ticket["probe"]["state"] == "done" and probe_warnings(ticket)


def test_with_probing_at_filing_off_nothing_is_probed_or_pending(team, clock):
    filed = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date="2026-12-11")).get_json()
    assert filed["probe"] == {"state": "none", "requested_at": None, "probed_at": None}
    assert wait_for_probes(0)


def test_is_the_loopback_network_really_configuration_only(app):
    assert app.config["LINKDESK_PROBE_ALLOW_NETWORKS"] == ()
    assert not any(ipaddress.ip_address("127.0.0.1") in ipaddress.ip_network(n) for n in app.config["LINKDESK_PROBE_ALLOW_NETWORKS"])


def test_a_worker_forked_while_the_probe_pool_is_busy_starts_its_own():
    """gunicorn forks its workers from a parent that may hold the pool's lock: the child gets a
    fresh lock and no pool, so its first filing's probe does not hang."""
    from linkdesk.links import filing_probe

    with filing_probe._lock:
        child = os.fork()
        if child == 0:  # the child: never returns into pytest
            fresh = filing_probe._lock.acquire(timeout=5)
            os._exit(0 if fresh and filing_probe._executor is None and not filing_probe._running else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
