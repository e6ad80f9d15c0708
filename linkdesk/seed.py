"""Loading the registry shipped in linkdesk/data/registry, and the demo accounts."""

import csv
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from .accounts.passwords import hash_password
from .accounts.users import create_user
from .extensions import db
from .models import Center, Province, ProvinceKind, Role, Service, User


@dataclass(frozen=True)
class SeedReport:
    created: int
    updated: int


def _rows(name: str) -> list[dict]:
    source = resources.files("linkdesk") / "data" / "registry" / name
    with source.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _upsert(model, key: str, rows: list[dict], build) -> SeedReport:
    """Insert missing rows, update changed ones; never duplicate (matched on the code)."""
    existing = {getattr(obj, key): obj for obj in db.session.scalars(select(model))}
    created = updated = 0
    for row in rows:
        values = build(row)
        obj = existing.get(values[key])
        if obj is None:
            db.session.add(model(**values))
            created += 1
            continue
        changed = {name: value for name, value in values.items() if getattr(obj, name) != value}
        for name, value in changed.items():
            setattr(obj, name, value)
        updated += bool(changed)
    db.session.flush()
    return SeedReport(created, updated)


def seed_registry() -> dict[str, SeedReport]:
    """Load provinces, centers and services idempotently. Commits."""
    report = {
        "provinces": _upsert(
            Province,
            "code",
            _rows("provinces.csv"),
            lambda row: {
                "code": row["code"],
                "name": row["name"],
                "short_name": row["short_name"],
                "kind": ProvinceKind(row["kind"]),
            },
        )
    }
    provinces = {p.code: p.id for p in db.session.scalars(select(Province))}
    report["centers"] = _upsert(
        Center,
        "code",
        _rows("centers.csv"),
        lambda row: {
            "code": row["code"],
            "name": row["name"],
            "short_name": row["short_name"],
            "province_id": provinces[row["province_code"]],
        },
    )
    report["services"] = _upsert(
        Service,
        "code",
        [dict(row, position=index) for index, row in enumerate(_rows("services.csv"), start=1)],
        lambda row: {"code": row["code"], "name": row["name"], "position": row["position"]},
    )
    db.session.commit()
    return report


# One demo user per role (issue 2): who they are and what they see.
DEMO_USERS = (
    ("zhengzhou", "郑州中心 张经办", Role.CENTER_STAFF, {"center": "郑州"}),
    ("beijing", "北京中心 李经办", Role.CENTER_STAFF, {"center": "北京"}),
    ("henan", "河南省住建厅 王审核", Role.PROVINCE_REVIEWER, {"province": "河南"}),
    ("ministry", "部监管司 赵审核", Role.MINISTRY_REVIEWER, {}),
    ("admin", "系统管理员", Role.ADMIN, {}),
)


def seed_demo(logins_file: Path | None = None) -> dict[str, str]:
    """Add the demo users that do not exist yet, with random passwords; returns {username: password}.

    Passwords are random per installation (never in the repository) and, when a file is
    given, appended to it so that `make run` can show them. When that file is gone (deleted,
    or a database kept from an earlier checkout), the demo users that exist get new random
    passwords as well, so that what `make run` shows always logs in.
    """
    renew = logins_file is not None and not logins_file.exists()
    created = {}
    for username, display_name, role, scope in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None and not renew:
            continue
        password = secrets.token_urlsafe(9)
        if user is None:
            create_user(username, password, role, display_name=display_name, **scope)
        else:
            user.password_hash = hash_password(password)
            db.session.commit()
        created[username] = password
    if logins_file is not None and created:
        with logins_file.open("a", encoding="utf-8") as handle:
            for username, password in created.items():
                handle.write(f"{username}\t{password}\n")
        logins_file.chmod(0o600)
    return created


# Live addresses and a few tickets, so that a person trying the demo sees every page at work.
DEMO_LINKS = (
    ("郑州", "info_query", "https://gjj.zhengzhou.gov.cn/wsbsdt/info_query.html"),
    ("郑州", "deposit_certificate", "http://gjj.zhengzhou.gov.cn/wsbsdt/certificate.html"),
    ("郑州", "transfer", "https://gjj.zhengzhou.gov.cn/wsbsdt/transfer.html"),
    ("北京", "info_query", "https://gjj.beijing.gov.cn/web/zwfw/info.html"),
    ("北京", "retirement_withdrawal", "https://gjj.beijing.gov.cn/web/zwfw/retire.html"),
)


def seed_demo_tickets() -> int:
    """Demo registry entries and tickets in three states; nothing when tickets already exist."""
    from .links.registry import set_live_address
    from .models import Service, Ticket
    from .models.types import utcnow
    from .tickets.filing import ChangeRequest
    from .tickets.operations import decide, file_ticket
    from .workdays.calendar import local_date
    from .workdays.schedules import current_calendar

    if db.session.scalar(select(Ticket.id).limit(1)) is not None:
        return 0
    users = {user.username: user for user in db.session.scalars(select(User))}
    if not {"zhengzhou", "beijing", "henan", "ministry"} <= users.keys():
        return 0
    for center_name, service_code, url in DEMO_LINKS:
        center = db.session.scalar(select(Center).where(Center.short_name == center_name))
        service = db.session.scalar(select(Service).where(Service.code == service_code))
        # As a first load of the registry does it: the live address and its first history entry.
        set_live_address(center.id, service.id, url, date(2025, 3, 1), note="台账导入（演示数据）")
    db.session.commit()
    calendar = current_calendar()
    earliest = calendar.earliest_cutover(local_date(utcnow())).earliest_cutover
    later = calendar.add_working_days(earliest, 3)

    def request(service, url, cutover, **extra):
        return ChangeRequest.from_mapping(
            {
                "service": service,
                "new_url": url,
                "cutover_date": cutover.isoformat(),
                "reason": "业务系统迁移至政务云平台，访问地址调整",
                "contact_name": "张经办",
                "contact_phone": "0371-12345678",
                **extra,
            }
        )

    file_ticket(users["zhengzhou"], request("info_query", "https://gjj.zhengzhou.gov.cn/wsbsdt/v2/info_query.html", earliest))
    pending = file_ticket(
        users["zhengzhou"],
        request(
            "deposit_certificate",
            "http://zwfw.zhengzhou.gov.cn/gjj/certificate.html",
            later,
            http_justification="政务云 https 证书正在办理，预计下月启用",
            icp_number="豫ICP备10000001号-1",
        ),
    )  # a made-up number: the host changes, so one is required
    decide(users["henan"], pending, "approve", "地址已核实", pending.version)
    approved = file_ticket(
        users["beijing"],
        request(
            "info_query", "https://gjj.beijing.gov.cn/web/zwfw/v2/info.html", earliest, contact_name="李经办", contact_phone="010-12345678"
        ),
    )
    decide(users["ministry"], approved, "approve", None, approved.version)
    return 3


# A minimal PDF standing in for the stamped letter (盖章公函) an emergency change needs.
DEMO_LETTER = b"%PDF-1.4\n% linkdesk demo: emergency change letter\n%%EOF\n"


def seed_demo_cutover() -> int:
    """An approved emergency change due today (or on the next working day), so that the demo's
    worker completes a cutover on its first round; nothing when that link has a ticket already."""
    from .models import Ticket
    from .models.types import utcnow
    from .tickets.evidence import Upload
    from .tickets.filing import ChangeRequest
    from .tickets.operations import decide, file_ticket
    from .workdays.calendar import local_date
    from .workdays.schedules import current_calendar

    users = {user.username: user for user in db.session.scalars(select(User))}
    service = db.session.scalar(select(Service).where(Service.code == "retirement_withdrawal"))
    if not {"beijing", "ministry"} <= users.keys() or service is None:
        return 0
    if (
        db.session.scalar(select(Ticket.id).where(Ticket.center_id == users["beijing"].center_id, Ticket.service_id == service.id).limit(1))
        is not None
    ):
        return 0
    calendar = current_calendar()
    day = local_date(utcnow())
    while not calendar.is_working_day(day):  # a cutover falls on a working day
        day += timedelta(days=1)
    request = ChangeRequest.from_mapping(
        {
            "service": "retirement_withdrawal",
            "new_url": "https://gjj.beijing.gov.cn/web/zwfw/v2/retire.html",
            "cutover_date": day.isoformat(),
            "reason": "原退休提取页面存在安全漏洞，须立即切换到修复后的新页面",
            "contact_name": "李经办",
            "contact_phone": "010-12345678",
            "emergency": True,
            "emergency_reason": "安全漏洞须当日修复，已报部监管司同意（演示数据）",
        }
    )
    ticket = file_ticket(users["beijing"], request, [Upload("紧急变更申请公函.pdf", DEMO_LETTER)])
    decide(users["ministry"], ticket, "approve", "同意紧急变更（演示）", ticket.version)
    return 1


# The demo's e-mail channels: `make run` points the worker's SMTP at a local debugging server that
# prints each message, so that a newcomer sees the desk's notifications leave without any mail setup.
DEMO_CHANNELS = (("ministry", "ministry@linkdesk.demo"), ("center:郑州", "zhengzhou@linkdesk.demo"))


def seed_demo_channels() -> int:
    """E-mail channels for the ministry and 郑州 (only when no channel exists yet); how many were added."""
    from .models import NotificationChannel
    from .notify.events import add_channel

    if db.session.scalar(select(NotificationChannel.id).limit(1)) is not None:
        return 0
    for scope, address in DEMO_CHANNELS:
        add_channel("email", address, scope)
    return len(DEMO_CHANNELS)
