"""The address policy: whether a new link address is acceptable, and what a reviewer should know.

One module for the filing form, the API, the registry import and the link prober. Refusals are
errors by field; softer findings (http, a host change, an odd port, a domain that does not look
governmental, an internationalized host, an IP literal) are warnings stored on the ticket.
Pure Python: no Flask, no network.

What is stored (``AddressCheck.url``) is the address as typed, trimmed, with the scheme and host
in lower case and a default port (``:443`` on https, ``:80`` on http) left out. An
internationalized host is stored in its Unicode form, the way people read it; the ASCII
(punycode) form is in ``AddressCheck.ascii_host``.

Host syntax is also checked by ``validators.domain``. ``validators.url`` is deliberately not used:
it refuses valid addresses (``/?x``, ``a|b`` in a path), and everything it would catch that
matters is refused here by an explicit rule with a clearer message.
"""

import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit, urlunsplit

import idna
import validators

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}
# Compared against the ASCII host, so the ".政务" TLD is listed in its punycode form.
GOVERNMENT_SUFFIXES = (".gov.cn", ".xn--zfr164b")
# Names that only resolve inside an organisation, or are reserved and never resolve publicly.
INTERNAL_SUFFIXES = (
    "localhost",
    "local",
    "internal",
    "lan",
    "intranet",
    "corp",
    "localdomain",
    "home.arpa",
    "arpa",
    "test",
    "invalid",
    "example",
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Invisible or look-alike-making characters beyond Unicode whitespace and the categories
# refused in _invisible_character: fillers that render as blanks, variation selectors.
_INVISIBLE_EXTRA = set("\u034f\u115f\u1160\u180e\u3164\uffa0") | {chr(c) for c in range(0xFE00, 0xFE10)}
# Control (Cc), format (Cf: zero-width, bidi controls U+202A–202E / U+2066–2069, BOM…) and separators.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}
# Printable characters that are never valid unencoded in a URL and that browsers repair in
# different ways (a backslash becomes "/"), which lets an address mean one thing here and another there.
_UNSAFE_CHARACTERS = set('<>"`{}^\\')
# WHATWG URL rule: a host whose last label is a number (decimal or 0x-hex) is an IPv4 address.
_NUMBER = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_LOOKS_LIKE_HOST = re.compile(r"^[^/:?#@]+\.[^/:?#@]+(:[0-9]*)?([/?#]|$)")

# Networks no public link may point into, beyond what ``ipaddress`` already calls non-global;
# listed in full so the rule does not depend on the Python version's idea of "global".
_BLOCKED = [
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible form ::a.b.c.d
        "::ffff:0:0:0/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "3fff::/20",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIXTOFOUR = ipaddress.ip_network("2002::/16")


@dataclass(frozen=True)
class Finding:
    """A warning for reviewers: a machine code and a Chinese message."""

    code: str
    message: str


@dataclass
class AddressCheck:
    """The verdict on one address; see the module docstring for the stored form of ``url``."""

    url: str
    display_host: str | None = None
    ascii_host: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[Finding] = field(default_factory=list)
    host_changed: bool = False  # the host differs from the live address's
    government_host: bool = False  # the host is under a government suffix (.gov.cn, .政务)

    @property
    def ok(self) -> bool:
        """True when nothing was refused (warnings do not count)."""
        return not self.errors

    def refuse(self, message: str, field_name: str = "new_url") -> "AddressCheck":
        """Record an error on a form field; returns self so a check can stop with ``return``."""
        self.errors.setdefault(field_name, []).append(message)
        return self

    def warn(self, code: str, message: str) -> None:
        """Record a warning for reviewers."""
        self.warnings.append(Finding(code, message))


def is_public_ip(address: IPAddress) -> bool:
    """Whether an address is on the public internet.

    False for private, loopback, link-local, carrier-grade NAT, multicast, reserved, unspecified,
    documentation and benchmark ranges, site-local and unique-local IPv6, addresses with a zone
    (``fe80::1%eth0``), and for IPv4-mapped, NAT64 and 6to4 addresses that wrap such an IPv4 address.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:  # a zone only makes sense on a local link
            return False
        # Wrapped IPv4 addresses reach whatever the IPv4 address is, so judge that one.
        if address.ipv4_mapped is not None:
            return is_public_ip(address.ipv4_mapped)
        if address in _NAT64:
            return is_public_ip(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address in _SIXTOFOUR:
            return is_public_ip(ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF))
    if any(address in network for network in _BLOCKED if network.version == address.version):
        return False
    return address.is_global and not address.is_multicast


def host_of(url: str) -> str | None:
    """The ASCII, lower-case host of a URL (no trailing dot, IPs in canonical form), or None."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return idna.encode(host.rstrip("."), uts46=True).decode()
    except (idna.IDNAError, UnicodeError):
        return None


def check_address(new_url: str, *, live_url: str | None = None, http_justification: str | None = None) -> AddressCheck:
    """Judge a new link address; ``live_url`` is the address it replaces, if any.

    Structural problems (empty, too long, invisible characters, wrong scheme, credentials, a
    host that cannot be public) stop the check with one error on ``new_url``. Past that, all
    remaining errors (same as live, http without justification) and warnings are collected.
    """
    check = AddressCheck(url=(new_url or "").strip())
    url = check.url
    if not url:
        return check.refuse("请填写新链接地址。")
    if len(url) > MAX_URL_LENGTH:
        return check.refuse(f"地址不能超过 {MAX_URL_LENGTH} 个字符（现为 {len(url)} 个）。")
    if _invisible_character(url):
        return check.refuse("地址中不能有空格、换行或不可见的控制字符，请重新复制粘贴。")
    unsafe = next((ch for ch in url if ch in _UNSAFE_CHARACTERS), None)
    if unsafe:
        return check.refuse(f"地址中不能有字符“{unsafe}”，请检查是否复制完整。")

    scheme_problem = _scheme_problem(url)
    if scheme_problem:
        return check.refuse(scheme_problem)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return check.refuse("地址格式不正确（端口或主机名无法识别）。")
    scheme = parts.scheme.lower()
    if "@" in parts.netloc:  # user, user:password, or an empty user before "@"
        return check.refuse("地址中不能包含用户名或密码。")
    host = parts.hostname
    if not host:
        return check.refuse("地址中缺少域名。")
    if port == 0:
        return check.refuse("端口号不正确。")
    if "%" in host:  # percent-encoded host names or an IPv6 zone: both hide what is really meant
        return check.refuse("域名中不能使用“%”。")

    if parts.netloc.startswith("["):  # urlsplit has already checked it holds IPv6
        ip = ipaddress.IPv6Address(host)
    else:
        # Map first (UTS46 turns full-width digits and "。" into ASCII), then judge.
        try:
            ascii_host = idna.encode(host, uts46=True).decode()
        except (idna.IDNAError, UnicodeError):
            return check.refuse(f"域名“{host}”无效。")
        if _NUMBER.match(ascii_host.rstrip(".").rsplit(".", 1)[-1]):
            ip, problem = _ipv4_literal(ascii_host)
            if problem:
                return check.refuse(problem)
        else:
            ip = None
            problem = _host_problem(ascii_host)
            if problem:
                return check.refuse(problem)
            display_host = idna.decode(ascii_host)

    if ip is not None:
        if not is_public_ip(ip):
            return check.refuse(f"不能使用内网、本机或保留地址（{ip}），请填写公网可访问的域名。")
        ascii_host = display_host = str(ip)
    check.ascii_host, check.display_host = ascii_host, display_host
    # An IP stays spelled as typed in the URL (only lower-cased); the canonical form is in the hosts.
    check.url = _stored(url, parts, host if ip is not None else display_host, ip, port)

    if live_url and _comparable(live_url) == _comparable(check.url):
        check.refuse("新地址与当前在用地址相同。")
    if scheme == "http":
        if not (http_justification or "").strip():
            check.refuse("使用 http 须填写书面理由（建议使用 https）。", "http_justification")
        else:
            check.warn("http", "使用 http 而非 https：数据未加密传输，请审核人员关注。")
    if ip is not None:
        check.warn("ip_literal", "使用 IP 地址而非域名，建议使用政府网站域名。")
    if display_host != ascii_host:
        check.warn("idn", f"中文域名：{display_host}（即 {ascii_host}），请核对不是仿冒域名，并确认小程序可以打开。")
    if port is not None and port != DEFAULT_PORTS[scheme]:
        check.warn("port", f"使用非标准端口 {port}，部分网络可能无法访问。")
    live_host = host_of(live_url) if live_url else None
    check.host_changed = bool(live_host and live_host != ascii_host)
    check.government_host = ip is None and ascii_host.endswith(GOVERNMENT_SUFFIXES)
    if check.host_changed:
        check.warn("host_changed", f"域名由 {_display(live_host)} 变更为 {display_host}，请核实新域名归属。")
    if ip is None and not check.government_host:
        check.warn("non_gov_domain", f"域名 {display_host} 不在政务域名（.gov.cn 或 .政务）下，请确认其归属。")
    return check


def _invisible_character(text: str) -> bool:
    return any(ch.isspace() or ch in _INVISIBLE_EXTRA or unicodedata.category(ch) in _INVISIBLE_CATEGORIES for ch in text)


def _scheme_problem(url: str) -> str | None:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme in DEFAULT_PORTS:
        # "https:gjj.gov.cn" and "https:/gjj.gov.cn" are repaired by some browsers, not by others.
        return None if url[len(scheme) :].startswith("://") else "地址格式不正确，应为 https://域名/路径。"
    # A bare host ("www.example.gov.cn/x", "gjj.gov.cn:8080", "//gjj.gov.cn") just lacks the scheme.
    bare = url[2:] if url.startswith("//") else url
    if _LOOKS_LIKE_HOST.match(bare):
        example = "https://" + bare if len(bare) <= 80 else "https://" + re.split(r"[/?#]", bare, maxsplit=1)[0] + "/…"
        return f"地址须以 https:// 开头，例如 {example}。"
    return "只接受 http 或 https 开头的网址。"


def _ipv4_literal(host: str) -> tuple[ipaddress.IPv4Address | None, str | None]:
    """A host that a browser would read as IPv4, and the problem with it, if any.

    Browsers accept 127.1, 2130706433, 0x7f000001 and 0177.0.0.1 for 127.0.0.1; the first
    problem reported is the address they reach, as that is what matters.
    """
    try:
        return ipaddress.IPv4Address(host), None  # the canonical dotted quad
    except ValueError:
        pass
    address = _inet_aton(host.rstrip("."))
    if address is None:
        return None, f"“{host}”不是有效的域名或 IP 地址。"
    if not is_public_ip(address):
        return None, f"不能使用内网、本机或保留地址（{address}），请填写公网可访问的域名。"
    # A public address in an odd spelling: other clients may read it differently, or not at all.
    return None, f"IP 地址须写成标准形式，例如 {address}。"


def _inet_aton(host: str) -> ipaddress.IPv4Address | None:
    parts = host.split(".")
    if len(parts) > 4 or not all(_NUMBER.match(part) for part in parts):
        return None
    try:
        numbers = [
            int(part, 16) if part.lower().startswith("0x") else int(part, 8) if len(part) > 1 and part.startswith("0") else int(part)
            for part in parts
        ]
    except ValueError:  # "0x" alone, or 8 and 9 in an octal part
        return None
    *head, last = numbers
    # The last part fills the remaining bytes.
    if any(part > 255 for part in head) or last >= 256 ** (4 - len(head)):
        return None
    value = 0
    for part in head:
        value = value * 256 + part
    return ipaddress.IPv4Address(value * 256 ** (4 - len(head)) + last)


def _host_problem(host: str) -> str | None:
    if host.endswith("."):
        return "域名末尾不能有“.”。"
    labels = host.split(".")
    if any(host == suffix or host.endswith("." + suffix) for suffix in INTERNAL_SUFFIXES):
        return f"“{host}”是内部网络或保留的主机名，小程序用户无法访问。"
    if len(labels) < 2:
        return f"“{host}”不是完整的公网域名（例如 gjj.example.gov.cn）。"
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        return f"域名“{host}”无效。"
    if not _TLD.match(labels[-1]):
        return f"域名“{host}”的顶级域名无效。"
    if validators.domain(host) is not True:  # the library's RFC 1035 syntax check, as a second opinion
        return f"域名“{host}”无效。"
    return None


def _stored(url: str, parts: SplitResult, host: str, ip: IPAddress | None, port: int | None) -> str:
    scheme = parts.scheme.lower()
    netloc = f"[{host}]" if ip is not None and ip.version == 6 else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    # Path, query and fragment exactly as typed (urlunsplit would drop a bare "?" or "#").
    rest = url[len(parts.scheme) + len("://") + len(parts.netloc) :]
    return f"{scheme}://{netloc}{rest}"


def _comparable(url: str) -> str | None:
    """A URL with what does not change its meaning normalised, to compare two addresses.

    The fragment is kept: single-page sites route by it (``/#/home`` is not ``/``).
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = host_of(url)
    if host is None:
        return None
    scheme = parts.scheme.lower()
    netloc = f"[{host}]" if ":" in host else host
    if port not in (None, DEFAULT_PORTS.get(scheme)):
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))


def _display(host: str) -> str:
    """A host as people read it (Unicode for an internationalized name)."""
    try:
        return idna.decode(host)
    except (idna.IDNAError, UnicodeError):
        return host
