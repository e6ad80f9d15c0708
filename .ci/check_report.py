"""Read a pytest JUnit report: fail when a browser test was skipped, none ran, or the
run was not on the database it claims. Prints a one-line summary."""
import sys
import xml.etree.ElementTree as ET

path, database = sys.argv[1], sys.argv[2]
root = ET.parse(path).getroot()
cases = root.iter("testcase")
total = skipped_e2e = ran_e2e = 0
skipped_other = []
for case in cases:
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
print(f"{database}: {total} tests, {ran_e2e} browser tests ran, {skipped_e2e} browser tests skipped, "
      f"database reported by the suite: {properties.get('database', '?')}")
for line in skipped_other:
    print(f"  skipped: {line}")
if skipped_e2e or not ran_e2e:
    sys.exit(f"{database}: browser tests were skipped or none ran")
if properties.get("database") != database:
    sys.exit(f"expected a run on {database}, the suite ran on {properties.get('database')}")
