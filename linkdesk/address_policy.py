"""The address policy: whether a new link address is acceptable, and what a reviewer should know.

One module for the filing form, the API, the registry import and the link prober. Refusals are
errors by field; softer findings (http, a host change, a domain that does not look
governmental, an internationalized host) are warnings stored on the ticket. Pure Python: no
Flask, no network.
"""
import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import idna
import validators

MAX_URL_LENGTH = 2048
GOVERNMENT_SUFFIXES = (".gov.cn", ".政务", ".xn--zfr164b")
PRIVATE_SUFFIXES = (".local", ".localhost", ".internal", ".lan", ".home.arpa", ".intranet", ".corp", ".localdomain")
DEFAULT_PORTS = {"http": 80, "https": 443}

# Characters that make an address look like something it is not: whitespace, controls,
# zero-width and bidirectional marks.
_INVISIBLE = re.compile("[\\s\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}\.?$", re.IGNORECASE)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

# Networks no public link may point into (beyond what ipaddress calls non-global).
_BLOCKED = [ipaddress.ip_network(net) for net in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
    "::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10",
    "fec0::/10", "ff00::/8",
)]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIXTOFOUR = ipaddress.ip_network("2002::/16")


@dataclass(frozen=True)
class Finding:
    """A warning for reviewers: a machine code and a Chinese message."""

    code: str
    message: str


@dataclass
class AddressCheck:
    """The verdict on one address.

    ``url`` is what is stored: the address as typed, stripped, with scheme and host lower-cased
    (an internationalized host stays in its Unicode form, the way people read it).
    """

    url: str
    display_host: str | None = None
    ascii_host: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def refuse(self, message: str, field_name: str = "new_url") -> "AddressCheck":
        self.errors.setdefault(field_name, []).append(message)
        return self

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(Finding(code, message))


def is_public_ip(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is on the public internet: not private, loopback, link-local, CGNAT,
    multicast, reserved or documentation, also when wrapped in IPv4-mapped, NAT64 or 6to4 form."""
    if isinstance(address, ipaddress.IPv6Address):
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
    """The ASCII, lower-case host of a URL, or None when it has none or cannot be read."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    try:
        return idna.encode(host, uts46=True).decode() if not host.isascii() else host.lower()
    except idna.IDNAError:
        return None


def _comparable(url: str) -> str | None:
    """A URL with what does not change its meaning normalised, to compare two addresses."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = host_of(url)
    if host is None:
        return None
    scheme = parts.scheme.lower()
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _parse_ip_literal(host: str):
    """An IP address written in any form a browser accepts (dotted, decimal, hex, octal, short)."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not _NUMERIC_HOST.match(host):
        return None
    parts = [int(part, 16) if part.lower().startswith("0x") else int(part, 8) if len(part) > 1 and part.startswith("0")
             else int(part) for part in host.rstrip(".").split(".")]
    # inet_aton rules: the last part fills the remaining bytes.
    *head, last = parts
    if any(part > 255 for part in head) or last >= 256 ** (4 - len(head)):
        return False
    value = 0
    for part in head:
        value = value * 256 + part
    value = value * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(value)


def check_address(new_url: str, *, live_url: str | None = None, http_justification: str | None = None) -> AddressCheck:
    """Judge a new link address against design.md's rules; ``live_url`` is the address it replaces."""
    raw = new_url or ""
    check = AddressCheck(url=raw.strip())
    url = check.url
    if not url:
        return check.refuse("请填写新链接地址。")
    if len(url) > MAX_URL_LENGTH:
        return check.refuse(f"地址不能超过 {MAX_URL_LENGTH} 个字符（现为 {len(url)} 个）。")
    if _INVISIBLE.search(url):
        return check.refuse("地址中不能有空格、换行或不可见的控制字符，请重新复制粘贴。")
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in DEFAULT_PORTS:
        if "://" not in url and "." in url.split("/", 1)[0]:
            return check.refuse("地址须以 https:// 开头，例如 https://" + url + "。")
        return check.refuse("只接受 http 或 https 开头的网址。")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return check.refuse("地址格式不正确（端口或主机名无法识别）。")
    if not url.lower().startswith(scheme + "://"):
        return check.refuse("地址格式不正确，应为 https://域名/路径。")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return check.refuse("地址中不能包含用户名或密码。")
    host = parts.hostname
    if not host:
        return check.refuse("地址中缺少域名。")
    ip = _parse_ip_literal(host)
    if ip is False:
        return check.refuse("地址中的 IP 地址无效。")
    if ip is not None:
        return _check_ip_host(check, ip, scheme, parts, port, live_url, http_justification)
    try:
        ascii_host = idna.encode(host, uts46=True).decode()
        display_host = idna.decode(ascii_host)
    except (idna.IDNAError, UnicodeError):
        return check.refuse(f"域名“{host}”无效。")
    check.ascii_host, check.display_host = ascii_host, display_host
    problem = _host_problem(ascii_host)
    if problem:
        return check.refuse(problem)
    ascii_url = urlunsplit((scheme, ascii_host + (f":{port}" if port else ""), parts.path, parts.query, parts.fragment))
    if validators.url(ascii_url) is not True:
        return check.refuse("地址格式不正确，应为 https://域名/路径。")
    check.url = urlunsplit((scheme, display_host + (f":{port}" if port else ""), parts.path, parts.query, parts.fragment))
    if display_host != ascii_host:
        check.warn("idn", f"中文域名：{display_host}（即 {ascii_host}），请确认小程序可以正常打开。")
    _soft_checks(check, scheme, port, ascii_host, live_url, http_justification)
    return check


def _host_problem(host: str) -> str | None:
    name = host.rstrip(".")
    labels = name.split(".")
    if name == "localhost" or name.endswith(PRIVATE_SUFFIXES):
        return f"“{host}”是内部网络的主机名，小程序用户无法访问。"
    if len(labels) < 2:
        return f"“{host}”不是完整的公网域名（例如 gjj.example.gov.cn）。"
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        return f"域名“{host}”格式不正确。"
    if labels[-1].isdigit():
        return f"域名“{host}”格式不正确。"
    return None


def _check_ip_host(check, ip, scheme, parts, port, live_url, http_justification) -> AddressCheck:
    if not is_public_ip(ip):
        return check.refuse(f"不能使用内网、本机或保留地址（{ip}），请填写公网可访问的域名。")
    check.ascii_host = check.display_host = str(ip)
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    check.url = urlunsplit((scheme, host + (f":{port}" if port else ""), parts.path, parts.query, parts.fragment))
    check.warn("ip_literal", "使用 IP 地址而非域名，建议使用政府网站域名并启用 https。")
    _soft_checks(check, scheme, port, str(ip), live_url, http_justification, ip_literal=True)
    return check


def _soft_checks(check, scheme, port, ascii_host, live_url, http_justification, ip_literal=False) -> None:
    if live_url and _comparable(live_url) == _comparable(check.url):
        check.refuse("新地址与当前在用地址相同。")
    if scheme == "http":
        if not (http_justification or "").strip():
            check.refuse("使用 http 须填写书面理由（建议使用 https）。", "http_justification")
        else:
            check.warn("http", "使用 http 而非 https：数据未加密传输，请审核人员关注。")
    if port is not None and port != DEFAULT_PORTS[scheme]:
        check.warn("port", f"使用非标准端口 {port}，部分网络可能无法访问。")
    live_host = host_of(live_url) if live_url else None
    if live_host and live_host != ascii_host:
        check.warn("host_changed", f"域名由 {idna_display(live_host)} 变更为 {idna_display(ascii_host)}。")
    if not ip_literal and not ascii_host.rstrip(".").endswith(GOVERNMENT_SUFFIXES):
        check.warn("non_gov_domain", f"域名 {idna_display(ascii_host)} 不在政务域名（.gov.cn）下，请确认其归属。")


def idna_display(host: str) -> str:
    """A host as people read it (Unicode for an internationalized name)."""
    try:
        return unicodedata.normalize("NFC", idna.decode(host)) if "xn--" in host else host
    except idna.IDNAError:
        return host
