"""End-to-end fixtures: the app served for real (a WSGI server in a thread, a real database
file) and Debian's Chromium driven by Playwright. Without Chromium the tests skip, saying why;
under CI=true they fail instead, so a missing browser can never pass for green."""

import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from linkdesk import create_app
from linkdesk.extensions import db
from linkdesk.seed import seed_demo

CHROMIUM = os.environ.get("LINKDESK_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("LINKDESK_E2E_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"))
# What a root, offline machine needs: no sandbox (root), no GPU, and none of Chromium's own
# background traffic (updates, sync, field trials), which a closed network refuses.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--metrics-recording-only",
]


def _browser_missing() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="session")
def chromium():
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"e2e tests cannot run in CI: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(database_url, request):
    """The app on 127.0.0.1 with the demo users; .logins maps user name to password.
    A test marked ``app_config(**settings)`` gets those settings on top."""
    marker = request.node.get_closest_marker("app_config")
    app = create_app(
        {
            "SECRET_KEY": "e2e-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "LINKDESK_PROBE_ON_FILING": False,
            **(marker.kwargs if marker else {}),
        }
    )
    with app.app_context():
        logins = seed_demo()
        db.session.remove()
    with LiveServer(app) as server:
        server.logins = logins
        yield server
    with app.app_context():
        db.engine.dispose()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def page(chromium, live_server, request):
    """A fresh browser page that records console errors and every request to another host."""
    context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url)
    page = context.new_page()
    page.console_errors = []
    page.outside_requests = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    served = urlsplit(live_server.url).netloc

    def watch(request_):
        if urlsplit(request_.url).netloc not in (served, ""):
            page.outside_requests.append(request_.url)

    page.on("request", watch)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"\nscreenshot of the failure: {shot}")
    # Let the last requests (the favicon, a stylesheet) finish: closing the context under them
    # drops their connections, and Werkzeug's server then leaks the open file it was sending,
    # which surfaces as a ResourceWarning in whichever test runs next.
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_load_state("networkidle", timeout=5_000)
    except PlaywrightTimeout:
        pass  # a page still busy after 5 s: close it anyway, the test has its answer
    context.close()


@pytest.fixture
def login(page, live_server):
    """login(user) signs in as a demo user through the login form."""

    def sign_in(username: str, password: str | None = None):
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password or live_server.logins[username])
        page.click("button[type=submit]")

    return sign_in
