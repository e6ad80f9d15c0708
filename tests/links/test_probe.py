"""The link prober against real servers on 127.0.0.1: TLS with certificates made here, redirects,
every named problem, the SSRF guard (checked at the socket level with an audit hook) and the
bounded concurrency of probe_many."""

import ipaddress
import itertools
import json
import socket
import ssl
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import idna
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from linkdesk.links.probe import PROBLEM_LABELS, ProbeResult, probe, probe_many

HOST = "gjj.example.gov.cn"
HOST2 = "zfgjj.example.gov.cn"
REBIND = "rebind.example.gov.cn"
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)

# --- socket-level record of what the prober connects to -------------------------------------------------

_RECORDERS: list[list] = []


def _audit(event, args):
    if event in ("socket.connect", "socket.getaddrinfo") and _RECORDERS:
        address = args[1] if event == "socket.connect" else args[0]
        for record in _RECORDERS:
            record.append((event, address))


sys.addaudithook(_audit)


@pytest.fixture
def sockets():
    """Every socket.connect and socket.getaddrinfo made during the test, as (event, address)."""
    record: list = []
    _RECORDERS.append(record)
    yield record
    _RECORDERS.remove(record)


def connected_to(record) -> list[str]:
    return [address[0] for event, address in record if event == "socket.connect" and isinstance(address, tuple)]


# --- certificates ------------------------------------------------------------------------------------


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class PKI:
    """A test CA and server certificates it signs, written to files for ssl.load_cert_chain."""

    def __init__(self, directory):
        self.directory = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name("linkdesk test CA"))
            .issuer_name(_name("linkdesk test CA"))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = self.cert.public_bytes(serialization.Encoding.PEM).decode()

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.pem)

    def server_context(self, label, names, *, valid_for=timedelta(days=90), expired=False) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        if expired:
            not_before, not_after = now - timedelta(days=30), now - timedelta(days=1)
        else:
            not_before, not_after = now - timedelta(days=1), now + valid_for
        sans = [x509.IPAddress(ipaddress.ip_address(name)) if name[0].isdigit() else x509.DNSName(name) for name in names]
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(names[0]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        certfile, keyfile = self.directory / f"{label}.crt", self.directory / f"{label}.key"
        certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        return context


# --- servers ------------------------------------------------------------------------------------------


class Tracker:
    """Simultaneous requests in progress, per Host header and in total."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.active, self.peak = Counter(), Counter()
            self.total = self.total_peak = 0

    def enter(self, host):
        with self.lock:
            self.active[host] += 1
            self.total += 1
            self.peak[host] = max(self.peak[host], self.active[host])
            self.total_peak = max(self.total_peak, self.total)

    def leave(self, host):
        with self.lock:
            self.active[host] -= 1
            self.total -= 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5

    def do_GET(self):
        server = self.server
        host = (self.headers.get("Host") or "").split(":")[0]
        server.requests.append((self.headers.get("Host"), self.path))
        server.tracker.enter(host)
        try:
            if self.path.startswith("/slow"):
                time.sleep(0.1)
        finally:
            # Counted until the answer starts: once it is on its way the client may already be
            # opening its next request, and counting both would overstate the concurrency.
            server.tracker.leave(host)
        status, headers = server.routes.get(self.path, (404, {}))
        body = b"<html>gjj</html>" * (4 if status == 200 else 1)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close joins the request threads

    def __init__(self, tls=None, tracker=None, address="127.0.0.1"):
        super().__init__((address, 0), Handler)
        self.tls = tls
        self.tracker = tracker or Tracker()
        self.routes: dict = {"/": (200, {}), "/ok": (200, {}), "/slow": (200, {})}
        self.requests: list = []
        self.port = self.server_address[1]
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def finish_request(self, request, client_address):
        if self.tls is None:
            return super().finish_request(request, client_address)
        request.settimeout(5)
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except OSError:  # the client gave up on the certificate
            return None
        try:
            return super().finish_request(conn, client_address)
        finally:
            conn.close()

    def handle_error(self, request, client_address):
        pass  # a client that hangs up early is not a test failure

    def url(self, path="/", host=HOST):
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def stop(self):
        self.shutdown()
        self.server_close()
        self.thread.join(5)


class Trickler:
    """A server that sends one byte every ``interval`` seconds and never finishes: an HTTP answer
    whose headers never end (over TLS when given a context), or, as a proxy in front of the port
    ``upstream``, whatever that server sends, the TLS handshake included."""

    HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"

    def __init__(self, *, tls=None, upstream=None, interval=0.2):
        self.tls, self.upstream, self.interval = tls, upstream, interval
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.threads = [threading.Thread(target=self.accept, daemon=True)]
        self.threads[0].start()

    def accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self.answer, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def answer(self, conn):
        conn.settimeout(5)
        upstream = None
        try:
            if self.upstream is None:
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                request = b""
                while b"\r\n\r\n" not in request and (chunk := conn.recv(4096)):
                    request += chunk
                endless = itertools.chain(self.HEAD, itertools.cycle(b"X-Padding: x\r\n"))
            else:
                upstream = socket.create_connection(("127.0.0.1", self.upstream), timeout=5)
                threading.Thread(target=self.pump, args=(conn, upstream), daemon=True).start()
                endless = (byte for chunk in iter(lambda: upstream.recv(4096), b"") for byte in chunk)
            for byte in endless:
                if self.stopping.wait(self.interval):
                    return
                conn.sendall(bytes([byte]))
        except OSError:  # the prober hung up: what it is tested for
            return
        finally:
            conn.close()
            if upstream is not None:
                upstream.close()

    @staticmethod
    def pump(source, sink):
        try:
            while chunk := source.recv(4096):
                sink.sendall(chunk)
        except OSError:
            return

    def url(self, path="/", scheme="http"):
        return f"{scheme}://{HOST}:{self.port}{path}"

    def stop(self):
        self.stopping.set()
        self.listener.close()
        for thread in self.threads:
            thread.join(5)


@pytest.fixture
def trickler():
    """Make a Trickler; every one made is stopped after the test."""
    made = []

    def make(**options):
        made.append(Trickler(**options))
        return made[-1]

    yield make
    for server in made:
        server.stop()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return PKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def servers(pki):
    made = {
        "site": Server(pki.server_context("site", [HOST, HOST2, REBIND, "127.0.0.1"])),
        "expiring": Server(pki.server_context("expiring", [HOST], valid_for=timedelta(days=5, hours=1))),
        "expired": Server(pki.server_context("expired", [HOST], expired=True)),
        "other_name": Server(pki.server_context("other", ["other.example.com"])),
        "plain": Server(),
    }
    site = made["site"]
    site.routes.update(
        {
            "/404": (404, {}),
            "/500": (500, {}),
            "/start": (301, {"Location": site.url("/step")}),
            "/step": (302, {"Location": "/final?from=step"}),
            "/final?from=step": (200, {}),
            "/relative/a": (307, {"Location": "../ok"}),
            "/loop1": (302, {"Location": "/loop2"}),
            "/loop2": (302, {"Location": "/loop1"}),
            "/downgrade": (302, {"Location": made["plain"].url("/ok")}),
            "/away": (302, {"Location": f"https://other.example.gov.cn:{site.port}/"}),
            "/to-lan": (302, {"Location": "https://10.0.0.1/"}),
            "/to-intranet": (302, {"Location": f"https://intranet.example.gov.cn:{site.port}/"}),
            "/nowhere": (302, {}),
            "/weixin": (302, {"Location": "weixin://dl/business/?t=abc"}),
        }
    )
    for number in range(8):
        site.routes[f"/chain/{number}"] = (302, {"Location": f"/chain/{number + 1}"})
    made["plain"].routes["/upgrade"] = (301, {"Location": site.url("/ok")})
    yield made
    for server in made.values():
        server.stop()


@pytest.fixture(scope="module")
def silent():
    """A port that accepts connections (the kernel's backlog) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


def free_port() -> int:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        return holder.getsockname()[1]


class Resolver:
    """Fake public-looking names on 127.0.0.1, an intranet name, and a name that rebinds."""

    def __init__(self):
        self.calls: list = []
        self.names = {
            HOST: ["127.0.0.1"],
            HOST2: ["127.0.0.1"],
            "intranet.example.gov.cn": ["10.0.0.1"],
            "mixed.example.gov.cn": ["127.0.0.1", "10.0.0.2"],
            "mapped.example.gov.cn": ["::ffff:10.0.0.1"],
        }

    def __call__(self, host, port):
        self.calls.append((host, port))
        if host == REBIND:  # public at first, the intranet afterwards
            return ["127.0.0.1"] if len([call for call in self.calls if call[0] == REBIND]) == 1 else ["10.0.0.1"]
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.names[host])


@pytest.fixture
def resolver():
    return Resolver()


@pytest.fixture
def opts(resolver, servers, pki, silent):
    ports = (80, 443, silent, *(server.port for server in servers.values()))
    return {"resolver": resolver, "allow_networks": LOOPBACK, "allowed_ports": ports, "ssl_context": pki.client_context(), "timeout": 3.0}


# --- healthy -----------------------------------------------------------------------------------------


def test_healthy_https_page(servers, opts, sockets):
    site = servers["site"]
    result = probe(site.url("/ok"), **opts)
    assert result.healthy, result
    assert result.problem is None and result.problem_label is None
    assert result.status == 200
    assert result.final_url == site.url("/ok")
    assert [(hop.url, hop.status, hop.ip) for hop in result.hops] == [(site.url("/ok"), 200, "127.0.0.1")]
    assert 80 <= result.tls_days_left <= 90
    assert 0 <= result.elapsed_ms < 3000
    assert result.checked_at.tzinfo is not None
    assert (f"{HOST}:{site.port}", "/ok") in site.requests  # the Host header names the host, not the address
    assert connected_to(sockets) == ["127.0.0.1"]
    assert not [address for event, address in sockets if event == "socket.getaddrinfo" and address != "127.0.0.1"]
    assert opts["resolver"].calls == [(HOST, site.port)]


def test_to_dict_is_json(servers, opts):
    data = probe(servers["site"].url("/start"), **opts).to_dict()
    decoded = json.loads(json.dumps(data))
    assert decoded["healthy"] is True
    assert decoded["hops"][0] == {"url": servers["site"].url("/start"), "status": 301, "ip": "127.0.0.1"}
    assert datetime.fromisoformat(decoded["checked_at"]).tzinfo is not None


def test_literal_loopback_address_allowed_by_configuration(servers, opts):
    result = probe(f"https://127.0.0.1:{servers['site'].port}/ok", **opts)
    assert result.healthy, result
    assert opts["resolver"].calls == []


# --- HTTP errors and redirects ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 500])
def test_http_error_keeps_the_status(servers, opts, status):
    result = probe(servers["site"].url(f"/{status}"), **opts)
    assert not result.healthy
    assert result.problem == "http_error"
    assert result.status == status
    assert result.problem_label == f"网页返回错误（HTTP {status}）"
    assert str(status) in result.detail


def test_redirect_chain_recorded_hop_by_hop(servers, opts):
    site = servers["site"]
    result = probe(site.url("/start"), **opts)
    assert result.healthy, result
    assert [(hop.url, hop.status, hop.ip) for hop in result.hops] == [
        (site.url("/start"), 301, "127.0.0.1"),
        (site.url("/step"), 302, "127.0.0.1"),
        (site.url("/final?from=step"), 200, "127.0.0.1"),
    ]
    assert result.final_url == site.url("/final?from=step")
    assert result.status == 200
    assert len(opts["resolver"].calls) == 3  # every hop resolved and checked again


def test_relative_location_resolved_against_the_current_url(servers, opts):
    result = probe(servers["site"].url("/relative/a"), **opts)
    assert result.healthy, result
    assert result.final_url == servers["site"].url("/ok")


def test_http_link_upgraded_to_https_is_healthy(servers, opts):
    result = probe(servers["plain"].url("/upgrade"), **opts)
    assert result.healthy, result
    assert [hop.status for hop in result.hops] == [301, 200]


def test_redirect_loop(servers, opts):
    result = probe(servers["site"].url("/loop1"), **opts)
    assert result.problem == "redirect_loop"
    assert result.problem_label == "循环跳转"
    assert [hop.status for hop in result.hops] == [302, 302]


def test_too_many_redirects(servers, opts):
    result = probe(servers["site"].url("/chain/0"), **{**opts, "max_redirects": 3})
    assert result.problem == "too_many_redirects"
    assert len(result.hops) == 4
    assert probe(servers["site"].url("/chain/5"), **opts).problem == "http_error"  # 3 redirects, then a 404


def test_redirect_to_http_is_not_followed(servers, opts, sockets):
    plain = servers["plain"]
    before = len(plain.requests)
    result = probe(servers["site"].url("/downgrade"), **opts)
    assert result.problem == "redirect_to_http"
    assert result.status == 302
    assert result.final_url == plain.url("/ok")
    assert len(plain.requests) == before
    assert len(connected_to(sockets)) == 1


def test_redirect_to_another_host_is_not_followed(servers, opts):
    result = probe(servers["site"].url("/away"), **opts)
    assert result.problem == "redirect_other_host"
    assert result.problem_label == "跳转到其他域名"
    assert result.final_url.startswith("https://other.example.gov.cn:")
    assert [host for host, _ in opts["resolver"].calls] == [HOST]


def test_redirect_to_the_expected_host_is_followed(servers, opts):
    site = servers["site"]
    site.routes["/to-host2"] = (302, {"Location": site.url("/ok", host=HOST2)})
    result = probe(site.url("/to-host2"), **{**opts, "expected_host": HOST2.upper() + "."})
    assert result.healthy, result
    assert probe(site.url("/ok"), **{**opts, "expected_host": HOST2}).problem == "redirect_other_host"


def test_plain_http_page_is_not_https(servers, opts):
    result = probe(servers["plain"].url("/ok"), **opts)
    assert result.problem == "not_https"
    assert result.status == 200
    assert result.tls_days_left is None


def test_other_answers(servers, opts):
    assert probe(servers["site"].url("/nowhere"), **opts).problem == "http_error"  # a 302 without Location
    weixin = probe(servers["site"].url("/weixin"), **opts)
    assert weixin.problem == "bad_url"
    assert weixin.final_url.startswith("weixin://")


# --- the SSRF guard ----------------------------------------------------------------------------------


def test_hop_that_rebinds_to_the_intranet_is_refused(servers, opts, sockets):
    site = servers["site"]
    site.routes["/rebind"] = (302, {"Location": "/ok"})
    result = probe(site.url("/rebind", host=REBIND), **opts)
    assert result.problem == "private_address"
    assert result.problem_label == "指向内网地址"
    assert result.hops[-1].ip == "10.0.0.1" and result.hops[-1].status is None
    assert connected_to(sockets) == ["127.0.0.1"]
    assert "10.0.0.1" in result.detail


def test_redirect_to_a_host_on_the_intranet_is_refused(servers, opts, sockets):
    result = probe(servers["site"].url("/to-intranet"), **{**opts, "expected_host": "intranet.example.gov.cn"})
    assert result.problem == "private_address"
    assert ("intranet.example.gov.cn", servers["site"].port) in opts["resolver"].calls
    assert "10.0.0.1" not in connected_to(sockets)
    assert result.elapsed_ms < 1000


def test_redirect_to_a_private_address_literal_is_refused(servers, opts, sockets):
    result = probe(servers["site"].url("/to-lan"), **opts)
    assert result.problem == "private_address"
    assert result.final_url == "https://10.0.0.1/"
    assert connected_to(sockets) == ["127.0.0.1"]


@pytest.mark.parametrize("name", ["intranet.example.gov.cn", "mixed.example.gov.cn", "mapped.example.gov.cn"])
def test_name_resolving_to_any_private_address_is_refused(opts, sockets, name):
    result = probe(f"https://{name}/", **opts)
    assert result.problem == "private_address"
    assert connected_to(sockets) == []
    assert result.elapsed_ms < 1000


def test_loopback_is_refused_without_the_allow_list(servers, opts, sockets):
    result = probe(servers["site"].url("/ok"), **{**opts, "allow_networks": ()})
    assert result.problem == "private_address"
    assert connected_to(sockets) == []
    assert servers["site"].url("/ok") == result.final_url


@pytest.mark.parametrize(
    "location", ["http://127.0.0.1:{port}/ok", "http://[::ffff:127.0.0.1]:{port}/ok", "http://edge.example.gov.cn:{port}/ok"]
)
def test_redirect_to_loopback_is_refused_when_loopback_is_not_allowed(servers, sockets, location):
    # As by default, loopback is not allowed: only the first hop's own address is, so that it can answer.
    site = servers["site"]
    edge = Server(address="127.0.0.2")
    answers = iter([["127.0.0.2"], ["127.0.0.1"]])  # a public-looking name that rebinds to loopback
    before = len(site.requests)
    try:
        edge.routes["/to-loopback"] = (302, {"Location": location.format(port=site.port)})
        result = probe(
            f"http://edge.example.gov.cn:{edge.port}/to-loopback",
            resolver=lambda host, port: next(answers),
            allow_networks=(ipaddress.ip_network("127.0.0.2/32"),),
            allowed_ports=(edge.port, site.port),
        )
    finally:
        edge.stop()
    assert result.problem == "private_address", result
    assert [hop.status for hop in result.hops] == [302, None]
    refused = ipaddress.ip_address(result.hops[-1].ip)
    assert (getattr(refused, "ipv4_mapped", None) or refused) == ipaddress.ip_address("127.0.0.1")
    assert connected_to(sockets) == ["127.0.0.2"]
    assert len(site.requests) == before


def test_system_resolver_result_is_checked(servers, opts, sockets):
    options = {**opts, "resolver": None, "allow_networks": ()}
    result = probe(f"https://localhost:{servers['site'].port}/ok", **options)
    assert result.problem == "private_address"
    assert connected_to(sockets) == []


def test_private_literal_refused_without_connecting(resolver, sockets):
    result = probe("http://10.1.2.3/", resolver=resolver)
    assert result.problem == "private_address"
    assert result.problem_label == "指向内网地址"
    assert resolver.calls == []
    assert connected_to(sockets) == []
    assert result.elapsed_ms < 100


def test_private_literal_allowed_when_its_network_is(resolver, sockets):
    result = probe("http://10.1.2.3/", resolver=resolver, allow_networks=(ipaddress.ip_network("10.0.0.0/8"),), timeout=0.3)
    # Whatever answers there (or not) on this machine's network, the address was tried.
    assert result.problem != "private_address"
    assert connected_to(sockets) == ["10.1.2.3"]
    assert result.hops[0].ip == "10.1.2.3"


# --- DNS, connection, timeouts, ports, bad addresses ---------------------------------------------------


def test_dns_failure(opts, sockets):
    result = probe("https://nosuch.example.gov.cn/", **opts)
    assert result.problem == "dns_failure"
    assert result.problem_label == "域名解析失败"
    assert "nosuch.example.gov.cn" in result.detail
    assert connected_to(sockets) == []


def test_refused(opts):
    port = free_port()
    result = probe(f"https://{HOST}:{port}/", **{**opts, "allowed_ports": (port,)})
    assert result.problem == "refused"
    assert result.problem_label == "连接被拒绝"
    assert result.hops[0].ip == "127.0.0.1"


def test_timeout(opts, silent):
    started = time.monotonic()
    result = probe(f"https://{HOST}:{silent}/", **{**opts, "timeout": 0.5})
    assert result.problem == "timeout"
    assert result.problem_label == "访问超时"
    assert 400 <= result.elapsed_ms < 2000
    assert time.monotonic() - started < 2


def probe_timed(url, opts, **options):
    """The probe's result and the seconds it took by the wall clock."""
    started = time.monotonic()
    result = probe(url, **{**opts, **options})
    return result, time.monotonic() - started


def test_headers_trickled_byte_by_byte_time_out(opts, trickler):
    slow = trickler()
    result, seconds = probe_timed(slow.url(), opts, timeout=1.0, allowed_ports=(slow.port,))
    assert result.problem == "timeout", result
    assert result.problem_label == "访问超时"
    assert "timed out" in result.detail
    assert result.status is None and result.hops[0].status is None
    assert 900 <= result.elapsed_ms < 3000
    assert seconds < 3  # each read used to get the whole time limit again: 13 s and more


def test_headers_trickled_over_tls_time_out(opts, trickler, pki):
    slow = trickler(tls=pki.server_context("trickle", [HOST]))
    result, seconds = probe_timed(slow.url(scheme="https"), opts, timeout=1.0, allowed_ports=(slow.port,))
    assert result.problem == "timeout", result
    assert result.detail.startswith("HTTP request")  # the handshake was done: the headers are what trickled
    assert 900 <= result.elapsed_ms < 3000
    assert seconds < 3


def test_tls_handshake_trickled_byte_by_byte_times_out(servers, opts, trickler):
    slow = trickler(upstream=servers["site"].port)
    result, seconds = probe_timed(slow.url("/ok", scheme="https"), opts, timeout=1.0, allowed_ports=(slow.port,))
    assert result.problem == "timeout", result
    assert result.detail.startswith("TLS handshake")
    assert 900 <= result.elapsed_ms < 3000
    assert seconds < 3


def test_time_limit_covers_every_hop(servers, opts, trickler):
    slow = trickler()
    plain = servers["plain"]
    plain.routes["/to-trickle"] = (302, {"Location": "/to-trickle-2"})
    plain.routes["/to-trickle-2"] = (302, {"Location": slow.url()})
    result, seconds = probe_timed(plain.url("/to-trickle"), opts, timeout=1.0, allowed_ports=(plain.port, slow.port))
    assert result.problem == "timeout", result
    assert [hop.status for hop in result.hops] == [302, 302, None]
    assert 900 <= result.elapsed_ms < 3000
    assert seconds < 3


def test_port_not_allowed(servers, resolver, sockets):
    result = probe(servers["site"].url("/ok"), resolver=resolver, allow_networks=LOOPBACK)
    assert result.problem == "port_not_allowed"
    assert resolver.calls == []
    assert connected_to(sockets) == []


@pytest.mark.parametrize(
    "url",
    [
        "",
        "gjj.example.gov.cn/index",
        "ftp://gjj.example.gov.cn/",
        "https://",
        "https://a b.gov.cn/",
        "https://user:secret@gjj.example.gov.cn/",
        "https://gjj.example.gov.cn:99999/",
        "https://[::1/",
        "https://gjj.example.gov.cn/\r\nX: y",
    ],
)
def test_bad_url(url, resolver):
    result = probe(url, resolver=resolver)
    assert result.problem == "bad_url"
    assert result.problem_label == "地址格式不正确"
    assert result.url == url
    assert resolver.calls == []


def test_unicode_host_and_path(servers, opts, resolver):
    ascii_name = idna.encode("公积金.example.gov.cn").decode()
    assert ascii_name.startswith("xn--")
    resolver.names[ascii_name] = ["127.0.0.1"]
    site = servers["site"]
    site.routes["/%E5%8A%9E%E4%BA%8B?q=%E6%8F%90%E5%8F%96"] = (200, {})
    result = probe(f"https://公积金.example.gov.cn:{site.port}/办事?q=提取", **opts)
    assert resolver.calls == [(ascii_name, site.port)]  # the name is looked up in its ASCII form
    assert result.problem == "tls_invalid"  # the certificate does not name it
    assert (f"{ascii_name}:{site.port}", "/%E5%8A%9E%E4%BA%8B?q=%E6%8F%90%E5%8F%96") not in site.requests
    result = probe(f"https://gjj.example.gov.cn:{site.port}/办事?q=提取", **opts)
    assert result.healthy, result
    assert (f"{HOST}:{site.port}", "/%E5%8A%9E%E4%BA%8B?q=%E6%8F%90%E5%8F%96") in site.requests


# --- TLS ---------------------------------------------------------------------------------------------


def test_certificate_for_another_name_is_invalid(servers, opts):
    result = probe(servers["other_name"].url("/ok"), **opts)
    assert result.problem == "tls_invalid"
    assert result.problem_label == "证书无效"
    assert "mismatch" in result.detail.lower() or "not valid" in result.detail.lower()


def test_untrusted_certificate_is_invalid(servers, opts):
    result = probe(servers["site"].url("/ok"), **{**opts, "ssl_context": None})  # the system's trust store
    assert result.problem == "tls_invalid"
    assert result.detail


def test_expired_certificate_is_invalid(servers, opts):
    result = probe(servers["expired"].url("/ok"), **opts)
    assert result.problem == "tls_invalid"
    assert "expired" in result.detail


def test_certificate_expiring_soon(servers, opts):
    result = probe(servers["expiring"].url("/ok"), **opts)
    assert not result.healthy
    assert result.problem == "tls_expiring"
    assert result.tls_days_left == 5
    assert result.problem_label == "证书将在 5 天内过期"
    assert result.status == 200


def test_tls_to_a_plain_http_port(servers, opts):
    result = probe(f"https://{HOST}:{servers['plain'].port}/ok", **opts)
    assert result.problem == "connection_error"
    assert "TLS" in result.detail


def test_every_problem_has_a_chinese_label():
    assert set(PROBLEM_LABELS) == {
        "dns_failure",
        "refused",
        "timeout",
        "tls_invalid",
        "tls_expiring",
        "http_error",
        "redirect_loop",
        "too_many_redirects",
        "redirect_to_http",
        "redirect_other_host",
        "private_address",
        "port_not_allowed",
        "bad_url",
        "not_https",
        "connection_error",
    }
    assert all(any("\u4e00" <= char <= "\u9fff" for char in label) for label in PROBLEM_LABELS.values())


# --- probe_many --------------------------------------------------------------------------------------


def test_probe_many_bounds_concurrency_per_host(servers, opts):
    site = servers["site"]
    site.tracker.reset()
    urls = [site.url(f"/slow?n={n}", host=HOST) for n in range(10)] + [site.url(f"/slow?n={n}", host=HOST2) for n in range(10)]
    for url in urls:
        site.routes[url.split(str(site.port), 1)[1]] = (200, {})
    results = list(probe_many(urls, concurrency=8, per_host=2, **opts))
    assert sorted(result.url for result in results) == sorted(urls)
    assert all(isinstance(result, ProbeResult) and result.healthy for result in results), [r.problem for r in results]
    assert 1 <= site.tracker.peak[HOST] <= 2
    assert 1 <= site.tracker.peak[HOST2] <= 2
    # How much faster than one at a time is measured by benchmarks/bench_probe.py, not timed here.


def test_probe_many_yields_as_completed(servers, opts):
    urls = [servers["site"].url("/slow"), f"https://{HOST}:{free_port()}/", "nonsense"]
    results = probe_many(urls, **{**opts, "allowed_ports": (*opts["allowed_ports"], *range(1024, 65536))})
    first = next(results)
    assert first.url != urls[0]  # the slow page comes last
    rest = list(results)
    assert {result.url for result in [first, *rest]} == set(urls)
    assert list(probe_many([])) == []


def test_probe_many_rejects_unknown_options():
    with pytest.raises(TypeError):
        list(probe_many(["https://gjj.example.gov.cn/"], timout=3))
