"""The OpenAPI 3.1 document of /api/v1, generated from the declarations it describes.

Every schema comes from a pydantic model: the answers' from ``linkdesk.shapes``, the requests'
bodies and query parameters from ``api.bodies`` (JSON Schema 2020-12, which OpenAPI 3.1 speaks
natively). What is written here is only the table of operations: path, method, tag, summary, the
models of the answer, the body and the query, and the error answers.

``document()`` builds it; ``GET /api/v1/openapi.json`` serves it and ``GET /api/v1/docs`` shows it
with Swagger UI (vendored in ``static/vendor/swagger-ui/``). ``tests/api/test_openapi.py`` fails when a
route of ``/api/v1`` is missing here or a path here is gone, and fuzzes every operation with
Schemathesis against these schemas.
"""

import copy
from dataclasses import dataclass, field
from functools import cache

from flask import jsonify, render_template
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..shapes import DocumentSchema
from ..shapes.calendar import CutoverPage, Earliest, PickerDays
from ..shapes.errors import Conflict, Error, ValidationError
from ..shapes.links import LinkList
from ..shapes.overview import Overview
from ..shapes.registry import Center, Service
from ..shapes.tickets import Attachment, AttachmentsAdded, DecisionResults, Ticket, TicketListItem
from ..shapes.webhooks import WebhookEvent
from ..tickets.listing import COUNT_LIMIT
from .blueprint import bp
from .bodies import (
    AttachmentVersion,
    BulkDecisions,
    CenterSearch,
    CutoverQuery,
    Decision,
    DecisionItem,
    EarliestQuery,
    LinkQuery,
    NewTicket,
    Period,
    TicketChanges,
    TicketQuery,
    Upload,
    VersionedComment,
)

PREFIX = "/api/v1"

TAGS = [
    {"name": "工作日", "description": "国务院办公厅节假日安排下的工作日与最早切换日期 E(D)"},
    {"name": "登记", "description": "住房公积金管理中心与业务事项（全国统一，所有登录用户可见）"},
    {"name": "工单", "description": "链接变更工单：提交、修改、重新提交、撤回、审核、取消"},
    {"name": "附件", "description": "工单的证明材料"},
    {"name": "切换与台账", "description": "切换日历与链接台账"},
    {"name": "总览", "description": "各省情况（附件1的各列）与趋势"},
    {"name": "文档", "description": "本文档及其页面"},
]

DESCRIPTION = """\
全国住房公积金小程序业务办理链接地址变更工单台的 JSON 接口。

**认证**：浏览器会话（改变状态的请求需带 `X-CSRFToken` 头），或 `Authorization: Bearer TOKEN`
（`flask --app linkdesk create-token 用户名`）。

**范围**：每个用户只能看到其范围内的对象（中心经办人员：本中心；省级审核：本省；部监管司、管理员：全国）。
范围外的对象、以及与角色无关的接口，一律答 404，从不答 403。

**筛选**：`province` 可用省份代码或简称（`41` 或 `河南`），`center` 可用中心代码或简称（`410100` 或 `郑州`），
各接口相同。

**错误**：总是 JSON：`{"error": "中文说明", "status": 状态码}`；422 另有 `errors`，按字段列出中文说明；
新建工单时链接已有未完成工单，409 另有 `open_ticket`。

**中心**在各接口中都是同一个形状：`{"code", "name", "short_name", "province"}`。
"""


REF = "#/components/schemas/{model}"
RESPONSE_NAMES = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound", 409: "Conflict", 413: "TooLarge", 422: "Invalid"}
RESPONSES = {
    "BadRequest": ("400：请求无法解析（如 JSON 嵌套过深；会话请求缺少 CSRF 令牌）。", Error),
    "Unauthorized": ("401：未登录，或令牌无效、过期、已吊销。", Error),
    "NotFound": ("404：对象不存在、不在您的范围内，或您的角色不使用此接口。", Error),
    "Conflict": ("409：工单已被他人修改（请刷新后重试），或该链接已有未完成工单（open_ticket）。", Conflict),
    "TooLarge": ("413：请求体过大（附件每个不超过 10 MB，每个工单最多 5 个）。", Error),
    "Invalid": ("422：内容有误，errors 按字段列出中文说明。", ValidationError),
}
READ = (401, 404, 422)  # every read: a bad query argument is a 422 naming it
WRITE = (400, 401, 404, 409, 413, 422)
PUBLIC = ()  # the document and its page: no sign-in, no error of their own

# A list's total: counted up to COUNT_LIMIT matches, then said to be more (tickets/listing.py).
TOTAL_HEADERS = {
    "X-Total-Count": {
        "description": f"符合条件的总数；超过 {COUNT_LIMIT} 条（或超过本页末尾，取较大者）时只数到此为止，"
        "并给出 X-Total-Count-Exact: false",
        "schema": {"type": "string"},
    },
    "X-Total-Count-Exact": {
        "description": 'true：X-Total-Count 是确切总数；false：符合条件的多于此数，翻页以 Link 的 rel="next" 为准',
        "schema": {"type": "string", "enum": ["true", "false"]},
    },
    "Link": {"description": '下一页、上一页（rel="next"、rel="prev"）', "schema": {"type": "string"}},
}
LOCATION = {"Location": {"schema": {"type": "string"}}}
DOWNLOAD = {media: {"schema": {"type": "string", "contentMediaType": media}} for media in ("application/pdf", "image/png", "image/jpeg")}
PATH_IDS = {"ticket_id": "工单 id", "attachment_id": "附件 id"}


@dataclass(frozen=True)
class Operation:
    """One operation of the table: its answer (a model, ``[Model]`` for a list, or a raw
    OpenAPI content map), what it reads, and the errors it may answer."""

    method: str
    path: str
    tag: str
    summary: str
    answer: type[BaseModel] | list | dict
    answer_text: str
    errors: tuple[int, ...] = READ
    status: int = 200
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_required: bool = True
    media: tuple[str, ...] = ("application/json",)
    headers: dict = field(default_factory=dict)
    description: str | None = None


def _ticket_action(path: str, summary: str, body: type[BaseModel], description: str, method: str = "post") -> Operation:
    return Operation(method, path, "工单", summary, Ticket, "工单（详情）", WRITE, body=body, description=description)


OPERATIONS = (
    Operation(
        "get",
        "/workdays/earliest",
        "工作日",
        "最早切换日期 E(D)",
        Earliest,
        "E(D)",
        query=EarliestQuery,
        description="D 日提交的工单最早可在哪天切换：D 之后（D 非工作日则从下一个工作日起）第 10 个工作日。",
    ),
    Operation("get", "/centers", "登记", "住房公积金管理中心", [Center], "中心", query=CenterSearch),
    Operation("get", "/services", "登记", "业务事项", [Service], "业务事项"),
    Operation(
        "get",
        "/tickets",
        "工单",
        "范围内的工单：搜索、筛选、排序、分页",
        [TicketListItem],
        "工单（默认最新提交的在前）",
        query=TicketQuery,
        headers=TOTAL_HEADERS,
        description="列表中的工单不含 attachments 和 history，详情见 GET /tickets/{ticket_id}。",
    ),
    Operation(
        "post",
        "/tickets",
        "工单",
        "提交工单（中心经办人员）",
        Ticket,
        "已提交；Location 指向新工单",
        WRITE,
        status=201,
        body=NewTicket,
        media=("application/json", "multipart/form-data"),
        headers=LOCATION,
        description="JSON，或同样字段的 multipart/form-data（证明材料作为 file 部分；紧急变更必须附上）。"
        "链接已有未完成工单时 409，带 open_ticket。",
    ),
    Operation("get", "/tickets/{ticket_id}", "工单", "工单详情", Ticket, "工单（详情）"),
    _ticket_action("/tickets/{ticket_id}", "修改工单（退回后）", TicketChanges, "中心经办人员修改被退回的工单。", "patch"),
    _ticket_action("/tickets/{ticket_id}/resubmit", "重新提交", TicketChanges, "修改后重新提交；提前期从重新提交之日重新计算。"),
    _ticket_action("/tickets/{ticket_id}/withdraw", "撤回", VersionedComment, "中心在批准前撤回本中心的工单。"),
    _ticket_action("/tickets/{ticket_id}/cancel", "取消已批准的切换", VersionedComment, "中心或部监管司在切换前取消已批准的工单。"),
    _ticket_action(
        "/tickets/{ticket_id}/decision", "审核（批准、退回、驳回）", Decision, "省级审核与部监管司审核；同一版本两人审核，后到者 409。"
    ),
    Operation(
        "post",
        "/decisions",
        "工单",
        "批量审核（省级、部监管司审核人员）",
        DecisionResults,
        "每项各自的结果，顺序同请求",
        WRITE,
        body=BulkDecisions,
        description="每项按自己的 version 在各自的事务中处理，一项失败不影响其他项；范围外的工单该项为 404。",
    ),
    Operation(
        "get",
        "/workdays/days",
        "工作日",
        "日期选择器的日历：工作日与每日负荷",
        PickerDays,
        "每一天（只有数量，不含其他中心的名称）",
        query=Period,
        description="默认从今天起 62 天；今天提交时的最早切换日期 E(today) 与最晚可选日期。",
    ),
    Operation("get", "/tickets/{ticket_id}/attachments", "附件", "工单的附件", [Attachment], "附件说明"),
    Operation(
        "post",
        "/tickets/{ticket_id}/attachments",
        "附件",
        "上传附件（中心经办人员）",
        AttachmentsAdded,
        "已保存",
        WRITE,
        status=201,
        body=Upload,
        media=("multipart/form-data",),
    ),
    Operation("get", "/tickets/{ticket_id}/attachments/{attachment_id}", "附件", "下载附件", DOWNLOAD, "文件内容（总是作为附件下载）"),
    Operation(
        "delete",
        "/tickets/{ticket_id}/attachments/{attachment_id}",
        "附件",
        "删除附件（中心经办人员）",
        Ticket,
        "工单（详情）",
        WRITE,
        query=AttachmentVersion,
        body=VersionedComment,
        body_required=False,
        description="审核人员已据此作出决定的附件不能删除（422）。",
    ),
    Operation(
        "get", "/cutovers", "切换与台账", "切换日历", CutoverPage, "范围内已批准与已完成的切换，按日期、工单 id 排列", query=CutoverQuery
    ),
    Operation("get", "/links", "切换与台账", "链接台账", LinkList, "范围内的现行地址", query=LinkQuery),
    Operation(
        "get",
        "/overview",
        "总览",
        "各省情况与趋势（审核人员、管理员）",
        Overview,
        "总览",
        query=Period,
        description="省级审核只看到本省；中心经办人员 404。",
    ),
    Operation(
        "get", "/openapi.json", "文档", "本 OpenAPI 文档", {"application/json": {"schema": {"type": "object"}}}, "OpenAPI 3.1 文档", PUBLIC
    ),
    Operation("get", "/docs", "文档", "接口文档页面", {"text/html": {"schema": {"type": "string"}}}, "Swagger UI 页面", PUBLIC),
)
# Answers (serialization) and requests (validation), each named by its class in components.
ANSWERS = (
    Center,
    Service,
    Attachment,
    TicketListItem,
    Ticket,
    AttachmentsAdded,
    DecisionResults,
    Earliest,
    PickerDays,
    CutoverPage,
    LinkList,
    Overview,
    Error,
    ValidationError,
    Conflict,
    WebhookEvent,
)
REQUESTS = (NewTicket, TicketChanges, VersionedComment, Decision, DecisionItem, BulkDecisions, Upload)


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _content(answer, media: tuple[str, ...] = ("application/json",)) -> dict:
    if isinstance(answer, dict):
        return answer
    schema = {"type": "array", "items": _ref(answer[0])} if isinstance(answer, list) else _ref(answer)
    return {kind: {"schema": schema} for kind in media}


def _parameters(operation: Operation) -> list[dict]:
    """The path's ids, then one query parameter per field of the operation's query model."""
    found = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": text,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        }
        for name, text in PATH_IDS.items()
        if f"{{{name}}}" in operation.path
    ]
    if operation.query is not None:
        schema = operation.query.model_json_schema(schema_generator=DocumentSchema)
        for name, prop in schema["properties"].items():
            prop = dict(prop)
            description = prop.pop("description", None)
            parameter = {
                "name": name,
                "in": "query",
                "required": name in schema.get("required", ()),
                "description": description,
                "schema": prop,
            }
            found.append({key: value for key, value in parameter.items() if value is not None})
    return found


def _operation(operation: Operation) -> dict:
    ok = {"description": operation.answer_text, "content": _content(operation.answer)}
    if operation.headers:
        ok["headers"] = operation.headers
    answer = {
        "tags": [operation.tag],
        "summary": operation.summary,
        "responses": {
            str(operation.status): ok,
            **{str(status): {"$ref": f"#/components/responses/{RESPONSE_NAMES[status]}"} for status in operation.errors},
        },
    }
    if operation.description:
        answer["description"] = operation.description
    if parameters := _parameters(operation):
        answer["parameters"] = parameters
    if operation.body is not None:
        answer["requestBody"] = {"required": operation.body_required, "content": _content(operation.body, operation.media)}
    if operation.errors == PUBLIC:
        answer["security"] = []
    return answer


def _schemas() -> dict:
    """Every model's JSON Schema, those they refer to included, under its class name."""
    _, top = models_json_schema(
        [(model, "serialization") for model in ANSWERS] + [(model, "validation") for model in REQUESTS],
        ref_template=REF,
        schema_generator=DocumentSchema,
    )
    return top["$defs"]


WEBHOOK_HEADERS = (
    ("X-Linkdesk-Event", "事件类型"),
    ("X-Linkdesk-Delivery", "事件编号"),
    ("X-Linkdesk-Timestamp", "本次发送的 Unix 秒"),
    ("X-Linkdesk-Signature", "sha256=HMAC"),
)


@cache
def _document() -> dict:
    paths: dict[str, dict] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {"title": "linkdesk 链接变更工单台 API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}, {"session": []}],
        "tags": TAGS,
        "paths": paths,
        "webhooks": {
            "event": {
                "post": {
                    "tags": ["文档"],
                    "summary": "Webhook 事件（channels add webhook 配置的地址收到）",
                    "security": [],
                    "description": "X-Linkdesk-Signature 为 sha256= 加上以渠道密钥对原始请求体计算的 HMAC-SHA256（十六进制）；"
                    "请求体中的 sent_at（与 X-Linkdesk-Timestamp 相同）也在签名之内：请校验签名并拒绝过旧的 sent_at。",
                    "parameters": [
                        {"name": name, "in": "header", "required": True, "schema": {"type": "string"}, "description": text}
                        for name, text in WEBHOOK_HEADERS
                    ],
                    "requestBody": {"required": True, "content": _content(WebhookEvent)},
                    "responses": {"2XX": {"description": "已送达；其他答复按退避重试"}},
                }
            }
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "API 令牌（create-token 生成）"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session", "description": "浏览器会话"},
            },
            "schemas": _schemas(),
            "responses": {name: {"description": text, "content": _content(model)} for name, (text, model) in RESPONSES.items()},
        },
    }


def document() -> dict:
    """The OpenAPI 3.1 document of /api/v1 (built once; a copy, so that a caller may change it)."""
    return copy.deepcopy(_document())


@bp.get("/openapi.json")
def openapi_document():
    """The document itself: public, it names routes and shapes, never data."""
    return jsonify(document())


@bp.get("/docs")
def docs_page():
    """The API's page: Swagger UI from static/, started by a script file (the CSP allows no inline one)."""
    return render_template("api/docs.html")
