"""Loading the registry and demo data."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from linkdesk.accounts.passwords import verify_password
from linkdesk.extensions import db
from linkdesk.models import Center, Province, Service, User
from linkdesk.seed import seed_demo, seed_registry


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Province, Center, Service))


def test_the_registry_is_loaded(app):
    provinces, centers, services = _counts()
    assert provinces == 32
    assert centers >= 300
    assert services == 9


def test_seed_twice_duplicates_nothing(app):
    before = _counts()
    report = seed_registry()
    assert _counts() == before
    assert all(part.created == 0 and part.updated == 0 for part in report.values())


def test_seed_command_is_idempotent(runner):
    first = runner.invoke(args=["seed"])
    second = runner.invoke(args=["seed"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "centers: 0 created, 0 updated" in second.output


def test_seed_repairs_a_changed_name(app):
    center = db.session.scalar(select(Center).where(Center.short_name == "郑州"))
    center.name = "wrong"
    db.session.commit()
    report = seed_registry()
    assert report["centers"].updated == 1
    assert center.name == "郑州住房公积金管理中心"


def test_demo_users_one_per_role_with_random_passwords(app, tmp_path):
    logins = tmp_path / "demo_logins.txt"
    created = seed_demo(logins)
    assert set(created) == {"zhengzhou", "beijing", "henan", "ministry", "admin"}
    assert len(set(created.values())) == 5
    assert seed_demo(logins) == {}
    assert logins.read_text().count("\n") == 5
    clerk = db.session.scalar(select(User).where(User.username == "zhengzhou"))
    assert clerk.center.short_name == "郑州"


def test_a_lost_logins_file_is_written_again_with_passwords_that_work(app, tmp_path):
    logins = tmp_path / "demo_logins.txt"
    first = seed_demo(logins)
    logins.unlink()  # deleted, or a database kept from another checkout
    renewed = seed_demo(logins)
    assert set(renewed) == set(first) and renewed["ministry"] != first["ministry"]
    written = dict(line.split("\t") for line in logins.read_text().splitlines())
    ministry = db.session.scalar(select(User).where(User.username == "ministry"))
    assert verify_password(ministry.password_hash, written["ministry"])
    assert not verify_password(ministry.password_hash, first["ministry"])


def test_seeding_another_database_leaves_the_instance_logins_file_alone(runner, app):
    logins = Path(app.instance_path) / "demo_logins.txt"
    before = logins.read_bytes() if logins.exists() else None
    result = runner.invoke(args=["seed", "--demo"])  # the test database is not the instance's
    assert result.exit_code == 0 and "demo user ministry  password " in result.output
    assert (logins.read_bytes() if logins.exists() else None) == before


def test_demo_tickets_show_every_stage_once(app):
    from linkdesk.models import LinkRecord, Ticket, TicketStatus
    from linkdesk.seed import seed_demo, seed_demo_tickets
    from tests.helpers import frozen

    with frozen():
        seed_demo()
        assert seed_demo_tickets() == 3
        assert seed_demo_tickets() == 0  # a second seed adds nothing
    tickets = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
    assert [(t.center.short_name, t.status, t.stage and t.stage.value) for t in tickets] == [
        ("郑州", TicketStatus.PENDING, "province"),
        ("郑州", TicketStatus.PENDING, "ministry"),
        ("北京", TicketStatus.APPROVED, None),
    ]
    assert "http" in {w["code"] for w in tickets[1].warnings}
    assert db.session.scalar(select(func.count()).select_from(LinkRecord)) == 5


# The demo must work in whatever year someone runs `make run`: Spring Festival and year-end
# evenings, an official year and provisional ones (UTC 16:30 is already the next day in Beijing).
@pytest.mark.parametrize(
    "moment",
    [
        "2026-09-30 18:00:00+08:00",  # the evening before National Day, official year
        "2027-02-05 10:00:00+08:00",  # the Friday before the Spring Festival of 2027, provisional year
        "2028-12-29 16:30:00+00:00",  # 2028-12-30 00:30 in Beijing, a Saturday at the year end
        "2031-12-31 09:00:00+08:00",  # New Year's Eve of a provisional year
    ],
)
def test_demo_tickets_and_the_default_month_follow_the_clock_in_any_year(app, client, auth, tmp_path, moment):
    from linkdesk.models import Ticket, TicketStatus
    from linkdesk.models.types import utcnow
    from linkdesk.seed import seed_demo_tickets
    from linkdesk.workdays.calendar import local_date
    from linkdesk.workdays.schedules import current_calendar
    from tests.helpers import frozen

    with frozen(moment):
        logins = seed_demo(tmp_path / "demo_logins.txt")
        assert seed_demo_tickets() == 3
        today = local_date(utcnow())
        calendar = current_calendar()
        earliest = calendar.earliest_cutover(today).earliest_cutover
        tickets = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
        assert [t.status for t in tickets] == [TicketStatus.PENDING, TicketStatus.PENDING, TicketStatus.APPROVED]
        assert all(t.submitted_on == today and t.earliest_cutover == earliest for t in tickets)
        assert min(t.cutover_date for t in tickets) == earliest > today
        assert all(calendar.is_working_day(t.cutover_date) for t in tickets)
        auth.login("ministry", logins["ministry"])
        page = client.get("/calendar/").get_data(as_text=True)
    assert f"切换日历 · {today.year} 年 {today.month} 月" in page
    assert ("推算" in page) is calendar.is_provisional(today)


def test_the_demo_gets_e_mail_channels_once(app, runner):
    """`make run` prints what the worker sends to them (a local SMTP debugging server)."""
    from linkdesk.models import ChannelKind, ChannelScope, NotificationChannel

    first = runner.invoke(args=["seed", "--demo"])
    assert first.exit_code == 0, first.output
    assert "demo e-mail channels: 2 created" in first.output
    channels = db.session.scalars(select(NotificationChannel).order_by(NotificationChannel.id)).all()
    assert [(c.kind, c.scope, c.target) for c in channels] == [
        (ChannelKind.EMAIL, ChannelScope.MINISTRY, "ministry@linkdesk.demo"),
        (ChannelKind.EMAIL, ChannelScope.CENTER, "zhengzhou@linkdesk.demo"),
    ]
    assert "demo e-mail channels: 0 created" in runner.invoke(args=["seed", "--demo"]).output
