"""Loading the registry shipped in linkdesk/data/registry, and the demo accounts."""
import csv
import secrets
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from .accounts import create_user
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
    given, appended to it so that `make run` can show them.
    """
    created = {}
    for username, display_name, role, scope in DEMO_USERS:
        if db.session.scalar(select(User.id).where(User.username == username)):
            continue
        password = secrets.token_urlsafe(9)
        create_user(username, password, role, display_name=display_name, **scope)
        created[username] = password
    if logins_file is not None and created:
        with logins_file.open("a", encoding="utf-8") as handle:
            for username, password in created.items():
                handle.write(f"{username}\t{password}\n")
        logins_file.chmod(0o600)
    return created
