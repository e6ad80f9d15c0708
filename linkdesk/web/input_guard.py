"""What every request must be before a view reads it, and what every response carries.

- No control characters in any text a person or client sends (query, form, JSON, path): the
  database would store them (SQLite) or refuse them with an error (PostgreSQL refuses NUL).
  Tab, line feed and carriage return are text; the rest of C0 and DEL are not.
- A file input's part is a file: one whose name has a line break arrives without its header's
  ``filename`` (werkzeug reads the header as broken) and so as text under the input's name — the
  upload would be missed and the page would say no file was chosen. It is refused, saying why.
- JSON of a sane depth (Python's parser recurses: a body nested 1,000 deep is a RecursionError).
- ``<int:…>`` in routes matches only ASCII digits (``/tickets/１`` is a 404) and only numbers an
  INTEGER column holds; a larger one is a 404.
- Security headers on every response: no sniffing, no framing, a CSP without inline scripts.
"""

import re

from flask import abort, jsonify, request

from .errors import error_response, wants_json
from .query_args import AsciiIntegerConverter

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_JSON_DEPTH = 20
DATABASE_INT_MAX = 2**31 - 1  # PostgreSQL INTEGER; SQLite takes more, the same bound for both
# The names of the desk's file inputs, in its forms and its API (``file``).
FILE_INPUTS = frozenset({"attachments", "file", "schedule_file", "registry_file"})
UNNAMED_FILE = "上传的文件没有可识别的文件名：文件名中不能有换行等控制字符，请重命名文件后重新上传。"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
}


class DatabaseIdConverter(AsciiIntegerConverter):
    """The ``int`` converter: ASCII digits, bounded by the database's integer column (no route matches past it)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", DATABASE_INT_MAX)
        super().__init__(url_map, *args, **kwargs)


class BadInput(Exception):
    def __init__(self, status: int, field: str, message: str):
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


def check_text(field: str, value: str) -> None:
    """Refuse a text with control characters, naming the field."""
    if CONTROL_CHARACTERS.search(value):
        raise BadInput(422, field, "不能包含控制字符（如 NUL），请删除后重新提交。")


def check_json(value, depth: int = 0, field: str = "body") -> None:
    """Every key and string of a JSON value, at most MAX_JSON_DEPTH levels deep."""
    if depth > MAX_JSON_DEPTH:
        raise BadInput(400, "body", f"JSON 嵌套层数不能超过 {MAX_JSON_DEPTH}。")
    if isinstance(value, str):
        check_text(field, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(field if depth else "body", key)
            check_json(item, depth + 1, key if depth == 0 else field)
    elif isinstance(value, list):
        for item in value:
            check_json(item, depth + 1, field)


def _check_request() -> None:
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            abort(404)  # no object is named so
    if request.mimetype == "multipart/form-data":
        for field in FILE_INPUTS.intersection(request.form):
            if any(request.form.getlist(field)):
                raise BadInput(422, field, UNNAMED_FILE)
    for source in (request.args, request.form):
        for field, value in source.items(multi=True):
            # A multipart part may come with an empty name, which werkzeug reads as None.
            field = field if isinstance(field, str) else ""
            check_text(field or "body", field)
            check_text(field or "body", value if isinstance(value, str) else "")
    if request.is_json and request.content_length != 0:
        try:
            data = request.get_json(silent=True)
        except RecursionError:
            raise BadInput(400, "body", f"JSON 嵌套层数不能超过 {MAX_JSON_DEPTH}。") from None
        check_json(data)


def _refuse(error: BadInput):
    if wants_json():
        response = jsonify({"errors": {error.field: [error.message]}, "error": f"{error.field}：{error.message}", "status": error.status})
        response.status_code = error.status
        return response
    return error_response(error.status, f"“{error.field}”{error.message}")


def _guard():
    try:
        _check_request()
    except BadInput as error:
        return _refuse(error)
    return None


def _secure(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app) -> None:
    """Check every request before its view, and secure every response. Call before registering
    blueprints: a route binds its converters when it is added."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.before_request(_guard)
    app.after_request(_secure)
