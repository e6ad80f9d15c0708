"""The link registry (链接台账): live addresses and their history, exports, the admin's first load."""
from flask import Blueprint

bp = Blueprint("registry", __name__, url_prefix="/links")

from . import views  # noqa: F401
