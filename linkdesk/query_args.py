"""Numbers read from query strings: never an error page, never a number the database cannot take."""
from werkzeug.datastructures import MultiDict

MAX_PAGE = 100_000  # far past the last page of any list here; a bigger one shows the empty last page


def int_arg(args: MultiDict, name: str, default: int, *, low: int, high: int) -> int:
    """The integer ``args[name]`` clamped to [low, high]; ``default`` when missing or not a number."""
    value = args.get(name, "").strip()
    digits = value.removeprefix("-")
    if not digits.isdigit():
        return default
    number = int(digits) if len(digits) <= 18 else 10**18  # past any bound; and no 4,300-digit parse
    return min(max(-number if value.startswith("-") else number, low), high)


def page_arg(args: MultiDict) -> int:
    return int_arg(args, "page", 1, low=1, high=MAX_PAGE)
