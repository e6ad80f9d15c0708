"""Factories that make real rows through the same functions the app uses."""

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from linkdesk.accounts import tokens, users
from linkdesk.extensions import db
from linkdesk.models import OPEN_STATUSES, Center, ReviewStage, Role, Service, Ticket, TicketStatus, User
from linkdesk.tickets import figures

PASSWORD = "correct-horse-battery"
_numbers = itertools.count(1)


@dataclass
class Account:
    user: User
    password: str = PASSWORD

    @property
    def username(self) -> str:
        return self.user.username


class Factory:
    def user(self, role: Role | str = Role.CENTER_STAFF, *, center=None, province=None, username=None) -> Account:
        """A user; center staff default to 郑州, province reviewers to 河南."""
        role = Role(role)
        if role is Role.CENTER_STAFF and center is None:
            center = "郑州"
        if role is Role.PROVINCE_REVIEWER and province is None:
            province = "河南"
        username = username or f"{role.value}-{next(_numbers)}"
        user = users.create_user(username, PASSWORD, role, center=center, province=province)
        return Account(user)

    def token(self, account: Account) -> str:
        return tokens.create_token(account.user)

    def tickets(
        self,
        count: int,
        cutover_date: date,
        status: TicketStatus = TicketStatus.APPROVED,
        author: Account | None = None,
        *,
        stage: ReviewStage | None = None,
        center: str | None = None,
    ) -> list[int]:
        """Many tickets on one day, one per (center, service), written straight to the database, in
        any state: a pending one waits at ``stage`` (default the ministry's); ``center`` (a short
        name) keeps them to one center.

        For calendar tests that need volume, and the state machine's table; the operations
        themselves are tested through the API.
        """
        author = author or self.user()
        centers = db.session.scalars(
            select(Center).where(Center.short_name == center) if center else select(Center).order_by(Center.code)
        ).all()
        services = db.session.scalars(select(Service).order_by(Service.position)).all()
        taken = set(db.session.execute(select(Ticket.center_id, Ticket.service_id).where(Ticket.status.in_(OPEN_STATUSES))).all())
        links = [(c, s) for s in services for c in centers if (c.id, s.id) not in taken][:count]
        submitted = datetime(2026, 11, 2, 2, tzinfo=UTC)
        rows = [
            Ticket(
                number=f"LD-T-{next(_numbers):06d}",
                center=center,
                service=service,
                new_url=f"https://gjj{center.code}.gov.cn/{service.code}",
                cutover_date=cutover_date,
                submitted_at=submitted,
                submitted_on=submitted.date(),
                earliest_cutover=cutover_date,
                reason="批量测试数据",
                contact_name="测试",
                contact_phone="0371-12345678",
                status=status,
                stage=(stage or ReviewStage.MINISTRY) if status is TicketStatus.PENDING else None,
                created_by=author.user,
                warnings=[],
            )
            for center, service in links
        ]
        db.session.add_all(rows)
        db.session.flush()
        figures.count_new_tickets(rows)  # as filing counts them for the overview
        ids = [row.id for row in rows]
        db.session.commit()  # and no new transaction after it: SQLite's write lock stays free
        return ids


def ticket_request(service: str = "info_query", **overrides) -> dict:
    """A valid filing body; the cutover date must be given (it depends on the frozen 'now')."""
    body = {
        "service": service,
        "new_url": f"https://gjj.example.gov.cn/{service}/v2",
        "reason": "服务器迁移到政务云",
        "contact_name": "张经办",
        "contact_phone": "0371-12345678",
    }
    body.update(overrides)
    return body


# The smallest document the app accepts as a PDF: the letter an emergency change must carry.
LETTER = ("紧急变更申请公函.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
