"""Issue 34, point 2: no page passes its query string to ``url_for`` unfiltered. ``_method=POST``
made the 总览 a 500 (a BuildError), ``_external=1`` turned its export link into one on whatever
Host the request named, ``_anchor``/``_scheme`` changed it. Every GET page (and every page with an
id, on a real ticket, attachment and user) is asked as every role with ``url_for``'s keywords in
its query: never a 5xx, and no link in the answer (HTML attributes, ``Location``, ``Link``) that
the same page without them does not have, when it is absolute, foreign or carries them."""

import re
from pathlib import Path

import pytest
from werkzeug.routing import AnyConverter

from linkdesk.models import Role
from linkdesk.web.ui import as_query
from tests.factories import ticket_request
from tests.helpers import Api

HOSTILE = {"_method": "POST", "_anchor": "x", "_external": "1", "_scheme": "javascript", "endpoint": "main.home", "unknown": "1"}
LINK = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ROLES = {
    "clerk": (Role.CENTER_STAFF, {"center": "郑州"}),
    "province": (Role.PROVINCE_REVIEWER, {}),
    "ministry": (Role.MINISTRY_REVIEWER, {}),
    "admin": (Role.ADMIN, {}),
}


@pytest.fixture
def desk(app, make, clock):
    """A browser and a token per role, and a ticket with an attachment, so that pages with an id show something."""
    browsers, tokens, people = {"anonymous": app.test_client()}, {"anonymous": None}, {}
    for name, (role, scope) in ROLES.items():
        account = make.user(role, **scope)
        browser = app.test_client()
        assert browser.post("/login", data={"username": account.username, "password": account.password}).status_code == 302
        browsers[name], tokens[name], people[name] = browser, make.token(account), account
    clerk = Api(app.test_client(), tokens["clerk"])
    ticket = clerk.post("/tickets", ticket_request(cutover_date="2026-12-11")).get_json()
    attached = clerk.upload(f"/tickets/{ticket['id']}/attachments", {"version": ticket["version"]}, ("公函.pdf", PDF))
    assert attached.status_code == 201, attached.get_json()
    [attachment] = attached.get_json()["attachments"] if "attachments" in attached.get_json() else [attached.get_json()]
    values = {
        "ticket_id": ticket["id"],
        "attachment_id": attachment["id"],
        "user_id": people["clerk"].user.id,
        "center_code": "410100",
        "service_code": "info_query",
        "token": "no-such-feed",
        "key": "no-such-key",
        "filename": "style.css",
    }
    return browsers, tokens, values


def get_pages(app, values) -> list[tuple[str, str]]:
    """(endpoint, path) of every GET route: those with variables built on the desk's real objects."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        if rule.endpoint == "links.export":
            pages += [(rule.endpoint, f"/links/export.{kind}") for kind in ("csv", "json")]
            continue
        arguments = {name: (sorted(c.items)[0] if isinstance(c, AnyConverter) else values[name]) for name, c in rule._converters.items()}
        pages.append((rule.endpoint, app.url_map.bind("localhost").build(rule.endpoint, arguments)))
    return sorted(pages)


def links_of(response) -> set[str]:
    found = {response.headers.get("Location", "")} | set(re.findall(r"<([^>]*)>", response.headers.get("Link", "")))
    if response.mimetype in ("text/html", "application/json", "text/calendar"):
        found |= set(LINK.findall(response.get_data(as_text=True)))
        if response.mimetype == "application/json":
            found |= set(re.findall(r'"(/[^"]*|https?://[^"]*)"', response.get_data(as_text=True)))
    return found - {""}


def bad_link(link: str) -> bool:
    lowered = link.lower()
    return (
        lowered.startswith(("http:", "https:", "//", "javascript:", "\\\\"))
        or "localhost" in lowered
        or "#x" in lowered
        or any(f"{name}=" in link for name in HOSTILE if name.startswith("_") or name == "endpoint")
    )


def test_no_page_carries_url_fors_keywords_from_its_query(app, desk):
    browsers, tokens, values = desk
    pages = get_pages(app, values)
    assert len(pages) > 45 and ("overview.index", "/overview/") in pages and ("tickets.show", f"/tickets/{values['ticket_id']}") in pages
    failures, asked, shown = [], 0, dict.fromkeys(browsers, 0)
    for who, browser in browsers.items():
        for endpoint, path in pages:
            if path.startswith("/api/"):
                client, headers = browser.application.test_client(), ({"Authorization": f"Bearer {tokens[who]}"} if tokens[who] else {})
            else:
                client, headers = browser, {}
            plain = client.get(path, headers=headers)
            hostile = client.get(path, headers=headers, query_string=HOSTILE)
            asked += 1
            shown[who] += plain.status_code == 200
            not_ready = endpoint == "service.readyz" and hostile.status_code == 503  # no worker runs here: by design
            if hostile.status_code >= 500 and not not_ready:
                failures.append((who, path, hostile.status_code))
            new = {link for link in links_of(hostile) - links_of(plain) if bad_link(link)}
            if new:
                failures.append((who, path, sorted(new)))
            plain.close(), hostile.close()
    assert asked == len(browsers) * len(pages)
    assert all(count > 20 for who, count in shown.items() if who != "anonymous"), shown  # signed in: the pages were seen
    assert not failures, failures


def test_the_overview_export_link_keeps_the_period_and_nothing_else(client, auth, make, clock):
    ministry = make.user(Role.MINISTRY_REVIEWER)
    auth.login(ministry.username, ministry.password)
    page = client.get("/overview/", query_string={**HOSTILE, "from": "2026-09-01", "to": "2026-11-27"})
    assert page.status_code == 200
    [export] = [link for link in LINK.findall(page.get_data(as_text=True)) if "export" in link]
    assert export == "/overview/export.xlsx?from=2026-09-01&amp;to=2026-11-27"
    assert client.get("/overview/", query_string={"_method": "POST"}).status_code == 200


def test_no_template_or_view_hands_the_request_to_url_for():
    """The pages' links carry queries through ``as_query`` (known names) only, never the request's unpacked."""
    root = Path(__file__).resolve().parents[1]
    handed = re.compile(r"url_for\([^)]*\*\*[^)]*request\.|\*\*\s*request\.(?:args|values|form)")
    sources = [*(root / "templates").rglob("*.html"), *(root / "linkdesk").rglob("*.py")]
    assert len(sources) > 100
    assert [str(path) for path in sources if handed.search(path.read_text(encoding="utf-8"))] == []


def test_as_query_never_carries_url_fors_keywords():
    carried = as_query({**HOSTILE, "from": "2026-09-01", "": "x"}, page=2)
    assert carried == {"unknown": "1", "from": "2026-09-01", "page": 2}
