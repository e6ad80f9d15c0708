"""站内消息 pages: every user's inbox, mark one or all read."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.access import login_required
from ..web.query_args import page_arg
from .inbox import mark_all_read, mark_read, messages_for

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


@bp.get("/")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    page = messages_for(current_user, unread_only=unread_only, page=page_arg(request.args))
    return render_template("notify/inbox.html", page=page, unread_only=unread_only)


@bp.post("/<int:message_id>/read")
@login_required
def read(message_id: int):
    """Mark read and go where the message points (or back to the inbox)."""
    message = mark_read(current_user, message_id) or abort(404)
    if request.form.get("open") == "1" and message.path:
        return redirect(message.path)
    return redirect(url_for("inbox.index", unread=request.args.get("unread")))


@bp.post("/read-all")
@login_required
def read_all():
    mark_all_read(current_user)
    return redirect(url_for("inbox.index"))
