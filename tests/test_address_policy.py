"""The address policy: every refusal of issue 5 with a realistic bad address, and the warnings."""
import ipaddress

import pytest

from linkdesk.address_policy import MAX_URL_LENGTH, check_address, host_of, is_public_ip

LIVE = "https://gjj.zhengzhou.gov.cn/wsbsdt/index.html"


def codes(check):
    return [finding.code for finding in check.warnings]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "请填写"),
        ("http://10.0.0.8/gjj", "内网"),
        ("https://192.168.1.1", "内网"),
        ("https://172.20.0.5/", "内网"),
        ("https://127.0.0.1:8080/", "内网"),
        ("https://[::1]/", "内网"),
        ("https://[::ffff:10.0.0.1]/", "内网"),  # IPv4-mapped
        ("https://[64:ff9b::a00:1]/", "内网"),  # NAT64 of 10.0.0.1
        ("https://[2002:a00:1::]/", "内网"),  # 6to4 of 10.0.0.1
        ("https://[fd12:3456::1]/", "内网"),  # unique local
        ("https://[fe80::1]/", "内网"),  # link-local
        ("https://100.64.1.1/", "内网"),  # carrier-grade NAT
        ("https://169.254.169.254/latest/meta-data", "内网"),  # cloud metadata
        ("https://224.0.0.1/", "内网"),  # multicast
        ("https://[ff02::1]/", "内网"),
        ("https://0.0.0.0/", "内网"),
        ("http://2130706433/", "内网"),  # 127.0.0.1 as one decimal number
        ("http://0x7f000001/", "内网"),  # … in hex
        ("http://0177.0.0.1/", "内网"),  # … in octal
        ("http://127.1/", "内网"),  # … shortened
        ("http://999.1.1.1/", "IP 地址无效"),
        ("https://localhost/", "内部网络"),
        ("https://intranet.corp/", "内部网络"),
        ("https://printer.local/", "内部网络"),
        ("https://gjj/", "完整的公网域名"),
        ("https://user:pw@gjj.zhengzhou.gov.cn/", "用户名或密码"),
        ("https://admin@gjj.zhengzhou.gov.cn/", "用户名或密码"),
        ("javascript:alert(1)", "http 或 https"),
        ("ftp://gjj.zhengzhou.gov.cn/file", "http 或 https"),
        ("file:///etc/passwd", "http 或 https"),
        ("gjj.zhengzhou.gov.cn/new", "须以 https:// 开头"),
        ("https://gjj.zhengzhou.gov.cn/a b", "空格"),
        ("https://gjj.zhengzhou.gov.cn/\tx", "空格"),
        ("https://gjj.zhengzhou.gov.cn/x\n", "空格"),  # inside after strip? no: trailing is stripped
        ("https://gjj.zhengzhou.gov.cn/\u202eexe.html", "不可见"),  # right-to-left override
        ("https://gjj.zheng\u200bzhou.gov.cn/", "不可见"),  # zero-width space
        ("https://gjj.zhengzhou.gov.cn/" + "a" * MAX_URL_LENGTH, "2048"),
        ("https://gjj..gov.cn/", "无效"),
        ("https://-gjj.gov.cn/", "无效"),
        ("https://gjj.zhengzhou.gov.cn:99999/", "端口"),
        ("https://GJJ.zhengzhou.gov.cn:443/wsbsdt/index.html", "相同"),  # the live address again
    ],
)
def test_refusals(url, words):
    check = check_address(url, live_url=LIVE)
    if url.endswith("\n"):  # surrounding whitespace is trimmed, not refused
        assert check.ok
        return
    assert not check.ok
    assert words in " ".join(check.errors["new_url"])


def test_a_good_address_on_the_same_host_has_no_warnings():
    check = check_address("https://gjj.zhengzhou.gov.cn/wsbsdt/v2/index.html", live_url=LIVE)
    assert check.ok and check.warnings == []
    assert check.ascii_host == check.display_host == "gjj.zhengzhou.gov.cn"


def test_http_needs_a_written_justification_and_is_flagged():
    without = check_address("http://gjj.zhengzhou.gov.cn/new", live_url=LIVE)
    assert "http_justification" in without.errors and "new_url" not in without.errors
    justified = check_address("http://gjj.zhengzhou.gov.cn/new", live_url=LIVE, http_justification="证书正在申请中，12月底切换 https")
    assert justified.ok and codes(justified) == ["http"]


def test_idn_hosts_are_accepted_and_shown_in_both_forms():
    check = check_address("https://公积金.中国/查询")
    assert check.ok
    assert check.display_host == "公积金.中国" and check.ascii_host.startswith("xn--")
    assert "idn" in codes(check)
    idn = next(f for f in check.warnings if f.code == "idn")
    assert check.ascii_host in idn.message and "公积金.中国" in idn.message


def test_host_change_and_non_government_domain_are_warnings():
    check = check_address("https://zzgjj.example.com/query", live_url=LIVE)
    assert check.ok and codes(check) == ["host_changed", "non_gov_domain"]
    assert "gjj.zhengzhou.gov.cn" in check.warnings[0].message and "zzgjj.example.com" in check.warnings[0].message


def test_public_ip_literal_and_odd_port_are_warnings_not_refusals():
    check = check_address("https://8.8.8.8:8443/x")
    assert check.ok and codes(check) == ["ip_literal", "port"]


def test_stored_form_is_trimmed_and_lower_cases_the_host():
    check = check_address("  HTTPS://GJJ.Zhengzhou.GOV.CN/Path?Q=1  ")
    assert check.url == "https://gjj.zhengzhou.gov.cn/Path?Q=1"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True), ("114.114.114.114", True), ("2400:3200::1", True),
        ("10.1.2.3", False), ("172.31.255.255", False), ("192.168.0.1", False), ("127.0.0.1", False),
        ("100.64.0.1", False), ("169.254.1.1", False), ("224.0.0.251", False), ("0.0.0.0", False),
        ("192.0.2.1", False), ("198.18.0.1", False), ("240.0.0.1", False), ("255.255.255.255", False),
        ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False), ("fec0::1", False), ("ff02::1", False),
        ("::ffff:10.0.0.1", False), ("::ffff:8.8.8.8", True), ("64:ff9b::a00:1", False), ("64:ff9b::808:808", True),
        ("2002:c0a8:101::", False), ("2001:db8::1", False),
    ],
)
def test_is_public_ip(address, public):
    assert is_public_ip(ipaddress.ip_address(address)) is public


def test_host_of():
    assert host_of("https://GJJ.gov.cn:8443/x") == "gjj.gov.cn"
    assert host_of("https://公积金.中国/") .startswith("xn--")
    assert host_of("not a url") is None
