"""Review waits kept as weekly running histograms (``review_wait_week``), written by the decision
that adds a wait (``figures.decided``) and read by the 总览 (``overview.review_waits`` says how a
period's median is taken from them, issue 23).

A wait (``ReviewDecision.waited_seconds``) falls in a **bucket**: 16 per doubling from one minute,
each about 4.4 % wide; waits under a minute share bucket -1. Each row holds, for one province and
stage, the running totals over the buckets of every decision up to the Sunday ending its week
(Beijing days). A decision adds itself to its week's row, started from the latest earlier row when
it is the first of its week.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import ReviewDecision, ReviewStage, ReviewWaitWeek
from ..workdays.calendar import local_date

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


def week_of(day: date) -> date:
    """The Monday that starts the week of ``day`` (the trends' weeks too)."""
    return day - timedelta(days=day.weekday())


def add(connection, added: dict[tuple[int, ReviewStage, date], list[float]]) -> None:
    """Add waits to the row of their week, and to any later week's row (only a decision dated in
    the past has those: the rebuild's, or a test's)."""
    table = ReviewWaitWeek.__table__
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    for (province_id, stage, week), waits in sorted(added.items()):  # one order: no deadlock between writers
        group = (table.c.province_id == province_id) & (table.c.stage == stage)
        if connection.scalar(select(table.c.week).where(group, table.c.week == week)) is None:
            earlier = connection.scalar(select(table.c.waits).where(group, table.c.week < week).order_by(table.c.week.desc()).limit(1))
            connection.execute(
                insert(table)
                .values(province_id=province_id, stage=stage, week=week, waits=earlier or EMPTY.stored())
                .on_conflict_do_nothing()
            )
        more = Waits.of(waits)
        rows = connection.execute(select(table.c.week, table.c.waits).where(group, table.c.week >= week).with_for_update()).all()
        for later, stored in rows:
            connection.execute(table.update().where(group, table.c.week == later).values(waits=Waits.loaded(stored).plus(more).stored()))


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
        select(ReviewDecision.province_id, ReviewDecision.stage, ReviewDecision.decided_at, ReviewDecision.waited_seconds).where(
            ReviewDecision.waited_seconds.is_not(None)
        )
    ).all()
    rows = weekly_rows((province_id, stage.value, at, waited) for province_id, stage, at, waited in decided)
    if rows:
        db.session.execute(ReviewWaitWeek.__table__.insert(), rows)
