"""Words shown to people for codes the rules use: weekdays and ticket warnings."""

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
