"""The shapes of the JSON API as JSON Schema (OpenAPI 3.1 components): objects, errors, bodies.

Kept beside the serializers they describe; ``tests/test_openapi.py`` holds the two together
(Schemathesis checks every answer against these schemas).
"""
from ..models import ReviewStage, TicketStatus


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    """The schema, or null (OpenAPI 3.1: a JSON Schema type list)."""
    return {"anyOf": [schema, {"type": "null"}]}


TEXT = {"type": "string"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}


def obj(properties: dict, required: list[str] | None = None, description: str | None = None) -> dict:
    """An object with these properties, all required unless listed otherwise."""
    schema = {"type": "object", "properties": properties,
              "required": list(properties) if required is None else required}
    if description:
        schema["description"] = description
    return schema


CENTER = obj({
    "code": {**TEXT, "description": "中心代码（稳定，API 与命令行使用）", "examples": ["410100"]},
    "name": {**TEXT, "description": "全称", "examples": ["郑州住房公积金管理中心"]},
    "short_name": {**TEXT, "description": "简称", "examples": ["郑州"]},
    "province": {**TEXT, "description": "所属省份简称", "examples": ["河南"]},
}, description="住房公积金管理中心。各接口中的中心都是这个形状。")

ATTACHMENT = obj({
    "id": INT, "filename": TEXT,
    "content_type": {"type": "string", "enum": ["application/pdf", "image/png", "image/jpeg"]},
    "size": INT, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    "uploaded_at": DATETIME, "uploaded_by": TEXT,
    "reviewed": {**BOOL, "description": "审核人员已据此作出决定；此后不能删除"},
    "url": {**TEXT, "description": "下载地址（总是作为附件下载）"},
}, description="工单附件（证明材料）的说明，不含内容。")

HISTORY_EVENT = obj({
    "at": DATETIME, "actor": nullable(TEXT), "role": TEXT, "action": TEXT,
    "from_status": nullable(TEXT), "from_stage": nullable(TEXT),
    "to_status": nullable(TEXT), "to_stage": nullable(TEXT), "comment": nullable(TEXT),
}, description="审计记录：谁、何时（UTC）、从何状态到何状态、意见。只增不改。")

TICKET_FIELDS = {
    "id": INT,
    "number": {**TEXT, "description": "工单号"},
    "center": ref("Center"),
    "service": {**TEXT, "description": "业务事项代码，见 GET /services"},
    "old_url": nullable({**TEXT, "description": "提交时的现行地址"}),
    "new_url": TEXT,
    "cutover_date": {**DATE, "description": "切换日期（工作日）"},
    "submitted_on": {**DATE, "description": "提交（或重新提交）的北京时间日期 D"},
    "earliest_cutover": {**DATE, "description": "E(D)：最早可切换日期"},
    "provisional": {**BOOL, "description": "E(D) 依据的年份尚无国务院办公厅安排，为推算值"},
    "emergency": {**BOOL, "description": "紧急变更"},
    "emergency_reason": nullable(TEXT),
    "http_justification": nullable(TEXT),
    "icp_number": nullable(TEXT),
    "evidence_requested": {**BOOL, "description": "审核人员要求补充证明材料"},
    "reason": TEXT, "contact_name": TEXT, "contact_phone": TEXT,
    "status": {"type": "string", "enum": [s.value for s in TicketStatus]},
    "stage": nullable({"type": "string", "enum": [s.value for s in ReviewStage]}),
    "warnings": {"type": "array", "items": {"type": "object", "properties": {"code": TEXT}, "required": ["code"]},
                 "description": "提示审核人员的发现（http、不同主机、无法访问等）；新地址检测的结果（probe）在检测完成后加入"},
    "probe": obj({
        "state": {"type": "string", "enum": ["none", "pending", "done", "unfinished"],
                  "description": "none 未检测（提交时检测已关闭）；pending 正在检测；done 已检测（未通过时 warnings 中有 probe）；"
                                 "unfinished 检测未完成、结果未知（不代表地址可用）"},
        "requested_at": nullable({**DATETIME, "description": "检测请求时间（pending、unfinished 时）"}),
        "probed_at": nullable({**DATETIME, "description": "检测完成时间（done 时）"}),
    }, description="新地址的提交时检测：提交、改地址或重新提交后在后台进行，不影响提交"),
    "version": {**INT, "description": "版本号：修改、审核、撤回时带上，他人先改则 409"},
}

TICKET_LIST_ITEM = obj(TICKET_FIELDS, description="工单（列表中）：与详情相同，但不含 attachments 和 history。")
TICKET = obj(
    {**TICKET_FIELDS, "attachments": {"type": "array", "items": ref("Attachment")},
     "history": {"type": "array", "items": ref("HistoryEvent")}},
    description="工单（详情）：列表中的字段，加上附件 attachments 和审计记录 history。",
)

CUTOVER = obj({
    "ticket_id": INT, "number": TEXT, "cutover_date": DATE,
    "status": {"type": "string", "enum": ["approved", "completed", "pending"]},
    "emergency": BOOL, "center": ref("Center"), "service": TEXT,
    "old_url": nullable(TEXT), "new_url": TEXT,
}, description="切换日历中的一项。")

HEALTH = nullable(obj({
    "healthy": BOOL, "problem": nullable(TEXT), "problem_label": nullable(TEXT), "status": nullable(INT),
    "checked_at": DATETIME, "unhealthy_since": nullable(DATETIME),
}, description="最近一次检测的结果"))

LINK = obj({
    "center": ref("Center"),
    "center_code": {**TEXT, "description": "同 center.code（与 CSV 导出列一致）"},
    "center_name": {**TEXT, "description": "同 center.name（与 CSV 导出列一致）"},
    "service_code": TEXT, "url": TEXT, "effective_date": DATE, "health": HEALTH,
}, description="链接台账中的现行地址。")

ERROR = obj({
    "error": {**TEXT, "description": "中文说明，可直接展示给用户"},
    "status": {**INT, "description": "HTTP 状态码"},
    "errors": {"type": "object", "additionalProperties": {"type": "array", "items": TEXT},
               "description": "按字段的中文说明（422 一定有；409、400 可能有）"},
}, required=["error", "status"], description="所有错误的统一形状：error（中文说明）与 status；422 另有 errors 按字段列出问题。")

VALIDATION_ERROR = {**ERROR, "required": ["error", "status", "errors"],
                    "description": "422：提交的内容有误，errors 按字段列出中文说明。"}

CONFLICT = {
    **ERROR,
    "properties": {
        **ERROR["properties"],
        "open_ticket": obj({"id": INT, "number": TEXT, "url": TEXT},
                           description="该链接已有的未完成工单（新建工单时 409）"),
    },
    "description": "409：工单已被他人修改（version 过期），或该链接已有未完成工单（带 open_ticket）。",
}

EARLIEST = obj({"submitted": DATE, "earliest_cutover": DATE, "provisional": BOOL},
               description="D 日提交时的最早切换日期 E(D)。")

SERVICE = obj({"code": TEXT, "name": {**TEXT, "description": "业务事项名称"}})

OVERVIEW = {
    "type": "object",
    "required": ["today", "from", "to", "provinces", "totals", "trends"],
    "properties": {
        "today": DATE, "from": DATE, "to": DATE, "upcoming_until": DATE, "review_cutoff": DATE,
        "open_columns": {"type": "array", "items": obj({"code": TEXT, "label": TEXT})},
        "provinces": {"type": "array", "items": {"type": "object"},
                      "description": "按附件1顺序的各省数据：centers、links、coverage、failing_centers 等"},
        "totals": {"type": "object"},
        "trends": {"type": "object",
                   "description": "weeks、review_hours（median_hours 按用时分档统计，误差不超过一档约 4.4%）、minimum_lead、http"},
    },
    "description": "总览：调用者范围内各省的情况与趋势。",
}

VERSION_FIELD = {**INT, "description": "工单当前的 version"}
TICKET_INPUT = {
    "service": {**TEXT, "description": "业务事项代码"},
    "new_url": {**TEXT, "description": "新地址（http/https，公网主机）"},
    "cutover_date": {**TEXT, "description": "切换日期 YYYY-MM-DD"},
    "reason": TEXT, "contact_name": TEXT, "contact_phone": TEXT,
    "http_justification": {**TEXT, "description": "使用 http 地址时必填的说明"},
    "icp_number": {**TEXT, "description": "ICP 备案号，如 豫ICP备12345678号-1"},
    "emergency": BOOL, "emergency_reason": TEXT,
}
NEW_TICKET = obj({**TICKET_INPUT, "center": {**TEXT, "description": "可省略；只能是本中心（代码或简称）"}},
                 required=["service", "new_url", "cutover_date", "reason", "contact_name", "contact_phone"],
                 description="新建工单。")
TICKET_CHANGES = obj({**TICKET_INPUT, "version": VERSION_FIELD}, required=["version"],
                     description="要修改的字段（退回后修改或重新提交），以及 version。")
VERSIONED_COMMENT = obj({"version": VERSION_FIELD, "comment": TEXT}, required=["version"])
DECISION = obj({
    "decision": {"type": "string", "enum": ["approve", "return", "reject"]},
    "comment": {**TEXT, "description": "退回、驳回时必填"},
    "version": VERSION_FIELD,
    "override": {**BOOL, "description": "部级审核：知悉每日上限或封网期仍批准"},
    "require_document": {**BOOL, "description": "退回并要求补充证明材料"},
}, required=["decision", "version"], description="审核决定。")
UPLOAD = obj({
    "file": {"type": "array", "items": {"type": "string", "contentMediaType": "application/octet-stream"},
             "description": "PDF、PNG 或 JPEG，每个不超过 10 MB，每个工单最多 5 个（按内容判断类型）"},
    "version": VERSION_FIELD,
}, required=["file", "version"])

WEBHOOK_EVENT = {
    "type": "object",
    "required": ["id", "type", "occurred_at", "sent_at"],
    "properties": {
        "id": {**TEXT, "description": "事件编号；重试时不变，接收方据此去重"},
        "type": {**TEXT, "description": "事件类型，如 approved、applied、cancelled"},
        "occurred_at": DATETIME,
        "sent_at": {"type": "integer", "description": "本次发送的 Unix 秒（在签名之内，用于拒绝重放）"},
        "ticket": {**ref("TicketListItem"), "description": "工单事件：工单（与列表中的形状相同）"},
        "link": obj({"center": ref("Center"), "service": TEXT, "url": TEXT, "problem": TEXT},
                    description="link_unhealthy：出现问题的链接"),
    },
    "description": "Webhook 渠道收到的事件。",
}

COMPONENTS = {
    "Center": CENTER, "Service": SERVICE, "Attachment": ATTACHMENT, "HistoryEvent": HISTORY_EVENT,
    "TicketListItem": TICKET_LIST_ITEM, "Ticket": TICKET, "Cutover": CUTOVER, "Link": LINK,
    "Earliest": EARLIEST, "Overview": OVERVIEW, "Error": ERROR, "ValidationError": VALIDATION_ERROR,
    "Conflict": CONFLICT, "NewTicket": NEW_TICKET, "TicketChanges": TICKET_CHANGES,
    "VersionedComment": VERSIONED_COMMENT, "Decision": DECISION, "Upload": UPLOAD, "WebhookEvent": WEBHOOK_EVENT,
}
