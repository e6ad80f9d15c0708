"""The request class: a body limit that depends on what the request is for.

Ordinary pages and API calls take at most MAX_CONTENT_LENGTH; those that may carry
attachments take a full ticket's worth. The limit is decided from the matched endpoint before
anything reads the body (the CSRF check reads the form first), so an oversized upload is a
clean 413 — a Chinese page or JSON — and never a half-read request.
"""

from flask import Request as FlaskRequest
from flask import current_app

# Endpoints whose requests may carry files.
UPLOAD_ENDPOINTS = frozenset(
    {
        "tickets.new",
        "tickets.edit",
        "tickets.add_attachments",
        "api.create_ticket",
        "api.add_attachments",
    }
)


class Request(FlaskRequest):
    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and current_app and self.endpoint in UPLOAD_ENDPOINTS:
            from ..tickets.attachments import upload_request_limit

            return upload_request_limit(current_app.config)
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value
