"""The two-server drill (issue 29): PostgreSQL, two gunicorn servers behind nginx (round robin), two
workers, a scripted day of filings, attachments and decisions through nginx while one web server and
one worker are killed with SIGKILL and restarted, then apply-cutovers and reminders run twice at once
as two servers' cron would. Afterwards it checks that nothing acknowledged was lost and nothing was
sent twice, prints its figures, and exits non-zero on any failure.

Run (after ``eval "$(.ci/postgres-start)"``): .venv/bin/python .ci/drill.py
It needs LINKDESK_TEST_DATABASE_URL (a PostgreSQL server's maintenance database, where it creates and
drops a database of its own) and nginx (``/usr/sbin/nginx`` or on PATH).

The drill's day is today in Beijing when today is a working day (before 23:00). Otherwise (or with
DRILL_SHIFT_DAY=1 in the environment) every process of the desk runs with its clock moved to 10:00
on the next working day (time-machine, started by ``drill.py --shifted SECONDS -m MODULE …`` before
the module runs; libfaketime cannot be used: Python's ``time.sleep`` hangs under it), so that a
ticket can be due "today" for apply-cutovers, which never completes a ticket before its day.

What each acknowledgement promises, and what is checked afterwards in the database:
- a 201 filing: the ticket exists with its new address; a 201 attachment: the document exists once
  with its SHA-256; a 200 decision (single, or an item of a bulk one): its audit event by that
  reviewer at that stage, exactly once;
- each approved ticket due on the day is completed exactly once (one ``complete`` event) and the
  registry points at its address; the others are untouched;
- the outbox is drained; every message sent to the fake robot and webhook receivers arrived there
  (ids received ⊇ ids sent), no event was queued twice for one channel under two ids (a duplicate);
  the same id received twice is a redelivery after a kill (receivers drop it), counted, not a failure.
A write whose answer was lost (502 or a dropped connection while a server was killed) is
"unacknowledged": the drill looks the ticket up afterwards and redoes the step only if it was not
applied.
"""

import hashlib
import hmac
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# --- what runs on each server ----------------------------------------------------------------
# The worker: one long-running process per server (outbox and scheduled jobs, under leases).
WORKER_COMMAND = ["worker"]
# Readiness, through nginx and on each server.
READY_PATH = "/readyz"
# A one-off command that exits non-zero fails the drill (two `outbox remind` at once once crashed
# on the inbox's unique key; each reminder now commits on its own and the loser skips it).
TOLERATE_CRON_CRASH = False
# ---------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLIENTS = 8  # client threads
KILL_AT = 0.4  # the share of the province decisions sent when a server and a worker are killed
DOWN_SECONDS = 2.0  # how long the killed server and worker stay down
DRAIN_SECONDS = 170  # bound on waiting for the outbox (a dead worker's claim waits out its 120 s lease)
RECEIVER_DELAY = 0.05  # each fake receiver answer takes this long, so a worker is often mid-send
HENAN_CENTERS = 10
BULK_SIZE = 5
PASSWORD = "drill-password-1"
UNACKNOWLEDGED = (0, 502, 503, 504)  # a POST that ended so may or may not have been applied
PNG = b"\x89PNG\r\n\x1a\n" + b"".join(
    len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
    for kind, data in (
        (b"IHDR", (1).to_bytes(4, "big") * 2 + b"\x08\x00\x00\x00\x00"),
        (b"IDAT", zlib.compress(b"\x00\x00")),
        (b"IEND", b""),
    )
)


def pdf(text: str) -> bytes:
    return f"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {text}\ntrailer << /Root 1 0 R >>\n%%EOF\n".encode()


def png(text: str) -> bytes:
    """A valid 1×1 PNG made unique by a text chunk (so that each upload has its own SHA-256)."""
    data = b"drill\x00" + text.encode()
    chunk = len(data).to_bytes(4, "big") + b"tEXt" + data + zlib.crc32(b"tEXt" + data).to_bytes(4, "big")
    return PNG[:-12] + chunk + PNG[-12:]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def log(message: str) -> None:
    print(f"[drill {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- fake receivers ------------------------------------------------------------------------


class Receiver:
    """A threaded HTTP server on 127.0.0.1 recording the message ids of every delivery."""

    def __init__(self, name: str):
        self.name = name
        self.ids: Counter = Counter()
        self.events: dict[str, str] = {}
        self.deliveries = 0
        self.bad_signatures = 0
        self.secret: str | None = None
        self.lock = threading.Lock()
        self.in_flight: set[int] = set()  # the senders' local ports of the requests not yet answered
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                # Recorded first, answered after a while: a worker killed meanwhile never learns
                # that the message arrived, and sends it again (the same id) after its lease.
                with receiver.lock:
                    receiver.in_flight.add(self.client_address[1])
                try:
                    receiver.record(self.headers, raw)
                    time.sleep(RECEIVER_DELAY)
                    answer = b'{"errcode": 0, "errmsg": "ok"}'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except ConnectionError:  # the sender was killed meanwhile
                    self.close_connection = True
                finally:
                    with receiver.lock:
                        receiver.in_flight.discard(self.client_address[1])

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def record(self, headers, raw: bytes) -> None:
        with self.lock:
            self.deliveries += 1
            if self.name == "webhook":
                uid = headers.get("X-Linkdesk-Delivery", "")
                self.ids[uid] += 1
                self.events[uid] = headers.get("X-Linkdesk-Event", "")
                expected = "sha256=" + hmac.new((self.secret or "").encode(), raw, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(expected, headers.get("X-Linkdesk-Signature", "")):
                    self.bad_signatures += 1
            else:
                content = json.loads(raw)["markdown"]["content"]
                for uid in re.findall(r"消息编号 ([0-9a-f-]{36})", content):
                    self.ids[uid] += 1

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- processes -----------------------------------------------------------------------------


class Stack:
    """The desk's processes, each in its own process group, with their logs in ``directory``."""

    def __init__(self, directory: Path, environment: dict):
        self.directory = directory
        self.environment = environment
        self.processes: dict[str, subprocess.Popen] = {}
        self.server_ports = [free_port(), free_port()]
        self.nginx_port = free_port()

    def start(self, name: str, command: list[str], environment: dict | None = None) -> subprocess.Popen:
        output = open(self.directory / f"{name}.log", "ab")
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment or self.environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        output.close()
        self.processes[name] = process
        return process

    def start_server(self, index: int) -> None:
        self.start(
            f"server{index}",
            python("gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.server_ports[index]}", "--log-level", "warning", "linkdesk.wsgi:app"),
        )

    def start_worker(self, index: int) -> None:
        self.start(f"worker{index}", flask(*WORKER_COMMAND))

    def start_nginx(self, nginx: str) -> None:
        prefix = self.directory / "nginx"
        prefix.mkdir()
        upstreams = "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in self.server_ports)
        config = prefix / "nginx.conf"
        # ``user`` only matters when nginx starts as root (then its workers run as root too, and can
        # write the temporary folders below); otherwise nginx ignores it.
        config.write_text(f"""
user {os.environ.get("USER") or "root"};
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log {prefix}/access.log;
  client_body_temp_path {prefix}/client_body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  client_max_body_size 60m;
  upstream linkdesk {{
{upstreams}
  }}
  server {{
    listen 127.0.0.1:{self.nginx_port};
    location / {{
      proxy_pass http://linkdesk;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;
    }}
  }}
}}
""")
        self.start("nginx", [nginx, "-c", str(config), "-p", str(prefix), "-g", "daemon off;"], dict(os.environ))

    def kill(self, name: str) -> None:
        """SIGKILL the process and everything in its group."""
        try:
            os.killpg(self.processes[name].pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.processes[name].wait()

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for process in self.processes.values():
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)  # stragglers, and any child left in the group
            except (ProcessLookupError, PermissionError):
                pass
            process.wait()

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.directory / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def sending(group: int, receivers) -> bool:
    """True when a process of the group has a delivery in flight to a receiver (Linux: its
    sockets' local ports, from /proc, against the ports the receivers are answering)."""
    ports = set()
    for receiver in receivers:
        with receiver.lock:
            ports |= receiver.in_flight
    if not ports:
        return False
    inodes = set()
    for pid in os.listdir("/proc"):
        try:
            if not pid.isdigit() or os.getpgid(int(pid)) != group:
                continue
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    try:
        table = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    for line in table:
        fields = line.split()
        if fields[9] in inodes and int(fields[1].split(":")[1], 16) in ports:
            return True
    return False


ENVIRONMENT: dict = {}


SHIFT = [0]  # seconds the desk's clock is moved ahead (see the module's docstring)


def python(module: str, *arguments: str) -> list[str]:
    shifted = ["--shifted", str(SHIFT[0])] if SHIFT[0] else []
    return [sys.executable, *([__file__, *shifted] if shifted else []), "-m", module, *arguments]


def flask(*arguments: str) -> list[str]:
    return python("flask", "--app", "linkdesk", *arguments)


def shifted(seconds: str, argv: list[str]) -> None:
    """Run ``-m MODULE ARGS`` with the clock ``seconds`` ahead and ticking (in forked children too)."""
    import runpy

    import time_machine

    assert argv[0] == "-m", argv
    sys.argv = [argv[1], *argv[2:]]
    sys.path.insert(0, os.getcwd())
    with time_machine.travel(time.time() + float(seconds), tick=True):
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)


def run_flask(*arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(flask(*arguments), cwd=ROOT, env=ENVIRONMENT, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise SystemExit(f"flask {' '.join(arguments)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.1)
    return False


# --- the client ------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int  # 0: no answer (the connection failed)
    body: dict | list | None


@dataclass
class Tally:
    """What the clients saw."""

    requests: int = 0
    errors: list[tuple[float, int, str]] = field(default_factory=list)  # (when, status, "METHOD path")
    unexpected: list[tuple[int, str, object]] = field(default_factory=list)  # answers no step expected
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """HTTP through nginx with a bearer token. GETs are retried on a proxy error or a dropped
    connection; other methods are sent once (their failure is an unacknowledged write)."""

    def __init__(self, base: str, tally: Tally):
        self.base = base
        self.tally = tally

    def call(
        self,
        method: str,
        path: str,
        token: str,
        body: dict | None = None,
        files: list[tuple[str, str, bytes]] | None = None,
        form: dict | None = None,
    ) -> Answer:
        attempts = 10 if method == "GET" else 1
        for attempt in range(attempts):
            answer = self._once(method, path, token, body, files, form)
            if answer.status not in UNACKNOWLEDGED:
                return answer
            time.sleep(0.3 * (attempt + 1))
        return answer

    def _once(self, method, path, token, body, files, form) -> Answer:
        headers = {"Authorization": f"Bearer {token}"}
        data = None
        if files is not None:
            boundary = uuid.uuid4().hex
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                for name, value in (form or {}).items()
            ]
            parts += [
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n".encode()
                + content
                + b"\r\n"
                for name, filename, content in files
            ]
            data = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        with self.tally.lock:
            self.tally.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except (OSError, ConnectionError) as error:  # refused, reset, cut off mid-answer
            status, raw = 0, str(error).encode()
        if status >= 500 or status == 0:
            with self.tally.lock:
                self.tally.errors.append((time.monotonic(), status, f"{method} {path}"))
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return Answer(status, parsed)

    def expect(self, answer: Answer, status: int, what: str) -> bool:
        if answer.status == status:
            return True
        if answer.status not in UNACKNOWLEDGED:
            with self.tally.lock:
                self.tally.unexpected.append((answer.status, what, answer.body))
        return False


# --- the day ---------------------------------------------------------------------------------


@dataclass
class Link:
    """One filing: a clerk's center and service, and what the drill does with its ticket."""

    center: str
    service: str
    clerk: str  # the clerk's token
    municipality: bool
    emergency: bool = False
    cutover: date | None = None
    http: bool = False
    attach: bool = False
    leave_pending: bool = False  # left at the ministry's stage: its review deadline is the day
    ticket: int | None = None
    version: int = 1
    stage: str | None = None


@dataclass
class Ledger:
    """Acknowledged writes, and the unacknowledged ones and what became of them."""

    filings: dict[int, str] = field(default_factory=dict)  # ticket id -> new_url
    decisions: list[tuple[int, int, str]] = field(default_factory=list)  # (ticket, reviewer user id, stage)
    attachments: list[tuple[int, str]] = field(default_factory=list)  # (ticket, sha256)
    unacknowledged: list[tuple[str, str]] = field(default_factory=list)  # (what, how resolved)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, what: str, outcome: str) -> None:
        with self.lock:
            self.unacknowledged.append((what, outcome))


class Day:
    def __init__(self, client: Client, links: list[Link], reviewers: dict, ledger: Ledger):
        self.client = client
        self.links = links
        self.reviewers = reviewers  # name -> (token, user id, username)
        self.ledger = ledger
        self.pending_retries: list = []  # unacknowledged steps, resolved after the restart
        self.lock = threading.Lock()

    def parallel(self, function, items) -> None:
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(function, items))

    # filings and attachments

    def new_url(self, link: Link) -> str:
        return f"{'http' if link.http else 'https'}://gjj{link.center}.gov.cn/{link.service}/v2"

    def file(self, link: Link) -> None:
        fields = {
            "service": link.service,
            "new_url": self.new_url(link),
            "cutover_date": link.cutover.isoformat(),
            "reason": "服务器迁移到政务云，原地址停用",
            "contact_name": "张经办",
            "contact_phone": "0371-12345678",
        }
        if link.http:
            fields["http_justification"] = "小程序旧版客户端仅支持 http，过渡期内保留"
        if link.emergency:
            fields |= {"emergency": "true", "emergency_reason": "原服务器硬件故障，须尽快迁移"}
            answer = self.client.call(
                "POST",
                "/api/v1/tickets",
                link.clerk,
                form=fields,
                files=[("file", "紧急变更申请公函.pdf", pdf(f"{link.center}-{link.service}"))],
            )
        else:
            answer = self.client.call("POST", "/api/v1/tickets", link.clerk, body=fields)
        self.filed(link, answer, "filing")

    def filed(self, link: Link, answer: Answer, how: str) -> bool:
        if self.client.expect(answer, 201, f"{how} {link.center}/{link.service}"):
            link.ticket, link.version, link.stage = answer.body["id"], answer.body["version"], answer.body["stage"]
            with self.ledger.lock:
                self.ledger.filings[link.ticket] = answer.body["new_url"]
            return True
        if answer.status in UNACKNOWLEDGED:
            with self.lock:
                self.pending_retries.append(("filing", link))
        return False

    def attach(self, link: Link) -> None:
        content = png(f"{link.ticket}-{uuid.uuid4()}")
        answer = self.client.call(
            "POST",
            f"/api/v1/tickets/{link.ticket}/attachments",
            link.clerk,
            form={"version": str(link.version)},
            files=[("file", "ICP备案截图.png", content)],
        )
        self.attached(link, content, answer, "attachment")

    def attached(self, link: Link, content: bytes, answer: Answer, how: str) -> bool:
        digest = hashlib.sha256(content).hexdigest()
        if self.client.expect(answer, 201, f"{how} {link.ticket}"):
            link.version = answer.body["ticket"]["version"]
            if answer.body["attachments"][0]["sha256"] != digest:
                with self.client.tally.lock:
                    self.client.tally.unexpected.append((201, f"{how} {link.ticket}: another SHA-256", answer.body))
            with self.ledger.lock:
                self.ledger.attachments.append((link.ticket, digest))
            return True
        if answer.status in UNACKNOWLEDGED:
            with self.lock:
                self.pending_retries.append(("attachment", (link, content)))
        return False

    # decisions

    def decide_one(self, task) -> None:
        reviewer, link = task
        token = self.reviewers[reviewer][0]
        stage = link.stage
        answer = self.client.call(
            "POST", f"/api/v1/tickets/{link.ticket}/decision", token, body={"decision": "approve", "version": link.version}
        )
        if self.client.expect(answer, 200, f"decision {link.ticket}"):
            self.decided(link, reviewer, stage, answer.body)
        elif answer.status in UNACKNOWLEDGED:
            with self.lock:
                self.pending_retries.append(("decision", (reviewer, link, stage)))

    def decide_bulk(self, task) -> None:
        reviewer, links = task
        token, _, _ = self.reviewers[reviewer]
        stages = {link.ticket: link.stage for link in links}
        answer = self.client.call(
            "POST",
            "/api/v1/decisions",
            token,
            body={"items": [{"id": link.ticket, "version": link.version, "decision": "approve"} for link in links]},
        )
        if self.client.expect(answer, 200, f"bulk decision {[link.ticket for link in links]}"):
            for link, result in zip(links, answer.body["results"], strict=True):
                if result["status"] == 200:
                    self.decided(link, reviewer, stages[link.ticket], result["ticket"])
                else:
                    with self.client.tally.lock:
                        self.client.tally.unexpected.append((result["status"], f"bulk item {link.ticket}", result))
        elif answer.status in UNACKNOWLEDGED:
            with self.lock:
                self.pending_retries += [("decision", (reviewer, link, stages[link.ticket])) for link in links]

    def decided(self, link: Link, reviewer: str, stage: str, ticket: dict) -> None:
        link.version, link.stage = ticket["version"], ticket["stage"]
        with self.ledger.lock:
            self.ledger.decisions.append((link.ticket, self.reviewers[reviewer][1], stage))

    def decisions(self, stage: str, reviewers: list[str], on_progress=None) -> None:
        """Approve every ticket at ``stage`` (but those left pending), half one by one, half in
        bulk, by the given reviewers in turn; ``on_progress(share)`` after each request."""
        due = [link for link in self.links if link.ticket and link.stage == stage and not (stage == "ministry" and link.leave_pending)]
        singles, bulk = due[::2], due[1::2]
        tasks = [("one", (reviewers[n % len(reviewers)], link)) for n, link in enumerate(singles)]
        tasks += [
            ("bulk", (reviewers[n % len(reviewers)], bulk[start : start + BULK_SIZE]))
            for n, start in enumerate(range(0, len(bulk), BULK_SIZE))
        ]
        random.Random(29).shuffle(tasks)  # singles and bulks mixed, in the same order every run
        done = [0]

        def run(task):
            kind, payload = task
            (self.decide_one if kind == "one" else self.decide_bulk)(payload)
            with self.lock:
                done[0] += 1
                share = done[0] / len(tasks)
            if on_progress:
                on_progress(share)

        self.parallel(run, tasks)

    # unacknowledged writes, after the restart

    def resolve(self) -> None:
        retries, self.pending_retries = self.pending_retries, []
        for kind, payload in retries:
            getattr(self, f"_resolve_{kind}")(payload)

    def _resolve_filing(self, link: Link) -> None:
        answer = self.client.call("GET", f"/api/v1/tickets?center={link.center}&service={link.service}", link.clerk)
        found = [t for t in answer.body or [] if t["new_url"] == self.new_url(link) and t["status"] == "pending"]
        what = f"filing {link.center}/{link.service}"
        if found:
            ticket = self.client.call("GET", f"/api/v1/tickets/{found[0]['id']}", link.clerk).body
            link.ticket, link.version, link.stage = ticket["id"], ticket["version"], ticket["stage"]
            with self.ledger.lock:
                self.ledger.filings[link.ticket] = ticket["new_url"]
            self.ledger.note(what, "applied (found)")
        else:
            self.file(link)
            self.ledger.note(what, "not applied: redone" + ("" if link.ticket else ", again unacknowledged"))

    def _resolve_attachment(self, payload) -> None:
        link, content = payload
        digest = hashlib.sha256(content).hexdigest()
        ticket = self.client.call("GET", f"/api/v1/tickets/{link.ticket}", link.clerk).body
        link.version = ticket["version"]
        what = f"attachment on {link.ticket}"
        if any(a["sha256"] == digest for a in ticket["attachments"]):
            with self.ledger.lock:
                self.ledger.attachments.append((link.ticket, digest))
            self.ledger.note(what, "applied (found)")
        else:
            answer = self.client.call(
                "POST",
                f"/api/v1/tickets/{link.ticket}/attachments",
                link.clerk,
                form={"version": str(link.version)},
                files=[("file", "ICP备案截图.png", content)],
            )
            ok = self.attached(link, content, answer, "attachment (redone)")
            self.ledger.note(what, "not applied: redone" + ("" if ok else f", answered {answer.status}"))

    def _resolve_decision(self, payload) -> None:
        reviewer, link, stage = payload
        token, _, username = self.reviewers[reviewer]
        ticket = self.client.call("GET", f"/api/v1/tickets/{link.ticket}", token).body
        what = f"decision on {link.ticket} ({stage})"
        if any(e["action"] == "approve" and e["actor"] == username and e["from_stage"] == stage for e in ticket["history"]):
            link.version, link.stage = ticket["version"], ticket["stage"]
            with self.ledger.lock:
                self.ledger.decisions.append((link.ticket, self.reviewers[reviewer][1], stage))
            self.ledger.note(what, "applied (found)")
        elif ticket["status"] == "pending" and ticket["stage"] == stage:
            link.version = ticket["version"]
            link.stage = stage
            answer = self.client.call(
                "POST", f"/api/v1/tickets/{link.ticket}/decision", token, body={"decision": "approve", "version": link.version}
            )
            if self.client.expect(answer, 200, f"decision (redone) {link.ticket}"):
                self.decided(link, reviewer, stage, answer.body)
            self.ledger.note(what, f"not applied: redone, answered {answer.status}")
        else:
            self.ledger.note(what, f"UNRESOLVED: ticket is {ticket['status']}/{ticket['stage']} without the decision")


# --- checks ------------------------------------------------------------------------------------


def check_database(app, ledger: Ledger, day: date, in_two: date, channels: dict, receivers: dict) -> tuple[list[str], dict]:
    """The failures found, and the figures of the outbox."""
    from sqlalchemy import func, select

    from linkdesk.extensions import db
    from linkdesk.models import (
        AuditEvent,
        LinkRecord,
        LinkRevision,
        MessageStatus,
        OutboxMessage,
        Ticket,
        TicketAttachment,
    )

    failures: list[str] = []
    figures: dict = {}
    with app.app_context():
        tickets = {t.id: t for t in db.session.scalars(select(Ticket))}
        for ticket_id, new_url in ledger.filings.items():
            if ticket_id not in tickets or tickets[ticket_id].new_url != new_url:
                failures.append(f"acknowledged filing {ticket_id} ({new_url}) is not in the database")
        per_link = Counter((t.center_id, t.service_id) for t in tickets.values())
        failures += [f"{n} tickets for one link {key}" for key, n in per_link.items() if n > 1]
        events = db.session.scalars(select(AuditEvent)).all()
        approvals = Counter((e.ticket_id, e.actor_id, e.from_stage) for e in events if e.action == "approve")
        for ticket_id, reviewer_id, stage in ledger.decisions:
            if approvals[(ticket_id, reviewer_id, stage)] != 1:
                failures.append(
                    f"acknowledged decision on {ticket_id} at {stage} by user {reviewer_id}: "
                    f"{approvals[(ticket_id, reviewer_id, stage)]} audit events"
                )
        per_stage = Counter((e.ticket_id, e.from_stage) for e in events if e.action == "approve")
        failures += [f"ticket {key[0]} approved {n} times at {key[1]}" for key, n in per_stage.items() if n > 1]
        documents = Counter((a.ticket_id, a.sha256) for a in db.session.scalars(select(TicketAttachment)))
        for ticket_id, digest in ledger.attachments:
            if documents[(ticket_id, digest)] != 1:
                failures.append(f"acknowledged attachment {digest[:12]} on {ticket_id}: {documents[(ticket_id, digest)]} rows")
        # Completion: each approved ticket due on the day completed once, the registry at its address.
        completes = Counter(e.ticket_id for e in events if e.action == "complete")
        finally_approved = {e.ticket_id for e in events if e.action == "approve" and e.to_status == "approved"}
        registry = {(r.center_id, r.service_id): r for r in db.session.scalars(select(LinkRecord))}
        revisions = Counter(r.ticket_id for r in db.session.scalars(select(LinkRevision)) if r.ticket_id)
        due = [tickets[i] for i in finally_approved if tickets[i].cutover_date <= day]
        for ticket in due:
            link = registry.get((ticket.center_id, ticket.service_id))
            if ticket.status.value != "completed" or completes[ticket.id] != 1 or revisions[ticket.id] != 1:
                failures.append(
                    f"due ticket {ticket.number}: {ticket.status.value}, {completes[ticket.id]} complete "
                    f"events, {revisions[ticket.id]} registry revisions"
                )
            if link is None or link.url != ticket.new_url or link.ticket_id != ticket.id:
                failures.append(f"registry of due ticket {ticket.number} is {link and link.url}, not {ticket.new_url}")
        early = [t for t in tickets.values() if t.cutover_date > day and completes[t.id]]
        failures += [f"ticket {t.number} completed before its day {t.cutover_date}" for t in early]
        figures["completed"] = len(due)
        # The outbox: drained, every sent id received, no event queued twice for one channel.
        messages = db.session.scalars(select(OutboxMessage)).all()
        by_status = Counter(m.status.value for m in messages)
        figures["outbox"] = dict(by_status)
        if by_status.get("pending") or by_status.get("sending") or by_status.get("failed"):
            failures.append(f"outbox not drained: {dict(by_status)}")
        decided_expected = Counter(e.ticket_id for e in events if e.action in ("approve", "return", "reject") and e.to_status != "approved")
        # What the audit trail says each ministry channel must have had (the webhook takes every
        # event; the robot what the ministry hears): nothing may be missing.
        expected: dict[str, set] = {"robot": set(), "webhook": set()}
        for e in events:
            both = []
            if e.action == "submit":
                expected["webhook"].add(("submitted", e.ticket_id))
                if e.to_stage == "ministry":
                    expected["robot"].add(("submitted", e.ticket_id))
            elif e.action == "approve":
                both.append("approved" if e.to_status == "approved" else "forwarded")
                if e.to_status != "approved":
                    expected["webhook"].add(("decided", e.ticket_id))
            elif e.action == "complete":
                both.append("applied")
            for name in expected:
                expected[name].update((event, e.ticket_id) for event in both)
        for ticket in tickets.values():
            if ticket.cutover_date == in_two and ticket.status.value in ("approved", "pending"):
                event = "reminder" if ticket.status.value == "approved" else "review_due"  # the deadline is the day
                for name in expected:
                    expected[name].add((event, ticket.id))
        for name, channel_id in channels.items():
            received = receivers[name].ids
            mine = [m for m in messages if m.channel_id == channel_id]
            sent = {m.uid for m in mine if m.status is MessageStatus.SENT}
            missing = sent - set(received)
            if missing:
                failures.append(f"{name}: {len(missing)} sent message(s) never received, e.g. {sorted(missing)[:3]}")
            unknown = set(received) - {m.uid for m in mine}
            if unknown:
                failures.append(f"{name}: {len(unknown)} received id(s) that are not its messages")
            lost = expected[name] - {(m.event, m.ticket_id) for m in mine}
            if lost:
                failures.append(f"{name}: {len(lost)} notification(s) never queued, e.g. {sorted(lost)[:5]}")
            keys = Counter()
            for m in mine:
                if m.event == "decided":
                    continue  # counted against the decisions below
                keys[(m.event, m.ticket_id if m.ticket_id is not None else m.subject)] += 1
            duplicates = {key: n for key, n in keys.items() if n > 1}
            decided = Counter(m.ticket_id for m in mine if m.event == "decided")
            duplicates |= {("decided", t): n for t, n in decided.items() if n > decided_expected[t]}
            figures[name] = {
                "messages": len(mine),
                "sent": len(sent),
                "deliveries": receivers[name].deliveries,
                "by_event": dict(Counter(m.event for m in mine)),
                "duplicates": sum(n - 1 for n in duplicates.values()),
                "redeliveries": sum(n - 1 for n in received.values() if n > 1),
            }
            if duplicates:
                failures.append(f"{name}: events queued twice under two ids: {list(duplicates.items())[:5]}")
        if receivers["webhook"].bad_signatures:
            failures.append(f"webhook: {receivers['webhook'].bad_signatures} deliveries with a bad signature")
        figures["tickets"] = dict(Counter(t.status.value for t in tickets.values()))
        figures["events"] = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.remove()
    return failures, figures


# --- main ----------------------------------------------------------------------------------------


def the_day() -> tuple[date, int]:
    """The drill's day in Beijing, and how many seconds the desk's clock must move to be on it (0
    when today is a working day before 23:00)."""
    from linkdesk.workdays.calendar import BEIJING
    from linkdesk.workdays.schedules import current_calendar

    now = datetime.now(BEIJING)
    calendar = current_calendar()
    if calendar.is_working_day(now.date()) and now.hour < 23 and not os.environ.get("DRILL_SHIFT_DAY"):
        return now.date(), 0
    day = calendar.next_working_day(now.date() + timedelta(days=1))
    moment = datetime.combine(day, clock_time(10, 0), BEIJING)
    return day, int((moment - now).total_seconds())


def main() -> int:
    started = time.monotonic()
    base_url = os.environ.get("LINKDESK_TEST_DATABASE_URL")
    if not base_url or not base_url.startswith("postgresql"):
        print('drill: LINKDESK_TEST_DATABASE_URL must name a PostgreSQL server (eval "$(.ci/postgres-start)")')
        return 2
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        print("drill: nginx is not installed")
        return 2

    from sqlalchemy import create_engine, select, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from linkdesk import create_app
    from linkdesk.accounts.tokens import create_token
    from linkdesk.accounts.users import create_user
    from linkdesk.extensions import db
    from linkdesk.models import Center, NotificationChannel, Province, Role, Service
    from linkdesk.notify.events import EVENTS

    admin = create_engine(make_url(base_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"linkdesk_drill_{uuid.uuid4().hex[:8]}"
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    directory = Path(tempfile.mkdtemp(prefix="linkdesk-drill-"))
    receivers = {"robot": Receiver("robot"), "webhook": Receiver("webhook")}
    stack = None
    app = None
    failures: list[str] = []
    interrupted = False

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        stack = Stack(directory, {})
        robot_prefix = f"http://127.0.0.1:{receivers['robot'].port}/cgi-bin/webhook/send?"
        ENVIRONMENT.update({k: v for k, v in os.environ.items() if not k.startswith("LINKDESK_")})
        ENVIRONMENT.update(
            {
                "LINKDESK_DATABASE_URL": url,
                "LINKDESK_SECRET_KEY": "drill-" + uuid.uuid4().hex,  # one key for both servers
                "LINKDESK_WECOM_WEBHOOK_PREFIXES": robot_prefix,
                "LINKDESK_PROBE_ALLOW_NETWORKS": "127.0.0.0/8",
                "LINKDESK_PROBE_PORTS": f"80,443,{receivers['webhook'].port}",
                "LINKDESK_WECOM_PER_MINUTE": "100000",
                "LINKDESK_PROBE_ON_FILING": "0",
                "LINKDESK_PROBE_AFTER_CUTOVER": "0",  # the drill's addresses are not on any network
                "LINKDESK_BASE_URL": f"http://127.0.0.1:{stack.nginx_port}",
                "LINKDESK_PROXY_HOPS": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        stack.environment = ENVIRONMENT
        log(f"database {name}; init-db, seed")
        run_flask("init-db")
        run_flask("seed")

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "drill", "LINKDESK_PROBE_ON_FILING": False})
        with app.app_context():
            from linkdesk.workdays.schedules import current_calendar

            day, shift = the_day()
            if shift:
                SHIFT[0] = shift
                log(f"the desk's clock moves {shift} s ahead, to {day} 10:00 Beijing (time-machine)")
            calendar = current_calendar()
            in_two = next(d for d in (day + timedelta(days=n) for n in range(1, 30)) if calendar.working_days_between(day, d) == 2)
            earliest = calendar.earliest_cutover(day).earliest_cutover
            services = db.session.scalars(select(Service.code).order_by(Service.position)).all()
            henan = db.session.scalars(
                select(Center).join(Center.province).where(Province.short_name == "河南").order_by(Center.code).limit(HENAN_CENTERS)
            ).all()
            cities = [
                db.session.scalars(select(Center).join(Center.province).where(Province.short_name == city).order_by(Center.code)).first()
                for city in ("北京", "上海")
            ]
            links: list[Link] = []
            for center in henan + cities:
                clerk = create_user(f"drill-clerk-{center.code}", PASSWORD, Role.CENTER_STAFF, center=center.code)
                token = create_token(clerk)
                for position, service in enumerate(services):
                    link = Link(center.code, service, token, center in cities)
                    kind = (position + len(links) // len(services)) % len(services)  # varied per center
                    if kind in (0, 1, 2):
                        link.emergency, link.cutover = True, day if kind == 0 else in_two
                        link.leave_pending = kind == 2
                    else:
                        link.cutover = earliest
                        link.http = kind == 3
                        link.attach = kind in (4, 6, 8)
                    links.append(link)
            reviewers = {}
            for key, role, scope in (
                ("henan", Role.PROVINCE_REVIEWER, "河南"),
                ("ministry1", Role.MINISTRY_REVIEWER, None),
                ("ministry2", Role.MINISTRY_REVIEWER, None),
            ):
                user = create_user(f"drill-{key}", PASSWORD, role, province=scope)
                reviewers[key] = (create_token(user), user.id, user.username)
            registry = directory / "registry.csv"
            registry.write_text(
                "center_code,service_code,url,effective_date\n"
                + "".join(f"{link.center},{link.service},https://gjj{link.center}.gov.cn/{link.service},2024-01-02\n" for link in links)
            )
            db.session.commit()
            db.session.remove()
        run_flask("registry", "import", str(registry))
        webhook = run_flask(
            "channels",
            "add",
            "webhook",
            f"http://127.0.0.1:{receivers['webhook'].port}/hooks/linkdesk",
            "--scope",
            "ministry",
            "--events",
            ",".join(EVENTS),
        ).stdout
        receivers["webhook"].secret = re.search(r"(whsec_\S+)", webhook).group(1)
        run_flask("channels", "add", "wecom", robot_prefix + "key=drill-robot", "--scope", "ministry")
        with app.app_context():
            channels = {c.kind.value.replace("wecom", "robot"): c.id for c in db.session.scalars(select(NotificationChannel))}
            db.session.remove()
        log(f"day {day}: {len(links)} filings (cutovers {day}, {in_two}, {earliest}); 2 servers, 2 workers, nginx")

        for index in (0, 1):
            stack.start_server(index)
            stack.start_worker(index)
        stack.start_nginx(nginx)
        for index in (0, 1):
            if not wait_for(f"http://127.0.0.1:{stack.server_ports[index]}{READY_PATH}", 60):
                raise SystemExit(f"server {index} did not start:\n{stack.tail(f'server{index}')}")
        gateway = f"http://127.0.0.1:{stack.nginx_port}"
        if not wait_for(gateway + READY_PATH, 20):
            raise SystemExit(f"nginx did not start:\n{(directory / 'nginx' / 'error.log').read_text()}")

        tally = Tally()
        ledger = Ledger()
        client = Client(gateway, tally)
        the_day_ = Day(client, links, reviewers, ledger)
        kill = {"windows": [], "recovery_gateway": None, "recovery_server": None, "triggered": threading.Event(), "mid_send": False}

        def killer():
            kill["triggered"].wait()
            # The worker dies mid-send when it can: up to 3 s for a delivery of its in flight.
            waited = time.monotonic()
            while time.monotonic() - waited < 3 and not sending(stack.processes["worker0"].pid, receivers.values()):
                time.sleep(0.005)
            kill["mid_send"] = sending(stack.processes["worker0"].pid, receivers.values())
            t_kill = time.monotonic()
            stack.kill("worker0")
            stack.kill("server0")
            log(f"killed worker 0 ({'mid-send' if kill['mid_send'] else 'not sending'}) and server 0 (its process group) with SIGKILL")

            def poll_gateway():
                while kill["recovery_gateway"] is None and time.monotonic() - t_kill < 60:
                    try:
                        with urllib.request.urlopen(gateway + READY_PATH, timeout=2) as response:
                            if response.status == 200:
                                kill["recovery_gateway"] = time.monotonic() - t_kill
                    except (OSError, urllib.error.HTTPError):
                        time.sleep(0.05)

            threading.Thread(target=poll_gateway, daemon=True).start()
            time.sleep(DOWN_SECONDS)
            stack.start_server(0)
            stack.start_worker(0)
            log("restarted server 0 and worker 0")
            wait_for(f"http://127.0.0.1:{stack.server_ports[0]}{READY_PATH}", 60)
            kill["recovery_server"] = time.monotonic() - t_kill
            # Errors count as the kill's while the server is away, and a second after it is back
            # (nginx keeps it out for fail_timeout after a failure).
            kill["windows"].append((t_kill, time.monotonic() + 3.0))

        kill_thread = threading.Thread(target=killer, daemon=True)
        kill_thread.start()
        t_day = time.monotonic()
        log("filings")
        the_day_.parallel(the_day_.file, links)
        log("attachments")
        the_day_.parallel(the_day_.attach, [link for link in links if link.attach and link.ticket])
        log("province decisions (a server and a worker are killed at 40%)")
        the_day_.decisions("province", ["henan"], lambda share: share >= KILL_AT and kill["triggered"].set())
        kill["triggered"].set()
        kill_thread.join(90)
        log(f"resolving {len(the_day_.pending_retries)} unacknowledged write(s)")
        the_day_.resolve()
        log("ministry decisions")
        the_day_.decisions("ministry", ["ministry1", "ministry2"])
        the_day_.resolve()
        # Anything filed late (a redone filing) still goes through its stages.
        if any(link.ticket and link.stage == "province" for link in links):
            the_day_.decisions("province", ["henan"])
            the_day_.decisions("ministry", ["ministry1", "ministry2"])
            the_day_.resolve()
        log(f"cron on two servers at once: apply-cutovers --date {day} ×2, outbox remind --date {day} ×2")
        cron = [
            (
                command,
                subprocess.Popen(
                    flask(*command),
                    cwd=ROOT,
                    env=ENVIRONMENT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    start_new_session=True,
                ),
            )
            for command in (("apply-cutovers", "--date", day.isoformat()), ("outbox", "remind", "--date", day.isoformat()))
            for _ in range(2)
        ]
        cron_failures: list[str] = []
        cron_results = [(command, process.wait(120), process.stdout.read()) for command, process in cron]
        for arguments, code, output in cron_results:
            lines = [line for line in output.splitlines() if line.strip()]
            summary = lines[-3:] if code == 0 else [next((line for line in reversed(lines) if "Error" in line), "")[:300]]
            log(f"  {' '.join(arguments)} -> exit {code}: {' | '.join(summary)}")
            if code != 0:
                error = next((line for line in reversed(output.splitlines()) if "Error" in line), "")
                cron_failures.append(f"{' '.join(arguments)} exited {code}: {error[:300]}")
                if not TOLERATE_CRON_CRASH:
                    failures.append(f"cron {' '.join(arguments)} exited {code}:\n{output[-3000:]}")
        day_seconds = time.monotonic() - t_day

        log(f"waiting (at most {DRAIN_SECONDS} s) for the outbox to drain and {READY_PATH} to answer 200")
        t_drain = time.monotonic()
        drained = None
        from linkdesk.models import MessageStatus, OutboxMessage

        while time.monotonic() - t_drain < DRAIN_SECONDS:
            with app.app_context():
                left = db.session.scalar(
                    select(db.func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status.in_([MessageStatus.PENDING, MessageStatus.SENDING]))
                )
                db.session.remove()
            if left == 0 and wait_for(gateway + READY_PATH, 1):
                drained = time.monotonic() - t_drain
                break
            time.sleep(1)
        if drained is None:
            failures.append(f"the outbox did not drain within {DRAIN_SECONDS} s ({left} left) or {READY_PATH} is not 200")
        time.sleep(RECEIVER_DELAY * 5)  # the last answers on their way

        found, figures = check_database(app, ledger, day, in_two, channels, receivers)
        failures += found
        windows = kill["windows"]

        def in_window(moment: float) -> bool:
            return any(start - 0.05 <= moment <= end for start, end in windows)

        errors = Counter((status, in_window(moment)) for moment, status, _ in tally.errors)
        outside = [(status, what) for moment, status, what in tally.errors if not in_window(moment)]
        if outside:
            failures.append(f"{len(outside)} error(s) outside the kill window: {outside[:5]}")
        server_errors = [(status, what) for _, status, what in tally.errors if status == 500]
        if server_errors:
            failures.append(f"{len(server_errors)} answer(s) 500: {server_errors[:5]}")
        if tally.unexpected:
            failures.append(f"{len(tally.unexpected)} unexpected answer(s), first: {tally.unexpected[:3]}")
        unresolved = [u for u in ledger.unacknowledged if u[1].startswith("UNRESOLVED")]
        if unresolved:
            failures.append(f"unresolved unacknowledged writes: {unresolved}")
        if not windows:
            failures.append("the kill never happened")

        print("\n=== two-server drill ===")
        print(
            f"day {day}{' (the desk clock moved ahead by time-machine)' if shift else ''}; worker: flask {' '.join(WORKER_COMMAND)}; "
            f"readiness: {READY_PATH}"
        )
        print(f"requests sent: {tally.requests} through nginx ({CLIENTS} clients)")
        print(
            "errors seen: "
            + (
                ", ".join(
                    f"{status or 'no answer'} {'in' if inside else 'OUTSIDE'} the kill window ×{n}"
                    for (status, inside), n in sorted(errors.items())
                )
                or "none"
            )
        )
        print(
            f"acknowledged writes: {len(ledger.filings)} filings, {len(ledger.decisions)} decisions, {len(ledger.attachments)} attachments"
        )
        outcomes = Counter(outcome.split(",")[0] for _, outcome in ledger.unacknowledged)
        print(f"unacknowledged writes: {len(ledger.unacknowledged)}" + (f" — {dict(outcomes)}" if outcomes else ""))
        for what, outcome in ledger.unacknowledged:
            print(f"  {what}: {outcome}")
        print(
            f"cron runs that failed: {len(cron_failures)}"
            + (
                ""
                if not cron_failures
                else " (" + ("tolerated: nothing lost is checked above" if TOLERATE_CRON_CRASH else "a failure") + ")"
            )
        )
        for line in cron_failures:
            print(f"  {line}")
        print(f"tickets: {figures.get('tickets')}; completed on the day: {figures.get('completed')}; outbox: {figures.get('outbox')}")
        for channel in ("robot", "webhook"):
            f = figures.get(channel, {})
            print(
                f"{channel}: {f.get('sent')} messages delivered in {f.get('deliveries')} requests; duplicates "
                f"{f.get('duplicates')}; redeliveries {f.get('redeliveries')}; by event {f.get('by_event')}"
            )
        gateway_recovery = kill["recovery_gateway"]
        print(
            f"recovery: {READY_PATH} through nginx answered 200 {gateway_recovery:.2f} s after the kill; "
            if gateway_recovery is not None
            else f"recovery: {READY_PATH} through nginx never answered 200; ",
            end="",
        )
        print(
            f"the killed server answered again after {kill['recovery_server']:.1f} s"
            if kill["recovery_server"] is not None
            else "the killed server never came back"
        )
        print(
            f"worker 0 was killed {'in the middle of a delivery' if kill['mid_send'] else 'between deliveries'}; "
            + (f"outbox drained {drained:.1f} s after the day's last step" if drained is not None else "outbox NOT drained")
        )
        print(f"the day took {day_seconds:.1f} s; the drill {time.monotonic() - started:.1f} s in all")
    except KeyboardInterrupt as stopped:
        interrupted = True
        failures.append(f"interrupted ({stopped})")
    except SystemExit as error:
        failures.append(str(error))
    finally:
        if stack is not None:
            stack.stop_all()
            if failures:
                for name_ in ("server0", "server1", "worker0", "worker1"):
                    tail = stack.tail(name_, 15)
                    if tail:
                        print(f"--- last lines of {name_}'s log ---\n{tail}")
        for receiver in receivers.values():
            receiver.stop()
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(directory, ignore_errors=True)
    if failures:
        print("\nDRILL FAILED:")
        for failure in failures:
            print(f"- {failure}")
        return 130 if interrupted else 1
    print("drill passed")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--shifted"]:
        shifted(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(main())
