"""Constraints the database itself enforces."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from linkdesk.extensions import db
from linkdesk.models import (
    AuditEvent,
    Center,
    Role,
    Service,
    Ticket,
    TicketStatus,
    User,
)


def _ticket(center, service, author, number, status=TicketStatus.PENDING, stage="province"):
    return Ticket(
        number=number,
        center=center,
        service=service,
        new_url="https://gjj.zhengzhou.gov.cn/new",
        cutover_date=date(2026, 12, 11),
        submitted_at=datetime(2026, 11, 27, 2, tzinfo=UTC),
        submitted_on=date(2026, 11, 27),
        earliest_cutover=date(2026, 12, 11),
        reason="升级",
        contact_name="张三",
        contact_phone="0371-12345678",
        warnings=[],
        status=status,
        stage=stage if status is TicketStatus.PENDING else None,
        created_by=author,
    )


@pytest.fixture
def link(make):
    center = db.session.scalar(select(Center).where(Center.short_name == "郑州"))
    service = db.session.scalar(select(Service).where(Service.code == "info_query"))
    return center, service, make.user(Role.CENTER_STAFF).user


def test_one_open_ticket_per_link_is_enforced_by_the_database(link):
    center, service, author = link
    db.session.add(_ticket(center, service, author, "LD-2026-000001"))
    db.session.commit()
    db.session.add(_ticket(center, service, author, "LD-2026-000002", TicketStatus.RETURNED))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_closed_tickets_do_not_block_a_new_one(link):
    center, service, author = link
    for number, status in (
        ("LD-2026-000001", TicketStatus.COMPLETED),
        ("LD-2026-000002", TicketStatus.REJECTED),
        ("LD-2026-000003", TicketStatus.WITHDRAWN),
        ("LD-2026-000004", TicketStatus.CANCELLED),
    ):
        db.session.add(_ticket(center, service, author, number, status))
    db.session.add(_ticket(center, service, author, "LD-2026-000005"))
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(Ticket)) == 5


def test_stage_only_while_pending(link):
    center, service, author = link
    ticket = _ticket(center, service, author, "LD-2026-000001", TicketStatus.APPROVED)
    ticket.stage = "ministry"
    db.session.add(ticket)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_unknown_status_is_refused_by_a_check_constraint(link):
    center, service, author = link
    db.session.add(_ticket(center, service, author, "LD-2026-000001"))
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE ticket SET status = 'lost'"))
    db.session.rollback()


def test_ticket_numbers_are_unique(make):
    center = db.session.scalar(select(Center).where(Center.short_name == "郑州"))
    services = db.session.scalars(select(Service).limit(2)).all()
    author = make.user().user
    db.session.add(_ticket(center, services[0], author, "LD-2026-000001"))
    db.session.add(_ticket(center, services[1], author, "LD-2026-000001"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_foreign_keys_are_enforced(link):
    _, service, _ = link
    with pytest.raises(IntegrityError):
        # SQLite checks at the statement, PostgreSQL too (the constraint is not deferred).
        db.session.execute(
            text(
                "INSERT INTO link_record (center_id, service_id, url, effective_date, updated_at) "
                "VALUES (999999, :service, 'https://x.gov.cn/', '2026-01-01', '2026-01-01 00:00:00')"
            ),
            {"service": service.id},
        )
        db.session.commit()
    db.session.rollback()


def test_user_scope_must_match_role(app):
    user = User(username="odd", display_name="odd", password_hash="x", role=Role.CENTER_STAFF)
    db.session.add(user)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_audit_events_cannot_be_changed_even_with_raw_sql(make):
    author = make.user().user
    db.session.add(AuditEvent(actor=author, actor_role="center_staff", action="submit", to_status="pending"))
    db.session.commit()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE audit_event SET comment = 'rewritten'"))
    db.session.rollback()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("DELETE FROM audit_event"))
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)) == 1


def test_audit_events_cannot_be_changed_through_the_orm(make):
    event = AuditEvent(actor=make.user().user, actor_role="center_staff", action="submit")
    db.session.add(event)
    db.session.commit()
    event.comment = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_timestamps_come_back_in_utc(make):
    user = make.user().user
    db.session.expire_all()
    assert db.session.get(User, user.id).created_at.tzinfo is not None


def test_the_migrations_build_exactly_the_models_schema(app):
    """Alembic's own comparison of the migrated database with the models finds nothing to add,
    drop or change: a model edited without its migration (or the reverse) fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from linkdesk.models.schema import comparison_filters

    with db.engine.connect() as connection:
        # As `flask db migrate` compares: without SQLite's FTS5 search tables, which no model declares.
        opts = {"compare_type": True, **comparison_filters(connection.dialect.name)}
        context = MigrationContext.configure(connection, opts=opts)
        differences = compare_metadata(context, db.metadata)
    assert differences == []
