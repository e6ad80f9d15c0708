"""The link registry's live addresses, as the API lists them, with their last health check."""

from pydantic import Field

from .. import models
from . import Day, Shape, Timestamp
from .registry import Center, center_of


class Health(Shape):
    """最近一次检测的结果"""

    healthy: bool
    problem: str | None
    problem_label: str | None
    status: int | None
    checked_at: Timestamp
    unhealthy_since: Timestamp | None


class Link(Shape):
    """链接台账中的现行地址。"""

    center: Center
    center_code: str = Field(description="同 center.code（与 CSV 导出列一致）")
    center_name: str = Field(description="同 center.name（与 CSV 导出列一致）")
    service_code: str
    url: str
    effective_date: Day
    health: Health | None


class LinkList(Shape):
    """范围内的现行地址。"""

    links: list[Link]


def _health(link: models.LinkRecord) -> Health | None:
    check = link.last_check
    if check is None:
        return None
    return Health(
        healthy=check.healthy,
        problem=check.problem,
        problem_label=check.problem_label,
        status=check.status,
        checked_at=check.checked_at,
        unhealthy_since=link.unhealthy_since,
    )


def link_of(link: models.LinkRecord) -> Link:
    """A live address in the operators' export form (``links.registry.EXPORT_COLUMNS``), with its center and health."""
    return Link(
        center=center_of(link.center),
        center_code=link.center.code,
        center_name=link.center.name,
        service_code=link.service.code,
        url=link.url,
        effective_date=link.effective_date,
        health=_health(link),
    )
