"""Read a pytest JUnit report and print a one-line summary. Fails when the run was not on the
database it claims, when a browser test was skipped or none ran (unless ``--no-browser``), and,
with ``--clock YYYY-MM-DD``, when the suite did not see the system clock on that day (a shifted
clock that did not take would prove nothing)."""

import argparse
import sys
import xml.etree.ElementTree as ET

parser = argparse.ArgumentParser()
parser.add_argument("report")
parser.add_argument("database", choices=["sqlite", "postgresql"])
parser.add_argument("--no-browser", action="store_true", help="the browser tests were left out on purpose")
parser.add_argument("--clock", help="the day the system clock was set to for this run")
args = parser.parse_args()

root = ET.parse(args.report).getroot()
total = skipped_e2e = ran_e2e = 0
skipped_other = []
for case in root.iter("testcase"):
    total += 1
    is_e2e = ".e2e." in case.get("classname", "") or case.get("classname", "").startswith("tests.e2e")
    skipped = case.find("skipped") is not None
    if is_e2e and skipped:
        skipped_e2e += 1
    elif is_e2e:
        ran_e2e += 1
    elif skipped:
        skipped_other.append(f"{case.get('classname')}::{case.get('name')}: {case.find('skipped').get('message')}")
properties = {p.get("name"): p.get("value") for p in root.iter("property")}
clock = properties.get("clock", "?")
print(
    f"{args.database}: {total} tests, {ran_e2e} browser tests ran, {skipped_e2e} browser tests skipped, "
    f"database reported by the suite: {properties.get('database', '?')}, clock at its start: {clock}"
)
for line in skipped_other:
    print(f"  skipped: {line}")
if not total:
    sys.exit(f"{args.database}: no test ran")
if not args.no_browser and (skipped_e2e or not ran_e2e):
    sys.exit(f"{args.database}: browser tests were skipped or none ran")
if properties.get("database") != args.database:
    sys.exit(f"expected a run on {args.database}, the suite ran on {properties.get('database')}")
if args.clock and not clock.startswith(args.clock):
    sys.exit(f"expected the clock on {args.clock}, the suite saw {clock}")
