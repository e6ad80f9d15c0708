"""The upgrade drill: a desk that has run since migration 0010 (webhook channels), with real rows
written as that schema had them, is upgraded to the newest migration by ``init-db`` and then
serves every page its clerk, its province reviewer and the ministry open, and the API lists its
tickets. On the test database: SQLite, or PostgreSQL when LINKDESK_TEST_DATABASE_URL is set."""

import hashlib
from datetime import UTC, date, datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import JSON, Boolean, Date, DateTime, LargeBinary, column, insert, select, table, text

from linkdesk import create_app
from linkdesk.accounts.passwords import hash_password
from linkdesk.extensions import db
from linkdesk.seed import seed_registry
from linkdesk.service.backup import head_revision

from ..conftest import RequestClient
from ..factories import LETTER
from ..helpers import Api, app_config

OLD_REVISION = "0010_webhook_channels"
PASSWORD = "an-old-desk-password"
STAMP = DateTime(timezone=True)
pytestmark = pytest.mark.usefixtures("clock")  # BEIJING_FRIDAY, 2026-11-27

# The tables as migration 0010 left them: plain columns, no application model.
USERS = table(
    "user_account",
    column("id"),
    column("username"),
    column("display_name"),
    column("password_hash"),
    column("role"),
    column("center_id"),
    column("province_id"),
    column("active", Boolean),
    column("created_at", STAMP),
    column("contact"),
    column("must_change_password", Boolean),
)
TICKETS = table(
    "ticket",
    column("id"),
    column("number"),
    column("center_id"),
    column("service_id"),
    column("old_url"),
    column("new_url"),
    column("cutover_date", Date),
    column("submitted_at", STAMP),
    column("submitted_on", Date),
    column("earliest_cutover", Date),
    column("provisional", Boolean),
    column("emergency", Boolean),
    column("reason"),
    column("contact_name"),
    column("contact_phone"),
    column("warnings", JSON),
    column("status"),
    column("stage"),
    column("version"),
    column("created_by_id"),
    column("created_at", STAMP),
    column("updated_at", STAMP),
    column("evidence_requested", Boolean),
)
EVENTS = table(
    "audit_event",
    column("ticket_id"),
    column("actor_id"),
    column("actor_role"),
    column("at", STAMP),
    column("action"),
    column("from_status"),
    column("from_stage"),
    column("to_status"),
    column("to_stage"),
    column("comment"),
)
DECISIONS = table(
    "review_decision",
    column("ticket_id"),
    column("stage"),
    column("decision"),
    column("comment"),
    column("reviewer_id"),
    column("ticket_version"),
    column("decided_at", STAMP),
)
LINKS = table(
    "link_record",
    column("center_id"),
    column("service_id"),
    column("url"),
    column("effective_date", Date),
    column("ticket_id"),
    column("updated_at", STAMP),
)
REVISIONS = table(
    "link_revision",
    column("center_id"),
    column("service_id"),
    column("url"),
    column("effective_date", Date),
    column("ticket_id"),
    column("note"),
    column("recorded_at", STAMP),
)
ATTACHMENTS = table(
    "ticket_attachment",
    column("ticket_id"),
    column("filename"),
    column("content_type"),
    column("size"),
    column("sha256"),
    column("data", LargeBinary),
    column("uploaded_by_id"),
    column("uploaded_at", STAMP),
    column("reviewed", Boolean),
)
COUNTER = table("ticket_number_counter", column("year"), column("last"))

# (status, stage, cutover, decisions as (stage, decision, comment)): tickets in several states.
HISTORY = [
    ("pending", "province", date(2026, 12, 14), []),
    ("pending", "ministry", date(2026, 12, 15), [("province", "approve", None)]),
    ("approved", None, date(2026, 12, 16), [("province", "approve", None), ("ministry", "approve", "同意")]),
    ("completed", None, date(2026, 11, 20), [("province", "approve", None), ("ministry", "approve", None)]),
    ("returned", None, date(2026, 12, 17), [("province", "return", "请补充新地址的备案信息")]),
    ("rejected", None, date(2026, 12, 18), [("province", "approve", None), ("ministry", "reject", "不符合要求")]),
]


def at(day: int, hour: int = 2) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def write_old_desk(connection) -> dict:
    """Rows as a desk at 0010 wrote them; returns the ids the test needs."""
    ids = dict(connection.execute(text("SELECT short_name, id FROM center WHERE short_name IN ('郑州')")).all())
    henan = connection.execute(text("SELECT id FROM province WHERE short_name = '河南'")).scalar_one()
    services = connection.execute(text("SELECT id, code FROM service ORDER BY position")).all()
    password = hash_password(PASSWORD)
    people = [
        ("clerk", "center_staff", ids["郑州"], None),
        ("henan", "province_reviewer", None, henan),
        ("ministry", "ministry_reviewer", None, None),
    ]
    for number, (name, role, center, province) in enumerate(people, start=1):
        connection.execute(
            insert(USERS).values(
                id=number,
                username=name,
                display_name=name,
                password_hash=password,
                role=role,
                center_id=center,
                province_id=province,
                active=True,
                created_at=at(1),
                contact="",
                must_change_password=False,
            )
        )
    actors = {"province": (2, "province_reviewer"), "ministry": (3, "ministry_reviewer")}
    for number, (status, stage, cutover, decisions) in enumerate(HISTORY, start=1):
        service_id, code = services[number - 1]
        version = 1 + len(decisions)
        connection.execute(
            insert(TICKETS).values(
                id=number,
                number=f"LD-2026-{number:06d}",
                center_id=ids["郑州"],
                service_id=service_id,
                old_url=f"https://gjj.zhengzhou.gov.cn/{code}",
                new_url=f"https://gjj.zhengzhou.gov.cn/v2/{code}",
                cutover_date=cutover,
                submitted_at=at(2 + number),
                submitted_on=date(2026, 11, 2 + number),
                earliest_cutover=cutover,
                provisional=False,
                emergency=False,
                reason="服务器迁移到政务云",
                contact_name="张经办",
                contact_phone="0371-12345678",
                warnings=[],
                status=status,
                stage=stage,
                version=version,
                created_by_id=1,
                created_at=at(2 + number),
                updated_at=at(3 + number),
                evidence_requested=False,
            )
        )
        connection.execute(
            insert(EVENTS).values(
                ticket_id=number,
                actor_id=1,
                actor_role="center_staff",
                at=at(2 + number),
                action="submit",
                to_status="pending",
                to_stage="province",
            )
        )
        for step, (stage_name, decision, comment) in enumerate(decisions, start=1):
            reviewer, role = actors[stage_name]
            connection.execute(
                insert(DECISIONS).values(
                    ticket_id=number,
                    stage=stage_name,
                    decision=decision,
                    comment=comment,
                    reviewer_id=reviewer,
                    ticket_version=step,
                    decided_at=at(3 + number, 2 + step),
                )
            )
            connection.execute(
                insert(EVENTS).values(
                    ticket_id=number,
                    actor_id=reviewer,
                    actor_role=role,
                    at=at(3 + number, 2 + step),
                    action=decision,
                    from_status="pending",
                    from_stage=stage_name,
                    comment=comment,
                )
            )
        if status == "completed":
            connection.execute(
                insert(EVENTS).values(
                    ticket_id=number, actor_role="system", at=at(20), action="complete", from_status="approved", to_status="completed"
                )
            )
            connection.execute(
                insert(LINKS).values(
                    center_id=ids["郑州"],
                    service_id=service_id,
                    url=f"https://gjj.zhengzhou.gov.cn/v2/{code}",
                    effective_date=cutover,
                    ticket_id=number,
                    updated_at=at(20),
                )
            )
            connection.execute(
                insert(REVISIONS).values(
                    center_id=ids["郑州"],
                    service_id=service_id,
                    url=f"https://gjj.zhengzhou.gov.cn/v2/{code}",
                    effective_date=cutover,
                    ticket_id=number,
                    note="切换完成",
                    recorded_at=at(20),
                )
            )
    name, data = LETTER
    connection.execute(
        insert(ATTACHMENTS).values(
            ticket_id=1,
            filename=name,
            content_type="application/pdf",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
            uploaded_by_id=1,
            uploaded_at=at(3),
            reviewed=False,
        )
    )
    connection.execute(insert(COUNTER).values(year=2026, last=len(HISTORY)))
    return {"ticket": 1}


def test_a_desk_from_0010_upgrades_and_serves_every_page(empty_database_url):
    app = create_app(app_config(empty_database_url))
    app.test_client_class = RequestClient
    with app.app_context():
        upgrade(revision=OLD_REVISION)
        seed_registry()  # the registry as `seed` loaded it then (its tables are unchanged since)
        write_old_desk(db.session.connection())
        db.session.commit()
        db.session.remove()

        upgraded = app.test_cli_runner().invoke(args=["init-db"])
        assert upgraded.exit_code == 0, upgraded.output
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()

        pages = ["/", "/tickets/", "/tickets/1", "/tickets/4", "/calendar/", "/links/", "/inbox/"]
        for username, extra in (("clerk", []), ("henan", ["/review/", "/overview/"]), ("ministry", ["/review/", "/overview/"])):
            client = app.test_client()
            assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
            for path in pages + extra:
                answer = client.get(path)
                assert answer.status_code == 200, (username, path, answer.status_code)
        from linkdesk.accounts.tokens import create_token
        from linkdesk.models import User

        ministry = db.session.scalar(select(User).where(User.username == "ministry"))
        listed = Api(app.test_client(), create_token(ministry)).get("/tickets").get_json()
        assert sorted(item["number"] for item in listed) == [f"LD-2026-{n:06d}" for n in range(1, len(HISTORY) + 1)], listed
        detail = Api(app.test_client(), create_token(ministry)).get("/tickets/1").get_json()
        assert [attachment["filename"] for attachment in detail["attachments"]] == [LETTER[0]]
        db.session.remove()
        db.engine.dispose()
