"""The overview at 1,000 and at 100,000 tickets (issue 19): the same number of SQL statements.

Builds a database by the migrations (SQLite in a temporary folder, or a fresh database on the
PostgreSQL server of ``--database-url``), loads the registry (341 centers, a live link for
most services), then tickets: 300 open ones (one per link, the same at every size) and
the rest completed, rejected or withdrawn, each with its audit events, spread over a year. Asks
GET /api/v1/overview?from=…&to=… (a year of trends) as the ministry and prints the statements
sent and the median wall time of 15 requests, at each size. The rows are bulk-inserted, around the ORM: the overview's
figures kept at write time are counted afterwards by ``tickets.figures.rebuild``.

Run: .venv/bin/python benchmarks/bench_overview.py [--sizes 1000 100000] [--database-url postgresql://…/postgres]
Asserts nothing; prints figures.
"""

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import time_machine
from bench_scale import database_urls
from flask_migrate import upgrade
from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import make_url

from linkdesk import create_app
from linkdesk.accounts.tokens import create_token
from linkdesk.accounts.users import create_user
from linkdesk.extensions import db
from linkdesk.models import AuditEvent, Center, LinkRecord, ReviewDecision, Role, Service, Ticket
from linkdesk.seed import seed_registry
from linkdesk.tickets import figures

NOW = "2026-11-27 10:00:00+08:00"
OPEN = ("pending", "returned", "approved")
OPEN_TICKETS = 300  # open at any size (one per link): the history grows, the work in hand does not
RUNS = 15  # requests timed at each size; the median is printed
CLOSED = ("completed", "completed", "completed", "rejected", "withdrawn")


def build(url: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        upgrade()
        seed_registry()
        centers = db.session.scalars(select(Center)).all()
        services = db.session.scalars(select(Service)).all()
        rng = random.Random(19)
        db.session.execute(
            insert(LinkRecord),
            [
                {
                    "center_id": c.id,
                    "service_id": s.id,
                    "url": f"{'http' if rng.random() < 0.1 else 'https'}://gjj{c.code}.gov.cn/{s.code}",
                    "effective_date": date(2025, 1, 1),
                    "updated_at": datetime(2025, 1, 1, tzinfo=UTC),
                }
                for c in centers
                for s in services
                if rng.random() < 0.95
            ],
        )
        links = [(c.id, s.id) for c in centers for s in services]
        author = create_user("bench-clerk", "bench-password-1", Role.CENTER_STAFF, center="郑州").id
        token = create_token(create_user("bench-ministry", "bench-password-1", Role.MINISTRY_REVIEWER))
        db.session.commit()
        return token, app, links, author


def add_tickets(app, links, author: int, start: int, count: int) -> None:
    rng = random.Random(start)
    with app.app_context():
        provinces = dict(db.session.execute(select(Center.id, Center.province_id)).all())
        tickets, events, decisions = [], [], []
        for number in range(start, start + count):
            center_id, service_id = links[number % len(links)]
            status = OPEN[number % 3] if number < OPEN_TICKETS else rng.choice(CLOSED)
            submitted = datetime(2025, 12, 1, 2, tzinfo=UTC) + timedelta(minutes=rng.randrange(360 * 24 * 60))
            cutover = submitted.date() + timedelta(days=14 + rng.randrange(30))
            tickets.append(
                {
                    "id": number + 1,
                    "number": f"LD-B-{number:07d}",
                    "center_id": center_id,
                    "service_id": service_id,
                    "new_url": "https://gjj.example.gov.cn/new",
                    "cutover_date": cutover,
                    "submitted_at": submitted,
                    "submitted_on": submitted.date(),
                    "earliest_cutover": cutover - timedelta(days=rng.choice((0, 0, 3))),
                    "reason": "基准测试",
                    "contact_name": "测试",
                    "contact_phone": "0371-12345678",
                    "warnings": [],
                    "status": status,
                    "stage": "ministry" if status == "pending" else None,
                    "version": 1,
                    "created_by_id": author,
                    "created_at": submitted,
                    "updated_at": submitted,
                    "provisional": False,
                    "emergency": False,
                }
            )
            events.append(
                {
                    "ticket_id": number + 1,
                    "actor_id": author,
                    "actor_role": "center_staff",
                    "at": submitted,
                    "action": "submit",
                    "to_status": "pending",
                    "to_stage": "ministry",
                }
            )
            if status in ("completed", "rejected"):
                decided = submitted + timedelta(hours=rng.randrange(1, 96))
                decisions.append(
                    {
                        "ticket_id": number + 1,
                        "province_id": provinces[center_id],
                        "stage": "ministry",
                        "ticket_version": 1,
                        "reviewer_id": author,
                        "decision": "approve" if status == "completed" else "reject",
                        "decided_at": decided,
                        "comment": None if status == "completed" else "驳回",
                    }
                )
            if status == "completed":
                events.append(
                    {
                        "ticket_id": number + 1,
                        "actor_role": "system",
                        "action": "complete",
                        "to_status": "completed",
                        "at": datetime.combine(cutover, datetime.min.time(), UTC),
                    }
                )
        db.session.execute(insert(Ticket), tickets)
        db.session.execute(insert(AuditEvent), events)
        if decisions:
            db.session.execute(insert(ReviewDecision), decisions)
        figures.rebuild()  # bulk rows go around the operations that keep the figures: count them as the app would have
        db.session.commit()
        db.session.execute(text("ANALYZE"))  # as a live database's statistics would be
        db.session.commit()


def measure(app, token: str) -> tuple[int, float, int]:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    with app.app_context(), time_machine.travel(NOW, tick=False):
        path = "/api/v1/overview?from=2025-12-01&to=2026-11-27"
        client.get(path, headers=headers)  # the working-day calendar's cache is built once per process
        seen = []
        record = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", record)
        response = client.get(path, headers=headers)
        event.remove(db.engine, "before_cursor_execute", record)
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            client.get(path, headers=headers)
            times.append(time.perf_counter() - started)
    assert response.status_code == 200, response.get_data(as_text=True)
    return len(seen), statistics.median(times), len(response.get_json()["provinces"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--database-url", help="a PostgreSQL server (its maintenance database); default SQLite")
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    with tempfile.TemporaryDirectory() as directory:
        url, drop = database_urls(args.database_url, Path(directory))
        try:
            token, app, links, author = build(url)
            loaded = 0
            print(f"{make_url(url).get_backend_name()}")
            print(f"{'tickets':>9} {'statements':>10} {'time (ms)':>10} {'provinces':>9}")
            for size in sizes:
                add_tickets(app, links, author, loaded, size - loaded)
                loaded = size
                statements, elapsed, provinces = measure(app, token)
                print(f"{size:>9,} {statements:>10} {elapsed * 1000:>10.0f} {provinces:>9}", flush=True)
            with app.app_context():
                db.engine.dispose()
        finally:
            drop()


if __name__ == "__main__":
    main()
