"""What the API reads, declared once (pydantic v2): JSON bodies and query arguments.

``read_json(Model)`` and ``read_query(Model)`` validate the request against a model and answer a
refusal the way the API always has: a 422 whose ``errors`` name each field in Chinese (a wrong JSON
type: "reason 应为字符串。"). The OpenAPI document (``api.openapi``) takes its request bodies and
query parameters from the same models.

A JSON ``null`` is an absent field, as it always was. Fields whose rule lives in a feature (the
filing rules judge a ticket's fields, ``TicketFilters`` a list's filters, ``parse_range`` a
period) are typed here and judged there, with the feature's messages; what only the API reads
(page sizes, cursors, ``version`` on an upload) is judged here.
"""

from datetime import date
from typing import Annotated, Any, TypeVar

from flask import request
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    WithJsonSchema,
)
from pydantic import ValidationError as Invalid
from pydantic_core import PydanticCustomError

from ..cutovers.schedule import MAX_PAGE_SIZE, PAGE_SIZE, RangeError, parse_cursor
from ..models import ReviewStage, TicketStatus
from ..tickets.listing import DUE_FILTERS, SORT_LABELS, WARNING_FILTERS
from ..tickets.workflow import WorkflowError
from ..web.query_args import MAX_PAGE, MAX_SEARCH_LENGTH, ascii_int, int_arg
from ..workdays.calendar import parse_date

# How a wrong JSON type is named in its refusal ("emergency 应为布尔值 true/false。").
TYPE_NAMES = {"string_type": "字符串", "bool_type": "布尔值 true/false", "int_type": "整数"}
NOT_AN_OBJECT = "请求体必须是 JSON 对象。"
M = TypeVar("M", bound=BaseModel)


def refuse(message: str) -> PydanticCustomError:
    """A refusal in the rule's own words (raised in a validator, answered as it is)."""
    return PydanticCustomError("refused", message)  # no context: braces in the message stay as written


def refusals(error: Invalid) -> dict[str, list[str]]:
    """pydantic's errors as the API's: Chinese messages by field, in the model's field order."""
    errors: dict[str, list[str]] = {}
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "body"
        if problem["type"] == "refused":
            message = problem["msg"]
        elif not problem["loc"]:
            message = NOT_AN_OBJECT
        elif problem["type"] in TYPE_NAMES:
            message = f"{name} 应为{TYPE_NAMES[problem['type']]}。"
        else:
            message = f"{name} 无效。"
        errors.setdefault(name, []).append(message)
    return errors


def validated(model: type[M], data: Any) -> M:
    """``data`` read by ``model``, or the WorkflowError (422) that names what is wrong."""
    try:
        return model.model_validate(data)
    except Invalid as error:
        raise WorkflowError(refusals(error)) from None


def read_json(model: type[M]) -> M:
    """The request's JSON body, read by ``model``; anything but a JSON object is refused."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise WorkflowError({"body": [NOT_AN_OBJECT]})
    return validated(model, data)


def read_query(model: type[M]) -> M:
    """The query string (the first value of each argument), read by ``model``."""
    return validated(model, request.args.to_dict())


# --- bodies --------------------------------------------------------------------------------


class Body(BaseModel):
    """A JSON body: each field of exactly its JSON type (true is not an integer, 5 is not text);
    null is the same as absent; unknown keys are left alone."""

    model_config = ConfigDict(strict=True, extra="ignore")


def documented_required(*names: str) -> ConfigDict:
    """Fields the rules require (and refuse in their own words when missing): required in the
    document, optional to the model so that the rule's message answers."""
    return ConfigDict(json_schema_extra={"required": list(names)})


Text = StrictStr | None
Flag = StrictBool | None
Whole = StrictInt | None
# Judged by its rule, with its own message: a date by the filing rules ("日期格式不正确…"), a
# comment by the workflow ("意见应为文字。").
DateText = Annotated[Any, WithJsonSchema({"type": "string", "format": "date"})]
FreeText = Annotated[Any, WithJsonSchema({"type": "string"})]
VERSION = "工单当前的 version"


class TicketFields(Body):
    """A ticket's fields as a center types them (``tickets.filing.FIELDS``)."""

    service: Text = Field(None, description="业务事项代码")
    new_url: Text = Field(None, description="新地址（http/https，公网主机）")
    cutover_date: DateText = Field(None, description="切换日期 YYYY-MM-DD")
    reason: Text = None
    contact_name: Text = None
    contact_phone: Text = None
    http_justification: Text = Field(None, description="使用 http 地址时必填的说明")
    icp_number: Text = Field(None, description="ICP 备案号，如 豫ICP备12345678号-1")
    emergency: Flag = None
    emergency_reason: Text = None


class NewTicket(TicketFields):
    """新建工单。"""

    model_config = documented_required("service", "new_url", "cutover_date", "reason", "contact_name", "contact_phone")

    center: Text = Field(None, description="可省略；只能是本中心（代码或简称）")


class TicketChanges(TicketFields):
    """要修改的字段（退回后修改或重新提交），以及 version。"""

    model_config = documented_required("version")

    version: Whole = Field(None, description=VERSION)


class VersionedComment(Body):
    """工单当前的 version 与意见。"""

    model_config = documented_required("version")

    version: Whole = Field(None, description=VERSION)
    comment: FreeText = None


DecisionName = Annotated[Text, WithJsonSchema({"type": "string", "enum": ["approve", "return", "reject"]})]


class Decision(Body):
    """审核决定。"""

    model_config = documented_required("decision", "version")

    decision: DecisionName = None
    comment: FreeText = Field(None, description="退回、驳回时必填")
    version: Whole = Field(None, description=VERSION)
    override: Flag = Field(None, description="部级审核：知悉每日上限或封网期仍批准")
    require_document: Flag = Field(None, description="退回并要求补充证明材料")


def _ticket_id(value: int | None) -> int:
    if value is None:
        raise refuse("缺少工单 id。")
    if not 0 < value < 2**31:
        raise refuse("没有该工单。")  # and no number the database cannot take
    return value


class DecisionItem(Body):
    """批量审核中的一项：与单个审核相同（不含 override、require_document），另加工单 id。"""

    model_config = documented_required("id", "decision", "version")

    id: Annotated[Whole, AfterValidator(_ticket_id)] = Field(None, validate_default=True, description="工单 id")
    version: Whole = Field(None, description=VERSION)
    decision: DecisionName = None
    comment: Text = Field(None, description="退回、驳回时必填")


MAX_DECISION_ITEMS = 100
BULK_SHAPE = '请求体应为 {"items": [{"id", "version", "decision", "comment"}]}，至少一项。'


def _bulk(items: Any) -> list:
    """The items list itself; each item is read on its own (one bad item never stops the others)."""
    if not isinstance(items, list) or not items:
        raise refuse(BULK_SHAPE)
    if len(items) > MAX_DECISION_ITEMS:
        raise refuse(f"一次最多 {MAX_DECISION_ITEMS} 项（现有 {len(items)} 项）。")
    return items


class BulkDecisions(Body):
    """批量审核：每项按自己的 version 处理。"""

    model_config = ConfigDict(strict=False, **documented_required("items"))

    items: Annotated[
        list[Any],
        BeforeValidator(_bulk),
        WithJsonSchema(
            {"type": "array", "minItems": 1, "maxItems": MAX_DECISION_ITEMS, "items": {"$ref": "#/components/schemas/DecisionItem"}}
        ),
    ] = Field(None, validate_default=True)


def _form_version(value: Any) -> int | None:
    """``version`` from a form field, a query argument or JSON; missing is refused by the workflow."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = ascii_int(value, max_digits=9) if isinstance(value, str) else None
    if number is None:
        raise refuse("工单版本号 version 应为整数。")
    return number


FormVersion = Annotated[
    int | None, BeforeValidator(_form_version), WithJsonSchema({"type": "integer", "minimum": 0, "description": VERSION})
]


class Upload(BaseModel):
    """上传附件（multipart/form-data）。"""

    model_config = documented_required("file", "version")

    file: list[bytes] = Field(
        None,
        json_schema_extra={"items": {"type": "string", "contentMediaType": "application/octet-stream"}},
        description="PDF、PNG 或 JPEG，每个不超过 10 MB，每个工单最多 5 个（按内容判断类型）",
    )
    version: FormVersion = None


class AttachmentVersion(BaseModel):
    """The ticket's version with a document added or removed: a form field, a JSON body's or the query string's."""

    version: FormVersion = Field(None, description="工单当前的 version（也可放在 JSON 请求体中）")


# --- query arguments -----------------------------------------------------------------------


class Query(BaseModel):
    """A query string: every value is text; unknown arguments are left alone."""

    model_config = ConfigDict(extra="ignore", validate_by_name=True, validate_by_alias=True)


def choice(values, description: str) -> Any:
    """A text argument that takes one of ``values`` (its rule refuses others in its own words)."""
    return Annotated[str, WithJsonSchema({"type": "string", "enum": list(values)}), Field(description=description)]


def clamped(low: int, high: int, default: int, description: str) -> Any:
    """A number pulled into [low, high]; not a number (ASCII digits), the default (lists never refuse a page)."""

    def clamp(value: Any) -> int:
        return int_arg({"value": str(value)}, "value", default, low=low, high=high)

    return Annotated[
        int, BeforeValidator(clamp), WithJsonSchema({"type": "integer", "minimum": low, "maximum": high}), Field(description=description)
    ]


def _search(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_SEARCH_LENGTH:
        raise refuse(f"搜索内容不能超过 {MAX_SEARCH_LENGTH} 个字符。")
    return text


DateArg = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
Province = Annotated[str, Field(description="省份代码或简称，如 41 或 河南")]
CenterArg = Annotated[str, Field(description="中心代码或简称，如 410100 或 郑州")]
ServiceArg = Annotated[str, Field(description="业务事项代码，如 info_query")]


class Period(Query):
    """[from, to]: judged by the feature's range rule (``parse_range``, ``parse_period``)."""

    from_: DateArg = Field("", alias="from", description="开始日期 YYYY-MM-DD")
    to: DateArg = Field("", description="结束日期 YYYY-MM-DD（含；一次最多 400 天）")


def _submitted(value: Any) -> date:
    submitted = parse_date(value if isinstance(value, str) else "")
    if submitted is None:
        raise refuse("submitted 必须是 YYYY-MM-DD 格式的有效日期。")
    return submitted


class EarliestQuery(Query):
    model_config = documented_required("submitted")

    submitted: Annotated[date, BeforeValidator(_submitted), WithJsonSchema({"type": "string", "format": "date"})] = Field(
        "", validate_default=True, description="提交日期 D，YYYY-MM-DD"
    )


class CenterSearch(Query):
    q: Annotated[str, AfterValidator(_search)] = Field(
        "", description=f"代码、简称、全称的一部分，或省份简称；空则全部（最多 {MAX_SEARCH_LENGTH} 个字符）"
    )


class TicketQuery(Period):
    """A ticket list's arguments: its filters are ``tickets.listing.TicketFilters``'s (shared
    with the pages, which judge them); the page is the API's."""

    q: str = Field(
        "",
        description=f"工单号、中心名称或代码、新旧地址或域名的一部分，不区分大小写（最多 {MAX_SEARCH_LENGTH} 个字符）；"
        "一两个字只查中心名称、代码和工单号开头，不查地址",
    )
    status: choice([s.value for s in TicketStatus], "状态") = ""
    stage: choice([s.value for s in ReviewStage], "审核阶段") = ""
    service: ServiceArg = ""
    center: CenterArg = ""
    province: Province = ""
    warning: choice(WARNING_FILTERS, "提示") = ""
    due: choice(DUE_FILTERS, "审核期限：overdue 已逾期、soon 即将逾期") = ""
    decided_by: choice(["me"], "me：我作出过决定的（不论现在的状态）") = ""
    sort: choice(SORT_LABELS, "排序") = ""
    awaiting_me: choice(["1"], "审核人员：只列出待我审核的") = ""
    limit: clamped(1, 500, 100, "每页条数（1–500，默认 100）") = 100
    offset: clamped(0, 10**9, 0, "跳过条数") = 0
    page: clamped(1, MAX_PAGE, 1, "页码（未给 offset 时）") = 1


def _page_size(value: Any) -> int:
    size = ascii_int(value, max_digits=4) if isinstance(value, str) else None
    if size is None or not 1 <= size <= MAX_PAGE_SIZE:
        raise refuse(f"每页条数应为 1 至 {MAX_PAGE_SIZE} 之间的整数。")
    return size


def _cursor(value: Any) -> tuple[date, int] | None:
    if not value:
        return None
    try:
        return parse_cursor(value)
    except RangeError as error:
        raise refuse(str(error)) from None


class CutoverQuery(Period):
    province: Province = ""
    center: CenterArg = ""
    service: ServiceArg = ""
    tentative: choice(["1", "true"], "1：也列出待审核的（暂定）") = ""
    limit: Annotated[int, BeforeValidator(_page_size), WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE})] = Field(
        str(PAGE_SIZE), validate_default=True, description=f"每页条数（1–{MAX_PAGE_SIZE}，默认 {PAGE_SIZE}）"
    )
    cursor: Annotated[tuple[date, int] | None, BeforeValidator(_cursor), WithJsonSchema({"type": "string"})] = Field(
        None, description="上一页答复中的 next_cursor（YYYY-MM-DD_工单id）"
    )


class LinkQuery(Query):
    province: Province = ""
    center: CenterArg = ""
    service: ServiceArg = ""
