"""The link prober: is a mini-program link healthy, and if not, what is wrong with it.

One probe of a URL resolves its host once, refuses it when any address is not public (the
prober must never be a door into the intranet), connects to exactly the address it checked,
verifies TLS for the host name, sends one HTTP/1.1 GET and follows redirects by hand, checking
every hop the same way. Healthy means: it ends in a 2xx over https on the expected host within
the time limit, with a certificate that does not expire within ``EXPIRY_WARNING_DAYS`` days.
Anything else is one named problem with a Chinese label for the UI.

Pure Python: no Flask, no database. ``probe_many`` probes a list concurrently, bounded in
total and per host, and yields the results as they complete.
"""

import http.client
import inspect
import io
import ipaddress
import math
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote, urljoin, urlsplit

import idna

EXPIRY_WARNING_DAYS = 14
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}
USER_AGENT = "Mozilla/5.0 (compatible; linkdesk-probe/1.0)"
MAX_DETAIL = 500

# The problems a probe can name, with the label the UI shows. Two take a number:
# ``tls_expiring`` the days left, ``http_error`` the status.
PROBLEM_LABELS = {
    "dns_failure": "域名解析失败",
    "refused": "连接被拒绝",
    "timeout": "访问超时",
    "tls_invalid": "证书无效",
    "tls_expiring": "证书将在 {days} 天内过期",
    "http_error": "网页返回错误（HTTP {status}）",
    "redirect_loop": "循环跳转",
    "too_many_redirects": "跳转次数过多",
    "redirect_to_http": "跳转到不安全的 http 地址",
    "redirect_other_host": "跳转到其他域名",
    "private_address": "指向内网地址",
    "port_not_allowed": "端口不在允许范围内",
    "bad_url": "地址格式不正确",
    "not_https": "未使用 https 加密",
    "connection_error": "连接失败",
}

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_URI = re.compile(r"[^\x21-\x7e]")  # what must be percent-encoded in a request target
_HOST = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$")


def problem_label(code: str, *, days_left: int | None = None, status: int | None = None) -> str:
    """The Chinese label of a problem code (with the days left or the HTTP status filled in)."""
    return PROBLEM_LABELS[code].format(days=max(days_left or 0, 1), status=status if status is not None else "—")


@dataclass
class Hop:
    """One request of the chain: the URL, the HTTP status (None when no answer came) and the
    address connected to (or the refused address, for ``private_address``)."""

    url: str
    status: int | None = None
    ip: str | None = None


@dataclass
class ProbeResult:
    """The verdict on one URL.

    ``final_url`` is where the chain stopped: the last page fetched, or the redirect target the
    prober refused to follow. ``status`` is the last HTTP status received. ``tls_days_left`` is
    the fewest whole days left on the server certificate of any https hop (only the server's own
    certificate: the intermediates and the root it was verified with are not looked at).
    """

    url: str
    healthy: bool = False
    problem: str | None = None
    problem_label: str | None = None
    status: int | None = None
    final_url: str | None = None
    hops: list[Hop] = field(default_factory=list)
    tls_days_left: int | None = None
    elapsed_ms: int = 0
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    detail: str | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["checked_at"] = self.checked_at.isoformat()
        return data


class _Problem(Exception):
    def __init__(self, code: str, detail: str | None = None):
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # ASCII, lower case, no trailing dot, no brackets
    port: int
    literal: IPAddress | None
    request_target: str

    @property
    def key(self) -> tuple:
        return (self.scheme, self.host, self.port, self.request_target)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if self.literal is not None and self.literal.version == 6 else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses of a host from the system resolver, in its order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _lookup_within(resolver: Resolver, host: str, port: int, seconds: float) -> list[str]:
    """``resolver(host, port)`` given at most ``seconds``: the lookup runs in a daemon thread of
    its own (getaddrinfo has no timeout and cannot be interrupted), and a lookup still running
    at the deadline is a ``timeout`` while the thread finishes on its own."""
    outcome: list = []

    def run():
        try:
            outcome.append((True, resolver(host, port)))
        except BaseException as error:  # handed to the caller below
            outcome.append((False, error))

    worker = threading.Thread(target=run, name=f"probe-dns-{host}", daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise _Problem("timeout", f"{host}: DNS lookup timed out")
    succeeded, value = outcome[0]
    if not succeeded:
        raise value
    return value


@lru_cache(maxsize=1)
def _default_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _is_public(ip: IPAddress) -> bool:
    from .address_policy import is_public_ip

    return is_public_ip(ip)


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _normal_host(host: str) -> str:
    """A host name as the prober compares it: ASCII (IDNA), lower case, no trailing dot."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if _ip_literal(host) is not None:
        return str(_ip_literal(host))
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as error:
        raise _Problem("bad_url", f"invalid host name {host!r}: {error}") from None


def _parse(url: str) -> _Target:
    text = url.strip()
    if not text:
        raise _Problem("bad_url", "empty address")
    if _CONTROL.search(text):
        raise _Problem("bad_url", "control characters in the address")
    try:
        parts = urlsplit(text)
        port = parts.port
        hostname = parts.hostname
    except ValueError as error:
        raise _Problem("bad_url", f"{text[:200]}: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise _Problem("bad_url", f"only http and https addresses can be probed: {text[:200]}")
    if parts.username is not None or parts.password is not None:
        raise _Problem("bad_url", "user name or password in the address")
    if not hostname:
        raise _Problem("bad_url", f"no host in {text[:200]}")
    host = _normal_host(hostname)
    literal = _ip_literal(host)
    if literal is None and (len(host) > 253 or not _HOST.match(host)):
        raise _Problem("bad_url", f"invalid host name {host!r}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    target = _NOT_URI.sub(lambda match: quote(match.group(), safe=""), target)
    return _Target(text, scheme, host, port if port is not None else DEFAULT_PORTS[scheme], literal, target)


def _os_problem(error: OSError, what: str) -> _Problem:
    if isinstance(error, TimeoutError):
        return _Problem("timeout", f"{what}: timed out")
    if isinstance(error, ConnectionRefusedError):
        return _Problem("refused", f"{what}: connection refused")
    return _Problem("connection_error", f"{what}: {error}")


def _seconds_until(deadline: float) -> float:
    """The time left until ``deadline``, for a socket timeout; TimeoutError when none is left."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("time limit reached")
    return left


class _DeadlineStream(io.RawIOBase):
    """A socket read as a stream whose every read waits only until ``deadline``.

    http.client reads the status line and headers with many small reads; a socket timeout set
    once would give each of them the whole time limit again, and a server sending one byte at a
    time could hold the probe for as long as it liked.
    """

    def __init__(self, sock: socket.socket, deadline: float):
        super().__init__()
        self.sock = sock
        self.deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.sock.settimeout(_seconds_until(self.deadline))
        return self.sock.recv_into(buffer)


class _DeadlineSocket:
    """What http.client.HTTPResponse asks of a socket: ``makefile``, here a _DeadlineStream."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock = sock
        self.deadline = deadline

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineStream(self.sock, self.deadline))


class _Prober:
    def __init__(self, *, timeout, allow_networks, allowed_ports, max_body, resolver, ssl_context):
        self.deadline = time.monotonic() + timeout
        self.allow_networks = tuple(allow_networks)
        self.allowed_ports = frozenset(allowed_ports)
        self.max_body = max_body
        self.resolver = resolver or system_resolver
        self.context = ssl_context or _default_context()

    def remaining(self) -> float:
        try:
            return _seconds_until(self.deadline)
        except TimeoutError:
            raise _Problem("timeout", "time limit reached") from None

    def permitted(self, ip: IPAddress) -> bool:
        """Whether the prober may connect to an address: public, or inside an allowed network."""
        candidates = [ip]
        if isinstance(ip, ipaddress.IPv6Address):
            if ip.scope_id:
                candidates.append(ipaddress.IPv6Address(str(ip).split("%", 1)[0]))
            if ip.ipv4_mapped is not None:
                candidates.append(ip.ipv4_mapped)
        if any(address.version == network.version and address in network for address in candidates for network in self.allow_networks):
            return True
        return _is_public(ip)

    def resolve(self, target: _Target) -> list[IPAddress]:
        if target.literal is not None:
            return [target.literal]
        try:
            found = _lookup_within(self.resolver, target.host, target.port, self.remaining())
        except (OSError, UnicodeError, ValueError) as error:
            raise _Problem("dns_failure", f"{target.host}: {error}") from None
        addresses: list[IPAddress] = []
        for text in found or ():
            ip = _ip_literal(str(text))
            if ip is None:
                raise _Problem("dns_failure", f"{target.host}: not an address {text!r}")
            if ip not in addresses:
                addresses.append(ip)
        if not addresses:
            raise _Problem("dns_failure", f"{target.host}: no address")
        self.remaining()
        return addresses

    def check(self, target: _Target, addresses: list[IPAddress], hop: Hop) -> None:
        for ip in addresses:
            if not self.permitted(ip):
                hop.ip = str(ip)
                raise _Problem(
                    "private_address",
                    f"{ip} is not a public address"
                    if target.literal is not None
                    else f"{target.host} resolves to the non-public address {ip}",
                )

    def connect(self, addresses: list[IPAddress], port: int, hop: Hop) -> socket.socket:
        """A TCP connection to one of the checked addresses, tried in order (no name lookup)."""
        problem = None
        for ip in addresses:
            hop.ip = str(ip)
            left = self.remaining()
            try:
                family, kind, proto, _, sockaddr = socket.getaddrinfo(str(ip), port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)[
                    0
                ]
                sock = socket.socket(family, kind, proto)
            except OSError as error:
                problem = _os_problem(error, f"connect to {ip} port {port}")
                continue
            try:
                sock.settimeout(left)
                sock.connect(sockaddr)
            except OSError as error:
                sock.close()
                problem = _os_problem(error, f"connect to {ip} port {port}")
                continue
            return sock
        raise problem or _Problem("connection_error", "no address to connect to")

    def secure(self, sock: socket.socket, target: _Target) -> tuple[ssl.SSLSocket, int | None]:
        """TLS over the connection, verified for the host name; the certificate's whole days left."""
        try:
            # The ssl module spends a socket timeout on the whole handshake, not on each read.
            sock.settimeout(self.remaining())
            tls = self.context.wrap_socket(sock, server_hostname=target.host)
        except ssl.SSLCertVerificationError as error:
            raise _Problem("tls_invalid", error.verify_message or str(error)) from None
        except TimeoutError:
            raise _Problem("timeout", f"TLS handshake with {target.host}: timed out") from None
        except ssl.SSLError as error:
            raise _Problem("connection_error", f"TLS handshake with {target.host} failed: {error}") from None
        except OSError as error:
            raise _os_problem(error, f"TLS handshake with {target.host}") from None
        days_left = None
        not_after = (tls.getpeercert() or {}).get("notAfter")
        if not_after:
            days_left = math.floor((ssl.cert_time_to_seconds(not_after) - time.time()) / 86400)
        return tls, days_left

    def fetch(self, target: _Target, hop: Hop) -> tuple[int, str | None, int | None]:
        """One GET: the status, the Location header and the certificate's days left."""
        if target.port not in self.allowed_ports:
            raise _Problem("port_not_allowed", f"port {target.port} is not among the allowed ports")
        addresses = self.resolve(target)
        self.check(target, addresses, hop)
        sock = self.connect(addresses, target.port, hop)
        conn: socket.socket = sock
        try:
            days_left = None
            if target.scheme == "https":
                conn, days_left = self.secure(sock, target)
            request = (
                f"GET {target.request_target} HTTP/1.1\r\nHost: {target.host_header}\r\n"
                f"User-Agent: {USER_AGENT}\r\nAccept: text/html,*/*;q=0.8\r\n"
                "Accept-Encoding: identity\r\nConnection: close\r\n\r\n"
            )
            response = http.client.HTTPResponse(_DeadlineSocket(conn, self.deadline), method="GET")
            try:
                try:
                    self.send(conn, request.encode("ascii"))
                    response.begin()
                except http.client.HTTPException as error:
                    raise _Problem("connection_error", f"invalid HTTP response from {target.host}: {error!r}") from None
                except OSError as error:
                    raise _os_problem(error, f"HTTP request to {target.host}") from None
                hop.status = response.status
                location = response.getheader("Location")
                self.drain(response)
            finally:
                response.close()
            return response.status, location, days_left
        finally:
            conn.close()
            sock.close()

    def send(self, conn: socket.socket, data: bytes) -> None:
        """Send all of ``data``, each send waiting only for the time left (SSLSocket.sendall
        would give every send the whole timeout again)."""
        view = memoryview(data)
        while view:
            conn.settimeout(_seconds_until(self.deadline))
            view = view[conn.send(view) :]

    def drain(self, response: http.client.HTTPResponse) -> None:
        """Read at most ``max_body`` bytes of the body within the time left, and nothing more
        (the response reads through a _DeadlineStream, which stops at the deadline)."""
        wanted = self.max_body
        try:
            while wanted > 0:
                chunk = response.read1(min(wanted, 16384))
                if not chunk:
                    return
                wanted -= len(chunk)
        except (OSError, http.client.HTTPException, ValueError):
            return


def probe(
    url: str,
    *,
    timeout: float = 10.0,
    expected_host: str | None = None,
    allow_networks: Iterable[Network] = (),
    allowed_ports: Iterable[int] = (80, 443),
    max_redirects: int = 5,
    max_body: int = 65536,
    resolver: Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> ProbeResult:
    """Probe one URL: DNS, connect, TLS, HTTP status and redirects, within ``timeout`` seconds.

    ``expected_host`` is where the link must end (default: the URL's own host);
    ``allow_networks`` are non-public networks the prober may connect to anyway (tests,
    intranet deployments); ``resolver(host, port)`` returns address strings (default: the
    system resolver, asked once per hop, in a thread of its own that the time limit bounds); ``ssl_context`` defaults to the system's trust.
    """
    started = time.monotonic()
    result = ProbeResult(url=url)
    prober = _Prober(
        timeout=timeout,
        allow_networks=allow_networks,
        allowed_ports=allowed_ports,
        max_body=max_body,
        resolver=resolver,
        ssl_context=ssl_context,
    )
    try:
        _follow(prober, result, expected_host, max_redirects)
    except _Problem as problem:
        result.healthy = False
        result.problem = problem.code
        result.detail = (problem.detail or "")[:MAX_DETAIL] or None
    else:
        result.healthy = True
    if result.problem:
        result.problem_label = problem_label(result.problem, days_left=result.tls_days_left, status=result.status)
    result.elapsed_ms = round((time.monotonic() - started) * 1000)
    return result


def _follow(prober: _Prober, result: ProbeResult, expected_host: str | None, max_redirects: int) -> None:
    current = _parse(result.url)
    result.final_url = current.url
    expected = _normal_host(expected_host) if expected_host else current.host
    seen = {current.key}
    redirects = 0
    while True:
        hop = Hop(current.url)
        result.hops.append(hop)
        result.final_url = current.url
        status, location, days_left = prober.fetch(current, hop)
        result.status = status
        if days_left is not None:
            result.tls_days_left = days_left if result.tls_days_left is None else min(result.tls_days_left, days_left)
        if status not in REDIRECT_STATUSES or not location:
            break
        try:
            following = _parse(urljoin(current.url, location.strip()))
        except _Problem as problem:
            result.final_url = location.strip()[:2048]
            raise _Problem("bad_url", f"redirect to an unusable address: {problem.detail}") from None
        result.final_url = following.url
        if following.literal is not None and not prober.permitted(following.literal):
            result.hops.append(Hop(following.url, None, str(following.literal)))
            raise _Problem("private_address", f"redirect to the non-public address {following.literal}")
        if current.scheme == "https" and following.scheme == "http":
            raise _Problem("redirect_to_http", f"{current.url} redirects to {following.url}")
        if following.host not in (expected, current.host):
            raise _Problem("redirect_other_host", f"redirect from {current.host} to {following.host}")
        if following.key in seen:
            raise _Problem("redirect_loop", f"{following.url} was already visited")
        if redirects >= max_redirects:
            raise _Problem("too_many_redirects", f"more than {max_redirects} redirects")
        seen.add(following.key)
        redirects += 1
        current = following
    if not 200 <= status < 300:
        detail = f"HTTP {status} {http.client.responses.get(status, '')}".strip()
        raise _Problem("http_error", detail if status >= 400 else f"unexpected {detail}")
    if current.scheme != "https":
        raise _Problem("not_https", f"{current.url} answers over plain http")
    if current.host != expected:
        raise _Problem("redirect_other_host", f"ends on {current.host}, expected {expected}")
    if result.tls_days_left is not None and result.tls_days_left < EXPIRY_WARNING_DAYS:
        raise _Problem("tls_expiring", f"certificate expires in {result.tls_days_left} days")


def _host_key(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").rstrip(".")
    except ValueError:
        return ""


def probe_many(urls: Iterable[str], *, concurrency: int = 32, per_host: int = 2, **probe_kwargs) -> Iterator[ProbeResult]:
    """Probe many URLs at once, at most ``concurrency`` in total and ``per_host`` per host name,
    yielding each result as it completes (one per URL given, duplicates included)."""
    if concurrency < 1 or per_host < 1:
        raise ValueError("concurrency and per_host must be at least 1")
    inspect.signature(probe).bind("", **probe_kwargs)  # a misspelt option fails here, not in every thread
    by_host: dict[str, list[str]] = {}
    for url in urls:
        by_host.setdefault(_host_key(url), []).append(url)
    if not by_host:
        return
    # Round-robin over the hosts: a worker waiting on a busy host's semaphore is the exception.
    queues = list(by_host.items())
    order = [
        (host, queue[index]) for index in range(max(len(queue) for _, queue in queues)) for host, queue in queues if index < len(queue)
    ]
    limits = {host: threading.BoundedSemaphore(per_host) for host in by_host}

    def task(host: str, url: str) -> ProbeResult:
        with limits[host]:
            try:
                return probe(url, **probe_kwargs)
            except Exception as error:  # a prober bug must not end the whole run
                return ProbeResult(
                    url=url,
                    problem="connection_error",
                    problem_label=problem_label("connection_error"),
                    detail=f"prober error: {error!r}"[:MAX_DETAIL],
                )

    pool = ThreadPoolExecutor(max_workers=min(concurrency, len(order)), thread_name_prefix="linkdesk-probe")
    try:
        futures = [pool.submit(task, host, url) for host, url in order]
        for future in as_completed(futures):
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# --- the same rules for other clients -------------------------------------------------------


class AddressRefused(ValueError):
    """An address another client (a webhook) must not connect to, by the prober's rules."""

    def __init__(self, code: str, detail: str | None = None):
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Destination:
    """Where a client other than the prober may connect, checked by the prober's rules: the
    addresses the host resolved to, each public or inside an allowed network. Connect to these,
    not to the name again: a second lookup could answer with an intranet address."""

    scheme: str
    host: str  # ASCII, for TLS's server name
    port: int
    host_header: str
    request_target: str
    addresses: tuple[IPAddress, ...]


def destination(
    url: str,
    *,
    timeout: float = 10.0,
    allow_networks: Iterable[Network] = (),
    allowed_ports: Iterable[int] = (80, 443),
    resolver: Resolver | None = None,
) -> Destination:
    """Check an http(s) address as the prober would before connecting; AddressRefused if not allowed."""
    prober = _Prober(
        timeout=timeout, allow_networks=allow_networks, allowed_ports=allowed_ports, max_body=0, resolver=resolver, ssl_context=None
    )
    try:
        target = _parse(url)
        if target.port not in prober.allowed_ports:
            raise _Problem("port_not_allowed", f"port {target.port} is not among the allowed ports")
        addresses = prober.resolve(target)
        prober.check(target, addresses, Hop(url=url))
    except _Problem as problem:
        raise AddressRefused(problem.code, problem.detail) from None
    return Destination(target.scheme, target.host, target.port, target.host_header, target.request_target, tuple(addresses))
