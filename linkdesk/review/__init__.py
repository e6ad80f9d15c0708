"""Reviewers' pages: the queue of tickets at their stage, and decisions."""
from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

from . import views  # noqa: F401
