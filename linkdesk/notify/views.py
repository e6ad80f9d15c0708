"""Admin pages for notifications: channels (keys never shown) and the outbox."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..accounts.access import roles_required
from ..accounts.forms import ActiveForm
from ..extensions import db
from ..models import MessageStatus, NotificationChannel, OutboxMessage, Role
from .events import ChannelError, add_channel, mask, remove_channel, scope_label
from .forms import ChannelForm
from .outbox import retry

bp = Blueprint("notify", __name__, url_prefix="/admin")


@bp.route("/channels", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def channels():
    form = ChannelForm()
    status = 200
    if form.validate_on_submit():
        try:
            channel = add_channel(form.kind.data, form.target.data, form.scope.data)
        except ChannelError as error:
            db.session.rollback()
            (form.scope if error.field == "scope" else form.target).errors.append(str(error))
            status = 422
        else:
            flash(f"已添加通知渠道（{scope_label(channel)}）。", "success")
            return redirect(url_for("notify.channels"))
    elif form.is_submitted():
        status = 422
    form.target.data = "" if form.kind.data == "wecom" else form.target.data  # a key never goes back out
    rows = [
        (channel, scope_label(channel), mask(channel))
        for channel in db.session.scalars(select(NotificationChannel).order_by(NotificationChannel.id))
    ]
    return render_template("notify/channels.html", form=form, rows=rows, button=ActiveForm()), status


@bp.post("/channels/<int:channel_id>/delete")
@roles_required(Role.ADMIN)
def delete_channel(channel_id: int):
    if not ActiveForm().validate_on_submit():
        abort(400)
    if not remove_channel(channel_id):
        abort(404)
    flash("通知渠道已删除。", "success")
    return redirect(url_for("notify.channels"))


@bp.get("/outbox")
@roles_required(Role.ADMIN)
def outbox():
    shown = request.args.get("status", "")
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
    if shown in {status.value for status in MessageStatus}:
        query = query.where(OutboxMessage.status == shown)
    messages = db.session.scalars(query).all()
    channels = {channel.id: (scope_label(channel), channel.kind.value) for channel in db.session.scalars(select(NotificationChannel))}
    return render_template(
        "notify/outbox.html", messages=messages, channels=channels, shown=shown, statuses=list(MessageStatus), button=ActiveForm()
    )


@bp.post("/outbox/<int:message_id>/retry")
@roles_required(Role.ADMIN)
def retry_message(message_id: int):
    if not ActiveForm().validate_on_submit():
        abort(400)
    flash("已重新排队发送。" if retry(message_id) else "该消息不是发送失败状态。", "success")
    return redirect(url_for("notify.outbox", status="failed"))
