"""Administration: users (and, in later issues, calendars, blackout windows, channels)."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import notifications, views  # noqa: F401
