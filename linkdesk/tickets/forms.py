"""Ticket forms. They carry the CSRF token and re-display input; the rules are in filing.py."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, MultipleFileField, SelectField, StringField, TextAreaField

from ..web.query_args import ascii_int

ACCEPTED_FILES = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


class TicketForm(FlaskForm):
    service = SelectField("业务事项", choices=[], validate_choice=False)
    new_url = StringField("新链接地址", render_kw={"placeholder": "https://", "autocomplete": "off", "inputmode": "url"})
    cutover_date = StringField("计划切换日期")
    reason = TextAreaField("变更原因", render_kw={"rows": 3})
    http_justification = TextAreaField("使用 http 的书面理由", render_kw={"rows": 2})
    emergency = BooleanField("紧急变更（不受提前 10 个工作日限制，须部监管司批准）")
    emergency_reason = TextAreaField("紧急变更理由", render_kw={"rows": 2})
    contact_name = StringField("联系人")
    contact_phone = StringField("联系电话", render_kw={"inputmode": "tel"})
    icp_number = StringField("新域名的 ICP 备案号", render_kw={"placeholder": "豫ICP备12345678号-1", "autocomplete": "off"})
    attachments = MultipleFileField("附件（盖章公函、ICP 备案截图、新页面截图等）", render_kw={"accept": ACCEPTED_FILES})
    version = HiddenField()


class AttachmentForm(FlaskForm):
    """Add documents to a ticket from its page."""

    version = HiddenField()
    attachments = MultipleFileField("添加附件", render_kw={"accept": ACCEPTED_FILES})


class ActionForm(FlaskForm):
    """Withdraw, cancel or decide: a version and an optional comment."""

    version = HiddenField()
    comment = TextAreaField("意见", render_kw={"rows": 3})

    @property
    def version_number(self) -> int | None:
        return version_number(self.version.data)


def version_number(value: str | None) -> int | None:
    """The version a page was showing; None when missing or not a number (the workflow refuses it)."""
    return ascii_int(value, max_digits=9)


class BulkDecisionForm(FlaskForm):
    """批量审核 from the queue: the ticked rows ("id:version") are read from the request; one comment for all."""

    comment = TextAreaField("意见（退回时必填，对所选工单均适用）", render_kw={"rows": 2})
