"""A ticket's warnings for reviewers as rows of ``ticket_warning`` (issue 28): read and written as
``Ticket.warnings``, a list of {code, message}; lists narrowed to a code; migration 0019 both ways."""

from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from linkdesk.extensions import db
from linkdesk.models import Ticket, TicketStatus, TicketWarning
from linkdesk.models.tickets import COLUMN_WARNING_SQL, WARNING_FILTERS
from linkdesk.tickets import listing

from ..helpers import frozen, recorded_statements

ROW_CODES = [code for code in WARNING_FILTERS if code not in COLUMN_WARNING_SQL]
HTTP = {"code": "http", "message": "使用 http 而非 https：数据未加密传输，请审核人员关注。"}
HOST = {"code": "host_changed", "message": "域名由 a.gov.cn 变更为 b.example.com，请核实新域名归属。"}
DAY_FULL = {"code": "day_full", "message": "2026-12-14 已安排 30 个切换，达到每日上限，建议改为 2026-12-15。"}


def _ticket(ticket_id: int) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id)


def _rows() -> list[tuple]:
    return db.session.execute(sa.select(TicketWarning.ticket_id, TicketWarning.code).order_by(TicketWarning.id)).all()


def test_the_codes_of_the_filing_rules_are_rows_and_the_others_columns():
    assert ROW_CODES == ["http", "host_changed", "day_full", "blackout", "non_gov_domain"]


@pytest.mark.parametrize("code", ROW_CODES)
def test_a_list_narrowed_to_a_code_finds_the_tickets_holding_it_and_no_other(app, make, code):
    """Every third ticket holds the code among others; one holds a message that quotes the code as
    the JSON text once did, which matched the old LIKE filter and must not match now."""
    ids = make.tickets(12, date(2026, 12, 14), status=TicketStatus.PENDING)
    other = {"code": "ip_literal", "message": "使用 IP 地址而非域名，建议使用政府网站域名。"}
    holding = set(ids[::3])
    for ticket in db.session.scalars(sa.select(Ticket).where(Ticket.id.in_(ids))):
        ticket.warnings = [other, {"code": code, "message": "提示"}] if ticket.id in holding else [other]
    _ticket(ids[1]).warnings = [{"code": "calendar_changed", "message": f'"code": "{code}"'}]
    db.session.commit()
    found = db.session.scalars(listing.filtered_tickets(sa.select(Ticket.id), listing.TicketFilters(warning=code))).all()
    assert set(found) == holding
    total = listing.count_matching(listing.filtered_tickets(sa.select(Ticket), listing.TicketFilters(warning=code)))
    assert total.count == len(holding) and total.exact


def test_warnings_read_back_in_the_order_given_and_a_kept_code_keeps_its_row(make):
    [ticket_id] = make.tickets(1, date(2026, 12, 14))
    _ticket(ticket_id).warnings = [DAY_FULL, HTTP, HOST]
    db.session.commit()
    assert _ticket(ticket_id).warnings == [DAY_FULL, HTTP, HOST]
    ids = {row.code: row.id for row in _ticket(ticket_id).warning_rows}

    changed_host = {**HOST, "message": "域名由 a.gov.cn 变更为 b.example.com，请核实新域名归属。已填写 ICP 备案号。"}
    _ticket(ticket_id).warnings = [changed_host, DAY_FULL]  # reordered, one dropped, one message changed
    db.session.commit()
    ticket = _ticket(ticket_id)
    assert ticket.warnings == [changed_host, DAY_FULL]
    assert {row.code: row.id for row in ticket.warning_rows} == {"host_changed": ids["host_changed"], "day_full": ids["day_full"]}
    assert _rows() == [(ticket_id, "day_full"), (ticket_id, "host_changed")]


def test_assigning_replaces_the_warnings_and_an_empty_list_removes_them(make):
    [first, second] = make.tickets(2, date(2026, 12, 14))
    _ticket(first).warnings = [HTTP]
    _ticket(second).warnings = [HOST]
    db.session.commit()
    _ticket(first).warnings = [DAY_FULL, {"code": "http", "message": "另一条说明"}]
    db.session.commit()
    assert _ticket(first).warnings == [DAY_FULL, {"code": "http", "message": "另一条说明"}]
    _ticket(first).warnings = []
    db.session.commit()
    assert _ticket(first).warnings == [] and _rows() == [(second, "host_changed")]


def test_the_ticket_version_moves_when_its_warnings_change_and_only_then(make):
    """As when the warnings were a column of the ticket: a reviewer who saw the old version loses."""
    [ticket_id] = make.tickets(1, date(2026, 12, 14))
    version = _ticket(ticket_id).version
    _ticket(ticket_id).warnings = [HTTP]
    db.session.commit()
    assert _ticket(ticket_id).version == version + 1
    _ticket(ticket_id).warnings = [dict(HTTP)]  # the same list again
    db.session.commit()
    assert _ticket(ticket_id).version == version + 1


def test_a_ticket_holds_one_warning_of_a_code_and_a_warning_is_a_code_and_a_message(make):
    [ticket_id] = make.tickets(1, date(2026, 12, 14))
    ticket = _ticket(ticket_id)
    with pytest.raises(ValueError, match="one warning of a code"):
        ticket.warnings = [HTTP, {**HTTP, "message": "again"}]
    with pytest.raises(ValueError, match="code"):
        ticket.warnings = [{**HTTP, "level": "high"}]  # a key the table has no place for
    with pytest.raises(sa.exc.IntegrityError):
        db.session.add_all(
            [
                TicketWarning(ticket_id=ticket_id, position=0, code="http", message="a"),
                TicketWarning(ticket_id=ticket_id, position=1, code="http", message="b"),
            ]
        )
        db.session.flush()
    db.session.rollback()


def test_all_warnings_are_the_rules_then_the_probe_in_the_api_as_before(make, api_as):
    api, _ = api_as("ministry_reviewer")
    [ticket_id] = make.tickets(1, date(2026, 12, 14))
    ticket = _ticket(ticket_id)
    ticket.warnings = [HOST, HTTP]
    ticket.probe_warning = {"code": "probe", "message": "新地址检测未通过：连接被拒绝（仅供参考，不影响提交）。"}
    db.session.commit()
    with frozen():
        one = api.get(f"/tickets/{ticket_id}").get_json()
        listed = api.get("/tickets").get_json()
    assert one["warnings"] == [HOST, HTTP, ticket.probe_warning] == listed[0]["warnings"]


def test_a_deleted_ticket_takes_its_warnings(make):
    """Through the ORM (its cascade) and by a plain DELETE (the foreign key's ON DELETE CASCADE)."""
    first, second, third = make.tickets(3, date(2026, 12, 14))
    for ticket_id in (first, second, third):
        _ticket(ticket_id).warnings = [HTTP, HOST]
    db.session.commit()
    db.session.delete(_ticket(first))
    db.session.commit()
    db.session.execute(sa.delete(Ticket).where(Ticket.id == second))
    db.session.commit()
    assert {ticket_id for ticket_id, _ in _rows()} == {third}


def test_lists_load_the_warnings_of_a_page_in_one_statement(client, auth, make, api_as):
    """The API's list, the ticket list and the review queue send as many statements for 3 tickets
    with warnings as for 30 (and show them)."""
    api, _ = api_as("ministry_reviewer")
    reviewer = make.user("ministry_reviewer")
    paths = ("/api/v1/tickets", "/tickets/?warning=http", "/review/")

    def statements() -> list[int]:
        counts = []
        with frozen():
            auth.login(reviewer.username, reviewer.password)
            for path in paths:
                with recorded_statements(db.engine) as seen:
                    answer = client.get(path, headers=api.headers if path.startswith("/api") else {})
                assert answer.status_code == 200 and "b.example.com" in answer.get_data(as_text=True), path
                counts.append(len(seen))
        return counts

    def with_warnings(count: int) -> None:
        for ticket_id in make.tickets(count, date(2026, 12, 14), status=TicketStatus.PENDING):
            _ticket(ticket_id).warnings = [HTTP, HOST]
        db.session.commit()

    with_warnings(3)
    statements()  # the working-day calendar's cache
    few = statements()
    with_warnings(27)
    assert statements() == few


def _ticket_table():
    return sa.table("ticket", sa.column("id", sa.Integer), sa.column("warnings", sa.JSON))


def test_migration_0019_moves_the_warnings_to_rows_and_back(app, make):
    """Tickets with warnings, down to 0018 (the JSON lists, in order, and the partial indexes of
    their codes), a list written there as 0018's code wrote it, then up again: the same rows."""
    ids = make.tickets(4, date(2026, 12, 14), status=TicketStatus.PENDING)
    given = {ids[0]: [HTTP, HOST], ids[1]: [DAY_FULL], ids[2]: []}
    for ticket_id, warnings in given.items():
        _ticket(ticket_id).warnings = warnings
    db.session.commit()
    db.session.remove()  # the migrations need the database to themselves
    try:
        downgrade(revision="0018_warning_indexes")
        ticket = _ticket_table()
        with db.engine.begin() as connection:
            stored = dict(connection.execute(sa.select(ticket.c.id, ticket.c.warnings)).all())
            assert stored == {**given, ids[3]: []}
            indexes = {index["name"] for index in sa.inspect(connection).get_indexes("ticket")}
            assert {f"ix_ticket_warning_{code}" for code in WARNING_FILTERS} <= indexes
            assert "ticket_warning" not in sa.inspect(connection).get_table_names()
            # Written at 0018, as the app then wrote it (a later warning of a code replaces an earlier one).
            connection.execute(
                ticket.update()
                .where(ticket.c.id == ids[3])
                .values(
                    warnings=[HOST, {"code": "calendar_changed", "message": "旧"}, DAY_FULL, {"code": "calendar_changed", "message": "新"}]
                )
            )
            found = (
                connection.execute(sa.select(ticket.c.id).where(sa.text('CAST(warnings AS TEXT) LIKE \'%"code": "day_full"%\'')))
                .scalars()
                .all()
            )
            assert sorted(found) == sorted([ids[1], ids[3]])
        upgrade()
    finally:
        upgrade()  # whatever happened, the next tests find the schema they expect
    expected = {**given, ids[3]: [HOST, DAY_FULL, {"code": "calendar_changed", "message": "新"}]}
    assert {ticket_id: _ticket(ticket_id).warnings for ticket_id in ids} == expected
    db.session.commit()  # SQLite: the session's transaction holds the write lock
    with db.engine.connect() as connection:
        assert "warnings" not in {column["name"] for column in sa.inspect(connection).get_columns("ticket")}
        indexes = {index["name"] for index in sa.inspect(connection).get_indexes("ticket")}
    assert {name for name in indexes if name.startswith("ix_ticket_warning_")} == {
        f"ix_ticket_warning_{code}" for code in COLUMN_WARNING_SQL
    }
