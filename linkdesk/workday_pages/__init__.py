"""The working-day calendar (工作日历): a year page for everyone, imports for the admin."""
from flask import Blueprint

bp = Blueprint("workdays", __name__, url_prefix="/workdays")

from . import views  # noqa: F401
