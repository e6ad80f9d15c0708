"""Working-day schedules an admin imported; they take precedence over the shipped files."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class HolidaySchedule(db.Model):
    """One year's official holidays and make-up working days (调休), as imported."""

    __tablename__ = "holiday_schedule"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    holidays: Mapped[list] = mapped_column(JSON)  # ISO dates
    makeup_workdays: Mapped[list] = mapped_column(JSON)  # ISO dates
    periods: Mapped[list] = mapped_column(JSON, default=list)  # [name, first, last]
    source: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
