"""Trends over a period (placeholder until filled in below)."""
from datetime import date

from ..models import User


def trends(user: User, first: date, last: date) -> dict:
    return {}
