"""The center clerk's pages: my tickets, file, edit and resubmit, withdraw, the ticket page."""
from flask import Blueprint

bp = Blueprint("tickets", __name__, url_prefix="/tickets")

from . import views  # noqa: F401
