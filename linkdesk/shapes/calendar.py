"""Dates as the API gives them: E(D), the filing form's picker days, the cutover calendar."""

from typing import Literal

from pydantic import Field

from . import Day, Shape
from .registry import Center

DayKind = Literal["workday", "weekend", "holiday", "makeup_workday"]


class Earliest(Shape):
    """D 日提交时的最早切换日期 E(D)。"""

    submitted: Day
    earliest_cutover: Day
    provisional: bool


class PickerDay(Shape):
    """日期选择器中的一天：官方日历与全国当天的负荷（只有数量，不含其他中心的名称）。"""

    date: Day
    kind: DayKind
    holiday: str | None
    working: bool
    provisional: bool
    count: int = Field(description="当天全国已安排的切换数")
    full: bool
    blackout: str | None = Field(description="封网原因")


class PickerDays(Shape):
    """日期选择器的日历：今天、E(today)、最晚可选日期与每一天。"""

    today: Day
    earliest_cutover: Day
    provisional: bool
    latest_cutover: Day
    days: list[PickerDay]


class Cutover(Shape):
    """切换日历中的一项。"""

    ticket_id: int
    number: str
    cutover_date: Day
    status: Literal["approved", "completed", "pending"]
    emergency: bool
    center: Center
    service: str
    old_url: str | None
    new_url: str


class CutoverPage(Shape):
    """范围内已批准与已完成的切换，按日期、工单 id 排列。"""

    from_: Day = Field(alias="from")
    to: Day
    next_cursor: str | None = Field(description="下一页的 cursor；null 表示已是最后一页")
    cutovers: list[Cutover]


def earliest_json(answer) -> dict:
    """E(D) as the calendar answered it (``workdays.calendar.Earliest``)."""
    return Earliest(submitted=answer.submitted, earliest_cutover=answer.earliest_cutover, provisional=answer.provisional).as_json()


def cutover_of(entry) -> Cutover:
    """A calendar entry (``cutovers.schedule.Cutover``, flattened from its ticket)."""
    return Cutover(
        ticket_id=entry.ticket_id,
        number=entry.number,
        cutover_date=entry.cutover_date,
        status=entry.status.value,
        emergency=entry.emergency,
        center=Center(
            code=entry.center_code, name=entry.center_full_name, short_name=entry.center_name, province=entry.province_short_name
        ),
        service=entry.service_code,
        old_url=entry.old_url,
        new_url=entry.new_url,
    )
