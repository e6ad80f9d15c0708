"""The working-day calendar inside the app (issue 4): CLI, API, imports, flags, pages."""

import html
import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from linkdesk.extensions import db
from linkdesk.models import AuditEvent, Role, Ticket
from tests.factories import ticket_request
from tests.helpers import frozen

# The 2027 schedule as an admin would import it once the notice is out (made up for the test:
# no 2027 notice exists yet), in the documented JSON import format.
SCHEDULE_2027 = {
    "year": 2027,
    "source": "测试用 2027 年安排",
    "holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"],
    "makeup_workdays": ["2027-01-09"],
}
# A complete notice in the State Council's form, made up for the tests (its first line says so).
SYNTHETIC_2027_NOTICE = Path(__file__).parent.parent / "data" / "notices" / "synthetic-2027.txt"


@pytest.mark.parametrize(
    ("day", "answer"),
    [
        ("2026-11-27", "2026-12-11"),
        ("2026-11-28", "2026-12-14"),
        ("2026-02-13", "2026-03-05"),
    ],
)
def test_cli_earliest(runner, day, answer):
    result = runner.invoke(args=["workdays", "earliest", day])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == answer


def test_cli_earliest_marks_provisional_years(runner):
    result = runner.invoke(args=["workdays", "earliest", "2026-12-28"])
    assert result.output.strip().endswith(" provisional")


@pytest.mark.parametrize(
    ("day", "answer"),
    [
        ("2026-02-14", "workday"),
        ("2026-02-16", "off"),
        ("2026-10-10", "workday"),
        ("2026-11-29", "off"),
    ],
)
def test_cli_check(runner, day, answer):
    assert runner.invoke(args=["workdays", "check", day]).output.strip() == answer


@pytest.mark.parametrize(("day", "answer"), [("2027-02-12", "workday provisional"), ("2027-02-06", "off provisional")])
def test_cli_check_marks_provisional_years(runner, day, answer):
    # 2027 has no notice yet: the answer rests on the statutory holidays alone (春节 from 除夕, 2027-02-05).
    assert runner.invoke(args=["workdays", "check", day]).output.strip() == answer


def test_cli_refuses_a_bad_date(runner):
    result = runner.invoke(args=["workdays", "check", "2026-13-01"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


def test_api_earliest(api_as):
    api, _ = api_as(Role.CENTER_STAFF)
    body = api.get("/workdays/earliest?submitted=2026-11-27").get_json()
    assert body == {"submitted": "2026-11-27", "earliest_cutover": "2026-12-11", "provisional": False}


@pytest.mark.parametrize("value", ["", "2026-02-30", "27/11/2026", "x"])
def test_api_earliest_malformed_is_422_naming_the_field(api_as, value):
    api, _ = api_as(Role.CENTER_STAFF)
    response = api.get(f"/workdays/earliest?submitted={value}")
    assert response.status_code == 422 and "submitted" in response.get_json()["errors"]


def test_importing_2027_makes_it_official(runner, tmp_path):
    before = runner.invoke(args=["workdays", "check", "2027-01-04"]).output.strip()
    assert before == "workday provisional"  # provisional rules: only 1 January
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(SCHEDULE_2027, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["workdays", "import", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["workdays", "check", "2027-01-04"]).output.strip() == "off"
    assert runner.invoke(args=["workdays", "check", "2027-01-09"]).output.strip() == "workday"
    assert not runner.invoke(args=["workdays", "earliest", "2027-01-11"]).output.strip().endswith("provisional")


def test_import_dry_run_stores_nothing(runner, tmp_path):
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(SCHEDULE_2027, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["workdays", "import", str(path), "--dry-run"])
    assert "2027-01-09 周六 调休上班" in result.output
    assert runner.invoke(args=["workdays", "check", "2027-01-04"]).output.strip() == "workday provisional"


def test_a_bad_notice_names_the_sentence_and_stores_nothing(runner, tmp_path):
    path = tmp_path / "notice.txt"
    path.write_text("国务院办公厅关于2027年部分节假日安排的通知\n一、元旦：1月1日（周四）放假，共1天。", encoding="utf-8")
    result = runner.invoke(args=["workdays", "import-notice", str(path), "--yes"])
    assert result.exit_code != 0
    assert "元旦" in result.output
    from linkdesk.models import HolidaySchedule

    assert db.session.scalar(select(HolidaySchedule)) is None


def test_open_tickets_broken_by_an_import_are_flagged(api_as, runner, tmp_path):
    clerk, _ = api_as(Role.CENTER_STAFF)
    with frozen("2026-12-16 10:00:00+08:00"):
        response = clerk.post("/tickets", ticket_request(cutover_date="2027-01-04"))
    assert response.status_code == 201, response.get_json()
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(SCHEDULE_2027, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["workdays", "import", str(path), "--yes"])
    assert "受影响并已标记的工单：1" in result.output
    ticket = db.session.scalar(select(Ticket))
    assert "calendar_changed" in {w["code"] for w in ticket.warnings}
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "flag")) is not None


def test_year_page_marks_holidays_makeup_days_and_sources(client, auth, make):
    account = make.user()
    auth.login(account.username, account.password)
    page = client.get("/workdays/?year=2026").get_data(as_text=True)
    assert "国办发明电" in page
    assert 'title="2026-02-14' in page and "makeup" in page
    provisional = client.get("/workdays/?year=2027").get_data(as_text=True)
    assert "推算" in provisional


def test_admin_import_page_previews_then_stores(client, auth, make):
    admin = make.user(Role.ADMIN)
    auth.login(admin.username, admin.password)
    notice = SYNTHETIC_2027_NOTICE.read_text(encoding="utf-8")
    preview = client.post("/workdays/import", data={"notice": notice, "preview": "1"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    assert "2027-01-01" in page and "周五" in page
    # The admin edits the text after the preview: what is stored is what was previewed.
    stored = client.post("/workdays/import", data={"notice": "随便改了", "confirm": "1", "previewed": previewed_value(page)})
    assert stored.status_code == 302
    from linkdesk.workdays.schedules import current_calendar

    assert not current_calendar().is_working_day(date(2027, 1, 1))
    assert current_calendar().is_working_day(date(2027, 2, 20))  # the notice's make-up Saturday
    assert current_calendar().is_official(2027)


def test_an_uploaded_schedule_file_can_be_confirmed_after_its_preview(client, auth, make):
    admin = make.user(Role.ADMIN)
    auth.login(admin.username, admin.password)
    upload = (io.BytesIO(json.dumps(SCHEDULE_2027, ensure_ascii=False).encode()), "2027.json")
    preview = client.post("/workdays/import", data={"schedule_file": upload, "preview": "1"}, content_type="multipart/form-data")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "2027-01-09" in page
    # The browser does not send the file again with the confirmation.
    stored = client.post("/workdays/import", data={"confirm": "1", "previewed": previewed_value(page)})
    assert stored.status_code == 302
    from linkdesk.workdays.schedules import current_calendar

    assert current_calendar().is_working_day(date(2027, 1, 9))


def test_confirming_without_a_preview_stores_nothing(client, auth, make):
    admin = make.user(Role.ADMIN)
    auth.login(admin.username, admin.password)
    refused = client.post("/workdays/import", data={"notice": SYNTHETIC_2027_NOTICE.read_text(encoding="utf-8"), "confirm": "1"})
    assert refused.status_code == 422 and "请先点击“解析预览”" in refused.get_data(as_text=True)
    from linkdesk.workdays.schedules import current_calendar

    assert not current_calendar().is_official(2027)


def previewed_value(page: str) -> str:
    """The hidden field the preview page carries to the confirmation, as the browser sends it."""
    found = re.search(r'<input id="previewed" name="previewed" type="hidden" value="([^"]*)"', page)
    assert found, "no previewed field on the page"
    return html.unescape(found.group(1))


NOTICES = Path(__file__).parent.parent / "data" / "notices"
SHIPPED = Path(__file__).resolve().parents[2] / "linkdesk" / "data" / "holidays"


def _notice_file(tmp_path, name: str, text: str | None = None) -> str:
    path = tmp_path / f"{name.replace('/', '-')}.txt"
    path.write_text(text if text is not None else (NOTICES / f"{name}.txt").read_text(encoding="utf-8"), encoding="utf-8")
    return str(path)


def test_extension_is_previewed_then_applied_onto_the_imported_year(api_as, runner, tmp_path):
    # The year as it stood before the extension came out: the 2020 notice alone (the shipped year
    # carries the extension, which a re-import keeps unless it is removed explicitly).
    result = runner.invoke(
        args=["workdays", "import-notice", _notice_file(tmp_path, "2020"), "--drop-adjustment", "国办发明电〔2020〕1号", "--yes"]
    )
    assert result.exit_code == 0, result.output
    assert "去掉现行的调整通知：国务院办公厅关于延长2020年春节假期的通知" in result.output
    assert runner.invoke(args=["workdays", "check", "2020-01-31"]).output.strip() == "workday"
    clerk, _ = api_as(Role.CENTER_STAFF)
    with frozen("2020-01-20 10:00:00+08:00"):
        filed = clerk.post("/tickets", ticket_request(cutover_date="2020-02-07"))
    assert filed.status_code == 201, filed.get_json()
    # As pasted from a news site: wrapped title, footer.
    path = _notice_file(tmp_path, "web/2020-extension-news-site")
    preview = runner.invoke(args=["workdays", "import-notice", path, "--dry-run"])
    assert preview.exit_code == 0, preview.output
    assert "2020-01-31 周五 工作日 → 放假" in preview.output
    assert "2020-02-01 周六 调休上班 → 放假" in preview.output
    assert f"{filed.get_json()['number']}" in preview.output
    assert "最早切换日期 2020-02-07 → 2020-02-11" in preview.output and "（试运行，未保存）" in preview.output
    assert runner.invoke(args=["workdays", "check", "2020-01-31"]).output.strip() == "workday"
    applied = runner.invoke(args=["workdays", "import-notice", path, "--yes"])
    assert applied.exit_code == 0, applied.output
    assert runner.invoke(args=["workdays", "check", "2020-01-31"]).output.strip() == "off"
    assert runner.invoke(args=["workdays", "earliest", "2020-01-20"]).output.strip() == "2020-02-11"
    assert "受影响并已标记的工单：1" in applied.output


def test_an_adjustment_already_in_force_stores_nothing(runner, tmp_path):
    result = runner.invoke(args=["workdays", "import-notice", _notice_file(tmp_path, "2019-labour-day-adjustment"), "--yes"])
    assert result.exit_code == 0 and "无需导入" in result.output
    from linkdesk.models import HolidaySchedule

    assert db.session.scalar(select(HolidaySchedule)) is None


def test_an_adjustment_for_a_year_without_a_schedule_is_refused(runner, tmp_path):
    text = (NOTICES / "2020-spring-festival-extension.txt").read_text(encoding="utf-8")
    text = text.replace("2020年", "2027年").replace("2月2日（农历正月初九，星期日），2月3日（星期一）", "2月14日，2月15日")
    result = runner.invoke(args=["workdays", "import-notice", _notice_file(tmp_path, "x", text), "--yes"])
    assert result.exit_code != 0 and "2027 年还没有正式的节假日安排" in result.output


def test_admin_page_previews_an_adjustment_pasted_from_a_page(client, auth, make, runner, tmp_path):
    dropped = runner.invoke(args=["workdays", "import-notice", _notice_file(tmp_path, "2019"), "--drop-adjustment", "劳动节", "--yes"])
    assert dropped.exit_code == 0, dropped.output
    admin = make.user(Role.ADMIN)
    auth.login(admin.username, admin.password)
    notice = (NOTICES / "web" / "2019-adjustment-beijing-gov.txt").read_text(encoding="utf-8")
    preview = client.post("/workdays/import", data={"notice": notice, "preview": "1"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    assert "国办发明电〔2019〕3号" in page and "2019-05-02" in page and "原来" in page
    stored = client.post("/workdays/import", data={"confirm": "1", "previewed": previewed_value(page)})
    assert stored.status_code == 302
    from linkdesk.workdays.schedules import current_calendar

    assert not current_calendar().is_working_day(date(2019, 5, 3))
    assert current_calendar().is_working_day(date(2019, 5, 5))


def test_a_warmed_app_answers_its_first_request_without_building_the_calendar(database_url):
    """linkdesk.wsgi warms each worker: the first request then finds the calendar built."""
    from linkdesk import create_app
    from linkdesk.workdays import schedules
    from tests.helpers import app_config

    app = create_app(app_config(database_url))
    schedules.warm_calendar(app)
    with app.app_context():
        warmed = list(app.extensions["linkdesk_calendar"].values())
        assert len(warmed) == 1 and schedules.current_calendar() is warmed[0]
        db.session.remove()
        db.engine.dispose()


# A news page (made up around the repository's notice texts) printing the 2020 Spring Festival
# extension together with the notice for 2020 it amends, with the site's furniture around them.
PAGE_HEADER = "首页 > 政务公开 > 政策文件\n上一篇：国务院办公厅关于2019年部分节假日安排的通知\n字号：大 中 小\n"
PAGE_FOOTER = "\n责任编辑：××\n【打印】【关闭】\n"


def _page_with_both(extension_first: bool) -> str:
    yearly, extension = (
        (NOTICES / "2020.txt").read_text(encoding="utf-8"),
        (NOTICES / "2020-spring-festival-extension.txt").read_text(encoding="utf-8"),
    )
    first, second = (extension, yearly) if extension_first else (yearly, extension)
    return PAGE_HEADER + first + "\n\n相关阅读\n" + second + PAGE_FOOTER


def _without_the_extension(runner, tmp_path):
    """2020 as it stood before the extension: the yearly notice alone (the shipped year has both)."""
    result = runner.invoke(
        args=["workdays", "import-notice", _notice_file(tmp_path, "2020"), "--drop-adjustment", "延长2020年春节假期", "--yes"]
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["workdays", "check", "2020-01-31"]).output.strip() == "workday"
    assert runner.invoke(args=["workdays", "earliest", "2020-01-20"]).output.strip() == "2020-02-07"


@pytest.mark.parametrize("extension_first", [False, True], ids=["yearly-then-extension", "extension-then-yearly"])
def test_a_page_with_the_yearly_notice_and_its_extension_applies_both(runner, tmp_path, extension_first):
    _without_the_extension(runner, tmp_path)
    path = _notice_file(tmp_path, "page", _page_with_both(extension_first))
    preview = runner.invoke(args=["workdays", "import-notice", path, "--dry-run"])
    assert preview.exit_code == 0, preview.output
    # Both notices named, the yearly one first, each with what it changes.
    assert "读出的通知（按套用顺序）：2" in preview.output
    assert (
        "1. 全年安排：国务院办公厅关于2020年部分节假日安排的通知（国办发明电〔2019〕16号），2019年11月21日发布；变化的日子 0"
        in preview.output
    )
    assert (
        "2. 调整通知：国务院办公厅关于延长2020年春节假期的通知（国办发明电〔2020〕1号），2020年1月26日发布；变化的日子 3" in preview.output
    )
    assert "2020-01-31 周五 工作日 → 放假" in preview.output and "2020-02-01 周六 调休上班 → 放假" in preview.output
    # The link in the page header is named, not silently passed over.
    assert "另外提到但没有正文、未导入的通知：国务院办公厅关于2019年部分节假日安排的通知" in preview.output
    applied = runner.invoke(args=["workdays", "import-notice", path, "--yes"])
    assert applied.exit_code == 0, applied.output
    assert runner.invoke(args=["workdays", "check", "2020-01-31"]).output.strip() == "off"
    assert runner.invoke(args=["workdays", "earliest", "2020-01-20"]).output.strip() == "2020-02-11"
    from linkdesk.workdays.calendar import parse_schedule_file
    from linkdesk.workdays.schedules import schedule_in_force

    assert schedule_in_force(2020) == parse_schedule_file((SHIPPED / "2020.json").read_text(encoding="utf-8"))


def test_a_page_whose_second_notice_cannot_be_read_is_refused_whole(runner, tmp_path):
    page = _page_with_both(False).replace("延长2020年春节假期至2月2日", "延长2020年春节假期至2月2号")
    result = runner.invoke(args=["workdays", "import-notice", _notice_file(tmp_path, "page", page), "--yes"])
    assert result.exit_code != 0
    assert "《国务院办公厅关于延长2020年春节假期的通知》" in result.output and "2月2号" in result.output
    from linkdesk.models import HolidaySchedule

    assert db.session.scalar(select(HolidaySchedule)) is None


def test_a_page_with_notices_of_two_years_is_refused(runner, tmp_path):
    page = (NOTICES / "2019.txt").read_text(encoding="utf-8") + "\n\n" + (NOTICES / "2020.txt").read_text(encoding="utf-8")
    result = runner.invoke(args=["workdays", "import-notice", _notice_file(tmp_path, "page", page), "--yes"])
    assert result.exit_code != 0 and "一次只能导入一年的安排" in result.output


@pytest.mark.parametrize(
    ("year", "kept"),
    [(2019, "国务院办公厅关于调整2019年劳动节假期安排的通知"), (2020, "国务院办公厅关于延长2020年春节假期的通知")],
)
def test_reimporting_a_yearly_notice_keeps_the_adjustment_in_force(runner, tmp_path, year, kept):
    from linkdesk.workdays.calendar import parse_schedule_file
    from linkdesk.workdays.schedules import schedule_in_force

    shipped = parse_schedule_file((SHIPPED / f"{year}.json").read_text(encoding="utf-8"))
    path = _notice_file(tmp_path, str(year))
    for _ in range(2):  # over the shipped year, then over the imported one (read back from the database)
        preview = runner.invoke(args=["workdays", "import-notice", path, "--dry-run"])
        assert preview.exit_code == 0, preview.output
        assert "与现行安排相比变化的日子：0" in preview.output
        assert f"2. 保留现行的调整通知（重新套用在全年安排之上）：{kept}" in preview.output
        applied = runner.invoke(args=["workdays", "import-notice", path, "--yes"])
        assert applied.exit_code == 0, applied.output
        assert schedule_in_force(year) == shipped  # the same days, source and adjustments


def test_dropping_an_adjustment_not_in_force_is_refused(runner, tmp_path):
    result = runner.invoke(args=["workdays", "import-notice", _notice_file(tmp_path, "2021"), "--drop-adjustment", "劳动节", "--yes"])
    assert result.exit_code != 0 and "不在 2021 年现行的调整通知之中" in result.output


def test_admin_page_names_every_notice_of_a_page_and_what_each_changes(client, auth, make, runner, tmp_path):
    _without_the_extension(runner, tmp_path)
    admin = make.user(Role.ADMIN)
    auth.login(admin.username, admin.password)
    preview = client.post("/workdays/import", data={"notice": _page_with_both(True), "preview": "1"})
    raw = preview.get_data(as_text=True)
    page = html.unescape(raw)
    assert preview.status_code == 200, page
    assert "读出的通知（按套用顺序，2 份）" in page
    assert "全年安排：国务院办公厅关于2020年部分节假日安排的通知" in page and "变化的日子 0 天" in page
    assert "调整通知：国务院办公厅关于延长2020年春节假期的通知" in page and "变化的日子 3 天" in page
    assert "另外提到但没有正文、未导入的通知：国务院办公厅关于2019年部分节假日安排的通知" in page
    stored = client.post("/workdays/import", data={"confirm": "1", "previewed": previewed_value(raw)})
    assert stored.status_code == 302
    from linkdesk.workdays.schedules import current_calendar

    assert not current_calendar().is_working_day(date(2020, 1, 31))
    assert current_calendar().earliest_cutover(date(2020, 1, 20)).earliest_cutover == date(2020, 2, 11)
