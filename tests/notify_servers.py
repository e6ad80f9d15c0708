"""Real servers for notification tests: a WeCom group robot API and an SMTP server, on 127.0.0.1."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class WeComRobotServer:
    """Speaks ``POST /cgi-bin/webhook/send?key=…`` like the real robot API.

    ``mode``: "ok", "error" (errcode 93000), "http500", "slow" (answers after ``delay``);
    ``stop()`` takes it down (connections refused) and ``start()`` brings it back on the same port.
    """

    def __init__(self):
        self.mode = "ok"
        self.delay = 0.0
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
                if robot.mode == "slow":
                    time.sleep(robot.delay)
                if robot.mode == "http500":
                    return self._answer(500, {"errcode": -1, "errmsg": "system busy"})
                if robot.mode == "error":
                    return self._answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
                with robot._lock:
                    robot.received.append({
                        "key": parse_qs(parts.query).get("key", [""])[0],
                        "content": body["markdown"]["content"],
                        "msgtype": body["msgtype"],
                        "at": time.monotonic(),
                    })
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

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
