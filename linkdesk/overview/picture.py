"""The whole overview in one JSON-able mapping: the page, its charts, the API and the export
read the same thing, so their numbers agree."""

from dataclasses import dataclass
from datetime import date, timedelta

from ..cutovers.schedule import RangeError, parse_range
from ..models import User
from ..workdays.calendar import FIRST_DAY, LAST_DAY, WorkingDayCalendar
from .provinces import OPEN_COLUMNS, OPEN_LABELS, Horizon, ProvinceRow, province_table, totals
from .trends import trends

DEFAULT_PERIOD_DAYS = 12 * 7  # trends default to the last twelve weeks


@dataclass(frozen=True)
class Period:
    first: date
    last: date


def parse_period(first: str | None, last: str | None, today: date) -> Period:
    """The trends' period from query strings; RangeError (Chinese) when malformed or too long."""
    default_last = last or today.isoformat()
    if not first:
        try:
            first = (date.fromisoformat(default_last) - timedelta(days=DEFAULT_PERIOD_DAYS - 1)).isoformat()
        except (ValueError, OverflowError):
            first = None  # parse_range names the bad date
    start, end = parse_range(first or default_last, default_last, today=today)
    if start < FIRST_DAY or end > LAST_DAY:
        raise RangeError(f"时段应在 {FIRST_DAY.isoformat()} 至 {LAST_DAY.isoformat()} 之间。")
    return Period(start, end)


def national_picture(user: User, today: date, period: Period, calendar: WorkingDayCalendar) -> dict:
    """Provinces, totals and trends in the user's scope."""
    horizon = Horizon.on(today, calendar)
    rows = province_table(user, horizon)
    return {
        "today": today.isoformat(),
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "upcoming_until": horizon.upcoming_until.isoformat(),
        "review_cutoff": horizon.review_cutoff.date().isoformat(),
        "open_columns": [{"code": code, "label": OPEN_LABELS[code]} for code in OPEN_COLUMNS],
        "provinces": [row.as_dict() for row in rows],
        "totals": totals(rows).as_dict(),
        "trends": trends(user, period.first, period.last),
    }


def rows_of(picture: dict) -> tuple[list[ProvinceRow], ProvinceRow]:
    """The table's rows back from the mapping (the export writes exactly what the page shows)."""

    def row(data: dict) -> ProvinceRow:
        fields = {key: value for key, value in data.items() if key not in ("coverage", "http_share")}
        return ProvinceRow(**fields)

    return [row(data) for data in picture["provinces"]], row(picture["totals"])


__all__ = ["Period", "RangeError", "national_picture", "parse_period", "rows_of"]
