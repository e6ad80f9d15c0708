"""How every error of the API looks: ``{"error", "status"}``, a 422's ``errors`` by field, a
409's ``open_ticket`` (``errors.error_response`` and the API's refusal handler write them)."""

from pydantic import Field

from . import Shape


class Error(Shape):
    """所有错误的统一形状：error（中文说明）与 status；422 另有 errors 按字段列出问题。"""

    error: str = Field(description="中文说明，可直接展示给用户")
    status: int = Field(description="HTTP 状态码")
    errors: dict[str, list[str]] = Field(None, description="按字段的中文说明（422 一定有；409、400 可能有）")


class ValidationError(Error):
    """422：提交的内容有误，errors 按字段列出中文说明。"""

    errors: dict[str, list[str]] = Field(description="按字段的中文说明（422 一定有；409、400 可能有）")


class OpenTicket(Shape):
    """该链接已有的未完成工单（新建工单时 409）"""

    id: int
    number: str
    url: str


class Conflict(Error):
    """409：工单已被他人修改（version 过期），或该链接已有未完成工单（带 open_ticket）。"""

    open_ticket: OpenTicket = Field(None)


def refusal_json(errors: dict[str, list[str]], message: str, status: int, open_ticket: OpenTicket | None = None) -> dict:
    """A refusal's answer: ``open_ticket`` only when there is one (never null)."""
    answer = Conflict(error=message, status=status, errors=errors)
    if open_ticket is not None:
        answer.open_ticket = open_ticket
    return answer.model_dump(mode="json", exclude_unset=True)
