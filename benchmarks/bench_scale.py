"""Every page, API list and feed at 1,000 and at 100,000 tickets (issue 23): time and SQL statements.

Builds a database by the migrations (SQLite in a temporary folder, or a fresh database on the
PostgreSQL server of ``--database-url``), loads the registry, then tickets written with the
project's models as three years of the ~340 centers look: mostly completed, some rejected,
withdrawn or cancelled, up to one open ticket per link (pending at either stage, returned,
approved for the coming weeks), each with its audit events, review decisions and, when
completed, its registry revision. One database per size; then it asks every route in-process
(Flask's test client, one request at a time, the clock frozen at 2026-11-27 10:00 Beijing)
``--runs`` times after two warm-up requests, the sizes taking turns request by request, beside a
static file, and prints p50 / p99 in ms and the SQL statements of one request; with two sizes or
more, the ratio of the last p50 to the first.

Run: .venv/bin/python benchmarks/bench_scale.py [--sizes 1000 100000] [--runs 20]
     [--database-url postgresql://…/postgres]
Asserts nothing; prints figures (and a Markdown table with --markdown).
"""

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import time_machine
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from linkdesk import create_app
from linkdesk.accounts.tokens import create_token
from linkdesk.accounts.users import create_user
from linkdesk.cutovers.feeds import issue_feed
from linkdesk.extensions import db
from linkdesk.models import AuditEvent, Center, LinkRecord, LinkRevision, ReviewDecision, Role, Service, Ticket, TicketWarning
from linkdesk.seed import seed_registry
from linkdesk.tickets import figures

NOW = "2026-11-27 10:00:00+08:00"
TODAY = date(2026, 11, 27)
PASSWORD = "bench-password-1"
CLOSED = ["completed"] * 80 + ["rejected"] * 8 + ["withdrawn"] * 6 + ["cancelled"] * 6
OPEN = ("pending_province", "pending_ministry", "returned", "approved")


def build(url: str):
    """The schema, the registry, live links and the people who ask; returns the app and its ids."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "LINKDESK_PROBE_ON_FILING": False,
        }
    )
    with app.app_context(), time_machine.travel(NOW, tick=False):
        upgrade()
        seed_registry()
        centers = db.session.scalars(select(Center).order_by(Center.code)).all()
        services = db.session.scalars(select(Service).order_by(Service.position)).all()
        db.session.execute(
            insert(LinkRecord),
            [
                {
                    "center_id": c.id,
                    "service_id": s.id,
                    "url": f"https://gjj{c.code}.gov.cn/{s.code}",
                    "effective_date": date(2023, 1, 1),
                    "updated_at": datetime(2023, 1, 1, tzinfo=UTC),
                }
                for c in centers
                for s in services
            ],
        )
        # The clerk's center is the first: its links have tickets at any size, so that the clerk's list
        # and the search by its name find tickets at 1,000 as at 100,000 (like for like).
        clerk = create_user("bench-clerk", PASSWORD, Role.CENTER_STAFF, center=centers[0].code)
        ministry = create_user("bench-ministry", PASSWORD, Role.MINISTRY_REVIEWER)
        create_user("bench-henan", PASSWORD, Role.PROVINCE_REVIEWER, province="河南")
        # Tickets go to the links in this order, then round again: the clerk's first, the others shuffled,
        # so that at 1,000 every province has some (河南's reviewer sees a list as at 100,000).
        others = [(c.id, s.id) for c in centers[1:] for s in services]
        random.Random(23).shuffle(others)
        ids = {
            "clerk": clerk.id,
            "token": create_token(ministry),
            "center": centers[0].short_name,
            "feed": issue_feed(ministry),
            "links": [(centers[0].id, s.id) for s in services] + others,
        }
        db.session.commit()
        db.session.remove()
    return app, ids


# The filing rules' warnings a bulk-loaded ticket carries: an emergency's, and http on ~5 % of
# tickets, a host change on ~1 % (a list narrowed to one finds some at any size).
WARNINGS = {
    "emergency": "紧急变更：不受 10 个工作日提前报送要求限制，须经部监管司批准。",
    "http": "使用 http 而非 https：数据未加密传输，请审核人员关注。",
    "host_changed": "域名由 gjj.example.gov.cn 变更为 gjj.example.com，请核实新域名归属。",
}


def warnings_of(rng: random.Random, emergency: bool) -> list[dict]:
    codes = ["emergency"] * emergency + ["http"] * (rng.random() < 0.05) + ["host_changed"] * (rng.random() < 0.01)
    return [{"code": code, "message": WARNINGS[code]} for code in codes]


def add_tickets(app, ids: dict, start: int, count: int) -> None:
    """Tickets ``start`` … ``start + count - 1``: the first of each link may be open, the rest closed."""
    rng, links, author = random.Random(start), ids["links"], ids["clerk"]
    with app.app_context():
        provinces = dict(db.session.execute(select(Center.id, Center.province_id)).all())
        for chunk in range(start, start + count, 5000):
            tickets, warnings, events, decisions, revisions = [], [], [], [], []
            for number in range(chunk, min(chunk + 5000, start + count)):
                center_id, service_id = links[number % len(links)]
                is_open = number < len(links) and number % 10 == 0  # ~10 % of links have an open ticket
                status = OPEN[number // 10 % 4] if is_open else rng.choice(CLOSED)
                if is_open:
                    submitted = datetime(2026, 11, 20, 2, tzinfo=UTC) - timedelta(minutes=rng.randrange(20 * 24 * 60))
                    cutover = TODAY + timedelta(days=3 + rng.randrange(40))
                else:
                    submitted = datetime(2023, 11, 27, 2, tzinfo=UTC) + timedelta(minutes=rng.randrange(1080 * 24 * 60))
                    cutover = min(submitted.date() + timedelta(days=14 + rng.randrange(30)), TODAY - timedelta(days=1))
                stage = {"pending_province": "province", "pending_ministry": "ministry"}.get(status)
                status = status.removeprefix("pending_").replace("province", "pending").replace("ministry", "pending")
                ticket_id = number + 1
                emergency = rng.random() < 0.02
                tickets.append(
                    {
                        "id": ticket_id,
                        "number": f"LD-B-{number:07d}",
                        "center_id": center_id,
                        "service_id": service_id,
                        "old_url": "https://gjj.example.gov.cn/old",
                        "new_url": f"https://gjj.example.gov.cn/{number:07d}/",
                        "cutover_date": cutover,
                        "submitted_at": submitted,
                        "submitted_on": submitted.date(),
                        "earliest_cutover": cutover - timedelta(days=rng.choice((0, 0, 3))),
                        "reason": "基准测试",
                        "contact_name": "测试",
                        "contact_phone": "0371-12345678",
                        "status": status,
                        "stage": stage,
                        "version": 1,
                        "created_by_id": author,
                        "created_at": submitted,
                        "updated_at": submitted,
                        "provisional": False,
                        "emergency": emergency,
                        "emergency_reason": "紧急",
                        "evidence_requested": False,
                    }
                )
                warnings.extend(
                    {"ticket_id": ticket_id, "position": position, **warning}
                    for position, warning in enumerate(warnings_of(rng, emergency))
                )
                events.append(
                    {
                        "ticket_id": ticket_id,
                        "actor_id": author,
                        "actor_role": "center_staff",
                        "at": submitted,
                        "action": "submit",
                        "to_status": "pending",
                        "to_stage": "province",
                    }
                )
                if status in ("completed", "rejected", "approved", "cancelled"):
                    decided = submitted + timedelta(hours=rng.randrange(1, 96))
                    for stage_name in ("province", "ministry"):
                        verdict = "reject" if status == "rejected" and stage_name == "ministry" else "approve"
                        decisions.append(
                            {
                                "ticket_id": ticket_id,
                                "province_id": provinces[center_id],
                                "stage": stage_name,
                                "ticket_version": 1,
                                "reviewer_id": author,
                                "decision": verdict,
                                "decided_at": decided,
                                "comment": "驳回" if verdict == "reject" else None,
                            }
                        )
                        events.append(
                            {
                                "ticket_id": ticket_id,
                                "actor_id": author,
                                "actor_role": "ministry_reviewer",
                                "at": decided,
                                "action": verdict,
                                "from_status": "pending",
                                "to_status": "pending" if stage_name == "province" else status,
                            }
                        )
                if status == "completed":
                    events.append(
                        {
                            "ticket_id": ticket_id,
                            "actor_role": "system",
                            "action": "complete",
                            "to_status": "completed",
                            "at": datetime.combine(cutover, datetime.min.time(), UTC),
                        }
                    )
                    revisions.append(
                        {
                            "center_id": center_id,
                            "service_id": service_id,
                            "ticket_id": ticket_id,
                            "url": f"https://gjj.example.gov.cn/{number:07d}/",
                            "effective_date": cutover,
                            "note": f"工单 LD-B-{number:07d}",
                            "recorded_at": submitted,
                        }
                    )
            for model, rows in (
                (Ticket, tickets),
                (TicketWarning, warnings),
                (AuditEvent, events),
                (ReviewDecision, decisions),
                (LinkRevision, revisions),
            ):
                if rows:
                    db.session.execute(insert(model), rows)
            db.session.commit()
        figures.rebuild()  # bulk rows go around the operations that keep the figures: count them as the app would have
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT setval('ticket_id_seq', (SELECT max(id) FROM ticket))"))
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.session.remove()


def routes(app, ids: dict) -> list[tuple[str, str, str]]:
    """(name, who asks, path)."""
    return [
        ("static file (baseline)", "ministry", "/static/linkdesk.css"),
        ("home (ministry)", "ministry", "/"),
        ("home (province)", "henan", "/"),
        ("home (clerk)", "clerk", "/"),
        ("cutover month (ministry)", "ministry", "/calendar/?month=2026-11"),
        ("GET /api/v1/cutovers 3 months, first page", "token", "/api/v1/cutovers?from=2026-09-01&to=2026-11-30"),
        ("iCal feed (ministry, cached)", "feed", f"/calendar/feed/{ids['feed']}.ics"),
        ("iCal feed, If-None-Match → 304", "feed304", f"/calendar/feed/{ids['feed']}.ics"),
        ("cutover month (province)", "henan", "/calendar/?month=2026-11"),
        ("cutover list (province), a month", "henan", "/calendar/list?from=2026-11-01&to=2026-11-30"),
        ("review queue (ministry)", "ministry", "/review/"),
        ("review queue (province)", "henan", "/review/"),
        ("ticket list (clerk)", "clerk", "/tickets/"),
        ("ticket list (province)", "henan", "/tickets/"),
        ("GET /api/v1/tickets", "token", "/api/v1/tickets"),
        # The reviewer's workbench (issue 16): search by number, by center name, by a fragment of an address,
        # each finding the same ticket(s) at any size (the number and address of ticket 345, the clerk's center).
        ("GET /api/v1/tickets?q=LD-B-0000345 (number)", "token", "/api/v1/tickets?q=LD-B-0000345"),
        ("GET /api/v1/tickets?q=<center> sorted by center", "token", f"/api/v1/tickets?q={quote(ids['center'])}&sort=center"),
        # The same with the page the center fills at 1,000 (9 tickets): the search alone, without 91 more to send.
        ("… the same, limit=9", "token", f"/api/v1/tickets?q={quote(ids['center'])}&sort=center&limit=9"),
        ("GET /api/v1/tickets?q=example.gov.cn/0000345/ (address)", "token", "/api/v1/tickets?q=example.gov.cn/0000345/"),
        # Broad searches: a text most tickets hold, whose matches fill the page at any size.
        ("GET /api/v1/tickets?q=gov.cn/ (broad)", "token", "/api/v1/tickets?q=gov.cn/"),
        ("GET /api/v1/tickets?q=gjj (broad, one trigram)", "token", "/api/v1/tickets?q=gjj"),
        ("GET /api/v1/tickets?q=https&sort=cutover (broad)", "token", "/api/v1/tickets?q=https&sort=cutover"),
        ("GET /api/v1/tickets?q=.gov&sort=-center (broad)", "token", "/api/v1/tickets?q=.gov&sort=-center"),
        ("ticket list (ministry), q=gov.cn/ (broad)", "ministry", "/tickets/?q=gov.cn/"),
        ("GET /api/v1/tickets?province=河南 (a filter)", "token", f"/api/v1/tickets?province={quote('河南')}"),
        ("GET /api/v1/tickets?center=<clerk's center>", "token", f"/api/v1/tickets?center={quote(ids['center'])}"),
        ("GET /api/v1/tickets?sort=-days_left", "token", "/api/v1/tickets?sort=-days_left"),
        ("GET /api/v1/tickets?warning=emergency (2 % of tickets)", "token", "/api/v1/tickets?warning=emergency"),
        ("ticket list (ministry), warning=http", "ministry", "/tickets/?warning=http"),
        ("GET /api/v1/tickets?warning=http (5 % of tickets)", "token", "/api/v1/tickets?warning=http"),
        ("GET /api/v1/tickets?warning=host_changed (1 %)", "token", "/api/v1/tickets?warning=host_changed"),
        ("GET /api/v1/tickets?warning=day_full (none)", "token", "/api/v1/tickets?warning=day_full"),
        ("GET /api/v1/tickets?warning=http&province=河南", "token", f"/api/v1/tickets?warning=http&province={quote('河南')}"),
        ("ticket page (ministry)", "ministry", "/tickets/1"),
        ("总览 page (ministry, last 12 weeks)", "ministry", "/overview/"),
        ("总览 page (province)", "henan", "/overview/"),
        ("GET /api/v1/overview, a year of trends", "token", "/api/v1/overview?from=2025-11-28&to=2026-11-27"),
    ]


def measure(apps: dict[int, tuple], runs: int, only: list[str] = ()) -> dict[int, dict[str, tuple[float, float, int, int]]]:
    """By size, p50 and p99 in ms, the statements of one request and its answer's bytes, by route name.

    The sizes take turns request by request, so that a busy moment of the machine falls on
    both alike and the ratio compares like with like."""
    clients, engines = {}, {}
    results: dict[int, dict] = {size: {} for size in apps}
    with time_machine.travel(NOW, tick=False):
        for size, (app, _ids) in apps.items():
            clients[size] = {}
            for who in ("ministry", "henan", "clerk"):
                clients[size][who] = app.test_client()
                clients[size][who].post("/login", data={"username": f"bench-{who}", "password": PASSWORD})
            clients[size]["token"] = clients[size]["feed"] = clients[size]["feed304"] = app.test_client()
            with app.app_context():
                engines[size] = db.engine
        first_size = min(apps)
        for number, (name, who, _) in enumerate(routes(*apps[first_size])):
            if only and number and not any(word in name for word in only):  # the static file stays
                continue
            asks = {}
            for size, (app, ids) in apps.items():
                path = routes(app, ids)[number][2]
                extra = {"Authorization": f"Bearer {ids['token']}"} if who == "token" else {}
                if who == "feed304":
                    extra = {"If-None-Match": clients[size][who].get(path).headers["ETag"]}
                client = clients[size][who]
                for _ in range(2):  # warm-up: the working-day calendar, the feed's render
                    response = client.get(path, headers=extra)
                    assert response.status_code in (200, 304), (name, response.status_code)
                seen: list[str] = []

                def record(*args, seen=seen):
                    seen.append(args[2])

                event.listen(engines[size], "before_cursor_execute", record)
                answer = client.get(path, headers=extra)
                event.remove(engines[size], "before_cursor_execute", record)
                asks[size] = (client, path, extra, len(seen), len(answer.get_data()))
                answer.close()
            times: dict[int, list[float]] = {size: [] for size in apps}
            for _ in range(runs):
                for size, (client, path, extra, *_) in asks.items():
                    started = time.perf_counter()
                    client.get(path, headers=extra).close()
                    times[size].append((time.perf_counter() - started) * 1000)
            for size, measured in times.items():
                measured.sort()
                p99 = measured[min(len(measured) - 1, round(0.99 * (len(measured) - 1)))]
                results[size][name] = (statistics.median(measured), p99, asks[size][3], asks[size][4])
    return results


def database_urls(base: str | None, directory: Path, name: str = "bench"):
    """A new empty database's URL and the function that drops it."""
    if base is None:
        return f"sqlite:///{directory / f'{name}.sqlite3'}", lambda: None
    admin = create_engine(make_url(base), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"linkdesk_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", help="a PostgreSQL server (its maintenance database); default SQLite")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument(
        "--routes",
        nargs="+",
        default=[],
        metavar="WORD",
        help="only the routes whose name holds one of these words (e.g. warning), and the static file",
    )
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    apps, drops = {}, []
    with tempfile.TemporaryDirectory() as directory:
        try:
            for size in sizes:
                url, drop = database_urls(args.database_url, Path(directory), f"size{size}")
                drops.append(drop)
                started = time.perf_counter()
                app, ids = build(url)
                add_tickets(app, ids, 0, size)
                apps[size] = (app, ids)
                print(f"# {size:,} tickets loaded in {time.perf_counter() - started:.0f} s", flush=True)
            by_size = measure(apps, args.runs, args.routes)
            for app, _ in apps.values():
                with app.app_context():
                    db.engine.dispose()
        finally:
            for drop in drops:
                drop()
    report(by_size, sizes, make_url(url).get_backend_name(), args.markdown)


def report(by_size: dict, sizes: list[int], backend: str, markdown: bool) -> None:
    """The table: a route whose answer is much larger at the larger size (a page that 1,000
    tickets do not fill) shows it in its KB, so that its ratio is read for what it is."""
    first, last = sizes[0], sizes[-1]
    print(f"\n{backend}: p50 / p99 ms, statements per request, answer KB; ratio = p50 at {last:,} / p50 at {first:,}")
    if markdown:
        columns = " | ".join(f"{size:,}: p50 / p99 (stmts, KB)" for size in sizes)
        print(f"| route | {columns} | ratio |\n|---|" + "---|" * (len(sizes) + 1))
    for name in by_size[first]:
        cells = [
            f"{by_size[s][name][0]:.1f} / {by_size[s][name][1]:.1f} ({by_size[s][name][2]}, {by_size[s][name][3] / 1024:.0f})"
            for s in sizes
        ]
        ratio = by_size[last][name][0] / by_size[first][name][0]
        if markdown:
            print(f"| {name} | {' | '.join(cells)} | {ratio:.2f}× |")
        else:
            print(f"{name:<44} " + "  ".join(f"{c:>30}" for c in cells) + f"  {ratio:5.2f}×")


if __name__ == "__main__":
    main()
