"""Filings and decisions per second under ``gunicorn -w 2`` at concurrency 8 (issue 23).

Builds a database by the migrations (SQLite in a temporary folder, or a fresh database on the
PostgreSQL server of ``--database-url``) with the registry and ``--history`` closed tickets
(bench_scale's distribution), gives ``--centers`` centers a clerk with an API token and every
province a reviewer, then starts gunicorn (two sync workers, as deployed) on the real clock and:

1. files one ticket for each link of those centers (nine a center) through ``POST /api/v1/tickets``,
   eight clients at once;
2. decides each at its first stage (the province's, or the ministry's for a municipality)
   through ``POST /api/v1/tickets/<id>/decision``, eight at once.

Prints requests per second, p50 / p99 in ms and the answers that were not 201 / 200 (a lock error
or a 5xx would show there). No probe of the new addresses (``LINKDESK_PROBE_ON_FILING=0``): this
measures the database, not the network.

Run: .venv/bin/python benchmarks/bench_writes.py [--centers 120] [--history 100000]
     [--database-url postgresql://…/postgres]
Asserts nothing; prints figures.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_scale import add_tickets, build, database_urls
from sqlalchemy import select
from sqlalchemy.engine import make_url

from linkdesk.accounts.tokens import create_token
from linkdesk.accounts.users import create_user
from linkdesk.extensions import db
from linkdesk.models import OPEN_STATUSES, Center, Province, Role, Service, Ticket
from linkdesk.models.types import utcnow
from linkdesk.workdays.calendar import local_date
from linkdesk.workdays.schedules import current_calendar

CONCURRENCY = 8


def people(app, centers: int) -> tuple[list[tuple[str, str]], dict[str, str], str]:
    """(clerk token, center code, service code) for every link of the first ``centers`` centers, a reviewer's
    token by province short name, and the cutover date to file for."""
    with app.app_context():
        chosen = db.session.scalars(select(Center).order_by(Center.code).limit(centers)).all()
        services = db.session.scalars(select(Service).order_by(Service.position)).all()
        taken = set(db.session.execute(select(Ticket.center_id, Ticket.service_id).where(Ticket.status.in_(OPEN_STATUSES))).all())
        filings = []
        for center in chosen:
            clerk = create_user(f"bench-writer-{center.code}", "bench-password-1", Role.CENTER_STAFF, center=center.code)
            token = create_token(clerk)
            filings += [(token, center.code, s.code) for s in services if (center.id, s.id) not in taken]
        reviewers = {}
        for province in db.session.scalars(select(Province)):
            reviewer = create_user(f"bench-reviewer-{province.code}", "bench-password-1", Role.PROVINCE_REVIEWER, province=province.code)
            reviewers[province.short_name] = create_token(reviewer)
        calendar = current_calendar()
        cutover = calendar.add_working_days(calendar.earliest_cutover(local_date(utcnow())).earliest_cutover, 5)
        db.session.commit()
    return filings, reviewers, cutover.isoformat()


def call(base: str, method: str, path: str, token: str, body: dict) -> tuple[int, float, dict]:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, answer = response.status, json.load(response)
    except urllib.error.HTTPError as error:
        status, answer = error.code, json.loads(error.read() or b"{}")
    return status, (time.perf_counter() - started) * 1000, answer


def run(name: str, calls: list, expected: int) -> list[dict]:
    """Send the calls eight at a time; print the rate, p50 / p99 and the unexpected answers (and
    the first of them); the expected answers' bodies."""
    if not calls:
        print(f"{name:<28} nothing to send")
        return []
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(lambda args: call(*args), calls))
    elapsed = time.perf_counter() - started
    times = sorted(ms for _, ms, _ in results)
    others = Counter(status for status, _, _ in results if status != expected)
    print(
        f"{name:<28} {len(calls):>5} in {elapsed:5.1f} s  {len(calls) / elapsed:6.1f}/s  "
        f"p50 {statistics.median(times):6.1f} ms  p99 {times[round(0.99 * (len(times) - 1))]:7.1f} ms  "
        f"not {expected}: {dict(others) or 0}",
        flush=True,
    )
    if others:
        print("  first:", next(answer for status, _, answer in results if status != expected))
    return [answer for status, _, answer in results if status == expected]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--centers", type=int, default=120, help="centers that file (nine links each)")
    parser.add_argument("--history", type=int, default=100_000, help="closed tickets already in the database")
    parser.add_argument("--database-url", help="a PostgreSQL server (its maintenance database); default SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url, drop = database_urls(args.database_url, Path(directory))
        server = None
        try:
            app, ids = build(url)
            add_tickets(app, ids, 0, args.history)
            filings, reviewers, cutover = people(app, args.centers)
            with app.app_context():
                db.engine.dispose()
            port = free_port()
            environment = dict(os.environ, LINKDESK_DATABASE_URL=url, LINKDESK_SECRET_KEY="bench", LINKDESK_PROBE_ON_FILING="0")
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "linkdesk.wsgi:app"],
                env=environment,
            )
            base = f"http://127.0.0.1:{port}/api/v1"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/static/linkdesk.css", timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            backend = make_url(url).get_backend_name()
            print(f"\n{backend}, gunicorn -w 2, {CONCURRENCY} clients, {args.history:,} tickets of history, cutover {cutover}")
            # The new address stays on the link's host (bench_scale's registry): no ICP number needed.
            body = {"reason": "服务器迁移到政务云", "contact_name": "张经办", "contact_phone": "0371-12345678", "cutover_date": cutover}
            filed = run(
                "filings (POST /tickets)",
                [
                    (base, "POST", "/tickets", token, dict(body, service=service, new_url=f"https://gjj{center}.gov.cn/{service}/v2"))
                    for token, center, service in filings
                ],
                201,
            )
            # A municipality's center goes straight to the ministry.
            reviewer = {"province": lambda ticket: reviewers[ticket["center"]["province"]], "ministry": lambda ticket: ids["token"]}
            run(
                "decisions (first stage)",
                [
                    (
                        base,
                        "POST",
                        f"/tickets/{ticket['id']}/decision",
                        reviewer[ticket["stage"]](ticket),
                        {"decision": "approve", "version": ticket["version"]},
                    )
                    for ticket in filed
                ],
                200,
            )
        finally:
            if server is not None:
                server.terminate()
                server.wait(10)
            drop()


if __name__ == "__main__":
    main()
