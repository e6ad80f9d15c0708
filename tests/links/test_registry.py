"""Applying cutovers and the link registry (issue 7)."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from linkdesk.extensions import db
from linkdesk.models import AuditEvent, LinkRecord, LinkRevision, Role, Ticket, TicketStatus
from tests.cutovers.test_schedule import CUTOVER, file_and_approve
from tests.factories import ticket_request
from tests.helpers import frozen

REPO = Path(__file__).resolve().parents[2]
CUTOVER_MORNING = f"{CUTOVER} 06:00:00+08:00"  # when cron applies the day's cutovers


def registry_state():
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(LinkRevision)),
        sorted(db.session.execute(select(LinkRecord.center_id, LinkRecord.service_id, LinkRecord.url)).all()),
    )


class TestApplyCutovers:
    def test_due_ticket_becomes_live_once(self, runner, team):
        with frozen():
            approved = file_and_approve(team).get_json()
        with frozen(CUTOVER_MORNING):
            early = runner.invoke(args=["apply-cutovers", "--date", "2026-12-10"])
            assert "本次完成切换 0 个" in early.output
            first = runner.invoke(args=["apply-cutovers"])
            assert approved["number"] in first.output and "本次完成切换 1 个" in first.output
            after_first = registry_state()
            second = runner.invoke(args=["apply-cutovers"])
        assert "本次完成切换 0 个" in second.output
        assert registry_state() == after_first
        ticket = db.session.get(Ticket, approved["id"])
        assert ticket.status is TicketStatus.COMPLETED
        link = db.session.scalar(select(LinkRecord).where(LinkRecord.ticket_id == ticket.id))
        assert (link.url, link.effective_date) == (ticket.new_url, date(2026, 12, 11))

    def test_completed_ticket_frees_the_link_for_the_next_change(self, runner, team):
        with frozen():
            file_and_approve(team)
        with frozen(CUTOVER_MORNING):
            runner.invoke(args=["apply-cutovers"])
        with frozen("2026-12-14 09:00:00+08:00"):
            again = team["zhengzhou"][0].post(
                "/tickets", ticket_request(cutover_date="2026-12-28", new_url="https://gjj.example.gov.cn/info_query/v2")
            )
            assert again.status_code == 422  # same as the live address now
            third = team["zhengzhou"][0].post(
                "/tickets", ticket_request(cutover_date="2026-12-28", new_url="https://gjj.example.gov.cn/info_query/v3")
            )
        assert third.status_code == 201
        assert third.get_json()["old_url"] == "https://gjj.example.gov.cn/info_query/v2"

    def test_bad_date_is_a_clear_error(self, runner):
        result = runner.invoke(args=["apply-cutovers", "--date", "2026-02-30"])
        assert result.exit_code != 0 and "不是有效日期" in result.output

    def test_a_future_date_is_refused_and_nothing_goes_live_early(self, runner, team):
        with frozen():
            file_and_approve(team)
            before = registry_state()
            result = runner.invoke(args=["apply-cutovers", "--date", CUTOVER])
        assert result.exit_code != 0 and "还没到" in result.output
        assert registry_state() == before

    def test_two_processes_at_once_apply_each_ticket_exactly_once(self, app, make):
        # Real processes run on the real clock, which time-machine cannot reach: a day that is
        # already past for it (cron catching up), so that the future-date guard lets it through.
        past = date(2026, 11, 20)
        make.tickets(60, past)
        env = {
            **os.environ,
            "LINKDESK_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "LINKDESK_SECRET_KEY": "test-secret",
            "LINKDESK_PROBE_AFTER_CUTOVER": "0",
        }
        command = [sys.executable, "-m", "flask", "--app", "linkdesk", "apply-cutovers", "--date", past.isoformat()]
        runs = [subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [run.communicate(timeout=120) for run in runs]
        assert all(run.returncode == 0 for run in runs), outputs
        applied = [int(out.rsplit("本次完成切换 ", 1)[1].split(" ")[0]) for out, _ in outputs]
        assert sum(applied) == 60
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(LinkRevision)) == 60
        completions = db.session.execute(
            select(AuditEvent.ticket_id, func.count()).where(AuditEvent.action == "complete").group_by(AuditEvent.ticket_id)
        ).all()
        assert len(completions) == 60 and {count for _, count in completions} == {1}


GOOD_CSV = (
    "center_code,service_code,url,effective_date\n"
    "410100,info_query,https://gjj.zhengzhou.gov.cn/query,2025-06-01\n"
    "410300,info_query,http://www.lyzfgjj.cn/wsbs,2024-03-15\n"
)


class TestRegistryImport:
    def test_good_file_loads_and_loading_twice_changes_nothing(self, runner, tmp_path):
        path = tmp_path / "links.csv"
        path.write_text(GOOD_CSV, encoding="utf-8")
        first = runner.invoke(args=["registry", "import", str(path)])
        assert first.exit_code == 0 and "新增 2 条" in first.output
        state = registry_state()
        second = runner.invoke(args=["registry", "import", str(path)])
        assert "新增 0 条，更新 0 条" in second.output and registry_state() == state

    def test_bad_file_is_refused_whole_with_every_bad_row_named(self, runner, tmp_path):
        path = tmp_path / "links.csv"
        path.write_text(
            GOOD_CSV
            + "999999,info_query,https://x.gov.cn/,2025-01-01\n"  # 4: unknown center
            + "410100,no_such_service,https://x.gov.cn/,2025-01-01\n"  # 5: unknown service
            + "410200,info_query,https://10.0.0.1/,2025-01-01\n"  # 6: private address
            + "410100,info_query,https://gjj.zhengzhou.gov.cn/other,2025-01-01\n"  # 7: duplicate of row 2
            + "410200,transfer,https://kf.gov.cn/,2025-13-01\n",  # 8: bad date
            encoding="utf-8",
        )
        result = runner.invoke(args=["registry", "import", str(path)])
        assert result.exit_code != 0 and "未导入任何一行" in result.output
        for row, words in {4: "999999", 5: "no_such_service", 6: "地址无效", 7: "与第 2 行重复", 8: "生效日期"}.items():
            assert f"第 {row} 行" in result.output and words in result.output, row
        assert "第 2 行" not in result.output.replace("与第 2 行重复", "")
        assert registry_state() == (0, [])

    def test_admin_page_shows_every_problem_and_loads_nothing(self, client, auth, make):
        admin = make.user(Role.ADMIN)
        auth.login(admin.username, admin.password)
        from io import BytesIO

        bad = client.post(
            "/links/import",
            data={
                "registry_file": (BytesIO((GOOD_CSV + "999999,info_query,https://x.gov.cn/,2025-01-01\n").encode()), "l.csv"),
            },
            content_type="multipart/form-data",
        )
        assert bad.status_code == 422 and "第 4 行" in bad.get_data(as_text=True)
        assert registry_state() == (0, [])
        good = client.post(
            "/links/import", data={"registry_file": (BytesIO(GOOD_CSV.encode()), "l.csv")}, content_type="multipart/form-data"
        )
        assert good.status_code == 302


class TestRegistryViews:
    def _load(self, runner, tmp_path):
        path = tmp_path / "links.csv"
        path.write_text(GOOD_CSV, encoding="utf-8")
        runner.invoke(args=["registry", "import", str(path)])

    def test_links_are_scoped_like_the_calendar(self, runner, tmp_path, api_as):
        self._load(runner, tmp_path)
        zhengzhou, _ = api_as(Role.CENTER_STAFF, center="郑州")
        henan, _ = api_as(Role.PROVINCE_REVIEWER, province="河南")
        hubei, _ = api_as(Role.PROVINCE_REVIEWER, province="湖北")
        assert [link["center_code"] for link in zhengzhou.get("/links").get_json()["links"]] == ["410100"]
        assert [link["center_code"] for link in henan.get("/links").get_json()["links"]] == ["410100", "410300"]
        assert hubei.get("/links").get_json()["links"] == []

    def test_operator_export_has_the_fields_they_load(self, runner, tmp_path, client, auth, make):
        self._load(runner, tmp_path)
        ministry = make.user(Role.MINISTRY_REVIEWER)
        auth.login(ministry.username, ministry.password)
        rows = client.get("/links/export.json").get_json()["links"]
        assert rows[0] == {
            "center_code": "410100",
            "center_name": "郑州住房公积金管理中心",
            "service_code": "info_query",
            "url": "https://gjj.zhengzhou.gov.cn/query",
            "effective_date": "2025-06-01",
        }
        csv_text = client.get("/links/export.csv").get_data(as_text=True)
        assert csv_text.lstrip("\ufeff").splitlines()[0] == "center_code,center_name,service_code,url,effective_date"
        page = client.get("/links/410100/info_query").get_data(as_text=True)
        assert "https://gjj.zhengzhou.gov.cn/query" in page and "台账导入" in page
