"""Real servers for notification tests: a WeCom group robot API and an SMTP server, on 127.0.0.1.

The fixtures here are shared by the notification test modules, which bind them by assignment.
"""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from linkdesk.extensions import db
from linkdesk.models import OutboxMessage
from linkdesk.notify.events import add_channel

SECRET_KEY = "6d1f0c2e-SECRET-robot-key-42"


class LocalServer:
    """An HTTP server on 127.0.0.1 in a thread; ``stop()`` takes it down, ``start()`` brings it
    back on the same port (subclasses define ``start`` with their handler)."""

    port = 0
    _server = None

    def _listen(self, handler) -> None:
        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class WeComRobotServer(LocalServer):
    """Speaks ``POST /cgi-bin/webhook/send?key=…`` like the real robot API.

    ``mode``: "ok", "error" (errcode 93000), "ratelimit" (errcode 45009), "http500", "slow"
    (answers after ``delay``), "garbage" (a status line that is not HTTP), "list" (JSON that is
    not an object); ``answering`` is set once a request has arrived. ``stop()`` takes it down
    (connections refused) and ``start()`` brings it back on the same port.
    """

    def __init__(self):
        self.mode = "ok"
        self.delay = 0.0
        self.answering = threading.Event()
        self.received: list[dict] = []  # {"key", "content", "at"}
        self._lock = threading.Lock()
        self.port = 0
        self._server = None
        self.start()

    @property
    def prefix(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/webhook/send?"

    def webhook(self, key: str) -> str:
        return f"{self.prefix}key={key}"

    def start(self) -> None:
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if parts.path != "/cgi-bin/webhook/send":
                    return self._answer(404, {"errcode": 404, "errmsg": "not found"})
                robot.answering.set()
                if robot.mode == "slow":
                    time.sleep(robot.delay)
                if robot.mode == "http500":
                    return self._answer(500, {"errcode": -1, "errmsg": "system busy"})
                if robot.mode == "error":
                    return self._answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
                if robot.mode == "ratelimit":
                    return self._answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
                if robot.mode == "list":
                    return self._answer(200, [{"errcode": 0, "errmsg": "ok"}])
                if robot.mode == "garbage":
                    self.close_connection = True
                    self.wfile.write(b"NOT-HTTP 200 whatever\r\n\r\n")
                    return None
                with robot._lock:
                    robot.received.append(
                        {
                            "key": parse_qs(parts.query).get("key", [""])[0],
                            "content": body["markdown"]["content"],
                            "msgtype": body["msgtype"],
                            "at": time.monotonic(),
                        }
                    )
                return self._answer(200, {"errcode": 0, "errmsg": "ok"})

            def _answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._listen(Handler)


@pytest.fixture
def robot(app):
    server = WeComRobotServer()
    app.config["LINKDESK_WECOM_WEBHOOK_PREFIXES"] = (server.prefix,)
    yield server
    server.stop()


@pytest.fixture
def henan_robot(robot):
    return add_channel("wecom", robot.webhook(SECRET_KEY), "province:河南")


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    with socket.socket() as probe:  # a free port: the controller checks readiness by connecting to it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(LINKDESK_SMTP_HOST="127.0.0.1", LINKDESK_SMTP_PORT=port)
    yield inbox
    controller.stop()


def outbox_rows(**where):
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return db.session.scalars(query).all()


class WebhookReceiver(LocalServer):
    """An automation endpoint on 127.0.0.1 that keeps each POST's raw body and headers.

    ``status`` is what it answers (200; 500 to refuse); ``stop()`` takes it down (connections
    refused) and ``start()`` brings it back on the same port.
    """

    def __init__(self):
        self.status = 200
        self.received: list[dict] = []  # {"path", "headers", "body" (bytes)}
        self.port = 0
        self._server = None
        self.start()

    def url(self, path: str = "/hooks/linkdesk") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._listen(Handler)


@pytest.fixture
def receiver(app):
    """A local webhook receiver, reachable because configuration allows loopback and its port —
    as an intranet deployment would (the default refuses both)."""
    server = WebhookReceiver()
    app.config.update(LINKDESK_PROBE_ALLOW_NETWORKS=("127.0.0.0/8",), LINKDESK_PROBE_PORTS=(80, 443, server.port))
    yield server
    server.stop()
