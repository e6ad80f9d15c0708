"""The link registry (链接台账): the live address of each center's services, its history,
the export the mini-program's operators load, and the admin's first load from CSV."""

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from ..accounts.access import center_clause
from ..extensions import db
from ..models import Center, LinkRecord, LinkRevision, Province, Service, User
from .address_policy import check_address

IMPORT_COLUMNS = ("center_code", "service_code", "url", "effective_date")
EXPORT_COLUMNS = ("center_code", "center_name", "service_code", "url", "effective_date")
MAX_IMPORT_ROWS = 20000


class RegistryImportError(ValueError):
    """A registry file refused as a whole; ``problems`` names every bad row (Chinese)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("；".join(problems[:5]))


@dataclass(frozen=True)
class RegistryRow:
    center: Center
    service: Service
    url: str
    effective_date: date


def scoped_links(user: User) -> Select:
    """Live links the user may see, with center, province, service and the latest health check
    loaded in the same query."""
    return (
        select(LinkRecord)
        .join(LinkRecord.center)
        .join(Center.province)
        .join(LinkRecord.service)
        .outerjoin(LinkRecord.last_check)
        .options(
            contains_eager(LinkRecord.center).contains_eager(Center.province),
            contains_eager(LinkRecord.service),
            contains_eager(LinkRecord.last_check),
        )
        .where(center_clause(user))
        .order_by(Province.code, Center.code, Service.position, Service.code)
    )


def link_filters(args) -> dict:
    """The province and center (code, short or full name) and service code asked for in query arguments."""
    return {name: args.get(name, "")[:128] for name in ("province", "center", "service")}


def filtered(query: Select, *, province: str = "", center: str = "", service: str = "") -> Select:
    if province:
        query = query.where(Province.named(province))
    if center:
        query = query.where(Center.named(center))
    if service:
        query = query.where(Service.code == service)
    return query


def history(center_id: int, service_id: int) -> list[LinkRevision]:
    """Every address a link has had, newest first."""
    return list(
        db.session.scalars(
            select(LinkRevision)
            .where(LinkRevision.center_id == center_id, LinkRevision.service_id == service_id)
            .order_by(LinkRevision.effective_date.desc(), LinkRevision.id.desc())
        )
    )


def export_rows(links: list[LinkRecord]) -> list[dict]:
    """The operators' form: center code and name, service code, URL, effective date."""
    return [
        {
            "center_code": link.center.code,
            "center_name": link.center.name,
            "service_code": link.service.code,
            "url": link.url,
            "effective_date": link.effective_date.isoformat(),
        }
        for link in links
    ]


def export_csv(links: list[LinkRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(export_rows(links))
    return "\ufeff" + buffer.getvalue()  # a BOM so that Excel opens the Chinese names correctly


# --- the first load ------------------------------------------------------------------------


def parse_registry_csv(text: str) -> list[RegistryRow]:
    """Read and check a registry CSV; any bad row refuses the whole file, every bad row named."""
    try:
        return _parse_registry_csv(text)
    except csv.Error as error:  # a field past the csv module's limit, a stray quote …
        raise RegistryImportError([f"CSV 格式错误：{error}。"]) from None


def _parse_registry_csv(text: str) -> list[RegistryRow]:
    # Line ends as written by any spreadsheet: CRLF (Windows), LF, and CR alone (old Excel for Mac).
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [column for column in IMPORT_COLUMNS if column not in header]
    if missing:
        raise RegistryImportError([f"表头缺少列：{', '.join(missing)}（应为 {','.join(IMPORT_COLUMNS)}）。"])
    centers = {center.code: center for center in db.session.scalars(select(Center))}
    services = {service.code: service for service in db.session.scalars(select(Service))}
    rows, problems, seen = [], [], {}
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_IMPORT_ROWS:
            problems.append(f"文件超过 {MAX_IMPORT_ROWS} 行。")
            break
        values = {key.strip(): (value or "").strip() for key, value in raw.items() if key}
        row_problems = []
        center = centers.get(values.get("center_code", ""))
        service = services.get(values.get("service_code", ""))
        if center is None:
            row_problems.append(f"没有中心代码“{values.get('center_code', '')}”")
        if service is None:
            row_problems.append(f"没有业务事项代码“{values.get('service_code', '')}”")
        check = check_address(values.get("url", ""), http_justification="（导入的现行地址）")
        if not check.ok:
            row_problems.append("地址无效：" + "".join(m for ms in check.errors.values() for m in ms))
        try:
            effective = date.fromisoformat(values.get("effective_date", ""))
        except ValueError:
            effective = None
            row_problems.append(f"生效日期“{values.get('effective_date', '')}”不是 YYYY-MM-DD")
        key = (values.get("center_code"), values.get("service_code"))
        if key in seen:
            row_problems.append(f"与第 {seen[key]} 行重复（同一中心同一事项）")
        seen.setdefault(key, number)
        if row_problems:
            problems.append(f"第 {number} 行：" + "；".join(row_problems) + "。")
        else:
            rows.append(RegistryRow(center, service, check.url, effective))
    if problems:
        raise RegistryImportError(problems)
    if not rows:
        raise RegistryImportError(["文件中没有数据行。"])
    return rows


def load_registry(rows: list[RegistryRow], user: User | None = None) -> tuple[int, int]:
    """Write the rows as the live addresses, in one transaction; returns (added, changed).

    A row equal to the live address changes nothing, so loading the same file twice is harmless.
    """
    existing = {(link.center_id, link.service_id): link for link in db.session.scalars(select(LinkRecord))}
    added = changed = 0
    note = f"台账导入（{user.username}）" if user else "台账导入"
    for row in rows:
        link = existing.get((row.center.id, row.service.id))
        if link is not None and (link.url, link.effective_date) == (row.url, row.effective_date):
            continue
        added, changed = added + (link is None), changed + (link is not None)
        set_live_address(row.center.id, row.service.id, row.url, row.effective_date, note=note, link=link)
    db.session.commit()
    return added, changed


_LOOK_UP = object()


def set_live_address(
    center_id: int,
    service_id: int,
    url: str,
    effective_date: date,
    *,
    note: str,
    ticket_id: int | None = None,
    link: LinkRecord | None = _LOOK_UP,
) -> LinkRecord:
    """Make ``url`` the live address of a center's service from ``effective_date`` and append the
    revision that says so (with the ticket that changed it, if one did): the one writer of the
    registry, in the caller's transaction. ``link`` is the current entry when the caller has read
    it already (None: there is none yet)."""
    if link is _LOOK_UP:
        link = db.session.scalar(select(LinkRecord).where(LinkRecord.center_id == center_id, LinkRecord.service_id == service_id))
    if link is None:
        link = LinkRecord(center_id=center_id, service_id=service_id)
        db.session.add(link)
    link.url, link.effective_date, link.ticket_id = url, effective_date, ticket_id
    db.session.add(
        LinkRevision(center_id=center_id, service_id=service_id, url=url, effective_date=effective_date, ticket_id=ticket_id, note=note)
    )
    return link
