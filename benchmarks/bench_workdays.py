"""How fast and how big the working-day calendar is, against workalendar's day-by-day walk.

Run: .venv/bin/python benchmarks/bench_workdays.py   (prints figures; asserts nothing)
"""

import random
import time
import tracemalloc
import warnings
from datetime import date, timedelta

from workalendar.asia.china import China

from linkdesk.workdays.calendar import default_calendar


def timed(label: str, function, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        function()
    seconds = time.perf_counter() - start
    print(f"{label:<52} {seconds * 1e6 / repeat:10.2f} µs per batch of 2,000 (mean of {repeat} runs)")
    return seconds / repeat


def main() -> None:
    tracemalloc.start()
    start = time.perf_counter()
    calendar = default_calendar()
    built = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"build calendar 2018–2099 (shipped schedules)         {built * 1000:10.1f} ms, peak {peak / 2**20:.1f} MiB")

    tracemalloc.start()
    start = time.perf_counter()
    calendar.earliest_cutover(date(2026, 11, 27))  # the first call builds the E(D) table
    built = time.perf_counter() - start
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"first earliest_cutover (builds the E(D) table)       {built * 1000:10.1f} ms, holds {held / 2**20:.1f} MiB")

    rng = random.Random(2026)
    # workalendar only knows 2018–2023, so the comparison uses days it can answer.
    days = [date(2018, 1, 1) + timedelta(days=rng.randrange(0, 365 * 5)) for _ in range(2000)]
    china = China()
    ours = timed("linkdesk earliest_cutover(d)", lambda: [calendar.earliest_cutover(d) for d in days], 20)
    timed("linkdesk add_working_days(d, 10)", lambda: [calendar.add_working_days(d, 10) for d in days], 20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # workalendar warns on every call that its data needs updating
        theirs = timed("workalendar China.add_working_days(d, 10)", lambda: [china.add_working_days(d, 10) for d in days], 2)
    print(f"{'ratio: workalendar add_working_days / our earliest_cutover':<52} {theirs / ours:10.0f} ×   (issue 4: ≥ 100)")

    recent = [date(2026, 1, 1) + timedelta(days=rng.randrange(0, 365)) for _ in range(2000)]
    timed("linkdesk earliest_cutover(d) over 2026 (2,000 dates)", lambda: [calendar.earliest_cutover(d) for d in recent], 20)
    timed(
        "linkdesk working_days_between(a, b) (2,000 pairs)",
        lambda: [calendar.working_days_between(d, d + timedelta(days=40)) for d in recent],
        20,
    )
    timed(
        "linkdesk get_working_days_delta(a, b) (2,000 pairs)",
        lambda: [calendar.get_working_days_delta(d, d + timedelta(days=40)) for d in recent],
        20,
    )


if __name__ == "__main__":
    main()
