"""The OpenAPI document of /api/v1 (issue 20): valid OpenAPI 3.1, in step with the routes, shown by
its page, and true of every answer — Schemathesis sends each operation, in-process against the WSGI
app, as a signed-in user of each role, and checks each answer against the document.

Bounded: LINKDESK_FUZZ_EXAMPLES cases per operation (50 here, 200 in CI), shared among the four
roles; the seed is fixed (derandomize), so a failure reproduces."""

import contextvars
import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from linkdesk import create_app
from linkdesk.api.openapi import PREFIX, document
from linkdesk.extensions import db
from linkdesk.models import Role
from tests.factories import ticket_request
from tests.helpers import Api, app_config, frozen

EXAMPLES = int(os.environ.get("LINKDESK_FUZZ_EXAMPLES", "50"))
ROLES = ("clerk", "henan", "ministry", "admin")
PER_ROLE = max(EXAMPLES // len(ROLES), 5)
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]
SENT: dict[str, int] = {}  # cases sent by each passing operation×role run (conftest prints the sum)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def routes(app) -> set[tuple[str, str]]:
    """(method, path) of every /api/v1 rule, written as the document writes paths."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        found |= {(method.lower(), path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def documented(spec: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, item in spec["paths"].items() for method in item if method in HTTP_METHODS}


def test_the_document_is_valid_openapi_3_1():
    spec = document()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_route_is_documented_and_every_documented_route_exists():
    app = create_app(app_config("sqlite://"))
    spec = document()
    assert routes(app) - documented(spec) == set(), "routes of /api/v1 missing from the document"
    assert documented(spec) - routes(app) == set(), "the document names routes that are gone"


def test_every_operation_names_its_path_parameters_and_its_error_answers():
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert names == set(re.findall(r"{(\w+)}", path)), (method, path)
            if operation.get("security") != []:
                assert {"401", "404"} <= set(operation["responses"]), (method, path)
            assert operation["summary"]


def test_the_document_is_served_and_its_page_works_under_the_csp(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json() == document()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html and "/static/api_docs.js" in html
    assert "<script>" not in html and "style=" not in html and " on" not in html.replace(" only", "")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    bundle = client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    bundle.close()
    assert bundle.status_code == 200


# --- Schemathesis ---------------------------------------------------------------------


@pytest.fixture
def world(app, make):
    """A token per role, and objects for the IDs to hit: a clerk's ticket with a document."""
    people = {
        "clerk": make.user(Role.CENTER_STAFF, center="郑州"),
        "henan": make.user(Role.PROVINCE_REVIEWER),
        "ministry": make.user(Role.MINISTRY_REVIEWER),
        "admin": make.user(Role.ADMIN),
    }
    tokens = {name: make.token(account) for name, account in people.items()}
    clerk = Api(app.test_client(), tokens["clerk"])
    with frozen():
        ticket = clerk.post("/tickets", ticket_request(cutover_date="2026-12-11")).get_json()
        added = clerk.upload(f"/tickets/{ticket['id']}/attachments", {"version": ticket["version"]}, ("a.pdf", PDF))
    assert added.status_code == 201, added.get_json()
    return tokens, {"ticket_id": ticket["id"], "attachment_id": added.get_json()["attachments"][0]["id"]}


def _operations(app):
    schema = schemathesis.openapi.from_wsgi(f"{PREFIX}/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


# Schemathesis leaves out the document's own path; the test above reads it.
OPERATIONS = sorted(documented(document()) - {("get", "/openapi.json")}, key=lambda item: (item[1], item[0]))


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in OPERATIONS], ids=[f"{m.upper()} {p}" for m, p in OPERATIONS])
def test_every_answer_conforms_to_the_document(app, world, role, method, path):
    tokens, ids = world
    [operation] = [op for op in _operations(app) if op.method.lower() == method and op.path == path]
    known = {name: ids[name] for name in re.findall(r"{(\w+)}", path)}
    strategy = operation.as_strategy()
    if known:  # half the cases name objects that exist
        strategy = st.one_of(strategy, operation.as_strategy(path_parameters=known))
    headers = {"Authorization": f"Bearer {tokens[role]}"}
    sent = []

    @settings(max_examples=PER_ROLE, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def one_case(case):
        db.session.commit()  # as RequestClient: the request runs in its own context, not the test's
        with frozen():
            contextvars.Context().run(case.call_and_validate, headers=headers, checks=CHECKS)
        sent.append(case)

    one_case()
    SENT[f"{method.upper()} {path} as {role}"] = len(sent)
