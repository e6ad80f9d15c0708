"""A real server speaking WeCom's two login calls, on 127.0.0.1, for the 企业微信 sign-in tests.

``GET /cgi-bin/gettoken?corpid=…&corpsecret=…`` and ``GET /cgi-bin/auth/getuserinfo?access_token=…&code=…``
answer as WeCom documents them (errcode 0 with ``access_token``/``expires_in``, with ``userid`` or,
for a non-member, ``openid``; 40001 for a bad secret, 40029 for a bad or used code, 42001 for an
expired token). ``mode``: "ok", "http500", "garbage" (not HTTP), "html" (not JSON), "list" (JSON,
not an object).
"""

import itertools
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CORP_ID = "ww0123456789abcdef"
AGENT_ID = "1000002"
SECRET = "test-app-secret-never-shown-7f3a"


class WeComApiServer:
    def __init__(self):
        self.mode = "ok"
        self.gettoken_calls = 0
        self.getuserinfo_calls = 0
        self.tokens: set[str] = set()
        self._codes: dict[str, str | None] = {}
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                if server.mode == "http500":
                    return self._answer(500, {"errcode": -1, "errmsg": "system busy"})
                if server.mode == "garbage":
                    self.close_connection = True
                    self.wfile.write(b"NOT-HTTP 200 whatever\r\n\r\n")
                    return None
                if server.mode == "html":
                    return self._answer(200, "<html>维护中</html>", raw=True)
                if server.mode == "list":
                    return self._answer(200, [{"errcode": 0}])
                if parts.path == "/cgi-bin/gettoken":
                    return self._answer(200, server.gettoken(query))
                if parts.path == "/cgi-bin/auth/getuserinfo":
                    return self._answer(200, server.getuserinfo(query))
                return self._answer(404, {"errcode": 404, "errmsg": "not found"})

            def _answer(self, status, payload, raw=False):
                data = (payload if raw else json.dumps(payload)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html" if raw else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def gettoken(self, query: dict) -> dict:
        if query.get("corpid") != CORP_ID or query.get("corpsecret") != SECRET:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        with self._lock:
            self.gettoken_calls += 1
            token = f"token-{next(self._numbers)}-{secrets.token_hex(8)}"
            self.tokens.add(token)
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def getuserinfo(self, query: dict) -> dict:
        with self._lock:
            self.getuserinfo_calls += 1
            if query.get("access_token") not in self.tokens:
                return {"errcode": 42001, "errmsg": "access_token expired"}
            code = query.get("code", "")
            if code not in self._codes:
                return {"errcode": 40029, "errmsg": "invalid code"}
            userid = self._codes.pop(code)  # a code works once
        if userid is None:
            return {"errcode": 0, "errmsg": "ok", "openid": "o-outsider", "external_userid": ""}
        return {"errcode": 0, "errmsg": "ok", "userid": userid}

    def code_for(self, userid: str | None) -> str:
        """The code WeCom would put on the redirect after ``userid`` scanned (None: a non-member)."""
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = userid
        return code

    def expire_tokens(self) -> None:
        """WeCom ended every access token early (it may, says its documentation)."""
        with self._lock:
            self.tokens.clear()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
