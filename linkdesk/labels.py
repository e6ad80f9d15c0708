"""Words shown to people for codes the rules use: weekdays, ticket warnings, short service names."""

WEEKDAYS = "一二三四五六日"


def weekday_zh(day) -> str:
    """周一 … 周日."""
    return "周" + WEEKDAYS[day.weekday()]


WARNING_LABELS = {
    "http": "http",
    "host_changed": "域名变更",
    "non_gov_domain": "非政务域名",
    "idn": "中文域名",
    "ip_literal": "IP 地址",
    "port": "非标准端口",
    "emergency": "紧急",
    "provisional": "日期待定",
    "calendar_changed": "节假日变化",
    "day_full": "当日已满",
    "blackout": "封网期",
    "probe": "地址不可达",
}

# Where a whole name does not fit (a chip in the month view): the nine services in a few characters.
SERVICE_SHORT_NAMES = {
    "info_query": "信息查询",
    "deposit_certificate": "缴存使用证明",
    "retirement_withdrawal": "退休提取",
    "unit_registration": "单位开户",
    "deposit_change": "缴存信息变更",
    "purchase_withdrawal": "购房提取",
    "loan_clearance_certificate": "贷款还清证明",
    "loan_early_repayment": "提前还清贷款",
    "transfer": "转移接续",
}


def service_short(code: str, name: str = "") -> str:
    """The short name of a service; its full name (or code) for one added later."""
    return SERVICE_SHORT_NAMES.get(code, name or code)
