"""What makes a link-change request acceptable: fields, address policy and lead time.

One function, assess(), judges a request for the form, the API and resubmission alike;
it knows nothing of Flask or of who is asking.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..links.address_policy import AddressCheck, check_address
from ..workdays.calendar import CalendarRangeError, Earliest, WorkingDayCalendar, local_date, parse_date
from .evidence import icp_problem, normalize_icp

MIN_REASON_LENGTH = 4
MAX_TEXT_LENGTH = 2000
# Mobile (13812345678), landline with area code (0371-12345678, 0371 1234 5678-801), +86.
PHONE = re.compile(r"^(\+?86[- ]?)?(1[3-9]\d{9}|0\d{2,3}[- ]?\d{7,8}([- ]?(转|-)\d{1,6})?|[48]00[- ]?\d{3}[- ]?\d{4})$")

FIELDS = (
    "service",
    "new_url",
    "cutover_date",
    "reason",
    "contact_name",
    "contact_phone",
    "http_justification",
    "emergency",
    "emergency_reason",
    "icp_number",
)


@dataclass
class ChangeRequest:
    """What a center asks for, as typed (strings from a form or JSON)."""

    service: str = ""
    new_url: str = ""
    cutover_date: str | date | None = None
    reason: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    http_justification: str = ""
    emergency: bool = False
    emergency_reason: str = ""
    icp_number: str = ""

    @classmethod
    def from_mapping(cls, data) -> "ChangeRequest":
        """Build from a form or JSON mapping; unknown keys are ignored, None becomes empty."""
        values = {}
        for name in FIELDS:
            value = data.get(name)
            if name == "emergency":
                values[name] = value in (True, "y", "on", "true", "1", 1)
            elif name == "cutover_date":
                values[name] = value
            else:
                values[name] = value.strip() if isinstance(value, str) else ("" if value is None else str(value))
        return cls(**values)


@dataclass
class Assessment:
    """The verdict on a request: errors by field, warnings, and the dates it was judged by."""

    submitted_on: date
    earliest: Earliest | None
    cutover_date: date | None
    address: AddressCheck | None
    icp_number: str | None = None  # normalized; None when not given
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def refuse(self, field_name: str, message: str) -> None:
        self.errors.setdefault(field_name, []).append(message)


def assess(
    request: ChangeRequest,
    *,
    submitted_at: datetime,
    live_url: str | None,
    calendar: WorkingDayCalendar,
    max_days_ahead: int,
    attachments: int = 0,
) -> Assessment:
    """Judge a request submitted at a moment, against the live address and the calendar.

    ``attachments`` is how many documents the ticket will carry (an emergency needs one).
    """
    submitted_on = local_date(submitted_at)
    try:
        earliest = calendar.earliest_cutover(submitted_on)
    except CalendarRangeError:
        earliest = None
    verdict = Assessment(submitted_on, earliest, parse_date(request.cutover_date), None)
    _check_texts(request, verdict)
    _check_address(request, live_url, verdict)
    _check_icp(request, verdict)
    if request.emergency and attachments < 1:
        verdict.refuse("attachments", "紧急变更须上传至少一个附件：申请紧急变更的盖章公函。")
    _check_cutover(request, calendar, max_days_ahead, verdict)
    if request.emergency:
        verdict.warnings.append({"code": "emergency", "message": "紧急变更：不受 10 个工作日提前报送要求限制，须经部监管司批准。"})
    if earliest is not None and earliest.provisional and not request.emergency:
        verdict.warnings.append(
            {
                "code": "provisional",
                "message": "最早切换日期涉及尚未公布节假日安排的年份，按法定节假日推算，仅供参考。",
            }
        )
    return verdict


def _check_texts(request: ChangeRequest, verdict: Assessment) -> None:
    if not request.service:
        verdict.refuse("service", "请选择业务事项。")
    if len(request.reason) < MIN_REASON_LENGTH:
        verdict.refuse("reason", f"请填写变更原因（至少 {MIN_REASON_LENGTH} 个字）。")
    if not request.contact_name:
        verdict.refuse("contact_name", "请填写联系人姓名。")
    elif len(request.contact_name) > 64:
        verdict.refuse("contact_name", "联系人姓名不能超过 64 个字符。")
    if not request.contact_phone:
        verdict.refuse("contact_phone", "请填写联系电话。")
    elif not PHONE.match(request.contact_phone):
        verdict.refuse("contact_phone", "联系电话格式不正确，请填写手机号或带区号的固定电话，例如 0371-12345678。")
    if request.emergency and len(request.emergency_reason) < MIN_REASON_LENGTH:
        verdict.refuse("emergency_reason", "紧急变更必须填写书面理由。")
    for name in ("reason", "http_justification", "emergency_reason"):
        if len(getattr(request, name)) > MAX_TEXT_LENGTH:
            verdict.refuse(name, f"内容不能超过 {MAX_TEXT_LENGTH} 个字。")


def _check_address(request: ChangeRequest, live_url: str | None, verdict: Assessment) -> None:
    check = check_address(request.new_url, live_url=live_url, http_justification=request.http_justification)
    verdict.address = check
    for name, messages in check.errors.items():
        for message in messages:
            verdict.refuse(name, message)
    verdict.warnings.extend({"code": w.code, "message": w.message} for w in check.warnings)


def _check_icp(request: ChangeRequest, verdict: Assessment) -> None:
    """The ICP filing number: well formed when given; required when the host changes or is not
    a government one, since reviewers must check whose the new host is."""
    number = normalize_icp(request.icp_number)
    check = verdict.address
    if number:
        problem = icp_problem(number)
        if problem:
            verdict.refuse("icp_number", problem)
            return
        verdict.icp_number = number
    elif check.ok and (check.host_changed or not check.government_host):
        why = "新地址的域名与当前在用地址不同" if check.host_changed else "新地址不在 .gov.cn 政务域名下"
        verdict.refuse(
            "icp_number", f"{why}，请填写该域名的 ICP 备案号（例如 豫ICP备12345678号-1），以便审核人员核实域名归属于本中心或其主管部门。"
        )
    for warning in verdict.warnings:
        if warning["code"] == "host_changed":
            warning["message"] += f"已填写 ICP 备案号 {number}。" if verdict.icp_number else "未填写 ICP 备案号。"


def _check_cutover(request, calendar: WorkingDayCalendar, max_days_ahead: int, verdict: Assessment) -> None:
    cutover, submitted_on, earliest = verdict.cutover_date, verdict.submitted_on, verdict.earliest
    if request.cutover_date in (None, ""):
        verdict.refuse("cutover_date", "请选择计划切换日期。")
        return
    if cutover is None:
        verdict.refuse("cutover_date", "日期格式不正确，应为 YYYY-MM-DD，例如 2026-12-11。")
        return
    latest = submitted_on + timedelta(days=max_days_ahead)
    if cutover > latest:
        verdict.refuse("cutover_date", f"计划切换日期不能晚于提交后 {max_days_ahead} 天（{latest.isoformat()}）。")
        return
    if cutover < submitted_on:
        verdict.refuse("cutover_date", "计划切换日期不能早于今天。")
        return
    if not calendar.is_working_day(cutover):
        verdict.refuse("cutover_date", f"{cutover.isoformat()} 不是工作日（法定节假日或周末），请选择工作日切换。")
        return
    if request.emergency or earliest is None:
        return
    if cutover < earliest.earliest_cutover:
        verdict.refuse(
            "cutover_date",
            f"须提前 {calendar.lead_days} 个工作日报送：今天（{submitted_on.isoformat()}）提交，"
            f"最早可在 {earliest.earliest_cutover.isoformat()} 切换。",
        )
