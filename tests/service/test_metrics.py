"""Metrics (linkdesk.service.metrics): who may read /metrics, what it counts, and gunicorn's
multiprocess mode."""

import json
import os
import subprocess
import sys
import textwrap
from datetime import date, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from linkdesk import REPO_ROOT
from linkdesk.extensions import db
from linkdesk.models import Role, Ticket, TicketStatus, WorkerHeartbeat
from linkdesk.models.types import utcnow
from linkdesk.notify.events import add_channel, notify

from ..factories import ticket_request

pytestmark = pytest.mark.usefixtures("clock")  # BEIJING_FRIDAY, 2026-11-27: E(D) = 2026-12-11
OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}
TOKEN = "metrics-scraper-token-0123456789"


def samples(body: str) -> dict:
    """{(name, frozenset(labels)): value} of a scrape."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def scrape(client, **kwargs) -> dict:
    answer = client.get("/metrics", **kwargs)
    assert answer.status_code == 200, answer.status_code
    assert answer.headers["Content-Type"].startswith("text/plain; version=")
    return samples(answer.get_data(as_text=True))


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


class TestWhoMayRead:
    def test_loopback_may(self, client):
        scrape(client)
        scrape(client, environ_base={"REMOTE_ADDR": "127.0.0.2"})
        scrape(client, environ_base={"REMOTE_ADDR": "::1"})

    def test_anyone_else_gets_the_ordinary_404(self, client):
        refused = client.get("/metrics", environ_base=OUTSIDE)
        ordinary = client.get("/no-such-page", environ_base=OUTSIDE)
        assert refused.status_code == 404
        assert refused.get_data(as_text=True) == ordinary.get_data(as_text=True)

    def test_a_forged_forwarded_for_does_not_make_a_request_local(self, app, build_app):
        behind_proxy = build_app(LINKDESK_PROXY_HOPS=1).test_client()
        for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
            forged = {header: "127.0.0.1" if header != "Forwarded" else "for=127.0.0.1"}
            assert behind_proxy.get("/metrics", environ_base=OUTSIDE, headers=forged).status_code == 404
        assert behind_proxy.get("/metrics").status_code == 200  # a scraper on the host itself

    def test_a_request_through_a_proxy_on_the_host_is_not_local(self, client):
        # nginx on the same machine connects from 127.0.0.1 for anyone outside; it says so in this header.
        assert client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.4"}).status_code == 404

    def test_the_token_opens_it_from_anywhere(self, app, build_app):
        client = build_app(LINKDESK_METRICS_TOKEN=TOKEN).test_client()
        scrape(client, environ_base=OUTSIDE, headers={"Authorization": f"Bearer {TOKEN}"})
        scrape(client, environ_base=OUTSIDE, headers={"Authorization": f"bearer {TOKEN}"})
        for wrong in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", f"Basic {TOKEN}", TOKEN):
            assert client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": wrong}).status_code == 404

    def test_without_a_configured_token_no_bearer_opens_it(self, client):
        for given in ("Bearer ", "Bearer None", f"Bearer {TOKEN}"):
            assert client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": given}).status_code == 404

    def test_no_login_no_csrf_no_user(self, client, api_as):
        clerk, _ = api_as(Role.CENTER_STAFF)
        assert client.get("/metrics", headers=clerk.headers).status_code == 200  # an API token changes nothing


class TestWhatItCounts:
    def test_requests_by_endpoint_method_and_status(self, client):
        labels = {"endpoint": "accounts.login", "method": "GET", "status": "200"}
        before = scrape(client)
        client.get("/login")
        client.get("/login")
        client.get("/no-such-page/12345")
        after = scrape(client)
        assert value(after, "linkdesk_http_requests_total", **labels) - value(before, "linkdesk_http_requests_total", **labels) == 2
        assert (
            value(after, "linkdesk_http_request_duration_seconds_count", **labels)
            - value(before, "linkdesk_http_request_duration_seconds_count", **labels)
        ) == 2
        unmatched = {"endpoint": "unmatched", "method": "GET", "status": "404"}
        assert value(after, "linkdesk_http_requests_total", **unmatched) - value(before, "linkdesk_http_requests_total", **unmatched) == 1
        assert not any("12345" in str(key) for key in after)  # endpoint names, never paths

    def test_an_odd_method_is_counted_as_other(self, client):
        client.open("/login", method="PROPFIND")
        assert value(scrape(client), "linkdesk_http_requests_total", endpoint="unmatched", method="other", status="405") >= 1

    def test_a_filed_ticket_moves_the_tickets_by_status_gauge(self, client, team):
        pending = {"status": "pending", "stage": "province"}
        before = value(scrape(client), "linkdesk_tickets", **pending)
        filed = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date="2026-12-11"))
        assert filed.status_code == 201
        after = scrape(client)
        assert value(after, "linkdesk_tickets", **pending) == before + 1
        assert value(after, "linkdesk_database_up") == 1

    def test_outbox_backlog_age_and_deliveries(self, client, make, clock):
        add_channel("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=metrics-test", "ministry")
        for ticket_id in make.tickets(2, date(2026, 12, 11), status=TicketStatus.PENDING):
            notify("submitted", db.session.get(Ticket, ticket_id))
        db.session.commit()
        clock.shift(timedelta(minutes=5))
        found = scrape(client)
        assert value(found, "linkdesk_outbox_backlog_messages") == 2
        assert value(found, "linkdesk_outbox_oldest_age_seconds") == pytest.approx(300, abs=1)
        assert value(found, "linkdesk_outbox_messages", channel_kind="wecom", result="queued") == 2
        assert ("linkdesk_outbox_messages", frozenset({"channel_kind": "email", "result": "parked"}.items())) in found

    def test_overdue_reviews_and_links(self, client, make):
        make.tickets(3, date(2026, 11, 30), status=TicketStatus.PENDING)  # two working days after Friday: past the deadline
        found = scrape(client)
        assert value(found, "linkdesk_reviews_overdue", stage="ministry") == 3
        assert value(found, "linkdesk_filing_probes", state="none") == 3

    def test_worker_heartbeat_age_per_host_of_running_workers(self, client, clock):
        assert not any(name == "linkdesk_worker_heartbeat_age_seconds" for name, _ in scrape(client))
        beat = utcnow() - timedelta(seconds=30)
        db.session.add_all(
            [
                WorkerHeartbeat(worker_id="w1", host="web1", pid=1, started_at=beat, beat_at=beat),
                WorkerHeartbeat(worker_id="w2", host="web2", pid=2, started_at=beat, beat_at=beat, stopped_at=beat),
            ]
        )
        db.session.commit()
        samples = scrape(client)
        assert value(samples, "linkdesk_worker_heartbeat_age_seconds", host="web1") == pytest.approx(30, abs=1)
        assert ("linkdesk_worker_heartbeat_age_seconds", frozenset({("host", "web2")})) not in samples


MULTIPROCESS_WORKER = textwrap.dedent("""
    import json, os, sys
    from linkdesk import create_app
    from linkdesk.service import metrics
    from tests.helpers import app_config

    app = create_app(app_config(sys.argv[1]))
    client = app.test_client()
    for _ in range(int(sys.argv[2])):
        assert client.get("/login").status_code == 200
    if sys.argv[3] == "scrape":
        metrics.child_exit(None, type("Worker", (), {"pid": int(sys.argv[4])})())  # a dead worker's counts stay counted
        print(json.dumps(client.get("/metrics").get_data(as_text=True)))
    else:
        print(json.dumps(os.getpid()))
""")


@pytest.mark.slow
def test_multiprocess_mode_adds_up_the_workers(app, database_url, tmp_path):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "PYTHONPATH": str(REPO_ROOT)}
    environment.pop("LINKDESK_DATABASE_URL", None)

    def worker(requests: int, *then: str):
        finished = subprocess.run(
            [sys.executable, "-c", MULTIPROCESS_WORKER, database_url, str(requests), *then],
            env=environment,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert finished.returncode == 0, finished.stderr
        return json.loads(finished.stdout.strip().splitlines()[-1])

    db.session.commit()
    first = worker(3, "serve")
    worker(4, "serve")
    body = worker(2, "scrape", str(first))
    login = {"endpoint": "accounts.login", "method": "GET", "status": "200"}
    found = samples(body)
    assert value(found, "linkdesk_http_requests_total", **login) == 3 + 4 + 2
    assert value(found, "linkdesk_database_up") == 1
    assert any(path.name.startswith("counter_") for path in directory.iterdir())
