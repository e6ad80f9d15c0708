"""The overview's figures kept at write time (overview.rollups, issue 23) equal a straightforward
recomputation from the tickets, the audit trail and the decisions: filings on both sides of a
Beijing midnight, a ticket returned and resubmitted (its wait counts from the resubmission, its
submission day and minimum lead move), an edit while waiting (not a move into the stage), a
municipality (no province stage), a completion, and each scope."""

import statistics
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from linkdesk.cutovers.operations import apply_due
from linkdesk.extensions import db
from linkdesk.models import AuditEvent, Center, NationDayCount, Province, ReviewDecision, Ticket, TicketDayCount
from linkdesk.overview.provinces import annex_label
from linkdesk.tickets import figures
from linkdesk.workdays.calendar import local_date
from tests.factories import ticket_request
from tests.helpers import frozen

PERIOD = (date(2026, 11, 16), date(2026, 12, 31))
QUERY = f"/overview?from={PERIOD[0]}&to={PERIOD[1]}"


def earliest(api, day: str) -> str:
    return api.get(f"/workdays/earliest?submitted={day}").get_json()["earliest_cutover"]


def decide(api, ticket: dict, decision: str, comment: str | None = None) -> dict:
    response = api.post(
        f"/tickets/{ticket['id']}/decision",
        {"decision": decision, "version": ticket["version"], **({"comment": comment} if comment else {})},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def history(team):
    """The scenario, written through the API at frozen moments; returns the tickets by name."""
    zhengzhou, luoyang, beijing = team["zhengzhou"][0], team["luoyang"][0], team["beijing"][0]
    henan, ministry = team["henan"][0], team["ministry"][0]
    with frozen("2026-11-22 15:59:00+00:00"):  # Sunday 23:59 in Beijing: week of 2026-11-16
        a = zhengzhou.post("/tickets", ticket_request(cutover_date=earliest(zhengzhou, "2026-11-22"))).get_json()
    with frozen("2026-11-22 16:00:00+00:00"):  # Monday 00:00 in Beijing: week of 2026-11-23
        b = luoyang.post("/tickets", ticket_request(cutover_date="2026-12-30")).get_json()
    with frozen("2026-11-23 10:00:00+08:00"):
        a = decide(henan, a, "return", "请补充说明")
        b = luoyang.patch(f"/tickets/{b['id']}", {"reason": "服务器迁移到政务云（补充）", "version": b["version"]}).get_json()
    with frozen("2026-11-24 10:00:00+08:00"):
        b = decide(henan, b, "approve")  # 34 hours since filing, not 24 since the edit
        c = beijing.post("/tickets", ticket_request(cutover_date="2026-12-18")).get_json()
    with frozen("2026-11-25 10:00:00+08:00"):
        later = (date.fromisoformat(earliest(zhengzhou, "2026-11-25")) + timedelta(days=7)).isoformat()
        response = zhengzhou.post(f"/tickets/{a['id']}/resubmit", {"version": a["version"], "cutover_date": later})
        assert response.status_code == 200, response.get_json()
        a = response.get_json()
    with frozen("2026-11-25 15:00:00+08:00"):
        a = decide(henan, a, "approve")  # 5 hours since the resubmission
        c = decide(ministry, c, "reject", "地址不符合要求")  # a municipality: the ministry only
    with frozen("2026-11-26 09:30:00+08:00"):
        a = decide(ministry, a, "approve")
        b = decide(ministry, b, "return", "请核对切换日期")
    with frozen(f"{a['cutover_date']} 09:00:00+08:00"):
        assert [ticket.id for ticket in apply_due(date.fromisoformat(a["cutover_date"]))] == [a["id"]]
    return {"a": a, "b": b, "c": c}


def recomputed(province_id: int | None) -> dict:
    """The trends from the raw rows, in Python, the plain way (``province_id`` None: the nation)."""
    first, last = PERIOD
    centers = dict(db.session.execute(select(Center.id, Center.province_id)).all())
    tickets = {ticket.id: ticket for ticket in db.session.scalars(select(Ticket))}
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()

    def visible(ticket_id: int) -> bool:
        return province_id is None or centers[tickets[ticket_id].center_id] == province_id

    weeks = Counter()
    for event in events:
        day = local_date(event.at)
        if event.action in ("submit", "complete") and visible(event.ticket_id) and first <= day <= last:
            weeks[(day - timedelta(days=day.weekday()), event.action)] += 1
    submitted = [t for t in tickets.values() if visible(t.id) and first <= local_date(t.submitted_at) <= last]
    minimum = sum(1 for t in submitted if t.cutover_date <= t.earliest_cutover)
    waits: dict[tuple, list[float]] = {}
    provinces = {p.id: p for p in db.session.scalars(select(Province))}
    for decision in db.session.scalars(select(ReviewDecision)):
        if not visible(decision.ticket_id) or not first <= local_date(decision.decided_at) <= last:
            continue
        stage = decision.stage.value
        moves = [
            e.at
            for e in events
            if e.ticket_id == decision.ticket_id
            and e.at <= decision.decided_at
            and (e.to_status, e.to_stage) == ("pending", stage)
            and (e.from_status, e.from_stage) != ("pending", stage)
        ]
        province = provinces[centers[tickets[decision.ticket_id].center_id]]
        key = (province.code, annex_label(province), stage)
        waits.setdefault(key, []).append((decision.decided_at - max(moves)).total_seconds() / 3600)
    return {
        "weeks": {week: (weeks[(week, "submit")], weeks[(week, "complete")]) for week, _ in weeks},
        "review_hours": [
            {"province": code, "name": name, "stage": stage, "decisions": len(hours), "median_hours": round(statistics.median(hours), 1)}
            for (code, name, stage), hours in sorted(waits.items())
        ],
        "minimum_lead": (len(submitted), minimum),
    }


def shown(trends: dict) -> dict:
    """The trends of the JSON in the shape of ``recomputed`` (weeks with nothing left out)."""
    return {
        "weeks": {date.fromisoformat(w["week"]): (w["filed"], w["completed"]) for w in trends["weeks"] if w["filed"] or w["completed"]},
        "review_hours": trends["review_hours"],
        "minimum_lead": (trends["minimum_lead"]["filed"], trends["minimum_lead"]["minimum_lead"]),
    }


def test_the_kept_figures_equal_a_recomputation_in_every_scope(history, team, make):
    with frozen("2027-01-04 10:00:00+08:00"):
        views = {name: team[name][0].get(QUERY).get_json()["trends"] for name in ("ministry", "henan", "hubei")}
    provinces = {
        name: db.session.scalar(select(Province.id).where(Province.short_name == short))
        for name, short in (("henan", "河南"), ("hubei", "湖北"))
    }
    assert shown(views["ministry"]) == recomputed(None)
    assert shown(views["henan"]) == recomputed(provinces["henan"])
    assert shown(views["hubei"]) == recomputed(provinces["hubei"]) == {"weeks": {}, "review_hours": [], "minimum_lead": (0, 0)}
    national = shown(views["ministry"])
    # Sunday 23:59 and Monday 00:00 in Beijing fall in two weeks; the completion in its own.
    assert national["weeks"][date(2026, 11, 16)] == (1, 0)
    assert national["weeks"][date(2026, 11, 23)] == (2, 0)
    assert sum(completed for _, completed in national["weeks"].values()) == 1
    # 郑州's ticket moved to its resubmission day and no longer asks for E(D); 洛阳's and 北京's never did.
    assert national["minimum_lead"] == (3, 0)
    assert [(row["name"], row["stage"], row["decisions"]) for row in national["review_hours"]] == [
        ("北京市", "ministry", 1),
        ("河南", "ministry", 2),
        ("河南", "province", 3),
    ]


def test_each_decision_keeps_its_wait_since_the_latest_move_into_the_stage(history):
    waits = {(d.ticket_id, d.stage.value, d.decision.value): d.waited_seconds / 3600 for d in db.session.scalars(select(ReviewDecision))}
    a, b, c = (history[name]["id"] for name in "abc")
    assert waits[(a, "province", "return")] == pytest.approx(10 + 1 / 60)  # from Sunday 23:59
    assert waits[(a, "province", "approve")] == 5  # from the resubmission, not the first filing
    assert waits[(b, "province", "approve")] == 34  # the edit while waiting was not a move
    assert waits[(a, "ministry", "approve")] == pytest.approx(18.5)
    assert waits[(c, "ministry", "reject")] == 29


def test_rebuilding_the_figures_from_the_history_changes_nothing_and_the_nation_sums_the_provinces(history):
    def kept():
        days = db.session.execute(select(TicketDayCount).order_by(TicketDayCount.day, TicketDayCount.province_id))
        decisions = db.session.execute(
            select(ReviewDecision.id, ReviewDecision.province_id, ReviewDecision.waited_seconds).order_by(ReviewDecision.id)
        )
        nation = db.session.execute(select(NationDayCount).order_by(NationDayCount.day))
        return (
            [(d.day, d.province_id, d.filed, d.completed, d.submitted, d.minimum_lead) for (d,) in days],
            decisions.all(),
            [(n.day, n.filed, n.completed, n.submitted, n.minimum_lead) for (n,) in nation],
        )

    before = kept()
    assert before[0] and before[1]
    sums: dict[date, Counter] = {}
    for day, _, *counts in before[0]:
        sums.setdefault(day, Counter()).update(dict(enumerate(counts)))
    # The nation's row of each day is the sum of its provinces' rows (after moves from day to day).
    assert before[2] == [(day, *(sums[day][index] for index in range(4))) for day in sorted(sums)]
    figures.rebuild()
    db.session.commit()
    assert kept() == before
