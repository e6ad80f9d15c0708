"""Error pages in Chinese for people, JSON for the API — never a traceback."""

from typing import NoReturn

from flask import current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from ..extensions import db
from ..service import outages
from ..tickets.errors import Conflict

MESSAGES = {
    400: "请求无效。",
    401: "请先登录。",
    403: "您没有权限访问此页面。",
    404: "找不到该页面或对象，或您无权查看。",
    405: "不支持此请求方法。",
    409: "该对象已被他人修改，请刷新后重试。",
    413: "提交的内容过大。",
    422: "提交的内容有误。",
    429: "请求过于频繁，请稍后再试。",
    500: "服务器内部错误，请稍后再试；如果问题持续，请联系系统管理员。",
    503: outages.OutageKind.UNREACHABLE.message,
}


def wants_json() -> bool:
    """API paths always answer JSON."""
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, **extra):
    """A JSON or HTML error with a Chinese message."""
    message = message or MESSAGES.get(status, "请求无法处理。")
    if wants_json():
        response = jsonify({"error": message, "status": status, **extra})
        response.status_code = status
        return response
    return render_template("error.html", status=status, message=message), status


def abort_with(status: int, message: str) -> NoReturn:
    """Stop the request with this status and a Chinese message (a page, or JSON under /api/)."""
    error = default_exceptions[status]()
    error.description_zh = message
    raise error


def init_app(app) -> None:
    """Register the handlers for every HTTP error, CSRF failures and unexpected exceptions."""

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return error_response(400, "表单已过期或来源无效，请刷新页面后重新提交。")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        message = getattr(error, "description_zh", None)
        if error.code == 413:
            message = _too_large_message(app.config)
        response = error_response(error.code, message)
        if error.code == 401 and wants_json():
            response.headers["WWW-Authenticate"] = 'Bearer realm="linkdesk"'
        if error.code == 405 and error.valid_methods:
            response = _with_allow(response, error.valid_methods)
        return response

    @app.errorhandler(StaleDataError)
    def lost_race(error: StaleDataError):
        # A concurrent writer changed the row first (version check); nothing of ours was kept.
        db.session.rollback()
        return error_response(409, Conflict.MESSAGE)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        _roll_back()
        kind = outages.classify(error)
        if kind is not None:  # the database is away, busy, read-only or full: not a bug of ours
            outages.of(current_app).failed(kind, error, f"{request.method} {request.endpoint or '(no route)'}")
            return outage_response(kind)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(InternalServerError.code)


def outage_response(kind: outages.OutageKind):
    """503 with ``Retry-After``: JSON under /api/, else a page that needs no database (the base
    layout would ask it for the signed-in user and their unread messages)."""
    if wants_json():
        response = error_response(503, kind.message)
    else:
        # Rendered without the context processors: they would ask the database for the user's inbox.
        page = current_app.jinja_env.get_template("outage.html").render(message=kind.message)
        response = current_app.make_response((page, 503))
    response.headers["Retry-After"] = str(outages.RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _roll_back() -> None:
    # Nothing of the failed request is kept; a connection the database dropped is given up
    # rather than rolled back (which would fail again), so the next request starts afresh.
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.invalidate()


def _too_large_message(config) -> str:
    limit = config["LINKDESK_ATTACHMENT_MAX_BYTES"] // (1024 * 1024)
    most = config["LINKDESK_ATTACHMENTS_PER_TICKET"]
    return f"提交的内容过大，没有保存。每个附件不超过 {limit} MB，每个工单最多 {most} 个附件；请压缩或拆分文件后重新提交。"


def _with_allow(response, methods):
    if isinstance(response, tuple):
        body, status = response
        return body, status, {"Allow": ", ".join(methods)}
    response.headers["Allow"] = ", ".join(methods)
    return response
