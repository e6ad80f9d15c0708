"""Review waits kept as weekly running histograms, so that the 总览's median review time over any
period reads a bounded number of rows, whatever the number of decisions (issue 23).

A wait (``ReviewDecision.waited_seconds``) falls in a **bucket**: 16 per doubling from one minute,
each about 4.4 % wide (24.0 to 25.1 hours, say); waits under a minute share bucket -1. Each row of
``review_wait_week`` holds, for one province and stage, the count and the sum of the waits in each
bucket (as running totals over the buckets, see ``Waits``) of every decision up to the Sunday ending
its week (Beijing days). A decision adds itself to its week's row, started from the latest
earlier row when it is the first of its week.

**A period's waits** are those up to its last day minus those up to the day before its first.
The waits up to a day D are a week row plus or minus the decisions of D's own week on one side
of D, read from ``review_decision``: up to D's Sunday minus the days after D, or up to the Sunday
before minus the days from Monday to D, whichever side is shorter (at most three days of
decisions). A week with no decision of a province and stage has no row, and the latest earlier
row then stands for it.

**The median** is the mean of the waits in the bucket that holds the middle decision (for an even
count, the mean of that for the two middle ones). It is exact when the middle decision is alone in
its bucket in the period, as it mostly is in a province's few decisions; otherwise it lies within
that bucket, 4.4 % of the wait. The number of decisions is always exact.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, or_, select

from ..accounts.access import province_clause
from ..extensions import db
from ..models import Province, ReviewDecision, ReviewStage, ReviewWaitWeek, User
from ..tickets.wait_weeks import (  # noqa: F401  (the histogram and its writing live with the decisions)
    BUCKETS_PER_DOUBLING,
    EMPTY,
    SHORTEST,
    Waits,
    bucket,
    week_of,
)
from ..workdays.calendar import BEIJING


class PeriodWaits:
    """The waits of a period as a sum of histograms, each added or taken away (``terms``)."""

    def __init__(self, terms: Iterable[tuple[Waits, int]]):
        self.terms = [(waits, sign) for waits, sign in terms if waits.counts]
        self._keys = (
            min((waits.first for waits, _ in self.terms), default=0),
            max((waits.first + len(waits.counts) - 1 for waits, _ in self.terms), default=0),
        )
        self.decisions = self.upto(self._keys[1])[0]

    def upto(self, key: int) -> tuple[int, int]:
        count = total = 0
        for waits, sign in self.terms:
            more_count, more_total = waits.upto(key)
            count, total = count + sign * more_count, total + sign * more_total
        return count, total

    def median_seconds(self) -> float:
        """The median wait, as ``statistics.median`` would take it from the waits, each middle
        decision taken as the mean of its bucket (see the module's docstring)."""
        size = self.decisions
        if not size:
            raise ValueError("no decisions")
        return (self._mean_at((size + 1) // 2) + self._mean_at((size + 2) // 2)) / 2

    def _mean_at(self, rank: int) -> float:
        """The mean wait, in seconds, of the bucket holding the ``rank``-th shortest wait (1-based)."""
        low, high = self._keys
        while low < high:
            middle = (low + high) // 2
            if self.upto(middle)[0] >= rank:
                high = middle
            else:
                low = middle + 1
        count, total = self.upto(low)
        before_count, before_total = self.upto(low - 1)
        return (total - before_total) / (count - before_count) / 1000


# -- Reading ------------------------------------------------------------------------------------


def _instant(day: date) -> datetime:
    return datetime.combine(day, time.min, BEIJING)


@dataclass(frozen=True)
class _Through:
    """How the waits up to and including a day are read: the latest week row with ``week`` up to
    ``newest_week`` (``inclusive`` or not), plus ``sign`` times the decisions in [start, end)."""

    newest_week: date
    inclusive: bool
    start: datetime
    end: datetime
    sign: int

    @classmethod
    def day(cls, day: date) -> "_Through":
        """From the row of the day's own week back to the day (Thursday to Sunday), or from the
        week before's row on to the day (Monday to Wednesday): the side with fewer days to read."""
        monday, after = week_of(day), day + timedelta(days=1)
        if day.weekday() >= 3:
            return cls(monday, True, _instant(after), _instant(monday + timedelta(days=7)), -1)
        return cls(monday, False, _instant(monday), _instant(after), 1)

    def row(self, province_id, stage: ReviewStage):
        newest = ReviewWaitWeek.week <= self.newest_week if self.inclusive else ReviewWaitWeek.week < self.newest_week
        return (
            select(ReviewWaitWeek.waits)
            .where(ReviewWaitWeek.province_id == province_id, ReviewWaitWeek.stage == stage, newest)
            .order_by(ReviewWaitWeek.week.desc())
            .limit(1)
            .scalar_subquery()
        )

    def window(self):
        return (ReviewDecision.decided_at >= self.start) & (ReviewDecision.decided_at < self.end)


def waits_in_period(user: User, first: date, last: date) -> list[tuple[tuple, ReviewStage, PeriodWaits]]:
    """Per province in the user's scope and stage, the waits of the decisions taken in
    [first, last]: ((code, name, short name, kind), stage, waits), groups without a decision left
    out. Two statements, neither of which reads more as the history grows."""
    ends = (_Through.day(last), _Through.day(first - timedelta(days=1)))
    stages = list(ReviewStage)
    provinces = db.session.execute(
        select(
            Province.id,
            Province.code,
            Province.name,
            Province.short_name,
            Province.kind,
            *(end.row(Province.id, stage) for end in ends for stage in stages),
        ).where(province_clause(user, Province.id))
    ).all()
    recent = db.session.execute(
        select(
            ReviewDecision.province_id,
            ReviewDecision.stage,
            ReviewDecision.waited_seconds,
            *(case((end.window(), 1), else_=0) for end in ends),
        ).where(
            province_clause(user, ReviewDecision.province_id),
            ReviewDecision.waited_seconds.is_not(None),
            or_(*(end.window() for end in ends)),
        )
    ).all()
    near: dict[tuple[int, ReviewStage, int], list[float]] = defaultdict(list)
    for province_id, stage, waited, *within in recent:
        for index, inside in enumerate(within):
            if inside:
                near[(province_id, stage, index)].append(waited)
    result = []
    for province_id, code, name, short_name, kind, *stored in provinces:
        for position, stage in enumerate(stages):
            period = PeriodWaits(
                term
                for index, (end, sign) in enumerate(zip(ends, (1, -1), strict=True))
                for term in (
                    (Waits.loaded(stored[index * len(stages) + position]), sign),
                    (Waits.of(near.get((province_id, stage, index), ())), sign * end.sign),
                )
            )
            if period.decisions:
                result.append(((code, name, short_name, kind), stage, period))
    return result
