"""The PostgreSQL plans of the statements the heavy pages send (issue 23): EXPLAIN ANALYZE of
every statement on tickets, decisions and the 总览's kept counts that one request of each route
issues, as captured from the request.

Needs a database built by bench_scale's ``build`` and ``add_tickets`` (e.g. 100,000 tickets):

Run: .venv/bin/python benchmarks/explain_pg.py postgresql+psycopg://…/linkdesk_bench_…
Prints the plan nodes (scans, joins, sorts, aggregates) and each statement's execution time.
"""

import re
import sys

import time_machine
from bench_scale import NOW, PASSWORD
from sqlalchemy import event, select

from linkdesk import create_app
from linkdesk.accounts.tokens import create_token
from linkdesk.extensions import db
from linkdesk.models import User

ROUTES = [
    ("ministry", "/"),
    ("henan", "/"),
    ("ministry", "/calendar/?month=2026-11"),
    ("henan", "/calendar/?month=2026-11"),
    ("ministry", "/calendar/list?from=2026-11-01&to=2026-11-30"),
    ("token", "/api/v1/cutovers?from=2026-09-01&to=2026-11-30"),
    ("ministry", "/review/"),
    ("clerk", "/tickets/"),
    ("token", "/api/v1/tickets"),
    ("token", "/api/v1/tickets?q=LD-B-0000345"),
    ("token", "/api/v1/tickets?q=example.gov.cn/0000345/"),
    ("ministry", "/overview/"),
    ("token", "/api/v1/overview?from=2025-11-28&to=2026-11-27"),
]
READS = ("ticket", "review_", "day_count")  # the tables whose statements are shown
SHOWN = re.compile(r"Scan|Sort|Aggregate|Join|Loop|Execution Time")


def main(url: str) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "LINKDESK_PROBE_ON_FILING": False,
        }
    )
    with app.app_context():
        token = create_token(db.session.scalar(select(User).where(User.username == "bench-ministry")))
        db.session.commit()
        engine = db.engine
    with time_machine.travel(NOW, tick=False):
        clients = {"token": app.test_client()}
        for who in ("ministry", "henan", "clerk"):
            clients[who] = app.test_client()
            clients[who].post("/login", data={"username": f"bench-{who}", "password": PASSWORD})
        for who, path in ROUTES:
            headers = {"Authorization": f"Bearer {token}"} if who == "token" else {}
            clients[who].get(path, headers=headers)  # warm-up
            seen = []

            def record(_connection, _cursor, statement, parameters, _context, _many, seen=seen):
                if statement.lstrip().upper().startswith("SELECT") and any(name in statement for name in READS):
                    seen.append((statement, parameters))

            event.listen(engine, "before_cursor_execute", record)
            status = clients[who].get(path, headers=headers).status_code
            event.remove(engine, "before_cursor_execute", record)
            print(f"\n===== {who} {path} -> {status}")
            with engine.connect() as connection, connection.connection.dbapi_connection.cursor() as cursor:
                for statement, parameters in seen:
                    cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + statement, parameters)
                    nodes = [row[0].strip() for row in cursor.fetchall() if SHOWN.search(row[0])]
                    print(f"-- {' '.join(statement.split())[:110]}\n   " + "\n   ".join(nodes[:8]))


if __name__ == "__main__":
    main(sys.argv[1])
