"""Small helpers for tests that talk to the JSON API."""

import threading
from contextlib import contextmanager
from io import BytesIO

import time_machine
from sqlalchemy import event
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

BEIJING_FRIDAY = "2026-11-27 10:00:00+08:00"  # design.md's example: E(D) = 2026-12-11


def frozen(moment: str = BEIJING_FRIDAY):
    """Freeze the clock at a Beijing moment (time-machine, not a switch in the app)."""
    return time_machine.travel(moment, tick=False)


class Api:
    """A JSON API client authenticated with a bearer token."""

    def __init__(self, client, token: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path, **kwargs):
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kwargs)

    def post(self, path, body=None):
        return self.client.post(f"/api/v1{path}", json=body if body is not None else {}, headers=self.headers)

    def patch(self, path, body):
        return self.client.patch(f"/api/v1{path}", json=body, headers=self.headers)

    def delete(self, path, body=None):
        return self.client.delete(f"/api/v1{path}", json=body, headers=self.headers)

    def upload(self, path, fields: dict, *files: tuple[str, bytes]):
        """POST multipart/form-data: ``fields`` as form fields, each (name, bytes) as a ``file`` part."""
        return self.client.post(f"/api/v1{path}", headers=self.headers, **multipart(fields, *files))


def multipart(fields: dict, *files: tuple[str, bytes], field: str = "file") -> dict:
    """A multipart body encoded in memory, as keyword arguments for the test client.

    Werkzeug's test client would spool a large body to a temporary file that it never closes
    (a ResourceWarning, an error here); encoding it ourselves keeps it in memory.
    """
    values = MultiDict([(key, str(value).lower() if isinstance(value, bool) else str(value)) for key, value in fields.items()])
    for name, content in files:
        values.add(field, FileStorage(BytesIO(content), filename=name))
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def app_config(url: str, **extra) -> dict:
    """The configuration every test app gets: a real database, CSRF off, no network probes."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        # No probing of made-up addresses over a network the tests do not have; the probe
        # tests turn it on against their own local servers.
        "LINKDESK_PROBE_ON_FILING": False,
        "LINKDESK_PROBE_AFTER_CUTOVER": False,
        **extra,
    }


def probes_finished(timeout: float = 30) -> None:
    """Wait for the filing probes started so far (linkdesk.links.filing_probe), then read afresh.

    The test's own transaction is ended first: on SQLite it holds the write lock the probe needs.
    """
    from linkdesk.extensions import db
    from linkdesk.links.filing_probe import wait_for_probes

    db.session.commit()
    assert wait_for_probes(timeout), f"filing probes still running after {timeout} s"
    db.session.expire_all()


@contextmanager
def recorded_statements(engine):
    """The SQL statements sent on ``engine`` inside the block (a list, filled as they run)."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements_of_page(client, auth, account, path: str, engine) -> tuple[list[str], str]:
    """Log in and GET ``path`` on the frozen day: the SQL statements it sent and the page's text."""
    with frozen():
        auth.login(account.username, account.password)
        with recorded_statements(engine) as seen:
            page = client.get(path)
    assert page.status_code == 200, path
    return seen, page.get_data(as_text=True)


def at_once(*calls, timeout: float = 120):
    """Run each call in its own thread, released together by a barrier; their results in order.

    Bounded everywhere: a thread that fails before the barrier breaks it instead of leaving the
    others waiting, and a thread still running after ``timeout`` seconds fails the test, so
    a deadlock shows up as a red test with its cause, never as a suite that hangs.
    """
    barrier = threading.Barrier(len(calls), timeout=timeout)
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as error:  # reported by the test below
            barrier.abort()
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"still running after {timeout} s (a deadlock?): {stuck}"
    if errors:
        raise errors[0]
    return results


def file_ticket(api, service: str = "info_query", cutover: str = "2026-12-11", **overrides) -> dict:
    """File a ticket through the API as ``api``'s user and return it; the filing must succeed.

    The default cutover is E(D) for the suite's usual frozen Friday, 2026-11-27."""
    from .factories import ticket_request

    response = api.post("/tickets", ticket_request(service, cutover_date=cutover, **overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()
