"""The address policy: every refusal with a realistic bad address, every warning, and is_public_ip."""

import ipaddress

import pytest

from linkdesk.links.address_policy import MAX_URL_LENGTH, check_address, host_of, is_public_ip

LIVE = "https://gjj.zhengzhou.gov.cn/wsbsdt/index.html"
PRIVATE = "内网、本机或保留地址"


def codes(check):
    return [finding.code for finding in check.warnings]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        # empty and too long
        ("", "请填写新链接地址"),
        ("   ", "请填写新链接地址"),
        ("https://gjj.zhengzhou.gov.cn/" + "a" * (MAX_URL_LENGTH - 28), "2048"),  # 2,049 characters
        # whitespace, controls, invisible and bidi characters anywhere
        ("https://gjj.zhengzhou.gov.cn/a b", "空格"),
        ("https://gjj.zhengzhou.gov.cn/\tx", "空格"),
        ("https://gjj.zhengzhou.gov.cn/a\nb", "空格"),
        ("https://gjj.zhengzhou.gov.cn/a\rb", "空格"),
        ("https://gjj.zhengzhou.gov.cn/a\x00b", "不可见"),
        ("https://gjj.zhengzhou.gov.cn/a\x1fb", "不可见"),
        ("https://gjj.zhengzhou.gov.cn/a\x7fb", "不可见"),
        ("https://gjj.zhengzhou.gov.cn/a\x85b", "不可见"),
        ("https://gjj.zhengzhou.gov.cn/a\u3000b", "空格"),  # ideographic space, typed with a Chinese IME
        ("https://gjj.zhengzhou.gov.cn/a\u00a0b", "空格"),
        ("https://gjj.zheng\u200bzhou.gov.cn/", "不可见"),  # zero-width space
        ("https://gjj.zhengzhou.gov.cn/\ufeffx", "不可见"),  # byte order mark
        ("https://gjj.zhengzhou.gov.cn/\u202elmth.exe", "不可见"),  # right-to-left override
        ("https://gjj.zhengzhou.gov.cn/\u202ax", "不可见"),
        ("https://gjj.zhengzhou.gov.cn/\u2066x", "不可见"),
        ("https://gjj.zhengzhou.gov.cn/\u2069x", "不可见"),
        ("https://gjj.zhengzhou.gov.cn/a\u3164b", "不可见"),  # Hangul filler, renders blank
        # characters browsers repair differently
        ("https://gjj.zhengzhou.gov.cn\\@evil.example.com/", "“\\”"),
        ("https://gjj.zhengzhou.gov.cn/<script>", "“<”"),
        ('https://gjj.zhengzhou.gov.cn/"x', '“"”'),
        # scheme
        ("javascript:alert(1)", "只接受 http 或 https"),
        ("JavaScript:alert(document.domain)", "只接受 http 或 https"),
        ("ftp://gjj.zhengzhou.gov.cn/file.pdf", "只接受 http 或 https"),
        ("file:///etc/passwd", "只接受 http 或 https"),
        ("data:text/html,<b>x</b>", "“<”"),
        ("mailto:gjj@zhengzhou.gov.cn", "只接受 http 或 https"),
        ("weixin://dl/business/?t=abc", "只接受 http 或 https"),
        ("gjj.zhengzhou.gov.cn/wsbsdt/index.html", "https://gjj.zhengzhou.gov.cn/wsbsdt/index.html"),
        ("www.example.gov.cn", "须以 https:// 开头"),
        ("gjj.zhengzhou.gov.cn:8443/x", "须以 https:// 开头"),
        ("//gjj.zhengzhou.gov.cn/x", "https://gjj.zhengzhou.gov.cn/x"),
        ("https:gjj.zhengzhou.gov.cn/x", "格式不正确"),
        ("https:/gjj.zhengzhou.gov.cn/x", "格式不正确"),
        # credentials
        ("https://user:pw@gjj.zhengzhou.gov.cn/", "用户名或密码"),
        ("https://admin@gjj.zhengzhou.gov.cn/", "用户名或密码"),
        ("https://@gjj.zhengzhou.gov.cn/", "用户名或密码"),
        ("https://gjj.zhengzhou.gov.cn@evil.example.com/", "用户名或密码"),
        # host and port
        ("https:///wsbsdt/index.html", "缺少域名"),
        ("https://gjj.zhengzhou.gov.cn:99999/", "端口"),
        ("https://gjj.zhengzhou.gov.cn:84a3/", "端口"),
        ("https://gjj.zhengzhou.gov.cn:0/", "端口"),
        ("https://%67jj.zhengzhou.gov.cn/", "“%”"),
        ("https://gjj/", "不是完整的公网域名"),
        ("https://gjjserver:8080/", "不是完整的公网域名"),
        ("https://localhost/", "内部网络"),
        ("https://LOCALHOST:8080/", "内部网络"),
        ("https://gjj.localhost/", "内部网络"),
        ("https://gjj.local/", "内部网络"),
        ("https://gjj.internal/", "内部网络"),
        ("https://gjj.lan/", "内部网络"),
        ("https://nas.home.arpa/", "内部网络"),
        ("https://oa.intranet/", "内部网络"),
        ("https://oa.gjj.corp/", "内部网络"),
        ("https://gjj..zhengzhou.gov.cn/", "无效"),
        ("https://-gjj.zhengzhou.gov.cn/", "无效"),
        ("https://gjj_new.zhengzhou.gov.cn/", "无效"),
        ("https://" + "a" * 64 + ".gov.cn/", "无效"),
        ("https://" + "abcdefghi." * 25 + "gov.cn/", "无效"),  # 256 characters
        ("https://xn--zz.gov.cn/", "无效"),  # broken punycode
        ("https://gjj.zhengzhou.gov.cn./", "末尾"),
        ("https://gjj.zhengzhou.123/", "不是有效的域名或 IP 地址"),  # all-numeric TLD
        ("https://gjj.zhengzhou.0x1f/", "不是有效的域名或 IP 地址"),  # hex TLD: browsers read an IPv4
        ("https://gjj.zhengzhou.c0m/", "顶级域名"),
        # IP literals that do not reach the public internet
        ("http://10.0.0.8/gjj", PRIVATE),
        ("https://192.168.1.1", PRIVATE),
        ("https://172.20.0.5/", PRIVATE),
        ("https://127.0.0.1:8080/", PRIVATE),
        ("https://0.0.0.0/", PRIVATE),
        ("https://100.64.1.1/", PRIVATE),  # carrier-grade NAT
        ("https://169.254.169.254/latest/meta-data", PRIVATE),  # cloud metadata
        ("https://224.0.0.1/", PRIVATE),  # multicast
        ("https://192.0.2.10/", PRIVATE),  # documentation
        ("https://198.18.0.1/", PRIVATE),  # benchmarking
        ("https://240.0.0.1/", PRIVATE),  # reserved
        ("https://255.255.255.255/", PRIVATE),
        ("https://[::1]/", PRIVATE),
        ("https://[::]/", PRIVATE),
        ("https://[::ffff:10.0.0.1]/", PRIVATE),  # IPv4-mapped
        ("https://[::ffff:a00:1]/", PRIVATE),
        ("https://[::10.0.0.1]/", PRIVATE),  # deprecated IPv4-compatible
        ("https://[64:ff9b::a00:1]/", PRIVATE),  # NAT64 of 10.0.0.1
        ("https://[64:ff9b::127.0.0.1]/", PRIVATE),
        ("https://[2002:a00:1::]/", PRIVATE),  # 6to4 of 10.0.0.1
        ("https://[2002:c0a8:101::1]/", PRIVATE),  # 6to4 of 192.168.1.1
        ("https://[fd12:3456::1]/", PRIVATE),  # unique local
        ("https://[fc00::1]/", PRIVATE),
        ("https://[fec0::1]/", PRIVATE),  # site-local
        ("https://[fe80::1]/", PRIVATE),  # link-local
        ("https://[ff02::1]/", PRIVATE),  # multicast
        ("https://[2001:db8::1]/", PRIVATE),  # documentation
        ("https://[fe80::1%25eth0]/", "“%”"),  # zone identifier
        ("https://[127.0.0.1]/", "格式不正确"),
        # IPv4 in the shorthand spellings browsers accept
        ("http://2130706433/", PRIVATE),  # 127.0.0.1 as one decimal number
        ("http://0x7f000001/", PRIVATE),  # … in hex
        ("http://0x7f.1/", PRIVATE),
        ("http://0177.0.0.1/", PRIVATE),  # … in octal
        ("http://127.1/", PRIVATE),  # … shortened
        ("http://127.0.0.1./", PRIVATE),  # … with a trailing dot
        ("http://10.1/", PRIVATE),
        ("http://167772161/", PRIVATE),  # 10.0.0.1
        ("https://１２７.０.０.１/", PRIVATE),  # full-width digits, mapped by IDNA
        ("http://134744072/", "标准形式，例如 8.8.8.8"),  # public, but an odd spelling
        ("http://010.8.8.8/", "标准形式，例如 8.8.8.8"),
        ("http://999.1.1.1/", "不是有效的域名或 IP 地址"),
        ("http://1.2.3.4.5/", "不是有效的域名或 IP 地址"),
        ("http://0x100000000/", "不是有效的域名或 IP 地址"),
        ("http://09.1.1.1/", "不是有效的域名或 IP 地址"),  # 9 is not an octal digit
        # an invalid internationalized name
        ("https://公积金-.中国/", "无效"),  # hyphen at the end of a label
        ("https://公积金\u05d0.中国/", "无效"),  # breaks the IDNA bidi rule
        ("https://☃.gov.cn/", "无效"),
    ],
)
def test_refusals(url, words):
    check = check_address(url, live_url=LIVE, http_justification="证书申请中")
    assert not check.ok
    assert list(check.errors) == ["new_url"]
    assert len(check.errors["new_url"]) == 1  # structural problems stop the check
    assert words in check.errors["new_url"][0]
    assert check.warnings == []


def test_a_2048_character_address_is_still_accepted():
    url = "https://gjj.zhengzhou.gov.cn/" + "a" * (MAX_URL_LENGTH - 29)
    assert len(url) == MAX_URL_LENGTH
    assert check_address(url, live_url=LIVE).ok


def test_surrounding_whitespace_is_trimmed_not_refused():
    check = check_address("\t https://gjj.zhengzhou.gov.cn/wsbsdt/v2/\n", live_url=LIVE)
    assert check.ok and check.url == "https://gjj.zhengzhou.gov.cn/wsbsdt/v2/"


def test_a_structural_error_hides_the_http_justification_error():
    check = check_address("http://10.0.0.8/gjj")
    assert list(check.errors) == ["new_url"]


def test_a_good_address_on_the_same_host_has_no_warnings():
    check = check_address("https://gjj.zhengzhou.gov.cn/wsbsdt/index.html", live_url="https://gjj.zhengzhou.gov.cn/old/")
    assert check.ok and check.warnings == [] and check.errors == {}
    assert check.ascii_host == check.display_host == "gjj.zhengzhou.gov.cn"
    assert check.url == "https://gjj.zhengzhou.gov.cn/wsbsdt/index.html"


@pytest.mark.parametrize(
    "url",
    [
        "https://gjj.zhengzhou.gov.cn/查询?类型=1&b=中文#/route",
        "https://gjj.zhengzhou.gov.cn/a_b/c~d/%E4%B8%AD?x=[1]&y=a|b",
        "https://gjj.zhengzhou.gov.cn/?from=wxapp",
        "https://gjj.zhengzhou.gov.cn?from=wxapp",
        "https://gjj.zhengzhou.gov.cn/;jsessionid=1",
        "https://gjj.zhengzhou.gov.cn/a?b=c@d.e",  # "@" after the host is not a credential
        "http://gjj.zhengzhou.gov.cn/wsbsdt/",
        "https://gjj.zhengzhou.gov.cn/#/home",
    ],
)
def test_realistic_good_addresses_are_accepted(url):
    check = check_address(url, live_url=LIVE, http_justification="证书申请中")
    assert check.ok, check.errors
    assert check.url == url
    assert set(codes(check)) <= {"http"}


@pytest.mark.parametrize("justification", [None, "", "   ", "\n\t"])
def test_http_without_a_written_justification_is_refused_on_its_own_field(justification):
    check = check_address("http://gjj.zhengzhou.gov.cn/new", live_url=LIVE, http_justification=justification)
    assert check.errors == {"http_justification": ["使用 http 须填写书面理由（建议使用 https）。"]}


def test_http_with_a_justification_is_a_warning():
    check = check_address("HTTP://gjj.zhengzhou.gov.cn/new", live_url=LIVE, http_justification="证书正在申请中，12月底切换 https")
    assert check.ok and codes(check) == ["http"]
    assert check.url == "http://gjj.zhengzhou.gov.cn/new"


@pytest.mark.parametrize("url", ["https://公积金.中国/x", "https://xn--55qp10hc3p.xn--fiqs8s/x"])
def test_idn_hosts_are_accepted_and_shown_in_both_forms(url):
    check = check_address(url)
    assert check.ok
    assert check.display_host == "公积金.中国" and check.ascii_host == "xn--55qp10hc3p.xn--fiqs8s"
    assert check.url == "https://公积金.中国/x"  # stored in the form people read
    idn = next(f for f in check.warnings if f.code == "idn")
    assert "xn--55qp10hc3p.xn--fiqs8s" in idn.message and "公积金.中国" in idn.message
    assert codes(check) == ["idn", "non_gov_domain"]


def test_a_government_idn_domain_is_not_flagged_as_non_government():
    check = check_address("https://公积金.郑州.政务/")
    assert check.ok and codes(check) == ["idn"]


def test_host_change_and_non_government_domain_are_warnings():
    check = check_address("https://zzgjj.example.com/query", live_url=LIVE)
    assert check.ok and codes(check) == ["host_changed", "non_gov_domain"]
    assert "gjj.zhengzhou.gov.cn" in check.warnings[0].message and "zzgjj.example.com" in check.warnings[0].message
    assert "zzgjj.example.com" in check.warnings[1].message


def test_a_host_change_between_government_domains_is_only_a_host_change():
    check = check_address("https://gjj.henan.gov.cn/zhengzhou/", live_url=LIVE)
    assert check.ok and codes(check) == ["host_changed"]


def test_host_change_shows_internationalized_hosts_readably():
    check = check_address("https://gjj.zhengzhou.gov.cn/", live_url="https://公积金.中国/")
    assert "公积金.中国" in check.warnings[0].message


def test_no_live_address_means_no_host_change_warning():
    assert codes(check_address("https://gjj.zhengzhou.gov.cn/")) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://8.8.8.8/x", ["ip_literal", "host_changed"]),
        ("https://8.8.8.8:8443/x", ["ip_literal", "port", "host_changed"]),
        ("https://[2400:3200::1]/", ["ip_literal", "host_changed"]),
        ("https://gjj.zhengzhou.gov.cn:8443/x", ["port"]),
        ("http://gjj.zhengzhou.gov.cn:8080/x", ["http", "port"]),
        ("http://gjj.zhengzhou.gov.cn:80/x", ["http"]),
        ("https://gjj.zhengzhou.gov.cn:443/x", []),
        ("http://gjj.zhengzhou.gov.cn:443/x", ["http", "port"]),
    ],
)
def test_public_ip_literals_and_odd_ports_are_warnings_not_refusals(url, expected):
    check = check_address(url, live_url=LIVE, http_justification="内网穿透设备不支持 https")
    assert check.ok, check.errors
    assert codes(check) == expected


def test_an_ip_literal_warning_in_chinese():
    check = check_address("https://114.114.114.114/")
    assert check.warnings[0].message == "使用 IP 地址而非域名，建议使用政府网站域名。"
    assert check.ascii_host == check.display_host == "114.114.114.114"


@pytest.mark.parametrize(
    ("new", "live"),
    [
        ("https://GJJ.zhengzhou.gov.cn:443/", "https://gjj.zhengzhou.gov.cn"),
        ("https://gjj.zhengzhou.gov.cn", "https://gjj.zhengzhou.gov.cn/"),
        ("HTTPS://GJJ.ZHENGZHOU.GOV.CN/wsbsdt/index.html", LIVE),
        ("https://gjj.zhengzhou.gov.cn:443/wsbsdt/index.html", LIVE),
        ("http://gjj.zhengzhou.gov.cn:80/a?b=1", "http://gjj.zhengzhou.gov.cn/a?b=1"),
        ("https://公积金.中国/", "https://xn--55qp10hc3p.xn--fiqs8s"),
        ("https://gjj.zhengzhou.gov.cn/#/home", "  https://gjj.zhengzhou.gov.cn/#/home  "),
    ],
)
def test_the_live_address_again_is_refused(new, live):
    check = check_address(new, live_url=live, http_justification="x")
    assert check.errors == {"new_url": ["新地址与当前在用地址相同。"]}


@pytest.mark.parametrize(
    ("new", "live"),
    [
        ("https://gjj.zhengzhou.gov.cn/", "http://gjj.zhengzhou.gov.cn/"),  # moving to https is a change
        ("https://gjj.zhengzhou.gov.cn/#/home", "https://gjj.zhengzhou.gov.cn/"),  # single-page routes
        ("https://gjj.zhengzhou.gov.cn/?v=2", "https://gjj.zhengzhou.gov.cn/"),
        ("https://gjj.zhengzhou.gov.cn/Index.html", "https://gjj.zhengzhou.gov.cn/index.html"),  # paths are case-sensitive
        ("https://gjj.zhengzhou.gov.cn:8443/", "https://gjj.zhengzhou.gov.cn/"),
    ],
)
def test_small_but_real_differences_are_not_the_same_address(new, live):
    assert "new_url" not in check_address(new, live_url=live).errors


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  HTTPS://GJJ.Zhengzhou.GOV.CN/Path?Q=1  ", "https://gjj.zhengzhou.gov.cn/Path?Q=1"),
        ("https://gjj.zhengzhou.gov.cn:443/a", "https://gjj.zhengzhou.gov.cn/a"),
        ("https://gjj.zhengzhou.gov.cn:8443/a", "https://gjj.zhengzhou.gov.cn:8443/a"),
        ("https://gjj。zhengzhou。gov。cn/a", "https://gjj.zhengzhou.gov.cn/a"),  # full stops from a Chinese IME
        ("https://gjj.zhengzhou.gov.cn/a?", "https://gjj.zhengzhou.gov.cn/a?"),
        ("https://[2400:3200:0::1]/a", "https://[2400:3200:0::1]/a"),
    ],
)
def test_stored_form(typed, stored):
    check = check_address(typed)
    assert check.ok and check.url == stored


def test_a_refused_address_keeps_the_trimmed_input_and_no_hosts():
    check = check_address(" https://user@gjj.zhengzhou.gov.cn/ ")
    assert check.url == "https://user@gjj.zhengzhou.gov.cn/"
    assert check.display_host is None and check.ascii_host is None


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("114.114.114.114", True),
        ("223.5.5.5", True),
        ("1.1.1.1", True),
        ("2400:3200::1", True),
        ("2001:4860:4860::8888", True),
        ("240e::1", True),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::808:808", True),
        ("2002:808:808::1", True),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("172.31.255.255", False),
        ("192.168.0.1", False),
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("0.0.0.0", False),
        ("0.1.2.3", False),
        ("100.64.0.1", False),
        ("100.127.255.255", False),
        ("169.254.1.1", False),
        ("224.0.0.251", False),
        ("239.255.255.250", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("192.0.0.8", False),
        ("192.0.2.1", False),
        ("198.51.100.1", False),
        ("203.0.113.1", False),
        ("198.18.0.1", False),
        ("198.19.255.255", False),
        ("192.88.99.1", False),
        ("::1", False),
        ("::", False),
        ("::a00:1", False),
        ("fe80::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("fd00::1", False),
        ("fec0::1", False),
        ("ff02::1", False),
        ("ff0e::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("64:ff9b::a00:1", False),
        ("64:ff9b::7f00:1", False),
        ("64:ff9b:1::1", False),
        ("2002:a00:1::", False),
        ("2002:c0a8:101::", False),
        ("2002:7f00:1::", False),
        ("2001:db8::1", False),
        ("3fff::1", False),
        ("2001::1", False),
        ("100::1", False),
        ("2400:3200::1%eth0", False),  # a zone only makes sense on a local link
    ],
)
def test_is_public_ip(address, public):
    assert is_public_ip(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://GJJ.zhengzhou.gov.cn:8443/x", "gjj.zhengzhou.gov.cn"),
        ("https://gjj.zhengzhou.gov.cn./x", "gjj.zhengzhou.gov.cn"),
        (" https://公积金.中国/ ", "xn--55qp10hc3p.xn--fiqs8s"),
        ("https://[2400:3200:0::1]/", "2400:3200::1"),
        ("https://8.8.8.8/", "8.8.8.8"),
        ("not a url", None),
        ("https:///x", None),
        ("https://[::1/", None),
        ("https://☃.gov.cn/", None),
    ],
)
def test_host_of(url, host):
    assert host_of(url) == host
