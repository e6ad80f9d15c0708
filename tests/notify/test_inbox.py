"""站内消息 (issue 19): what the outbox sends to channels lands in each person's inbox too,
with no channel configured; the unread count in the menu; mark read; kept 180 days."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from linkdesk.extensions import db
from linkdesk.models import InboxMessage, NotificationChannel
from linkdesk.models.types import utcnow
from linkdesk.notify.inbox import purge, unread_count
from tests.factories import ticket_request
from tests.helpers import frozen


def _unread_in_menu(page: str) -> int:
    match = re.search(r'class="unread-count"[^>]*>(\d+)<', page)
    return int(match.group(1)) if match else 0


def _file_and_return(team):
    clerk, henan = team["zhengzhou"][0], team["henan"][0]
    ticket = clerk.post("/tickets", ticket_request(cutover_date="2026-12-11")).get_json()
    returned = henan.post(
        f"/tickets/{ticket['id']}/decision", {"decision": "return", "comment": "请补充备案号", "version": ticket["version"]}
    )
    assert returned.status_code == 200
    return ticket


def test_a_return_reaches_the_clerk_with_no_channel_and_the_count_falls_when_read(team, client, auth, make):
    clerk = team["zhengzhou"][1]
    with frozen():
        assert db.session.scalar(select(func.count()).select_from(NotificationChannel)) == 0
        ticket = _file_and_return(team)
        auth.login(clerk.username, clerk.password)
        home = client.get("/").get_data(as_text=True)
        assert _unread_in_menu(home) == 1
        inbox = client.get("/inbox/").get_data(as_text=True)
        assert "审核结果" in inbox and "退回修改" in inbox and "请补充备案号" in inbox
        [message] = db.session.scalars(select(InboxMessage).where(InboxMessage.user_id == clerk.user.id)).all()
        assert message.path == f"/tickets/{ticket['id']}"
        opened = client.post(f"/inbox/{message.id}/read", data={"open": "1"})
        assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/tickets/{ticket['id']}")
        assert _unread_in_menu(client.get("/").get_data(as_text=True)) == 0


def test_reviewers_hear_of_submissions_and_nobody_reads_anothers_messages(team, client, auth):
    henan, hubei, ministry = team["henan"][1], team["hubei"][1], team["ministry"][1]
    with frozen():
        _file_and_return(team)
        assert unread_count(henan.user) == 1  # 待审核 at the province stage
        assert unread_count(hubei.user) == 0 and unread_count(ministry.user) == 0
        theirs = db.session.scalar(select(InboxMessage.id).where(InboxMessage.user_id == henan.user.id))
        auth.login(hubei.username, hubei.password)
        assert client.post(f"/inbox/{theirs}/read").status_code == 404
        assert unread_count(henan.user) == 1


def test_mark_all_read_and_the_180_days(team, client, auth):
    clerk = team["zhengzhou"][1]
    with frozen():
        _file_and_return(team)
        auth.login(clerk.username, clerk.password)
        assert client.post("/inbox/read-all").status_code == 302
        assert unread_count(clerk.user) == 0
        old = InboxMessage(user_id=clerk.user.id, event="decided", subject="旧消息", body="", created_at=utcnow() - timedelta(days=181))
        db.session.add(old)
        db.session.commit()
        assert "旧消息" not in client.get("/inbox/").get_data(as_text=True)
        assert purge() == 1
