"""What a webhook channel receives (``notify.webhooks`` sends it, signed)."""

from pydantic import Field

from . import Shape, Timestamp
from .registry import Center
from .tickets import TicketListItem


class LinkProblem(Shape):
    """link_unhealthy：出现问题的链接"""

    # Written by notify.events.notify_link, field by field as declared here.
    center: Center
    service: str
    url: str
    problem: str


class WebhookEvent(Shape):
    """Webhook 渠道收到的事件。"""

    id: str = Field(description="事件编号；重试时不变，接收方据此去重")
    type: str = Field(description="事件类型，如 approved、applied、cancelled")
    occurred_at: Timestamp
    sent_at: int = Field(description="本次发送的 Unix 秒（在签名之内，用于拒绝重放）")
    # One of the two, by the event's subject; absent (never null) otherwise.
    ticket: TicketListItem = Field(None, description="工单事件：工单（与列表中的形状相同）")
    link: LinkProblem = Field(None, description="link_unhealthy：出现问题的链接")
