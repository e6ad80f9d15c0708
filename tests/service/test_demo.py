"""What `make run` shows a newcomer: the demo's emergency change is completed by the worker on
its day without any other command, and the clerk's link card says 尚未检测 until a check ran."""

from sqlalchemy import select

from linkdesk.extensions import db
from linkdesk.models import Center, LinkCheck, LinkRecord, Service, Ticket, TicketStatus
from linkdesk.seed import seed_demo, seed_demo_cutover, seed_demo_tickets
from linkdesk.service.jobs import job_named
from linkdesk.service.worker import Worker

from ..helpers import frozen


def demo_cutover() -> Ticket:
    return db.session.scalar(select(Ticket).where(Ticket.emergency.is_(True)))


def retirement_link() -> LinkRecord:
    return db.session.scalar(
        select(LinkRecord).join(Center).join(Service).where(Center.short_name == "北京", Service.code == "retirement_withdrawal")
    )


def test_the_worker_completes_the_demo_change_on_its_first_round(app, tmp_path):
    worker = Worker(app, jobs=[job_named("apply_cutovers")])
    with frozen():  # a Friday, a working day
        seed_demo(tmp_path / "logins.txt")
        assert seed_demo_tickets() == 3
        assert seed_demo_cutover() == 1 and seed_demo_cutover() == 0
        ticket = demo_cutover()
        assert ticket.status is TicketStatus.APPROVED and ticket.cutover_date.isoformat() == "2026-11-27"
        worker.round()
    db.session.expire_all()
    assert demo_cutover().status is TicketStatus.COMPLETED
    assert retirement_link().url == "https://gjj.beijing.gov.cn/web/zwfw/v2/retire.html"


def test_on_a_weekend_the_demo_change_waits_for_the_next_working_day(app, tmp_path):
    worker = Worker(app, jobs=[job_named("apply_cutovers")])
    with frozen("2026-11-28 10:00:00+08:00") as clock:  # a Saturday
        seed_demo(tmp_path / "logins.txt")
        seed_demo_tickets()
        seed_demo_cutover()
        assert demo_cutover().cutover_date.isoformat() == "2026-11-30"
        worker.round()
        assert demo_cutover().status is TicketStatus.APPROVED
        clock.move_to("2026-11-30 00:00:05+08:00")
        worker.round()
        db.session.expire_all()
        assert demo_cutover().status is TicketStatus.COMPLETED


def test_the_clerks_link_card_says_not_yet_checked_until_a_check_ran(app, client, auth, tmp_path):
    with frozen():
        logins = seed_demo(tmp_path / "logins.txt")
        seed_demo_tickets()
        auth.login("zhengzhou", logins["zhengzhou"])
        home = client.get("/").get_data(as_text=True)
        assert "尚未检测" in home and "均能正常跳转" not in home
        link = db.session.scalar(select(LinkRecord).join(Center).where(Center.short_name == "郑州"))
        check = LinkCheck(link_id=link.id, url=link.url, healthy=True, status=200, hops=[])
        db.session.add(check)
        db.session.flush()
        link.last_check_id = check.id
        db.session.commit()
        home = client.get("/").get_data(as_text=True)
    assert "尚未检测" not in home and "按最近一次检测，本中心链接均能正常跳转" in home
