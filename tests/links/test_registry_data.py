"""The registry shipped in linkdesk/data/registry: provinces, centers and services.

These read the CSV files directly (no app, no database), so a bad row is caught before the
seed ever runs.
"""

import csv
from collections import Counter
from pathlib import Path

import pytest

REGISTRY = Path(__file__).parents[2] / "linkdesk/data/registry"

# Every center the notice 建司局函金〔2021〕30号 names in annex 1, as it writes them
# (column 2: links that do not open; column 3: centers testing the transfer interface).
# "全省" in that table means every center of the province and names none.
ANNEX_SHORT_NAMES = (
    # 链接未正常跳转的中心
    "巴彦淖尔",
    "锦州",
    "盘锦",
    "葫芦岛",
    "四平",
    "白山",
    "黑河",
    "徐州",
    "淮安",
    "盐城",
    "芜湖",
    "蚌埠",
    "淮南",
    "安庆",
    "滁州",
    "亳州",
    "池州",
    "宣城",
    "萍乡",
    "抚州",
    "烟台",
    "郑州",
    "商丘",
    "武汉",
    "荆州",
    "咸宁",
    "恩施",
    "潜江",
    "长沙",
    "永州",
    "怀化",
    "湘西",
    "百色",
    "来宾",
    "海南",
    "内江",
    "遵义",
    "铜川",
    "陇南",
    # 已开展转移接续接口测试的中心
    "北京",
    "邯郸",
    "常州",
    "南通",
    "扬州",
    "镇江",
    "泰州",
    "湖州",
    "厦门",
    "泉州",
    "泰安",
    "淄博",
    "威海",
    "济宁",
    "许昌",
    "漯河",
    "驻马店",
    "重庆",
    "绵阳",
    "宜宾",
    "贵阳",
    "毕节",
    "保山",
    "普洱",
    "丽江",
    "迪庆",
    "怒江",
    "兰州",
    "天水",
    "临夏",
)

SERVICES = {
    "info_query": "个人住房公积金缴存贷款等信息查询",
    "deposit_certificate": "出具贷款职工住房公积金缴存使用证明",
    "retirement_withdrawal": "正常退休提取住房公积金",
    "unit_registration": "住房公积金单位登记开户",
    "deposit_change": "住房公积金单位及个人缴存信息变更",
    "purchase_withdrawal": "购房提取住房公积金",
    "loan_clearance_certificate": "开具住房公积金个人住房贷款全部还清证明",
    "loan_early_repayment": "提前还清住房公积金贷款",
    "transfer": "住房公积金异地转移接续",
}


def read(name: str) -> list[dict[str, str]]:
    raw = (REGISTRY / name).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), f"{name} starts with a BOM"
    with (REGISTRY / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def provinces() -> list[dict[str, str]]:
    return read("provinces.csv")


@pytest.fixture(scope="module")
def centers() -> list[dict[str, str]]:
    return read("centers.csv")


@pytest.fixture(scope="module")
def centers_by_short_name(centers) -> dict[str, dict[str, str]]:
    return {row["short_name"]: row for row in centers}


def test_files_have_the_expected_columns():
    for name, header in (
        ("provinces.csv", ["code", "name", "short_name", "kind"]),
        ("centers.csv", ["code", "province_code", "name", "short_name"]),
        ("services.csv", ["code", "name"]),
    ):
        with (REGISTRY / name).open(encoding="utf-8", newline="") as handle:
            assert next(csv.reader(handle)) == header, name


def test_no_empty_fields_or_stray_whitespace():
    for name in ("provinces.csv", "centers.csv", "services.csv"):
        for row in read(name):
            for column, value in row.items():
                assert value and value == value.strip(), (name, row, column)


def test_32_provincial_entries_with_their_kinds(provinces):
    assert len(provinces) == 32
    kinds = Counter(row["kind"] for row in provinces)
    assert kinds == {"province": 22, "autonomous_region": 5, "municipality": 4, "xpcc": 1}
    by_short = {row["short_name"]: row for row in provinces}
    assert {s for s, row in by_short.items() if row["kind"] == "municipality"} == {
        "北京",
        "天津",
        "上海",
        "重庆",
    }
    assert {s for s, row in by_short.items() if row["kind"] == "autonomous_region"} == {
        "内蒙古",
        "广西",
        "西藏",
        "宁夏",
        "新疆",
    }
    assert by_short["兵团"] == {
        "code": "66",
        "name": "新疆生产建设兵团",
        "short_name": "兵团",
        "kind": "xpcc",
    }
    assert by_short["河南"]["code"] == "41" and by_short["河南"]["name"] == "河南省"
    assert by_short["广西"]["name"] == "广西壮族自治区"


def test_province_codes_names_and_short_names_are_unique(provinces):
    for column in ("code", "name", "short_name"):
        values = [row[column] for row in provinces]
        assert len(set(values)) == len(values), column
    assert all(len(row["code"]) == 2 and row["code"].isdigit() for row in provinces)


def test_at_least_300_centers(centers):
    assert len(centers) >= 300


def test_center_codes_and_short_names_are_unique(centers):
    for column in ("code", "short_name"):
        duplicates = [v for v, n in Counter(row[column] for row in centers).items() if n > 1]
        assert not duplicates, (column, duplicates)


def test_center_codes_are_six_digits_sorted_and_match_their_province(centers):
    codes = [row["code"] for row in centers]
    assert codes == sorted(codes)
    for row in centers:
        assert len(row["code"]) == 6 and row["code"].isdigit(), row
        assert row["code"][:2] == row["province_code"], row


def test_every_center_belongs_to_a_known_province(provinces, centers):
    known = {row["code"] for row in provinces}
    assert {row["province_code"] for row in centers} <= known
    # and every province-level entry has at least one center
    assert known == {row["province_code"] for row in centers}


def test_every_center_named_in_the_notice_annex_exists(centers_by_short_name):
    missing = [name for name in ANNEX_SHORT_NAMES if name not in centers_by_short_name]
    assert not missing


@pytest.mark.parametrize(
    ("short_name", "code", "province_code", "name"),
    [
        ("海南", "460000", "46", "海南省住房公积金管理局"),
        ("潜江", "429005", "42", "潜江市住房公积金管理中心"),
        ("郑州", "410100", "41", "郑州住房公积金管理中心"),
        ("北京", "110000", "11", "北京住房公积金管理中心"),
        ("恩施", "422800", "42", "恩施土家族苗族自治州住房公积金管理中心"),
        ("济源", "419001", "41", "济源市住房公积金管理中心"),
        ("兵团", "660000", "66", "新疆生产建设兵团住房公积金管理中心"),
    ],
)
def test_known_centers(centers_by_short_name, short_name, code, province_code, name):
    assert centers_by_short_name[short_name] == {
        "code": code,
        "province_code": province_code,
        "name": name,
        "short_name": short_name,
    }


def test_single_center_divisions_have_exactly_one(centers):
    per_province = Counter(row["province_code"] for row in centers)
    for code in ("11", "12", "31", "50", "46", "66"):
        assert per_province[code] == 1, code


def test_the_nine_services_of_the_design():
    rows = read("services.csv")
    assert [row["code"] for row in rows] == list(SERVICES)
    assert {row["code"]: row["name"] for row in rows} == SERVICES
