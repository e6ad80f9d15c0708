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
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, event, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..accounts.access import province_clause
from ..extensions import db
from ..models import Province, ReviewDecision, ReviewStage, ReviewWaitWeek, User
from ..workdays.calendar import BEIJING, local_date

BUCKETS_PER_DOUBLING = 16
SHORTEST = 60.0  # seconds: the lower edge of bucket 0


def bucket(seconds: float) -> int:
    """The bucket of a wait: 16 per doubling from one minute; -1 below a minute."""
    if seconds < SHORTEST:
        return -1
    return math.floor(BUCKETS_PER_DOUBLING * math.log2(seconds / SHORTEST))


@dataclass(frozen=True)
class Waits:
    """A histogram of waits, as running totals over its buckets: ``counts[i]`` decisions waited
    ``milliseconds[i]`` in all in the buckets ``first`` to ``first + i``. Stored as it is, in JSON;
    the running totals let a period's median be found by bisection, without a pass over every
    bucket of every province."""
    first: int = 0
    counts: tuple[int, ...] = ()
    milliseconds: tuple[int, ...] = ()

    @classmethod
    def of(cls, waits: Sequence[float]) -> "Waits":
        if not waits:
            return EMPTY
        by_bucket: dict[int, list] = defaultdict(lambda: [0, 0])
        for seconds in waits:
            tally = by_bucket[bucket(seconds)]
            tally[0] += 1
            tally[1] += round(seconds * 1000)
        return cls._running(by_bucket)

    @classmethod
    def _running(cls, by_bucket: dict[int, list]) -> "Waits":
        keys = [key for key, (count, _) in by_bucket.items() if count]
        if not keys:
            return EMPTY
        first, last = min(keys), max(keys)
        counts, milliseconds, count, total = [], [], 0, 0
        for key in range(first, last + 1):
            more_count, more_total = by_bucket.get(key, (0, 0))
            count, total = count + more_count, total + more_total
            counts.append(count)
            milliseconds.append(total)
        return cls(first, tuple(counts), tuple(milliseconds))

    @classmethod
    def loaded(cls, stored: dict | None) -> "Waits":
        if not stored:
            return EMPTY
        return cls(stored["first"], tuple(stored["counts"]), tuple(stored["milliseconds"]))

    def stored(self) -> dict:
        return {"first": self.first, "counts": list(self.counts), "milliseconds": list(self.milliseconds)}

    def upto(self, key: int) -> tuple[int, int]:
        """(decisions, milliseconds) in the buckets up to ``key``."""
        index = min(key - self.first, len(self.counts) - 1)
        return (self.counts[index], self.milliseconds[index]) if index >= 0 else (0, 0)

    def plus(self, other: "Waits") -> "Waits":
        by_bucket: dict[int, list] = defaultdict(lambda: [0, 0])
        for waits in (self, other):
            for key in range(waits.first, waits.first + len(waits.counts)):
                count, total = waits.upto(key)
                before_count, before_total = waits.upto(key - 1)
                by_bucket[key][0] += count - before_count
                by_bucket[key][1] += total - before_total
        return self._running(by_bucket)


EMPTY = Waits()


class PeriodWaits:
    """The waits of a period as a sum of histograms, each added or taken away (``terms``)."""

    def __init__(self, terms: Iterable[tuple[Waits, int]]):
        self.terms = [(waits, sign) for waits, sign in terms if waits.counts]
        self._keys = (min((waits.first for waits, _ in self.terms), default=0),
                      max((waits.first + len(waits.counts) - 1 for waits, _ in self.terms), default=0))
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


def week_of(day: date) -> date:
    """The Monday that starts the week of ``day`` (the trends' weeks too)."""
    return day - timedelta(days=day.weekday())


# -- Writing ------------------------------------------------------------------------------------

@event.listens_for(Session, "after_flush")
def _record_decisions(session: Session, _context) -> None:
    """Add this flush's decisions to their weeks' rows."""
    added: dict[tuple[int, ReviewStage, date], list[float]] = defaultdict(list)
    for row in session.new:
        if isinstance(row, ReviewDecision) and row.waited_seconds is not None:
            added[(row.province_id, row.stage, week_of(local_date(row.decided_at)))].append(row.waited_seconds)
    if added:
        _add(session.connection(), added)


def _add(connection, added: dict[tuple[int, ReviewStage, date], list[float]]) -> None:
    """Add waits to the row of their week, and to any later week's row (only a decision dated in
    the past has those: the rebuild's, or a test's)."""
    table = ReviewWaitWeek.__table__
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    for (province_id, stage, week), waits in sorted(added.items()):  # one order: no deadlock between writers
        group = (table.c.province_id == province_id) & (table.c.stage == stage)
        if connection.scalar(select(table.c.week).where(group, table.c.week == week)) is None:
            earlier = connection.scalar(
                select(table.c.waits).where(group, table.c.week < week).order_by(table.c.week.desc()).limit(1))
            connection.execute(insert(table).values(province_id=province_id, stage=stage, week=week,
                                                    waits=earlier or EMPTY.stored()).on_conflict_do_nothing())
        more = Waits.of(waits)
        rows = connection.execute(
            select(table.c.week, table.c.waits).where(group, table.c.week >= week).with_for_update()).all()
        for later, stored in rows:
            connection.execute(table.update().where(group, table.c.week == later)
                               .values(waits=Waits.loaded(stored).plus(more).stored()))


def weekly_rows(decided: Iterable[tuple[int, str, datetime, float]]) -> list[dict]:
    """The rows of ``review_wait_week`` for these decisions ((province id, stage, decided at,
    waited seconds), in any order): the rebuild's and migration 0016's."""
    by_week: dict[tuple[int, str], dict[date, list[float]]] = defaultdict(lambda: defaultdict(list))
    for province_id, stage, decided_at, waited in decided:
        by_week[(province_id, str(stage))][week_of(local_date(decided_at))].append(waited)
    rows = []
    for (province_id, stage), weeks in sorted(by_week.items()):
        running = EMPTY
        for week in sorted(weeks):
            running = running.plus(Waits.of(weeks[week]))
            rows.append({"province_id": province_id, "stage": stage, "week": week, "waits": running.stored()})
    return rows


def missing() -> bool:
    """True when decisions hold waits but no week row counts them (a database just upgraded past
    migration 0016, which creates the table and leaves the counting to ``init-db``)."""
    if db.session.scalar(select(ReviewWaitWeek.province_id).limit(1)) is not None:
        return False
    return db.session.scalar(select(ReviewDecision.id).where(ReviewDecision.waited_seconds.is_not(None)).limit(1)) is not None


def rebuild() -> None:
    """Count every decision's wait again (after decisions were written around the ORM)."""
    db.session.execute(ReviewWaitWeek.__table__.delete())
    decided = db.session.execute(
        select(ReviewDecision.province_id, ReviewDecision.stage, ReviewDecision.decided_at,
               ReviewDecision.waited_seconds).where(ReviewDecision.waited_seconds.is_not(None))
    ).all()
    rows = weekly_rows((province_id, stage.value, at, waited) for province_id, stage, at, waited in decided)
    if rows:
        db.session.execute(ReviewWaitWeek.__table__.insert(), rows)


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
        return (select(ReviewWaitWeek.waits)
                .where(ReviewWaitWeek.province_id == province_id, ReviewWaitWeek.stage == stage, newest)
                .order_by(ReviewWaitWeek.week.desc()).limit(1).scalar_subquery())

    def window(self):
        return (ReviewDecision.decided_at >= self.start) & (ReviewDecision.decided_at < self.end)


def waits_in_period(user: User, first: date, last: date) -> list[tuple[tuple, ReviewStage, PeriodWaits]]:
    """Per province in the user's scope and stage, the waits of the decisions taken in
    [first, last]: ((code, name, short name, kind), stage, waits), groups without a decision left
    out. Two statements, neither of which reads more as the history grows."""
    ends = (_Through.day(last), _Through.day(first - timedelta(days=1)))
    stages = list(ReviewStage)
    provinces = db.session.execute(
        select(Province.id, Province.code, Province.name, Province.short_name, Province.kind,
               *(end.row(Province.id, stage) for end in ends for stage in stages))
        .where(province_clause(user, Province.id))
    ).all()
    recent = db.session.execute(
        select(ReviewDecision.province_id, ReviewDecision.stage, ReviewDecision.waited_seconds,
               *(case((end.window(), 1), else_=0) for end in ends))
        .where(province_clause(user, ReviewDecision.province_id), ReviewDecision.waited_seconds.is_not(None),
               or_(*(end.window() for end in ends)))
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
                for term in ((Waits.loaded(stored[index * len(stages) + position]), sign),
                             (Waits.of(near.get((province_id, stage, index), ())), sign * end.sign))
            )
            if period.decisions:
                result.append(((code, name, short_name, kind), stage, period))
    return result
