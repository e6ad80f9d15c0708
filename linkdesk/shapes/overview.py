"""The national picture (总览) as the API gives it; the provinces' rows and trends are
``overview.picture``'s own mappings, described here and kept as they are."""

from typing import Any

from pydantic import Field

from . import Day, Shape


class OpenColumn(Shape):
    """总览表中一列未完成工单。"""

    code: str
    label: str


class Overview(Shape):
    """总览：调用者范围内各省的情况与趋势。"""

    today: Day
    from_: Day = Field(alias="from")
    to: Day
    upcoming_until: Day
    review_cutoff: Day
    open_columns: list[OpenColumn]
    provinces: list[dict[str, Any]] = Field(description="按附件1顺序的各省数据：centers、links、coverage、failing_centers 等")
    totals: dict[str, Any]
    trends: dict[str, Any] = Field(
        description="weeks、review_hours（median_hours 按用时分档统计，误差不超过一档约 4.4%）、minimum_lead、http"
    )


def overview_json(picture: dict) -> dict:
    """``overview.picture.national_picture``'s answer, checked against its declaration."""
    return Overview.model_validate(picture).as_json()
