"""The OpenAPI 3.1 document of /api/v1, kept beside the routes it describes.

``document()`` builds it; ``GET /api/v1/openapi.json`` serves it and ``GET /api/v1/docs`` shows it
with Swagger UI (vendored in ``static/vendor/swagger-ui/``). ``tests/test_openapi.py`` fails when a
route of ``/api/v1`` is missing here or a path here is gone, and fuzzes every operation with
Schemathesis against these schemas.
"""
from flask import jsonify, render_template

from ..models import ReviewStage, TicketStatus
from ..tickets.listing import COUNT_LIMIT, DUE_FILTERS, SORT_LABELS, WARNING_FILTERS
from . import bp
from .schemas import COMPONENTS, ref

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


def _errors(*statuses: int) -> dict:
    return {str(status): {"$ref": f"#/components/responses/{RESPONSE_NAMES[status]}"} for status in statuses}


RESPONSE_NAMES = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound", 409: "Conflict", 413: "TooLarge",
                  422: "Invalid"}
RESPONSES = {
    "BadRequest": ("400：请求无法解析（如 JSON 嵌套过深；会话请求缺少 CSRF 令牌）。", "Error"),
    "Unauthorized": ("401：未登录，或令牌无效、过期、已吊销。", "Error"),
    "NotFound": ("404：对象不存在、不在您的范围内，或您的角色不使用此接口。", "Error"),
    "Conflict": ("409：工单已被他人修改（请刷新后重试），或该链接已有未完成工单（open_ticket）。", "Conflict"),
    "TooLarge": ("413：请求体过大（附件每个不超过 10 MB，每个工单最多 5 个）。", "Error"),
    "Invalid": ("422：内容有误，errors 按字段列出中文说明。", "ValidationError"),
}
READ = (401, 404, 422)  # every read: a bad query argument is a 422 naming it
WRITE = (400, 401, 404, 409, 413, 422)


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _list(name: str) -> dict:
    return {"type": "array", "items": ref(name)}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _path_id(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}


TICKET_ID = _path_id("ticket_id", "工单 id")
ATTACHMENT_ID = _path_id("attachment_id", "附件 id")
PROVINCE = _query("province", "省份代码或简称，如 41 或 河南")
CENTER = _query("center", "中心代码或简称，如 410100 或 郑州")
SERVICE = _query("service", "业务事项代码，如 info_query")
RANGE = [_query("from", "开始日期 YYYY-MM-DD", {"type": "string", "format": "date"}),
         _query("to", "结束日期 YYYY-MM-DD（含；一次最多 400 天）", {"type": "string", "format": "date"})]


def _op(tag: str, summary: str, ok: dict, errors=READ, *, params=(), body: dict | None = None,
        public: bool = False, description: str | None = None) -> dict:
    operation = {"tags": [tag], "summary": summary, "responses": {**ok, **_errors(*errors)}}
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = list(params)
    if body:
        operation["requestBody"] = body
    if public:
        operation["security"] = []
    return operation


def _json_body(name: str, required: bool = True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": ref(name)}}}


def _ticket_action(summary: str, body: str, description: str) -> dict:
    return _op("工单", summary, {"200": _json(ref("Ticket"), "工单（详情）")}, WRITE, params=[TICKET_ID],
               body=_json_body(body), description=description)


# A list's total: counted up to COUNT_LIMIT matches, then said to be more (tickets/listing.py).
TOTAL_HEADERS = {
    "X-Total-Count": {"description": f"符合条件的总数；超过 {COUNT_LIMIT} 条（或超过本页末尾，取较大者）时只数到此为止，"
                                     "并给出 X-Total-Count-Exact: false", "schema": {"type": "string"}},
    "X-Total-Count-Exact": {"description": "true：X-Total-Count 是确切总数；false：符合条件的多于此数，翻页以 Link 的 rel=\"next\" 为准",
                            "schema": {"type": "string", "enum": ["true", "false"]}},
}


def _paths() -> dict:
    ticket = _json(ref("Ticket"), "工单（详情）")
    return {
        "/workdays/earliest": {"get": _op(
            "工作日", "最早切换日期 E(D)", {"200": _json(ref("Earliest"), "E(D)")},
            params=[{**_query("submitted", "提交日期 D，YYYY-MM-DD", {"type": "string", "format": "date"}),
                     "required": True}],
            description="D 日提交的工单最早可在哪天切换：D 之后（D 非工作日则从下一个工作日起）第 10 个工作日。")},
        "/centers": {"get": _op("登记", "住房公积金管理中心", {"200": _json(_list("Center"), "中心")},
                                params=[_query("q", "代码、简称、全称的一部分，或省份简称；空则全部（最多 100 个字符）")])},
        "/services": {"get": _op("登记", "业务事项", {"200": _json(_list("Service"), "业务事项")})},
        "/tickets": {
            "get": _op("工单", "范围内的工单：搜索、筛选、排序、分页", {"200": {
                **_json(_list("TicketListItem"), "工单（默认最新提交的在前）"),
                "headers": {**TOTAL_HEADERS,
                            "Link": {"description": "下一页、上一页（rel=\"next\"、rel=\"prev\"）", "schema": {"type": "string"}}}}},
                       params=[_query("q", "工单号、中心名称或代码、新旧地址或域名的一部分，不区分大小写（最多 100 个字符）；"
                                             "一两个字只查中心名称、代码和工单号开头，不查地址"),
                               _query("status", "状态", {"type": "string", "enum": [s.value for s in TicketStatus]}),
                               _query("stage", "审核阶段", {"type": "string", "enum": [s.value for s in ReviewStage]}),
                               SERVICE, CENTER, PROVINCE, *RANGE,
                               _query("warning", "提示", {"type": "string", "enum": list(WARNING_FILTERS)}),
                               _query("due", "审核期限：overdue 已逾期、soon 即将逾期", {"type": "string", "enum": list(DUE_FILTERS)}),
                               _query("decided_by", "me：我作出过决定的（不论现在的状态）", {"type": "string", "enum": ["me"]}),
                               _query("sort", "排序", {"type": "string", "enum": list(SORT_LABELS)}),
                               _query("awaiting_me", "审核人员：只列出待我审核的", {"type": "string", "enum": ["1"]}),
                               _query("limit", "每页条数（1–500，默认 100）", {"type": "integer", "minimum": 1, "maximum": 500}),
                               _query("offset", "跳过条数", {"type": "integer", "minimum": 0}),
                               _query("page", "页码（未给 offset 时）", {"type": "integer", "minimum": 1})],
                       description="列表中的工单不含 attachments 和 history，详情见 GET /tickets/{ticket_id}。"),
            "post": _op("工单", "提交工单（中心经办人员）", {"201": {
                **ticket, "description": "已提交；Location 指向新工单",
                "headers": {"Location": {"schema": {"type": "string"}}}}}, WRITE,
                body={"required": True, "content": {
                    "application/json": {"schema": ref("NewTicket")},
                    "multipart/form-data": {"schema": {**ref("NewTicket")}},
                }},
                description="JSON，或同样字段的 multipart/form-data（证明材料作为 file 部分；紧急变更必须附上）。"
                            "链接已有未完成工单时 409，带 open_ticket。"),
        },
        "/tickets/{ticket_id}": {
            "get": _op("工单", "工单详情", {"200": ticket}, params=[TICKET_ID]),
            "patch": _ticket_action("修改工单（退回后）", "TicketChanges", "中心经办人员修改被退回的工单。"),
        },
        "/tickets/{ticket_id}/resubmit": {"post": _ticket_action(
            "重新提交", "TicketChanges", "修改后重新提交；提前期从重新提交之日重新计算。")},
        "/tickets/{ticket_id}/withdraw": {"post": _ticket_action(
            "撤回", "VersionedComment", "中心在批准前撤回本中心的工单。")},
        "/tickets/{ticket_id}/cancel": {"post": _ticket_action(
            "取消已批准的切换", "VersionedComment", "中心或部监管司在切换前取消已批准的工单。")},
        "/tickets/{ticket_id}/decision": {"post": _ticket_action(
            "审核（批准、退回、驳回）", "Decision", "省级审核与部监管司审核；同一版本两人审核，后到者 409。")},
        "/decisions": {"post": _op("工单", "批量审核（省级、部监管司审核人员）", {"200": _json({
            "type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": {
                "type": "object", "required": ["id", "status"], "properties": {
                    "id": {"type": ["integer", "null"]}, "status": {"type": "integer", "description": "该项的结果：200、404、409、422"},
                    "ticket": ref("TicketListItem"), "errors": {"type": "object"},
                    "version": {"type": "integer", "description": "409 时工单现在的 version"}}}}}},
            "每项各自的结果，顺序同请求")}, WRITE,
            body={"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["items"], "properties": {"items": {
                    "type": "array", "minItems": 1, "maxItems": 100,
                    "items": {**ref("Decision"), "description": "与单个审核相同，另加 id"}}}}}}},
            description="每项按自己的 version 在各自的事务中处理，一项失败不影响其他项；范围外的工单该项为 404。")},
        "/workdays/days": {"get": _op(
            "工作日", "日期选择器的日历：工作日与每日负荷", {"200": _json({
                "type": "object", "required": ["today", "earliest_cutover", "provisional", "latest_cutover", "days"],
                "properties": {
                    "today": {"type": "string", "format": "date"}, "earliest_cutover": {"type": "string", "format": "date"},
                    "provisional": {"type": "boolean"}, "latest_cutover": {"type": "string", "format": "date"},
                    "days": {"type": "array", "items": {"type": "object", "properties": {
                        "date": {"type": "string", "format": "date"},
                        "kind": {"type": "string", "enum": ["workday", "weekend", "holiday", "makeup_workday"]},
                        "holiday": {"type": ["string", "null"]}, "working": {"type": "boolean"},
                        "provisional": {"type": "boolean"}, "count": {"type": "integer", "description": "当天全国已安排的切换数"},
                        "full": {"type": "boolean"}, "blackout": {"type": ["string", "null"], "description": "封网原因"}}}}}},
                "每一天（只有数量，不含其他中心的名称）")},
            params=RANGE, description="默认从今天起 62 天；今天提交时的最早切换日期 E(today) 与最晚可选日期。")},
        "/tickets/{ticket_id}/attachments": {
            "get": _op("附件", "工单的附件", {"200": _json(_list("Attachment"), "附件说明")}, params=[TICKET_ID]),
            "post": _op("附件", "上传附件（中心经办人员）", {"201": _json(
                {"type": "object", "required": ["attachments", "ticket"],
                 "properties": {"attachments": _list("Attachment"), "ticket": ref("Ticket")}}, "已保存")},
                WRITE, params=[TICKET_ID],
                body={"required": True, "content": {"multipart/form-data": {"schema": ref("Upload")}}}),
        },
        "/tickets/{ticket_id}/attachments/{attachment_id}": {
            "get": _op("附件", "下载附件", {"200": {"description": "文件内容（总是作为附件下载）", "content": {
                media: {"schema": {"type": "string", "contentMediaType": media}}
                for media in ("application/pdf", "image/png", "image/jpeg")}}},
                params=[TICKET_ID, ATTACHMENT_ID]),
            "delete": _op("附件", "删除附件（中心经办人员）", {"200": ticket}, WRITE, params=[
                TICKET_ID, ATTACHMENT_ID, _query("version", "工单当前的 version（也可放在 JSON 请求体中）",
                                                 {"type": "integer", "minimum": 0})],
                body=_json_body("VersionedComment", required=False),
                description="审核人员已据此作出决定的附件不能删除（422）。"),
        },
        "/cutovers": {"get": _op(
            "切换与台账", "切换日历", {"200": _json({
                "type": "object", "required": ["from", "to", "cutovers", "next_cursor"],
                "properties": {"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
                               "cutovers": _list("Cutover"),
                               "next_cursor": {"type": ["string", "null"],
                                               "description": "下一页的 cursor；null 表示已是最后一页"}}},
                "范围内已批准与已完成的切换，按日期、工单 id 排列")},
            params=[*RANGE, PROVINCE, CENTER, SERVICE,
                    _query("tentative", "1：也列出待审核的（暂定）", {"type": "string", "enum": ["1", "true"]}),
                    _query("limit", "每页条数（1–1000，默认 100）", {"type": "integer", "minimum": 1, "maximum": 1000}),
                    _query("cursor", "上一页答复中的 next_cursor（YYYY-MM-DD_工单id）")])},
        "/links": {"get": _op("切换与台账", "链接台账", {"200": _json({
            "type": "object", "required": ["links"], "properties": {"links": _list("Link")}}, "范围内的现行地址")},
            params=[PROVINCE, CENTER, SERVICE])},
        "/overview": {"get": _op("总览", "各省情况与趋势（审核人员、管理员）", {"200": _json(ref("Overview"), "总览")},
                                 params=RANGE, description="省级审核只看到本省；中心经办人员 404。")},
        "/openapi.json": {"get": _op("文档", "本 OpenAPI 文档", {"200": _json({"type": "object"}, "OpenAPI 3.1 文档")},
                                     (), public=True)},
        "/docs": {"get": _op("文档", "接口文档页面", {"200": {"description": "Swagger UI 页面", "content": {
            "text/html": {"schema": {"type": "string"}}}}}, (), public=True)},
    }


def document() -> dict:
    """The OpenAPI 3.1 document of /api/v1."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "linkdesk 链接变更工单台 API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}, {"session": []}],
        "tags": TAGS,
        "paths": _paths(),
        "webhooks": {"event": {"post": {
            "tags": ["文档"], "summary": "Webhook 事件（channels add webhook 配置的地址收到）", "security": [],
            "description": "X-Linkdesk-Signature 为 sha256= 加上以渠道密钥对原始请求体计算的 HMAC-SHA256（十六进制）；"
                           "请求体中的 sent_at（与 X-Linkdesk-Timestamp 相同）也在签名之内：请校验签名并拒绝过旧的 sent_at。",
            "parameters": [{"name": name, "in": "header", "required": True, "schema": {"type": "string"}, "description": text}
                           for name, text in (("X-Linkdesk-Event", "事件类型"), ("X-Linkdesk-Delivery", "事件编号"),
                                              ("X-Linkdesk-Timestamp", "本次发送的 Unix 秒"),
                                              ("X-Linkdesk-Signature", "sha256=HMAC"))],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("WebhookEvent")}}},
            "responses": {"2XX": {"description": "已送达；其他答复按退避重试"}},
        }}},
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "API 令牌（create-token 生成）"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session", "description": "浏览器会话"},
            },
            "schemas": COMPONENTS,
            "responses": {name: {"description": text, "content": {"application/json": {"schema": ref(schema)}}}
                          for name, (text, schema) in RESPONSES.items()},
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    """The document itself: public, it names routes and shapes, never data."""
    return jsonify(document())


@bp.get("/docs")
def docs_page():
    """The API's page: Swagger UI from static/, started by a script file (the CSP allows no inline one)."""
    return render_template("api/docs.html")
