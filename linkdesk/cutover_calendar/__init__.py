"""The cutover calendar (切换日历): month and list views, CSV export, iCalendar feeds, and the
ministry's daily limit and blackout windows."""
from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

from . import views  # noqa: F401
