"""The 总览's median review times from weekly running histograms (overview.review_waits, issue 23):
against the exact median of the decisions, over periods that start and end on every weekday,
across Beijing midnights and year ends, with decisions written out of order, waits under a minute,
ties, and a province that decides nothing for weeks."""

import random
import statistics
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from linkdesk import create_app
from linkdesk.extensions import db
from linkdesk.models import AuditEvent, Decision, Province, ReviewStage, ReviewWaitWeek, Role, Ticket, TicketStatus
from linkdesk.overview import review_waits
from linkdesk.overview.review_waits import PeriodWaits, Waits, bucket
from linkdesk.overview.trends import review_medians
from linkdesk.tickets import figures, wait_weeks
from linkdesk.workdays.calendar import BEIJING, local_date
from tests.helpers import app_config, at_once, frozen

WIDTH = 2 ** (1 / review_waits.BUCKETS_PER_DOUBLING)  # one bucket: about 1.044


def test_buckets_are_a_sixteenth_of_a_doubling_from_one_minute():
    assert bucket(0) == bucket(59.9) == -1
    assert bucket(60) == 0
    assert bucket(120) == 16 and bucket(119.9) == 15
    assert bucket(83_300) == bucket(86_400) == 167 and bucket(86_900) == 168  # a day: 23.1 to 24.1 hours


def test_a_period_is_a_difference_of_running_totals():
    up_to_last = Waits.of([30, 3600, 3600, 7200, 86400])
    before_first = Waits.of([3600])
    period = PeriodWaits([(up_to_last, 1), (before_first, -1)])
    assert period.decisions == 4
    assert period.median_seconds() == (3600 + 7200) / 2  # each middle wait alone in its bucket (or tied)
    assert Waits.loaded(up_to_last.stored()) == up_to_last
    assert up_to_last.plus(before_first) == Waits.of([30, 3600, 3600, 3600, 7200, 86400])
    with pytest.raises(ValueError):
        PeriodWaits([(before_first, 1), (before_first, -1)]).median_seconds()


def _decided(make, count: int, seed: int) -> list[tuple]:
    """``count`` decisions on tickets of the first centers by code (several provinces and
    municipalities), each after its own move into the stage, decided over ten weeks around the
    year end, written in shuffled order (so later weeks' rows exist when earlier decisions
    arrive). Returns (province code, stage, decided at, wait in seconds) as the test planned them."""
    rng = random.Random(seed)
    reviewer = make.user(Role.MINISTRY_REVIEWER).user
    tickets = db.session.scalars(select(Ticket).where(Ticket.id.in_(make.tickets(count, date(2027, 3, 1))))).all()
    start = datetime(2026, 12, 7, tzinfo=BEIJING)
    plans = []
    for ticket in tickets:
        stage = rng.choice(list(ReviewStage))
        if rng.random() < 0.15:  # a tie, or a wait under a minute
            wait = rng.choice([3600.0, 36000.0, 12.5])
        else:
            wait = round(60 * 2 ** rng.uniform(0, 13), 3)  # a minute to about 6 days
        decided = start + timedelta(seconds=rng.uniform(0, 70 * 86400))
        if rng.random() < 0.3:  # a quarter of Beijing midnight: on either side of a day's edge
            decided = decided.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(seconds=rng.choice([-1, 0, 1]))
        plans.append((ticket, stage, decided.astimezone(UTC), wait))
    rng.shuffle(plans)
    for ticket, stage, decided, wait in plans:
        db.session.add(
            AuditEvent(
                ticket_id=ticket.id,
                actor_role="province_reviewer",
                action="forward",
                at=decided - timedelta(seconds=wait),
                to_status="pending",
                to_stage=stage.value,
            )
        )
        figures.decided(ticket, stage, Decision.APPROVE, reviewer, decided_at=decided)
        db.session.commit()
    return [(ticket.center.province.code, stage.value, decided, wait) for ticket, stage, decided, wait in plans]


def _periods() -> list[tuple[date, date]]:
    """Periods starting and ending on each weekday, single days, a week, the year end."""
    days = [date(2026, 12, 7) + timedelta(days=offset) for offset in range(-3, 75)]
    periods = [(first, first + timedelta(days=length)) for first in days[::5] for length in (0, 1, 3, 6, 13, 40)]
    return [*periods, (date(2026, 12, 28), date(2027, 1, 3)), (date(2027, 1, 1), date(2027, 1, 1)), (date(2026, 1, 1), date(2027, 12, 31))]


def test_medians_are_within_a_bucket_of_the_exact_median_and_counts_exact(app, make):
    decided = _decided(make, 400, seed=23)
    ministry = make.user(Role.MINISTRY_REVIEWER).user
    shown = alone = 0
    for first, last in _periods():
        exact: dict[tuple, list[float]] = {}
        for code, stage, at, wait in decided:
            if first <= local_date(at) <= last:
                exact.setdefault((code, stage), []).append(wait)
        rows = review_medians(ministry, first, last)
        assert {(row["province"], row["stage"]): row["decisions"] for row in rows} == {key: len(waits) for key, waits in exact.items()}, (
            first,
            last,
        )
        for row in rows:
            waits = sorted(exact[(row["province"], row["stage"])])
            median = statistics.median(waits) / 3600
            middle = waits[(len(waits) - 1) // 2 : len(waits) // 2 + 1]
            if all(sum(bucket(w) == bucket(m) for w in waits) == middle.count(m) for m in middle):
                assert row["median_hours"] == round(median, 1), (first, last, row)  # alone in its bucket: exact
                alone += 1
            else:
                assert median / WIDTH - 0.05 <= row["median_hours"] <= median * WIDTH + 0.05, (first, last, row, median)
            shown += 1
    assert shown > 150 and 0 < alone < shown  # both cases met


def test_kept_rows_equal_a_rebuild_from_the_decisions(app, make):
    _decided(make, 120, seed=7)

    def rows() -> dict:
        columns = (ReviewWaitWeek.province_id, ReviewWaitWeek.stage, ReviewWaitWeek.week, ReviewWaitWeek.waits)
        return {(province_id, stage, week): waits for province_id, stage, week, waits in db.session.execute(select(*columns))}

    kept = rows()
    wait_weeks.rebuild()
    rebuilt = rows()
    assert kept == rebuilt and len(kept) > 10
    # Each group's rows run on: every week's row counts more decisions than the one before.
    for (province_id, stage, week), waits in kept.items():
        earlier = [w for (p, s, k), w in kept.items() if (p, s) == (province_id, stage) and k < week]
        assert all(sum(w["counts"][-1:]) < waits["counts"][-1] for w in earlier)


def test_a_province_reviewer_gets_the_medians_of_the_province_only(app, make):
    decided = _decided(make, 60, seed=3)
    province = db.session.scalar(select(Province).where(Province.code == decided[0][0]))
    reviewer = make.user(Role.PROVINCE_REVIEWER, province=province.short_name).user
    rows = review_medians(reviewer, date(2026, 12, 1), date(2027, 2, 28))
    assert {row["province"] for row in rows} == {province.code}
    assert sum(row["decisions"] for row in rows) == sum(1 for code, *_ in decided if code == province.code)


def test_decisions_at_once_in_one_province_and_week_are_each_counted_once(database_url, make):
    """Six reviewers' decisions in one province, stage and week, from six apps (two worker
    processes each) at the same moment: the week's row counts all six, as a rebuild does."""
    ministry = make.user(Role.MINISTRY_REVIEWER)
    headers = {"Authorization": f"Bearer {make.token(ministry)}"}
    ids = make.tickets(13, date(2026, 12, 30), TicketStatus.PENDING)[-6:]  # 河北's centers, by code
    tickets = db.session.scalars(select(Ticket).where(Ticket.id.in_(ids))).all()
    assert len({ticket.center.province_id for ticket in tickets}) == 1
    for ticket in tickets:
        db.session.add(
            AuditEvent(
                ticket_id=ticket.id,
                actor_role="province_reviewer",
                action="forward",
                at=datetime(2026, 11, 26, 2, tzinfo=UTC),
                to_status="pending",
                to_stage="ministry",
            )
        )
    db.session.commit()
    versions = {ticket.id: ticket.version for ticket in tickets}
    db.session.remove()
    workers = [create_app(app_config(database_url)) for _ in ids]

    def decide(app, ticket_id):
        with app.app_context():
            try:
                return (
                    app.test_client()
                    .post(
                        f"/api/v1/tickets/{ticket_id}/decision",
                        headers=headers,
                        json={"decision": "return", "comment": "请补充说明", "version": versions[ticket_id]},
                    )
                    .status_code
                )
            finally:
                db.session.remove()
                db.engine.dispose()

    with frozen("2026-11-27 10:00:00+08:00"):
        codes = at_once(
            *[(lambda app=app, ticket_id=ticket_id: decide(app, ticket_id)) for app, ticket_id in zip(workers, ids, strict=True)]
        )
    assert codes == [200] * 6
    rows = db.session.execute(select(ReviewWaitWeek.week, ReviewWaitWeek.waits).where(ReviewWaitWeek.stage == ReviewStage.MINISTRY)).all()
    assert [(week, waits["counts"][-1]) for week, waits in rows] == [(date(2026, 11, 23), 6)]
    assert Waits.loaded(rows[0].waits) == Waits.of([24 * 3600.0] * 6)  # Thursday 10:00 to Friday 10:00 in Beijing


def test_init_db_counts_the_waits_into_an_empty_table(app, make, runner):
    """Migration 0016 only creates the table (a migration imports no application code): ``init-db``
    then counts the decisions' waits into it, once, and leaves kept rows alone afterwards."""
    _decided(make, 40, seed=11)
    columns = (ReviewWaitWeek.province_id, ReviewWaitWeek.stage, ReviewWaitWeek.week, ReviewWaitWeek.waits)

    def rows() -> dict:
        return {(province_id, stage, week): waits for province_id, stage, week, waits in db.session.execute(select(*columns))}

    kept = rows()
    db.session.execute(ReviewWaitWeek.__table__.delete())
    db.session.commit()
    assert wait_weeks.missing()
    db.session.commit()  # the command's migrations take the database on their own connection
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "重新统计审核等待时间" in result.output
    db.session.expire_all()
    assert rows() == kept and len(kept) > 5
    assert not wait_weeks.missing()
    db.session.commit()
    again = runner.invoke(args=["init-db"])
    assert again.exit_code == 0, again.output
    assert "重新统计" not in again.output
